//! The fields' events: input and composition reach the bindings and the
//! core; selection, scrolling and resizing move carets.

use super::Session;
use super::binding::Binding;
use super::LOCAL;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yrs::Origin;

impl Session {
    /// Applies `el`'s input to its binding (a local transaction), and tells
    /// the core when an input method composition holds remote updates back.
    pub(super) fn listen_input(self: &Rc<Self>, el: &web_sys::EventTarget, binding: fn(&Session) -> &Binding) {
        let me = self.clone();
        let before = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| binding(&me).before_input());
        let _ = el.add_event_listener_with_callback("beforeinput", before.as_ref().unchecked_ref());
        before.forget(); // lives as long as the page
        let me = self.clone();
        let origin = Origin::from(LOCAL);
        let on_input = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| binding(&me).on_input(&me.doc, &origin));
        let _ = el.add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref());
        on_input.forget(); // lives as long as the page
        let me = self.clone();
        let on_start = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| me.core.borrow_mut().composition_started());
        let _ = el.add_event_listener_with_callback("compositionstart", on_start.as_ref().unchecked_ref());
        on_start.forget();
        let me = self.clone();
        let origin = Origin::from(LOCAL);
        let on_end = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            binding(&me).on_input(&me.doc, &origin);
            me.drive(|core| core.composition_ended());
        });
        let _ = el.add_event_listener_with_callback("compositionend", on_end.as_ref().unchecked_ref());
        on_end.forget();
    }

    /// Shares our caret when it moves, and keeps others' carets in place as we type and scroll.
    pub(super) fn track_selection(self: &Rc<Self>, el: &web_sys::EventTarget) {
        // Our own caret moving does not move anyone else's; typing and scrolling do.
        for event in ["select", "keyup", "mouseup", "input", "focus", "scroll"] {
            let me = self.clone();
            let handler = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
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
            let _ = el.add_event_listener_with_callback(event, handler.as_ref().unchecked_ref());
            handler.forget(); // lives as long as the page
        }
    }

    /// Places carets again whenever the body's box changes size (window
    /// resized, preview shown or hidden): the text wraps differently.
    pub(super) fn follow_resizes(self: &Rc<Self>, el: &web_sys::Element) {
        let me = Rc::downgrade(self);
        let on_resize = Closure::<dyn FnMut(js_sys::Array)>::new(move |_| {
            if let Some(me) = me.upgrade() {
                me.place_carets();
            }
        });
        match web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            Ok(observer) => observer.observe(el),
            Err(_) => leptos::logging::warn!("carets will not follow resizes"),
        }
        on_resize.forget(); // lives as long as the page
    }

}
