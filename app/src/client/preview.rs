//! The preview in the browser: one element per top-level Markdown block
//! ([`crate::blocks`]), so an edit replaces only the elements of the blocks
//! it touched, and the preview follows the body's scrolling block by block.
//!
//! The Markdown renderer (pulldown-cmark and [`crate::markdown`]) is in a
//! wasm chunk of its own (`cargo leptos build --split`), fetched once the
//! page is idle or the first time the preview is shown: typing needs none
//! of it.

use super::field_events::after_paint;
use crate::blocks::{Block, Blocks, Patch, wrap};
use leptos::prelude::lazy;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use web_sys::Element;

/// Blocks drawn at once when the preview is drawn from scratch: about the
/// first screens. The rest follow in [`LATER_BLOCKS`]-sized steps after the
/// first paint, so that showing a long document's preview does not wait for
/// all of it.
const FIRST_BLOCKS: usize = 200;
/// Blocks drawn per step after the first paint.
const LATER_BLOCKS: usize = 2000;

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
    /// The text the server rendered into `root`, until the first
    /// [`Preview::show`] takes its elements over (if there is one per block)
    /// or starts from scratch.
    rendered: RefCell<Option<String>>,
    /// How many of the blocks have their element yet (the first ones; the
    /// rest are drawn a step per paint).
    drawn: Cell<usize>,
    /// The renderer, once its chunk is here.
    update: Cell<Option<Update>>,
    /// Whether the renderer's chunk has been asked for.
    loading: Cell<bool>,
    /// While the renderer loads, the last text asked for: shown when it arrives.
    waiting: RefCell<Option<String>>,
    /// The text to render ahead of showing it ([`Preview::prepare`]), once
    /// the renderer is here; `None` once taken (or never asked for).
    ahead: RefCell<Option<Box<dyn FnOnce() -> String>>>,
    /// Whether [`Preview::prepare`] has been called.
    prepared: Cell<bool>,
    /// Called once a preview drawn from scratch has all its blocks.
    complete: Box<dyn Fn()>,
}

impl Preview {
    /// A preview drawing into `root`, which holds what the server rendered
    /// of `rendered`; `complete` is called whenever a preview drawn from
    /// scratch has drawn its last block.
    pub(super) fn new(root: Element, rendered: &str, complete: Box<dyn Fn()>) -> Rc<Self> {
        Rc::new_cyclic(|me| Preview {
            me: me.clone(),
            root,
            blocks: RefCell::new(Blocks::default()),
            rendered: RefCell::new(Some(rendered.to_owned())),
            drawn: Cell::new(0),
            update: Cell::new(None),
            loading: Cell::new(false),
            waiting: RefCell::new(None),
            ahead: RefCell::new(None),
            prepared: Cell::new(false),
            complete,
        })
    }

    /// Fetches the renderer's chunk, ahead of the first [`Preview::show`].
    pub(super) fn fetch(&self) {
        if self.loading.replace(true) {
            return;
        }
        let me = self.me.clone();
        leptos::task::spawn_local(async move {
            let update = renderer().await;
            let Some(me) = me.upgrade() else { return };
            me.update.set(Some(update));
            if let Some(text) = me.waiting.take() {
                me.show(&text);
            } else if me.ahead.borrow().is_some() {
                me.render_ahead_after_paint();
            }
        });
    }

    /// The first time only: renders the blocks of `text()` after the next
    /// paint without showing them, if nothing is shown, so that showing the
    /// preview later renders only what changed since.
    pub(super) fn prepare(&self, text: impl FnOnce() -> String + 'static) {
        if self.prepared.replace(true) {
            return;
        }
        *self.ahead.borrow_mut() = Some(Box::new(text));
        match self.update.get() {
            Some(_) => self.render_ahead_after_paint(),
            None => self.fetch(),
        }
    }

    /// Renders the text [`Preview::prepare`] was given, after the next paint.
    fn render_ahead_after_paint(&self) {
        let me = self.me.clone();
        after_paint(move || {
            let Some(me) = me.upgrade() else { return };
            let (Some(update), Some(text)) = (me.update.get(), me.ahead.take()) else { return };
            if me.root.child_element_count() == 0 && me.drawn.get() == 0 {
                // Nothing server-rendered to take over: the blocks need not match any.
                me.rendered.take();
                update(&mut me.blocks.borrow_mut(), &text());
            }
        });
    }

    /// Takes the blocks' elements out of the page while the preview is
    /// hidden (a style pass over thousands of them would slow every change
    /// of the page's layout); the next [`Preview::show`] draws them again,
    /// its first screens at once.
    pub(super) fn hide(&self) {
        if self.update.get().is_some() && !self.rendered.borrow().is_some() {
            self.root.set_inner_html("");
            self.drawn.set(0);
        }
    }

    /// Shows `text`, replacing only the elements of the blocks that changed;
    /// the first time, once the renderer has been fetched.
    pub(super) fn show(&self, text: &str) {
        let Some(update) = self.update.get() else {
            *self.waiting.borrow_mut() = Some(text.to_owned());
            return self.fetch();
        };
        // An edit's patch counts on every block having its element (when
        // some have theirs: with none, the preview is drawn from scratch).
        if self.drawn.get() > 0 {
            while self.draw_step() {}
        }
        let mut blocks = self.blocks.borrow_mut();
        let rendered = self.rendered.take();
        let adopted = rendered.is_some_and(|rendered| {
            update(&mut blocks, &rendered);
            self.root.child_element_count() as usize == blocks.blocks().len()
        });
        let patch = update(&mut blocks, text);
        if !adopted && self.drawn.get() == 0 {
            // Nothing or something else is shown: start from scratch, the first screens now.
            self.root.set_inner_html("");
            let first = blocks.blocks().len().min(FIRST_BLOCKS);
            append(&self.root, &blocks.blocks()[..first]);
            self.drawn.set(first);
            drop(blocks);
            return self.draw_later();
        }
        self.drawn.set(blocks.blocks().len());
        if patch.removed != 0 || !patch.inserted.is_empty() {
            self.apply(&patch);
        }
    }

    /// Draws the blocks not drawn yet a step after each paint, then says so.
    fn draw_later(&self) {
        let me = self.me.clone();
        after_paint(move || {
            // Hidden meanwhile ([`Preview::hide`]): nothing left to draw.
            let Some(me) = me.upgrade().filter(|me| me.drawn.get() > 0) else { return };
            if me.draw_step() {
                me.draw_later();
            } else {
                (me.complete)();
            }
        });
    }

    /// Draws the next blocks not drawn yet; `true` if some are still left.
    fn draw_step(&self) -> bool {
        let blocks = self.blocks.borrow();
        let (from, all) = (self.drawn.get(), blocks.blocks().len());
        if from >= all {
            return false;
        }
        let to = all.min(from + LATER_BLOCKS);
        append(&self.root, &blocks.blocks()[from..to]);
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

/// Adds `blocks`' elements at the end of `root`.
fn append(root: &Element, blocks: &[Block]) {
    let html: String = blocks.iter().map(wrap).collect();
    let _ = root.insert_adjacent_html("beforeend", &html);
}
