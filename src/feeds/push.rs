//! One push end to end, streamed: the spooled body is parsed off the reactor in
//! chunks of [`CHUNK_ROWS`] rows; each chunk's new references are resolved (once per
//! distinct reference), its rows validated and written into ONE open transaction; at
//! the end the snapshot removals, the report and the commit, then the copy-on-write
//! snapshot update makes the rows live.
//!
//! The push knows nothing of HTTP: it takes what it needs ([`PushContext`]: the
//! store, the snapshot handle with its one writer lock, the chunk size) and answers a
//! [`PushOutcome`] or a [`PushError`], which the HTTP layer maps to statuses; the feed
//! benchmark runs this same path.
//!
//! Memory holds a chunk or two, the duplicate set, the capped rejections and the
//! compact accepted lines the snapshot update needs (≈ 40 bytes a line), never the
//! push's rows whole. A strict push stops writing at its first error and rolls back;
//! a push that fails or is killed anywhere before the commit leaves the previous
//! state.

use std::collections::BTreeMap;
use std::fs::File;
use std::sync::Arc;
use std::time::Instant;

use medmap_indexers::stock::StockLine as IxLine;

use super::apply::Resolver;
use super::parse::{parse_file_chunked, Chunk, ParseError, ParseOptions, ProductRef};
use super::report::{PushStatus, Report};
use super::validate::{Rules, ValidLine, Validated, Validator};
use super::Mode;
use crate::snapshot::{ix_line, SharedSnapshot, Snapshot, SnapshotWriter, StockDelta};
use crate::store::{LineRef, PushHeader, PushSummary, PushTx, PushWrite, Store, StoreError};

/// Default rows per chunk ([`crate::config::Settings::feed_chunk_rows`]).
pub const CHUNK_ROWS: usize = crate::config::defaults::FEED_CHUNK_ROWS;

/// What a push needs from the server, and nothing else of it.
#[derive(Clone, Copy)]
pub struct PushContext<'a> {
    pub store: &'a Store,
    /// The snapshot the push maps its lines with and updates; its writer lock orders
    /// pushes.
    pub snapshot: &'a SharedSnapshot,
    /// Rows parsed, validated and written at a time.
    pub chunk_rows: usize,
}

/// How a push ended, for whoever answers the publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Applied whole, or the valid rows applied (partial).
    Accepted,
    /// Nothing applied: every row failed, or a strict push had an error.
    Rejected,
    /// Nothing applied because the push names facilities outside the key's scope.
    Forbidden,
}

/// The verdict and the report (JSON, as stored and as `GET /feeds/{id}` returns it).
#[derive(Debug)]
pub struct PushOutcome {
    pub verdict: Verdict,
    pub report: serde_json::Value,
}

/// A push that could not be judged: the body itself is unreadable (the client's
/// fault), or something of ours failed (never the client's: a 500, logged).
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The first snapshot is still being built.
    #[error("medmap is starting up; try again in a few seconds")]
    NotReady,
    /// The body cannot be read as any supported format (truncated JSON, a broken zip).
    #[error("{0}")]
    Body(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fault of ours: the parser thread panicked, the snapshot swap failed.
    #[error("{0}")]
    Internal(String),
}

/// What the HTTP layer hands over.
#[derive(Debug, Clone)]
pub struct PushRequest {
    pub publisher_id: i64,
    pub mode: Option<Mode>,
    pub strict: bool,
    pub idempotency_key: Option<String>,
    pub opts: ParseOptions,
}

/// The push's references so far (a chunk's rows index the concatenation).
#[derive(Default)]
struct Refs {
    facilities: Vec<Box<str>>,
    products: Vec<ProductRef>,
    currencies: Vec<String>,
}

/// The accepted lines, compact, mapped to the dense indexes of the snapshot the push
/// began with, for the snapshot update after the commit.
#[derive(Default)]
struct Live {
    ups: Vec<(u32, IxLine)>,
    /// Per line of `ups`: its currency, 0 for the publisher's default, else 1 + the
    /// index into the push's currencies.
    currency: Vec<u32>,
}

