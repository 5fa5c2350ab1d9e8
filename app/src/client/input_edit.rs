//! What one input changed in a field. A field's text lives in the browser;
//! copying all of it into wasm on every keystroke costs most of a keystroke's
//! script time in a large document. The caret usually tells where the change
//! is, and two comparisons the browser makes natively confirm it; only when
//! they do not is the whole text copied and diffed.

use crate::text_diff::{diff, edit_around_caret, splits_pair};
use js_sys::JsString;
use wasm_bindgen::JsValue;

/// One input's change: `removed` units at `start` replaced by `inserted`.
pub(super) struct Edit {
    pub start: u32,
    pub removed: u32,
    /// The inserted text, in UTF-16 code units.
    pub inserted: Vec<u16>,
}

/// The change from `old` to `new`. `old_js` is the same text as the browser
/// holds it (if known), `before` the selection before the input and `caret`
/// the caret after it.
pub(super) fn read(old: &[u16], old_js: Option<&JsString>, new: &JsString, before: Option<(u32, u32)>, caret: Option<u32>) -> Edit {
    around_caret(old, old_js, new, before, caret).unwrap_or_else(|| diffed(old, new))
}

/// The edit [`edit_around_caret`] guesses, if the texts agree outside it.
fn around_caret(old: &[u16], old_js: Option<&JsString>, new: &JsString, before: Option<(u32, u32)>, caret: Option<u32>) -> Option<Edit> {
    let (old_js, before, caret) = (old_js?, before?, caret?);
    let old_len = u32::try_from(old.len()).ok()?;
    if old_js.length() != old_len {
        return None;
    }
    let new_len = new.length();
    let (start, end) = edit_around_caret(old_len, new_len, before, caret)?;
    if splits_pair(old, start as usize) || splits_pair(old, end as usize) {
        return None;
    }
    let same = |a: JsString, b: JsString| JsValue::from(a) == JsValue::from(b);
    if !same(old_js.slice(0, start), new.slice(0, start)) || !same(old_js.slice(end, old_len), new.slice(caret, new_len)) {
        return None;
    }
    Some(Edit { start, removed: end - start, inserted: units(new.slice(start, caret)) })
}

/// The smallest edit, from the whole new text.
fn diffed(old: &[u16], new: &JsString) -> Edit {
    let units = units(new.clone());
    let (start, removed, inserted) = diff(old, &units);
    Edit { start, removed, inserted: inserted.to_vec() }
}

/// A browser string's UTF-16 code units, copied in one piece (a lone
/// surrogate, which only a script can put in a field, becomes U+FFFD).
fn units(s: JsString) -> Vec<u16> {
    String::from(s).encode_utf16().collect()
}
