//! The accept loop: HTTP/1 and HTTP/2 with WebSocket upgrades, a deadline on
//! request headers (slowloris), TCP_NODELAY, and graceful shutdown.
//!
//! `axum::serve` sets no timer, so hyper would wait forever for the headers of
//! a client that sends them a byte at a time; this loop gives hyper a timer.

use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::Layer;

/// Pause after a failed accept (out of file descriptors, say) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` until `shutdown` fires, then waits for every
/// HTTP connection to finish its requests (upgraded WebSockets are tracked
/// elsewhere). A client gets `header_timeout` to send each request's headers.
pub async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken, header_timeout: Duration) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.cancelled() => break,
        };
        match accepted {
            Ok((tcp, remote)) => connection(&builder, &graceful, &router, tcp, remote),
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Serves one TCP connection on a task of its own.
fn connection(
    builder: &Builder<TokioExecutor>,
    graceful: &GracefulShutdown,
    router: &Router,
    tcp: TcpStream,
    remote: SocketAddr,
) {
    // Small frames must leave at once: Nagle's algorithm would hold keystrokes back.
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::warn!(error = %e, "cannot set TCP_NODELAY");
    }
    let service = axum::Extension(ConnectInfo(remote)).layer(router.clone());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(tcp), TowerToHyperService::new(service));
    let conn = graceful.watch(conn.into_owned());
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, %remote, "connection ended with an error");
        }
    });
}
