//! The WebSocket side of a session: connect, reconnect with exponential
//! backoff and jitter, and speak the sync protocol.

use super::{FOUND, REMOTE, Session, online};
use tandem_sync::protocol::{self, Inbound};
use crate::status::ConnState;
use leptos::prelude::*;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, StateVector, Transact, Update};

/// First reconnect delay; it doubles per failed attempt.
const BACKOFF_START_MS: f64 = 250.0;
/// Longest reconnect delay.
const BACKOFF_CAP_MS: f64 = 10_000.0;
/// A socket that has heard nothing for this long is taken for dead (the
/// server speaks at least every 10 s) and replaced; a half-open TCP
/// connection can otherwise look open for many minutes.
const SILENCE_LIMIT_MS: f64 = 30_000.0;
/// How often silence is checked.
const SILENCE_CHECK: Duration = Duration::from_secs(5);
/// Longest wait before remote updates are shown when no frame comes (a hidden tab).
const REMOTE_HIDDEN_MS: u64 = 100;

/// An open (or opening) socket and the handlers that must live as long as it.
pub(super) struct Socket {
    ws: WebSocket,
    _handlers: [Closure<dyn FnMut(web_sys::Event)>; 3],
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Detach the handlers before they are freed, so a late event finds none.
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

impl Session {
    /// Opens the socket unless one is open or opening.
    pub(super) fn connect(self: &Rc<Self>) {
        if self.socket.borrow().is_some() {
            return;
        }
        let Ok(ws) = WebSocket::new(&self.url) else { return self.reconnect_later() };
        self.heard_at.set(js_sys::Date::now());
        ws.set_binary_type(BinaryType::Arraybuffer);
        let handler = |f: fn(&Rc<Session>, web_sys::Event), me: Rc<Session>| {
            Closure::<dyn FnMut(web_sys::Event)>::new(move |ev| f(&me, ev))
        };
        let handlers = [
            handler(|me, _| me.on_open(), self.clone()),
            handler(|me, ev| me.on_message(ev.unchecked_into()), self.clone()),
            handler(|me, ev| me.on_close(ev.unchecked_into()), self.clone()),
        ];
        ws.set_onopen(Some(handlers[0].as_ref().unchecked_ref()));
        ws.set_onmessage(Some(handlers[1].as_ref().unchecked_ref()));
        ws.set_onclose(Some(handlers[2].as_ref().unchecked_ref()));
        *self.socket.borrow_mut() = Some(Socket { ws, _handlers: handlers });
    }

    fn reconnect_later(self: &Rc<Self>) {
        let n = self.failures.get();
        self.failures.set(n.saturating_add(1));
        let delay = (BACKOFF_START_MS * 2f64.powi(n.min(16) as i32)).min(BACKOFF_CAP_MS);
        let jittered = delay * (0.5 + js_sys::Math::random() * 0.5);
        let me = self.clone();
        set_timeout(move || me.connect(), Duration::from_millis(jittered as u64));
    }

    fn on_open(&self) {
        self.heard_at.set(js_sys::Date::now());
        self.failures.set(0);
        self.signals.conn.set(ConnState::Connected);
        let sv = self.doc.transact().state_vector().encode_v1();
        self.send(&protocol::encode_sync_step1(&sv));
        self.publish_presence();
        self.refresh_save_state();
    }

    fn on_close(self: &Rc<Self>, _: CloseEvent) {
        self.lost();
    }

    /// Closes the socket at once: the browser went offline, and a socket
    /// the network has left can take minutes to notice it.
    pub(super) fn disconnect(self: &Rc<Self>) {
        if self.socket.borrow().is_some() {
            self.lost();
        }
    }

    /// Drops the socket and tries again later.
    fn lost(self: &Rc<Self>) {
        // This may run inside the socket's own close handler: free the
        // handlers only after it returns.
        let closed = self.socket.borrow_mut().take();
        set_timeout(move || drop(closed), Duration::ZERO);
        self.forget_peers();
        self.signals.conn.set(if online() { ConnState::Reconnecting } else { ConnState::Offline });
        self.refresh_save_state();
        self.reconnect_later();
    }

    /// Replaces the socket whenever it has been silent too long.
    pub(super) fn watch_silence(self: &Rc<Self>) {
        let me = Rc::downgrade(self);
        let _ = set_interval_with_handle(
            move || {
                let Some(me) = me.upgrade() else { return };
                // Opening counts too: a handshake the server never answers hangs as long.
                let live = me.socket.borrow().is_some();
                if live && js_sys::Date::now() - me.heard_at.get() > SILENCE_LIMIT_MS {
                    leptos::logging::warn!("the server has been silent too long; reconnecting");
                    me.lost();
                }
            },
            SILENCE_CHECK,
        );
    }

