//! The text area binding: each input becomes the smallest delete and insert
//! on the shared text, and remote changes keep the local selection in place.

use super::{REMOTE, Session};
use crate::text_diff::diff;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yrs::{Assoc, Doc, GetString, IndexedSequence, Text, Transact};

impl Session {
    /// Sends every local transaction to the server.
    pub(super) fn observe_local_updates(self: &Rc<Self>) {
        let me = Rc::downgrade(self);
        let observed = self.doc.observe_update_v1("tandem-local", move |txn, event| {
            let remote = txn.origin().is_some_and(|o| o.as_ref() == REMOTE.as_bytes());
            if let (false, Some(me)) = (remote, me.upgrade()) {
                me.send_local(&event.update);
            }
        });
        if observed.is_err() {
            leptos::logging::error!("could not observe document updates");
        }
    }

    /// Turns text area input into document changes.
    pub(super) fn bind_textarea(self: &Rc<Self>) {
        let me = self.clone();
        let on_input = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| me.on_input());
        let _ = self.textarea.add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref());
        on_input.forget(); // lives as long as the page
    }

    fn on_input(&self) {
        let value: Vec<u16> = self.textarea.value().encode_utf16().collect();
        let (start, removed, inserted) = {
            let old = self.shadow.borrow();
            let (start, removed, inserted) = diff(&old, &value);
            (start, removed, String::from_utf16_lossy(inserted))
        };
        *self.shadow.borrow_mut() = value;
        if removed == 0 && inserted.is_empty() {
            return;
        }
        let mut txn = self.doc.transact_mut();
        if removed > 0 {
            self.text.remove_range(&mut txn, start, removed);
        }
        if !inserted.is_empty() {
            self.text.insert(&mut txn, start, &inserted);
        }
    }

    /// Runs `apply` (a remote change) and shows the new text with the selection
    /// still on the same characters.
    pub(super) fn keeping_selection(&self, apply: impl FnOnce(&Doc)) {
        let ta = &self.textarea;
        let (start, end) = (ta.selection_start().ok().flatten(), ta.selection_end().ok().flatten());
        let anchors = {
            let txn = self.doc.transact();
            let at = |i: Option<u32>| i.and_then(|i| self.text.sticky_index(&txn, i, Assoc::After));
            (at(start), at(end))
        };
        apply(&self.doc);
        let txn = self.doc.transact();
        let text = self.text.get_string(&txn);
        let units: Vec<u16> = text.encode_utf16().collect();
        if units == *self.shadow.borrow() {
            return;
        }
        let scroll = ta.scroll_top();
        ta.set_value(&text);
        ta.set_scroll_top(scroll);
        *self.shadow.borrow_mut() = units;
        let offset = |a: &Option<yrs::StickyIndex>| a.as_ref().and_then(|a| a.get_offset(&txn)).map(|o| o.index);
        if let (Some(s), Some(e)) = (offset(&anchors.0), offset(&anchors.1)) {
            let _ = ta.set_selection_range(s, e);
        }
    }
}
