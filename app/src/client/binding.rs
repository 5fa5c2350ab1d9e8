//! Binds a text field (the body's text area, the title input) to a shared
//! text: each input becomes the smallest delete and insert, and every other
//! change to the text (remote, undo, redo) reaches the field as the same
//! small splices, so the caret, the selection and the scroll stay put and a
//! large document is never rewritten whole.

use super::input_edit;
use super::mirror::Mirror;
use crate::text_diff::shift;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlTextAreaElement, SelectionMode};
use yrs::types::text::TextEvent;
use yrs::types::Delta;
use yrs::{Any, Assoc, Doc, GetString, IndexedSequence, Observable, Origin, Out, StickyIndex, Text, TextRef, Transact, TransactionMut};

/// What a binding needs from a text field.
pub(super) trait Field {
    fn value(&self) -> String;
    /// The value as the browser holds it (not copied into wasm).
    fn value_js(&self) -> js_sys::JsString;
    fn set_value(&self, value: &str);
    /// Replaces UTF-16 units `start..end` with `with` (the selection is left anywhere).
    fn replace(&self, start: u32, end: u32, with: &str);
    fn scroll(&self) -> i32;
    fn set_scroll(&self, top: i32);
    fn selection(&self) -> (Option<u32>, Option<u32>);
    /// The selection with its direction, if the field has one.
    fn directed_selection(&self) -> Option<(u32, u32, String)>;
    fn select(&self, start: u32, end: u32, direction: &str);
    fn element(&self) -> web_sys::HtmlElement;
}

/// Replaces `start..end` of `field` with `with`; the selection stays on the
/// same characters, as a shared caret does (see [`shift`]).
fn splice(field: &dyn Field, start: u32, end: u32, with: &str) {
    let before = field.directed_selection();
    field.replace(start, end, with);
    if let Some((from, to, direction)) = before {
        let inserted = with.encode_utf16().count() as u32;
        field.select(shift(from, start, end, inserted), shift(to, start, end, inserted), &direction);
    }
}

/// Replaces `start..end` of a focused text area through the browser's
/// editing commands, as typing does: the browser then lays out only what
/// changed, where `setRangeText` makes it lay out the whole text again.
/// `false` if the text area is not focused (editing commands act on the focus).
fn edit_in_place(field: &HtmlTextAreaElement, start: u32, end: u32, with: &str) -> bool {
    let Some(document) = field.owner_document() else { return false };
    if !document.active_element().is_some_and(|el| el == ***field) {
        return false;
    }
    let _ = field.set_selection_range(start, end);
    let (command, value) = if with.is_empty() { ("delete", "") } else { ("insertText", with) };
    let html: &web_sys::HtmlDocument = document.unchecked_ref();
    html.exec_command_with_show_ui_and_value(command, false, value).unwrap_or(false)
}

macro_rules! impl_field {
    ($ty:ty, $set_range_text:ident, $preserve:expr, $in_place:expr) => {
        impl Field for $ty {
            fn value(&self) -> String {
                <$ty>::value(self)
            }
            fn value_js(&self) -> js_sys::JsString {
                js_sys::Reflect::get(self, &"value".into()).map(JsCast::unchecked_into).unwrap_or_default()
            }
            fn set_value(&self, value: &str) {
                let scroll = self.scroll_top();
                <$ty>::set_value(self, value);
                self.set_scroll_top(scroll);
            }
            fn replace(&self, start: u32, end: u32, with: &str) {
                if !$in_place(self, start, end, with) {
                    let _ = self.$set_range_text(with, start, end, $preserve);
                }
            }
            fn scroll(&self) -> i32 {
                self.scroll_top()
            }
            fn set_scroll(&self, top: i32) {
                self.set_scroll_top(top);
            }
            fn selection(&self) -> (Option<u32>, Option<u32>) {
                (self.selection_start().ok().flatten(), self.selection_end().ok().flatten())
            }
            fn directed_selection(&self) -> Option<(u32, u32, String)> {
                let (Some(start), Some(end)) = self.selection() else { return None };
                Some((start, end, self.selection_direction().ok().flatten().unwrap_or_default()))
            }
            fn select(&self, start: u32, end: u32, direction: &str) {
                let _ = self.set_selection_range_with_direction(start, end, direction);
            }
            fn element(&self) -> web_sys::HtmlElement {
                self.clone().into()
            }
        }
    };
}

