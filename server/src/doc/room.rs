//! A room: one loaded document, its connections, and its write-through to storage.

use tandem_sync::doc_core::{CoreError, DocCore, Rights};
use crate::metrics::Metrics;
use crate::doc::queue::{ConnId, Outbound, ConnHandle};
use tandem_sync::close;
use crate::doc::Listing;
use crate::doc::relay::Relay;
use crate::doc::usage::StoreUsage;
use crate::store::{ChainEnd, Headline, NewSnapshot, NewVersion, Seq, Store, VersionKind};
use tandem_sync::DocId;
use bytes::Bytes;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;
use tandem_sync::history;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Compact the log into a snapshot after this many appended updates.
const COMPACT_AFTER_UPDATES: usize = 1000;
/// Compact the log into a snapshot once it holds this many bytes.
const COMPACT_AFTER_BYTES: usize = 4 << 20;

/// A connection as its room sees it.
struct Member {
    peer: ConnHandle,
    /// Awareness client ids this connection introduced; removed when it leaves.
    awareness_ids: HashSet<u64>,
    /// The store seq an ack on this connection waits for: its last update's,
    /// or, before it sent one, the document's when it joined.
    last_seq: Seq,
    /// Whether its updates are applied; changed in place when its access changes.
    rights: Rights,
    /// Who it is, for the authors of the next version.
    author: Arc<str>,
}

struct RoomState {
    core: DocCore,
    /// The title as last announced to the workspace listing.
    title: String,
    /// Whether the document is stored (listed); a new one is once it gets content.
    exists: bool,
    members: HashMap<ConnId, Member>,
    /// The highest seq queued for this document; a snapshot taken now covers it.
    last_seq: Seq,
    /// Log entries and bytes since the last snapshot.
    log_len: usize,
    log_bytes: usize,
    /// Set when the document failed in memory: it takes no more messages and is not compacted.
    poisoned: bool,
    /// What the next version continues from, and what changed since the last one.
    history: History,
}

/// The document's history as the room keeps it between versions.
#[derive(Default)]
struct History {
    /// The last version's state vector; `None` before the first version.
    base: Option<Vec<u8>>,
    /// Versions stored as changes since the last checkpoint, and their bytes.
    since_checkpoint: u32,
    delta_bytes: u64,
    /// Who changed the document since the last version.
    authors: BTreeSet<Arc<str>>,
    /// When it first and last changed since the last version (`None`: unchanged).
    changed: Option<(Instant, Instant)>,
}

/// Where a document stood in storage when it was loaded.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// The highest seq queued for the document so far (a snapshot taken now covers it).
    pub last_seq: Seq,
    /// Log entries after the snapshot.
    pub log_len: usize,
    /// Bytes in the log after the snapshot.
    pub log_bytes: usize,
    /// Whether the document exists in storage.
    pub exists: bool,
    /// Where its chain of versions ends, if it has versions.
    pub chain: Option<ChainEnd>,
}

/// What a room reports to, shared by every room.
#[derive(Clone)]
pub struct Reporting {
    /// The workspace listing: told when the document appears or is renamed.
    pub listing: Listing,
    /// The server's metrics.
    pub metrics: Arc<Metrics>,
    /// The store's content size, against its limit.
    pub usage: Arc<StoreUsage>,
    /// The other nodes, in the clustered mode.
    pub relay: Option<Relay>,
}

/// One loaded document, owned here and nowhere else.
pub struct Room {
    id: DocId,
    store: Arc<dyn Store>,
    listing: Listing,
    metrics: Arc<Metrics>,
    usage: Arc<StoreUsage>,
    /// The other nodes (clustered mode): what this node's clients change is
    /// relayed to them. (Its snapshots may lack another node's newest
    /// updates: the store folds away only the log rows a snapshot holds.)
    relay: Option<Relay>,
    /// Set until the first reading of the database once the room is
    /// registered (clustered mode: what other nodes committed meanwhile).
    catch_up_due: std::sync::atomic::AtomicBool,
    /// std mutex: held only for in-memory work (apply, encode, queue pushes),
    /// never across `.await`, so one slow connection never stalls the others.
    state: Mutex<RoomState>,
}

