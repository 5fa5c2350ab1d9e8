//! The open WebSocket connections in accounts mode, with who opened each:
//! what revocation reaches. Signing out, deleting an account or revoking a
//! token closes its sockets with 4401; losing access to a document closes
//! them with 4403; a role change turns a socket read-only or writable in place.

use super::caller::{Caller, Credential};
use super::notice::Notice;
use crate::doc::Room;
use crate::doc::queue::ConnId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use tandem_sync::close::{ACCESS_REMOVED, SIGNED_OUT};
use tandem_sync::doc_core::Rights;
use tandem_sync::{DocId, Role};


/// One open connection as revocation sees it.
struct Entry {
    doc: DocId,
    caller: Caller,
    /// Weak: the connection's own guard keeps the room loaded, not this registry.
    room: Weak<Room>,
}

/// Every connection opened in accounts mode.
#[derive(Default)]
pub struct Live {
    /// std mutex: held for map updates and scans, never across `.await`; a
    /// scan only collects the connections to act on, which are acted on after.
    conns: Mutex<HashMap<ConnId, Entry>>,
    /// Counts revocations and access changes, so that a connection admitted
    /// before one and registered after it can tell it must be checked again.
    epoch: AtomicU64,
    /// The other nodes (clustered mode; set once): told of every revocation.
    others: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Notice>>,
}

/// Keeps a connection registered while it lives.
pub struct Registered {
    live: Arc<Live>,
    conn: ConnId,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.live.lock().remove(&self.conn);
    }
}

impl Live {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConnId, Entry>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The count of revocations and access changes so far.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Counts a revocation or access change (before it is carried out).
    pub fn changed(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Registers connection `conn` of `caller` to `doc` in `room` until the guard drops.
    pub fn register(self: &Arc<Self>, conn: ConnId, doc: &DocId, caller: &Caller, room: &Arc<Room>) -> Registered {
        let entry = Entry { doc: doc.clone(), caller: caller.clone(), room: Arc::downgrade(room) };
        self.lock().insert(conn, entry);
        Registered { live: self.clone(), conn }
    }

    /// Tells the other nodes, from now on, of every revocation and of what
    /// `tell` is given (clustered mode). Set once.
    pub fn tell_others(&self, to: tokio::sync::mpsc::UnboundedSender<Notice>) {
        let _ = self.others.set(to);
    }

    /// Tells the other nodes `notice` (a no-op on a node alone).
    pub fn tell(&self, notice: Notice) {
        if let Some(others) = self.others.get() {
            let _ = others.send(notice);
        }
    }

    /// Closes with [`SIGNED_OUT`] every connection opened with credential `via`, on every node.
    pub fn revoke_credential(&self, via: &Credential) {
        self.close_credential(via);
        self.tell(Notice::SignedOut { credential: via.clone() });
    }

    /// Closes with [`SIGNED_OUT`] this node's connections opened with credential `via`.
    pub fn close_credential(&self, via: &Credential) {
        self.close_where(SIGNED_OUT, "signed out", |e| e.caller.member().is_some_and(|m| &m.via == via));
    }

    /// Closes with [`SIGNED_OUT`] every connection of `username`, on every node.
    pub fn revoke_user(&self, username: &str) {
        self.close_user(username);
        self.tell(Notice::UserDeleted { username: username.to_owned() });
    }

    /// Closes with [`SIGNED_OUT`] this node's connections of `username`.
    pub fn close_user(&self, username: &str) {
        self.close_where(SIGNED_OUT, "account deleted", |e| {
            e.caller.member().is_some_and(|m| m.username.eq_ignore_ascii_case(username))
        });
    }

    /// Closes with [`ACCESS_REMOVED`] every connection opened through share link `link`, on every node.
    pub fn revoke_link(&self, link: i64) {
        self.close_link(link);
        self.tell(Notice::LinkRevoked { link });
    }

    /// Closes with [`ACCESS_REMOVED`] this node's connections opened through share link `link`.
    pub fn close_link(&self, link: i64) {
        self.close_where(ACCESS_REMOVED, "link revoked", |e| matches!(e.caller, Caller::Guest { link: l, .. } if l == link));
    }

    /// The callers connected to `doc`, by connection.
    pub fn callers_of(&self, doc: &DocId) -> Vec<(ConnId, Caller)> {
        self.lock().iter().filter(|(_, e)| &e.doc == doc).map(|(id, e)| (*id, e.caller.clone())).collect()
    }

    /// Applies `role` (`None`: no access) to connection `conn`: closes it with
    /// [`ACCESS_REMOVED`], or makes it read-only or writable in place.
    pub fn apply(&self, conn: ConnId, role: Option<Role>) {
        let room = self.lock().get(&conn).and_then(|e| e.room.upgrade());
        let Some(room) = room else { return };
        match role {
            None => room.close_member(conn, ACCESS_REMOVED, "access removed"),
            Some(role) => room.set_rights(conn, if role.can_edit() { Rights::Write } else { Rights::Read }),
        }
    }

    /// Closes connection `conn` with `code` and `reason`.
    pub fn close(&self, conn: ConnId, code: u16, reason: &'static str) {
        let room = self.lock().get(&conn).and_then(|e| e.room.upgrade());
        if let Some(room) = room {
            room.close_member(conn, code, reason);
        }
    }

    fn close_where(&self, code: u16, reason: &'static str, matches: impl Fn(&Entry) -> bool) {
        self.changed();
        let targets: Vec<(ConnId, Arc<Room>)> = self
            .lock()
            .iter()
            .filter(|(_, e)| matches(e))
            .filter_map(|(id, e)| Some((*id, e.room.upgrade()?)))
            .collect();
        for (conn, room) in targets {
            room.close_member(conn, code, reason);
        }
    }
}
