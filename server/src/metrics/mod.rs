//! What a Prometheus scrape of `/metrics` reads.
//!
//! Every metric on a per-message path is an atomic counter or a
//! [`DurationHistogram`]: no lock and no allocation per message. Labelled
//! families (close codes) are touched once per connection, not per message.
//! Gauges that describe a state (documents loaded, store backlog) are read
//! when scraped instead of being maintained on every change.
//!
//! `histogram` holds [`DurationHistogram`], the lock-free latency histogram.

mod histogram;

pub use histogram::{DISK_BUCKETS, DurationHistogram, MEMORY_BUCKETS};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

/// The prefix of every metric name.
pub const PREFIX: &str = "tandem";

/// A label set of one WebSocket close code.
pub type CodeLabel = [(&'static str, u16); 1];

/// A label set naming one configured limit.
pub type LimitLabel = [(&'static str, &'static str); 1];

/// The server's metrics; one set per server, shared by every connection.
#[derive(Debug)]
pub struct Metrics {
    /// WebSocket connections open now.
    pub connections: Gauge,
    /// WebSocket connections accepted since start.
    pub connections_accepted: Counter,
    /// Connections closed, by the close code the server sent.
    pub connections_closed: Family<CodeLabel, Counter>,
    /// Connections closed with 1013 because they could not keep up.
    pub slow_client_disconnects: Counter,
    /// Frames refused (and their connection closed), by close code.
    pub bad_frames: Family<CodeLabel, Counter>,
    /// Binary messages received from clients.
    pub messages_received: Counter,
    /// Bytes of binary messages received from clients.
    pub bytes_received: Counter,
    /// Messages written to clients (updates, awareness, acknowledgements, keepalives).
    pub messages_sent: Counter,
    /// Bytes of messages written to clients.
    pub bytes_sent: Counter,
    /// Time to apply one update that changed a document (decode, integrate, encode).
    pub update_apply: DurationHistogram,
    /// Documents read from the store into memory.
    pub document_loads: Counter,
    /// Documents that could not be loaded from the store.
    pub document_load_failures: Counter,
    /// Requests refused because they came from a foreign origin.
    pub origin_refused: Counter,
    /// Connections refused or closed, and updates refused, by the limit they exceeded.
    pub limits_exceeded: Family<LimitLabel, Counter>,
    /// Times a connection was paused because it sent faster than its message rate.
    pub throttled: Counter,
    /// Times a connection's reading was paused on an update because the store
    /// took no writes (its commits failing, or its write queue full).
    pub store_paused: Counter,
    /// Updates refused because the store took no writes: HTTP writes answered
    /// 503/507, and connections closed with 1011 once its writer had stopped.
    pub store_refused: Counter,
    /// Documents loaded now; set when scraped.
    pub documents_loaded: Gauge,
    /// Store writes queued and not yet durable; set when scraped.
    pub store_backlog: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            connections: Gauge::default(),
            connections_accepted: Counter::default(),
            connections_closed: Family::default(),
            slow_client_disconnects: Counter::default(),
            bad_frames: Family::default(),
            messages_received: Counter::default(),
            bytes_received: Counter::default(),
            messages_sent: Counter::default(),
            bytes_sent: Counter::default(),
            update_apply: DurationHistogram::new(MEMORY_BUCKETS),
            document_loads: Counter::default(),
            document_load_failures: Counter::default(),
            origin_refused: Counter::default(),
            limits_exceeded: Family::default(),
            throttled: Counter::default(),
            store_paused: Counter::default(),
            store_refused: Counter::default(),
            documents_loaded: Gauge::default(),
            store_backlog: Gauge::default(),
        }
    }
}

impl Metrics {
    /// Registers every metric (clones share their values) in `r`.
    pub fn register(&self, r: &mut Registry) {
        r.register("connections", "WebSocket connections open", self.connections.clone());
        r.register("connections_accepted", "WebSocket connections accepted", self.connections_accepted.clone());
        r.register("connections_closed", "WebSocket connections closed, by close code", self.connections_closed.clone());
        r.register(
            "slow_client_disconnects",
            "Connections closed with 1013 because their outbound queue was full",
            self.slow_client_disconnects.clone(),
        );
        r.register("bad_frames", "Frames refused, by the close code their connection got", self.bad_frames.clone());
        r.register("messages_received", "Binary messages received", self.messages_received.clone());
        r.register_with_unit("received", "Bytes of messages received", Unit::Bytes, self.bytes_received.clone());
        r.register("messages_sent", "Messages sent", self.messages_sent.clone());
        r.register_with_unit("sent", "Bytes of messages sent", Unit::Bytes, self.bytes_sent.clone());
        r.register_with_unit("update_apply", "Time to apply an update", Unit::Seconds, self.update_apply.clone());
        r.register("document_loads", "Documents read from the store into memory", self.document_loads.clone());
        r.register("document_load_failures", "Documents that failed to load", self.document_load_failures.clone());
        r.register("origin_refused", "Requests refused for their origin", self.origin_refused.clone());
        r.register("limits_exceeded", "Connections or messages refused, by limit", self.limits_exceeded.clone());
        r.register("throttled", "Connections paused for sending over their message rate", self.throttled.clone());
        r.register("store_paused", "Connections paused on an update because the store took no writes", self.store_paused.clone());
        r.register("store_refused", "Updates refused because the store took no writes", self.store_refused.clone());
        r.register("documents_loaded", "Documents loaded in memory", self.documents_loaded.clone());
        r.register("store_backlog", "Store writes queued and not yet durable", self.store_backlog.clone());
    }

    /// Records a message of `len` bytes received.
    pub fn received(&self, len: usize) {
        self.messages_received.inc();
        self.bytes_received.inc_by(len as u64);
    }

    /// Records a message of `len` bytes sent.
    pub fn sent(&self, len: usize) {
        self.messages_sent.inc();
        self.bytes_sent.inc_by(len as u64);
    }

    /// Records a frame refused with close `code`.
    pub fn bad_frame(&self, code: u16) {
        self.bad_frames.get_or_create(&[("code", code)]).inc();
    }

    /// Records a connection that ended with close `code`.
    pub fn closed(&self, code: u16) {
        self.connections.dec();
        self.connections_closed.get_or_create(&[("code", code)]).inc();
        if code == tandem_sync::close::TRY_AGAIN_LATER {
            self.slow_client_disconnects.inc();
        }
    }

    /// Records a refusal by the limit named `limit`.
    pub fn limit_exceeded(&self, limit: &'static str) {
        self.limits_exceeded.get_or_create(&[("limit", limit)]).inc();
    }

    /// Records a connection that opened.
    pub fn opened(&self) {
        self.connections.inc();
        self.connections_accepted.inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_1013_close_is_a_slow_client_disconnect() {
        let m = Metrics::default();
        m.opened();
        m.opened();
        m.closed(tandem_sync::close::TRY_AGAIN_LATER);
        m.closed(1000);
        assert_eq!(m.connections.get(), 0);
        assert_eq!(m.slow_client_disconnects.get(), 1);
        assert_eq!(m.connections_closed.get_or_create(&[("code", 1013)]).get(), 1);
    }
}
