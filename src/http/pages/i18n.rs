//! Page languages (en, uk, ru): Fluent messages from `web/i18n/<lang>/*.ftl`, the
//! choice of language per request, and the numbers, prices, distances, times and
//! dates each language writes differently.
//!
//! Fluent does the wording and the plural rules (Ukrainian and Russian have three
//! plural forms); the number formats are ours because Fluent's `NUMBER` does not
//! group digits or switch the decimal separator per locale.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{langid, LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./web/i18n",
        fallback_language: "en",
        // Isolation marks (U+2068/U+2069) around arguments would end up in page text
        // and in `title` attributes; our arguments are short and of one direction.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static UK: LanguageIdentifier = langid!("uk");
static RU: LanguageIdentifier = langid!("ru");

/// The pages are written in the languages medication names are shown in: one type,
/// so a page's language is the names' language without a mapping.
pub use crate::catalog::DisplayLang as Lang;

/// What only the pages need of a language: its own name for the switcher, the
/// browser's preference, and Fluent's identifier.
impl Lang {
    /// The language's own name, for the switcher (a reader who does not know the
    /// current language must still find theirs).
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Uk => "Українська",
            Lang::Ru => "Русский",
        }
    }

    /// The best supported language in an `Accept-Language` header (RFC 9110 weights;
    /// `en-GB` counts as `en`), or `None` when it names none of ours.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (pos, part) in header.split(',').enumerate() {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::from_code(primary) else {
                continue;
            };
            let q = bits
                .filter_map(|b| b.trim().strip_prefix("q="))
                .find_map(|v| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            // Higher weight wins; on a tie the earlier entry does.
            let better = match best {
                None => true,
                Some((bq, _, _)) => q > bq,
            };
            if better {
                best = Some((q, pos, lang));
            }
        }
        best.map(|(_, _, l)| l)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Uk => &UK,
            Lang::Ru => &RU,
        }
    }
}

/// Translator and formatter for one language; templates call it as `t`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// A message without arguments.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(self.lang.id(), key)
    }

    /// A message with arguments: numbers stay numbers so Fluent picks the plural form.
    pub fn args(&self, key: &str, args: &[(&'static str, Arg)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Arg::Num(n) => FluentValue::from(*n),
                    Arg::Str(s) => FluentValue::from(s.clone()),
                };
                (Cow::Borrowed(*k), v)
            })
            .collect();
        LOCALES.lookup_with_args(self.lang.id(), key, &map)
    }

    pub fn arg(&self, key: &str, name: &'static str, value: impl Into<Arg>) -> String {
        self.args(key, &[(name, value.into())])
    }

    fn decimal_sep(&self) -> char {
        match self.lang {
            Lang::En => '.',
            Lang::Uk | Lang::Ru => ',',
        }
    }

    /// `1,234` in English, `1 234` (narrow no-break space) in Ukrainian and Russian.
    pub fn int(&self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let sep = match self.lang {
            Lang::En => ",",
            Lang::Uk | Lang::Ru => "\u{202f}",
        };
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        if n < 0 {
            out.insert(0, '-');
        }
        out
    }

    /// A decimal with `places` digits after the separator of the language.
    pub fn decimal(&self, x: f64, places: usize) -> String {
        let s = format!("{x:.places$}");
        let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
        let whole = whole
            .parse::<i64>()
            .map_or(whole.to_string(), |w| self.int(w));
        if frac.is_empty() {
            whole
        } else {
            format!("{whole}{}{frac}", self.decimal_sep())
        }
    }

    /// `350 m`, `1.2 km` / `1,2 км`.
    pub fn distance(&self, metres: f64) -> String {
        if metres < 1000.0 {
            self.arg(
                "unit-m",
                "n",
                Arg::Str(self.int((metres / 10.0).round() as i64 * 10)),
            )
        } else {
            let places = if metres < 10_000.0 { 1 } else { 0 };
            self.arg(
                "unit-km",
                "n",
                Arg::Str(self.decimal(metres / 1000.0, places)),
            )
        }
    }

    /// A price in minor units: `£4.50`, `4,50 £`, `45,00 грн`.
    pub fn price(&self, minor: u32, currency: Option<&str>) -> String {
        let amount = self.decimal(f64::from(minor) / 100.0, 2);
        let cur = currency.unwrap_or("");
        let symbol = match (cur, self.lang) {
            ("GBP", _) => "£",
            ("EUR", _) => "€",
            ("USD", _) => "$",
            ("UAH", Lang::En) => "UAH",
            ("UAH", _) => "грн",
            ("RUB", Lang::En) => "RUB",
            ("RUB", _) => "₽",
            (other, _) => other,
        };
        match self.lang {
            Lang::En if symbol.chars().count() == 1 => format!("{symbol}{amount}"),
            _ if symbol.is_empty() => amount,
            _ => format!("{amount}\u{a0}{symbol}"),
        }
    }

    /// How long ago: "updated 5 min ago", "updated 2 h ago", "updated 3 days ago".
    pub fn ago(&self, then: DateTime<Utc>, now: DateTime<Utc>) -> String {
        let secs = (now - then).num_seconds().max(0);
        if secs < 3600 {
            self.arg("ago-minutes", "n", Arg::Num((secs / 60).max(1) as f64))
        } else if secs < 48 * 3600 {
            self.arg("ago-hours", "n", Arg::Num((secs / 3600) as f64))
        } else {
            self.arg("ago-days", "n", Arg::Num((secs / 86_400) as f64))
        }
    }

    /// A day and time: `Nov 25, 2026, 14:05` / `25.11.2026, 14:05`.
    pub fn datetime(&self, dt: DateTime<Utc>, tz: Option<chrono_tz::Tz>) -> String {
        let l = dt.with_timezone(&tz.unwrap_or(chrono_tz::UTC));
        let zone = if tz.is_none() { " UTC" } else { "" };
        match self.lang {
            Lang::En => format!(
                "{} {}, {}, {:02}:{:02}{zone}",
                self.t(&format!("month-{}", l.month())),
                l.day(),
                l.year(),
                l.hour(),
                l.minute()
            ),
            Lang::Uk | Lang::Ru => format!(
                "{:02}.{:02}.{}, {:02}:{:02}{zone}",
                l.day(),
                l.month(),
                l.year(),
                l.hour(),
                l.minute()
            ),
        }
    }

    /// A time of day in the facility's zone, with the weekday when it is not today:
    /// `18:00`, `Mon 09:00`.
    /// A special time's span, `Thu 24.12 20:00 – Fri 25.12 08:00`, on the
    /// facility's clock: a rota reaches weeks ahead, so the date is always said.
    pub fn span(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        tz: Option<chrono_tz::Tz>,
    ) -> String {
        let tz = tz.unwrap_or(chrono_tz::UTC);
        let day = |d: DateTime<Utc>| {
            let a = d.with_timezone(&tz);
            format!(
                "{} {:02}.{:02} {:02}:{:02}",
                self.t(&format!("weekday-{}", a.weekday().number_from_monday())),
                a.day(),
                a.month(),
                a.hour(),
                a.minute()
            )
        };
        format!("{} – {}", day(from), day(to))
    }

    pub fn clock(
        &self,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        tz: Option<chrono_tz::Tz>,
    ) -> String {
        let tz = tz.unwrap_or(chrono_tz::UTC);
        let (a, n) = (at.with_timezone(&tz), now.with_timezone(&tz));
        let hm = format!("{:02}:{:02}", a.hour(), a.minute());
        if a.date_naive() == n.date_naive() {
            hm
        } else {
            format!(
                "{} {hm}",
                self.t(&format!("weekday-{}", a.weekday().number_from_monday()))
            )
        }
    }
}

