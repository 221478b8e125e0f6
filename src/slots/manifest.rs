//! The `$bulk-publish` manifest: a JSON object whose `output` lists the NDJSON files
//! (`type`, `url`) of the publication, and whose `transactionTime` is the instant
//! the next incremental poll asks `_since`.

use reqwest::Url;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub transaction_time: Option<String>,
    /// `(type, absolute URL)` of the files of the types medmap reads.
    pub files: Vec<(String, String)>,
    /// Types listed that medmap does not read (reported, not an error).
    pub skipped: Vec<String>,
}

/// Reads a manifest fetched from `base` (relative file URLs are resolved against it).
pub fn parse(body: &[u8], base: &str) -> Result<Manifest, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("the manifest is not JSON: {e}"))?;
    let output = v
        .get("output")
        .and_then(Value::as_array)
        .ok_or("the manifest has no output list")?;
    let base = Url::parse(base).map_err(|e| format!("the manifest URL: {e}"))?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for (i, o) in output.iter().enumerate() {
        let ty = o
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("output[{i}] has no type"))?;
        let url = o
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("output[{i}] has no url"))?;
        if !super::fhir::TYPES.contains(&ty) {
            skipped.push(ty.to_string());
            continue;
        }
        let abs = base
            .join(url)
            .map_err(|e| format!("output[{i}].url {url:?}: {e}"))?;
        files.push((ty.to_string(), abs.to_string()));
    }
    // Locations before schedules before slots: references are checked in that order.
    files.sort_by_key(|(t, _)| super::fhir::TYPES.iter().position(|x| *x == t.as_str()));
    Ok(Manifest {
        transaction_time: v
            .get("transactionTime")
            .and_then(Value::as_str)
            .map(str::to_string),
        files,
        skipped,
    })
}

/// The manifest URL asking only for what changed since `since`.
pub fn since_url(url: &str, since: &str) -> Result<String, String> {
    let mut u = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != "_since")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("_since", since);
    Ok(u.to_string())
}

/// `max-age` of a `Cache-Control` header value, seconds.
pub fn max_age(cache_control: &str) -> Option<i64> {
    cache_control.split(',').find_map(|d| {
        let (k, v) = d.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().trim_matches('"').parse::<i64>().ok())
            .flatten()
            .filter(|n| *n >= 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_resolved_and_ordered() {
        let m = parse(
            br#"{"transactionTime":"2026-03-01T00:00:00Z","request":"x","output":[{"type":"Slot","url":"slots.ndjson"},{"type":"Location","url":"https://cdn.example/l.ndjson"},{"type":"Practitioner","url":"p.ndjson"}],"error":[]}"#,
            "https://pub.example/fhir/$bulk-publish",
        )
        .expect("manifest");
        assert_eq!(
            m.files[0],
            ("Location".into(), "https://cdn.example/l.ndjson".into())
        );
        assert_eq!(
            m.files[1],
            (
                "Slot".into(),
                "https://pub.example/fhir/slots.ndjson".into()
            )
        );
        assert_eq!(m.skipped, vec!["Practitioner".to_string()]);
        assert!(parse(b"[]", "https://x.example/").is_err());
    }

    #[test]
    fn since_and_max_age() {
        assert_eq!(
            since_url("https://p.example/m?a=1&_since=old", "2026-03-01T00:00:00Z").expect("url"),
            "https://p.example/m?a=1&_since=2026-03-01T00%3A00%3A00Z"
        );
        assert_eq!(max_age("public, max-age=300"), Some(300));
        assert_eq!(max_age("no-cache"), None);
    }
}
