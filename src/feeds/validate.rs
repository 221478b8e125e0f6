//! Row validation: facility known and in the key's scope, product resolved, numbers
//! sane, time neither in the future nor absurdly old, no duplicate line in one push.
//!
//! Resolution of references happens before this (once per distinct reference, see
//! [`crate::feeds::apply::Resolver`]); this stage is a tight loop over compact rows so
//! it keeps up with the parser.

use std::collections::HashMap;

use super::parse::{Parsed, ParsedRow, ProductRef, MAX_REJECTIONS_LISTED};
use super::report::{Rejection, Suggestion};
use crate::model::StockStatus;

/// How a facility reference resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum FacilityRes {
    Ok(i64),
    /// Known facility, not one of the key's.
    Forbidden(i64),
    Unknown,
}

/// How a product reference resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductRes {
    Ok {
        product_id: i64,
        /// `(system, code)` pairs the row carries that are not yet stored for it.
        new_codes: Vec<(String, String)>,
    },
    /// By code only, and no code is known.
    UnknownCode(String),
    /// The name engine had no confident answer.
    Unresolved {
        message: String,
        suggestions: Vec<Suggestion>,
    },
}

/// Reference resolutions, indexed like [`Parsed::facilities`] / [`Parsed::products`].
#[derive(Debug, Default, Clone)]
pub struct Resolved {
    pub facilities: Vec<FacilityRes>,
    pub products: Vec<ProductRes>,
}

/// Limits of plausibility.
#[derive(Debug, Clone)]
pub struct Rules {
    pub now: i64,
    /// Clock skew tolerated for `checked_at` in the future.
    pub max_future_secs: i64,
    /// Older lines are rejected as absurdly old.
    pub max_age_secs: i64,
    pub max_quantity: f64,
    /// Largest price, minor units.
    pub max_price_minor: i64,
}

impl Rules {
    pub fn new(now: i64) -> Rules {
        Rules {
            now,
            max_future_secs: 300,
            max_age_secs: 30 * 86_400,
            max_quantity: 1_000_000.0,
            max_price_minor: 100_000_000,
        }
    }
}

/// One accepted line, compact (currency as an index into [`Parsed::currencies`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidLine {
    pub facility_id: i64,
    pub product_id: i64,
    pub status: StockStatus,
    pub quantity: Option<f64>,
    pub price_minor: Option<i64>,
    pub reserve_minor: Option<i64>,
    pub currency: Option<u16>,
    pub checked_at: i64,
}

#[derive(Debug, Default)]
pub struct Validated {
    pub lines: Vec<ValidLine>,
    /// Delta-mode removals `(facility_id, product_id)`.
    pub removals: Vec<(i64, i64)>,
    /// Facilities the push lists (accepted rows only): snapshot mode replaces these.
    pub facilities: Vec<i64>,
    pub rejected: Vec<Rejection>,
    pub rejected_count: u64,
    /// Rows rejected because their facility is outside the key's scope.
    pub forbidden_count: u64,
    /// `(system, code, product_id)` to store as product external ids.
    pub new_codes: Vec<(String, String, i64)>,
    /// Accepted rows by where their `checked_at` came from.
    pub checked_at_sources: std::collections::BTreeMap<String, u64>,
}

/// A level from a quantity when the row gives none: fewer than two packs is "low"
/// (a part pack counts), zero is "out".
/// Without either, the line is "unknown" (a price list: listed, level not said).
pub fn status_from_quantity(q: Option<f64>) -> StockStatus {
    match q {
        Some(q) if q <= 0.0 => StockStatus::Out,
        Some(q) if q < 2.0 => StockStatus::Low,
        Some(_) => StockStatus::InStock,
        None => StockStatus::Unknown,
    }
}

pub use medmap_indexers::hash::FnvBuild;

fn reject(v: &mut Validated, r: Rejection) {
    v.rejected_count += 1;
    if v.rejected.len() < MAX_REJECTIONS_LISTED {
        v.rejected.push(r);
    }
}

fn rej(line: u32, field: &str, reason: &str, message: String) -> Box<Rejection> {
    Box::new(Rejection {
        line: u64::from(line),
        field: Some(field.to_string()),
        reason: reason.to_string(),
        message,
        value: None,
        suggestions: Vec::new(),
    })
}

