//! The operator's view from a shell: `medmap stats` and `medmap publishers list`.
//!
//! Counts come from the store, so they work with the server stopped and on any
//! PostgreSQL replica alike. What only the live process knows (snapshot age, what
//! the snapshot holds, memory, start time, build) comes from that server's own
//! `/metrics` and `/api/v1/version` over HTTP, the endpoints Prometheus already
//! scrapes: no admin endpoint to secure, and a server that is down just leaves that
//! part out. Staleness uses the `/status` page's rule
//! ([`crate::store::PublisherStatus::is_stale`]) with the same `--fresh-hours`.

pub mod publishers;
pub mod stats;

use chrono::{DateTime, Utc};

/// `1234567` → `1,234,567`: counts an operator reads at a glance.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// A unix time as `2026-12-07 14:05 UTC (3 h ago)`, or `never`.
pub fn when(ts: Option<i64>, now: DateTime<Utc>) -> String {
    let Some(t) = ts.and_then(|s| DateTime::from_timestamp(s, 0)) else {
        return "never".into();
    };
    format!("{} ({})", t.format("%Y-%m-%d %H:%M UTC"), ago(now - t))
}

/// `42 s`, `5 min`, `3 h`, `2 d` ago (or `in …` for a clock ahead of ours).
pub fn ago(d: chrono::TimeDelta) -> String {
    let s = d.num_seconds();
    let (future, s) = (s < 0, s.unsigned_abs());
    let text = match s {
        0..=119 => format!("{s} s"),
        120..=7_199 => format!("{} min", s / 60),
        7_200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// Bytes as `12.3 MB` (decimal, as `df -H` and most dashboards print them).
pub fn megabytes(b: f64) -> String {
    format!("{:.1} MB", b / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1234567), "-1,234,567");
        assert_eq!(ago(chrono::TimeDelta::seconds(42)), "42 s ago");
        assert_eq!(ago(chrono::TimeDelta::seconds(600)), "10 min ago");
        assert_eq!(ago(chrono::TimeDelta::seconds(3 * 3600)), "3 h ago");
        assert_eq!(ago(chrono::TimeDelta::seconds(-3 * 86_400)), "in 3 d");
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(when(None, now), "never");
        assert_eq!(
            when(Some(1_800_000_000 - 7200), now),
            "2027-01-15 06:00 UTC (2 h ago)"
        );
    }
}
