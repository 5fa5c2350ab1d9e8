//! Images pasted or dropped into the body. Each becomes a placeholder where
//! it was put (`![Uploading name…]()`), is uploaded as an attachment of the
//! document, and the placeholder then turns into its Markdown image — or into
//! the reason it was refused. These are this person's edits, like typing:
//! collaborators see them and the journal keeps them. Undo knows only the
//! result: one step takes the image (or the refusal) back out, and the
//! placeholder, never an undo step of its own, does not come back.

use super::{LOCAL, Session};
use crate::api;
use leptos::prelude::GetUntracked;
use std::rc::Rc;
use yrs::{Assoc, GetString, IndexedSequence, Origin, StickyIndex, Text, Transact};

/// Transaction origin of the placeholder's coming and going: sent and kept
/// like every local edit, but not one undo tracks.
pub(super) const UPLOAD: &str = "upload";

/// The image types the server accepts; other files are left to the browser.
const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

impl Session {
    /// Uploads each image among `files` (pasted or dropped into the body at `at`).
    pub(super) fn take_images(self: &Rc<Self>, files: Vec<web_sys::File>, at: u32) {
        if self.signals.read_only.get_untracked() {
            return;
        }
        for file in files.into_iter().filter(|f| IMAGE_TYPES.contains(&f.type_().as_str())) {
            self.upload_image(file, at);
        }
    }

    /// Puts a placeholder for `file` at `at`, uploads it, and replaces
    /// the placeholder with the image's Markdown or the reason it failed.
    fn upload_image(self: &Rc<Self>, file: web_sys::File, at: u32) {
        let name = image_name(&file.name());
        let placeholder = format!("![Uploading {name}…]()");
        let Some(anchors) = self.insert_at(at, &placeholder) else { return };
        let (me, doc, link) = (self.clone(), self.id.clone(), self.link.clone());
        leptos::task::spawn_local(async move {
            let with = match api::upload_attachment(doc, file, link).await {
                Ok(uploaded) => format!("![{name}]({})", uploaded.url),
                Err(e) => format!("![Could not upload {name}: {}]()", image_name(&e.message)),
            };
            me.replace_placeholder(&anchors, &placeholder, &with);
        });
    }

    /// Inserts `text` at `at` in the body as this person's edit; the
    /// inserted text's start and end, anchored to its characters.
    fn insert_at(&self, at: u32, text: &str) -> Option<(StickyIndex, StickyIndex)> {
        let body = self.doc.get_or_insert_text(tandem_sync::document::CONTENT);
        let mut txn = self.doc.transact_mut_with(Origin::from(UPLOAD));
        let start = at.min(body.len(&txn));
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
