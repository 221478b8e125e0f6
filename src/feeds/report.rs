//! The per-push report: what was read, applied and rejected, row by row. It is the
//! response of the push and is stored, so `GET /api/v1/feeds/{id}` (and a retried
//! push with the same Idempotency-Key) return exactly the same document.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A candidate product for a row whose name did not resolve confidently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// `product` or `substance`.
    pub kind: String,
    pub id: i64,
    pub name: String,
    pub score: f32,
}

/// One rejected row. `line` is the physical line where the record starts for CSV and
/// NDJSON (so quoted newlines do not shift it), the element's position (1-based) for
/// a JSON array and the offer's position for XML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Stable machine code: missing, invalid, malformed, unknown_facility,
    /// forbidden_facility, unknown_product, ambiguous_product, duplicate,
    /// future_timestamp, stale_timestamp, out_of_range.
    pub reason: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
}

/// How a push ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// Every row applied.
    Applied,
    /// Valid rows applied, the rest rejected.
    Partial,
    /// Nothing applied (strict mode with errors, or no valid row).
    Rejected,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// The push id, for `GET /api/v1/feeds/{id}`.
    pub id: Option<i64>,
    pub publisher: String,
    pub status: PushStatus,
    pub mode: String,
    pub format: String,
    pub encoding: String,
    pub strict: bool,
    /// Unix seconds.
    pub received_at: i64,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// Lines removed: delta removals plus, in snapshot mode, lines of the listed
    /// facilities that the push no longer carries.
    pub lines_removed: u64,
    pub facilities: u64,
    /// Codes stored as new product external ids by this push.
    pub new_product_codes: u64,
    /// How many accepted rows took `checked_at` from the body, the file name, or the
    /// time of receipt.
    pub checked_at_source: BTreeMap<String, u64>,
    pub rejected: Vec<Rejection>,
    /// More rows were rejected than are listed.
    pub rejected_truncated: bool,
    /// True when this answer is a stored one returned for a repeated Idempotency-Key.
    #[serde(default)]
    pub idempotent_replay: bool,
    pub elapsed_ms: u64,
}

impl fmt::Display for Report {
    /// The human summary `medmap feed push` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "push {}: {:?} ({} mode, {} in {}): read {}, accepted {}, rejected {}, removed {}, facilities {}, new product codes {}",
            self.id.map_or("-".to_string(), |i| i.to_string()),
            self.status,
            self.mode,
            self.format,
            self.encoding,
            self.rows_read,
            self.rows_accepted,
            self.rows_rejected,
            self.lines_removed,
            self.facilities,
            self.new_product_codes
        )?;
        let src: Vec<String> = self
            .checked_at_source
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(f, "checked_at from: {}", src.join(", "))?;
        for r in &self.rejected {
            write!(
                f,
                "  line {}{}: {} — {}",
                r.line,
                r.field
                    .as_deref()
                    .map(|x| format!(" [{x}]"))
                    .unwrap_or_default(),
                r.reason,
                r.message
            )?;
            if let Some(v) = &r.value {
                write!(f, " (value {v:?})")?;
            }
            if !r.suggestions.is_empty() {
                let s: Vec<String> = r
                    .suggestions
                    .iter()
                    .map(|s| format!("{} #{}", s.name, s.id))
                    .collect();
                write!(f, "; did you mean: {}", s.join(" | "))?;
            }
            writeln!(f)?;
        }
        if self.rejected_truncated {
            writeln!(f, "  … more rejected rows not listed")?;
        }
        Ok(())
    }
}
