//! The live session of an open document in the browser: a yrs document, the
//! WebSocket to the server, and the page's fields bound to the shared texts.
//! What the session does with frames and events — acknowledgements, the
//! journal's bookkeeping, deferred remote updates, reconnecting — is decided
//! by [`tandem_sync::session::SessionCore`]; the files here are the browser
//! around it.
//!
//! - [`effects`]: carries out what the core decides.
//! - [`hooks`]: the listeners and timers a session holds, let go of when it stops.
//! - [`socket`]: the WebSocket, its events fed to the core, and the silence watch.
//! - [`surface`]: the body's editing surface (CodeMirror) bound to the body text;
//!   [`field_events`] connects its hooks and the title's events to the session.
//! - [`binding`]: the title's input bound to the title text, keeping the selection.
//! - [`keys`]: undo and redo of one's own changes.
//! - [`paste`]: images pasted or dropped into the body, uploaded as attachments.
//! - [`presence`]: this person's name and color, and who else is here.
//! - [`carets`]: others' carets and selections, drawn by the surface.
//! - [`preview`]: the rendered Markdown, updated block by block, following the body's scrolling.
//! - [`journal`]: unsynced edits kept in the browser's IndexedDB across reloads.

mod binding;
mod carets;
mod effects;
mod field_events;
mod hooks;
mod journal;
mod keys;
mod paste;
mod presence;
mod preview;
mod socket;
mod surface;

pub use presence::{guest_user, local_user, member_user, saved_user};

use tandem_sync::DocId;
use crate::status::{ConnState, SaveState};
use binding::Binding;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use tandem_sync::session::{Effect, SessionCore};
use web_sys::HtmlInputElement;
use yrs::undo::{Options as UndoOptions, UndoManager};
use yrs::{Doc, Origin};

/// Transaction origin of this person's own edits (the only ones undo reverts).
const LOCAL: &str = "local";
/// Longest wait before the preview shows a change, in milliseconds.
const PREVIEW_MS: u64 = 120;
/// Edits closer together than this undo as one step.
const UNDO_CAPTURE_MS: u64 = 500;

/// The page state a session drives.
#[derive(Clone, Copy)]
pub struct Signals {
    /// The connection state.
    pub conn: RwSignal<ConnState>,
    /// The saving state.
    pub save: RwSignal<SaveState>,
    /// Whether every unsaved change is at least kept in this browser.
    pub kept: RwSignal<bool>,
    /// Whether the document has been received from the server at least once.
    pub synced: RwSignal<bool>,
    /// Whether the document is read-only here: the page's role said so at
    /// first, then the server does. The fields are read-only meanwhile.
    pub read_only: RwSignal<bool>,
    /// The document's title, live.
    pub title: RwSignal<String>,
    /// Whether the preview is shown (it is kept up to date only then).
    pub previewing: Signal<bool>,
    /// This person, as others see them.
    pub me: RwSignal<crate::presence::User>,
    /// Everyone else in the document.
    pub peers: RwSignal<Vec<crate::presence::Peer>>,
}

/// The page's fields a session binds.
pub struct Fields {
    /// Where the body's editing surface goes, in place of the server-rendered text.
    pub body: web_sys::Element,
    /// The server-rendered text, which the surface shows until the live one arrives.
    pub initial: String,
    /// The preview's element.
    pub preview: web_sys::Element,
    /// The title.
    pub title: HtmlInputElement,
    /// The presence bar, where others' badges follow this person's name.
    pub presence: web_sys::Element,
}

