//! The y-websocket wire protocol, shared by the server and the browser client.
//!
//! One protocol message travels in one binary WebSocket frame. [`Inbound::decode`]
//! classifies a frame without copying it; the `encode_*` functions build frames.
//! The varint and buffer primitives are yrs's own (`yrs::encoding`), so both sides
//! speak exactly what stock Yjs clients speak.

use yrs::encoding::read::{Cursor, Read};
use yrs::encoding::write::Write;

/// Top-level tag of a sync message (`SyncStep1`, `SyncStep2`, `Update`).
pub const MSG_SYNC: u64 = 0;
/// Top-level tag of an awareness update.
pub const MSG_AWARENESS: u64 = 1;
/// Top-level tag of an auth message (sent by servers only).
pub const MSG_AUTH: u64 = 2;
/// Top-level tag of a request for every awareness state.
pub const MSG_QUERY_AWARENESS: u64 = 3;
/// Top-level tag of a durable-acknowledgement request (the y-sweet "sync status" message).
pub const MSG_SYNC_STATUS: u64 = 102;
/// Sync sub-tag: the sender's state vector.
pub const SYNC_STEP1: u64 = 0;
/// Sync sub-tag: the update the receiver lacks, answering a `SyncStep1`.
pub const SYNC_STEP2: u64 = 1;
/// Sync sub-tag: an incremental update.
pub const SYNC_UPDATE: u64 = 2;
/// Auth sub-tag (y-protocols): the server refused something; a reason follows.
/// Tandem sends it when a read-only connection's update was not applied.
pub const AUTH_PERMISSION_DENIED: u64 = 0;
/// Auth sub-tag Tandem adds: the connection may write again; a reason follows.
/// Stock clients ignore auth sub-tags they do not know.
pub const AUTH_PERMISSION_GRANTED: u64 = 1;

