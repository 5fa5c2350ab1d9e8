//! Images pasted or dropped into the body. Each becomes a placeholder at the
//! caret (`![Uploading name…]()`), is uploaded as an attachment of the
//! document, and the placeholder then turns into its Markdown image — or into
//! the reason it was refused. These are this person's edits, like typing:
//! collaborators see them and the journal keeps them. Undo knows only the
//! result: one step takes the image (or the refusal) back out, and the
//! placeholder, never an undo step of its own, does not come back.

use super::{LOCAL, Session};
use crate::api;
use leptos::prelude::GetUntracked;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yrs::{Assoc, GetString, IndexedSequence, Origin, StickyIndex, Text, Transact};

/// Transaction origin of the placeholder's coming and going: sent and kept
/// like every local edit, but not one undo tracks.
const UPLOAD: &str = "upload";

/// The image types the server accepts; other files are left to the browser.
const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

impl Session {
    /// Uploads the images pasted into or dropped onto `el` (the body).
    pub(super) fn accept_images(self: &Rc<Self>, el: &web_sys::EventTarget) {
        let me = self.clone();
        self.hooks.listen(el, "paste", move |ev| {
            let files = ev.dyn_ref::<web_sys::ClipboardEvent>().and_then(|c| c.clipboard_data()).and_then(|d| d.files());
            me.take_images(&ev, files);
        });
        // A file dragged over the body may be dropped there (not opened by the browser).
        self.hooks.listen(el, "dragover", move |ev| {
            let dt = ev.dyn_ref::<web_sys::DragEvent>().and_then(|d| d.data_transfer());
            if dt.is_some_and(|d| d.types().includes(&"Files".into(), 0)) {
                ev.prevent_default();
            }
        });
        let me = self.clone();
        self.hooks.listen(el, "drop", move |ev| {
            let files = ev.dyn_ref::<web_sys::DragEvent>().and_then(|d| d.data_transfer()).and_then(|d| d.files());
            me.take_images(&ev, files);
        });
    }

    /// Starts an upload for each image among `files`; the event's default
    /// (pasting text, opening a dropped file) is kept when there is none.
    fn take_images(self: &Rc<Self>, ev: &web_sys::Event, files: Option<web_sys::FileList>) {
        let images: Vec<web_sys::File> = files
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|f| IMAGE_TYPES.contains(&f.type_().as_str()))
            .collect();
        if images.is_empty() || self.signals.read_only.get_untracked() {
            return;
        }
        ev.prevent_default();
        for file in images {
            self.upload_image(file);
        }
    }

    /// Puts a placeholder for `file` at the caret, uploads it, and replaces
    /// the placeholder with the image's Markdown or the reason it failed.
    fn upload_image(self: &Rc<Self>, file: web_sys::File) {
        let name = image_name(&file.name());
        let placeholder = format!("![Uploading {name}…]()");
        let Some(anchors) = self.insert_at_caret(&placeholder) else { return };
        let (me, doc) = (self.clone(), self.id.clone());
        leptos::task::spawn_local(async move {
            let with = match api::upload_attachment(doc, file).await {
                Ok(uploaded) => format!("![{name}]({})", uploaded.url),
                Err(e) => format!("![Could not upload {name}: {}]()", image_name(&e.message)),
            };
            me.replace_placeholder(&anchors, &placeholder, &with);
        });
    }

    /// Replaces the body's selection with `text` as this person's edit; the
    /// inserted text's start and end, anchored to its characters.
    fn insert_at_caret(&self, text: &str) -> Option<(StickyIndex, StickyIndex)> {
        let body = self.doc.get_or_insert_text(tandem_sync::document::CONTENT);
        let mut txn = self.doc.transact_mut_with(Origin::from(UPLOAD));
        let len = body.len(&txn);
        let (start, end) = self.body.selection();
        let (start, end) = (start.unwrap_or(len).min(len), end.unwrap_or(len).min(len));
        let (start, end) = (start.min(end), start.max(end));
        if end > start {
            body.remove_range(&mut txn, start, end - start);
        }
        body.insert(&mut txn, start, text);
        let units = text.encode_utf16().count() as u32;
        let first = body.sticky_index(&txn, start, Assoc::After)?;
        let last = body.sticky_index(&txn, start + units, Assoc::Before)?;
        Some((first, last))
    }

    /// Replaces `placeholder` — where its anchors are, or else wherever it is
    /// now — with `with`: the placeholder goes untracked, `with` comes as
    /// one undo step of its own. A placeholder someone deleted meanwhile stays deleted.
    fn replace_placeholder(&self, anchors: &(StickyIndex, StickyIndex), placeholder: &str, with: &str) {
        let body = self.doc.get_or_insert_text(tandem_sync::document::CONTENT);
        let Some(at) = self.remove_placeholder(&body, anchors, placeholder) else { return };
        // Not merged with whatever was typed just before.
        self.undo.borrow_mut().reset();
        body.insert(&mut self.doc.transact_mut_with(Origin::from(LOCAL)), at, with);
    }

    /// Removes `placeholder` from `body`; where it was.
    fn remove_placeholder(&self, body: &yrs::TextRef, anchors: &(StickyIndex, StickyIndex), placeholder: &str) -> Option<u32> {
        let mut txn = self.doc.transact_mut_with(Origin::from(UPLOAD));
        let units: Vec<u16> = body.get_string(&txn).encode_utf16().collect();
        let wanted: Vec<u16> = placeholder.encode_utf16().collect();
        let anchored = anchors.0.get_offset(&txn).zip(anchors.1.get_offset(&txn)).map(|(a, b)| (a.index, b.index));
        let at = match anchored {
            Some((start, end)) if units.get(start as usize..end as usize) == Some(&wanted[..]) => Some(start),
            _ => units.windows(wanted.len().max(1)).position(|w| w == &wanted[..]).map(|i| i as u32),
        };
        body.remove_range(&mut txn, at?, wanted.len() as u32);
        at
    }
}

/// A file name or message as it can stand inside `![…]`: brackets and line
/// breaks would end it early.
fn image_name(raw: &str) -> String {
    let cleaned: String = raw.chars().map(|c| if matches!(c, '[' | ']' | '\n' | '\r') { ' ' } else { c }).collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() { "image".to_owned() } else { trimmed.to_owned() }
}