/// The sender must be disconnected: why, and with which close code.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct Rejected {
    /// The close code for the sender.
    pub code: u16,
    /// The close reason for the sender: a fixed phrase, no detail.
    pub reason: &'static str,
    /// What was wrong.
    pub error: CoreError,
}

impl Room {
    /// A room for a document rebuilt from storage; it tells the listing when the
    /// document appears in the workspace or its title changes.
    pub fn new(id: DocId, store: Arc<dyn Store>, core: DocCore, stored: Stored, reporting: Reporting) -> Self {
        let state = RoomState {
            title: tandem_sync::document::title(core.doc()),
            core,
            exists: stored.exists,
            members: HashMap::new(),
            last_seq: stored.last_seq,
            log_len: stored.log_len,
            log_bytes: stored.log_bytes,
            poisoned: false,
            history: History {
                since_checkpoint: stored.chain.as_ref().map_or(0, |c| c.since_checkpoint),
                delta_bytes: stored.chain.as_ref().map_or(0, |c| c.bytes_since_checkpoint),
                base: stored.chain.map(|c| c.state_vector),
                ..History::default()
            },
        };
        let Reporting { listing, metrics, usage, relay } = reporting;
        let catch_up_due = std::sync::atomic::AtomicBool::new(relay.is_some());
        Room { id, store, listing, metrics, usage, relay, catch_up_due, state: Mutex::new(state) }
    }

    /// The document id.
    pub fn id(&self) -> &DocId {
        &self.id
    }

    /// The metrics this room and its connections record into.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The store this room writes to.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    fn lock(&self) -> MutexGuard<'_, RoomState> {
        // A panic under this lock cannot leave it half-done: the CRDT work is
        // guarded by `catch_unwind` in the core, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a connection with `rights`: it receives our `SyncStep1` and every
    /// awareness state first (and, if it may only read, the permission-denied
    /// message), then every later broadcast, in one step so nothing slips between.
    pub fn join(&self, conn: ConnId, peer: ConnHandle, rights: Rights, author: Arc<str>) -> bool {
        let mut st = self.lock();
        if st.poisoned {
            return false;
        }
        for frame in st.core.greeting() {
            let _ = peer.frame(frame);
        }
        if rights == Rights::Read {
            let _ = peer.frame(rights_frame(rights));
        }
        // Acks start from everything queued so far: a reconnecting client may
        // have sent part of it on its earlier connection, and an ack it gets
        // here must cover that too.
        let last_seq = st.last_seq;
        st.members.insert(conn, Member { peer, awareness_ids: HashSet::new(), last_seq, rights, author });
        true
    }

    /// Changes a connection's rights in place and tells it (permission denied
    /// or granted); updates it sends from now on are handled accordingly.
    pub fn set_rights(&self, conn: ConnId, rights: Rights) {
        let mut st = self.lock();
        if let Some(member) = st.members.get_mut(&conn).filter(|m| m.rights != rights) {
            member.rights = rights;
            let _ = member.peer.frame(rights_frame(rights));
        }
    }

    /// Closes every connection with `code` and `reason` (the document stays usable).
    pub fn close_all(&self, code: u16, reason: &'static str) {
        for member in self.lock().members.values() {
            member.peer.close(code, reason);
        }
    }

    /// Takes the document out of service (deleted for good): every connection is
    /// closed with `code`, and the room takes no more messages and writes
    /// nothing more, not even when it unloads.
    pub fn retire(&self, code: u16, reason: &'static str) {
        let mut st = self.lock();
        st.poisoned = true;
        for member in st.members.values() {
            member.peer.close(code, reason);
        }
    }

    /// Closes one connection with `code` and `reason`.
    pub fn close_member(&self, conn: ConnId, code: u16, reason: &'static str) {
        if let Some(member) = self.lock().members.get(&conn) {
            member.peer.close(code, reason);
        }
    }

