//! In-memory replicas: a [`SessionCore`] with a journal, an outbox and the
//! page's states, as the browser's shell would keep them; and a network
//! that carries their frames through the server's [`DocCore`], holding each
//! acknowledgement until the test declares a durable point.

use crate::DocCore;
use crate::document::{self, CONTENT};
use crate::protocol::{self, Inbound};
use crate::session::{Effect, LinkState, SaveState, SessionCore, is_local};
use bytes::Bytes;
use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use yrs::sync::{Awareness, AwarenessUpdate};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Text, Transact};

/// Transaction origin of a replica's own edits.
const LOCAL: &str = "local";

/// One browser page: the core and what the shell would do with its effects.
pub struct Replica {
    /// The page's document.
    pub doc: Doc,
    /// The core under test.
    pub core: SessionCore,
    /// The journal's records, oldest first.
    pub journal: VecDeque<Vec<u8>>,
    /// Frames sent and not yet carried to the server.
    pub outbox: Vec<Vec<u8>>,
    /// The last saving state reported.
    pub save: Option<SaveState>,
    /// The last connection state reported.
    pub link: Option<LinkState>,
    /// Whether the document was received.
    pub synced: bool,
    /// Whether the core last said the connection may not write.
    pub read_only: bool,
    /// Whether a flush is scheduled for the next frame.
    pub flush_due: bool,
    /// Whether the shell holds a socket.
    pub socket: bool,
    /// The last retry delay asked for.
    pub retry: Option<Duration>,
    /// Journal records forgotten so far.
    pub forgotten: usize,
    /// Warnings logged.
    pub warnings: Vec<String>,
    /// The awareness state this page announces (as the shell's would: who, and the caret).
    pub presence: String,
    /// Everyone's awareness states as this page knows them (ours is the core's).
    pub peers: Awareness,
    /// Local updates the document's observer saw (it must be `Send` on the
    /// host, where the server's build makes yrs require it).
    local: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Replica {
    /// A page with an empty document, not connected.
    pub fn new() -> Self {
        let doc = document::new_doc();
        let local = Arc::new(Mutex::new(Vec::new()));
        let seen = local.clone();
        doc.observe_update_v1("test-local", move |txn, event| {
            if is_local(txn.origin()) {
                seen.lock().unwrap().push(event.update.clone());
            }
        })
        .unwrap();
        let core = SessionCore::new(doc.clone());
        let presence = format!(r#"{{"user":{{"name":"page {}"}}}}"#, doc.client_id().get());
        Replica {
            peers: Awareness::new(doc.clone()),
            presence,
            doc,
            core,
            journal: VecDeque::new(),
            outbox: Vec::new(),
            save: None,
            link: None,
            synced: false,
            read_only: false,
            flush_due: false,
            socket: false,
            retry: None,
            forgotten: 0,
            warnings: Vec::new(),
            local,
        }
    }

    /// Types `text` at `index` of the body, as the person would.
    pub fn type_at(&mut self, index: u32, text: &str) {
        let body = self.doc.get_or_insert_text(CONTENT);
        body.insert(&mut self.doc.transact_mut_with(LOCAL), index, text);
        let updates = std::mem::take(&mut *self.local.lock().unwrap());
        for update in updates {
            let effects = self.core.local_update(&update);
            self.run(effects);
        }
    }

    /// The journal opens and hands over `records` an earlier page kept.
    pub fn found(&mut self, records: Vec<Vec<u8>>) {
        self.journal.extend(records.iter().cloned());
        let effects = self.core.found(records);
        self.run(effects);
    }

    /// The body's text.
    pub fn body(&self) -> String {
        document::content(&self.doc)
    }

    /// Whether the connection is up.
    pub fn connected(&self) -> bool {
        self.link == Some(LinkState::Connected)
    }

    /// The browser's next animation frame.
    pub fn frame(&mut self) {
        if std::mem::take(&mut self.flush_due) {
            let effects = self.core.flush();
            self.run(effects);
        }
    }

    /// Takes in a frame from the server at `now`.
    pub fn receive(&mut self, frame: &[u8], now: f64) {
        let effects = self.core.receive(frame, now);
        self.run(effects);
    }

    /// Does what the core asks, as the shell does.
    pub fn run(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Open => self.socket = true,
                Effect::Close => self.socket = false,
                Effect::RetryIn(after) => self.retry = Some(after),
                Effect::Send(frame) => self.outbox.push(frame),
                Effect::Keep(update) => self.journal.push_back(update),
                Effect::Forget(n) => {
                    let n = n.min(self.journal.len());
                    self.journal.drain(..n);
                    self.forgotten += n;
                }
                Effect::FlushSoon => self.flush_due = true,
                Effect::Synced => self.synced = true,
                Effect::ReadOnly(read_only) => self.read_only = read_only,
                Effect::Link(link) => self.link = Some(link),
                Effect::Save(save) => self.save = Some(save),
                Effect::Warn(warning) => self.warnings.push(warning),
                Effect::Awareness(update) => {
                    let update = AwarenessUpdate::decode_v1(&update).expect("the server's awareness update decodes");
                    self.peers.apply_update(update).expect("it applies");
                }
                Effect::ForgetPeers => self.peers = Awareness::new(self.doc.clone()),
                Effect::PublishPresence => {
                    let effects = self.core.announce(&self.presence);
                    self.run(effects);
                }
                Effect::TextChanged => {}
            }
        }
    }
}