impl Live {
    fn add(&mut self, snap: &Snapshot, lines: &[ValidLine]) {
        self.ups.reserve(lines.len());
        for l in lines {
            let (Some(&p), Some(&f)) = (
                snap.product_index.get(&l.product_id),
                snap.facility_index.get(&l.facility_id),
            ) else {
                continue;
            };
            self.ups.push((
                p,
                ix_line(f, l.status, l.quantity, l.price_minor, l.checked_at),
            ));
            self.currency
                .push(l.currency.map_or(0, |c| u32::from(c) + 1));
        }
    }
}

/// The open transaction and the snapshot writer lock that orders it, taken with the
/// first write.
struct Writing {
    tx: PushTx,
    writer: SnapshotWriter,
}

fn verdict(v: &Validated, status: PushStatus, strict: bool) -> Verdict {
    match status {
        PushStatus::Applied | PushStatus::Partial => Verdict::Accepted,
        PushStatus::Rejected => {
            let all_forbidden = v.forbidden_count > 0 && v.forbidden_count == v.rejected_count;
            if v.forbidden_count > 0 && (strict || all_forbidden) {
                Verdict::Forbidden
            } else {
                Verdict::Rejected
            }
        }
    }
}

fn parse_failed(e: ParseError) -> PushError {
    match e {
        ParseError::Io(e) => PushError::Body(format!("cannot read the body: {e}")),
        ParseError::Format(m) => PushError::Body(m),
    }
}

/// The first report of an Idempotency-Key, marked as a replay.
fn replay(mut first: serde_json::Value) -> PushOutcome {
    first["idempotent_replay"] = true.into();
    PushOutcome {
        verdict: replay_verdict(&first),
        report: first,
    }
}

