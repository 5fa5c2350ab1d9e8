//! The live session of an open document in the browser: a yrs document, the
//! WebSocket to the server, and the text area bound to the `content` text.
//!
//! - [`socket`]: connecting, reconnecting with backoff, and the sync protocol.
//! - [`textarea`]: local edits to the smallest text changes; remote changes
//!   applied without moving the caret.

mod socket;
mod textarea;

use crate::DocId;
use crate::status::{ConnState, SaveState};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use web_sys::{HtmlTextAreaElement, WebSocket};
use yrs::{Doc, TextRef};

/// Transaction origin of updates that came from the server.
const REMOTE: &str = "remote";

/// The page state a session drives.
#[derive(Clone, Copy)]
pub struct Signals {
    /// The connection state.
    pub conn: RwSignal<ConnState>,
    /// The saving state.
    pub save: RwSignal<SaveState>,
    /// Whether the document has been received from the server at least once.
    pub synced: RwSignal<bool>,
}

/// One open document. Lives as long as the page (event handlers hold it).
pub struct Session {
    url: String,
    doc: Doc,
    text: TextRef,
    textarea: HtmlTextAreaElement,
    /// The text area's value as of the last sync with the document, in UTF-16 code units.
    shadow: RefCell<Vec<u16>>,
    socket: RefCell<Option<socket::Socket>>,
    signals: Signals,
    /// Consecutive failed connection attempts, for the backoff.
    failures: Cell<u32>,
    /// Counter of the last durable-acknowledgement request sent.
    ack_requested: Cell<u64>,
    /// Whether some local change is not yet acknowledged as durable.
    unsaved: Cell<bool>,
}

impl Session {
    /// Starts the session of document `id` bound to `textarea`.
    pub fn start(id: &DocId, textarea: HtmlTextAreaElement, signals: Signals) {
        let doc = crate::document::new_doc();
        let text = doc.get_or_insert_text(crate::document::CONTENT);
        let session = Rc::new(Session {
            url: socket_url(id),
            doc,
            text,
            textarea,
            shadow: RefCell::new(Vec::new()),
            socket: RefCell::new(None),
            signals,
            failures: Cell::new(0),
            ack_requested: Cell::new(0),
            unsaved: Cell::new(false),
        });
        session.observe_local_updates();
        session.bind_textarea();
        session.connect();
        let me = session.clone();
        let _ = window_event_listener(leptos::ev::online, move |_| me.connect());
        let me = session;
        let _ = window_event_listener(leptos::ev::beforeunload, move |ev| {
            if me.unsaved.get() {
                ev.prevent_default();
            }
        });
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

/// The socket type, for `socket.rs`.
type Ws = WebSocket;
