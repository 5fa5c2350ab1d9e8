//! The live session of an open document in the browser: a yrs document, the
//! WebSocket to the server, and the page's fields bound to the shared texts.
//!
//! - [`socket`]: connecting, reconnecting with backoff, and the sync protocol.
//! - [`binding`]: a text field bound to a shared text, keeping the selection.
//! - [`keys`]: undo and redo of one's own changes.
//! - [`presence`]: this person's name and color, and who else is here.
//! - [`journal`]: unsynced edits kept in the browser across reloads.

mod binding;
mod carets;
mod input_edit;
mod journal;
mod keys;
mod mirror;
mod presence;
mod socket;

pub use presence::local_user;

use tandem_sync::DocId;
use crate::status::{ConnState, SaveState};
use binding::Binding;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yrs::sync::Awareness;
use yrs::undo::{Options as UndoOptions, UndoManager};
use yrs::{Doc, Origin, Transact};

/// Transaction origin of updates that came from the server.
const REMOTE: &str = "remote";
/// Transaction origin of edits an earlier page of this browser left unsynced.
const FOUND: &str = "found";
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
    /// The document's title, live.
    pub title: RwSignal<String>,
    /// The document's body, live (for the preview).
    pub body: RwSignal<String>,
    /// This person, as others see them.
    pub me: RwSignal<crate::presence::User>,
    /// Everyone else in the document.
    pub peers: RwSignal<Vec<crate::presence::Peer>>,
}

/// The page's fields a session binds.
pub struct Fields {
    /// The body.
    pub body: HtmlTextAreaElement,
    /// The body's invisible layout twin, where carets are measured.
    pub mirror: web_sys::HtmlElement,
    /// The title.
    pub title: HtmlInputElement,
    /// The layer over the body where others' carets are drawn.
    pub carets: web_sys::Element,
    /// The presence bar, where others' badges follow this person's name.
    pub presence: web_sys::Element,
}

/// One open document. Lives as long as the page (event handlers hold it).
pub struct Session {
    /// This session, for callbacks scheduled from `&self`.
    me: std::rc::Weak<Session>,
    url: String,
    doc: Doc,
    body: Rc<Binding>,
    title: Rc<Binding>,
    undo: RefCell<UndoManager<()>>,
    /// Awareness states: ours and everyone else's.
    awareness: RefCell<Awareness>,
    socket: RefCell<Option<socket::Socket>>,
    signals: Signals,
    /// Consecutive failed connection attempts, for the backoff.
    failures: Cell<u32>,
    /// Counter of the last durable-acknowledgement request sent.
    ack_requested: Cell<u64>,
    /// The journal's mark when that request was sent.
    ack_mark: Cell<usize>,
    /// Unsynced edits, kept in the browser until the server has them.
    journal: Rc<journal::Journal>,
    /// Whether some local change is not yet acknowledged as durable.
    unsaved: Cell<bool>,
    /// The caret we last published.
    last_cursor: RefCell<Option<crate::presence::Cursor>>,
    /// Whether an input method (IME) composition is in progress in a field.
    composing: Cell<bool>,
    /// Remote updates not yet applied: they are applied once per frame, and
    /// held back during a composition (see [`Session::apply_remote`]).
    deferred: RefCell<Vec<Vec<u8>>>,
    /// Whether applying them is scheduled.
    remote_due: Cell<bool>,
    /// Whether carets are to be drawn at the next frame.
    carets_due: Cell<bool>,
    /// Where others' carets are drawn.
    carets: carets::CaretLayer,
    /// Where others are shown in the presence bar.
    peer_badges: presence::PeerBadges,
    /// When the socket last heard from the server (ms since the epoch).
    heard_at: Cell<f64>,
}

