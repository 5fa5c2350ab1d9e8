//! The body's editing surface — CodeMirror, in `surface/src`, bundled by the
//! build script — bound to the shared body text. This is the binding
//! y-codemirror.next makes, in Rust over yrs: the person's changes become one
//! local yrs transaction each, and every other change of the text (remote,
//! undo, redo, an upload's placeholder) reaches the surface as a change set
//! marked so it is not reported back. Positions on both sides are UTF-16
//! code units.

use super::binding::OnChange;
use std::cell::Cell;
use wasm_bindgen::prelude::*;
use yrs::types::Delta;
use yrs::types::text::TextEvent;
use yrs::{Any, Assoc, Doc, GetString, IndexedSequence, Observable, Origin, Out, StickyIndex, Text, TextRef, Transact, TransactionMut};

#[wasm_bindgen(module = "/surface/dist/surface.js")]
extern "C" {
    /// The JavaScript side: a CodeMirror view.
    pub(super) type Surface;

    /// A surface in `parent` showing `text`, labelled `label`, calling `hooks`.
    #[wasm_bindgen(constructor)]
    fn new(parent: &web_sys::Element, text: &str, label: &str, hooks: &js_sys::Object) -> Surface;
    /// Shows changes made elsewhere, `[from, to, inserted, …]` in the text
    /// before them, the caret staying (`"stay"`), going after text inserted
    /// at it (`"after"`) or to the change (`"to"`).
    #[wasm_bindgen(method)]
    fn apply(this: &Surface, changes: &js_sys::Array, caret: &str);
    /// Shows `text` whole.
    #[wasm_bindgen(method)]
    fn reset(this: &Surface, text: &str);
    /// Draws the collaborators' carets, `[{anchor, head, name, color, ink}]`.
    #[wasm_bindgen(method, js_name = setPeers)]
    pub(super) fn set_peers(this: &Surface, peers: &js_sys::Array);
    /// `[anchor, head]` of the selection.
    #[wasm_bindgen(method)]
    fn selection(this: &Surface) -> Vec<u32>;
    /// Makes the text editable or read-only.
    #[wasm_bindgen(method, js_name = setEditable)]
    pub(super) fn set_editable(this: &Surface, editable: bool);
    /// Runs a toolbar action: `bold`, `italic` or `link`.
    #[wasm_bindgen(method)]
    pub(super) fn command(this: &Surface, name: &str);
    /// The first line in view (1-based) and how far into it the view starts (0..1).
    #[wasm_bindgen(method, js_name = topLine)]
    pub(super) fn top_line(this: &Surface) -> Vec<f64>;
    /// Scrolls line `line` (1-based) to the top.
    #[wasm_bindgen(method, js_name = scrollToLine)]
    pub(super) fn scroll_to_line(this: &Surface, line: u32);
    /// The element that scrolls the text.
    #[wasm_bindgen(method, getter)]
    pub(super) fn scroller(this: &Surface) -> web_sys::Element;
    /// Takes the surface out of the page.
    #[wasm_bindgen(method)]
    pub(super) fn destroy(this: &Surface);
}

/// The surface bound to the body text. Its state is in cells: the surface's
/// hooks and the text's observer share it through `Rc` and get `&self`.
pub(super) struct Body {
    surface: Surface,
    text: TextRef,
    /// Set while the surface's own change is applied to the text (it shows it already).
    applying: Cell<bool>,
    /// Set while undo or redo runs: the caret then goes to what it changed.
    undoing: Cell<bool>,
    /// Whether the surface shows the shared text yet (at first it shows the
    /// server-rendered text, which the first change replaces whole).
    shown: Cell<bool>,
    on_change: OnChange,
}

impl Body {
    /// Makes a surface in `parent` calling `hooks`, bound to `text`, in place
    /// of what `parent` holds: the server-rendered text, `initial`.
    pub(super) fn new(parent: &web_sys::Element, initial: &str, hooks: &js_sys::Object, text: TextRef, on_change: OnChange) -> std::rc::Rc<Self> {
        parent.set_text_content(None);
        let surface = Surface::new(parent, initial, "Document text", hooks);
        let body = std::rc::Rc::new(Body {
            surface,
            text: text.clone(),
            applying: Cell::new(false),
            undoing: Cell::new(false),
            shown: Cell::new(false),
            on_change,
        });
        let me = std::rc::Rc::downgrade(&body);
        text.observe("tandem-surface", move |txn, event| {
            if let Some(me) = me.upgrade() {
                me.on_text_event(txn, event);
            }
        });
        body
    }

