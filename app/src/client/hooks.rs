//! What a session holds in the browser besides its socket — event listeners,
//! periodic timers, callbacks handed to JavaScript — and lets go of when it stops. The
//! editor page's reactive state is disposed when the page is left; a
//! session whose callbacks outlived it would write to disposed signals,
//! which panics (and the panic traps the wasm instance).

use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventTarget};

/// Everything a session has hooked into the browser, undone by [`Hooks::stop`].
#[derive(Default)]
pub(super) struct Hooks {
    /// Whether the session has stopped (a `Cell`: set once, read by every late callback).
    stopped: Cell<bool>,
    /// How to undo each hook. A `RefCell`: hooks are added while the session
    /// starts and taken out whole when it stops; never borrowed across a call out.
    undo: RefCell<Vec<Box<dyn FnOnce()>>>,
}

impl Hooks {
    /// Whether the session has stopped: a late callback (a timeout, an animation
    /// frame, a finished storage write) is then to do nothing.
    pub(super) fn stopped(&self) -> bool {
        self.stopped.get()
    }

    /// Calls `handler` on each `event` at `target` until the session stops.
    pub(super) fn listen(&self, target: &EventTarget, event: &'static str, handler: impl FnMut(Event) + 'static) {
        let handler = Closure::<dyn FnMut(Event)>::new(handler);
        if target.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref()).is_err() {
            return;
        }
        let target = target.clone();
        self.on_stop(move || {
            let _ = target.remove_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
            free_later(handler);
        });
    }

    /// Calls `tick` every `period` until the session stops.
    pub(super) fn every(&self, period: Duration, tick: impl Fn() + 'static) {
        if let Ok(handle) = set_interval_with_handle(tick, period) {
            self.on_stop(move || handle.clear());
        }
    }

    /// Keeps `value` (a callback handed to JavaScript) alive until the session stops.
    pub(super) fn hold<T: 'static>(&self, value: T) {
        self.on_stop(move || set_timeout(move || drop(value), Duration::ZERO));
    }

    /// Undoes every hook; later callbacks find [`Hooks::stopped`]. Idempotent.
    pub(super) fn stop(&self) {
        if self.stopped.replace(true) {
            return;
        }
        let undo = std::mem::take(&mut *self.undo.borrow_mut());
        for undo in undo {
            undo();
        }
    }

    fn on_stop(&self, undo: impl FnOnce() + 'static) {
        self.undo.borrow_mut().push(Box::new(undo));
    }
}

/// Frees a detached handler once the current event is over: the session may
/// be stopped from inside one of its own handlers, which must not be freed while it runs.
fn free_later<T: ?Sized + 'static>(handler: Closure<T>) {
    set_timeout(move || drop(handler), Duration::ZERO);
}
