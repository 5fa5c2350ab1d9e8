//! The fields' events: input and composition reach the bindings and the
//! core; selection, scrolling and resizing move carets.

use super::Session;
use super::binding::Binding;
use super::LOCAL;
use std::rc::Rc;
use yrs::Origin;

impl Session {
    /// Applies `el`'s input to its binding (a local transaction), and tells
    /// the core when an input method composition holds remote updates back.
    pub(super) fn listen_input(self: &Rc<Self>, el: &web_sys::EventTarget, binding: fn(&Session) -> &Binding) {
        let me = self.clone();
        self.hooks.listen(el, "beforeinput", move |_| binding(&me).before_input());
        let me = self.clone();
        let origin = Origin::from(LOCAL);
        self.hooks.listen(el, "input", move |_| binding(&me).on_input(&me.doc, &origin));
        let me = self.clone();
        self.hooks.listen(el, "compositionstart", move |_| me.core.borrow_mut().composition_started());
        let me = self.clone();
        let origin = Origin::from(LOCAL);
        self.hooks.listen(el, "compositionend", move |_| {
            binding(&me).on_input(&me.doc, &origin);
            me.drive(|core| core.composition_ended());
        });
    }

    /// Shares our caret when it moves, and keeps others' carets in place as we type and scroll.
    pub(super) fn track_selection(self: &Rc<Self>, el: &web_sys::EventTarget) {
        // Our own caret moving does not move anyone else's; typing and scrolling do.
        for event in ["select", "keyup", "mouseup", "input", "focus", "scroll"] {
            let me = self.clone();
            self.hooks.listen(el, event, move |ev: web_sys::Event| {
                if me.body.is_splicing() {
                    return; // a remote change being shown, inside its transaction
                }
                let kind = ev.type_();
                if kind != "scroll" {
                    me.publish_cursor();
                }
                if kind == "input" || kind == "scroll" {
                    me.place_carets();
                }
            });
        }
    }

    /// Places carets again whenever the body's box changes size (window
    /// resized, preview shown or hidden): the text wraps differently.
    pub(super) fn follow_resizes(self: &Rc<Self>, el: &web_sys::Element) {
        let me = Rc::downgrade(self);
        self.hooks.observe_resizes(el, move |_| {
            if let Some(me) = me.upgrade() {
                me.place_carets();
            }
        });
    }
}
