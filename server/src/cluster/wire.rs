//! What nodes send each other through Redis: one message per relayed
//! frame, numbered per sending node so that a receiver notices one it
//! missed. Pure: no I/O.
//!
//! Layout (big-endian): version `1`, kind (1 update, 2 awareness, 3 notice,
//! 4 listing, 5 heartbeat), the sending node's id (8 bytes), its message number (8
//! bytes), the document id's length (2 bytes; 0 for none) and bytes, then
//! the payload: a y-websocket frame, a notice as JSON, or nothing.

use bytes::{BufMut, Bytes, BytesMut};
use tandem_sync::DocId;

/// The format's version; a message of another is ignored.
const VERSION: u8 = 1;

/// What a relayed frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A document update, relayed once it is committed.
    Update,
    /// An awareness change (carets, presence), relayed as it comes.
    Awareness,
    /// Something done to open connections (a revocation, a deletion), as JSON.
    Notice,
    /// The workspace listing changed.
    Listing,
    /// Nothing but "this node is alive" (and its number, which shows a
    /// message lost at the end of a burst).
    Heartbeat,
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Update => 1,
            Kind::Awareness => 2,
            Kind::Notice => 3,
            Kind::Listing => 4,
            Kind::Heartbeat => 5,
        }
    }

    fn of(code: u8) -> Option<Kind> {
        [Kind::Update, Kind::Awareness, Kind::Notice, Kind::Listing, Kind::Heartbeat].into_iter().find(|k| k.code() == code)
    }
}

/// One relayed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The node that sent it.
    pub node: u64,
    /// Its number among that node's messages: 1, 2, 3, … without gaps.
    pub number: u64,
    /// What it carries.
    pub kind: Kind,
    /// The document, for a frame of one.
    pub doc: Option<DocId>,
    /// The payload: the y-websocket frame as the node's own clients got it,
    /// or a notice.
    pub frame: Bytes,
}

impl Message {
    /// The bytes published.
    pub fn encode(&self) -> Vec<u8> {
        let doc = self.doc.as_ref().map_or(&b""[..], |d| d.as_str().as_bytes());
        let mut out = BytesMut::with_capacity(20 + doc.len() + self.frame.len());
        out.put_u8(VERSION);
        out.put_u8(self.kind.code());
        out.put_u64(self.node);
        out.put_u64(self.number);
        out.put_u16(doc.len() as u16);
        out.put_slice(doc);
        out.put_slice(&self.frame);
        out.to_vec()
    }

    /// The message in `bytes`; `None` for anything else (another version,
    /// a truncated message, an invalid document id).
    pub fn decode(bytes: &[u8]) -> Option<Message> {
        let (&version, rest) = bytes.split_first()?;
        let (&kind, rest) = rest.split_first()?;
        if version != VERSION || rest.len() < 18 {
            return None;
        }
        let kind = Kind::of(kind)?;
        let node = u64::from_be_bytes(rest[..8].try_into().ok()?);
        let number = u64::from_be_bytes(rest[8..16].try_into().ok()?);
        let len = usize::from(u16::from_be_bytes(rest[16..18].try_into().ok()?));
        let rest = &rest[18..];
        let doc = match len {
            0 => None,
            _ => Some(DocId::parse(std::str::from_utf8(rest.get(..len)?).ok()?).ok()?),
        };
        let frame = Bytes::copy_from_slice(&rest[len..]);
        Some(Message { node, number, kind, doc, frame })
    }
}

/// What a receiver knows of the other nodes: each one's last number, and
/// when it was last heard from.
#[derive(Debug, Default)]
pub struct Numbering {
    /// One entry per node heard from lately; a node silent for longer than
    /// the silence allowed is dropped ([`Numbering::silent`]), so this holds
    /// the live nodes.
    last: std::collections::HashMap<u64, (u64, std::time::Instant)>,
}

impl Numbering {
    /// Records `message`'s number, heard at `now`; `false` if messages of its
    /// node were missed before it (the first one heard from a node starts its count).
    pub fn in_order(&mut self, message: &Message, now: std::time::Instant) -> bool {
        let before = self.last.insert(message.node, (message.number, now));
        before.is_none_or(|(last, _)| message.number == last + 1)
    }

    /// Forgets the nodes not heard from for longer than `allowed` at `now`,
    /// and returns them (each died, or was cut off: what it committed last
    /// may not have been relayed, and its clients' carets are stale).
    pub fn silent(&mut self, now: std::time::Instant, allowed: std::time::Duration) -> Vec<u64> {
        let gone: Vec<u64> = self.last.iter().filter(|(_, (_, heard))| now.duration_since(*heard) > allowed).map(|(node, _)| *node).collect();
        for node in &gone {
            self.last.remove(node);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(node: u64, number: u64) -> Message {
        let doc = Some(DocId::parse("notes").unwrap());
        Message { node, number, kind: Kind::Update, doc, frame: Bytes::from_static(b"\x00\x02\x01\x00") }
    }

    #[test]
    fn a_message_reads_back_as_it_was_written() {
        let sent = Message { kind: Kind::Awareness, ..message(7, 42) };
        assert_eq!(Message::decode(&sent.encode()), Some(sent));
        let notice = Message { kind: Kind::Notice, doc: None, frame: Bytes::from_static(b"{}"), ..message(7, 43) };
        assert_eq!(Message::decode(&notice.encode()), Some(notice));
    }

    #[test]
    fn anything_else_is_ignored() {
        let bytes = message(1, 1).encode();
        assert_eq!(Message::decode(&bytes[..10]), None, "truncated");
        let mut other = bytes.clone();
        other[0] = 9;
        assert_eq!(Message::decode(&other), None, "another version");
        let mut bad_id = bytes;
        bad_id[20] = b'/';
        assert_eq!(Message::decode(&bad_id), None, "an invalid document id");
        assert_eq!(Message::decode(b""), None);
    }

    #[test]
    fn a_missed_message_is_noticed_per_node() {
        let (mut numbering, now) = (Numbering::default(), std::time::Instant::now());
        assert!(numbering.in_order(&message(1, 5), now), "the first from a node starts its count");
        assert!(numbering.in_order(&message(1, 6), now));
        assert!(numbering.in_order(&message(2, 1), now));
        assert!(!numbering.in_order(&message(1, 8), now), "7 was missed");
        assert!(numbering.in_order(&message(1, 9), now));
    }

    #[test]
    fn a_node_that_falls_silent_is_noticed_once() {
        use std::time::Duration;
        let (mut numbering, start) = (Numbering::default(), std::time::Instant::now());
        numbering.in_order(&message(1, 1), start);
        numbering.in_order(&message(2, 1), start + Duration::from_secs(2));
        assert!(numbering.silent(start + Duration::from_secs(3), Duration::from_secs(3)).is_empty(), "both heard within 3 s");
        assert_eq!(numbering.silent(start + Duration::from_secs(4), Duration::from_secs(3)), [1], "node 1 fell silent");
        assert!(numbering.silent(start + Duration::from_secs(4), Duration::from_secs(3)).is_empty(), "and is noticed once");
        assert!(numbering.in_order(&message(1, 7), start + Duration::from_secs(5)), "heard again, it starts a new count");
    }
}
