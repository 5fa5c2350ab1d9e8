//! Who is here: each person's name and color, as carried in awareness states.

use serde::{Deserialize, Serialize};
use yrs::block::ID;
use yrs::{Assoc, ClientID, IndexScope, StickyIndex};

/// A person as others see them: the `user` field of an awareness state
/// (the shape y-codemirror and other Yjs editors use too).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct User {
    /// Display name.
    pub name: String,
    /// CSS color, `#rrggbb`.
    pub color: String,
}

/// A position in the shared text that stays on its character as others edit,
/// in the JSON shape of Yjs's `RelativePosition` (so Yjs editors can read it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RelPos {
    /// The root text's name, for a position in an empty text.
    #[serde(default)]
    pub tname: Option<String>,
    /// The character the position sticks to.
    #[serde(default)]
    pub item: Option<ItemId>,
    /// 0: before that character's right side (after it); -1: before it.
    #[serde(default)]
    pub assoc: i32,
}

/// A character's id: the client that wrote it and its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ItemId {
    /// Writer's client id.
    pub client: u64,
    /// Writer's clock.
    pub clock: u32,
}

/// A selection in the body text; `anchor == head` for a caret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// Where the selection started.
    pub anchor: RelPos,
    /// Where the caret is.
    pub head: RelPos,
}

/// An awareness state as Tandem publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Who.
    pub user: User,
    /// Their selection in the body, if they have one.
    #[serde(default)]
    pub cursor: Option<Cursor>,
}

/// Someone else in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Their awareness client id.
    pub client_id: u64,
    /// Who they are.
    pub user: User,
    /// Their selection in the body, if they have one.
    pub cursor: Option<Cursor>,
}

/// `s` in upper case. The browser asks JavaScript, whose mapping is the same
/// Unicode default as Rust's: Rust's own case tables would add about 6 KB
/// (gzip) to the wasm bundle.
fn upper(s: &str) -> String {
    #[cfg(feature = "hydrate")]
    return js_sys::JsString::from(s).to_upper_case().into();
    #[cfg(not(feature = "hydrate"))]
    return s.to_uppercase();
}

/// A sticky index as a shared relative position.
pub fn to_rel(index: &StickyIndex) -> RelPos {
    let assoc = if index.assoc == Assoc::Before { -1 } else { 0 };
    match index.scope() {
        IndexScope::Relative(id) => RelPos { tname: None, item: Some(ItemId { client: id.client.get(), clock: id.clock }), assoc },
        IndexScope::Root(name) => RelPos { tname: Some(name.to_string()), item: None, assoc },
        IndexScope::Nested(_) => RelPos { tname: Some(tandem_sync::document::CONTENT.into()), item: None, assoc },
    }
}

/// A shared relative position as a sticky index (`None` if malformed).
pub fn from_rel(pos: &RelPos) -> Option<StickyIndex> {
    let assoc = if pos.assoc < 0 { Assoc::Before } else { Assoc::After };
    let scope = match (&pos.item, &pos.tname) {
        (Some(item), _) if item.client < (1 << 53) => IndexScope::Relative(ID::new(ClientID::new(item.client), item.clock)),
        (None, Some(name)) => IndexScope::Root(name.as_str().into()),
        _ => return None,
    };
    Some(StickyIndex::new(scope, assoc))
}

/// Colors that read well on white, for people who have not picked one; white
/// text on each has a contrast of at least 4.5:1 (caret labels, initials).
pub const PALETTE: [&str; 8] = ["#c2410c", "#2f6fde", "#2b7a3b", "#ae3ec9", "#c2255c", "#0b7285", "#b35c00", "#5f3dc4"];

