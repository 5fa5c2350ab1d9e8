//! This person's presence (name and color) and everyone else's, over awareness.

use super::Session;
use crate::presence::{Cursor, Peer, State, User};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::Element;
use std::time::Duration;
use yrs::Doc;
use yrs::sync::{Awareness, AwarenessUpdate};
use yrs::updates::decoder::Decode;

/// Where this person's name and color are kept between visits.
const STORAGE_KEY: &str = "tandem.user";
/// How often our state is renewed; stock clients drop states silent for 30 s.
const RENEW_EVERY: Duration = Duration::from_secs(15);

/// The user kept in this browser, or a friendly new one (saved for next time).
pub fn local_user() -> User {
    if let Some(user) = saved_user() {
        return user;
    }
    let user = User::friendly(js_sys::Math::random(), js_sys::Math::random());
    save_user(&user);
    user
}

/// The user kept in this browser, if a name was ever chosen or given here.
pub fn saved_user() -> Option<User> {
    let storage = window().local_storage().ok().flatten()?;
    let json = storage.get_item(STORAGE_KEY).ok().flatten()?;
    serde_json::from_str(&json).ok()
}

/// A signed-in member: shown by their account's name, in the color kept in
/// this browser (or a new one).
pub fn member_user(username: &str) -> User {
    User { name: username.to_owned(), color: local_user().color }
}

/// Someone who opened a share link and has not chosen a name yet: "Guest",
/// in a color of their own (not saved: they are asked for a name).
pub fn guest_user() -> User {
    let color = User::friendly(js_sys::Math::random(), js_sys::Math::random()).color;
    User { name: "Guest".into(), color }
}

fn save_user(user: &User) {
    let storage = window().local_storage().ok().flatten();
    if let (Some(storage), Ok(json)) = (storage, serde_json::to_string(user)) {
        let _ = storage.set_item(STORAGE_KEY, &json);
    }
}

/// Presence as this page keeps it.
pub(super) struct Presence {
    /// Everyone else's awareness states (ours, and its clock, are the core's).
    /// A `RefCell` because applying needs `&mut`; never borrowed across a call out.
    awareness: RefCell<Awareness>,
    /// The caret we last published. A `RefCell` because it is compared and replaced.
    last_cursor: RefCell<Option<Cursor>>,
    /// Whether publishing our caret is scheduled (a `Cell`: set and cleared through the shared session).
    cursor_due: std::cell::Cell<bool>,
    /// Where others are shown in the presence bar.
    badges: PeerBadges,
}

impl Presence {
    /// No one else yet, badges drawn into `bar`.
    pub(super) fn new(doc: &Doc, bar: Element) -> Self {
        let awareness = RefCell::new(new_awareness(doc));
        Presence { awareness, last_cursor: RefCell::new(None), cursor_due: std::cell::Cell::new(false), badges: PeerBadges::new(bar) }
    }
}

fn new_awareness(doc: &Doc) -> Awareness {
    Awareness::with_clock(doc.clone(), || js_sys::Date::now() as u64)
}

impl Session {
    /// Renews our presence periodically, so others keep seeing us.
    pub(super) fn keep_presence_alive(self: &Rc<Self>) {
        let me = Rc::downgrade(self);
        self.hooks.every(RENEW_EVERY, move || {
            if let Some(me) = me.upgrade() {
                me.publish_presence();
            }
        });
    }

    /// Changes this person's name everywhere (and for next time).
    pub fn rename(&self, name: &str) {
        let mut user = self.signals.me.get_untracked();
        user.name = name.chars().take(40).collect();
        if user.name.trim().is_empty() {
            return;
        }
        save_user(&user);
        self.signals.me.set(user);
        self.publish_presence();
    }

    /// Publishes our caret after the next paint (once per frame): reading
    /// its position takes time a keystroke's paint should not wait for.
    pub(super) fn publish_cursor_after_paint(&self) {
        if self.presence.cursor_due.replace(true) {
            return;
        }
        let me = self.me.clone();
        super::field_events::after_paint(move || {
            if let Some(me) = me.upgrade().filter(|me| !me.hooks.stopped()) {
                me.presence.cursor_due.set(false);
                me.publish_cursor();
            }
        });
    }

    /// Publishes our presence if our caret moved.
    pub(super) fn publish_cursor(&self) {
        let cursor = self.local_cursor();
        if *self.presence.last_cursor.borrow() != cursor {
            *self.presence.last_cursor.borrow_mut() = cursor.clone();
            self.announce(cursor);
        }
    }

