//! File names: the branch and the time a chain's export puts in the name of the
//! file it sends (Tabletki `Rest_<branch>_<yyyymmddhhmmss>`, Liki24
//! `Stock_<timestamp>`). Bodies often carry neither, so the name is the fallback
//! for the facility and for `checked_at`; kept apart because the rules are the
//! chains' conventions, not any one format's.

use chrono_tz::Tz;

use super::values::{naive, parse_time};

/// `(branch, time)` from a Tabletki file name `Rest_<branch>_<yyyymmddhhmmss>.zip`.
pub fn tabletki_file_name(name: &str) -> Option<(String, Option<i64>)> {
    let base = base_name(name);
    let rest = base
        .strip_prefix("Rest_")
        .or_else(|| base.strip_prefix("rest_"))?;
    match rest.rsplit_once('_') {
        Some((branch, ts)) if ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit()) => Some((
            branch.to_string(),
            naive(ts, "%Y%m%d%H%M%S", chrono_tz::Europe::Kyiv),
        )),
        _ => (!rest.is_empty()).then(|| (rest.to_string(), None)),
    }
}

/// The file name without folders and extensions.
fn base_name(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.split('.').next().unwrap_or(base)
}

/// The time a file name carries: Tabletki `Rest_<branch>_<yyyymmddhhmmss>`, Liki24
/// `Stock_<timestamp>` (yyyymmddhhmmss, unix seconds or milliseconds).
pub fn file_name_time(name: &str, tz: Tz) -> Option<i64> {
    let base = base_name(name);
    if base.starts_with("Rest_") || base.starts_with("rest_") {
        let ts = base.rsplit('_').next()?;
        if ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit()) {
            return naive(ts, "%Y%m%d%H%M%S", tz);
        }
        return None;
    }
    let ts = base.rsplit('_').next()?;
    if base.contains('_') && ts.len() >= 10 && ts.bytes().all(|b| b.is_ascii_digit()) {
        return parse_time(ts, tz);
    }
    None
}
