//! The sync state of one open document in the browser, as a state machine:
//! events and frames in, [`Effect`]s out. No sockets, timers, storage or DOM
//! live here — the browser's session around it opens sockets, sets timers,
//! writes the journal and draws — and time and randomness are inputs, so the
//! whole of a session's sync behaviour is tested on the host against the
//! server's own `DocCore`.
//!
//! - [`link`]: the connection's life, the reconnect backoff, the silence rule.
//! - `durable`: acknowledgement requests and echoes, the unsaved flag, and
//!   which journal records the server has durably stored.
//! - `inbox`: remote updates applied once per frame, held during a composition.
//! - `presence`: the clock of this page's own awareness entry, so that others
//!   accept its announcements after a reconnect.
//! - `access`: whether the server lets this connection write; what was
//!   withheld while it did not is sent once it does.
//! - [`effect`]: what the core asks of the browser, and the states it reports.

pub mod effect;
pub mod link;

mod access;
mod durable;
mod inbox;
mod presence;
#[cfg(all(test, not(all(target_family = "wasm", target_os = "unknown"))))]
mod tests;

pub use effect::{Effect, LinkState, SaveState};

use crate::close;
use crate::protocol::{self, Inbound};
use access::Access;
use durable::Durable;
use inbox::Inbox;
use link::Link;
use presence::OwnPresence;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, Origin, ReadTxn, StateVector, Transact, Update};

/// Transaction origin of updates that came from the server.
pub const REMOTE: &str = "remote";
/// Transaction origin of edits an earlier page of this browser left unsynced.
pub const FOUND: &str = "found";

/// Whether a transaction of `origin` is a local edit to send (the core's own
/// transactions, [`REMOTE`] and [`FOUND`], are not).
pub fn is_local(origin: Option<&Origin>) -> bool {
    !origin.is_some_and(|o| o.as_ref() == REMOTE.as_bytes() || o.as_ref() == FOUND.as_bytes())
}

/// The sync state of one open document. Every method takes one event and
/// returns what to do about it, in order.
pub struct SessionCore {
    /// The document (a handle: the browser's fields and undo share it).
    doc: Doc,
    /// The socket's state, the backoff and the silence clock.
    link: Link,
    /// Acknowledgements, the unsaved flag and the journal's count.
    durable: Durable,
    /// Remote updates waiting for the next flush.
    inbox: Inbox,
    /// Our own awareness entry's clock.
    presence: OwnPresence,
    /// Whether the server lets this connection write.
    access: Access,
}

impl SessionCore {
    /// The core of a session editing `doc`, not yet connected.
    pub fn new(doc: Doc) -> Self {
        let presence = OwnPresence::new(doc.client_id());
        let access = Access::default();
        SessionCore { doc, link: Link::new(), durable: Durable::default(), inbox: Inbox::default(), presence, access }
    }

    /// The same core, read-only from the start (the page's role said so) until
    /// a connection's sync completes without the server restating it.
    pub fn presumed_read_only(self) -> Self {
        SessionCore { access: Access::presumed_read_only(), ..self }
    }

    /// Whether local changes are withheld because the server does not let
    /// this connection write. The page makes its fields read-only meanwhile.
    pub fn read_only(&self) -> bool {
        self.access.read_only()
    }

    /// Whether some local change is not yet acknowledged as durable.
    pub fn unsaved(&self) -> bool {
        self.durable.unsaved()
    }

    /// Connects at `now` (ms) unless a socket is open or opening.
    pub fn connect(&mut self, now: f64) -> Vec<Effect> {
        if self.link.connect(now) { vec![Effect::Open] } else { Vec::new() }
    }

    /// The socket asked for by [`Effect::Open`] could not be made; `jitter` is
    /// a random number in `[0, 1)`.
    pub fn open_failed(&mut self, jitter: f64) -> Vec<Effect> {
        vec![Effect::RetryIn(self.link.lost(jitter))]
    }

    /// The socket opened at `now`: greets the server.
    pub fn opened(&mut self, now: f64) -> Vec<Effect> {
        self.link.opened(now);
        self.access.opened();
        let sv = self.doc.transact().state_vector().encode_v1();
        let step1 = Effect::Send(protocol::encode_sync_step1(&sv));
        vec![Effect::Link(LinkState::Connected), step1, Effect::PublishPresence, self.save_state()]
    }

    /// The socket closed. `online` says whether the browser believes it is
    /// online; `jitter` is a random number in `[0, 1)`.
    pub fn closed(&mut self, online: bool, jitter: f64) -> Vec<Effect> {
        if self.link.is_ended() {
            return Vec::new();
        }
        let retry = self.link.lost(jitter);
        self.presence.lost();
        let link = if online { LinkState::Reconnecting } else { LinkState::Offline };
        vec![Effect::Close, Effect::ForgetPeers, Effect::Link(link), self.save_state(), Effect::RetryIn(retry)]
    }

