//! The WebSocket of a session: opened and dropped when the core says, its
//! events and frames fed to the core, the browser's online and offline
//! events, and the periodic check that lets the core spot a silent socket.

use super::{Session, online};
use leptos::prelude::*;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// How often silence is checked (the core knows how long is too long).
const SILENCE_CHECK: Duration = Duration::from_secs(5);

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

impl Socket {
    /// Opens a socket to `url` whose events reach `session`; `None` if the browser refuses.
    fn open(url: &str, session: &Rc<Session>) -> Option<Socket> {
        let ws = WebSocket::new(url).ok()?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let handler = |f: fn(&Rc<Session>, web_sys::Event), me: Rc<Session>| {
            Closure::<dyn FnMut(web_sys::Event)>::new(move |ev| f(&me, ev))
        };
        let handlers = [
            handler(|me, _| me.drive(|core| core.opened(js_sys::Date::now())), session.clone()),
            handler(|me, ev| me.on_message(ev.unchecked_into()), session.clone()),
            handler(|me, ev| me.on_close(ev.unchecked_into()), session.clone()),
        ];
        ws.set_onopen(Some(handlers[0].as_ref().unchecked_ref()));
        ws.set_onmessage(Some(handlers[1].as_ref().unchecked_ref()));
        ws.set_onclose(Some(handlers[2].as_ref().unchecked_ref()));
        Some(Socket { ws, _handlers: handlers })
    }
}

impl Session {
    /// Connects unless a socket is open or opening.
    pub(super) fn connect(&self) {
        self.drive(|core| core.connect(js_sys::Date::now()));
    }

    /// Opens the socket the core asked for.
    pub(super) fn open_socket(&self) {
        let Some(me) = self.me.upgrade() else { return };
        match Socket::open(&self.url, &me) {
            Some(socket) => *self.socket.borrow_mut() = Some(socket),
            None => self.drive(|core| core.open_failed(js_sys::Math::random())),
        }
    }

    /// Lets go of the socket. This may run inside the socket's own close
    /// handler: the handlers are freed only after it returns.
    pub(super) fn drop_socket(&self) {
        let closed = self.socket.borrow_mut().take();
        set_timeout(move || drop(closed), Duration::ZERO);
    }

    /// Connects at once when the browser is back online, and closes the socket
    /// when it goes offline (a socket the network has left can take minutes to notice).
    pub(super) fn follow_the_network(self: &Rc<Self>) {
        let me = self.clone();
        self.hooks.listen(&window(), "online", move |_| me.connect());
        let me = self.clone();
        self.hooks.listen(&window(), "offline", move |_| {
            me.drive(|core| core.disconnect(online(), js_sys::Math::random()));
        });
    }

    /// Lets the core check for silence every [`SILENCE_CHECK`].
    pub(super) fn watch_silence(self: &Rc<Self>) {
        let me = Rc::downgrade(self);
        self.hooks.every(SILENCE_CHECK, move || {
            let Some(me) = me.upgrade() else { return };
            me.drive(|core| core.tick(js_sys::Date::now(), online(), js_sys::Math::random()));
        });
    }

    /// The socket closed; its code says whether the server ended the session for good.
    fn on_close(&self, ev: CloseEvent) {
        self.drive(|core| core.closed_with(ev.code(), online(), js_sys::Math::random()));
    }

    fn on_message(&self, ev: MessageEvent) {
        let now = js_sys::Date::now();
        let Ok(buf) = ev.data().dyn_into::<js_sys::ArrayBuffer>() else { return self.core.borrow_mut().heard(now) };
        let frame = js_sys::Uint8Array::new(&buf).to_vec();
        self.drive(|core| core.receive(&frame, now));
    }

    /// Sends a frame if the socket is open; `false` otherwise (the next sync catches up).
    pub(super) fn send(&self, frame: &[u8]) -> bool {
        let socket = self.socket.borrow();
        let Some(socket) = socket.as_ref().filter(|s| s.ws.ready_state() == WebSocket::OPEN) else { return false };
        socket.ws.send_with_u8_array(frame).is_ok()
    }
}