/// One open document. Lives until [`Session::stop`] (its event handlers hold it).
pub struct Session {
    /// This session, for callbacks scheduled from `&self`.
    me: std::rc::Weak<Session>,
    /// The document's id.
    id: String,
    /// The share link's token this session was opened with, if any: its
    /// uploads and the preview's images present it, as its socket does.
    link: Option<String>,
    url: String,
    doc: Doc,
    body: Rc<surface::Body>,
    /// The rendered body, when shown.
    preview: Rc<preview::Preview>,
    title: Rc<Binding>,
    /// A `RefCell` because undo and redo need `&mut`; borrowed only while
    /// undoing or redoing, and nothing that triggers (the document's
    /// observers) touches it.
    undo: RefCell<UndoManager<()>>,
    /// The socket, while one is open or opening (the core says when). A
    /// `RefCell` because opening and losing it replace it; borrowed only to
    /// send or to swap.
    socket: RefCell<Option<socket::Socket>>,
    signals: Signals,
    /// The sync state machine. A `RefCell` borrowed only while it decides
    /// (see [`Session::drive`]): the yrs observers that fire inside it — its
    /// own remote and found transactions — never reach it again, because the
    /// update observer skips those origins.
    core: RefCell<SessionCore>,
    /// This person's transactions not handed to the core yet: they reach it
    /// (sent, kept in the journal, counted) after the keystroke's paint, or
    /// before any other event reaches the core, whichever comes first. A
    /// `RefCell` taken whole when handed over.
    queued: RefCell<Vec<Vec<u8>>>,
    /// Unsynced edits, kept in the browser until the server has them.
    journal: Rc<journal::Journal>,
    /// Whether others' carets are to be placed at the next frame (a `Cell`:
    /// set and cleared through the shared session).
    carets_due: Cell<bool>,
    /// Counts this person's edits, so that only the last one's idle timer
    /// places carets ([`Session::place_carets_when_idle`]).
    carets_typed: Cell<u32>,
    /// This person's presence and everyone else's.
    presence: presence::Presence,
    /// The listeners and timers the session holds until it stops.
    hooks: hooks::Hooks,
}

impl Session {
    /// Starts the session of document `id` with the page's `fields`; over a
    /// share link's connection if `link` holds its token.
    pub fn start(id: &DocId, link: Option<&str>, fields: Fields, signals: Signals) -> Rc<Session> {
        let doc = tandem_sync::document::new_doc();
        let body_text = doc.get_or_insert_text(tandem_sync::document::CONTENT);
        let title_text = doc.get_or_insert_text(tandem_sync::document::TITLE);
        let undo = new_undo(&doc, &[&body_text, &title_text]);
        let title_el = fields.title.clone();
        let hooks = hooks::Hooks::default();
        // A write may finish after the page is left: the signal is then disposed, and left alone.
        let journal = journal::Journal::new(id.as_str(), move |kept| {
            if signals.kept.try_get_untracked().is_some_and(|was| was != kept) {
                signals.kept.set(kept);
            }
        });
        let session = Rc::new_cyclic(|me| Session {
            me: me.clone(),
            id: id.as_str().to_owned(),
            link: link.map(str::to_owned),
            url: socket_url(id, link),
            body: surface::Body::new(&fields.body, &fields.initial, &field_events::surface_hooks(me, &hooks), body_text, preview_feed(me.clone())),
            preview: preview::Preview::new(fields.preview, &fields.initial, link, {
                // The block to scroll to may have come late.
                let me = me.clone();
                Box::new(move || if let Some(me) = me.upgrade().filter(|me| !me.hooks.stopped()) { me.scroll_preview() })
            }),
            title: Binding::new(fields.title, title_text, Box::new(move |value| signals.title.set(value()))),
            presence: presence::Presence::new(&doc, fields.presence),
            core: RefCell::new(new_core(&doc, signals.read_only.get_untracked())),
            queued: RefCell::new(Vec::new()),
            doc,
            undo: RefCell::new(undo),
            socket: RefCell::new(None),
            signals,
            journal,
            carets_due: Cell::new(false),
            carets_typed: Cell::new(0),
            hooks,
        });
        session.observe_local_updates();
        let me = session.clone();
        session.journal.open(move |found| me.drive(|core| core.found(found)));
        session.update_editable();
        session.listen_title(&title_el);
        session.bind_keys(&title_el);
        session.connect();
        session.watch_silence();
        session.keep_presence_alive();
        session.follow_the_network();
        session.follow_with_preview();
        let me = session.clone();
        session.hooks.listen(&window(), "beforeunload", move |ev| {
            me.hand_over_queued();
            if me.core.borrow().unsaved() {
                ev.prevent_default();
            }
        });
        // A page going out of sight paints no frame for the queue to wait for.
        for (target, event) in [(web_sys::EventTarget::from(document()), "visibilitychange"), (web_sys::EventTarget::from(window()), "pagehide")] {
            let me = session.clone();
            session.hooks.listen(&target, event, move |_| me.hand_over_queued());
        }
        session
    }

    /// Stops the session for good (its page is being left): closes the socket
    /// and lets go of every listener and timer, so that nothing it scheduled
    /// touches the page's state, which is disposed with the page. Edits the
    /// server has not acknowledged stay in the journal for the next visit.
    pub fn stop(&self) {
        self.hand_over_queued();
        self.hooks.stop();
        self.drop_socket();
        self.body.surface().destroy();
    }

