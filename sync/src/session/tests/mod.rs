//! The core on its own (timers, backoff, acknowledgements, the inbox) and
//! two or more replicas exchanging frames through the server's [`crate::DocCore`].

mod access;
mod harness;
mod link;
mod presence;
mod with_server;
