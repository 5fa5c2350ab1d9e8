//! Others' carets and selections in the body: positions shared as relative
//! positions in awareness, drawn over the text area where the mirror says
//! their characters are.

use super::Session;
use crate::presence::{CaretView, Cursor, Rect, from_rel, to_rel};
use leptos::prelude::*;
use yrs::Transact;

/// Most rectangles drawn for one selection (a selection of a whole large
/// document would otherwise cost a rectangle per line).
const MAX_SELECTION_RECTS: usize = 400;

impl Session {
    /// Our selection in the body, as shared positions.
    pub(super) fn local_cursor(&self) -> Option<Cursor> {
        let (anchor, head) = self.body.anchors(&self.doc).into_parts();
        Some(Cursor { anchor: to_rel(&anchor?), head: to_rel(&head?) })
    }

    /// Places every peer's caret and selection over the text area at the
    /// next frame: measuring needs a fresh layout, which a large text makes
    /// costly, so it is done once per frame, when the browser lays out anyway.
    pub(super) fn place_carets(&self) {
        if self.carets_due.replace(true) {
            return;
        }
        let me = self.me.clone();
        request_animation_frame(move || {
            if let Some(me) = me.upgrade() {
                me.carets_due.set(false);
                me.draw_carets();
            }
        });
    }

    /// Measures and draws every peer's caret and selection now.
    fn draw_carets(&self) {
        let Some(mirror) = self.body.mirror() else { return };
        let peers = self.signals.peers.get_untracked();
        let anyone = peers.iter().any(|p| p.cursor.is_some());
        mirror.set_active(anyone);
        if !anyone {
            if !self.signals.carets.with_untracked(Vec::is_empty) {
                self.signals.carets.set(Vec::new());
            }
            return;
        }
        mirror.follow(&self.body.element());
        let visible = mirror.height();
        let txn = self.doc.transact();
        let offset = |pos| from_rel(pos).and_then(|p| p.get_offset(&txn)).map(|o| o.index as usize);
        let carets = peers
            .iter()
            .filter_map(|peer| {
                let cursor = peer.cursor.as_ref()?;
                let head = offset(&cursor.head)?;
                let anchor = offset(&cursor.anchor).unwrap_or(head);
                let caret = mirror.rects(head, head).last().copied()?;
                let selection = if anchor == head {
                    Vec::new()
                } else {
                    let shown = |r: &Rect| r.width > 0.0 && r.top + r.height > 0.0 && r.top < visible;
                    let rects = mirror.rects(anchor.min(head), anchor.max(head));
                    rects.into_iter().filter(shown).take(MAX_SELECTION_RECTS).collect()
                };
                Some(CaretView {
                    client_id: peer.client_id,
                    name: peer.user.name.clone(),
                    color: peer.user.color.clone(),
                    offset: head as u32,
                    top: caret.top,
                    left: caret.left,
                    height: caret.height,
                    selection,
                })
            })
            .collect();
        self.signals.carets.set(carets);
    }
}