/// One decoded protocol message; every slice borrows from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound<'a> {
    /// The sender's state vector (v1 encoding).
    SyncStep1(&'a [u8]),
    /// A v1 update answering our `SyncStep1`.
    SyncStep2(&'a [u8]),
    /// An incremental v1 update.
    Update(&'a [u8]),
    /// An encoded awareness update (the bytes inside the message's length prefix).
    Awareness(&'a [u8]),
    /// A request for every awareness state.
    QueryAwareness,
    /// A durable-acknowledgement request; the payload is echoed back once durable.
    SyncStatus(&'a [u8]),
    /// An auth message with its sub-tag ([`AUTH_PERMISSION_DENIED`],
    /// [`AUTH_PERMISSION_GRANTED`]); the server sends them, clients do not.
    Auth(u64),
}

/// Why a frame is not a protocol message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The frame ended inside a field, or a varint was malformed.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The message tag is not one this protocol knows.
    #[error("unknown message tag {0}")]
    UnknownTag(u64),
    /// The sync sub-tag is not 0, 1 or 2.
    #[error("unknown sync message tag {0}")]
    UnknownSyncTag(u64),
    /// Bytes follow the message: each frame must carry exactly one message.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
}

impl From<yrs::encoding::read::Error> for ProtocolError {
    fn from(e: yrs::encoding::read::Error) -> Self {
        ProtocolError::Malformed(e.to_string())
    }
}

impl<'a> Inbound<'a> {
    /// Decodes exactly one message from `frame`; anything left over is an error.
    pub fn decode(frame: &'a [u8]) -> Result<Self, ProtocolError> {
        let mut cur = Cursor::new(frame);
        let msg = match cur.read_var::<u64>()? {
            MSG_SYNC => match cur.read_var::<u64>()? {
                SYNC_STEP1 => Inbound::SyncStep1(read_buf(&mut cur, frame)?),
                SYNC_STEP2 => Inbound::SyncStep2(read_buf(&mut cur, frame)?),
                SYNC_UPDATE => Inbound::Update(read_buf(&mut cur, frame)?),
                other => return Err(ProtocolError::UnknownSyncTag(other)),
            },
            MSG_AWARENESS => Inbound::Awareness(read_buf(&mut cur, frame)?),
            MSG_AUTH => {
                // An auth message carries a sub-tag and a reason string (skipped).
                let sub: u64 = cur.read_var()?;
                read_buf(&mut cur, frame)?;
                Inbound::Auth(sub)
            }
            MSG_QUERY_AWARENESS => Inbound::QueryAwareness,
            MSG_SYNC_STATUS => Inbound::SyncStatus(read_buf(&mut cur, frame)?),
            other => return Err(ProtocolError::UnknownTag(other)),
        };
        match frame.len() - cur.next {
            0 => Ok(msg),
            n => Err(ProtocolError::TrailingBytes(n)),
        }
    }
}

/// Reads a `varByteArray`, borrowing it from `frame` (yrs's `read_buf` borrows the cursor).
fn read_buf<'a>(cur: &mut Cursor<'a>, frame: &'a [u8]) -> Result<&'a [u8], ProtocolError> {
    let len: u32 = cur.read_var()?;
    let start = cur.next;
    cur.read_exact(len as usize)?;
    Ok(&frame[start..cur.next])
}

fn frame(tag: u64, sub: Option<u64>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 12);
    out.write_var(tag);
    if let Some(sub) = sub {
        out.write_var(sub);
    }
    out.write_buf(payload);
    out
}

/// A `SyncStep1` frame carrying a v1-encoded state vector.
pub fn encode_sync_step1(state_vector: &[u8]) -> Vec<u8> {
    frame(MSG_SYNC, Some(SYNC_STEP1), state_vector)
}

/// A `SyncStep2` frame carrying a v1 update.
pub fn encode_sync_step2(update: &[u8]) -> Vec<u8> {
    frame(MSG_SYNC, Some(SYNC_STEP2), update)
}

/// An `Update` frame carrying a v1 update.
pub fn encode_update(update: &[u8]) -> Vec<u8> {
    frame(MSG_SYNC, Some(SYNC_UPDATE), update)
}

/// An awareness frame carrying an encoded awareness update.
pub fn encode_awareness(update: &[u8]) -> Vec<u8> {
    frame(MSG_AWARENESS, None, update)
}

/// A sync-status frame; the server echoes a client's request byte for byte.
pub fn encode_sync_status(payload: &[u8]) -> Vec<u8> {
    frame(MSG_SYNC_STATUS, None, payload)
}

/// The payload of a sync-status request numbered `counter`: `varUint(counter)`.
pub fn sync_status_payload(counter: u64) -> Vec<u8> {
    let mut out = Vec::new();
    out.write_var(counter);
    out
}

/// The y-protocols permission-denied message with `reason` (`[2, 0, varString]`).
pub fn encode_permission_denied(reason: &str) -> Vec<u8> {
    frame(MSG_AUTH, Some(AUTH_PERMISSION_DENIED), reason.as_bytes())
}

/// Tandem's permission-granted message with `reason` (`[2, 1, varString]`).
pub fn encode_permission_granted(reason: &str) -> Vec<u8> {
    frame(MSG_AUTH, Some(AUTH_PERMISSION_GRANTED), reason.as_bytes())
}

/// An awareness frame with no entries: a harmless keepalive every client accepts.
pub fn encode_keepalive() -> Vec<u8> {
    encode_awareness(&[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_denied_bytes_match_y_protocols_auth() {
        let frame = encode_permission_denied("read-only");
        assert_eq!(&frame[..3], [2, 0, 9]);
        assert_eq!(&frame[3..], b"read-only");
        assert_eq!(Inbound::decode(&frame), Ok(Inbound::Auth(AUTH_PERMISSION_DENIED)));
        let granted = encode_permission_granted("read-write");
        assert_eq!(Inbound::decode(&granted), Ok(Inbound::Auth(AUTH_PERMISSION_GRANTED)));
    }

    #[test]
    fn empty_document_handshake_bytes_match_yjs() {
        assert_eq!(encode_sync_step1(&[0]), [0, 0, 1, 0]);
        assert_eq!(encode_sync_step2(&[0, 0]), [0, 1, 2, 0, 0]);
    }

    #[test]
    fn decode_round_trips_every_message() {
        let cases: Vec<(Vec<u8>, Inbound<'static>)> = vec![
            (encode_sync_step1(&[1, 2]), Inbound::SyncStep1(&[1, 2])),
            (encode_sync_step2(&[3]), Inbound::SyncStep2(&[3])),
            (encode_update(&[4, 5]), Inbound::Update(&[4, 5])),
            (encode_awareness(&[0]), Inbound::Awareness(&[0])),
            (vec![3], Inbound::QueryAwareness),
            (encode_sync_status(&[7]), Inbound::SyncStatus(&[7])),
        ];
        for (bytes, expected) in &cases {
            assert_eq!(Inbound::decode(bytes).as_ref(), Ok(expected));
        }
    }

    #[test]
    fn decode_rejects_bad_frames() {
        assert!(matches!(Inbound::decode(&[]), Err(ProtocolError::Malformed(_))));
        assert_eq!(Inbound::decode(&[9]), Err(ProtocolError::UnknownTag(9)));
        assert_eq!(Inbound::decode(&[0, 7, 0]), Err(ProtocolError::UnknownSyncTag(7)));
        assert!(matches!(Inbound::decode(&[0, 2, 5, 1]), Err(ProtocolError::Malformed(_))));
        assert_eq!(Inbound::decode(&[0, 2, 0, 9, 9]), Err(ProtocolError::TrailingBytes(2)));
    }
}
