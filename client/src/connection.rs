//! Opening and ending a connection.

use super::Error;
use crate::halves::{Receiver, Sender};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{self, http};

/// One open connection, split so that one task may send while another receives.
pub struct Connection {
    /// The sending half.
    pub tx: Sender,
    /// The receiving half.
    pub rx: Receiver,
}

impl Connection {
    /// Opens a WebSocket to `url`.
    pub async fn open(url: &str) -> Result<Connection, Error> {
        Connection::open_with(url, &[]).await
    }

    /// Opens a WebSocket to `url` with extra headers on the upgrade request;
    /// a refused upgrade is [`Error::Refused`], with the answer's status and body.
    pub async fn open_with(url: &str, headers: &[(&str, &str)]) -> Result<Connection, Error> {
        let connect = |source| Error::Connect { url: url.to_owned(), source: Box::new(source) };
        let request = upgrade_request(url, headers).map_err(connect)?;
        // Nagle off, as browsers have it: a frame written right after another
        // (an update, then its acknowledgement request) leaves at once
        // instead of waiting for the server's delayed ACK (40 ms).
        match tokio_tungstenite::connect_async_with_config(request, None, true).await {
            Ok((ws, _)) => {
                let (tx, rx) = ws.split();
                Ok(Connection { tx: Sender(tx), rx: Receiver(rx) })
            }
            Err(tungstenite::Error::Http(answer)) => {
                let (status, body) = (answer.status(), answer.body().clone().unwrap_or_default());
                Err(Error::Refused { url: url.to_owned(), status, body })
            }
            Err(e) => Err(connect(e)),
        }
    }

    /// Closes the connection politely, without waiting for the server's
    /// answer; errors are of no interest any more.
    pub async fn close(mut self) {
        self.tx.close().await;
    }

    /// Writes the first `cut(len)` of the `len` bytes of `payload`'s client
    /// frame (masked with `mask`) straight to the TCP socket, then drops the
    /// connection: a client that dies in the middle of a frame.
    pub async fn drop_mid_frame(self, payload: Vec<u8>, mask: [u8; 4], cut: impl FnOnce(usize) -> usize) {
        let mut frame = Frame::message(payload, OpCode::Data(Data::Binary), true);
        frame.header_mut().mask = Some(mask);
        let mut bytes = Vec::new();
        if frame.format(&mut bytes).is_err() {
            return;
        }
        let cut = cut(bytes.len());
        // Both halves come from one split, so they always reunite.
        let Ok(mut ws) = self.tx.0.reunite(self.rx.0) else { return };
        if let MaybeTlsStream::Plain(tcp) = ws.get_mut() {
            let _ = tcp.write_all(&bytes[..cut]).await;
        }
    }
}

/// The upgrade request for `url` with `headers` added.
fn upgrade_request(url: &str, headers: &[(&str, &str)]) -> Result<http::Request<()>, tungstenite::Error> {
    let mut request = url.into_client_request()?;
    for (name, value) in headers {
        let name: http::HeaderName = name.parse()?;
        request.headers_mut().insert(name, value.parse()?);
    }
    Ok(request)
}
