//! Duty rotas and special opening times: which pharmacy is on night duty when, and
//! where the hours of a date (a holiday, a closure) differ from the usual ones.
//!
//! A rota comes from a publisher's feed key (`POST /api/v1/feeds/duty`) or from a
//! city's published list (`medmap import duty FILE`); both go through [`apply`]:
//! rows read ([`rows`]), every facility resolved and every time turned into
//! instants on the facility's own clock, overlaps within the rota refused with
//! their lines, and then the whole rota replaces what the same source sent before,
//! in one transaction. Nothing is half-applied: one bad row rejects the rota,
//! because a rota with a hole in it sends people to a closed door at night.
//!
//! The spans are laid over the facility's hours in the snapshot
//! ([`crate::snapshot::SpecialTimes`]), so "open now", `open_at=` and the pages
//! answer with them at once.

pub mod rows;

use std::collections::{HashMap, HashSet};

use chrono_tz::Tz;
use medmap_indexers::hours::Special;
use serde::Serialize;

use crate::feeds::report::Rejection;
use crate::snapshot::{SharedSnapshot, SpecialTimes};
use crate::store::{PublisherContext, Replace, SpecialRow, Store, StoreError};
use rows::{rejection, RawRow};

/// Rejections listed in an answer; the count says how many there were.
const MAX_LISTED: usize = 100;

/// Who sends a rota: what it may name, and whose earlier rota it replaces.
pub enum Sender<'a> {
    /// A publisher's key: only its facilities, by branch code or reference.
    Publisher(&'a PublisherContext),
    /// An operator importing a city's list: any facility, under `name`.
    Import { name: &'a str },
}

impl Sender<'_> {
    fn source(&self) -> String {
        match self {
            Sender::Publisher(p) => format!("publisher:{}", p.id),
            Sender::Import { name } => format!("import:{name}"),
        }
    }
}