    /// Forgets everyone else (after a disconnect: the server resends who is
    /// here). A new awareness, not removed states: a removal raises a peer's
    /// clock here, and the server's copy of their state would then look old.
    pub(super) fn forget_peers(&self) {
        *self.presence.awareness.borrow_mut() = new_awareness(&self.doc);
        self.presence.badges.show(&[]);
        self.signals.peers.set(Vec::new());
    }

    /// Sends our awareness state (the core numbers it).
    pub(super) fn publish_presence(&self) {
        self.announce(self.local_cursor());
    }

    /// Sends our awareness state with `cursor` as our caret.
    fn announce(&self, cursor: Option<Cursor>) {
        let state = State { user: self.signals.me.get_untracked(), cursor };
        if let Ok(json) = serde_json::to_string(&state) {
            self.drive(|core| core.announce(&json));
        }
    }

    /// Applies others' awareness states and shows who is here.
    pub(super) fn on_awareness(&self, bytes: &[u8]) {
        let Ok(update) = AwarenessUpdate::decode_v1(bytes) else { return };
        let peers = {
            let mut awareness = self.presence.awareness.borrow_mut();
            if awareness.apply_update(update).is_err() {
                return;
            }
            let own = awareness.client_id();
            let mut peers: Vec<Peer> = awareness
                .iter()
                .filter(|(id, _)| *id != own)
                .filter_map(|(id, state)| {
                    let json = state.data.as_deref()?;
                    let user = User::from_state_json(json)?;
                    let cursor = serde_json::from_str::<State>(json).ok().and_then(|s| s.cursor);
                    Some(Peer { client_id: id.get(), user, cursor })
                })
                .collect();
            peers.sort_unstable_by_key(|p| p.client_id); // ids are unique: no need for a (larger) stable sort
            peers
        };
        self.presence.badges.show(&peers);
        self.signals.peers.set(peers);
        self.place_carets();
    }
}

/// The badges of everyone else, after this person's name in the presence bar.
/// Drawn from here rather than by a reactive list: they exist only in the
/// browser, and a keyed list of views would add about 6 KB (gzip) to the wasm bundle.
struct PeerBadges {
    root: Element,
    /// Who each badge shows, and the badge. A `RefCell`: redrawn through the
    /// shared session; borrowed only while redrawing.
    shown: RefCell<Vec<(u64, User, Element)>>,
}

impl PeerBadges {
    /// Badges appended to `root`.
    fn new(root: Element) -> Self {
        PeerBadges { root, shown: RefCell::new(Vec::new()) }
    }

    /// Shows a badge for each of `peers`, in order (redrawn only when who is here changes).
    fn show(&self, peers: &[Peer]) {
        let mut shown = self.shown.borrow_mut();
        let same = shown.len() == peers.len()
            && shown.iter().zip(peers).all(|((id, user, _), p)| *id == p.client_id && *user == p.user);
        if same {
            return;
        }
        for (_, _, badge) in shown.drain(..) {
            badge.remove();
        }
        for peer in peers {
            if let Some(badge) = badge(&peer.user) {
                let _ = self.root.append_child(&badge);
                shown.push((peer.client_id, peer.user.clone(), badge));
            }
        }
    }
}

/// One person's badge: their initials on their color, then their name (the
/// initials are only decoration, so a screen reader reads the name once).
fn badge(user: &User) -> Option<Element> {
    let style = format!("--c: {}; --on-c: {}", user.color, crate::presence::ink_on(&user.color));
    let badge = span("peer", &[("style", style.as_str()), ("data-name", &user.name)])?;
    let initials = span("initials", &[("aria-hidden", "true")])?;
    initials.set_text_content(Some(&user.initials()));
    let name = span("name", &[])?;
    name.set_text_content(Some(&user.name));
    badge.append_with_node_2(&initials, &name).ok()?;
    Some(badge)
}

/// A `<span>` of `class` with `attributes` (values are set as text, never parsed as markup).
fn span(class: &str, attributes: &[(&str, &str)]) -> Option<web_sys::Element> {
    let span = document().create_element("span").ok()?;
    span.set_class_name(class);
    for (name, value) in attributes {
        let _ = span.set_attribute(name, value);
    }
    Some(span)
}
