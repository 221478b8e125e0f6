//! Strict query-string parsing at the edge: parameters become domain values here or
//! the request is answered 400 with the parameter and the reason. Lenient decoders
//! turn broken percent-encoding into U+FFFD and search for garbage; we refuse it.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;

/// Longest accepted free-text query, in characters: the name engine's own cap, so a
/// query the API accepts is never cut by the engine.
pub use medmap_indexers::names::MAX_QUERY_CHARS;

/// Largest search radius: beyond it "near me" stops meaning anything and the work per
/// query grows without bound.
pub const MAX_RADIUS_KM: f64 = 200.0;

/// Longest request target (path and query) accepted at all: longer ones are answered
/// 414 before any routing, whatever the route.
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// Longest query string a handler parses (400 naming `query string` past it).
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// Most parameters in one query string (checkbox lists included).
pub const MAX_PARAMS: usize = 100;

/// Longest parameter name, in bytes once decoded.
pub const MAX_NAME_BYTES: usize = 64;

/// Longest parameter value, in bytes once decoded: room for the longest free text
/// ([`MAX_QUERY_CHARS`] characters of up to four bytes) and then some, so that a
/// value that no parameter needs is refused by name before any parsing.
pub const MAX_VALUE_BYTES: usize = 1024;

/// Decoded query parameters (first value wins for repeated names; [`Params::all`]
/// gives every value, for checkbox lists).
#[derive(Debug, Default)]
pub struct Params(HashMap<String, Vec<String>>);

fn decode(raw: &str, what: &str) -> Result<String, ApiError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => {
                        return Err(ApiError::bad(
                            what,
                            format!("broken percent-encoding in {what:?}"),
                        ))
                    }
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ApiError::bad(what, format!("{what:?} is not valid UTF-8")))
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .uri
            .query()
            .map_or(Ok(Params::default()), Params::parse)
    }
}

impl Params {
    /// Parses a raw query string within the bounds above: every refusal names the
    /// parameter (or `query string` when no single one is to blame).
    pub fn parse(q: &str) -> Result<Params, ApiError> {
        const WHOLE: &str = "query string";
        if q.len() > MAX_QUERY_BYTES {
            return Err(ApiError::bad(
                WHOLE,
                format!("the query string is longer than {MAX_QUERY_BYTES} bytes"),
            ));
        }
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (n, pair) in q.split('&').filter(|p| !p.is_empty()).enumerate() {
            if n >= MAX_PARAMS {
                return Err(ApiError::bad(
                    WHOLE,
                    format!("the query string has more than {MAX_PARAMS} parameters"),
                ));
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = decode(k, WHOLE)?;
            if k.len() > MAX_NAME_BYTES {
                return Err(ApiError::bad(
                    WHOLE,
                    format!("a parameter name is longer than {MAX_NAME_BYTES} bytes"),
                ));
            }
            let v = decode(v, &k)?;
            if v.len() > MAX_VALUE_BYTES {
                return Err(ApiError::bad(
                    &k,
                    format!("{k} is longer than {MAX_VALUE_BYTES} bytes"),
                ));
            }
            map.entry(k).or_default().push(v);
        }
        Ok(Params(map))
    }
}

impl Params {
    /// `lang=` for medication names: en (default), uk or ru.
    pub fn display_lang(&self) -> Result<crate::catalog::DisplayLang, ApiError> {
        Ok(crate::catalog::DisplayLang::parse_param(self.raw("lang"))?)
    }

    /// Every name and value, the same for the same request however its parameters
    /// are ordered: what a memoised answer is kept under.
    pub fn canonical(&self) -> String {
        let mut all: Vec<_> = self.0.iter().collect();
        all.sort();
        format!("{all:?}")
    }

    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    /// Every value given for `name`, in order (empty when absent).
    pub fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    /// Free text: trimmed, non-empty, at most [`MAX_QUERY_CHARS`], no control characters.
    pub fn text(&self, name: &str) -> Result<Option<String>, ApiError> {
        let Some(v) = self.raw(name) else {
            return Ok(None);
        };
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        if v.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::bad(
                name,
                format!("{name} is longer than {MAX_QUERY_CHARS} characters"),
            ));
        }
        if v.chars().any(char::is_control) {
            return Err(ApiError::bad(
                name,
                format!("{name} contains control characters"),
            ));
        }
        Ok(Some(v.to_string()))
    }

    pub fn required_text(&self, name: &str) -> Result<String, ApiError> {
        self.text(name)?
            .ok_or_else(|| ApiError::bad(name, format!("{name} is required and must not be empty")))
    }

    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.raw(name).map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad(name, format!("{name} must be a number, got {v:?}"))),
        }
    }

    /// An integer limit in `1..=max`, `default` when absent.
    pub fn limit(&self, name: &str, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.number::<usize>(name)? {
            None => Ok(default),
            Some(n) if (1..=max).contains(&n) => Ok(n),
            Some(n) => Err(ApiError::bad(
                name,
                format!("{name} must be between 1 and {max}, got {n}"),
            )),
        }
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some("true" | "1" | "yes" | "on") => Ok(Some(true)),
            Some("false" | "0" | "no" | "off") => Ok(Some(false)),
            Some(v) => Err(ApiError::bad(
                name,
                format!("{name} must be true or false, got {v:?}"),
            )),
        }
    }

    /// A point from `lat` and `lon` (both or neither), validated.
    pub fn point(&self) -> Result<Option<(f64, f64)>, ApiError> {
        match (self.number::<f64>("lat")?, self.number::<f64>("lon")?) {
            (None, None) => Ok(None),
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) {
                    return Err(ApiError::bad(
                        "lat",
                        format!("lat must be between -90 and 90, got {lat}"),
                    ));
                }
                if !(-180.0..=180.0).contains(&lon) {
                    return Err(ApiError::bad(
                        "lon",
                        format!("lon must be between -180 and 180, got {lon}"),
                    ));
                }
                Ok(Some((lat, lon)))
            }
            (Some(_), None) => Err(ApiError::bad("lon", "lon is required with lat")),
            (None, Some(_)) => Err(ApiError::bad("lat", "lat is required with lon")),
        }
    }

    /// Radius in km, in `(0, cap]`.
    pub fn radius_km(&self, default: f64, cap: f64) -> Result<f64, ApiError> {
        match self.number::<f64>("radius_km")? {
            None => Ok(default),
            Some(r) if r > 0.0 && r <= cap => Ok(r),
            Some(r) => Err(ApiError::bad(
                "radius_km",
                format!("radius_km must be more than 0 and at most {cap}, got {r}"),
            )),
        }
    }
}