impl Session {
    /// Starts the session of document `id` with the page's `fields`.
    pub fn start(id: &DocId, fields: Fields, signals: Signals) -> Rc<Session> {
        let doc = tandem_sync::document::new_doc();
        let body_text = doc.get_or_insert_text(tandem_sync::document::CONTENT);
        let title_text = doc.get_or_insert_text(tandem_sync::document::TITLE);
        let mut undo = UndoManager::with_options(UndoOptions {
            capture_timeout_millis: UNDO_CAPTURE_MS,
            tracked_origins: Default::default(),
            capture_transaction: None,
            timestamp: Arc::new(|| js_sys::Date::now() as u64),
            init_undo_stack: Vec::new(),
            init_redo_stack: Vec::new(),
        });
        undo.expand_scope(&doc, &body_text);
        undo.expand_scope(&doc, &title_text);
        undo.include_origin(Origin::from(LOCAL));
        let (body_el, title_el) = (fields.body.clone(), fields.title.clone());
        let journal = journal::Journal::new(id.as_str(), move |kept| {
            if signals.kept.get_untracked() != kept {
                signals.kept.set(kept);
            }
        });
        let session = Rc::new_cyclic(|me| Session {
            me: me.clone(),
            url: socket_url(id),
            body: Binding::new(fields.body, Some(mirror::Mirror::new(fields.mirror)), body_text.clone(), preview_feed(&doc, body_text, signals.body)),
            title: Binding::new(fields.title, None, title_text, Box::new(move |value| signals.title.set(value()))),
            awareness: RefCell::new(new_awareness(&doc)),
            doc,
            undo: RefCell::new(undo),
            socket: RefCell::new(None),
            signals,
            failures: Cell::new(0),
            ack_requested: Cell::new(0),
            ack_mark: Cell::new(0),
            journal,
            unsaved: Cell::new(false),
            last_cursor: RefCell::new(None),
            composing: Cell::new(false),
            deferred: RefCell::new(Vec::new()),
            remote_due: Cell::new(false),
            carets_due: Cell::new(false),
            carets: carets::CaretLayer::new(fields.carets),
            peer_badges: presence::PeerBadges::new(fields.presence),
            heard_at: Cell::new(0.0),
        });
        session.observe_local_updates();
        let me = session.clone();
        session.journal.open(move |found| me.merge_found(found));
        session.listen_input(&body_el, |s| &s.body);
        session.listen_input(&title_el, |s| &s.title);
        session.bind_keys(&body_el);
        session.track_selection(&body_el);
        session.bind_keys(&title_el);
        session.connect();
        session.watch_silence();
        session.keep_presence_alive();
        let me = session.clone();
        let _ = window_event_listener(leptos::ev::online, move |_| me.connect());
        let me = session.clone();
        let _ = window_event_listener(leptos::ev::offline, move |_| me.disconnect());
        session.follow_resizes(&body_el);
        let me = session.clone();
        let _ = window_event_listener(leptos::ev::beforeunload, move |ev| {
            if me.unsaved.get() {
                ev.prevent_default();
            }
        });
        session
    }

    /// Forgets everyone else (after a disconnect: the server resends who is here).
    fn forget_peers(&self) {
        *self.awareness.borrow_mut() = new_awareness(&self.doc);
        self.peer_badges.show(&[]);
        self.signals.peers.set(Vec::new());
    }

    /// Sends every local transaction (edits, undo, redo) to the server.
    fn observe_local_updates(self: &Rc<Self>) {
        let me = Rc::downgrade(self);
        let observed = self.doc.observe_update_v1("tandem-local", move |txn, event| {
            let remote = txn.origin().is_some_and(|o| o.as_ref() == REMOTE.as_bytes() || o.as_ref() == FOUND.as_bytes());
            if let (false, Some(me)) = (remote, me.upgrade()) {
                me.send_local(&event.update);
            }
        });
        if observed.is_err() {
            leptos::logging::error!("could not observe document updates");
        }
    }