// web-sys spells the same DOM method differently on the two elements.
impl_field!(HtmlTextAreaElement, set_range_text_with_start_and_end_and_mode, "preserve", edit_in_place);
impl_field!(HtmlInputElement, set_range_text_with_start_and_end_and_selection_mode, SelectionMode::Preserve, |_: &HtmlInputElement, _, _, _: &str| false);

/// The selection of a field, anchored to characters of the shared text.
pub(super) struct Anchors(Option<StickyIndex>, Option<StickyIndex>);

impl Anchors {
    /// (start, end).
    pub(super) fn into_parts(self) -> (Option<StickyIndex>, Option<StickyIndex>) {
        (self.0, self.1)
    }
}

/// Told after every change of the text, with a way to read its new value
/// (reading is left to the listener: a large text is not copied for nothing).
pub(super) type OnChange = Box<dyn Fn(&dyn Fn() -> String)>;

/// One field bound to one shared text. Its state is in cells because the
/// field's event handlers and the text's observer share it through `Rc` and
/// get `&self`. Showing a change can fire the field's events synchronously
/// while `shadow` is borrowed: those handlers check `splicing` first.
pub(super) struct Binding {
    field: Box<dyn Field>,
    text: TextRef,
    /// The field's value as of the last sync with the text, in UTF-16 code units.
    shadow: RefCell<Vec<u16>>,
    /// The same value as the browser holds it, once the field shows the text:
    /// an input is checked against it without copying the field's text.
    shadow_js: RefCell<Option<js_sys::JsString>>,
    /// The selection just before the input being handled.
    before_input: Cell<Option<(u32, u32)>>,
    /// Set while the field's own input is applied to the text: the field shows it already.
    applying_input: Cell<bool>,
    /// Set while a change from elsewhere is shown in the field (which may
    /// fire the field's input event: it is not the user's input).
    splicing: Cell<bool>,
    /// Whether the field shows the shared text yet (at first it shows the
    /// server-rendered text, which the first change replaces whole).
    shown: Cell<bool>,
    /// The field's layout twin, kept equal to the shadow (the body has one, for carets).
    mirror: Option<Mirror>,
    on_change: OnChange,
}

impl Binding {
    /// Binds `field` (and its `mirror`, if any) to `text`; the field is left
    /// as it is until the text first changes.
    pub(super) fn new(field: impl Field + 'static, mirror: Option<Mirror>, text: TextRef, on_change: OnChange) -> Rc<Self> {
        let binding = Rc::new(Binding {
            field: Box::new(field),
            text: text.clone(),
            shadow: RefCell::new(Vec::new()),
            shadow_js: RefCell::new(None),
            before_input: Cell::new(None),
            applying_input: Cell::new(false),
            splicing: Cell::new(false),
            shown: Cell::new(false),
            mirror,
            on_change,
        });
        let me = Rc::downgrade(&binding);
        text.observe("tandem-field", move |txn, event| {
            if let Some(me) = me.upgrade() {
                me.on_text_event(txn, event);
            }
        });
        binding
    }

    /// The field's mirror, if it has one.
    pub(super) fn mirror(&self) -> Option<&Mirror> {
        self.mirror.as_ref()
    }

    /// The bound element.
    pub(super) fn element(&self) -> web_sys::HtmlElement {
        self.field.element()
    }

    /// The field's selection (UTF-16 offsets), if it has one.
    pub(super) fn selection(&self) -> (Option<u32>, Option<u32>) {
        self.field.selection()
    }

    /// Whether a change from elsewhere is being shown in the field right now.
    pub(super) fn is_splicing(&self) -> bool {
        self.splicing.get()
    }

    /// Notes the selection an input is about to change (`beforeinput`).
    pub(super) fn before_input(&self) {
        if !self.splicing.get() {
            let (start, end) = self.field.selection();
            self.before_input.set(start.zip(end));
        }
    }

    /// Applies the field's new value to the text as one local transaction.
    pub(super) fn on_input(&self, doc: &Doc, origin: &Origin) {
        let before = self.before_input.take();
        if self.splicing.get() {
            return;
        }
        let value = self.field.value_js();
        let edit = {
            let (old, old_js) = (self.shadow.borrow(), self.shadow_js.borrow());
            input_edit::read(&old, old_js.as_ref(), &value, before, self.field.selection().1)
        };
        let (start, removed, inserted_units) = (edit.start, edit.removed, edit.inserted.len());
        let inserted = String::from_utf16_lossy(&edit.inserted);
        {
            let mut shadow = self.shadow.borrow_mut();
            shadow.splice(start as usize..(start + removed) as usize, edit.inserted);
            if let Some(mirror) = &self.mirror {
                mirror.splice(&shadow, start as usize, removed as usize, inserted_units);
            }
        }
        *self.shadow_js.borrow_mut() = Some(value.clone());
        self.shown.set(true); // the field shows the text: the user typed on it
        if removed == 0 && inserted.is_empty() {
            return;
        }
        self.applying_input.set(true);
        {
            let mut txn = doc.transact_mut_with(origin.clone());
            if removed > 0 {
                self.text.remove_range(&mut txn, start, removed);
            }
            if !inserted.is_empty() {
                self.text.insert(&mut txn, start, &inserted);
            }
        }
        self.applying_input.set(false);
        (self.on_change)(&|| String::from(value.clone()));
    }

