//! The events of the page's fields: the surface's hooks (the person's edits,
//! selection moves, undo, input method compositions, images) and the title's
//! input and composition events reach the session.

use super::hooks::Hooks;
use super::keys::Command;
use super::{LOCAL, Session};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use leptos::prelude::*;
use yrs::{GetString, Origin, Transact};

/// The hooks the body's surface calls, each holding `me` weakly (the
/// surface lives inside the session); kept alive by `hooks` until the session stops.
pub(super) fn surface_hooks(me: &Weak<Session>, hooks: &Hooks) -> js_sys::Object {
    let object = js_sys::Object::new();
    let on = |name: &str, f: &JsValue| {
        let _ = js_sys::Reflect::set(&object, &name.into(), f);
    };
    let with = |f: fn(&Session)| {
        let me = me.clone();
        Closure::<dyn Fn()>::new(move || if let Some(me) = me.upgrade() { f(&me) })
    };
    let edited = {
        let (me, origin) = (me.clone(), Origin::from(LOCAL));
        Closure::<dyn Fn(js_sys::Array, bool)>::new(move |edits, alone: bool| {
            let Some(me) = me.upgrade() else { return };
            if alone {
                // Not merged with the typing before it, nor with what follows.
                me.undo.borrow_mut().reset();
            }
            me.body.on_edited(&me.doc, &origin, &edits);
            if alone {
                me.undo.borrow_mut().reset();
            }
            // Others' carets move with the text meanwhile; placed again from
            // their positions once typing pauses, they sit exactly on their characters.
            me.place_carets_when_idle();
        })
    };
    let composing = {
        let me = me.clone();
        Closure::<dyn Fn(bool)>::new(move |composing| {
            let Some(me) = me.upgrade() else { return };
            if composing {
                me.core.borrow_mut().composition_started();
            } else {
                me.drive(|core| core.composition_ended());
            }
        })
    };
    let images = {
        let me = me.clone();
        Closure::<dyn Fn(js_sys::Array, u32)>::new(move |files: js_sys::Array, at: u32| {
            if let Some(me) = me.upgrade() {
                me.take_images(files.iter().filter_map(|f| f.dyn_into().ok()).collect(), at);
            }
        })
    };
    let selected = with(Session::publish_cursor_after_paint);
    let undo = with(|me| me.run(Command::Undo));
    let redo = with(|me| me.run(Command::Redo));
    on("edited", edited.as_ref());
    on("composing", composing.as_ref());
    on("images", images.as_ref());
    on("selected", selected.as_ref());
    on("undo", undo.as_ref());
    on("redo", redo.as_ref());
    hooks.hold((edited, composing, images, selected, undo, redo));
    object
}

/// Runs `f` once the browser has painted the next frame.
/// A hidden page paints no frames: there it runs in the next task.
pub(super) fn after_paint(f: impl FnOnce() + 'static) {
    if document().hidden() {
        return set_timeout(f, std::time::Duration::ZERO);
    }
    request_animation_frame(move || set_timeout(f, std::time::Duration::ZERO));
}

impl Session {
    /// Keeps the preview up to date while it is shown, and scrolled like the body.
    pub(super) fn follow_with_preview(self: &Rc<Self>) {
        let me = Rc::downgrade(self);
        let previewing = self.signals.previewing;
        Effect::new(move || {
            let (shown, Some(me)) = (previewing.get(), me.upgrade()) else { return };
            if !shown {
                return me.preview.hide();
            }
            me.show_preview();
            let me = Rc::downgrade(&me);
            after_paint(move || if let Some(me) = me.upgrade().filter(|me| !me.hooks.stopped()) { me.scroll_preview() });
        });
        let me = self.clone();
        self.hooks.listen(&self.body.surface().scroller(), "scroll", move |_| me.scroll_preview());
        // Showing the preview later then need not wait for its renderer.
        let preview = Rc::downgrade(&self.preview);
        after_paint(move || if let Some(preview) = preview.upgrade() { preview.fetch() });
    }

    /// Shows the body's text in the preview, if it is shown and the body has
    /// the shared text (until then the preview keeps the server-rendered one).
    /// Hidden, the preview renders the shared text once, ahead of being shown.
    pub(super) fn show_preview(&self) {
        if !self.body.is_shown() {
            return;
        }
        if self.signals.previewing.get_untracked() {
            // Where the body's view starts is measured only if the preview is drawn from scratch.
            self.preview.show(&self.body_text(), || self.body_top());
        } else {
            let me = self.me.clone();
            self.preview.prepare(move || me.upgrade().map(|me| me.body_text()).unwrap_or_default());
        }
    }

    /// The body's text as it is now.
    fn body_text(&self) -> String {
        let text = self.doc.get_or_insert_text(tandem_sync::document::CONTENT);
        text.get_string(&self.doc.transact())
    }

    /// Scrolls the preview to the body's first line in view, if it is shown.
    /// (Measuring right after the preview changed would lay it out twice
    /// before it first shows: the effect scrolls it after that paint.)
    pub(super) fn scroll_preview(&self) {
        if self.signals.previewing.get_untracked() {
            let (line, fraction) = self.body_top();
            self.preview.scroll_to(line, fraction);
        }
    }

    /// The body's first line in view (0-based) and how far into it the view starts.
    fn body_top(&self) -> (u32, f64) {
        let top = self.body.surface().top_line();
        ((top.first().copied().unwrap_or(1.0) as u32).saturating_sub(1), top.get(1).copied().unwrap_or(0.0))
    }

    /// Applies the title's input to its binding (a local transaction), and
    /// tells the core when an input method composition holds remote updates back.
    pub(super) fn listen_title(self: &Rc<Self>, el: &web_sys::EventTarget) {
        let me = self.clone();
        let origin = Origin::from(LOCAL);
        self.hooks.listen(el, "input", move |_| me.title.on_input(&me.doc, &origin));
        let me = self.clone();
        self.hooks.listen(el, "compositionstart", move |_| me.core.borrow_mut().composition_started());
        let me = self.clone();
        let origin = Origin::from(LOCAL);
        self.hooks.listen(el, "compositionend", move |_| {
            me.title.on_input(&me.doc, &origin);
            me.drive(|core| core.composition_ended());
        });
    }
}