    /// The socket closed with close `code`: as [`SessionCore::closed`], except
    /// for [`close::SIGNED_OUT`], [`close::ACCESS_REMOVED`] and
    /// [`close::DELETED`], after which the session never reconnects (the
    /// server would refuse it again).
    pub fn closed_with(&mut self, code: u16, online: bool, jitter: f64) -> Vec<Effect> {
        let state = match code {
            close::SIGNED_OUT => LinkState::SignedOut,
            close::ACCESS_REMOVED => LinkState::NoAccess,
            close::DELETED => LinkState::Deleted,
            _ => return self.closed(online, jitter),
        };
        self.link.end();
        self.presence.lost();
        vec![Effect::Close, Effect::ForgetPeers, Effect::Link(state), self.save_state()]
    }

    /// Closes a live socket at once (the browser went offline: a socket the
    /// network has left can take minutes to notice); as [`SessionCore::closed`].
    pub fn disconnect(&mut self, online: bool, jitter: f64) -> Vec<Effect> {
        if self.link.is_live() { self.closed(online, jitter) } else { Vec::new() }
    }

    /// A periodic check at `now`: replaces a socket that has been silent too long.
    pub fn tick(&mut self, now: f64, online: bool, jitter: f64) -> Vec<Effect> {
        if !self.link.is_silent(now) {
            return Vec::new();
        }
        let mut out = vec![Effect::Warn("the server has been silent too long; reconnecting".into())];
        out.extend(self.closed(online, jitter));
        out
    }

    /// Something other than a binary frame arrived at `now`: the server is alive.
    pub fn heard(&mut self, now: f64) {
        self.link.heard(now);
    }

    /// Takes in one frame from the server, received at `now`.
    pub fn receive(&mut self, frame: &[u8], now: f64) -> Vec<Effect> {
        self.link.heard(now);
        let mut out = Vec::new();
        match Inbound::decode(frame) {
            Ok(Inbound::SyncStep1(sv)) => self.answer_sync_step1(sv, &mut out),
            Ok(Inbound::SyncStep2(update)) => {
                // At once: the field becomes editable when it shows the document.
                self.defer(update, &mut out);
                out.extend(self.flush());
                out.push(Effect::Synced);
                if self.access.synced() {
                    self.allowed(&mut out);
                }
            }
            Ok(Inbound::Update(update)) => self.defer(update, &mut out),
            Ok(Inbound::SyncStatus(payload)) => self.acknowledged(payload, &mut out),
            Ok(Inbound::Awareness(update)) => {
                out.push(Effect::Awareness(update.to_vec()));
                if self.presence.overruled_by(update) {
                    out.push(Effect::PublishPresence);
                }
            }
            Ok(Inbound::Auth(protocol::AUTH_PERMISSION_DENIED)) => self.denied(&mut out),
            Ok(Inbound::Auth(protocol::AUTH_PERMISSION_GRANTED)) => {
                if self.access.granted() {
                    self.allowed(&mut out);
                }
            }
            Ok(_) => {}
            Err(e) => out.push(Effect::Warn(format!("ignoring a bad frame from the server: {e}"))),
        }
        out
    }

    /// Announces this person's presence, `state` (the awareness JSON: who, and
    /// where their caret is), if the socket is open. Every announcement is
    /// newer than all before it, across reconnects (see `presence`).
    pub fn announce(&mut self, state: &str) -> Vec<Effect> {
        let update = self.presence.announce(state);
        let mut out = Vec::new();
        self.send(protocol::encode_awareness(&update), &mut out);
        out
    }

    /// Keeps and sends a local update (the shell observes every local transaction).
    pub fn local_update(&mut self, update: &[u8]) -> Vec<Effect> {
        let mut out = vec![Effect::Keep(update.to_vec())];
        self.durable.kept(1);
        self.send_change(update, &mut out);
        out
    }

    /// Merges the edits an earlier page of this browser left unsynced (the
    /// journal's records found when it opened, now after this page's own), and sends them.
    pub fn found(&mut self, found: Vec<Vec<u8>>) -> Vec<Effect> {
        self.durable.kept(found.len());
        if found.is_empty() {
            return Vec::new();
        }
        let merged = match yrs::merge_updates_v1(found) {
            Ok(merged) => merged,
            Err(e) => return vec![Effect::Warn(format!("could not read the edits kept in this browser: {e}"))],
        };
        let Ok(update) = Update::decode_v1(&merged) else { return Vec::new() };
        let mut out = Vec::new();
        if let Err(e) = self.doc.transact_mut_with(FOUND).apply_update(update) {
            out.push(Effect::Warn(format!("could not merge the edits kept in this browser: {e}")));
        }
        out.push(Effect::TextChanged);
        // Until the server has them: on reconnect they go out with the sync.
        self.send_change(&merged, &mut out);
        out
    }

