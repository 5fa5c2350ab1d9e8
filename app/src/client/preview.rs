//! The preview in the browser: one element per top-level Markdown block
//! ([`crate::blocks`]), so an edit replaces only the elements of the blocks
//! it touched, and the preview follows the body's scrolling block by block.

use crate::blocks::{Blocks, Patch, wrap};
use std::cell::{Cell, RefCell};
use web_sys::Element;

/// Blocks drawn at once when the preview is drawn from scratch: about the
/// first screens. The rest follow in [`LATER_BLOCKS`]-sized steps after the
/// first paint, so that showing a long document's preview does not wait for
/// all of it.
const FIRST_BLOCKS: usize = 200;
/// Blocks drawn per step after the first paint.
const LATER_BLOCKS: usize = 2000;

/// The preview's element and the blocks it shows. In cells: the session
/// shares it and calls it through `&self`; never borrowed across a call out.
pub(super) struct Preview {
    root: Element,
    blocks: RefCell<Blocks>,
    /// Whether the elements in `root` are the blocks' (at first they are the
    /// server-rendered ones, taken over if there is one per block).
    adopted: Cell<bool>,
    /// How many of the blocks have their element yet (the first ones; the
    /// rest are drawn by [`Preview::draw_more`]).
    drawn: Cell<usize>,
}

impl Preview {
    /// A preview drawing into `root`, which holds what the server rendered of `initial`.
    pub(super) fn new(root: Element, initial: &str) -> Self {
        let mut blocks = Blocks::default();
        blocks.update(initial);
        let count = blocks.blocks().len();
        let adopted = root.child_element_count() as usize == count;
        Preview { root, blocks: RefCell::new(blocks), adopted: Cell::new(adopted), drawn: Cell::new(if adopted { count } else { 0 }) }
    }

    /// Shows `text`, replacing only the elements of the blocks that changed.
    /// `true` if blocks are left to draw ([`Preview::draw_more`], after the paint).
    pub(super) fn show(&self, text: &str) -> bool {
        // An edit's patch counts on every block having its element.
        while self.draw_more() {}
        let mut blocks = self.blocks.borrow_mut();
        let patch = blocks.update(text);
        if !self.adopted.replace(true) {
            // Nothing or something else is shown: start from scratch, the first screens now.
            self.root.set_inner_html("");
            let first = blocks.blocks().len().min(FIRST_BLOCKS);
            self.append(&blocks.blocks()[..first]);
            self.drawn.set(first);
            return first < blocks.blocks().len();
        }
        self.drawn.set(blocks.blocks().len());
        if patch.removed == 0 && patch.inserted.is_empty() {
            return false;
        }
        self.apply(&patch);
        false
    }

    /// Draws the next blocks not drawn yet; `true` if some are still left.
    pub(super) fn draw_more(&self) -> bool {
        let blocks = self.blocks.borrow();
        let (from, all) = (self.drawn.get(), blocks.blocks().len());
        if from >= all {
            return false;
        }
        let to = all.min(from + LATER_BLOCKS);
        self.append(&blocks.blocks()[from..to]);
        self.drawn.set(to);
        to < all
    }

    /// Replaces the elements `patch` removes with its blocks'.
    fn apply(&self, patch: &Patch) {
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

    /// Adds `blocks`' elements at the end.
    fn append(&self, blocks: &[crate::blocks::Block]) {
        let html: String = blocks.iter().map(wrap).collect();
        let _ = self.root.insert_adjacent_html("beforeend", &html);
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
