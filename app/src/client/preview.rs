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
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use web_sys::Element;

/// Blocks drawn at once when the preview is drawn from scratch: the screens
/// around the body's view. The rest follow in [`LATER_BLOCKS`]-sized steps
/// after the first paint, so that showing a long document's preview does
/// not wait for all of it.
const FIRST_BLOCKS: usize = 200;
/// How many of the first blocks come before the one at the top of the body's view.
const FIRST_BEFORE: usize = 20;
/// Blocks drawn per step after the first paint (a step takes ~10 ms).
const LATER_BLOCKS: usize = 1000;
/// The height a line of text is taken to have in the preview, in pixels: the
/// space held for the blocks above the drawn ones until they are drawn (the
/// browser's scroll anchoring keeps the view still when they come).
const LINE_PX: u32 = 24;

/// Follows the blocks to a new text, rendering the blocks that changed:
/// [`Blocks::update`], reached through this pointer so that its code, and
/// the renderer's, stay in the chunk [`renderer`] loads.
type Update = fn(&mut Blocks, &str) -> Patch;

/// The renderer; the first call fetches its chunk. A chunk that cannot be
/// fetched (the network is gone) is an error, not a panic — a panic would
/// stop the whole page — and the next call tries again.
#[leptos::wasm_split::wasm_split(preview_renderer, wasm_split_path = ::leptos::wasm_split, fallible)]
fn renderer() -> Result<Update, leptos::wasm_split::SplitLoaderError> {
    Ok(Blocks::update)
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
    /// The blocks that have their element, `lo..hi`: drawn from scratch, the
    /// ones around the body's view first, the rest a step per paint. While
    /// `lo > 0`, the root's first child is a spacer holding their place.
    drawn: Cell<(usize, usize)>,
    /// The renderer, once its chunk is here.
    update: Cell<Option<Update>>,
    /// Whether the renderer's chunk has been asked for.
    loading: Cell<bool>,
    /// While the renderer loads, the last text asked for: shown when it arrives.
    waiting: RefCell<Option<(String, (u32, f64))>>,
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
    /// of `rendered`, for a page opened by the share link `link`, if any;
    /// `complete` is called whenever a preview drawn from
    /// scratch has drawn its last block.
    pub(super) fn new(root: Element, rendered: &str, link: Option<&str>, complete: Box<dyn Fn()>) -> Rc<Self> {
        Rc::new_cyclic(|me| Preview {
            me: me.clone(),
            root,
            blocks: RefCell::new(Blocks::for_link(link.map(str::to_owned))),
            rendered: RefCell::new(Some(rendered.to_owned())),
            drawn: Cell::new((0, 0)),
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
            let loaded = renderer().await;
            let Some(me) = me.upgrade() else { return };
            let Ok(update) = loaded else {
                // Asked for again by the next [`Preview::show`].
                leptos::logging::warn!("the preview's renderer could not be fetched");
                return me.loading.set(false);
            };
            me.update.set(Some(update));
            if let Some((text, top)) = me.waiting.take() {
                me.show(&text, || top);
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
            if me.root.child_element_count() == 0 && me.nothing_drawn() {
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
            self.drawn.set((0, 0));
        }
    }

    /// Whether no block has its element.
    fn nothing_drawn(&self) -> bool {
        self.drawn.get().1 == 0
    }

    /// Shows `text`, replacing only the elements of the blocks that changed;
    /// the first time, once the renderer has been fetched. Drawn from
    /// scratch, the blocks around the body's view come first, scrolled like
    /// it: `top` measures its first line in view (0-based) and how far into
    /// it, only when that is needed (measuring may lay the page out).
    pub(super) fn show(&self, text: &str, top: impl FnOnce() -> (u32, f64)) {
        let Some(update) = self.update.get() else {
            *self.waiting.borrow_mut() = Some((text.to_owned(), top()));
            return self.fetch();
        };
        // An edit's patch counts on every block having its element (when
        // some have theirs: with none, the preview is drawn from scratch).
        if !self.nothing_drawn() {
            while self.draw_step() {}
        }
        let mut blocks = self.blocks.borrow_mut();
        let rendered = self.rendered.take();
        let adopted = rendered.is_some_and(|rendered| {
            update(&mut blocks, &rendered);
            self.root.child_element_count() as usize == blocks.blocks().len()
        });
        let patch = update(&mut blocks, text);
        if !adopted && self.nothing_drawn() {
            // Nothing or something else is shown: start from scratch, the screens around the view now.
            self.root.set_inner_html("");
            let top = top();
            let all = blocks.blocks();
            let hi = all.len().min(blocks.at_line(top.0).saturating_sub(FIRST_BEFORE) + FIRST_BLOCKS);
            let lo = hi.saturating_sub(FIRST_BLOCKS);
            let mut html = spacer(all.get(lo).filter(|_| lo > 0));
            html.extend(all[lo..hi].iter().map(wrap));
            let _ = self.root.insert_adjacent_html("beforeend", &html);
            self.drawn.set((lo, hi));
            drop(blocks);
            self.scroll_to(top.0, top.1);
            return self.draw_later();
        }
        self.drawn.set((0, blocks.blocks().len()));
        if patch.removed != 0 || !patch.inserted.is_empty() {
            self.apply(&patch);
        }
    }

    /// Draws the blocks not drawn yet a step after each paint, then says so.
    fn draw_later(&self) {
        let me = self.me.clone();
        after_paint(move || {
            // Hidden meanwhile ([`Preview::hide`]): nothing left to draw.
            let Some(me) = me.upgrade().filter(|me| !me.nothing_drawn()) else { return };
            if me.draw_step() {
                me.draw_later();
            } else {
                (me.complete)();
            }
        });
    }

    /// Draws the next blocks not drawn yet, those above the drawn ones
    /// first (in the spacer's place); `true` if some are still left.
    fn draw_step(&self) -> bool {
        let blocks = self.blocks.borrow();
        let all = blocks.blocks();
        let (lo, hi) = self.drawn.get();
        if lo > 0 {
            let from = lo.saturating_sub(LATER_BLOCKS);
            let Some(held) = self.root.first_element_child() else { return false };
            let mut html = spacer(all.get(from).filter(|_| from > 0));
            html.extend(all[from..lo].iter().map(wrap));
            let _ = held.insert_adjacent_html("afterend", &html);
            held.remove();
            self.drawn.set((from, hi));
        } else if hi < all.len() {
            let to = all.len().min(hi + LATER_BLOCKS);
            let html: String = all[hi..to].iter().map(wrap).collect();
            let _ = self.root.insert_adjacent_html("beforeend", &html);
            self.drawn.set((0, to));
        }
        let (lo, hi) = self.drawn.get();
        lo > 0 || hi < all.len()
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
    /// A block not drawn yet is scrolled to once all are.
    pub(super) fn scroll_to(&self, line: u32, fraction: f64) {
        let index = self.blocks.borrow().at_line(line);
        let (lo, hi) = self.drawn.get();
        if index < lo || index >= hi {
            return;
        }
        let child = index - lo + usize::from(lo > 0);
        let Some(block) = self.root.children().item(child as u32) else { return };
        let block: &web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_ref(&block);
        let root: &web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_ref(&self.root);
        let top = block.offset_top() - root.offset_top();
        let into = f64::from(block.offset_height()) * fraction.clamp(0.0, 1.0);
        root.set_scroll_top(top + into as i32);
    }
}

/// The element holding the place of the blocks before `first` (none if
/// `first` is `None`): as high as their lines, at [`LINE_PX`] each.
fn spacer(first: Option<&Block>) -> String {
    first.map_or_else(String::new, |b| format!("<div class=\"md-spacer\" aria-hidden=\"true\" style=\"height:{}px\"></div>", b.line * LINE_PX))
}