    /// Removes a connection and tells the others that its awareness states are gone.
    pub fn leave(&self, conn: ConnId) {
        let mut st = self.lock();
        if let Some(member) = st.members.remove(&conn) {
            let ids: Vec<u64> = member.awareness_ids.into_iter().collect();
            if let Some(frame) = st.core.remove_awareness(&ids) {
                self.share(&mut st, None, frame, None);
            }
        }
    }

    /// Handles one frame from `conn`.
    pub fn handle(&self, conn: ConnId, frame: &Bytes) -> Result<(), Rejected> {
        let mut st = self.lock();
        if st.poisoned {
            return Err(Rejected { code: close::INTERNAL_ERROR, reason: "internal error", error: CoreError::Panicked });
        }
        let started = Instant::now();
        let rights = st.members.get(&conn).map_or(Rights::Read, |m| m.rights);
        if rights == Rights::Write && over_store_limit(&self.usage, frame) {
            self.metrics.limit_exceeded("store_bytes");
            let (code, reason) = CoreError::DocTooLarge { limit: 0 }.close_reason();
            return Err(Rejected { code, reason, error: CoreError::DocTooLarge { limit: 0 } });
        }
        let out = st.core.handle_as(conn.0, rights, frame).map_err(|e| self.reject(&mut st, e))?;
        if out.persist.is_some() {
            self.metrics.update_apply.observe(started.elapsed());
        }
        // The author is looked up only for an update that changed the document.
        let seq = out.persist.map(|update| {
            let author = st.members.get(&conn).map(|m| m.author.clone());
            self.persist(&mut st, update, author)
        });
        let Some(member) = st.members.get_mut(&conn) else { return Ok(()) };
        member.last_seq = seq.unwrap_or(member.last_seq);
        member.awareness_ids.extend(&out.awareness.set);
        for id in &out.awareness.cleared {
            member.awareness_ids.remove(id);
        }
        let (peer, last_seq) = (member.peer.clone(), member.last_seq);
        for reply in out.reply {
            let _ = peer.frame(reply);
        }
        if let Some(ack) = out.ack {
            let _ = peer.send(Outbound::AckAfter(last_seq, ack));
        }
        if let Some(frame) = out.broadcast {
            self.share(&mut st, Some(conn), frame, seq);
        }
        Ok(())
    }

    /// Sends `frame` to every connection but `except`, and to the other
    /// nodes: at once (awareness), or once `seq` is durable (an update).
    fn share(&self, st: &mut RoomState, except: Option<ConnId>, frame: Bytes, seq: Option<Seq>) {
        if let Some(relay) = &self.relay {
            match seq {
                Some(seq) => relay.update(&self.id, seq, frame.clone()),
                None => relay.awareness(&self.id, frame.clone()),
            }
        }
        broadcast(st, except, frame);
    }

    /// Handles a frame another node relayed (clustered mode): applied and
    /// sent to every connection here, not stored (its node stored it).
    pub fn relayed(&self, node: u64, frame: &Bytes) {
        let mut st = self.lock();
        if st.poisoned {
            return;
        }
        match st.core.handle_as(node, Rights::Write, frame) {
            Ok(out) => {
                if let Some(frame) = out.broadcast {
                    broadcast(&mut st, None, frame);
                }
                self.announce(&mut st);
            }
            Err(error) => tracing::warn!(doc = %self.id, %error, "a frame relayed by another node was refused"),
        }
    }

    /// Applies the document as stored (clustered mode: what other nodes
    /// committed, read from the database) and sends this node's connections
    /// what they lack, as one update.
    pub fn catch_up(&self, stored: &[Vec<u8>]) {
        let mut st = self.lock();
        if st.poisoned {
            return;
        }
        use yrs::{ReadTxn, Transact};
        let before = st.core.doc().transact().state_vector();
        for update in stored {
            if let Err(error) = st.core.apply(update) {
                tracing::warn!(doc = %self.id, %error, "a stored update did not apply while catching up");
            }
        }
        let missing = st.core.doc().transact().encode_state_as_update_v1(&before);
        // An update with nothing in it encodes as two zero bytes.
        if missing != [0, 0] {
            broadcast(&mut st, None, Bytes::from(tandem_sync::protocol::encode_update(&missing)));
            self.announce(&mut st);
        }
    }

