//! Per-source import reports: rows read, imported and rejected, with the reason for
//! every rejected row, so an operator can fix the source instead of guessing.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// One rejected row: where it was and why.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    /// 1-based line (CSV) or feature/record index (JSON) in the source file.
    pub line: u64,
    pub reason: String,
}

/// What one importer did with one source file.
#[derive(Debug, Clone, Serialize, Default)]
pub struct ImportReport {
    pub source: String,
    pub read: u64,
    pub imported: u64,
    pub rejected: Vec<Rejection>,
}

impl ImportReport {
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            ..Default::default()
        }
    }

    pub fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.rejected.push(Rejection {
            line,
            reason: reason.into(),
        });
    }

    /// Rejection reasons with their counts, commonest first.
    pub fn reasons(&self) -> Vec<(String, usize)> {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &self.rejected {
            *by.entry(r.reason.as_str()).or_default() += 1;
        }
        let mut v: Vec<(String, usize)> = by.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: read {}, imported {}, rejected {}",
            self.source,
            self.read,
            self.imported,
            self.rejected.len()
        )?;
        for (reason, n) in self.reasons().into_iter().take(5) {
            write!(f, "\n    {n} × {reason}")?;
        }
        Ok(())
    }
}

/// Everything an import can fail with as a whole (single rows are rejected, not failed).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("unknown import source {0:?}")]
    UnknownSource(String),
}