    /// Whether the surface shows the shared text yet.
    pub(super) fn is_shown(&self) -> bool {
        self.shown.get()
    }

    /// The surface.
    pub(super) fn surface(&self) -> &Surface {
        &self.surface
    }

    /// Applies the person's edits — `[at, removed, inserted, …]`, each at a
    /// position in the text the earlier ones left — as one transaction.
    pub(super) fn on_edited(&self, doc: &Doc, origin: &Origin, edits: &js_sys::Array) {
        self.shown.set(true); // the person edited what the surface shows
        self.applying.set(true);
        {
            let mut txn = doc.transact_mut_with(origin.clone());
            let mut i = 0;
            while i + 2 < edits.length() {
                let at = edits.get(i).as_f64().unwrap_or(0.0) as u32;
                let removed = edits.get(i + 1).as_f64().unwrap_or(0.0) as u32;
                let inserted = edits.get(i + 2).as_string().unwrap_or_default();
                if removed > 0 {
                    self.text.remove_range(&mut txn, at, removed);
                }
                if !inserted.is_empty() {
                    self.text.insert(&mut txn, at, &inserted);
                }
                i += 3;
            }
        }
        self.applying.set(false);
        let text = &self.text;
        (self.on_change)(&|| text.get_string(&doc.transact()));
    }

    /// Runs `f` (an undo or a redo) so that the caret follows what it changes.
    pub(super) fn undoing(&self, f: impl FnOnce()) {
        self.undoing.set(true);
        f();
        self.undoing.set(false);
    }

    /// The selection, anchored to the characters around it: (anchor, head).
    pub(super) fn anchors(&self, doc: &Doc) -> Option<(StickyIndex, StickyIndex)> {
        let txn = doc.transact();
        // Past the last character there is none to stick before: stick after the last one instead.
        let stick = |i| {
            let after = self.text.sticky_index(&txn, i, Assoc::After);
            after.or_else(|| self.text.sticky_index(&txn, i, Assoc::Before))
        };
        let selection = self.surface.selection();
        let (anchor, head) = (*selection.first()?, *selection.get(1)?);
        let at_anchor = stick(anchor)?;
        // A caret (no selection) needs one walk of the text, not two.
        let at_head = if head == anchor { at_anchor.clone() } else { stick(head)? };
        Some((at_anchor, at_head))
    }

    /// Shows a change made elsewhere (remote, undo, redo, an upload).
    fn on_text_event(&self, txn: &TransactionMut, event: &TextEvent) {
        if self.applying.get() {
            return;
        }
        let changes = if self.shown.get() { changes_of(event.delta(txn)) } else { None };
        // This person's own changes that did not come from typing (an
        // image's placeholder and its result) push the caret on like typing.
        let own = txn.origin().is_some_and(|o| *o == Origin::from(super::LOCAL) || *o == Origin::from(super::paste::UPLOAD));
        let caret = match (self.undoing.get(), own) {
            (true, _) => "to",
            (false, true) => "after",
            (false, false) => "stay",
        };
        match changes {
            Some(changes) => self.surface.apply(&changes, caret),
            None => self.surface.reset(&self.text.get_string(txn)),
        }
        self.shown.set(true);
        (self.on_change)(&|| self.text.get_string(txn));
    }
}

/// `delta` as the surface's change set — `[from, to, inserted, …]`, positions
/// in the text before the change — or `None` if it holds more than plain text.
fn changes_of(delta: &[Delta]) -> Option<js_sys::Array> {
    let changes = js_sys::Array::new();
    let mut at = 0u32;
    for d in delta {
        match d {
            Delta::Retain(n, _) => at += n,
            Delta::Deleted(n) => {
                changes.push(&at.into());
                changes.push(&(at + n).into());
                changes.push(&"".into());
                at += n;
            }
            Delta::Inserted(Out::Any(Any::String(s)), _) => {
                changes.push(&at.into());
                changes.push(&at.into());
                changes.push(&JsValue::from_str(s));
            }
            Delta::Inserted(..) => return None,
        }
    }
    Some(changes)
}
