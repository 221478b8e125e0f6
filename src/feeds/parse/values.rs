//! Value parsing: the text of one field as pharmacies and aggregators write it
//! (decimal commas and thousands separators, statuses in three languages, local
//! times in half a dozen layouts) into medmap's values. Pure functions of their
//! input, kept apart from the sink so the rules can be read and tested on their own.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use crate::model::StockStatus;

/// `Some` only for text with something in it: exports pad missing values with spaces.
pub fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

pub(super) enum StatusOrRemove {
    Status(StockStatus),
    Remove,
}

pub(super) fn parse_status(s: &str) -> Option<StatusOrRemove> {
    let s = s.trim().to_lowercase();
    Some(StatusOrRemove::Status(match s.as_str() {
        "in_stock"
        | "instock"
        | "in stock"
        | "available"
        | "yes"
        | "y"
        | "true"
        | "1"
        | "є"
        | "есть"
        | "в наличии"
        | "в наявності" => StockStatus::InStock,
        "low" | "limited" | "few" | "мало" => StockStatus::Low,
        "out" | "out_of_stock" | "outofstock" | "no" | "n" | "false" | "0" | "немає" | "нет" => {
            StockStatus::Out
        }
        "unknown" | "?" => StockStatus::Unknown,
        "removed" | "remove" | "delete" | "deleted" => return Some(StatusOrRemove::Remove),
        _ => return None,
    }))
}

/// A decimal as pharmacies write it: `12.50`, `12,50`, `1 234,50`, `1,234.50`.
/// The last of `.`/`,` is the decimal separator; spaces and the other mark are
/// thousands separators.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(v) = s.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    let dot = s.rfind('.');
    let comma = s.rfind(',');
    let dec = match (dot, comma) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (None, Some(_)) => Some(','),
        (Some(_), None) => Some('.'),
        (None, None) => None,
    };
    // Decimal commas (`12,50`) are on nearly every row of a pharmacy CSV: rewrite into
    // a stack buffer rather than a new String per field.
    let mut buf = [0u8; 64];
    let mut n = 0;
    let mut out = String::new();
    for ch in s.chars() {
        let c = match ch {
            ' ' | '\u{a0}' | '\u{202f}' | '\'' => continue,
            c if Some(c) == dec => '.',
            ',' | '.' => continue,
            c => c,
        };
        if c.is_ascii() && n < buf.len() {
            buf[n] = c as u8;
            n += 1;
        } else {
            // Rare: long or non-ASCII; the value is then most likely not a number.
            if out.is_empty() {
                out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
            }
            out.push(c);
            n = buf.len() + 1;
        }
    }
    let v = if n <= buf.len() {
        std::str::from_utf8(&buf[..n]).ok()?.parse::<f64>().ok()
    } else {
        out.parse::<f64>().ok()
    };
    v.filter(|v| v.is_finite())
}

/// A timestamp as feeds write it. Naive local times are read in `tz`.
pub fn parse_time(s: &str, tz: Tz) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let v: i64 = s.parse().ok()?;
        return Some(match s.len() {
            13 => v / 1000,
            14 => return naive(s, "%Y%m%d%H%M%S", tz),
            _ => v,
        });
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ] {
        if let Some(t) = naive(s, f, tz) {
            return Some(t);
        }
    }
    for f in ["%Y-%m-%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return local(d.and_hms_opt(0, 0, 0)?, tz);
        }
    }
    None
}

pub(super) fn naive(s: &str, f: &str, tz: Tz) -> Option<i64> {
    local(NaiveDateTime::parse_from_str(s, f).ok()?, tz)
}

fn local(n: NaiveDateTime, tz: Tz) -> Option<i64> {
    tz.from_local_datetime(&n).earliest().map(|t| t.timestamp())
}

/// A price written with its currency, as Google's feeds write it: `12.99 USD` (or
/// `USD 12.99`) → `("12.99", "USD")`. `None` unless exactly one part is a
/// three-letter code and the other is left for the number rules.
pub fn split_price(s: &str) -> Option<(&str, &str)> {
    let mut parts = s.split_whitespace();
    let (a, b) = (parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let is_code = |c: &str| c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic());
    match (is_code(a), is_code(b)) {
        (false, true) => Some((a, b)),
        (true, false) => Some((b, a)),
        _ => None,
    }
}

/// Google's `availability` values (with spaces or underscores) as medmap statuses.
pub fn google_availability(s: &str) -> Option<&'static str> {
    let s = s.trim().to_ascii_lowercase().replace(' ', "_");
    Some(match s.as_str() {
        "in_stock" => "in_stock",
        "out_of_stock" => "out",
        "limited_availability" => "low",
        // Shown in the store, sold to order: there, but not to take away now.
        "on_display_to_order" => "unknown",
        _ => return None,
    })
}