    /// Drops the carets and presence of another node's clients (clustered
    /// mode: that node stopped answering), telling this node's connections.
    pub fn forget_node(&self, node: u64) {
        let mut st = self.lock();
        if let Some(frame) = st.core.remove_awareness_of(node) {
            broadcast(&mut st, None, frame);
        }
    }

    /// Whether the database should be read once more now that the room is
    /// registered (clustered mode; `true` once).
    pub fn take_catch_up(&self) -> bool {
        self.catch_up_due.swap(false, std::sync::atomic::Ordering::AcqRel)
    }

    /// Applies an update by `author` that arrived outside a WebSocket (the
    /// HTTP API, a restore) and relays it to every connection. Returns the seq
    /// to wait for durability.
    pub fn apply_update(&self, update: &[u8], author: Arc<str>) -> Result<Seq, CoreError> {
        let mut st = self.lock();
        if st.poisoned {
            return Err(CoreError::Panicked);
        }
        let started = Instant::now();
        if !st.core.apply_limited(update).map_err(|e| self.reject(&mut st, e).error)? {
            return Ok(st.last_seq);
        }
        self.metrics.update_apply.observe(started.elapsed());
        let seq = self.persist(&mut st, Bytes::copy_from_slice(update), Some(author));
        let frame = Bytes::from(tandem_sync::protocol::encode_update(update));
        self.share(&mut st, None, frame, Some(seq));
        Ok(seq)
    }

    /// Reads the document under the room's lock.
    pub fn read<T>(&self, f: impl FnOnce(&DocCore) -> T) -> T {
        f(&self.lock().core)
    }

    /// Queues a version if the document changed since the last one, and a
    /// snapshot if the log has grown since the last one. Called when the room
    /// unloads (the last person left); returns the seq that makes it durable.
    /// While the store takes no writes, neither is queued: the log holds every
    /// update, and the next version covers these changes too.
    pub fn flush(&self) -> Seq {
        let mut st = self.lock();
        if st.poisoned || !self.store_takes_writes() {
            return self.store.last_queued();
        }
        self.record(&mut st, VersionKind::Auto, None);
        if st.log_len > 0 {
            self.compact(&mut st);
        }
        self.store.last_queued()
    }

    /// Whether the store takes new writes now (see [`crate::store::Intake`]).
    fn store_takes_writes(&self) -> bool {
        self.store.intake().borrow().takes_writes()
    }

    /// Queues a version of the document as it is now: always for a named,
    /// restore or import version, for an automatic one only if the document
    /// changed since the last version. Returns its id (and durability seq).
    pub fn record_version(&self, kind: VersionKind, label: Option<String>) -> Option<Seq> {
        let mut st = self.lock();
        if st.poisoned {
            return None;
        }
        self.record(&mut st, kind, label)
    }

    /// Whether an automatic version is due at `now`: the document changed
    /// and editing paused for `idle`, or has gone on for `interval`.
    pub fn version_due(&self, now: Instant, idle: Duration, interval: Duration) -> bool {
        let st = self.lock();
        st.history.changed.is_some_and(|(first, last)| now - last >= idle || now - first >= interval)
    }

    fn record(&self, st: &mut RoomState, kind: VersionKind, label: Option<String>) -> Option<Seq> {
        if kind == VersionKind::Auto && (st.history.changed.is_none() || !self.store_takes_writes()) {
            return None;
        }
        let h = &st.history;
        let checkpoint = history::checkpoint_due(h.since_checkpoint, h.delta_bytes, st.core.size() as u64);
        let recorded = history::record(st.core.doc(), st.history.base.as_deref(), checkpoint);
        st.history.delta_bytes = if recorded.checkpoint { 0 } else { st.history.delta_bytes + recorded.data.len() as u64 };
        let authors = std::mem::take(&mut st.history.authors).iter().map(|a| a.to_string()).collect();
        st.history.since_checkpoint = if recorded.checkpoint { 0 } else { st.history.since_checkpoint + 1 };
        st.history.base = Some(recorded.state_vector.clone());
        st.history.changed = None;
        Some(self.store.add_version(&self.id, NewVersion { kind, label, authors, recorded }))
    }

