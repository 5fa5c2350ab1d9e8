//! Keyboard handling of the bound fields: undo and redo of one's own changes.

use super::Session;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventTarget, KeyboardEvent};

/// What a key press asks for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    Undo,
    Redo,
}

fn command(ev: &KeyboardEvent) -> Option<Command> {
    if !(ev.ctrl_key() || ev.meta_key()) || ev.alt_key() {
        return None;
    }
    match (ev.key().to_ascii_lowercase().as_str(), ev.shift_key()) {
        ("z", false) => Some(Command::Undo),
        ("z", true) | ("y", false) => Some(Command::Redo),
        _ => None,
    }
}

impl Session {
    /// Routes undo and redo on `target` — keys and menu commands — to the
    /// session's undo manager (the browser's own undo would also revert
    /// collaborators' changes).
    pub(super) fn bind_keys(self: &Rc<Self>, target: &EventTarget) {
        let me = self.clone();
        let on_key = Closure::<dyn FnMut(KeyboardEvent)>::new(move |ev: KeyboardEvent| {
            let Some(cmd) = command(&ev) else { return };
            ev.prevent_default();
            me.run(cmd);
        });
        let _ = target.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
        on_key.forget(); // lives as long as the page
        // Undo from a menu (not a key): the browser's own history holds
        // collaborators' changes too, so it is never used.
        let me = self.clone();
        let on_history = Closure::<dyn FnMut(web_sys::InputEvent)>::new(move |ev: web_sys::InputEvent| {
            let cmd = match ev.input_type().as_str() {
                "historyUndo" => Command::Undo,
                "historyRedo" => Command::Redo,
                _ => return,
            };
            ev.prevent_default();
            me.run(cmd);
        });
        let _ = target.add_event_listener_with_callback("beforeinput", on_history.as_ref().unchecked_ref());
        on_history.forget(); // lives as long as the page
    }

    fn run(&self, cmd: Command) {
        match cmd {
            Command::Undo => self.undo(),
            Command::Redo => self.redo(),
        }
    }
}