/// What a rota replaces of its sender's earlier rotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = DutyMode)]
pub enum Mode {
    /// Everything: the rota is the sender's whole list (the default).
    Replace,
    /// Only the facilities it names.
    Merge,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "replace" | "full" | "snapshot" => Some(Mode::Replace),
            "merge" | "delta" => Some(Mode::Merge),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DutyError {
    /// The body is not a rota at all.
    #[error("{0}")]
    Body(String),
    /// Rows that cannot be applied: nothing was.
    #[error("the rota was rejected; nothing was applied")]
    Rejected {
        rejections: Vec<Rejection>,
        count: usize,
        /// Some row names a facility outside the key's scope.
        forbidden: bool,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an accepted rota did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DutyOutcome {
    #[schema(value_type = String, example = "applied")]
    pub status: &'static str,
    pub source: String,
    pub mode: Mode,
    pub rows: usize,
    /// Spans stored (a date with hours is several).
    pub spans: usize,
    pub facilities: usize,
    /// Rows of the earlier rota(s) replaced.
    pub replaced: u64,
}

/// A facility's clock, by id: the snapshot's where one is running, else the
/// facility rows' own zone or the one its coordinates lie in.
pub type Clock<'a> = dyn Fn(i64) -> Option<Tz> + Send + Sync + 'a;

/// Checks a rota and applies it whole, or rejects it whole.
pub async fn apply(
    store: &Store,
    sender: Sender<'_>,
    mode: Mode,
    rows: Vec<RawRow>,
    clock: &Clock<'_>,
) -> Result<DutyOutcome, DutyError> {
    if rows.is_empty() {
        return Err(DutyError::Body("the rota has no rows".into()));
    }
    let ids = resolve(store, &sender, &rows).await?;
    let mut bad: Vec<Rejection> = Vec::new();
    let mut forbidden = false;
    let mut spans: Vec<(i64, u64, Special, Option<String>)> = Vec::new();
    for row in &rows {
        let fid = match ids.get(row.facility.as_str()) {
            Some(Ok(id)) => *id,
            Some(Err(r)) => {
                forbidden |= r.reason == "forbidden_facility";
                bad.push(Rejection {
                    line: row.line,
                    ..(**r).clone()
                });
                continue;
            }
            None => continue,
        };
        let Some(tz) = clock(fid) else {
            bad.push(*rejection(
                row.line,
                "facility",
                "unknown_facility",
                format!("facility {} is not in the directory", row.facility),
            ));
            continue;
        };
        match rows::spans(row, tz) {
            Ok(s) => spans.extend(s.into_iter().map(|s| (fid, row.line, s, row.note.clone()))),
            Err(r) => bad.push(*r),
        }
    }
    bad.extend(overlaps(&mut spans));
    if !bad.is_empty() {
        bad.sort_by_key(|r| r.line);
        let count = bad.len();
        bad.truncate(MAX_LISTED);
        return Err(DutyError::Rejected {
            rejections: bad,
            count,
            forbidden,
        });
    }
    let facilities: Vec<i64> = {
        let set: HashSet<i64> = spans.iter().map(|s| s.0).collect();
        let mut v: Vec<i64> = set.into_iter().collect();
        v.sort_unstable();
        v
    };
    let mut stored: Vec<SpecialRow> = spans
        .into_iter()
        .map(|(facility_id, _, s, note)| SpecialRow {
            facility_id,
            starts_at: s.from,
            ends_at: s.to,
            is_open: s.open,
            note,
            received_at: 0,
        })
        .collect();
    let source = sender.source();
    let replace = match mode {
        Mode::Replace => Replace::All,
        Mode::Merge => Replace::Facilities(&facilities),
    };
    let replaced = store
        .replace_special_hours(&source, replace, &mut stored)
        .await?;
    Ok(DutyOutcome {
        status: "applied",
        source,
        mode,
        rows: rows.len(),
        spans: stored.len(),
        facilities: facilities.len(),
        replaced,
    })
}

/// Applies a pushed rota and makes it live: the snapshot's special times are
/// rebuilt from the store (where other senders' rotas are) under the writer lock,
/// so two rotas applied together cannot lose each other.
pub async fn push(
    store: &Store,
    cell: &SharedSnapshot,
    sender: Sender<'_>,
    mode: Mode,
    rows: Vec<RawRow>,
) -> Result<Option<DutyOutcome>, DutyError> {
    let Some(snap) = cell.get() else {
        return Ok(None);
    };
    let clock = |id: i64| {
        let i = *snap.facility_index.get(&id)?;
        Some(snap.facility_tz(i))
    };
    let writer = cell.writer().await;
    let outcome = apply(store, sender, mode, rows, &clock).await?;
    let all = store.load_special_hours().await?;
    let Some(cur) = cell.get() else {
        return Ok(Some(outcome));
    };
    let special = SpecialTimes::build(all, &cur.facility_index);
    let changed: Vec<u32> = cur
        .special
        .facilities()
        .chain(special.facilities())
        .collect();
    writer.apply_special(special, &changed);
    Ok(Some(outcome))
}

/// Each distinct facility reference once: the publisher's branch codes, then ids,
/// uuids and `system:value`; out of a key's scope is refused.
async fn resolve<'r>(
    store: &Store,
    sender: &Sender<'_>,
    rows: &'r [RawRow],
) -> Result<HashMap<&'r str, Result<i64, Box<Rejection>>>, StoreError> {
    let refs: HashSet<&str> = rows.iter().map(|r| r.facility.as_str()).collect();
    let branches = match sender {
        Sender::Publisher(p) => Some(&p.branches),
        Sender::Import { .. } => None,
    };
    let others: Vec<&str> = refs
        .iter()
        .copied()
        .filter(|r| !r.is_empty() && branches.is_none_or(|b| !b.contains_key(*r)))
        .collect();
    let found = store.resolve_facility_refs(&others).await?;
    Ok(refs
        .into_iter()
        .map(|r| {
            let id = branches
                .and_then(|b| b.get(r))
                .or_else(|| found.get(r))
                .copied();
            let res = match (id, sender) {
                _ if r.is_empty() => Err(rejection(0, "facility", "missing", "every row names a facility".into())),
                (None, _) => {
                    let mut x = rejection(0, "facility", "unknown_facility", "unknown facility: use a branch code registered for this key, a medmap facility id, a uuid or system:value (e.g. nszu:123)".into());
                    x.value = Some(r.to_string());
                    Err(x)
                }
                (Some(id), Sender::Publisher(p)) if !p.scope.contains(&id) => {
                    let mut x = rejection(0, "facility", "forbidden_facility", format!("facility {id} is not one of this key's facilities"));
                    x.value = Some(r.to_string());
                    Err(x)
                }
                (Some(id), _) => Ok(id),
            };
            (r, res)
        })
        .collect())
}

/// Spans of one facility that overlap, from different rows: the later row is
/// refused, naming the row it runs into.
fn overlaps(spans: &mut [(i64, u64, Special, Option<String>)]) -> Vec<Rejection> {
    spans.sort_by_key(|s| (s.0, s.2.from, s.1));
    let mut out = Vec::new();
    let mut reported = HashSet::new();
    // The span reaching furthest so far within the facility: (facility, end, line).
    let mut reach: Option<(i64, i64, u64)> = None;
    for (fid, line, s, _) in spans.iter() {
        match reach {
            Some((f, end, other)) if f == *fid && s.from < end && other != *line => {
                let (first, later) = (other.min(*line), other.max(*line));
                if reported.insert(later) {
                    out.push(*rejection(
                        later,
                        "from",
                        "overlap",
                        format!("line {later} overlaps line {first} for the same facility"),
                    ));
                }
            }
            _ => {}
        }
        if reach.is_none_or(|(f, end, _)| f != *fid || s.to > end) {
            reach = Some((*fid, s.to, *line));
        }
    }
    out
}

/// `medmap import duty FILE`: a city's published rota, under the file's name, so
/// next month's list from the same file name replaces this month's. Written to the
/// store; a running server shows it from its next snapshot load.
pub async fn import_file(
    store: &Store,
    path: &std::path::Path,
) -> Result<crate::import::ImportReport, crate::import::ImportError> {
    use crate::import::{ImportError, ImportReport};
    let shown = path.display().to_string();
    let body = std::fs::read(path).map_err(|source| ImportError::Io {
        path: shown.clone(),
        source,
    })?;
    let rows = rows::read(&body, None).map_err(|message| ImportError::Format {
        path: shown.clone(),
        message,
    })?;
    let zones: HashMap<i64, Tz> = store
        .load_facilities()
        .await?
        .into_iter()
        .filter_map(|f| {
            let tz = f
                .timezone
                .as_deref()
                .and_then(|t| t.parse().ok())
                .or_else(|| {
                    let here = crate::geo::locate(f.lat?, f.lon?);
                    here.timezone?.parse().ok()
                })?;
            Some((f.id, tz))
        })
        .collect();
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rota".into());
    let n = rows.len() as u64;
    let clock = |id: i64| zones.get(&id).copied();
    match apply(
        store,
        Sender::Import { name: &name },
        Mode::Replace,
        rows,
        &clock,
    )
    .await
    {
        Ok(outcome) => Ok(ImportReport {
            source: format!(
                "duty rota {} ({} spans at {} facilities, {} replaced)",
                outcome.source, outcome.spans, outcome.facilities, outcome.replaced
            ),
            read: n,
            imported: n,
            rejected: Vec::new(),
        }),
        Err(DutyError::Store(e)) => Err(e.into()),
        Err(DutyError::Body(message)) => Err(ImportError::Format {
            path: shown,
            message,
        }),
        Err(DutyError::Rejected {
            rejections, count, ..
        }) => {
            let lines: Vec<String> = rejections
                .iter()
                .map(|r| format!("  line {}: {} ({})", r.line, r.message, r.reason))
                .collect();
            Err(ImportError::Format {
                path: shown,
                message: format!(
                    "{count} row(s) rejected, nothing applied:\n{}",
                    lines.join("\n")
                ),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: i64, line: u64, from: i64, to: i64) -> (i64, u64, Special, Option<String>) {
        (
            f,
            line,
            Special {
                from,
                to,
                open: true,
            },
            None,
        )
    }

    /// Every row running into an earlier one is named, not only the first pair.
    #[test]
    fn every_overlapping_row_is_named() {
        let mut v = vec![
            s(1, 2, 0, 100),
            s(1, 3, 10, 20),
            s(1, 4, 30, 40),
            s(1, 5, 100, 110),
            s(2, 6, 0, 100),
        ];
        let lines: Vec<u64> = overlaps(&mut v).iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4]);
        // Touching spans (one ends as the next starts) do not overlap.
        let mut v = vec![s(1, 2, 0, 10), s(1, 3, 10, 20)];
        assert!(overlaps(&mut v).is_empty());
    }
}
