//! The server's integration tests, one module per area, linked into one
//! binary: each test binary links the whole server, so one binary instead of
//! seventeen saves most of the link time and gigabytes of disk. (The churn
//! test, which measures the process's memory, has a binary of its own.)
//!
//! Run one area with a name filter, e.g. `cargo test -p server --test integration fault::`.

mod common;

mod accounts;
mod api;
mod attachments;
mod backpressure;
mod backup;
mod bad_input;
mod cluster;
mod crash;
mod deploy;
mod disk;
mod fault;
mod history;
mod http_limits;
mod interop;
mod keepalive;
mod limits;
mod metrics;
mod pg;
mod page_view;
mod proxy;
mod rooms;
mod security;
mod sharing;
mod sync;
mod throttle;
mod transfer;
mod trash;
mod upgrade;
