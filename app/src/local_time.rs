//! Times as the reader sees them: relative when recent ("5 min ago",
//! "yesterday"), otherwise a date, in the browser's time zone. The server
//! renders times in UTC; the browser switches to these once it has hydrated.

/// Milliseconds in a minute and in an hour.
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// Words for a time `age_ms` ago that fell `days_ago` calendar days before
/// today in the reader's time zone; `None` from a week back (show a date).
/// A time in the future (clocks disagree) is "just now".
pub fn relative(age_ms: i64, days_ago: i64) -> Option<String> {
    Some(match (age_ms, days_ago) {
        (..MINUTE_MS, _) => "just now".to_owned(),
        (..HOUR_MS, _) => format!("{} min ago", age_ms / MINUTE_MS),
        (_, ..=0) => format!("{} h ago", age_ms / HOUR_MS),
        (_, 1) => "yesterday".to_owned(),
        (_, 2..=6) => format!("{days_ago} days ago"),
        _ => return None,
    })
}

#[cfg(feature = "hydrate")]
pub use browser::{exact, label};

#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Date, Object, Reflect};
    use wasm_bindgen::JsValue;

    /// What the list shows for Unix milliseconds `ms` at `now`: relative when recent, else the local date.
    pub fn label(ms: i64, now: f64) -> String {
        let (then, today) = (date(ms as f64), date(now));
        let days_ago = ((midnight(&today) - midnight(&then)) / 86_400_000.0).round() as i64;
        super::relative(now as i64 - ms, days_ago)
            .unwrap_or_else(|| then.to_locale_date_string(&locale(), &options(&[("dateStyle", "medium")])).into())
    }

    /// The local date and time of Unix milliseconds `ms`, for a tooltip.
    pub fn exact(ms: i64) -> String {
        let options = options(&[("dateStyle", "full"), ("timeStyle", "short")]);
        date(ms as f64).to_locale_string(&locale(), &options).into()
    }

    fn date(ms: f64) -> Date {
        Date::new(&JsValue::from_f64(ms))
    }

    /// The start of `d`'s day in the reader's time zone, in Unix milliseconds.
    fn midnight(d: &Date) -> f64 {
        Date::new_with_year_month_day(d.get_full_year(), d.get_month() as i32, d.get_date() as i32).get_time()
    }

    fn locale() -> String {
        leptos::prelude::window().navigator().language().unwrap_or_else(|| "en".to_owned())
    }

    fn options(pairs: &[(&str, &str)]) -> JsValue {
        let options = Object::new();
        for (key, value) in pairs {
            let _ = Reflect::set(&options, &(*key).into(), &(*value).into());
        }
        options.into()
    }
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn recent_times_are_relative_and_older_ones_dates() {
        assert_eq!(relative(-5_000, 0).as_deref(), Some("just now"));
        assert_eq!(relative(59_999, 0).as_deref(), Some("just now"));
        assert_eq!(relative(5 * 60_000 + 10, 0).as_deref(), Some("5 min ago"));
        // Ten minutes ago, across midnight, is still minutes.
        assert_eq!(relative(10 * 60_000, 1).as_deref(), Some("10 min ago"));
        assert_eq!(relative(3 * 3_600_000 + 1, 0).as_deref(), Some("3 h ago"));
        assert_eq!(relative(2 * 3_600_000, 1).as_deref(), Some("yesterday"));
        assert_eq!(relative(50 * 3_600_000, 3).as_deref(), Some("3 days ago"));
        assert_eq!(relative(7 * 86_400_000, 7), None);
    }
}
