//! Gives every page request a reactive owner of its own.
//!
//! Leptos keeps "the current reactive owner" in a thread-local, and some of
//! its code sets it without restoring it, so a worker thread can carry the
//! owner of a page that is still rendering into the next request it polls.
//! `leptos_axum`'s handlers for the site's files and for server functions
//! create their owner with `Owner::new()`, a child of whatever is current:
//! such a request then saw the rendering page's context, and serving a file
//! took that page's response headers (its Content-Security-Policy with the
//! nonce) for itself. The page went out with the nonce-free policy, the
//! browser refused its inline bootstrap, and the editor never started.
//!
//! Polling each request inside a root owner of its own makes `Owner::new()`
//! a child of that root, whatever an earlier poll left behind.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use leptos::reactive::owner::Owner;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Middleware: runs the rest of the request under a fresh root owner.
pub fn own_owner(request: Request, next: Next) -> OwnedByRequest<impl Future<Output = Response>> {
    OwnedByRequest { owner: Owner::new_root(None), inner: next.run(request) }
}

pin_project_lite::pin_project! {
    /// A request's future, polled with the request's own owner current.
    pub struct OwnedByRequest<F> {
        owner: Owner,
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for OwnedByRequest<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let inner = this.inner;
        this.owner.with(|| inner.poll(cx))
    }
}
