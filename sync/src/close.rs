//! WebSocket close codes Tandem sends (RFC 6455 §7.4.1). Which one a rejected
//! message earns is [`crate::doc_core::CoreError::close_reason`].

/// Why a connection is being closed: a close code and a short, fixed reason for the peer.
pub type CloseReason = (u16, &'static str);

/// The server is shutting down, or the peer was silent too long.
pub const GOING_AWAY: u16 = 1001;
/// The frame broke the protocol's framing.
pub const PROTOCOL_ERROR: u16 = 1002;
/// A text frame, an unknown message type, or a message a client must not send.
pub const UNSUPPORTED: u16 = 1003;
/// An update or awareness payload that does not decode or apply.
pub const INVALID_PAYLOAD: u16 = 1007;
/// A client that broke a rule of the server: no first message within the handshake timeout.
pub const POLICY: u16 = 1008;
/// A message, document, awareness state or early backlog over its configured cap.
pub const TOO_BIG: u16 = 1009;
/// The document could not be loaded or failed in memory.
pub const INTERNAL_ERROR: u16 = 1011;
/// The connection could not keep up with its outbound queue; reconnect to resync.
pub const TRY_AGAIN_LATER: u16 = 1013;

// Codes 4000-4999 are the application's own (RFC 6455 §7.4.2). Clients do not
// reconnect after either of these: trying again would be refused again.

/// The person was signed out, their account deleted, or the API token the
/// connection used was revoked.
pub const SIGNED_OUT: u16 = 4401;
/// The person's (or share link's) access to the document was removed, or the link revoked.
pub const ACCESS_REMOVED: u16 = 4403;
/// The document was deleted (moved to the trash). Clients must not reconnect.
pub const DELETED: u16 = 4404;