    /// The field's selection, anchored to the characters around it.
    pub(super) fn anchors(&self, doc: &Doc) -> Anchors {
        let txn = doc.transact();
        // Past the last character there is none to stick before: stick after the last one instead.
        let stick = |i| {
            let after = self.text.sticky_index(&txn, i, Assoc::After);
            after.or_else(|| self.text.sticky_index(&txn, i, Assoc::Before))
        };
        let at = |i: Option<u32>| i.and_then(stick);
        let (start, end) = self.field.selection();
        Anchors(at(start), at(end))
    }

    /// Shows a change made elsewhere (remote, undo, redo) in the field.
    fn on_text_event(&self, txn: &TransactionMut, event: &TextEvent) {
        if self.applying_input.get() {
            return;
        }
        self.splicing.set(true);
        let scroll = self.field.scroll();
        // The first line in view, so that text arriving above it does not push it away.
        let mut anchor = self.mirror.as_ref().and_then(|m| m.first_visible(scroll));
        let spliced = self.shown.get() && self.splice_delta(event.delta(txn), &mut anchor);
        if !spliced {
            self.show_whole(&self.text.get_string(txn));
        }
        let anchored = anchor.zip(self.mirror.as_ref()).and_then(|((offset, into), m)| Some(m.line_top(offset)? + into));
        self.field.set_scroll(anchored.unwrap_or(scroll));
        *self.shadow_js.borrow_mut() = Some(self.field.value_js());
        self.splicing.set(false);
        (self.on_change)(&|| self.text.get_string(txn));
    }

    /// Applies `delta` to the field and the shadow, moving `anchor` (an
    /// offset) with its character; `false` (and nothing applied) if it holds
    /// something other than plain text.
    fn splice_delta(&self, delta: &[Delta], anchor: &mut Option<(usize, i32)>) -> bool {
        let mut follow = |at: usize, removed: usize, inserted: usize| {
            if let Some((offset, _)) = anchor.as_mut() {
                *offset = shift(*offset as u32, at as u32, (at + removed) as u32, inserted as u32) as usize;
            }
        };
        let plain = |d: &Delta| !matches!(d, Delta::Inserted(out, _) if !matches!(out, Out::Any(Any::String(_))));
        if !delta.iter().all(plain) {
            return false;
        }
        let mut shadow = self.shadow.borrow_mut();
        let mut at = 0usize;
        for d in delta {
            match d {
                Delta::Retain(n, _) => at += *n as usize,
                Delta::Deleted(n) => {
                    let end = (at + *n as usize).min(shadow.len());
                    let at_now = at.min(end);
                    splice(&*self.field, at_now as u32, end as u32, "");
                    follow(at_now, end - at_now, 0);
                    shadow.drain(at_now..end);
                    if let Some(mirror) = &self.mirror {
                        mirror.splice(&shadow, at_now, end - at_now, 0);
                    }
                }
                Delta::Inserted(Out::Any(Any::String(s)), _) => {
                    let units: Vec<u16> = s.encode_utf16().collect();
                    let at_now = at.min(shadow.len());
                    splice(&*self.field, at_now as u32, at_now as u32, s);
                    follow(at_now, 0, units.len());
                    shadow.splice(at_now..at_now, units.iter().copied());
                    if let Some(mirror) = &self.mirror {
                        mirror.splice(&shadow, at_now, 0, units.len());
                    }
                    at = at_now + units.len();
                }
                Delta::Inserted(..) => {}
            }
        }
        true
    }

    /// Replaces the field's value with `value` (unless it already shows it).
    fn show_whole(&self, value: &str) {
        let units: Vec<u16> = value.encode_utf16().collect();
        if self.field.value() != value {
            self.field.set_value(value);
        }
        if let Some(mirror) = &self.mirror {
            mirror.reset(&units);
        }
        *self.shadow.borrow_mut() = units;
        self.shown.set(true);
    }
}