/// Runs one push over a spooled body.
pub async fn run_push(
    cx: PushContext<'_>,
    req: PushRequest,
    body: File,
) -> Result<PushOutcome, PushError> {
    let started = Instant::now();
    let store = cx.store;
    if let Some(k) = &req.idempotency_key {
        if let Some(first) = store.idempotent_report(req.publisher_id, k).await? {
            return Ok(replay(first));
        }
    }
    let snap = cx.snapshot.get().ok_or(PushError::NotReady)?;
    let ctx = store.publisher_context(req.publisher_id).await?;
    let mut opts = req.opts.clone();
    if let Ok(tz) = ctx.timezone.parse::<chrono_tz::Tz>() {
        opts.tz = tz;
    }
    let received_at = opts.received_at;
    // The push's mode, unless the file states its own (a CommerceML changes-only
    // package is a delta whatever the request says: as a snapshot it would remove
    // every line it does not list); known with the first chunk, before any write.
    let mut mode = req.mode.unwrap_or(Mode::Snapshot);
    let source = format!("feed:{}", ctx.name);
    let mut header = PushHeader {
        publisher_id: ctx.id,
        source: &source,
        idempotency_key: req.idempotency_key.as_deref(),
        received_at,
        mode: mode.as_str(),
    };

    // The parser runs on a blocking thread and hands chunks over a one-slot channel:
    // it stays at most a chunk ahead of the writes, and stops if this side gives up.
    let (chunk_tx, mut chunk_rx) = tokio::sync::mpsc::channel::<Chunk>(1);
    let chunk_rows = cx.chunk_rows;
    let parser = tokio::task::spawn_blocking(move || {
        parse_file_chunked(
            body,
            opts,
            chunk_rows,
            Box::new(move |c| chunk_tx.blocking_send(c).is_ok()),
        )
    });

    let mut rules = Rules::new(chrono::Utc::now().timestamp());
    rules.max_age_secs = ctx.max_age_days.max(1) * 86_400;
    let mut val = Validator::new(rules, 0);
    let mut resolver = Resolver::default();
    let mut refs = Refs::default();
    let mut live = Live::default();
    let mut accepted: u64 = 0;
    let mut delta_removals: u64 = 0;
    let mut writing: Option<Writing> = None;
    // False once a strict push has an error: nothing more is written.
    let mut may_write = true;
    while let Some(c) = chunk_rx.recv().await {
        if let Some(hint) = c.mode_hint {
            if writing.is_none() && (hint == Mode::Delta || req.mode.is_none()) {
                mode = hint;
                header.mode = mode.as_str();
            }
        }
        let (f0, p0) = (refs.facilities.len(), refs.products.len());
        refs.facilities.extend(c.new_facilities);
        refs.products.extend(c.new_products);
        refs.currencies.extend(c.new_currencies);
        resolver
            .extend(
                store,
                &snap,
                &ctx,
                &refs.facilities[f0..],
                &refs.products[p0..],
            )
            .await?;
        let mut lines = Vec::with_capacity(c.rows.len());
        let mut removals = Vec::new();
        val.chunk(
            &c.rows,
            &refs.facilities,
            &refs.products,
            &resolver.res,
            &mut lines,
            &mut removals,
        );
        drop(c.rows);
        accepted += (lines.len() + removals.len()) as u64;
        delta_removals += removals.len() as u64;
        if req.strict && val.rejected_count() + c.parse_rejected > 0 {
            may_write = false;
            if let Some(w) = writing.take() {
                w.tx.rollback().await?;
            }
        }
        if !may_write || (lines.is_empty() && removals.is_empty()) {
            continue;
        }
        if writing.is_none() {
            let writer = cx.snapshot.writer().await;
            tracing::info!(publisher = ctx.id, "applying push");
            match store.begin_push(&header).await? {
                Some(tx) => writing = Some(Writing { tx, writer }),
                None => return replay_of(store, &header).await,
            }
        }
        let Some(w) = writing.as_mut() else {
            continue;
        };
        let currency_of = |c: Option<u16>| -> &str {
            c.and_then(|i| refs.currencies.get(usize::from(i)))
                .map(String::as_str)
                .unwrap_or(ctx.default_currency.as_str())
        };
        let refs_out: Vec<LineRef<'_>> = lines
            .iter()
            .map(|l| LineRef {
                facility_id: l.facility_id,
                product_id: l.product_id,
                status: l.status.as_str(),
                quantity: l.quantity,
                price_minor: l.price_minor,
                reserve_minor: l.reserve_minor,
                currency: currency_of(l.currency),
                checked_at: l.checked_at,
            })
            .collect();
        w.tx.write_chunk(&refs_out, &removals).await?;
        live.add(&snap, &lines);
    }
    // A body that turns out unreadable (truncated JSON, bad zip) is a 400 for the
    // whole push: returning drops the open transaction, which rolls back.
    let parsed = parser
        .await
        .map_err(|e| PushError::Internal(format!("the feed parser failed: {e}")))?
        .map_err(parse_failed)?;

    let validated = val.finish(&resolver.res);
    let rejected_total = parsed.rejected_count + validated.rejected_count;
    let status = if rejected_total > 0 && (req.strict || accepted == 0) {
        PushStatus::Rejected
    } else if rejected_total > 0 {
        PushStatus::Partial
    } else {
        PushStatus::Applied
    };
    let apply = status != PushStatus::Rejected;
    let mut rejected = parsed.rejected.clone();
    rejected.extend(validated.rejected.iter().cloned());
    rejected.sort_by_key(|r| r.line);
    let listed = rejected.len();
    rejected.truncate(super::parse::MAX_REJECTIONS_LISTED);
    let format = parsed
        .format
        .map(|f| {
            serde_json::to_value(f)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        })
        .unwrap_or_else(|| "empty".into());
    let report = Report {
        id: None,
        publisher: ctx.name.clone(),
        status,
        mode: mode.as_str().into(),
        format: format.clone(),
        encoding: parsed.encoding.into(),
        strict: req.strict,
        received_at,
        rows_read: parsed.rows_read,
        rows_accepted: if apply { accepted } else { 0 },
        rows_rejected: rejected_total,
        lines_removed: 0,
        facilities: validated.facilities.len() as u64,
        new_product_codes: if apply {
            validated.new_codes.len() as u64
        } else {
            0
        },
        checked_at_source: if apply {
            validated.checked_at_sources.clone()
        } else {
            BTreeMap::new()
        },
        rejected,
        rejected_truncated: (rejected_total as usize)
            > listed.min(super::parse::MAX_REJECTIONS_LISTED),
        idempotent_replay: false,
        elapsed_ms: 0,
    };
    let verdict = verdict(&validated, status, req.strict);
    let mut report_json = serde_json::to_value(&report)
        .map_err(|e| PushError::Internal(format!("cannot serialize the report: {e}")))?;
    report_json["elapsed_ms"] = (started.elapsed().as_millis() as u64).into();
    let status_str = match status {
        PushStatus::Applied => "applied",
        PushStatus::Partial => "partial",
        PushStatus::Rejected => "rejected",
    };

    let summary = PushSummary {
        snapshot_mode: apply && mode == Mode::Snapshot,
        facilities: if apply { &validated.facilities } else { &[] },
        new_codes: if apply { &validated.new_codes } else { &[] },
        format: &format,
        status: status_str,
        rows_read: parsed.rows_read as i64,
        rows_accepted: if apply { accepted as i64 } else { 0 },
        rows_rejected: rejected_total as i64,
        report: report_json,
    };

    if !apply {
        // Nothing of it stays; the rejected push is still recorded (its report and
        // Idempotency-Key) in a transaction of its own.
        if let Some(w) = writing.take() {
            w.tx.rollback().await?;
        }
        let write = PushWrite {
            header,
            lines: Vec::new(),
            removals: &[],
            summary,
        };
        return match store.apply_push(write).await? {
            crate::store::PushOutcome::Replay(first) => Ok(replay(first)),
            crate::store::PushOutcome::Applied { mut report, .. } => {
                report["elapsed_ms"] = (started.elapsed().as_millis() as u64).into();
                Ok(PushOutcome { verdict, report })
            }
        };
    }

    let w = match writing {
        Some(w) => w,
        // Accepted rows were all written on the way, so this is only reached when
        // there was nothing to write; the push row is still recorded.
        None => {
            let writer = cx.snapshot.writer().await;
            match store.begin_push(&header).await? {
                Some(tx) => Writing { tx, writer },
                None => return replay_of(store, &header).await,
            }
        }
    };
    tracing::info!(
        publisher = ctx.id,
        lines = live.ups.len(),
        removals = delta_removals,
        "committing push"
    );
    let Writing { tx, writer } = w;
    let (_, removed, mut report, seq) = tx.finish(summary).await?;
    // The push's currency table as `Live::currency` indexes it.
    let currencies: Vec<String> = std::iter::once(ctx.default_currency.clone())
        .chain(refs.currencies.iter().cloned())
        .collect();
    let replaces = mode == Mode::Snapshot;
    let Live { ups, currency } = live;
    let base = Arc::clone(&snap);
    let swapped = tokio::task::spawn_blocking(move || {
        let swapped = writer.apply_stock_delta(
            &base,
            &StockDelta {
                ups: &ups,
                up_currency: &currency,
                currencies: &currencies,
                removals: &removed,
                source: &source,
                replaces,
            },
        );
        if swapped {
            writer.note_local(seq);
        }
        swapped
    })
    .await
    .map_err(|e| PushError::Internal(format!("the snapshot update failed: {e}")))?;
    if !swapped {
        return Err(PushError::Internal(
            "the push was committed but there is no snapshot to update".into(),
        ));
    }
    report["elapsed_ms"] = (started.elapsed().as_millis() as u64).into();
    Ok(PushOutcome { verdict, report })
}

/// The first report of a push whose Idempotency-Key another push claimed meanwhile.
async fn replay_of(store: &Store, h: &PushHeader<'_>) -> Result<PushOutcome, PushError> {
    let key = h.idempotency_key.unwrap_or_default();
    let first = store.idempotent_report(h.publisher_id, key).await?;
    Ok(replay(first.unwrap_or(serde_json::Value::Null)))
}

/// The verdict a stored report was first answered with.
fn replay_verdict(report: &serde_json::Value) -> Verdict {
    match report["status"].as_str() {
        Some("rejected") => {
            let forbidden = report["rejected"]
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r["reason"] == "forbidden_facility"));
            if forbidden && report["strict"] == true {
                Verdict::Forbidden
            } else {
                Verdict::Rejected
            }
        }
        _ => Verdict::Accepted,
    }
}