impl Params {
    /// An instant: RFC 3339 (`2026-11-25T18:00:00Z`), a date (`2026-11-25`, midnight
    /// UTC), or `now` when `allow_now`.
    pub fn instant(
        &self,
        name: &str,
        allow_now: bool,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
        let Some(v) = self.raw(name).map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if allow_now && v.eq_ignore_ascii_case("now") {
            return Ok(Some(chrono::Utc::now()));
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
            return Ok(Some(t.with_timezone(&chrono::Utc)));
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            return Ok(Some(d.and_time(chrono::NaiveTime::MIN).and_utc()));
        }
        let now = if allow_now { " or now" } else { "" };
        Err(ApiError::bad(
            name,
            format!("{name} must be an ISO 8601 date-time (2026-11-25T18:00:00Z){now}, got {v:?}"),
        ))
    }

    /// A UUID (HSDS ids), normalised to lowercase hyphenated form.
    pub fn uuid(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.raw(name).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => parse_uuid(name, v).map(Some),
        }
    }

    /// A number in `[min, max]`.
    pub fn number_in(&self, name: &str, min: f64, max: f64) -> Result<Option<f64>, ApiError> {
        match self.number::<f64>(name)? {
            Some(v) if !(min..=max).contains(&v) => Err(ApiError::bad(
                name,
                format!("{name} must be between {min} and {max}, got {v}"),
            )),
            v => Ok(v),
        }
    }
}

/// A UUID path or query value; anything else is a 400 that says so.
pub fn parse_uuid(name: &str, v: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(v)
        .map(|u| u.to_string())
        .map_err(|_| ApiError::bad(name, format!("{name} must be a UUID, got {v:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_percent_decoding() {
        assert_eq!(decode("ibu%20profen+x", "q").unwrap(), "ibu profen x");
        assert_eq!(decode("%D0%BD", "q").unwrap(), "н");
        assert!(decode("%zz", "q").is_err());
        assert!(decode("%D0", "q").is_err());
        assert!(decode("abc%", "q").is_err());
    }

    fn refused_param(q: &str) -> Option<String> {
        match Params::parse(q) {
            Err(ApiError::BadRequest { param, .. }) => param,
            _ => None,
        }
    }

    #[test]
    fn every_part_of_a_query_string_is_bounded_by_name() {
        let long_value = format!("q={}", "a".repeat(MAX_VALUE_BYTES + 1));
        assert_eq!(refused_param(&long_value).as_deref(), Some("q"));
        // Decoded bytes count: 600 Cyrillic letters are 1,200 bytes.
        let cyrillic = format!("near={}", "%D0%BD".repeat(600));
        assert_eq!(refused_param(&cyrillic).as_deref(), Some("near"));
        let long_name = format!("{}=1", "k".repeat(MAX_NAME_BYTES + 1));
        assert_eq!(refused_param(&long_name).as_deref(), Some("query string"));
        let many = vec!["a=1"; MAX_PARAMS + 1].join("&");
        assert_eq!(refused_param(&many).as_deref(), Some("query string"));
        let whole = format!("q=1&{}", "x=12345678&".repeat(MAX_QUERY_BYTES / 10));
        assert_eq!(refused_param(&whole).as_deref(), Some("query string"));
        // At the bounds, accepted.
        let p = Params::parse(&format!("q={}", "a".repeat(MAX_VALUE_BYTES))).unwrap();
        assert_eq!(p.raw("q").map(str::len), Some(MAX_VALUE_BYTES));
        assert!(Params::parse(&vec!["a=1"; MAX_PARAMS].join("&")).is_ok());
    }
}
