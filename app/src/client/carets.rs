//! Others' carets and selections in the body: positions shared as relative
//! positions in awareness, drawn by the surface as decorations at their
//! characters (the surface moves them with the text until they are placed again).

use super::Session;
use crate::presence::{Cursor, from_rel, to_rel};
use leptos::prelude::*;
use wasm_bindgen::JsValue;
use yrs::Transact;

/// How long typing pauses before others' carets are placed again from their positions.
const CARETS_IDLE_MS: u64 = 250;

impl Session {
    /// Our selection in the body, as shared positions.
    pub(super) fn local_cursor(&self) -> Option<Cursor> {
        let (anchor, head) = self.body.anchors(&self.doc)?;
        Some(Cursor { anchor: to_rel(&anchor), head: to_rel(&head) })
    }

    /// Places every peer's caret and selection at the next frame: the
    /// awareness and the text may change several times before it, and the
    /// positions are read outside any transaction of the document.
    pub(super) fn place_carets(&self) {
        if self.carets_due.replace(true) {
            return;
        }
        let me = self.me.clone();
        request_animation_frame(move || {
            if let Some(me) = me.upgrade().filter(|me| !me.hooks.stopped()) {
                me.carets_due.set(false);
                me.draw_carets();
            }
        });
    }

    /// Places every peer's caret again once this person's typing pauses for
    /// [`CARETS_IDLE_MS`]: each placement reads positions from the start of
    /// the text, too much to do on every key of a large document.
    pub(super) fn place_carets_when_idle(&self) {
        let generation = self.carets_typed.get().wrapping_add(1);
        self.carets_typed.set(generation);
        let me = self.me.clone();
        set_timeout(
            move || {
                if let Some(me) = me.upgrade().filter(|me| me.carets_typed.get() == generation) {
                    me.place_carets();
                }
            },
            std::time::Duration::from_millis(CARETS_IDLE_MS),
        );
    }

    /// Hands the surface every peer's caret and selection now.
    fn draw_carets(&self) {
        let peers = self.signals.peers.get_untracked();
        let txn = self.doc.transact();
        let offset = |pos| from_rel(pos).and_then(|p| p.get_offset(&txn)).map(|o| o.index);
        let carets = js_sys::Array::new();
        for peer in &peers {
            let Some(cursor) = peer.cursor.as_ref() else { continue };
            let Some(head) = offset(&cursor.head) else { continue };
            let anchor = offset(&cursor.anchor).unwrap_or(head);
            let caret = js_sys::Object::new();
            let ink = crate::presence::ink_on(&peer.user.color);
            for (key, value) in [
                ("anchor", JsValue::from(anchor)),
                ("head", JsValue::from(head)),
                ("name", JsValue::from_str(&peer.user.name)),
                ("color", JsValue::from_str(&peer.user.color)),
                ("ink", JsValue::from_str(ink)),
            ] {
                let _ = js_sys::Reflect::set(&caret, &key.into(), &value);
            }
            carets.push(&caret);
        }
        drop(txn);
        self.body.surface().set_peers(&carets);
    }
}
