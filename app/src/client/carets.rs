//! Others' carets in the body: positions shared as relative positions in
//! awareness, drawn over the text area at the pixel position of their character.

use super::Session;
use crate::presence::{CaretView, Cursor, from_rel, to_rel};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yrs::{ReadTxn, Transact};

/// Style properties that decide where text wraps, copied to the measuring mirror.
const MIRRORED: [&str; 14] = [
    "box-sizing", "width", "padding-top", "padding-right", "padding-bottom", "padding-left",
    "border-top-width", "border-left-width", "font-family", "font-size", "font-weight",
    "line-height", "letter-spacing", "tab-size",
];

impl Session {
    /// Our selection in the body, as shared positions.
    pub(super) fn local_cursor(&self) -> Option<Cursor> {
        let (anchor, head) = self.body.anchors(&self.doc).into_parts();
        Some(Cursor { anchor: to_rel(&anchor?), head: to_rel(&head?) })
    }

    /// Places every peer's caret over the text area.
    pub(super) fn place_carets(&self) {
        let peers = self.signals.peers.get_untracked();
        let textarea = self.body.element();
        let txn = self.doc.transact();
        let text = txn.get_text(crate::document::CONTENT);
        let value: Vec<u16> = text.map(|t| yrs::GetString::get_string(&t, &txn)).unwrap_or_default().encode_utf16().collect();
        let carets = peers
            .iter()
            .filter_map(|peer| {
                let cursor = peer.cursor.as_ref()?;
                let offset = from_rel(&cursor.head)?.get_offset(&txn)?.index;
                let (top, left, height) = measure(&textarea, &value[..(offset as usize).min(value.len())])?;
                Some(CaretView {
                    client_id: peer.client_id,
                    name: peer.user.name.clone(),
                    color: peer.user.color.clone(),
                    offset,
                    top: top - f64::from(textarea.scroll_top()),
                    left,
                    height,
                })
            })
            .collect();
        self.signals.carets.set(carets);
    }
}

/// Where the text `before` ends inside `textarea`: (top, left, line height) in pixels,
/// measured with an invisible copy that wraps text exactly as the text area does.
fn measure(textarea: &HtmlElement, before: &[u16]) -> Option<(f64, f64, f64)> {
    let document = window().document()?;
    let style = window().get_computed_style(textarea).ok()??;
    let mirror: HtmlElement = document.create_element("div").ok()?.dyn_into().ok()?;
    let mirror_style = mirror.style();
    for property in MIRRORED {
        let _ = mirror_style.set_property(property, &style.get_property_value(property).unwrap_or_default());
    }
    for (k, v) in [("position", "absolute"), ("visibility", "hidden"), ("top", "0"), ("left", "-9999px"),
        ("white-space", "pre-wrap"), ("overflow-wrap", "break-word"), ("border-style", "solid"), ("border-color", "transparent")] {
        let _ = mirror_style.set_property(k, v);
    }
    mirror.set_text_content(Some(&String::from_utf16_lossy(before)));
    let marker: HtmlElement = document.create_element("span").ok()?.dyn_into().ok()?;
    marker.set_text_content(Some("\u{200b}"));
    mirror.append_child(&marker).ok()?;
    document.body()?.append_child(&mirror).ok()?;
    let place = (f64::from(marker.offset_top()), f64::from(marker.offset_left()), f64::from(marker.offset_height()));
    mirror.remove();
    Some(place)
}
