//! Who is here: each person's name and color, as carried in awareness states.

use serde::{Deserialize, Serialize};

/// A person as others see them: the `user` field of an awareness state
/// (the shape y-codemirror and other Yjs editors use too).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct User {
    /// Display name.
    pub name: String,
    /// CSS color, `#rrggbb`.
    pub color: String,
}

/// An awareness state as Tandem publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Who.
    pub user: User,
}

/// Someone else in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// Their awareness client id.
    pub client_id: u64,
    /// Who they are.
    pub user: User,
}

/// Colors that read well on white, for people who have not picked one.
pub const PALETTE: [&str; 8] = ["#d9480f", "#2f6fde", "#2b8a3e", "#ae3ec9", "#c2255c", "#1098ad", "#e67700", "#5f3dc4"];
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
        self.name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase()
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
