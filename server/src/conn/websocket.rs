//! The WebSocket upgrade, and a socket that sends a large message in fragments.
//!
//! axum's socket copies each outgoing message whole into the WebSocket
//! library's write buffer, and that buffer keeps its largest size for the
//! life of the connection: 150 clients joining a 4 MiB document at once held
//! 600 MiB. Here a message larger than [`FRAGMENT_BYTES`] leaves as a
//! sequence of frames (RFC 6455 §5.4), each written before the next is
//! buffered, so a connection's write buffer never outgrows one fragment plus
//! [`WRITE_BUFFER_BYTES`], and the message's bytes are shared by every
//! connection that sends them. Everything else matches axum's
//! `WebSocketUpgrade`: the same request checks and rejections, the same items.

use axum::extract::FromRequestParts;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{Sink, Stream};
use hyper_util::rt::TokioIo;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::{Role, WebSocketConfig};

/// Largest frame of an outgoing message; a larger message is fragmented.
pub const FRAGMENT_BYTES: usize = 32 * 1024;
/// Bytes buffered before they are written to the socket (small frames
/// written together leave in one write).
pub const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// A valid WebSocket upgrade request (HTTP/1.1 `Upgrade` or HTTP/2 extended `CONNECT`).
pub struct Upgrade {
    /// The client's `Sec-WebSocket-Key` (HTTP/1.1 only).
    key: Option<HeaderValue>,
    on_upgrade: hyper::upgrade::OnUpgrade,
    config: WebSocketConfig,
}

/// Why a request is not a WebSocket upgrade, with axum's status and text.
#[derive(Debug)]
pub struct NotUpgrade {
    status: StatusCode,
    text: String,
}

impl NotUpgrade {
    /// The HTTP status to answer with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What was wrong with the request.
    pub fn body_text(&self) -> String {
        self.text.clone()
    }
}

impl IntoResponse for NotUpgrade {
    fn into_response(self) -> Response {
        (self.status, self.text).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotUpgrade;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // axum checks the request; with the upgrade handle taken out first, a
        // request that passes every check fails only for lacking it.
        let on_upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
        let checked = WebSocketUpgrade::from_request_parts(parts, state).await;
        match (checked, on_upgrade) {
            (Ok(_) | Err(WebSocketUpgradeRejection::ConnectionNotUpgradable(_)), Some(on_upgrade)) => {
                let key = parts.headers.get(header::SEC_WEBSOCKET_KEY).filter(|_| is_http1(parts)).cloned();
                Ok(Upgrade { key, on_upgrade, config: WebSocketConfig::default() })
            }
            (Err(rejection), _) => Err(NotUpgrade { status: rejection.status(), text: rejection.body_text() }),
            (Ok(_), None) => Err(NotUpgrade { status: StatusCode::UPGRADE_REQUIRED, text: "not upgradable".into() }),
        }
    }
}

fn is_http1(parts: &Parts) -> bool {
    parts.version <= axum::http::Version::HTTP_11
}

impl Upgrade {
    /// Sets the socket's limits and read buffer (its write buffer is [`WRITE_BUFFER_BYTES`]).
    pub fn config(mut self, max_message: usize, read_buffer: usize) -> Self {
        self.config = WebSocketConfig::default()
            .max_message_size(Some(max_message))
            .max_frame_size(Some(max_message))
            .read_buffer_size(read_buffer)
            .write_buffer_size(WRITE_BUFFER_BYTES);
        self
    }

    /// Answers the upgrade, and once it completes runs `callback` on the socket.
    /// The socket is boxed so that the futures that hold it on the way hold only
    /// a pointer, which keeps an idle connection's task small.
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(Box<Socket>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Upgrade { key, on_upgrade, config } = self;
        tokio::spawn(async move {
            let upgraded = match on_upgrade.await {
                Ok(upgraded) => upgraded,
                Err(e) => return tracing::debug!(error = %e, "WebSocket upgrade failed"),
            };
            let opening = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config));
            let inner = Box::pin(opening).await;
            callback(Box::new(Socket { inner, pending: None })).await
        });
        switching(key)
    }
}

