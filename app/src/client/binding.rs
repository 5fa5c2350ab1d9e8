//! Binds a text field (the body's text area, the title input) to a shared
//! text: each input becomes the smallest delete and insert, and remote changes
//! keep the local selection on the same characters.

use crate::text_diff::diff;
use std::cell::RefCell;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yrs::{Assoc, Doc, GetString, IndexedSequence, Origin, StickyIndex, Text, TextRef, Transact};

/// What a binding needs from a text field.
pub(super) trait Field {
    fn value(&self) -> String;
    fn set_value(&self, value: &str);
    fn selection(&self) -> (Option<u32>, Option<u32>);
    fn select(&self, start: u32, end: u32);
    fn element(&self) -> web_sys::HtmlElement;
}

macro_rules! impl_field {
    ($ty:ty) => {
        impl Field for $ty {
            fn value(&self) -> String {
                <$ty>::value(self)
            }
            fn set_value(&self, value: &str) {
                let scroll = self.scroll_top();
                <$ty>::set_value(self, value);
                self.set_scroll_top(scroll);
            }
            fn selection(&self) -> (Option<u32>, Option<u32>) {
                (self.selection_start().ok().flatten(), self.selection_end().ok().flatten())
            }
            fn select(&self, start: u32, end: u32) {
                let _ = self.set_selection_range(start, end);
            }
            fn element(&self) -> web_sys::HtmlElement {
                self.clone().into()
            }
        }
    };
}

impl_field!(HtmlTextAreaElement);
impl_field!(HtmlInputElement);

/// The selection of a field, anchored to characters of the shared text.
pub(super) struct Anchors(Option<StickyIndex>, Option<StickyIndex>);

impl Anchors {
    /// (start, end).
    pub(super) fn into_parts(self) -> (Option<StickyIndex>, Option<StickyIndex>) {
        (self.0, self.1)
    }
}

/// One field bound to one shared text.
pub(super) struct Binding {
    field: Box<dyn Field>,
    text: TextRef,
    /// The field's value as of the last sync with the text, in UTF-16 code units.
    shadow: RefCell<Vec<u16>>,
    /// Told the new value after every change, local or remote.
    on_change: Box<dyn Fn(&str)>,
}

impl Binding {
    /// A binding of `field` to `text`; the field shows nothing until the first [`Binding::refresh`].
    pub(super) fn new(field: impl Field + 'static, text: TextRef, on_change: impl Fn(&str) + 'static) -> Self {
        Binding { field: Box::new(field), text, shadow: RefCell::new(Vec::new()), on_change: Box::new(on_change) }
    }

    /// The bound element.
    pub(super) fn element(&self) -> web_sys::HtmlElement {
        self.field.element()
    }

    /// Applies the field's new value to the text as one local transaction.
    pub(super) fn on_input(&self, doc: &Doc, origin: &Origin) {
        let value = self.field.value();
        let units: Vec<u16> = value.encode_utf16().collect();
        let (start, removed, inserted) = {
            let old = self.shadow.borrow();
            let (start, removed, inserted) = diff(&old, &units);
            (start, removed, String::from_utf16_lossy(inserted))
        };
        *self.shadow.borrow_mut() = units;
        if removed == 0 && inserted.is_empty() {
            return;
        }
        {
            let mut txn = doc.transact_mut_with(origin.clone());
            if removed > 0 {
                self.text.remove_range(&mut txn, start, removed);
            }
            if !inserted.is_empty() {
                self.text.insert(&mut txn, start, &inserted);
            }
        }
        (self.on_change)(&value);
    }

    /// The field's selection, anchored before a change to the text.
    pub(super) fn anchors(&self, doc: &Doc) -> Anchors {
        let txn = doc.transact();
        let at = |i: Option<u32>| i.and_then(|i| self.text.sticky_index(&txn, i, Assoc::After));
        let (start, end) = self.field.selection();
        Anchors(at(start), at(end))
    }

    /// Shows the text's current value, with the selection where `anchors` now are.
    pub(super) fn refresh(&self, doc: &Doc, anchors: &Anchors) {
        let txn = doc.transact();
        let value = self.text.get_string(&txn);
        let units: Vec<u16> = value.encode_utf16().collect();
        if units == *self.shadow.borrow() {
            return;
        }
        self.field.set_value(&value);
        *self.shadow.borrow_mut() = units;
        let offset = |a: &Option<StickyIndex>| a.as_ref().and_then(|a| a.get_offset(&txn)).map(|o| o.index);
        if let (Some(start), Some(end)) = (offset(&anchors.0), offset(&anchors.1)) {
            self.field.select(start, end);
        }
        drop(txn);
        (self.on_change)(&value);
    }
}