    /// An input method composition started in a field: remote updates wait.
    pub fn composition_started(&mut self) {
        self.inbox.set_composing(true);
    }

    /// The composition ended (its text already taken in): applies what waited.
    pub fn composition_ended(&mut self) -> Vec<Effect> {
        self.inbox.set_composing(false);
        self.flush()
    }

    /// Applies the remote updates held so far, in one transaction.
    pub fn flush(&mut self) -> Vec<Effect> {
        let held = self.inbox.take();
        if held.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        {
            let mut txn = self.doc.transact_mut_with(REMOTE);
            for update in held {
                let applied = Update::decode_v1(&update)
                    .map_err(|e| e.to_string())
                    .and_then(|u| txn.apply_update(u).map_err(|e| e.to_string()));
                if let Err(e) = applied {
                    out.push(Effect::Warn(format!("could not apply a remote update: {e}")));
                }
            }
        }
        out.push(Effect::TextChanged);
        out
    }

    /// Sends the server what it lacks, then asks for a durable acknowledgement of it.
    /// While read-only, the answer is withheld until writing is allowed.
    fn answer_sync_step1(&mut self, raw: &[u8], out: &mut Vec<Effect>) {
        let Ok(sv) = StateVector::decode_v1(raw) else { return };
        self.access.server_has(raw);
        if self.access.read_only() {
            return;
        }
        let diff = self.doc.transact().encode_state_as_update_v1(&sv);
        self.send(protocol::encode_sync_step2(&diff), out);
        if self.durable.unsaved() {
            let request = self.durable.request();
            self.send(request, out);
        }
    }

    /// The server refused to let this connection write: no local change is
    /// sent until it allows it again. An acknowledgement owed for changes sent
    /// before is void (the server may have refused them): their journal records stay.
    fn denied(&mut self, out: &mut Vec<Effect>) {
        self.durable.void();
        if self.access.denied() {
            out.push(Effect::ReadOnly(true));
        }
        out.push(self.save_state());
    }

    /// The connection may write again: sends what was withheld (everything the
    /// server may lack since its last `SyncStep1`) with a request for its acknowledgement.
    fn allowed(&mut self, out: &mut Vec<Effect>) {
        out.push(Effect::ReadOnly(false));
        if self.durable.unsaved() {
            let sv = self.access.server_sv().and_then(|sv| StateVector::decode_v1(sv).ok()).unwrap_or_default();
            let diff = self.doc.transact().encode_state_as_update_v1(&sv);
            if self.send(protocol::encode_update(&diff), out) {
                let request = self.durable.request();
                self.send(request, out);
            }
        }
        out.push(self.save_state());
    }

    /// Holds a remote update until the next flush.
    fn defer(&mut self, update: &[u8], out: &mut Vec<Effect>) {
        if self.inbox.push(update) {
            out.push(Effect::FlushSoon);
        }
    }

    /// Takes in an echoed sync-status request.
    fn acknowledged(&mut self, payload: &[u8], out: &mut Vec<Effect>) {
        if let Some(covered) = self.durable.acknowledged(payload) {
            out.push(Effect::Forget(covered));
            out.push(self.save_state());
        }
    }

    /// Notes a change the server lacks and sends it, with a request for its
    /// acknowledgement, if the socket is open (else the next sync catches up).
    /// While read-only, the change is only noted: it is sent once allowed.
    fn send_change(&mut self, update: &[u8], out: &mut Vec<Effect>) {
        self.durable.changed();
        if !self.access.read_only() && self.send(protocol::encode_update(update), out) {
            let request = self.durable.request();
            self.send(request, out);
        }
        out.push(self.save_state());
    }

    /// Sends `frame` if the socket is open; `false` otherwise.
    fn send(&self, frame: Vec<u8>, out: &mut Vec<Effect>) -> bool {
        let open = self.link.is_open();
        if open {
            out.push(Effect::Send(frame));
        }
        open
    }

    fn save_state(&self) -> Effect {
        if self.durable.unsaved() && self.access.read_only() {
            return Effect::Save(SaveState::Withheld);
        }
        Effect::Save(SaveState::of(self.durable.unsaved(), self.link.is_open()))
    }
}