/// The text color that reads best on `background` (`#rrggbb`): white, or
/// near-black on a light color (stock clients may pick any color).
pub fn ink_on(background: &str) -> &'static str {
    let channel = |i: usize| u8::from_str_radix(background.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    let luminance = 0.2126 * linear(channel(1)) + 0.7152 * linear(channel(3)) + 0.0722 * linear(channel(5));
    // White's contrast against it, compared with #111's (luminance 0.0056).
    let on_white = 1.05 / (luminance + 0.05);
    let on_dark = (luminance + 0.05) / 0.0556;
    if on_white >= on_dark { "#fff" } else { "#111" }
}
const ADJECTIVES: [&str; 8] = ["Curious", "Quiet", "Bright", "Swift", "Gentle", "Bold", "Clever", "Sunny"];
const ANIMALS: [&str; 8] = ["Otter", "Heron", "Fox", "Lynx", "Panda", "Robin", "Koala", "Whale"];

impl User {
    /// A friendly default from two random numbers in `[0, 1)`.
    pub fn friendly(r1: f64, r2: f64) -> User {
        let pick = |r: f64, n: usize| ((r * n as f64) as usize).min(n - 1);
        let name = format!("{} {}", ADJECTIVES[pick(r1, 8)], ANIMALS[pick(r2, 8)]);
        User { name, color: PALETTE[pick((r1 + r2) / 2.0, 8)].to_owned() }
    }

    /// Initials for a compact badge.
    pub fn initials(&self) -> String {
        let initials: String = self.name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect();
        upper(&initials)
    }

    /// The user from an awareness state's JSON, if it has one that is safe to show.
    pub fn from_state_json(json: &str) -> Option<User> {
        let state: State = serde_json::from_str(json).ok()?;
        let color_ok = state.user.color.len() == 7
            && state.user.color.starts_with('#')
            && state.user.color[1..].bytes().all(|b| b.is_ascii_hexdigit());
        let name: String = state.user.name.chars().filter(|c| !c.is_control()).take(40).collect();
        let color = if color_ok { state.user.color } else { PALETTE[0].to_owned() };
        (!name.trim().is_empty()).then_some(User { name, color })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_a_color_is_white_unless_the_color_is_light() {
        for color in PALETTE {
            assert_eq!(ink_on(color), "#fff", "{color}");
        }
        assert_eq!(ink_on("#ffd43b"), "#111");
        assert_eq!(ink_on("#000000"), "#fff");
    }

    #[test]
    fn relative_positions_round_trip_and_follow_their_character() {
        use yrs::{IndexedSequence, Text, Transact};
        let doc = tandem_sync::document::new_doc();
        let text = doc.get_or_insert_text(tandem_sync::document::CONTENT);
        text.insert(&mut doc.transact_mut(), 0, "hello world");
        let rel = to_rel(&text.sticky_index(&doc.transact(), 6, Assoc::After).unwrap());
        let json = serde_json::to_string(&rel).unwrap();
        let back: RelPos = serde_json::from_str(&json).unwrap();
        text.insert(&mut doc.transact_mut(), 0, ">> ");
        let offset = from_rel(&back).unwrap().get_offset(&doc.transact()).unwrap().index;
        assert_eq!(offset, 9, "{json}");
    }

    #[test]
    fn friendly_defaults_and_initials() {
        let u = User::friendly(0.0, 0.99);
        assert_eq!(u.name, "Curious Whale");
        assert_eq!(u.initials(), "CW");
        assert!(u.color.starts_with('#'));
    }

    #[test]
    fn states_from_others_are_checked_before_they_are_shown() {
        let ok = r##"{"user":{"name":"Ada","color":"#00ff00"},"cursor":null}"##;
        assert_eq!(User::from_state_json(ok), Some(User { name: "Ada".into(), color: "#00ff00".into() }));
        let css_injection = r#"{"user":{"name":"Eve","color":"red;background:url(x)"}}"#;
        assert_eq!(User::from_state_json(css_injection).unwrap().color, PALETTE[0]);
        assert_eq!(User::from_state_json(r##"{"user":{"name":"  ","color":"#000000"}}"##), None);
        assert_eq!(User::from_state_json("null"), None);
    }
}
