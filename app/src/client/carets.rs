//! Others' carets and selections in the body: positions shared as relative
//! positions in awareness, drawn over the text area where the mirror says
//! their characters are.

use super::Session;
use crate::presence::{CaretView, Cursor, Rect, from_rel, px, to_rel};
use leptos::prelude::*;
use std::cell::RefCell;
use web_sys::Element;
use yrs::Transact;

/// Most rectangles drawn for one selection (a selection of a whole large
/// document would otherwise cost a rectangle per line).
const MAX_SELECTION_RECTS: usize = 400;

impl Session {
    /// Our selection in the body, as shared positions.
    pub(super) fn local_cursor(&self) -> Option<Cursor> {
        let (anchor, head) = self.body.anchors(&self.doc).into_parts();
        Some(Cursor { anchor: to_rel(&anchor?), head: to_rel(&head?) })
    }

    /// Places every peer's caret and selection over the text area at the
    /// next frame: measuring needs a fresh layout, which a large text makes
    /// costly, so it is done once per frame, when the browser lays out anyway.
    pub(super) fn place_carets(&self) {
        if self.carets_due.replace(true) {
            return;
        }
        let me = self.me.clone();
        request_animation_frame(move || {
            if let Some(me) = me.upgrade() {
                me.carets_due.set(false);
                me.draw_carets();
            }
        });
    }

    /// Measures and draws every peer's caret and selection now.
    fn draw_carets(&self) {
        let Some(mirror) = self.body.mirror() else { return };
        let peers = self.signals.peers.get_untracked();
        let anyone = peers.iter().any(|p| p.cursor.is_some());
        mirror.set_active(anyone);
        if !anyone {
            return self.carets.show(Vec::new());
        }
        mirror.follow(&self.body.element());
        let visible = mirror.height();
        let txn = self.doc.transact();
        let offset = |pos| from_rel(pos).and_then(|p| p.get_offset(&txn)).map(|o| o.index as usize);
        let carets: Vec<CaretView> = peers
            .iter()
            .filter_map(|peer| {
                let cursor = peer.cursor.as_ref()?;
                let head = offset(&cursor.head)?;
                let anchor = offset(&cursor.anchor).unwrap_or(head);
                let caret = mirror.rects(head, head).last().copied()?;
                let selection = if anchor == head {
                    Vec::new()
                } else {
                    let shown = |r: &Rect| r.width > 0.0 && r.top + r.height > 0.0 && r.top < visible;
                    let rects = mirror.rects(anchor.min(head), anchor.max(head));
                    rects.into_iter().filter(shown).take(MAX_SELECTION_RECTS).collect()
                };
                Some(CaretView {
                    client_id: peer.client_id,
                    name: peer.user.name.clone(),
                    color: peer.user.color.clone(),
                    offset: head as u32,
                    top: caret.top,
                    left: caret.left,
                    height: caret.height,
                    selection,
                })
            })
            .collect();
        self.carets.show(carets);
    }
}

/// The layer over the text area where others' carets are drawn. Drawn from
/// here rather than by a reactive list: the carets exist only in the browser,
/// and a keyed list of views would add about 10 KB (gzip) to the wasm bundle.
pub(super) struct CaretLayer {
    root: Element,
    /// The elements of each caret shown, with the [`CaretView::key`] they show.
    shown: RefCell<Vec<(u64, Vec<Element>)>>,
}

impl CaretLayer {
    /// A layer drawing into `root` (empty, positioned over the text area).
    pub(super) fn new(root: Element) -> Self {
        CaretLayer { root, shown: RefCell::new(Vec::new()) }
    }

    /// Shows exactly `carets`. A caret that is still shown as it was keeps its
    /// elements; one that changed in any way is built again.
    fn show(&self, carets: Vec<CaretView>) {
        let mut old = std::mem::take(&mut *self.shown.borrow_mut());
        let mut shown = Vec::with_capacity(carets.len());
        let mut built = Vec::new();
        for caret in &carets {
            let key = caret.key();
            match old.iter().position(|(k, _)| *k == key) {
                Some(i) => shown.push(old.swap_remove(i)),
                None => {
                    let elements = caret_elements(caret);
                    built.extend(elements.iter().cloned());
                    shown.push((key, elements));
                }
            }
        }
        for element in old.into_iter().flat_map(|(_, elements)| elements) {
            element.remove();
        }
        for element in &built {
            let _ = self.root.append_child(element);
        }
        *self.shown.borrow_mut() = shown;
    }
}

/// A caret's selection rectangles, then the caret with its name label.
fn caret_elements(c: &CaretView) -> Vec<Element> {
    let mut elements: Vec<Element> = c
        .selection
        .iter()
        .filter_map(|r| {
            let style = format!("--c: {}; top: {}; left: {}; width: {}; height: {}", c.color, px(r.top), px(r.left), px(r.width), px(r.height));
            span("selection", &[("data-name", &c.name), ("style", &style)])
        })
        .collect();
    let style = format!("--c: {}; top: {}; left: {}; height: {}", c.color, px(c.top), px(c.left), px(c.height));
    let caret = span("caret", &[("data-name", &c.name), ("data-offset", &c.offset.to_string()), ("style", &style)]);
    let label = span("caret-label", &[]);
    if let (Some(caret), Some(label)) = (caret, label) {
        label.set_text_content(Some(&c.name));
        let _ = caret.append_child(&label);
        elements.push(caret);
    }
    elements
}

/// A `<span>` of `class` with `attributes` (values are set as text, never parsed as markup).
pub(super) fn span(class: &str, attributes: &[(&str, &str)]) -> Option<Element> {
    let span = document().create_element("span").ok()?;
    span.set_class_name(class);
    for (name, value) in attributes {
        let _ = span.set_attribute(name, value);
    }
    Some(span)
}