    fn on_message(&self, ev: MessageEvent) {
        self.heard_at.set(js_sys::Date::now());
        let Ok(buf) = ev.data().dyn_into::<js_sys::ArrayBuffer>() else { return };
        let frame = js_sys::Uint8Array::new(&buf).to_vec();
        match Inbound::decode(&frame) {
            Ok(Inbound::SyncStep1(sv)) => self.answer_sync_step1(sv),
            Ok(Inbound::SyncStep2(update)) => {
                // At once: the field becomes editable when it shows the document.
                self.apply_remote(update);
                self.flush_remote();
                self.signals.synced.set(true);
            }
            Ok(Inbound::Update(update)) => self.apply_remote(update),
            Ok(Inbound::SyncStatus(payload)) => self.on_ack(payload),
            Ok(Inbound::Awareness(update)) => self.on_awareness(update),
            Ok(_) => {}
            Err(e) => leptos::logging::warn!("ignoring a bad frame from the server: {e}"),
        }
    }

    /// Sends the server what it lacks, then asks for a durable acknowledgement of it.
    fn answer_sync_step1(&self, sv: &[u8]) {
        let Ok(sv) = StateVector::decode_v1(sv) else { return };
        let diff = self.doc.transact().encode_state_as_update_v1(&sv);
        self.send(&protocol::encode_sync_step2(&diff));
        if self.unsaved.get() {
            self.request_ack();
        }
    }

    /// Takes in a remote update; updates are applied together once per
    /// frame (a large text costs a layout per change shown, however small),
    /// and held back during an input method composition, which rewriting the
    /// field would break.
    pub(super) fn apply_remote(&self, update: &[u8]) {
        self.deferred.borrow_mut().push(update.to_vec());
        if self.composing.get() || self.remote_due.replace(true) {
            return;
        }
        // At the next frame, or soon if frames are paused (a hidden tab).
        let me = self.me.clone();
        request_animation_frame(move || if let Some(me) = me.upgrade() { me.flush_remote() });
        let me = self.me.clone();
        set_timeout(move || if let Some(me) = me.upgrade() { me.flush_remote() }, Duration::from_millis(REMOTE_HIDDEN_MS));
    }

    /// Applies the remote updates held so far, in one transaction.
    pub(super) fn flush_remote(&self) {
        self.remote_due.set(false);
        if self.composing.get() {
            return;
        }
        let held = std::mem::take(&mut *self.deferred.borrow_mut());
        if held.is_empty() {
            return;
        }
        {
            let mut txn = self.doc.transact_mut_with(REMOTE);
            for update in held {
                let applied = Update::decode_v1(&update).map_err(|e| e.to_string())
                    .and_then(|u| txn.apply_update(u).map_err(|e| e.to_string()));
                if let Err(e) = applied {
                    leptos::logging::warn!("could not apply a remote update: {e}");
                }
            }
        }
        self.place_carets();
    }

    /// Merges the edits an earlier page of this browser left unsynced, and sends them.
    pub(super) fn merge_found(&self, found: Vec<Vec<u8>>) {
        if found.is_empty() {
            return;
        }
        let merged = match yrs::merge_updates_v1(found) {
            Ok(merged) => merged,
            Err(e) => return leptos::logging::warn!("could not read the edits kept in this browser: {e}"),
        };
        let Ok(update) = Update::decode_v1(&merged) else { return };
        if let Err(e) = self.doc.transact_mut_with(FOUND).apply_update(update) {
            leptos::logging::warn!("could not merge the edits kept in this browser: {e}");
        }
        self.place_carets();
        // Until the server has them: on reconnect they go out with the sync.
        self.unsaved.set(true);
        if self.send(&protocol::encode_update(&merged)) {
            self.request_ack();
        }
        self.refresh_save_state();
    }

    /// Keeps and sends a local update (the session observes every local transaction).
    pub(super) fn send_local(&self, update: &[u8]) {
        self.journal.append(update);
        self.unsaved.set(true);
        if self.send(&protocol::encode_update(update)) {
            self.request_ack();
        }
        self.refresh_save_state();
    }

    fn request_ack(&self) {
        let n = self.ack_requested.get() + 1;
        self.ack_requested.set(n);
        self.ack_mark.set(self.journal.mark());
        self.send(&protocol::encode_sync_status(&protocol::sync_status_payload(n)));
    }

    fn on_ack(&self, payload: &[u8]) {
        if payload == protocol::sync_status_payload(self.ack_requested.get()).as_slice() {
            self.journal.forget(self.ack_mark.get());
            self.unsaved.set(false);
            self.refresh_save_state();
        }
    }

    /// Sends a frame if the socket is open; `false` otherwise (the next sync catches up).
    pub(super) fn send(&self, frame: &[u8]) -> bool {
        let socket = self.socket.borrow();
        let Some(socket) = socket.as_ref().filter(|s| s.ws.ready_state() == WebSocket::OPEN) else { return false };
        socket.ws.send_with_u8_array(frame).is_ok()
    }
}