    fn persist(&self, st: &mut RoomState, update: Bytes, author: Option<Arc<str>>) -> Seq {
        let now = Instant::now();
        st.history.changed = Some(st.history.changed.map_or((now, now), |(first, _)| (first, now)));
        st.history.authors.extend(author);
        st.log_len += 1;
        st.log_bytes += update.len();
        self.usage.grew(update.len() as u64);
        st.last_seq = self.store.append(&self.id, update);
        // While the store takes no writes, no snapshot is queued: it would be
        // a whole document per few MiB of log, piling up in memory. The log
        // still holds everything; the next update after recovery compacts.
        if (st.log_len >= COMPACT_AFTER_UPDATES || st.log_bytes >= COMPACT_AFTER_BYTES) && self.store_takes_writes() {
            self.compact(st);
        }
        self.announce(st);
        st.last_seq
    }

    /// Tells the workspace listing when this document first appears or is renamed.
    fn announce(&self, st: &mut RoomState) {
        let title = tandem_sync::document::title(st.core.doc());
        if !st.exists || title != st.title {
            st.exists = true;
            st.title = title;
            self.listing.changed();
        }
    }

    fn compact(&self, st: &mut RoomState) {
        let snapshot = NewSnapshot::of(st.core.doc());
        self.store.compact(&self.id, snapshot, st.last_seq, Headline::of(st.core.doc()));
        st.log_len = 0;
        st.log_bytes = 0;
    }

    fn reject(&self, st: &mut RoomState, error: CoreError) -> Rejected {
        match &error {
            CoreError::DocTooLarge { .. } => self.metrics.limit_exceeded("doc_bytes"),
            CoreError::AwarenessTooLarge { .. } => self.metrics.limit_exceeded("awareness_bytes"),
            CoreError::Panicked | CoreError::PartlyApplied(_) => {
                tracing::error!(doc = %self.id, error = %error, "document failed in memory; closing its connections to reload it");
                st.poisoned = true;
                for member in st.members.values() {
                    member.peer.close(close::INTERNAL_ERROR, "document failed; reconnect");
                }
            }
            _ => {}
        }
        let (code, reason) = error.close_reason();
        Rejected { code, reason, error }
    }
}

/// What tells a connection it now has `rights`.
fn rights_frame(rights: Rights) -> Bytes {
    use tandem_sync::{doc_core::READ_ONLY, protocol};
    match rights {
        Rights::Read => Bytes::from(protocol::encode_permission_denied(READ_ONLY)),
        Rights::Write => Bytes::from(protocol::encode_permission_granted("read-write")),
    }
}

/// Sends `frame` to every member but `except`. Members whose queue overflows
/// are closed (1013) and removed, and their awareness removal is broadcast too.
fn broadcast(st: &mut RoomState, except: Option<ConnId>, frame: Bytes) {
    let mut pending = vec![(except, frame)];
    while let Some((except, frame)) = pending.pop() {
        let dropped: Vec<ConnId> = st
            .members
            .iter()
            .filter(|(id, m)| Some(**id) != except && m.peer.frame(frame.clone()).is_err())
            .map(|(id, _)| *id)
            .collect();
        for id in dropped {
            if let Some(member) = st.members.remove(&id) {
                let ids: Vec<u64> = member.awareness_ids.into_iter().collect();
                pending.extend(st.core.remove_awareness(&ids).map(|f| (None, f)));
            }
        }
    }
}

/// Whether `frame` carries an update the store has no room for (an empty
/// update, as a client with nothing new sends, always passes). Like an update
/// over the document's limit, it is refused whether or not it is new.
fn over_store_limit(usage: &StoreUsage, frame: &[u8]) -> bool {
    use tandem_sync::protocol::Inbound;
    if usage.limit().is_none() {
        return false;
    }
    match Inbound::decode(frame) {
        Ok(Inbound::SyncStep2(update) | Inbound::Update(update)) => {
            update != [0, 0] && usage.would_exceed(update.len() as u64)
        }
        _ => false,
    }
}
