//! The smallest single change between two versions of a text, in UTF-16 code
//! units (the units of browser text fields and of Yjs text positions).

/// The change from `old` to `new`: where it starts, how many units it removes,
/// and what it inserts. Never splits a surrogate pair.
pub fn diff<'a>(old: &[u16], new: &'a [u16]) -> (u32, u32, &'a [u16]) {
    let shorter = old.len().min(new.len());
    let mut prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    if prefix > 0 && prefix < shorter && is_high_surrogate(old[prefix - 1]) {
        prefix -= 1;
    }
    let max_suffix = shorter - prefix;
    let mut suffix =
        old.iter().rev().zip(new.iter().rev()).take(max_suffix).take_while(|(a, b)| a == b).count();
    if suffix > 0 && suffix < max_suffix && is_low_surrogate(old[old.len() - suffix]) {
        suffix -= 1;
    }
    let removed = old.len() - prefix - suffix;
    (prefix as u32, removed as u32, &new[prefix..new.len() - suffix])
}

/// Where position `p` is after `start..end` was replaced by `inserted`
/// units: it stays on its character, and a position exactly at an insertion
/// moves past it (it sticks to the character after it, like a shared caret).
/// A position inside a removed range lands where the range was.
pub fn shift(p: u32, start: u32, end: u32, inserted: u32) -> u32 {
    if p >= end {
        p - (end - start) + inserted
    } else if p > start {
        start
    } else {
        p
    }
}

fn is_high_surrogate(u: u16) -> bool {
    (0xD800..0xDC00).contains(&u)
}

fn is_low_surrogate(u: u16) -> bool {
    (0xDC00..0xE000).contains(&u)
}

#[cfg(test)]
mod tests {
    use super::{diff, shift};

    #[test]
    fn positions_stay_on_their_characters() {
        // "abcdef": insert "XY" at 2.
        assert_eq!(shift(1, 2, 2, 2), 1);
        assert_eq!(shift(2, 2, 2, 2), 4, "a caret at the insertion point moves past it");
        assert_eq!(shift(5, 2, 2, 2), 7);
        // remove "cd" (2..4)
        assert_eq!(shift(3, 2, 4, 0), 2, "inside the removed range");
        assert_eq!(shift(4, 2, 4, 0), 2);
        assert_eq!(shift(6, 2, 4, 0), 4);
        // replace "cd" by "Z"
        assert_eq!(shift(5, 2, 4, 1), 4);
    }

    fn units(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    fn check(old: &str, new: &str, start: u32, removed: u32, inserted: &str) {
        let (o, n) = (units(old), units(new));
        let (s, r, i) = diff(&o, &n);
        assert_eq!((s, r, String::from_utf16(i).unwrap().as_str()), (start, removed, inserted), "{old:?} -> {new:?}");
    }

    #[test]
    fn typing_deleting_and_replacing() {
        check("", "a", 0, 0, "a");
        check("hello", "hello!", 5, 0, "!");
        check("hello", "hllo", 1, 1, "");
        check("hello world", "hello there world", 6, 0, "there ");
        check("abc", "xyz", 0, 3, "xyz");
        check("aaa", "aa", 2, 1, "");
        check("same", "same", 4, 0, "");
    }

    #[test]
    fn emoji_are_never_split() {
        // 😀 and 😃 share their high surrogate.
        check("a😀b", "a😃b", 1, 2, "😃");
        check("😀", "😀😀", 2, 0, "😀");
        check("x😀", "x", 1, 2, "");
        check("日本", "日本語", 2, 0, "語");
    }
}