    fn listen_input(self: &Rc<Self>, el: &web_sys::EventTarget, binding: fn(&Session) -> &Binding) {
        let me = self.clone();
        let before = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| binding(&me).before_input());
        let _ = el.add_event_listener_with_callback("beforeinput", before.as_ref().unchecked_ref());
        before.forget(); // lives as long as the page
        let me = self.clone();
        let origin = Origin::from(LOCAL);
        let on_input = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| binding(&me).on_input(&me.doc, &origin));
        let _ = el.add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref());
        on_input.forget(); // lives as long as the page
        let me = self.clone();
        let on_start = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| me.composing.set(true));
        let _ = el.add_event_listener_with_callback("compositionstart", on_start.as_ref().unchecked_ref());
        on_start.forget();
        let me = self.clone();
        let origin = Origin::from(LOCAL);
        let on_end = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            binding(&me).on_input(&me.doc, &origin);
            me.composing.set(false);
            me.flush_remote();
        });
        let _ = el.add_event_listener_with_callback("compositionend", on_end.as_ref().unchecked_ref());
        on_end.forget();
    }

    /// Shares our caret when it moves, and keeps others' carets in place as we type and scroll.
    fn track_selection(self: &Rc<Self>, el: &web_sys::EventTarget) {
        // Our own caret moving does not move anyone else's; typing and scrolling do.
        for event in ["select", "keyup", "mouseup", "input", "focus", "scroll"] {
            let me = self.clone();
            let handler = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
                if me.body.is_splicing() {
                    return; // a remote change being shown, inside its transaction
                }
                let kind = ev.type_();
                if kind != "scroll" {
                    me.publish_cursor();
                }
                if kind == "input" || kind == "scroll" {
                    me.place_carets();
                }
            });
            let _ = el.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
            handler.forget(); // lives as long as the page
        }
    }

    /// Places carets again whenever the body's box changes size (window
    /// resized, preview shown or hidden): the text wraps differently.
    fn follow_resizes(self: &Rc<Self>, el: &web_sys::Element) {
        let me = Rc::downgrade(self);
        let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |_| {
            if let Some(me) = me.upgrade() {
                me.place_carets();
            }
        });
        match web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            Ok(observer) => observer.observe(el),
            Err(_) => leptos::logging::warn!("carets will not follow resizes"),
        }
        on_resize.forget(); // lives as long as the page
    }

    /// Publishes our presence if our caret moved.
    fn publish_cursor(&self) {
        let cursor = self.local_cursor();
        if *self.last_cursor.borrow() != cursor {
            *self.last_cursor.borrow_mut() = cursor;
            self.publish_presence();
        }
    }

    fn undo(&self) {
        self.undo.borrow_mut().undo_blocking();
        self.place_carets();
    }

    fn redo(&self) {
        self.undo.borrow_mut().redo_blocking();
        self.place_carets();
    }

    fn refresh_save_state(&self) {
        let connected = self.signals.conn.get_untracked() == ConnState::Connected;
        self.signals.save.set(match (self.unsaved.get(), connected) {
            (false, _) => SaveState::Saved,
            (true, true) => SaveState::Saving,
            (true, false) => SaveState::Offline,
        });
    }
}

/// Feeds the preview the body's text at most every [`PREVIEW_MS`], so that
/// typing in a large document does not render it on every keystroke.
fn preview_feed(doc: &Doc, text: yrs::TextRef, preview: RwSignal<String>) -> binding::OnChange {
    let due = Rc::new(Cell::new(false));
    let doc = doc.clone();
    Box::new(move |_| {
        if due.replace(true) {
            return;
        }
        let (due, doc, text) = (due.clone(), doc.clone(), text.clone());
        set_timeout(
            move || {
                due.set(false);
                preview.set(yrs::GetString::get_string(&text, &doc.transact()));
            },
            std::time::Duration::from_millis(PREVIEW_MS),
        );
    })
}

fn new_awareness(doc: &Doc) -> Awareness {
    Awareness::with_clock(doc.clone(), || js_sys::Date::now() as u64)
}

/// `ws(s)://<this host>/ws/<id>`.
fn socket_url(id: &DocId) -> String {
    let location = window().location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
    let host = location.host().unwrap_or_default();
    format!("{scheme}://{host}/ws/{id}")
}

/// Whether the browser believes it is online.
fn online() -> bool {
    window().navigator().on_line()
}
