//! An invisible copy of the body's text, laid out exactly like the text area
//! (same box, font, padding, wrapping and scroll), one block per line. It
//! answers "where on screen is UTF-16 offset N" with a DOM range, which a
//! text area cannot. Edits replace only the lines they touch, so the browser
//! lays out one line again, not the whole document.

use crate::lines::LineIndex;
use crate::presence::Rect;
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, Node};

/// The newline, in UTF-16.
const NEWLINE: u16 = b'\n' as u16;

/// The mirror of the body.
pub(super) struct Mirror {
    root: HtmlElement,
    /// Where each line starts; line `i` is `root`'s child `i`. A `RefCell`:
    /// the binding that owns the mirror edits it through `&self`.
    lines: RefCell<LineIndex>,
}

impl Mirror {
    /// A mirror drawing into `root` (an element styled like the text area).
    pub(super) fn new(root: HtmlElement) -> Self {
        let mirror = Mirror { root, lines: RefCell::new(LineIndex::new(&[])) };
        mirror.reset(&[]);
        mirror
    }

    /// Shows `text` from scratch.
    pub(super) fn reset(&self, text: &[u16]) {
        self.root.set_text_content(None);
        let lines = self.line_elements(text);
        for line in &lines {
            let _ = self.root.append_child(line);
        }
        *self.lines.borrow_mut() = LineIndex::new(text);
    }

    /// Follows an edit: `removed` units at `start` were replaced by `inserted` units; `text` is the result.
    pub(super) fn splice(&self, text: &[u16], start: usize, removed: usize, inserted: usize) {
        let edit = self.lines.borrow_mut().splice(text, start, removed, inserted);
        let children = self.root.children();
        let next = children.item((edit.first + edit.replaced) as u32);
        let stale: Vec<Element> = (edit.first..edit.first + edit.replaced).filter_map(|i| children.item(i as u32)).collect();
        for el in stale {
            el.remove();
        }
        for line in self.line_elements(&text[edit.region]) {
            let _ = self.root.insert_before(&line, next.as_ref().map(|n| n.unchecked_ref::<Node>()));
        }
    }

    /// Takes the mirror out of layout while nothing is measured in it (it
    /// costs a layout of the whole text when it comes back).
    pub(super) fn set_active(&self, active: bool) {
        let _ = self.root.style().set_property("display", if active { "block" } else { "none" });
    }

    /// Keeps the mirror scrolled like `field`, with a scroll bar (which
    /// narrows the text) exactly when the field has one.
    pub(super) fn follow(&self, field: &HtmlElement) {
        let bar = if field.scroll_height() > field.client_height() { "scroll" } else { "hidden" };
        let _ = self.root.style().set_property("overflow-y", bar);
        self.root.set_scroll_top(field.scroll_top());
    }

    /// The line at the top of the view when scrolled to `scroll`: its start
    /// offset and how far into it the view starts, in pixels. `None` while
    /// the mirror is out of layout.
    pub(super) fn first_visible(&self, scroll: i32) -> Option<(usize, i32)> {
        if self.root.style().get_property_value("display").ok()?.as_str() == "none" {
            return None;
        }
        let children = self.root.children();
        let line = |i: usize| children.item(i as u32)?.dyn_into::<HtmlElement>().ok();
        // The first line whose bottom is below the top of the view.
        let (mut lo, mut hi) = (0usize, children.length() as usize);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let el = line(mid)?;
            if el.offset_top() + el.offset_height() <= scroll { lo = mid + 1 } else { hi = mid }
        }
        let start = self.lines.borrow().start(lo)?;
        Some((start, scroll - line(lo)?.offset_top()))
    }

    /// The top of the line holding `offset`, in pixels from the top of the text.
    pub(super) fn line_top(&self, offset: usize) -> Option<i32> {
        let (line, _) = self.lines.borrow().locate(offset);
        let el: HtmlElement = self.root.children().item(line as u32)?.dyn_into().ok()?;
        Some(el.offset_top())
    }

    /// The visible height of the mirror's box.
    pub(super) fn height(&self) -> f64 {
        f64::from(self.root.client_height())
    }

    /// The rectangles covering `from..to` (a caret when equal), relative to the mirror's box.
    pub(super) fn rects(&self, from: usize, to: usize) -> Vec<Rect> {
        let origin = self.root.get_bounding_client_rect();
        let relative = |r: &web_sys::DomRect| Rect {
            top: r.top() - origin.top(),
            left: r.left() - origin.left(),
            width: r.width(),
            height: r.height(),
        };
        let (Some(start), Some(end)) = (self.point(from), self.point(to)) else { return Vec::new() };
        let Some(range) = self.root.owner_document().and_then(|d| d.create_range().ok()) else { return Vec::new() };
        if range.set_start(&start.0, start.1).is_err() || range.set_end(&end.0, end.1).is_err() {
            return Vec::new();
        }
        let mut out: Vec<Rect> = match range.get_client_rects() {
            Some(rects) => (0..rects.length()).filter_map(|i| rects.item(i)).map(|r| relative(&r)).collect(),
            None => Vec::new(),
        };
        if out.is_empty() && from == to {
            // A caret on an empty line: the line's own box.
            if let Some(el) = start.0.dyn_ref::<Element>() {
                let r = relative(&el.get_bounding_client_rect());
                out.push(Rect { width: 0.0, ..r });
            }
        }
        out
    }

    /// The DOM position of UTF-16 offset `offset`: a text node and an offset in it, or an empty line's element.
    fn point(&self, offset: usize) -> Option<(Node, u32)> {
        let (line, column) = self.lines.borrow().locate(offset);
        let el = self.root.children().item(line as u32)?;
        let column = column as u32;
        match el.first_child() {
            Some(text) => {
                let len = text.node_value().map_or(0, |v| v.encode_utf16().count() as u32);
                Some((text, column.min(len)))
            }
            None => Some((el.into(), 0)),
        }
    }

    /// One block element per line of `text`.
    fn line_elements(&self, text: &[u16]) -> Vec<Element> {
        let Some(document) = self.root.owner_document() else { return Vec::new() };
        text.split(|&u| u == NEWLINE)
            .filter_map(|line| {
                let el = document.create_element("div").ok()?;
                if !line.is_empty() {
                    el.set_text_content(Some(&String::from_utf16_lossy(line)));
                }
                Some(el)
            })
            .collect()
    }
}
