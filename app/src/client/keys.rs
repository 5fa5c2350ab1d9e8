//! Undo and redo of one's own changes: the title's keys and menu commands
//! here, the body's through its surface's hooks.

use super::Session;
use leptos::prelude::GetUntracked;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{EventTarget, KeyboardEvent};

/// What a key press asks for.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Command {
    /// Undo this person's last change.
    Undo,
    /// Redo what they undid last.
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
        self.hooks.listen(target, "keydown", move |ev| {
            let Some(cmd) = ev.dyn_ref::<KeyboardEvent>().and_then(command) else { return };
            ev.prevent_default();
            me.run(cmd);
        });
        // Undo from a menu (not a key): the browser's own history holds
        // collaborators' changes too, so it is never used.
        let me = self.clone();
        self.hooks.listen(target, "beforeinput", move |ev| {
            let Some(input) = ev.dyn_ref::<web_sys::InputEvent>() else { return };
            let cmd = match input.input_type().as_str() {
                "historyUndo" => Command::Undo,
                "historyRedo" => Command::Redo,
                _ => return,
            };
            ev.prevent_default();
            me.run(cmd);
        });
    }

    /// Runs `cmd`, unless the document is read-only here (undo would change it).
    pub(super) fn run(&self, cmd: Command) {
        if self.signals.read_only.get_untracked() {
            return;
        }
        match cmd {
            Command::Undo => self.undo(),
            Command::Redo => self.redo(),
        }
    }
}
