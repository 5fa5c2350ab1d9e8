//! Admission of WebSocket connections: caps in total, per client address and
//! per document, checked at the upgrade, before a document is loaded. The
//! HTTP layer gives the client's address as the key its per-client limits
//! count by (an IPv6 /64 as its first address).
//!
//! Each admitted connection holds a [`Ticket`]; dropping it gives the slot
//! back, on every path (a normal close, a failed upgrade, a cancelled task).

use tandem_sync::DocId;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Most WebSocket connections open at once.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionCaps {
    /// In total.
    pub total: usize,
    /// From one client IP address.
    pub per_ip: usize,
    /// To one document.
    pub per_doc: usize,
}

/// Which cap refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The server has `total` connections open.
    Total,
    /// This IP address has `per_ip` connections open.
    PerIp,
    /// This document has `per_doc` connections open.
    PerDoc,
}

impl Refused {
    /// The limit's name in metrics and error codes.
    pub fn name(self) -> &'static str {
        match self {
            Refused::Total => "connections",
            Refused::PerIp => "connections_per_ip",
            Refused::PerDoc => "connections_per_doc",
        }
    }
}

/// Open connections, counted against the caps.
#[derive(Debug, Default)]
struct Counts {
    total: usize,
    /// Entries are removed at zero, so the map holds only IPs with open connections.
    per_ip: HashMap<IpAddr, usize>,
    /// As above, for documents.
    per_doc: HashMap<DocId, usize>,
}

/// The connection counter of one server.
#[derive(Debug)]
pub struct Admission {
    caps: ConnectionCaps,
    /// std mutex: held for a few map operations per connect and disconnect, never across `.await`.
    counts: Mutex<Counts>,
}

/// One admitted connection's slot; released on drop.
#[derive(Debug)]
pub struct Ticket {
    admission: Arc<Admission>,
    ip: Option<IpAddr>,
    doc: DocId,
}

impl Admission {
    /// A counter enforcing `caps`.
    pub fn new(caps: ConnectionCaps) -> Arc<Self> {
        Arc::new(Admission { caps, counts: Mutex::default() })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a slot for a connection from `ip` (unknown when the transport has
    /// no address) to `doc`, or says which cap is reached.
    pub fn admit(self: &Arc<Self>, ip: Option<IpAddr>, doc: &DocId) -> Result<Ticket, Refused> {
        let mut counts = self.counts();
        if counts.total >= self.caps.total {
            return Err(Refused::Total);
        }
        if ip.is_some_and(|ip| counts.per_ip.get(&ip).copied().unwrap_or(0) >= self.caps.per_ip) {
            return Err(Refused::PerIp);
        }
        if counts.per_doc.get(doc).copied().unwrap_or(0) >= self.caps.per_doc {
            return Err(Refused::PerDoc);
        }
        counts.total += 1;
        if let Some(ip) = ip {
            *counts.per_ip.entry(ip).or_default() += 1;
        }
        *counts.per_doc.entry(doc.clone()).or_default() += 1;
        Ok(Ticket { admission: self.clone(), ip, doc: doc.clone() })
    }

    /// Connections holding a ticket now.
    pub fn open(&self) -> usize {
        self.counts().total
    }

    fn release(&self, ticket: &Ticket) {
        let mut counts = self.counts();
        counts.total -= 1;
        if let Some(ip) = ticket.ip {
            decrement(&mut counts.per_ip, &ip);
        }
        decrement(&mut counts.per_doc, &ticket.doc);
    }
}

fn decrement<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.release(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> DocId {
        DocId::parse(s).unwrap()
    }

    #[test]
    fn each_cap_refuses_and_a_dropped_ticket_frees_its_slot() {
        let a = Admission::new(ConnectionCaps { total: 3, per_ip: 2, per_doc: 2 });
        let (ip1, ip2) = (Some("10.0.0.1".parse().unwrap()), Some("10.0.0.2".parse().unwrap()));
        let _t1 = a.admit(ip1, &doc("a")).unwrap();
        let t2 = a.admit(ip1, &doc("b")).unwrap();
        assert_eq!(a.admit(ip1, &doc("c")).unwrap_err(), Refused::PerIp);
        let _t3 = a.admit(ip2, &doc("a")).unwrap();
        assert_eq!(a.admit(ip2, &doc("c")).unwrap_err(), Refused::Total);
        drop(t2);
        assert_eq!(a.admit(ip2, &doc("a")).unwrap_err(), Refused::PerDoc);
        let _t4 = a.admit(ip2, &doc("c")).unwrap();
        assert_eq!(a.open(), 3);
    }

    #[test]
    fn no_entry_outlives_its_last_ticket() {
        let a = Admission::new(ConnectionCaps { total: 10, per_ip: 10, per_doc: 10 });
        let tickets: Vec<_> = (0..5).map(|i| a.admit(Some([10, 0, 0, i].into()), &doc("x")).unwrap()).collect();
        drop(tickets);
        let counts = a.counts();
        assert!(counts.total == 0 && counts.per_ip.is_empty() && counts.per_doc.is_empty());
    }
}
