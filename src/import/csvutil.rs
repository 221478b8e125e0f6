//! CSV reading shared by the file importers: header-addressed rows, so a column
//! reordering upstream does not silently shift fields.

use std::collections::HashMap;
use std::path::Path;

use super::report::{ImportError, ImportReport};

/// A CSV file read whole with its header index. The bundled files are a few MB,
/// so reading them at once is simpler and faster than streaming.
pub struct Table {
    pub path: String,
    header: HashMap<String, usize>,
    pub rows: Vec<(u64, Result<csv::StringRecord, String>)>,
}

impl Table {
    pub fn read(path: &Path) -> Result<Table, ImportError> {
        let display = path.display().to_string();
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| ImportError::Io {
                path: display.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
        let header = rdr
            .headers()
            .map_err(|e| ImportError::Format {
                path: display.clone(),
                message: format!("bad header: {e}"),
            })?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim_start_matches('\u{feff}').to_string(), i))
            .collect::<HashMap<_, _>>();
        let width = header.len();
        let mut rows = Vec::new();
        for rec in rdr.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map(|p| p.line()).unwrap_or(0);
                    if r.len() != width {
                        rows.push((line, Err(format!("{} fields, expected {width}", r.len()))));
                    } else {
                        rows.push((line, Ok(r)));
                    }
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    rows.push((line, Err(format!("malformed CSV: {e}"))));
                }
            }
        }
        Ok(Table {
            path: display,
            header,
            rows,
        })
    }

    /// The well-formed rows with their line numbers, counting every row as read and
    /// rejecting the malformed ones into `rep`.
    pub fn valid_rows<'a>(&'a self, rep: &mut ImportReport) -> Vec<(u64, &'a csv::StringRecord)> {
        let mut v = Vec::with_capacity(self.rows.len());
        for (line, row) in &self.rows {
            rep.read += 1;
            match row {
                Ok(r) => v.push((*line, r)),
                Err(e) => rep.reject(*line, e.clone()),
            }
        }
        v
    }

    /// Every column name with its index.
    pub fn columns(&self) -> impl Iterator<Item = (&str, usize)> {
        self.header.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Column index of an optional column (an extension such as `confidential`).
    pub fn col_opt(&self, name: &str) -> Option<usize> {
        self.header.get(name).copied()
    }

    /// Column index by name; a missing column is a format error for the whole file.
    pub fn col(&self, name: &str) -> Result<usize, ImportError> {
        self.header
            .get(name)
            .copied()
            .ok_or_else(|| ImportError::Format {
                path: self.path.clone(),
                message: format!("missing column {name:?}"),
            })
    }
}

/// The trimmed field, or `None` when empty.
pub fn field(r: &csv::StringRecord, i: usize) -> Option<&str> {
    r.get(i).map(str::trim).filter(|s| !s.is_empty())
}

pub fn owned(r: &csv::StringRecord, i: usize) -> Option<String> {
    field(r, i).map(str::to_string)
}
