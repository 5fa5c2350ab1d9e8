//! The preview in the browser: one element per top-level Markdown block
//! ([`crate::blocks`]), so an edit replaces only the elements of the blocks
//! it touched, and the preview follows the body's scrolling block by block.
//!
//! The Markdown renderer (pulldown-cmark and [`crate::markdown`]) is in a
//! wasm chunk of its own (`cargo leptos build --split`), fetched the first
//! time the preview is shown: typing needs none of it.

use crate::blocks::{Blocks, Patch, wrap};
use leptos::prelude::lazy;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use web_sys::Element;

/// Follows the blocks to a new text, rendering the blocks that changed:
/// [`Blocks::update`], reached through this pointer so that its code, and
/// the renderer's, stay in the chunk [`renderer`] loads.
type Update = fn(&mut Blocks, &str) -> Patch;

/// The renderer; the first call fetches its chunk.
#[lazy]
fn renderer() -> Update {
    Blocks::update
}

/// The preview's element and the blocks it shows. In cells: the session
/// shares it and calls it through `&self`; never borrowed across a call out.
pub(super) struct Preview {
    me: Weak<Preview>,
    root: Element,
    blocks: RefCell<Blocks>,
    /// Whether the elements in `root` are this preview's (at first they are
    /// the server-rendered ones, which are taken over if they match).
    adopted: Cell<bool>,
    /// The renderer, once its chunk is here.
    update: Cell<Option<Update>>,
    /// While the renderer loads, the last text asked for: shown when it arrives.
    waiting: RefCell<Option<String>>,
}

impl Preview {
    /// A preview drawing into `root`.
    pub(super) fn new(root: Element) -> Rc<Self> {
        Rc::new_cyclic(|me| Preview {
            me: me.clone(),
            root,
            blocks: RefCell::new(Blocks::default()),
            adopted: Cell::new(false),
            update: Cell::new(None),
            waiting: RefCell::new(None),
        })
    }

    /// Shows `text`, replacing only the elements of the blocks that changed;
    /// the first time, once the renderer has been fetched.
    pub(super) fn show(&self, text: &str) {
        let Some(update) = self.update.get() else {
            if self.waiting.replace(Some(text.to_owned())).is_none() {
                self.load_renderer();
            }
            return;
        };
        let mut blocks = self.blocks.borrow_mut();
        let mut patch = update(&mut blocks, text);
        if !self.adopted.replace(true) && self.root.child_element_count() as usize != blocks.blocks().len() {
            // The server rendered another text (or none): start from scratch.
            self.root.set_inner_html("");
            patch = Patch { first: 0, removed: 0, inserted: blocks.blocks().to_vec() };
        } else if patch.first == 0 && patch.removed == 0 && patch.inserted.len() == blocks.blocks().len() && self.root.child_element_count() > 0 {
            // The first text, already shown as the server rendered it.
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

    /// Fetches the renderer, then shows the text last asked for (unless the
    /// session stopped meanwhile, letting go of this preview).
    fn load_renderer(&self) {
        let me = self.me.clone();
        leptos::task::spawn_local(async move {
            let update = renderer().await;
            let Some(me) = me.upgrade() else { return };
            me.update.set(Some(update));
            if let Some(text) = me.waiting.take() {
                me.show(&text);
            }
        });
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