    /// Runs a toolbar action on the body (`bold`, `italic`, `link`).
    pub fn format(&self, action: &str) {
        self.body.surface().command(action);
    }

    /// Hands the core one event and carries out what it decides. The core is
    /// borrowed only while it decides, so the effects may call back into it.
    /// Once stopped, the session ignores every event (a timer or a storage write that finishes late).
    /// This person's queued transactions go first.
    fn drive(&self, step: impl FnOnce(&mut SessionCore) -> Vec<Effect>) {
        self.hand_over_queued();
        self.drive_now(step);
    }

    /// [`Session::drive`] without handing over the queue first.
    fn drive_now(&self, step: impl FnOnce(&mut SessionCore) -> Vec<Effect>) {
        if self.hooks.stopped() {
            return;
        }
        let effects = step(&mut self.core.borrow_mut());
        self.carry_out(effects);
    }

    /// Hands this person's queued transactions to the core, in order.
    fn hand_over_queued(&self) {
        let queued = self.queued.take();
        for update in queued {
            self.drive_now(|core| core.local_update(&update));
        }
    }

    /// Queues every local transaction (edits, undo, redo) for the core, and
    /// hands the queue over after the next paint: sending, keeping and
    /// counting an edit need not delay the frame that shows it.
    fn observe_local_updates(self: &Rc<Self>) {
        let me = Rc::downgrade(self);
        let observed = self.doc.observe_update_v1("tandem-local", move |txn, event| {
            if let (true, Some(me)) = (tandem_sync::session::is_local(txn.origin()), me.upgrade()) {
                let first = me.queued.borrow().is_empty();
                me.queued.borrow_mut().push(event.update.clone());
                if first {
                    let me = Rc::downgrade(&me);
                    field_events::after_paint(move || if let Some(me) = me.upgrade() { me.hand_over_queued() });
                }
            }
        });
        if observed.is_err() {
            leptos::logging::error!("could not observe document updates");
        }
    }

    fn undo(&self) {
        self.body.undoing(|| {
            self.undo.borrow_mut().undo_blocking();
        });
        self.place_carets();
        self.publish_cursor();
    }

    fn redo(&self) {
        self.body.undoing(|| {
            self.undo.borrow_mut().redo_blocking();
        });
        self.place_carets();
        self.publish_cursor();
    }
}

/// An undo manager of this person's own edits to `texts`, grouping edits
/// closer together than [`UNDO_CAPTURE_MS`].
fn new_undo(doc: &Doc, texts: &[&yrs::TextRef]) -> UndoManager<()> {
    let mut undo = UndoManager::with_options(UndoOptions {
        capture_timeout_millis: UNDO_CAPTURE_MS,
        tracked_origins: Default::default(),
        capture_transaction: None,
        timestamp: Arc::new(|| js_sys::Date::now() as u64),
        init_undo_stack: Vec::new(),
        init_redo_stack: Vec::new(),
    });
    for text in texts {
        undo.expand_scope(doc, *text);
    }
    undo.include_origin(Origin::from(LOCAL));
    undo
}

/// Shows the body's changes in the preview at most every [`PREVIEW_MS`], so
/// that typing in a large document does not render it on every keystroke.
fn preview_feed(me: std::rc::Weak<Session>) -> binding::OnChange {
    let due = Rc::new(Cell::new(false));
    Box::new(move |_| {
        if due.replace(true) {
            return;
        }
        let (due, me) = (due.clone(), me.clone());
        set_timeout(
            move || {
                due.set(false);
                if let Some(me) = me.upgrade().filter(|me| !me.hooks.stopped()) {
                    me.show_preview();
                }
            },
            std::time::Duration::from_millis(PREVIEW_MS),
        );
    })
}

/// The core of a session editing `doc`, read-only from the start if the page's role says so.
fn new_core(doc: &Doc, read_only: bool) -> SessionCore {
    let core = SessionCore::new(doc.clone());
    if read_only { core.presumed_read_only() } else { core }
}

/// `ws(s)://<this host><prefix>/ws/<id>`, with `?token=<link>` for a share link's connection.
fn socket_url(id: &DocId, link: Option<&str>) -> String {
    let location = window().location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
    let host = location.host().unwrap_or_default();
    let path = crate::base::url(&format!("/ws/{id}"));
    match link {
        Some(token) => format!("{scheme}://{host}{path}?token={}", js_sys::encode_uri_component(token)),
        None => format!("{scheme}://{host}{path}"),
    }
}

/// Whether the browser believes it is online.
fn online() -> bool {
    window().navigator().on_line()
}