/// Replicas and the server between them.
pub struct Net {
    /// The server's document.
    pub server: DocCore,
    /// The pages.
    pub replicas: Vec<Replica>,
    /// Acknowledgements the server owes, by replica, sent at the next durable point.
    held: Vec<(usize, Bytes)>,
    /// The awareness client ids each page's connection introduced (the
    /// server removes their states when that connection closes).
    introduced: Vec<BTreeSet<u64>>,
    /// Which pages the server lets read only: it refuses their updates with
    /// a permission denied message (and still echoes their acknowledgement
    /// requests, as a server that has nothing of theirs left to store would).
    refused: Vec<bool>,
    /// The clock, in ms.
    pub now: f64,
}

impl Net {
    /// `n` pages of an empty document, none connected.
    pub fn new(n: usize) -> Self {
        let replicas = (0..n).map(|_| Replica::new()).collect();
        Net { server: DocCore::default(), replicas, held: Vec::new(), introduced: vec![BTreeSet::new(); n], refused: vec![false; n], now: 0.0 }
    }

    /// Connects page `i`: its socket opens and the server greets it; then
    /// every frame is carried until none is left.
    pub fn connect(&mut self, i: usize) {
        let now = self.now;
        let r = &mut self.replicas[i];
        let effects = r.core.connect(now);
        r.run(effects);
        assert!(r.socket, "the core asks for a socket");
        let effects = r.core.opened(now);
        r.run(effects);
        if self.refused[i] {
            r.receive(&protocol::encode_permission_denied("read-only"), now);
        }
        for frame in self.server.greeting() {
            self.replicas[i].receive(&frame, now);
        }
        self.pump();
    }

    /// The server lowers page `i` to read-only and tells it.
    pub fn lower(&mut self, i: usize) {
        self.refused[i] = true;
        let now = self.now;
        self.replicas[i].receive(&protocol::encode_permission_denied("read-only"), now);
        self.pump();
    }

    /// The server lets page `i` write again and tells it.
    pub fn raise(&mut self, i: usize) {
        self.refused[i] = false;
        let now = self.now;
        self.replicas[i].receive(&protocol::encode_permission_granted("read-write"), now);
        self.pump();
    }

    /// The server lets page `i` only read from now on, without telling it
    /// until it refuses one of its updates.
    pub fn refused_without_notice(&mut self, i: usize) {
        self.refused[i] = true;
    }

    /// The server lets page `i` write again without telling it (while it is disconnected).
    pub fn raise_quietly(&mut self, i: usize) {
        self.refused[i] = false;
    }

    /// Page `i` loses its connection (with the browser `online` or not);
    /// whatever the server owed that connection is lost with it, and the
    /// server removes the awareness states it introduced.
    pub fn drop_link(&mut self, i: usize, online: bool) {
        let r = &mut self.replicas[i];
        let effects = r.core.closed(online, 0.0);
        r.run(effects);
        r.outbox.clear();
        self.held.retain(|(to, _)| *to != i);
        self.server_closes(i);
    }

    /// The server closes page `i`'s connection as it would on noticing its
    /// end: it removes the awareness states that connection introduced and tells
    /// every connected page (a page that has already reconnected hears it too).
    pub fn server_closes(&mut self, i: usize) {
        let ids: Vec<u64> = std::mem::take(&mut self.introduced[i]).into_iter().collect();
        if let Some(frame) = self.server.remove_awareness(&ids) {
            let now = self.now;
            self.replicas.iter_mut().filter(|r| r.connected()).for_each(|r| r.receive(&frame, now));
        }
        self.pump();
    }

    /// The awareness state page `i` knows for page `j`, if any.
    pub fn presence_of(&self, i: usize, j: usize) -> Option<String> {
        let id = self.replicas[j].doc.client_id();
        self.replicas[i].peers.iter().find(|(c, _)| *c == id).and_then(|(_, s)| s.data.as_deref().map(str::to_owned))
    }

    /// Carries every frame sent to the server and everything it answers or
    /// relays, until no frame is left (acknowledgements wait for [`Net::commit`]).
    pub fn pump(&mut self) {
        while let Some(i) = self.replicas.iter().position(|r| !r.outbox.is_empty()) {
            for frame in std::mem::take(&mut self.replicas[i].outbox) {
                self.deliver(i, frame);
            }
        }
    }

    /// The server handles one frame from page `i`.
    fn deliver(&mut self, i: usize, frame: Vec<u8>) {
        let update = matches!(Inbound::decode(&frame), Ok(Inbound::Update(_) | Inbound::SyncStep2(_)));
        if self.refused[i] && update {
            let now = self.now;
            self.replicas[i].receive(&protocol::encode_permission_denied("read-only"), now);
            return;
        }
        let out = self.server.handle(&Bytes::from(frame)).expect("the server accepts the frame");
        self.introduced[i].extend(&out.awareness.set);
        let now = self.now;
        for reply in out.reply {
            self.replicas[i].receive(&reply, now);
        }
        if let Some(frame) = out.broadcast {
            for (_, r) in self.replicas.iter_mut().enumerate().filter(|(j, r)| *j != i && r.connected()) {
                r.receive(&frame, now);
            }
        }
        self.held.extend(out.ack.map(|ack| (i, ack)));
    }

    /// A durable point: everything the server has applied is stored, so it
    /// sends the acknowledgements it owes.
    pub fn commit(&mut self) {
        let now = self.now;
        for (i, ack) in std::mem::take(&mut self.held) {
            self.replicas[i].receive(&ack, now);
        }
        self.pump();
    }

    /// Every page's next animation frame.
    pub fn frame(&mut self) {
        self.replicas.iter_mut().for_each(Replica::frame);
    }

    /// The server's copy of the body.
    pub fn server_body(&self) -> String {
        document::content(self.server.doc())
    }
}