/// Checks every parsed row against the resolutions and the rules (the whole push at
/// once: tests and benchmarks; the server streams through [`Validator`]).
pub fn validate(parsed: &Parsed, res: &Resolved, rules: &Rules) -> Validated {
    let mut val = Validator::new(rules.clone(), parsed.rows.len());
    let (mut lines, mut removals) = (Vec::with_capacity(parsed.rows.len()), Vec::new());
    val.chunk(
        &parsed.rows,
        &parsed.facilities,
        &parsed.products,
        res,
        &mut lines,
        &mut removals,
    );
    let mut v = val.finish(res);
    v.lines = lines;
    v.removals = removals;
    v
}

/// Validation state across the chunks of one push: duplicates are found across chunk
/// borders, rejections are capped and counted, and the facilities, new codes and
/// `checked_at` sources accumulate, so only the current chunk's rows are held.
pub struct Validator {
    rules: Rules,
    seen: HashMap<(i64, i64), u32, FnvBuild>,
    fac_used: Vec<bool>,
    prod_used: Vec<bool>,
    src_counts: [u64; 3],
    v: Validated,
}

impl Validator {
    /// `expected_rows` sizes the duplicate map (0 when unknown).
    pub fn new(rules: Rules, expected_rows: usize) -> Validator {
        Validator {
            rules,
            seen: HashMap::with_capacity_and_hasher(expected_rows, FnvBuild::default()),
            fac_used: Vec::new(),
            prod_used: Vec::new(),
            src_counts: [0; 3],
            v: Validated::default(),
        }
    }

    /// Rejections so far (parse-time ones are counted by the caller).
    pub fn rejected_count(&self) -> u64 {
        self.v.rejected_count
    }

    /// Checks one chunk of rows; accepted lines and delta removals are appended to
    /// `lines` and `removals`, rejections kept in the validator. `facilities` and
    /// `products` are the push's references so far, `res` their resolutions.
    pub fn chunk(
        &mut self,
        rows: &[ParsedRow],
        facilities: &[Box<str>],
        products: &[ProductRef],
        res: &Resolved,
        lines: &mut Vec<ValidLine>,
        removals: &mut Vec<(i64, i64)>,
    ) {
        self.fac_used.resize(facilities.len(), false);
        self.prod_used.resize(products.len(), false);
        let refs = (facilities, products);
        for r in rows {
            match check(r, refs, res, &self.rules, &mut self.seen) {
                Ok((fid, pid)) => {
                    self.src_counts[r.checked_src as usize] += 1;
                    if let Some(u) = self.fac_used.get_mut(r.facility as usize) {
                        *u = true;
                    }
                    if let Some(u) = self.prod_used.get_mut(r.product as usize) {
                        *u = true;
                    }
                    if r.remove {
                        removals.push((fid, pid));
                    } else {
                        lines.push(ValidLine {
                            facility_id: fid,
                            product_id: pid,
                            status: r.status.unwrap_or_else(|| status_from_quantity(r.quantity)),
                            quantity: r.quantity,
                            price_minor: r.price_minor,
                            reserve_minor: r.reserve_minor,
                            currency: r.currency,
                            checked_at: r.checked_at,
                        });
                    }
                }
                Err(rj) => {
                    if rj.reason == "forbidden_facility" {
                        self.v.forbidden_count += 1;
                    }
                    reject(&mut self.v, *rj);
                }
            }
        }
    }

    /// The push's totals: facilities listed, new product codes, `checked_at` sources
    /// and rejections (`lines` and `removals` are left empty: they went per chunk).
    pub fn finish(self, res: &Resolved) -> Validated {
        let mut v = self.v;
        for (i, used) in self.fac_used.iter().enumerate() {
            if let (true, Some(FacilityRes::Ok(id))) = (*used, res.facilities.get(i)) {
                v.facilities.push(*id);
            }
        }
        v.facilities.sort_unstable();
        v.facilities.dedup();
        for (i, used) in self.prod_used.iter().enumerate() {
            if let (
                true,
                Some(ProductRes::Ok {
                    product_id,
                    new_codes,
                }),
            ) = (*used, res.products.get(i))
            {
                for (s, c) in new_codes {
                    v.new_codes.push((s.clone(), c.clone(), *product_id));
                }
            }
        }
        for (i, name) in ["body", "file_name", "received"].iter().enumerate() {
            if self.src_counts[i] > 0 {
                v.checked_at_sources
                    .insert((*name).to_string(), self.src_counts[i]);
            }
        }
        v.new_codes.sort();
        v.new_codes.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        v
    }
}

