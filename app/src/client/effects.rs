//! Carries out what the session's core decides: frames to the socket,
//! records to the journal, states to the page, timers to the browser.

use super::Session;
use crate::status::ConnState;
use leptos::prelude::*;
use std::rc::Weak;
use std::time::Duration;
use tandem_sync::session::{self, Effect, SessionCore};

/// Longest wait before remote updates are shown when no frame comes (a hidden tab).
const REMOTE_HIDDEN_MS: u64 = 100;

impl Session {
    /// Does each of `effects`, in order.
    pub(super) fn carry_out(&self, effects: Vec<Effect>) {
        for effect in effects {
            self.carry_out_one(effect);
        }
    }

    fn carry_out_one(&self, effect: Effect) {
        match effect {
            Effect::Open => self.open_socket(),
            Effect::Close => self.drop_socket(),
            Effect::RetryIn(after) => self.retry_in(after),
            Effect::Send(frame) => {
                self.send(&frame);
            }
            Effect::Keep(update) => self.journal.append(&update),
            Effect::Forget(records) => self.journal.forget(records),
            Effect::FlushSoon => self.flush_soon(),
            Effect::TextChanged => self.place_carets(),
            Effect::Synced => {
                self.signals.synced.set(true);
                self.update_editable();
            }
            Effect::ReadOnly(read_only) => {
                self.signals.read_only.set(read_only);
                self.update_editable();
            }
            Effect::Awareness(update) => self.on_awareness(&update),
            Effect::ForgetPeers => self.forget_peers(),
            Effect::PublishPresence => self.publish_presence(),
            Effect::Link(link) => {
                if link == session::LinkState::Deleted {
                    self.journal.discard();
                }
                self.signals.conn.set(conn_state(link));
            }
            Effect::Save(save) => self.signals.save.set(save),
            Effect::Warn(warning) => leptos::logging::warn!("{warning}"),
        }
    }

    /// The body is editable once the live document has arrived (so no
    /// keystroke is lost) and while the server lets this person write.
    pub(super) fn update_editable(&self) {
        let editable = self.signals.synced.get_untracked() && !self.signals.read_only.get_untracked();
        self.body.surface().set_editable(editable);
    }

    fn retry_in(&self, after: Duration) {
        let me = self.me.clone();
        set_timeout(move || if let Some(me) = me.upgrade() { me.connect() }, after);
    }

    /// Flushes the core's remote updates at the next frame, or soon if frames are paused (a hidden tab).
    fn flush_soon(&self) {
        let flush = |me: Weak<Session>| move || if let Some(me) = me.upgrade() { me.drive(SessionCore::flush) };
        request_animation_frame(flush(self.me.clone()));
        set_timeout(flush(self.me.clone()), Duration::from_millis(REMOTE_HIDDEN_MS));
    }
}

fn conn_state(link: session::LinkState) -> ConnState {
    match link {
        session::LinkState::Connected => ConnState::Connected,
        session::LinkState::Reconnecting => ConnState::Reconnecting,
        session::LinkState::Offline => ConnState::Offline,
        session::LinkState::SignedOut => ConnState::SignedOut,
        session::LinkState::NoAccess => ConnState::NoAccess,
        session::LinkState::Deleted => ConnState::Deleted,
    }
}
