//! The preview in the browser: one element per top-level Markdown block
//! ([`crate::blocks`]), so an edit replaces only the elements of the blocks
//! it touched, and the preview follows the body's scrolling block by block.

use crate::blocks::{Blocks, Patch, wrap};
use std::cell::{Cell, RefCell};
use web_sys::Element;

/// The preview's element and the blocks it shows. In cells: the session
/// shares it and calls it through `&self`; never borrowed across a call out.
pub(super) struct Preview {
    root: Element,
    blocks: RefCell<Blocks>,
    /// Whether the elements in `root` are the blocks' (at first they are the
    /// server-rendered ones, taken over if there is one per block).
    adopted: Cell<bool>,
}

impl Preview {
    /// A preview drawing into `root`, which holds what the server rendered of `initial`.
    pub(super) fn new(root: Element, initial: &str) -> Self {
        let mut blocks = Blocks::default();
        blocks.update(initial);
        let adopted = root.child_element_count() as usize == blocks.blocks().len();
        Preview { root, blocks: RefCell::new(blocks), adopted: Cell::new(adopted) }
    }

    /// Shows `text`, replacing only the elements of the blocks that changed.
    pub(super) fn show(&self, text: &str) {
        let mut blocks = self.blocks.borrow_mut();
        let mut patch = blocks.update(text);
        if !self.adopted.replace(true) {
            // Nothing or something else is shown: start from scratch.
            self.root.set_inner_html("");
            patch = Patch { first: 0, removed: 0, inserted: blocks.blocks().to_vec() };
        }
        if patch.removed == 0 && patch.inserted.is_empty() {
            return;
        }
        let children = self.root.children();
        for _ in 0..patch.removed {
            if let Some(stale) = children.item(patch.first as u32) {
                stale.remove();
            }
        }
        let html: String = patch.inserted.iter().map(wrap).collect();
        match children.item(patch.first as u32) {
            Some(next) => {
                let _ = next.insert_adjacent_html("beforebegin", &html);
            }
            None => {
                let _ = self.root.insert_adjacent_html("beforeend", &html);
            }
        }
    }

    /// Scrolls so that the block holding line `line` (0-based) is at the
    /// top, `fraction` of the way into it.
    pub(super) fn scroll_to(&self, line: u32, fraction: f64) {
        let index = self.blocks.borrow().at_line(line);
        let Some(block) = self.root.children().item(index as u32) else { return };
        let block: &web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_ref(&block);
        let root: &web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_ref(&self.root);
        let top = block.offset_top() - root.offset_top();
        let into = f64::from(block.offset_height()) * fraction.clamp(0.0, 1.0);
        root.set_scroll_top(top + into as i32);
    }
}
