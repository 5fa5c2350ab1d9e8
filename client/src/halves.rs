//! The two halves of a connection: frames out, frames in.

use super::Error;
use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite};

/// The WebSocket under a connection.
pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The sending half of a connection.
pub struct Sender(pub(crate) SplitSink<Ws, Message>);

/// The receiving half of a connection.
pub struct Receiver(pub(crate) SplitStream<Ws>);

/// How a connection ended, as the client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// A close frame with this code (1005 when it carried none).
    Closed(u16),
    /// The socket ended, or failed, without a close frame.
    Dropped,
}

/// What reading a connection gave; messages other than binary and close are skipped.
#[derive(Debug)]
pub enum Event {
    /// One binary frame.
    Frame(Bytes),
    /// The connection ended.
    Ended(Ended),
    /// Reading failed.
    Failed(Box<tungstenite::Error>),
}

impl Sender {
    /// Sends one frame and flushes it.
    pub async fn send(&mut self, frame: impl Into<Bytes>) -> Result<(), Error> {
        self.send_message(Message::Binary(frame.into())).await
    }

    /// Sends any WebSocket message (a text frame, a malformed frame) and flushes it.
    pub async fn send_message(&mut self, message: Message) -> Result<(), Error> {
        Ok(self.0.send(message).await?)
    }

    /// Queues one frame; it leaves once the write buffer fills or on [`Sender::flush`].
    pub async fn feed(&mut self, frame: impl Into<Bytes>) -> Result<(), Error> {
        Ok(self.0.feed(Message::Binary(frame.into())).await?)
    }

    /// Writes every queued frame.
    pub async fn flush(&mut self) -> Result<(), Error> {
        Ok(self.0.flush().await?)
    }

    /// Sends a close frame; errors are of no interest any more.
    pub async fn close(&mut self) {
        let _ = self.0.close().await;
    }
}

impl Receiver {
    /// The next binary frame, or how the connection ended.
    pub async fn event(&mut self) -> Event {
        loop {
            match self.0.next().await {
                Some(Ok(Message::Binary(b))) => return Event::Frame(b),
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map_or(CloseCode::Status, |f| f.code);
                    return Event::Ended(Ended::Closed(code.into()));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Event::Failed(Box::new(e)),
                None => return Event::Ended(Ended::Dropped),
            }
        }
    }

    /// The next binary frame, or `None` once the connection has ended.
    pub async fn recv(&mut self) -> Result<Option<Bytes>, Error> {
        match self.event().await {
            Event::Frame(b) => Ok(Some(b)),
            Event::Ended(_) => Ok(None),
            Event::Failed(e) => Err(Error::Socket(e)),
        }
    }

    /// Reads (and drops) frames until the connection ends, and says how it did.
    pub async fn until_closed(&mut self) -> Ended {
        loop {
            match self.event().await {
                Event::Frame(_) => continue,
                Event::Ended(ended) => return ended,
                Event::Failed(_) => return Ended::Dropped,
            }
        }
    }

    /// Reads and drops frames until the connection ends (a writer's echoes).
    pub async fn drain(mut self) {
        while let Ok(Some(_)) = self.recv().await {}
    }
}