fn check(
    r: &ParsedRow,
    (facilities, products): (&[Box<str>], &[ProductRef]),
    res: &Resolved,
    rules: &Rules,
    seen: &mut HashMap<(i64, i64), u32, FnvBuild>,
) -> Result<(i64, i64), Box<Rejection>> {
    let fac_ref = || facilities.get(r.facility as usize).map(|s| s.to_string());
    let fid = match res.facilities.get(r.facility as usize) {
        Some(FacilityRes::Ok(id)) => *id,
        Some(FacilityRes::Forbidden(id)) => {
            let mut x = rej(
                r.line,
                "facility",
                "forbidden_facility",
                format!("facility {id} is not one of this key's facilities"),
            );
            x.value = fac_ref();
            return Err(x);
        }
        _ => {
            let mut x = rej(
                r.line,
                "facility",
                "unknown_facility",
                "unknown facility: use the branch code registered for this key, a medmap facility id, or system:value (e.g. ods:FA123)".into(),
            );
            x.value = fac_ref();
            return Err(x);
        }
    };
    let pid = match res.products.get(r.product as usize) {
        Some(ProductRes::Ok { product_id, .. }) => *product_id,
        Some(ProductRes::UnknownCode(msg)) => {
            return Err(rej(r.line, "product", "unknown_product", msg.clone()))
        }
        Some(ProductRes::Unresolved {
            message,
            suggestions,
        }) => {
            let mut x = rej(
                r.line,
                "name",
                if suggestions.is_empty() {
                    "unknown_product"
                } else {
                    "ambiguous_product"
                },
                message.clone(),
            );
            x.value = products
                .get(r.product as usize)
                .and_then(|p| p.name.as_deref().map(str::to_string));
            x.suggestions = suggestions.clone();
            return Err(x);
        }
        None => {
            return Err(rej(
                r.line,
                "product",
                "unknown_product",
                "unresolved".into(),
            ))
        }
    };
    if let Some(q) = r.quantity {
        if !(0.0..=rules.max_quantity).contains(&q) {
            return Err(rej(
                r.line,
                "quantity",
                "out_of_range",
                format!("quantity {q} is outside 0..{}", rules.max_quantity),
            ));
        }
    }
    for (field, p) in [("price", r.price_minor), ("price_reserve", r.reserve_minor)] {
        if let Some(p) = p {
            if p <= 0 || p > rules.max_price_minor {
                return Err(rej(
                    r.line,
                    field,
                    "out_of_range",
                    format!(
                        "{field} {:.2} must be above 0 and at most {}",
                        p as f64 / 100.0,
                        rules.max_price_minor / 100
                    ),
                ));
            }
        }
    }
    if r.checked_at > rules.now + rules.max_future_secs {
        return Err(rej(
            r.line,
            "checked_at",
            "future_timestamp",
            format!(
                "checked_at {} is {} ahead of the server clock (at most {} allowed): check the exporter's clock and time zone",
                utc(r.checked_at),
                span(r.checked_at - rules.now),
                span(rules.max_future_secs)
            ),
        ));
    }
    if r.checked_at < rules.now - rules.max_age_secs {
        return Err(rej(
            r.line,
            "checked_at",
            "stale_timestamp",
            format!(
                "checked_at {} is {} old (at most {} for this publisher)",
                utc(r.checked_at),
                span(rules.now - r.checked_at),
                span(rules.max_age_secs)
            ),
        ));
    }
    if let Some(first) = seen.insert((fid, pid), r.line) {
        // Keep the first occurrence; later ones are the error.
        seen.insert((fid, pid), first);
        return Err(rej(
            r.line,
            "product",
            "duplicate",
            format!("same facility and product as line {first}"),
        ));
    }
    Ok((fid, pid))
}

/// A unix time as the report shows it (UTC, to the minute).
fn utc(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| t.to_string())
}

/// A duration in the unit a person reads at a glance: a time-zone slip shows as
/// hours, a wrong year as days.
fn span(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7_200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3_600),
        s => format!("{} days", s / 86_400),
    }
}