/// A Fluent argument: a number (plural rules apply) or preformatted text.
#[derive(Debug, Clone)]
pub enum Arg {
    Num(f64),
    Str(String),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(n as f64)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Message ids of a Fluent file: lines that start a message (`id =`).
    fn message_ids(path: &std::path::Path) -> std::collections::BTreeSet<String> {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        text.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_string()))
            .collect()
    }

    /// Every UI language has every message: a key missing in one fails here, not
    /// as a raw id on a reader's page.
    #[test]
    fn every_locale_has_every_key() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/i18n");
        let mut all: Vec<(String, std::collections::BTreeSet<String>)> = Vec::new();
        for dir in std::fs::read_dir(&root).expect("web/i18n") {
            let dir = dir.expect("entry").path();
            let mut ids = std::collections::BTreeSet::new();
            for f in std::fs::read_dir(&dir).expect("locale dir") {
                let f = f.expect("entry").path();
                if f.extension().is_some_and(|e| e == "ftl") {
                    ids.extend(message_ids(&f));
                }
            }
            all.push((dir.display().to_string(), ids));
        }
        assert!(all.len() >= 3, "en, uk, ru");
        let union: std::collections::BTreeSet<String> = all
            .iter()
            .flat_map(|(_, ids)| ids.iter().cloned())
            .collect();
        for (dir, ids) in &all {
            let missing: Vec<&String> = union.difference(ids).collect();
            assert!(missing.is_empty(), "{dir} lacks {missing:?}");
        }
    }

    #[test]
    fn accept_language_weights() {
        assert_eq!(
            Lang::from_accept_language("uk-UA,uk;q=0.9,en;q=0.8"),
            Some(Lang::Uk)
        );
        assert_eq!(
            Lang::from_accept_language("de, ru;q=0.5, en;q=0.7"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(
            Lang::from_accept_language("ru;q=0, en;q=0.1"),
            Some(Lang::En)
        );
    }

    #[test]
    fn numbers_per_language() {
        let (en, uk) = (Tr::new(Lang::En), Tr::new(Lang::Uk));
        assert_eq!(en.price(450, Some("GBP")), "£4.50");
        assert_eq!(uk.price(4550, Some("UAH")), "45,50\u{a0}грн");
        assert_eq!(en.int(1234567), "1,234,567");
        assert_eq!(en.distance(1234.0), "1.2 km");
        assert_eq!(uk.distance(1234.0), "1,2 км");
        assert_eq!(en.distance(344.0), "340 m");
    }

    #[test]
    fn plurals_come_from_fluent() {
        let now = Utc::now();
        let uk = Tr::new(Lang::Uk);
        let en = Tr::new(Lang::En);
        let h = |n: i64| now - chrono::Duration::hours(n);
        assert_eq!(en.ago(h(1), now), "updated 1 hour ago");
        assert_eq!(en.ago(h(2), now), "updated 2 hours ago");
        assert_eq!(uk.ago(h(2), now), "оновлено 2 години тому");
        assert_eq!(uk.ago(h(5), now), "оновлено 5 годин тому");
        assert_eq!(uk.ago(h(21), now), "оновлено 21 годину тому");
    }
}
