//! The access log: one `tracing` event (target `tandem::access`) per HTTP
//! request, once its response body has been sent or dropped, and one per
//! WebSocket session when it ends ([`session_ended`]). Text by default, JSON
//! lines with `--log-json`, like every other event.
//!
//! A request line has `method`, `path`, `status`, `duration_ms`, `bytes` (of
//! the response body), `client` and `request_id`. The query is never logged
//! (it may carry `?token=`), and the secret segment of share-link and invite
//! paths is replaced by `…`.

use crate::http::client::ClientAddr;
use axum::body::{Body, Bytes, HttpBody};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::{Sink, Stream};
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

/// The header that carries a request's id (set if the client sent none, and echoed).
pub const REQUEST_ID: &str = "x-request-id";

/// Page paths whose next segment is a secret token.
const SECRET_PREFIXES: [&str; 2] = ["/s/", "/invite/"];

/// `path` as logged: a share-link or invite token replaced by `…`.
pub fn loggable_path(path: &str) -> String {
    for prefix in SECRET_PREFIXES {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map_or("", |at| &rest[at..]);
            return format!("{prefix}…{tail}");
        }
    }
    path.to_owned()
}

/// The request's id, as the request-id layer set it (`-` if none).
pub fn request_id(headers: &HeaderMap) -> String {
    headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned()
}

/// `router` with request ids (`x-request-id`: kept if the client sent one,
/// else a new UUID; echoed in the response) and every request logged.
pub fn around<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    router
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::from_fn(log))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Logs every request when its response body ends.
pub async fn log(request: Request, next: Next) -> Response {
    let (started, method) = (Instant::now(), request.method().clone());
    let path = loggable_path(request.uri().path());
    let (client, request_id) = (ClientAddr::of(request.extensions()), request_id(request.headers()));
    let response = next.run(request).await;
    let line = Line { started, method, path, client, request_id, status: response.status(), bytes: 0 };
    response.map(|inner| Body::new(Counted { inner, line }))
}

/// What one request's log line says; written when it is dropped, that is when
/// the response body is done (sent, or abandoned by a client that left).
struct Line {
    started: Instant,
    method: Method,
    path: String,
    client: ClientAddr,
    request_id: String,
    status: StatusCode,
    bytes: u64,
}

impl Drop for Line {
    fn drop(&mut self) {
        tracing::info!(
            target: "tandem::access",
            method = %self.method,
            path = %self.path,
            status = self.status.as_u16(),
            duration_ms = self.started.elapsed().as_millis() as u64,
            bytes = self.bytes,
            client = %self.client,
            request_id = %self.request_id,
            "request"
        );
    }
}

pin_project_lite::pin_project! {
    /// A response body that counts the bytes it yields into its [`Line`].
    struct Counted {
        #[pin]
        inner: Body,
        line: Line,
    }
}

impl HttpBody for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            this.line.bytes += data.len() as u64;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Bytes of WebSocket messages a session received and sent, counted by [`CountedSocket`].
#[derive(Debug, Default)]
pub struct SessionBytes {
    /// Payload bytes of messages from the client.
    pub received: AtomicU64,
    /// Payload bytes of messages to the client.
    pub sent: AtomicU64,
}

/// A WebSocket that counts its messages' bytes into a shared [`SessionBytes`].
pub struct CountedSocket<S> {
    inner: S,
    bytes: Arc<SessionBytes>,
}

impl<S> CountedSocket<S> {
    /// `inner`, counting into `bytes`.
    pub fn new(inner: S, bytes: Arc<SessionBytes>) -> Self {
        CountedSocket { inner, bytes }
    }
}

fn payload_len(message: &axum::extract::ws::Message) -> u64 {
    use axum::extract::ws::Message;
    match message {
        Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len() as u64,
        Message::Text(t) => t.len() as u64,
        Message::Close(_) => 0,
    }
}

impl<S, E> Stream for CountedSocket<S>
where
    S: Stream<Item = Result<axum::extract::ws::Message, E>> + Unpin,
{
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        if let Poll::Ready(Some(Ok(message))) = &polled {
            self.bytes.received.fetch_add(payload_len(message), Ordering::Relaxed);
        }
        polled
    }
}

impl<S> Sink<axum::extract::ws::Message> for CountedSocket<S>
where
    S: Sink<axum::extract::ws::Message> + Unpin,
{
    type Error = S::Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner).poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, message: axum::extract::ws::Message) -> Result<(), Self::Error> {
        self.bytes.sent.fetch_add(payload_len(&message), Ordering::Relaxed);
        Pin::new(&mut self.inner).start_send(message)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// What the log line of one ended WebSocket session says.
#[derive(Debug)]
pub struct Session<'a> {
    /// The document.
    pub doc: &'a str,
    /// The close code the server recorded.
    pub code: u16,
    /// When the upgrade was asked for.
    pub started: Instant,
    /// Its bytes in and out.
    pub bytes: &'a SessionBytes,
    /// Its client.
    pub client: ClientAddr,
    /// The request id of its upgrade.
    pub request_id: &'a str,
}

/// Logs one ended WebSocket session.
pub fn session_ended(s: Session<'_>) {
    tracing::info!(
        target: "tandem::access",
        doc = %s.doc,
        close_code = s.code,
        duration_ms = s.started.elapsed().as_millis() as u64,
        bytes_in = s.bytes.received.load(Ordering::Relaxed),
        bytes_out = s.bytes.sent.load(Ordering::Relaxed),
        client = %s.client,
        request_id = %s.request_id,
        "websocket session"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_path_segments_are_not_logged() {
        assert_eq!(loggable_path("/s/abcdef"), "/s/…");
        assert_eq!(loggable_path("/invite/abcdef/x"), "/invite/…/x");
        assert_eq!(loggable_path("/api/docs/abc"), "/api/docs/abc");
    }
}
