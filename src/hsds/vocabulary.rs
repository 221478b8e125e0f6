//! The needs vocabulary (`data/needs/needs.csv`), compiled into the binary: it is
//! part of how the search understands people, like its stemmers, so a server
//! started on any data folder reads Ukrainian and Russian needs the same way, and
//! a change to the file is a reviewed code change measured by `medmap eval
//! services`. `data/needs/README.md` describes the columns.

use std::sync::LazyLock;

use medmap_indexers::services::{NeedInput, Needs};

const NEEDS_CSV: &str = include_str!("../../data/needs/needs.csv");

/// The vocabulary's rows, parsed once per process. A malformed row is skipped
/// (and the test below fails on it), so a typo in the file never stops a server.
static ROWS: LazyLock<Vec<NeedInput>> = LazyLock::new(|| parse(NEEDS_CSV).0);

/// The vocabulary, compiled for an index build.
pub fn needs() -> Needs {
    Needs::build(&ROWS)
}

/// Rows and the line numbers of rows that could not be read.
fn parse(csv_text: &str) -> (Vec<NeedInput>, Vec<usize>) {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(csv_text.as_bytes());
    let list = |s: &str| -> Vec<String> {
        s.split('|')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    };
    for (i, rec) in r.records().enumerate() {
        let Ok(rec) = rec else {
            bad.push(i + 2);
            continue;
        };
        let f = |k: usize| rec.get(k).unwrap_or("").trim();
        if f(0).is_empty() {
            bad.push(i + 2);
            continue;
        }
        rows.push(NeedInput {
            id: f(0).to_string(),
            parent: Some(f(1).to_string()).filter(|p| !p.is_empty()),
            oe_terms: list(f(2)),
            en: list(f(3)),
            uk: list(f(4)),
            ru: list(f(5)),
        });
    }
    (rows, bad)
}

/// A need's label in a UI language (`en`, `uk`, `ru`), English when the row has
/// none in that language.
pub fn label<'a>(needs: &'a Needs, need: u32, lang: &str) -> &'a str {
    let Some(n) = needs.needs.get(need as usize) else {
        return "";
    };
    let i = match lang {
        "uk" => 1,
        "ru" => 2,
        _ => 0,
    };
    let l = &n.labels[i];
    if l.is_empty() {
        &n.labels[0]
    } else {
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_vocabulary_reads_whole() {
        let (rows, bad) = parse(NEEDS_CSV);
        assert!(bad.is_empty(), "unreadable rows at lines {bad:?}");
        assert!(rows.len() >= 70, "{} needs", rows.len());
        let ids: std::collections::HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), rows.len(), "ids must be unique");
        for r in &rows {
            if let Some(p) = &r.parent {
                assert!(ids.contains(p.as_str()), "{}: unknown parent {p}", r.id);
            }
            assert!(
                !r.en.is_empty() && !r.uk.is_empty() && !r.ru.is_empty(),
                "{}",
                r.id
            );
        }
    }
}
