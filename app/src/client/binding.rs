//! Binds the title's input field to the shared title text: each input
//! becomes the smallest delete and insert (a title is short: the field's
//! value is compared whole), and every other change to the
//! text (remote, undo, redo) reaches the field as the same small splices, so
//! the caret and the selection stay on their characters. (The body has its
//! editing surface, [`super::surface`].)

use crate::text_diff::{diff, shift};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use web_sys::{HtmlInputElement, SelectionMode};
use yrs::types::text::TextEvent;
use yrs::types::Delta;
use yrs::{Any, Doc, GetString, Observable, Origin, Out, Text, TextRef, Transact, TransactionMut};

/// The title's input field.
type Field = HtmlInputElement;

/// The field's selection, if it has one.
fn selection_of(field: &Field) -> (Option<u32>, Option<u32>) {
    (field.selection_start().ok().flatten(), field.selection_end().ok().flatten())
}

/// Replaces `start..end` of `field` with `with`; the selection stays on the
/// same characters, as a shared caret does (see [`shift`]).
fn splice(field: &Field, start: u32, end: u32, with: &str) {
    let (Some(from), Some(to)) = selection_of(field) else {
        let _ = field.set_range_text_with_start_and_end_and_selection_mode(with, start, end, SelectionMode::Preserve);
        return;
    };
    let direction = field.selection_direction().ok().flatten().unwrap_or_default();
    let _ = field.set_range_text_with_start_and_end_and_selection_mode(with, start, end, SelectionMode::Preserve);
    let inserted = with.encode_utf16().count() as u32;
    let _ = field.set_selection_range_with_direction(shift(from, start, end, inserted), shift(to, start, end, inserted), &direction);
}

/// Told after every change of the text, with a way to read its new value
/// (reading is left to the listener: a large text is not copied for nothing).
pub(super) type OnChange = Box<dyn Fn(&dyn Fn() -> String)>;

/// The title field bound to the title text. Its state is in cells because the
/// field's event handlers and the text's observer share it through `Rc` and
/// get `&self`. Showing a change can fire the field's events synchronously
/// while `shadow` is borrowed: those handlers check `splicing` first.
pub(super) struct Binding {
    field: Field,
    text: TextRef,
    /// The field's value as of the last sync with the text, in UTF-16 code units.
    shadow: RefCell<Vec<u16>>,
    /// Set while the field's own input is applied to the text: the field shows it already.
    applying_input: Cell<bool>,
    /// Set while a change from elsewhere is shown in the field (which may
    /// fire the field's input event: it is not the user's input).
    splicing: Cell<bool>,
    /// Whether the field shows the shared text yet (at first it shows the
    /// server-rendered text, which the first change replaces whole).
    shown: Cell<bool>,
    on_change: OnChange,
}

impl Binding {
    /// Binds `field` to `text`; the field is left as it is until the text first changes.
    pub(super) fn new(field: Field, text: TextRef, on_change: OnChange) -> Rc<Self> {
        let binding = Rc::new(Binding {
            field,
            text: text.clone(),
            shadow: RefCell::new(Vec::new()),
            applying_input: Cell::new(false),
            splicing: Cell::new(false),
            shown: Cell::new(false),
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

    /// Applies the field's new value to the text as one local transaction.
    pub(super) fn on_input(&self, doc: &Doc, origin: &Origin) {
        if self.splicing.get() {
            return;
        }
        let value = self.field.value();
        let units: Vec<u16> = value.encode_utf16().collect();
        let (start, removed, inserted) = {
            let (start, removed, inserted) = diff(&self.shadow.borrow(), &units);
            (start, removed, String::from_utf16_lossy(inserted))
        };
        *self.shadow.borrow_mut() = units;
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
        (self.on_change)(&|| value.clone());
    }

    /// Shows a change made elsewhere (remote, undo, redo) in the field.
    fn on_text_event(&self, txn: &TransactionMut, event: &TextEvent) {
        if self.applying_input.get() {
            return;
        }
        self.splicing.set(true);
        let spliced = self.shown.get() && self.splice_delta(event.delta(txn));
        if !spliced {
            self.show_whole(&self.text.get_string(txn));
        }
        self.splicing.set(false);
        (self.on_change)(&|| self.text.get_string(txn));
    }

    /// Applies `delta` to the field and the shadow; `false` (and nothing
    /// applied) if it holds something other than plain text.
    fn splice_delta(&self, delta: &[Delta]) -> bool {
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
                    splice(&self.field, at_now as u32, end as u32, "");
                    shadow.drain(at_now..end);
                }
                Delta::Inserted(Out::Any(Any::String(s)), _) => {
                    let units: Vec<u16> = s.encode_utf16().collect();
                    let at_now = at.min(shadow.len());
                    splice(&self.field, at_now as u32, at_now as u32, s);
                    shadow.splice(at_now..at_now, units.iter().copied());
                    at = at_now + units.len();
                }
                Delta::Inserted(..) => {}
            }
        }
        true
    }

    /// Replaces the field's value with `value` (unless it already shows it).
    fn show_whole(&self, value: &str) {
        if self.field.value() != value {
            self.field.set_value(value);
        }
        *self.shadow.borrow_mut() = value.encode_utf16().collect();
        self.shown.set(true);
    }
}
