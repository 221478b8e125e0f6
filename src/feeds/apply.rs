//! One push end to end: parse (off the reactor), resolve each distinct reference once
//! (store look-ups for codes and facilities, the name engine for names), validate,
//! apply in one transaction, then make the rows live with a copy-on-write snapshot
//! update.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::time::Instant;

use axum::http::StatusCode;
use medmap_indexers::names::{normalize, skeleton, ConceptKind, Hit, MatchKind};

use super::parse::{parse_file, ParseError, ParseOptions, Parsed};
use super::report::{PushStatus, Report, Suggestion};
use super::validate::{validate, FacilityRes, ProductRes, Resolved, Rules, Validated};
use super::{CodeSystem, Mode};
use crate::http::api::medications::{brands, product_name, substance_name, DisplayLang};
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::model::StockLine;
use crate::snapshot::Snapshot;
use crate::store::{LineRef, PublisherContext, PushOutcome, PushWrite, Store};

/// What the HTTP layer hands over.
#[derive(Debug, Clone)]
pub struct PushRequest {
    pub publisher_id: i64,
    pub mode: Option<Mode>,
    pub strict: bool,
    pub idempotency_key: Option<String>,
    pub opts: ParseOptions,
}

/// Serializes apply + snapshot swap per process, so the snapshot sees pushes in the
/// order the database committed them.
static APPLY_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Top hits listed for a row whose name did not resolve.
const SUGGESTIONS: usize = 3;

/// Resolves a product name with the name engine: a confident top hit (exact, or a
/// clear score margin over the next different concept) or suggestions.
pub fn resolve_name(snap: &Snapshot, name: &str) -> ProductRes {
    let hits = snap.names.search(name, 5);
    let suggestions = || -> Vec<Suggestion> {
        hits.iter()
            .take(SUGGESTIONS)
            .map(|h| suggestion(snap, h))
            .collect()
    };
    let Some(top) = hits.first() else {
        return ProductRes::Unresolved {
            message: "no medication matches this name".into(),
            suggestions: Vec::new(),
        };
    };
    // Among hits that tie with the top, a product beats a substance: a stock line
    // needs a product.
    let best = hits
        .iter()
        .take_while(|h| (h.score - top.score).abs() < 1e-6)
        .find(|h| h.kind == ConceptKind::Product)
        .unwrap_or(top);
    let next = hits
        .iter()
        .find(|h| !(h.kind == best.kind && h.id == best.id) && h.score < best.score - 1e-6);
    let tied_other = hits
        .iter()
        .any(|h| (h.score - best.score).abs() < 1e-6 && h.kind == best.kind && h.id != best.id);
    let confident = !tied_other
        && (best.match_kind == MatchKind::Exact
            || match next {
                None => {
                    hits.len() == 1 || hits.iter().all(|h| h.kind == best.kind && h.id == best.id)
                }
                Some(n) => best.score - n.score >= 0.15 * best.score.abs().max(1e-3),
            });
    if !confident {
        return ProductRes::Unresolved {
            message: "the name matches several medications; use a code or one of the suggestions"
                .into(),
            suggestions: suggestions(),
        };
    }
    match best.kind {
        ConceptKind::Product => ProductRes::Ok {
            product_id: best.id,
            new_codes: Vec::new(),
        },
        ConceptKind::Substance => {
            // A generic named after its substance ("Парацетамол"): the product group
            // with the substance's own name.
            let groups: Vec<i64> = brands(snap, best.id).collect();
            // Compared by the cross-script skeleton, so the Ukrainian "Ібупрофен" finds
            // the Russian-register "Ибупрофен" product.
            let key = |t: &str| skeleton(&normalize(t));
            let wanted = key(&best.matched);
            let generic = groups.iter().find(|g| {
                snap.products.get(g).is_some_and(|p| {
                    key(&p.name) == wanted || p.names.iter().any(|(n, _)| key(n) == wanted)
                })
            });
            match generic {
                Some(g) => ProductRes::Ok {
                    product_id: *g,
                    new_codes: Vec::new(),
                },
                None => ProductRes::Unresolved {
                    message: "the name is a substance with several products; name the product or give a code".into(),
                    suggestions: groups
                        .iter()
                        .take(SUGGESTIONS)
                        .map(|g| Suggestion {
                            kind: "product".into(),
                            id: *g,
                            name: product_name(snap, *g, DisplayLang::Uk).to_string(),
                            score: best.score,
                        })
                        .collect(),
                },
            }
        }
    }
}