/// The answer to a valid upgrade: 101 with the accept key (HTTP/1.1), or 200 (HTTP/2).
fn switching(key: Option<HeaderValue>) -> Response {
    let Some(key) = key else { return Response::new(axum::body::Body::empty()) };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// An upgraded WebSocket, with axum's message type.
pub struct Socket {
    inner: WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>,
    /// The rest of a large message being sent, and how much of it was sent.
    pending: Option<(Bytes, usize)>,
}

impl Socket {
    /// Buffers the remaining fragments of a large message, each once the socket can take it.
    fn drive(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), axum::Error>> {
        while let Some((message, sent)) = &mut self.pending {
            ready!(Pin::new(&mut self.inner).poll_ready(cx)).map_err(axum::Error::new)?;
            let end = (*sent + FRAGMENT_BYTES).min(message.len());
            let opcode = if *sent == 0 { OpCode::Data(Data::Binary) } else { OpCode::Data(Data::Continue) };
            let frame = Frame::message(message.slice(*sent..end), opcode, end == message.len());
            *sent = end;
            if end == message.len() {
                self.pending = None;
            }
            Pin::new(&mut self.inner).start_send(tungstenite::Message::Frame(frame)).map_err(axum::Error::new)?;
        }
        Poll::Ready(Ok(()))
    }
}

impl Stream for Socket {
    type Item = Result<Message, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let item = ready!(Pin::new(&mut self.inner).poll_next(cx));
            let Some(item) = item else { return Poll::Ready(None) };
            match item.map(from_tungstenite) {
                Ok(Some(message)) => return Poll::Ready(Some(Ok(message))),
                Ok(None) => continue, // a raw frame: never yielded when reading
                Err(e) => return Poll::Ready(Some(Err(axum::Error::new(e)))),
            }
        }
    }
}

impl Sink<Message> for Socket {
    type Error = axum::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        ready!(self.drive(cx))?;
        Pin::new(&mut self.inner).poll_ready(cx).map_err(axum::Error::new)
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<(), Self::Error> {
        match message {
            Message::Binary(bytes) if bytes.len() > FRAGMENT_BYTES => {
                self.pending = Some((bytes, 0));
                Ok(())
            }
            message => Pin::new(&mut self.inner).start_send(into_tungstenite(message)).map_err(axum::Error::new),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        ready!(self.drive(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx).map_err(axum::Error::new)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        ready!(self.drive(cx))?;
        Pin::new(&mut self.inner).poll_close(cx).map_err(axum::Error::new)
    }
}

fn into_tungstenite(message: Message) -> tungstenite::Message {
    match message {
        Message::Text(text) => tungstenite::Message::Text(text.as_str().into()),
        Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
        Message::Ping(bytes) => tungstenite::Message::Ping(bytes),
        Message::Pong(bytes) => tungstenite::Message::Pong(bytes),
        Message::Close(frame) => tungstenite::Message::Close(frame.map(|f| tungstenite::protocol::CloseFrame {
            code: f.code.into(),
            reason: f.reason.as_str().into(),
        })),
    }
}

fn from_tungstenite(message: tungstenite::Message) -> Option<Message> {
    Some(match message {
        tungstenite::Message::Text(text) => Message::Text(Utf8Bytes::from(text.as_str())),
        tungstenite::Message::Binary(bytes) => Message::Binary(bytes),
        tungstenite::Message::Ping(bytes) => Message::Ping(bytes),
        tungstenite::Message::Pong(bytes) => Message::Pong(bytes),
        tungstenite::Message::Close(frame) => {
            Message::Close(frame.map(|f| CloseFrame { code: f.code.into(), reason: Utf8Bytes::from(f.reason.as_str()) }))
        }
        tungstenite::Message::Frame(_) => return None,
    })
}
