//! Others' carets and selections in the body: positions shared as relative
//! positions in awareness, drawn over the text area where the mirror says
//! their characters are.

use super::Session;
use crate::presence::{CaretView, Cursor, Rect, from_rel, px, to_rel};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
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
        if self.carets.due.replace(true) {
            return;
        }
        let me = self.me.clone();
        request_animation_frame(move || {
            if let Some(me) = me.upgrade().filter(|me| !me.hooks.stopped()) {
                me.carets.due.set(false);
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
    /// Whether drawing is scheduled for the next frame (a `Cell`: set and
    /// cleared through the shared session).
    due: Cell<bool>,
    /// What is shown per collaborator (by client id). A `RefCell`: redrawn
    /// through the shared session; taken out whole while a redraw runs.
    shown: RefCell<Vec<Shown>>,
}

/// One collaborator's caret as shown: what it shows ([`CaretView::key`]),
/// its caret element (kept while the collaborator is here, moved in place)
/// and its selection rectangles (rebuilt when they change).
struct Shown {
    client_id: u64,
    key: u64,
    caret: Element,
    selection: Vec<Element>,
}

impl CaretLayer {
    /// A layer drawing into `root` (empty, positioned over the text area).
    pub(super) fn new(root: Element) -> Self {
        CaretLayer { root, due: Cell::new(false), shown: RefCell::new(Vec::new()) }
    }

    /// Shows exactly `carets`. Each collaborator keeps one caret element for
    /// as long as they are here; a caret that changed is updated in place.
    fn show(&self, carets: Vec<CaretView>) {
        let mut old = std::mem::take(&mut *self.shown.borrow_mut());
        let mut shown = Vec::with_capacity(carets.len());
        for caret in &carets {
            let kept = old.iter().position(|s| s.client_id == caret.client_id).map(|i| old.swap_remove(i));
            let entry = match kept {
                Some(entry) if entry.key == caret.key() => entry,
                Some(entry) => self.update(entry, caret),
                None => match caret_element(caret) {
                    Some(element) => {
                        let _ = self.root.append_child(&element);
                        self.update(Shown { client_id: caret.client_id, key: 0, caret: element, selection: Vec::new() }, caret)
                    }
                    None => continue,
                },
            };
            shown.push(entry);
        }
        for gone in old {
            gone.selection.iter().for_each(Element::remove);
            gone.caret.remove();
        }
        *self.shown.borrow_mut() = shown;
    }

    /// Moves `entry`'s caret to `c` and draws `c`'s selection in place of the old one.
    fn update(&self, mut entry: Shown, c: &CaretView) -> Shown {
        let ink = crate::presence::ink_on(&c.color);
        let style = format!("--c: {}; --on-c: {ink}; top: {}; left: {}; height: {}", c.color, px(c.top), px(c.left), px(c.height));
        let _ = entry.caret.set_attribute("data-offset", &c.offset.to_string());
        let _ = entry.caret.set_attribute("data-name", &c.name);
        let _ = entry.caret.set_attribute("style", &style);
        if let Some(label) = entry.caret.first_element_child() {
            label.set_text_content(Some(&c.name));
        }
        entry.selection.iter().for_each(Element::remove);
        entry.selection = c
            .selection
            .iter()
            .filter_map(|r| {
                let style = format!("--c: {}; top: {}; left: {}; width: {}; height: {}", c.color, px(r.top), px(r.left), px(r.width), px(r.height));
                span("selection", &[("data-name", &c.name), ("style", &style)])
            })
            .collect();
        for element in &entry.selection {
            let _ = self.root.insert_before(element, Some(&entry.caret));
        }
        entry.key = c.key();
        entry
    }
}

/// A caret element with its name label, placed by [`CaretLayer::update`].
fn caret_element(c: &CaretView) -> Option<Element> {
    let caret = span("caret", &[("data-name", &c.name)])?;
    let label = span("caret-label", &[])?;
    let _ = caret.append_child(&label);
    Some(caret)
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