fn suggestion(snap: &Snapshot, h: &Hit) -> Suggestion {
    let (kind, name) = match h.kind {
        ConceptKind::Product => ("product", product_name(snap, h.id, DisplayLang::Uk)),
        ConceptKind::Substance => ("substance", substance_name(snap, h.id, DisplayLang::Uk)),
    };
    Suggestion {
        kind: kind.into(),
        id: h.id,
        name: name.to_string(),
        score: h.score,
    }
}

/// Resolves every distinct facility and product reference of a push, once each.
pub async fn resolve(
    store: &Store,
    snap: &Snapshot,
    ctx: &PublisherContext,
    parsed: &Parsed,
) -> Result<Resolved, crate::store::StoreError> {
    // Facilities: the publisher's branch codes, then ids / uuids / system:value.
    let others: Vec<&str> = parsed
        .facilities
        .iter()
        .map(|f| &**f)
        .filter(|f| !ctx.branches.contains_key(*f))
        .collect();
    let found = if others.is_empty() {
        HashMap::new()
    } else {
        store.resolve_facility_refs(&others).await?
    };
    let facilities = parsed
        .facilities
        .iter()
        .map(|f| {
            let id = ctx.branches.get(&**f).or_else(|| found.get(&**f)).copied();
            match id {
                Some(id) if ctx.scope.contains(&id) => FacilityRes::Ok(id),
                Some(id) => FacilityRes::Forbidden(id),
                None => FacilityRes::Unknown,
            }
        })
        .collect();

    // Codes: one query per system over the distinct codes of the push.
    let mut wanted: BTreeMap<String, HashSet<&str>> = BTreeMap::new();
    let mut medmap_ids = Vec::new();
    for p in &parsed.products {
        for (sys, code) in &p.codes {
            match sys {
                CodeSystem::Medmap => {
                    if let Ok(id) = code.parse::<i64>() {
                        medmap_ids.push(id);
                    }
                }
                CodeSystem::Register => {
                    for s in [
                        "ua_drlz_register",
                        "ru_grls_register",
                        "kz_register",
                        "register",
                    ] {
                        wanted.entry(s.to_string()).or_default().insert(code);
                    }
                }
                s => {
                    wanted
                        .entry(s.system(ctx.id, code))
                        .or_default()
                        .insert(code);
                }
            }
        }
    }
    let mut known: HashMap<(String, String), i64> = HashMap::new();
    for (sys, codes) in &wanted {
        let mut list: Vec<&str> = codes.iter().copied().collect();
        let upper: Vec<String> = if sys.ends_with("register") {
            list.iter().map(|c| c.to_uppercase()).collect()
        } else {
            Vec::new()
        };
        list.extend(upper.iter().map(String::as_str));
        for (code, pid) in store.lookup_codes(sys, &list).await? {
            known.insert((sys.clone(), code), pid);
        }
    }
    let medmap_ok = store.existing_products(&medmap_ids).await?;

    let mut by_name: HashMap<&str, ProductRes> = HashMap::new();
    let mut products = Vec::with_capacity(parsed.products.len());
    for p in &parsed.products {
        let mut hit: Option<i64> = None;
        let mut new_codes = Vec::new();
        for (sys, code) in &p.codes {
            let code = &**code;
            let found = match sys {
                CodeSystem::Medmap => code.parse::<i64>().ok().filter(|id| medmap_ok.contains(id)),
                CodeSystem::Register => [
                    "ua_drlz_register",
                    "ru_grls_register",
                    "kz_register",
                    "register",
                ]
                .iter()
                .find_map(|s| {
                    known
                        .get(&(s.to_string(), code.to_string()))
                        .or_else(|| known.get(&(s.to_string(), code.to_uppercase())))
                        .copied()
                }),
                s => known
                    .get(&(s.system(ctx.id, code), code.to_string()))
                    .copied(),
            };
            match found {
                Some(id) if hit.is_none() => hit = Some(id),
                Some(_) => {}
                None if *sys != CodeSystem::Medmap => {
                    new_codes.push((sys.system(ctx.id, code), code.to_string()))
                }
                None => {}
            }
        }
        let res = match (hit, p.name.as_deref()) {
            (Some(id), _) => ProductRes::Ok {
                product_id: id,
                new_codes,
            },
            (None, Some(name)) => {
                let r = by_name
                    .entry(name)
                    .or_insert_with(|| resolve_name(snap, name))
                    .clone();
                match r {
                    ProductRes::Ok { product_id, .. } => ProductRes::Ok {
                        product_id,
                        new_codes,
                    },
                    other => other,
                }
            }
            (None, None) => ProductRes::UnknownCode(format!(
                "no product is known by {}; send a name or a register id once so the code can be learnt",
                p.codes
                    .iter()
                    .map(|(s, c)| format!("{}={c}", s.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
        products.push(res);
    }
    Ok(Resolved {
        facilities,
        products,
    })
}

fn status_code(v: &Validated, status: PushStatus, strict: bool) -> StatusCode {
    match status {
        PushStatus::Applied | PushStatus::Partial => StatusCode::OK,
        PushStatus::Rejected => {
            let all_forbidden = v.forbidden_count > 0 && v.forbidden_count == v.rejected_count;
            if v.forbidden_count > 0 && (strict || all_forbidden) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
    }
}

/// Runs one push over a spooled body; returns the HTTP status and the report.
pub async fn run_push(
    state: &AppState,
    req: PushRequest,
    body: File,
) -> Result<(StatusCode, serde_json::Value), ApiError> {
    let started = Instant::now();
    let store = &state.store;
    if let Some(k) = &req.idempotency_key {
        if let Some(mut first) = store.idempotent_report(req.publisher_id, k).await? {
            first["idempotent_replay"] = true.into();
            let code = replay_code(&first);
            return Ok((code, first));
        }
    }
    let snap = state.snap()?;
    let ctx = store.publisher_context(req.publisher_id).await?;
    let mut opts = req.opts.clone();
    if let Ok(tz) = ctx.timezone.parse::<chrono_tz::Tz>() {
        opts.tz = tz;
    }
    let received_at = opts.received_at;
    let parsed = tokio::task::spawn_blocking(move || parse_file(body, opts))
        .await
        .map_err(|e| ApiError::bad("body", format!("parser failed: {e}")))?
        .map_err(|e| match e {
            ParseError::Io(e) => ApiError::bad("body", format!("cannot read the body: {e}")),
            ParseError::Format(m) => ApiError::bad("body", m),
        })?;
    let resolved = resolve(store, &snap, &ctx, &parsed).await?;
    let mut rules = Rules::new(chrono::Utc::now().timestamp());
    rules.max_age_secs = ctx.max_age_days.max(1) * 86_400;
    let (parsed, validated) = tokio::task::spawn_blocking(move || {
        let mut parsed = parsed;
        let v = validate(&parsed, &resolved, &rules);
        // The compact rows are done with; free them before the apply allocates.
        parsed.rows = Vec::new();
        (parsed, v)
    })
    .await
    .map_err(|e| ApiError::bad("body", format!("validation failed: {e}")))?;

    let format = parsed.format;
    let mode = req.mode.unwrap_or(Mode::Snapshot);
    let rejected_total = parsed.rejected_count + validated.rejected_count;
    let accepted = (validated.lines.len() + validated.removals.len()) as u64;
    let status = if rejected_total > 0 && (req.strict || accepted == 0) {
        PushStatus::Rejected
    } else if rejected_total > 0 {
        PushStatus::Partial
    } else {
        PushStatus::Applied
    };
    let mut rejected = parsed.rejected.clone();
    rejected.extend(validated.rejected.iter().cloned());
    rejected.sort_by_key(|r| r.line);
    let listed = rejected.len();
    rejected.truncate(super::parse::MAX_REJECTIONS_LISTED);
    let apply = status != PushStatus::Rejected;
    let checked_at_source = if apply {
        validated.checked_at_sources.clone()
    } else {
        BTreeMap::new()
    };
    let report = Report {
        id: None,
        publisher: ctx.name.clone(),
        status,
        mode: mode.as_str().into(),
        format: format
            .map(|f| {
                serde_json::to_value(f)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            })
            .unwrap_or_else(|| "empty".into()),
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
        checked_at_source,
        rejected,
        rejected_truncated: (rejected_total as usize)
            > listed.min(super::parse::MAX_REJECTIONS_LISTED),
        idempotent_replay: false,
        elapsed_ms: 0,
    };
    let code = status_code(&validated, status, req.strict);
    let source = format!("feed:{}", ctx.name);
    let currency_of = |c: Option<u16>| -> &str {
        c.and_then(|i| parsed.currencies.get(usize::from(i)))
            .map(String::as_str)
            .unwrap_or(ctx.default_currency.as_str())
    };
    let lines: Vec<LineRef<'_>> = if apply {
        validated
            .lines
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
            .collect()
    } else {
        Vec::new()
    };
    let mut report_json =
        serde_json::to_value(&report).map_err(|e| ApiError::bad("report", e.to_string()))?;
    report_json["elapsed_ms"] = (started.elapsed().as_millis() as u64).into();
    let no_codes: Vec<(String, String, i64)> = Vec::new();
    let write = PushWrite {
        publisher_id: ctx.id,
        source: &source,
        snapshot_mode: apply && mode == Mode::Snapshot,
        facilities: if apply { &validated.facilities } else { &[] },
        lines,
        removals: if apply { &validated.removals } else { &[] },
        new_codes: if apply {
            &validated.new_codes
        } else {
            &no_codes
        },
        idempotency_key: req.idempotency_key.as_deref(),
        received_at,
        mode: mode.as_str(),
        format: report.format.as_str(),
        status: match status {
            PushStatus::Applied => "applied",
            PushStatus::Partial => "partial",
            PushStatus::Rejected => "rejected",
        },
        rows_read: parsed.rows_read as i64,
        rows_accepted: report.rows_accepted as i64,
        rows_rejected: rejected_total as i64,
        report: report_json,
    };
    let guard = APPLY_LOCK.lock().await;
    tracing::info!(
        publisher = ctx.id,
        lines = write.lines.len(),
        removals = write.removals.len(),
        "applying push"
    );
    let outcome = store.apply_push(&write).await?;
    match outcome {
        PushOutcome::Replay(mut first) => {
            drop(guard);
            first["idempotent_replay"] = true.into();
            let code = replay_code(&first);
            Ok((code, first))
        }
        PushOutcome::Applied {
            removed,
            mut report,
            ..
        } => {
            if apply {
                let upserts: Vec<StockLine> = write
                    .lines
                    .iter()
                    .map(|l| StockLine {
                        facility_id: l.facility_id,
                        product_id: l.product_id,
                        status: crate::model::StockStatus::parse(l.status)
                            .unwrap_or(crate::model::StockStatus::Unknown),
                        quantity: l.quantity,
                        price_minor: l.price_minor,
                        currency: Some(l.currency.to_string()),
                        checked_at: l.checked_at,
                        source: source.clone(),
                    })
                    .collect();
                let st = state.clone();
                tokio::task::spawn_blocking(move || st.apply_stock(upserts, removed))
                    .await
                    .map_err(|e| {
                        ApiError::bad("snapshot", format!("snapshot update failed: {e}"))
                    })?;
            }
            drop(guard);
            report["elapsed_ms"] = (started.elapsed().as_millis() as u64).into();
            Ok((code, report))
        }
    }
}

/// The status a stored report was first answered with.
fn replay_code(report: &serde_json::Value) -> StatusCode {
    match report["status"].as_str() {
        Some("rejected") => {
            let forbidden = report["rejected"]
                .as_array()
                .is_some_and(|a| a.iter().any(|r| r["reason"] == "forbidden_facility"));
            if forbidden && report["strict"] == true {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
        _ => StatusCode::OK,
    }
}
