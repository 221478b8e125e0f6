//! Availability queries: a [`StockQuery`] in, the best [`StockHit`]s out.
//!
//! Two ways to answer (see the `stock` module docs): scan the products'
//! postings, or walk the R-tree outwards from the point and look each facility
//! up in the postings. [`StockIndex::plan`] estimates both costs. Either way the
//! hits go through one bounded heap (`TopK`), whose worst entry lets a line be
//! skipped before its opening hours are asked for. Kept apart from the postings
//! because this is the only part that knows about places, distances and opening
//! hours; the postings hold products, facilities and packed lines.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::{find, Packed, StockIndex, StockLine, StockStatus};
use crate::places::{chord2, chord2_to_m, m_to_chord2, unit_vector, PlaceIndex};

/// Order of the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Nearest first.
    #[default]
    Distance,
    /// Cheapest first (lines without a price last), then nearest.
    Price,
}

/// How much to trust a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// Checked within `fresh_secs`.
    Fresh,
    /// Older than `fresh_secs` but within `cutoff_secs`: show, but suggest a call.
    CallToConfirm,
}

/// Default window for [`Freshness::Fresh`]: 24 hours.
pub const DEFAULT_FRESH_SECS: i64 = 24 * 3600;
/// Default cut-off beyond which lines are hidden: 72 hours.
pub const DEFAULT_CUTOFF_SECS: i64 = 72 * 3600;

/// An availability query.
#[derive(Clone, Debug, PartialEq)]
pub struct StockQuery {
    /// The product, or the product and its analogs.
    pub products: Vec<u32>,
    /// Centre, degrees.
    pub lat: f64,
    /// Centre, degrees.
    pub lon: f64,
    /// Great-circle radius in metres.
    pub radius_m: f64,
    /// Only facilities whose hours say open now (unknown hours are excluded).
    pub open_now: bool,
    /// "Now", unix seconds: the freshness reference.
    pub now: i64,
    /// Lines checked within this many seconds are [`Freshness::Fresh`].
    pub fresh_secs: i64,
    /// Lines older than this are hidden. Set equal to `fresh_secs` for
    /// "fresh lines only".
    pub cutoff_secs: i64,
    /// Result order.
    pub sort: Sort,
    /// At most this many hits.
    pub limit: usize,
    /// Also return lines whose status is [`StockStatus::Out`].
    pub include_out_of_stock: bool,
    /// Only facilities whose entry is true (by facility index): a property the
    /// caller knows and the index does not, such as dispensing under a
    /// reimbursement programme. Checked where `open_now` is, so the limit still
    /// counts only facilities that pass.
    pub only_facilities: Option<std::sync::Arc<Vec<bool>>>,
}

impl StockQuery {
    /// A distance-sorted query with the default windows and limit 20.
    pub fn new(products: Vec<u32>, lat: f64, lon: f64, radius_m: f64, now: i64) -> Self {
        StockQuery {
            products,
            lat,
            lon,
            radius_m,
            open_now: false,
            now,
            fresh_secs: DEFAULT_FRESH_SECS,
            cutoff_secs: DEFAULT_CUTOFF_SECS,
            sort: Sort::Distance,
            limit: 20,
            include_out_of_stock: false,
            only_facilities: None,
        }
    }
}

/// One result: a line of one product at one facility.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StockHit {
    /// Which of the query's products this line is for.
    pub product: u32,
    /// The facility.
    pub facility: u32,
    /// Great-circle metres from the query point.
    pub distance_m: f64,
    /// The line.
    pub line: StockLine,
    /// Fresh or call to confirm.
    pub freshness: Freshness,
    /// The `open` callback's answer for this facility (None: hours unknown).
    pub open: Option<bool>,
}

/// Which algorithm answered a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Scan the postings of every queried product.
    Scan,
    /// Walk the R-tree outwards, look facilities up in the postings.
    Walk,
    /// The walk ran over its budget and the scan finished the job.
    WalkThenScan,
}

/// How a caller wants the plan chosen (tests and benchmarks force one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PlanChoice {
    /// Let [`StockIndex::plan`] decide.
    #[default]
    Auto,
    /// Always scan.
    Scan,
    /// Always walk (no budget).
    Walk,
}

/// Relative cost of one tree-walk step (an R-tree heap pop plus a binary search
/// per product) against one scanned line; measured on the 10M-line fixture
/// (see benches/benches/stock.rs).
const WALK_STEP_COST: f64 = 80.0;
const WALK_STEP_COST_PER_EXTRA_PRODUCT: f64 = 15.0;
/// Share of facilities assumed open when `open_now` is asked.
const ASSUMED_OPEN_SHARE: f64 = 0.6;
/// Lines sampled per product to estimate the share passing status/freshness.
const SAMPLE: usize = 16;

struct TopK {
    limit: usize,
    heap: BinaryHeap<Cand>,
}

/// A candidate hit with its sort key; the heap keeps the worst on top.
#[derive(Clone, Copy)]
struct Cand {
    k1: u64,
    c2: f64,
    product: u32,
    line: Packed,
    freshness: Freshness,
    open: Option<bool>,
}

impl Cand {
    fn key(&self) -> (u64, f64, u32, u32) {
        (self.k1, self.c2, self.product, self.line.facility())
    }
}
impl PartialEq for Cand {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Cand {}
impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Cand {
    fn cmp(&self, o: &Self) -> Ordering {
        let (a, b) = (self.key(), o.key());
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    }
}

impl TopK {
    fn new(limit: usize) -> Self {
        TopK {
            limit,
            heap: BinaryHeap::with_capacity(limit.min(1024) + 1),
        }
    }
    fn full(&self) -> bool {
        self.heap.len() >= self.limit
    }
    fn worst(&self) -> Option<&Cand> {
        self.heap.peek()
    }
    /// Would a candidate with this key prefix make it in?
    #[inline]
    fn admits(&self, k1: u64, c2: f64) -> bool {
        if !self.full() {
            return self.limit > 0;
        }
        match self.worst() {
            Some(w) => (k1, c2) <= (w.k1, w.c2),
            None => false,
        }
    }
    fn push(&mut self, c: Cand) {
        if self.limit == 0 {
            return;
        }
        if !self.full() {
            self.heap.push(c);
        } else if let Some(mut top) = self.heap.peek_mut() {
            if c < *top {
                *top = c;
            }
        }
    }
}

/// Everything a line filter needs, computed once per query.
struct Ctx<'a> {
    q: [f64; 3],
    rc2: f64,
    now: i64,
    fresh: i64,
    cutoff: i64,
    sort: Sort,
    open_now: bool,
    out_ok: bool,
    places: &'a PlaceIndex,
    only: Option<&'a [bool]>,
}

impl Ctx<'_> {
    /// Whether the facility passes [`StockQuery::only_facilities`].
    #[inline]
    fn facility_ok(&self, f: u32) -> bool {
        self.only
            .is_none_or(|only| only.get(f as usize).copied().unwrap_or(false))
    }

    /// Status and age filter; `Some(freshness)` when the line may be shown.
    #[inline]
    fn line_ok(&self, p: &Packed) -> Option<Freshness> {
        let age = self.now - p.checked();
        if age > self.cutoff {
            return None;
        }
        if !self.out_ok && p.status() == StockStatus::Out {
            return None;
        }
        Some(if age <= self.fresh {
            Freshness::Fresh
        } else {
            Freshness::CallToConfirm
        })
    }

    #[inline]
    fn k1(&self, p: &Packed) -> u64 {
        match self.sort {
            Sort::Distance => 0,
            Sort::Price => u64::from(p.price().unwrap_or(u32::MAX)),
        }
    }
}

impl StockIndex {
    /// The plan [`StockIndex::query`] would use, with its cost estimates
    /// `(plan, scan_cost, walk_cost)` in "scanned line" units. Why both terms:
    /// a scan costs the posting lengths whatever the radius, while a walk
    /// costs the facilities it visits: the fewer of the radius (density
    /// estimate) and those needed to collect `limit` hits (posting share of
    /// facilities x sampled share of lines passing the filters).
    pub fn plan(&self, q: &StockQuery, places: &PlaceIndex) -> (Plan, f64, f64) {
        let (scan, walk, _) = self.estimate(q, places);
        (
            if walk < scan { Plan::Walk } else { Plan::Scan },
            scan,
            walk,
        )
    }

    fn estimate(&self, q: &StockQuery, places: &PlaceIndex) -> (f64, f64, f64) {
        let total: usize = q.products.iter().map(|&p| self.posting(p).len()).sum();
        let scan = total as f64;
        let n_fac = places.len().max(1) as f64;
        let step = WALK_STEP_COST
            + WALK_STEP_COST_PER_EXTRA_PRODUCT * q.products.len().saturating_sub(1) as f64;
        let in_radius = places.estimate_within(q.lat, q.lon, q.radius_m);
        let visits = match q.sort {
            // Price order needs every facility in the radius.
            Sort::Price => in_radius,
            Sort::Distance => {
                let pass =
                    self.sample_pass_share(q) * if q.open_now { ASSUMED_OPEN_SHARE } else { 1.0 };
                let hit_p = (total as f64 / n_fac).min(1.0) * pass;
                let needed = if hit_p > 0.0 {
                    q.limit as f64 / hit_p
                } else {
                    f64::INFINITY
                };
                needed.min(in_radius)
            }
        };
        (scan, visits * step + 8.0, visits)
    }

    /// Share of sampled lines (evenly strided over each posting) that pass
    /// the status and age filters.
    fn sample_pass_share(&self, q: &StockQuery) -> f64 {
        let (mut seen, mut ok) = (0usize, 0usize);
        for &pr in &q.products {
            let post = self.posting(pr);
            if post.is_empty() {
                continue;
            }
            let stride = (post.len() / SAMPLE).max(1);
            for p in post.iter().step_by(stride).take(SAMPLE) {
                seen += 1;
                let age = q.now - p.checked();
                if age <= q.cutoff_secs
                    && (q.include_out_of_stock || p.status() != StockStatus::Out)
                {
                    ok += 1;
                }
            }
        }
        if seen == 0 {
            0.0
        } else {
            // Never quite zero: a 0-of-16 sample does not prove absence.
            (ok as f64 + 0.5) / (seen as f64 + 1.0)
        }
    }

    /// Availability: the best `limit` lines of `q.products` within the
    /// radius, by distance or price. `open` answers "is this facility open
    /// now" (None = unknown) — the caller's cached opening-hours state; it is
    /// called only for candidates that passed every cheaper filter.
    pub fn query(
        &self,
        q: &StockQuery,
        places: &PlaceIndex,
        open: &dyn Fn(u32) -> Option<bool>,
    ) -> Vec<StockHit> {
        self.query_with(q, places, open, PlanChoice::Auto).0
    }

    /// [`StockIndex::query`] with the plan forced or chosen, returning the
    /// plan used.
    pub fn query_with(
        &self,
        q: &StockQuery,
        places: &PlaceIndex,
        open: &dyn Fn(u32) -> Option<bool>,
        choice: PlanChoice,
    ) -> (Vec<StockHit>, Plan) {
        let Some(qv) = unit_vector(q.lat, q.lon) else {
            return (Vec::new(), Plan::Scan);
        };
        let rc2 = m_to_chord2(q.radius_m);
        if rc2 < 0.0 || q.limit == 0 || q.products.is_empty() {
            return (Vec::new(), Plan::Scan);
        }
        let ctx = Ctx {
            q: qv,
            rc2,
            now: q.now,
            fresh: q.fresh_secs,
            cutoff: q.cutoff_secs,
            sort: q.sort,
            open_now: q.open_now,
            out_ok: q.include_out_of_stock,
            places,
            only: q.only_facilities.as_deref().map(Vec::as_slice),
        };
        let mut products = q.products.clone();
        products.sort_unstable();
        products.dedup();

        let (budget, plan) = match choice {
            PlanChoice::Scan => (0.0, Plan::Scan),
            PlanChoice::Walk => (f64::INFINITY, Plan::Walk),
            PlanChoice::Auto => {
                let (scan, walk, _) = self.estimate(q, places);
                if walk < scan {
                    // Allow the walk up to about the scan's cost, then give up.
                    let step = WALK_STEP_COST
                        + WALK_STEP_COST_PER_EXTRA_PRODUCT
                            * products.len().saturating_sub(1) as f64;
                    ((scan / step).max(2.0 * q.limit as f64), Plan::Walk)
                } else {
                    (0.0, Plan::Scan)
                }
            }
        };
        let mut top = TopK::new(q.limit);
        let mut used = plan;
        if plan == Plan::Walk && !self.walk(&ctx, &products, open, budget, &mut top) {
            top = TopK::new(q.limit);
            used = Plan::WalkThenScan;
            self.scan(&ctx, &products, open, &mut top);
        } else if plan == Plan::Scan {
            self.scan(&ctx, &products, open, &mut top);
        }
        let mut hits: Vec<Cand> = top.heap.into_vec();
        hits.sort();
        let out = hits
            .into_iter()
            .map(|c| {
                let facility = c.line.facility();
                StockHit {
                    product: c.product,
                    facility,
                    distance_m: chord2_to_m(c.c2),
                    line: c.line.unpack(),
                    freshness: c.freshness,
                    // Resolved lazily when open_now did not already ask.
                    open: if q.open_now { c.open } else { open(facility) },
                }
            })
            .collect();
        (out, used)
    }

    fn scan(
        &self,
        ctx: &Ctx<'_>,
        products: &[u32],
        open: &dyn Fn(u32) -> Option<bool>,
        top: &mut TopK,
    ) {
        for &pr in products {
            for p in self.posting(pr) {
                let Some(freshness) = ctx.line_ok(p) else {
                    continue;
                };
                if !ctx.facility_ok(p.facility()) {
                    continue;
                }
                let Some(v) = ctx.places.unit_vector(p.facility()) else {
                    continue;
                };
                let c2 = chord2(v, &ctx.q);
                if c2 > ctx.rc2 {
                    continue;
                }
                let k1 = ctx.k1(p);
                if !top.admits(k1, c2) {
                    continue;
                }
                let mut o = None;
                if ctx.open_now {
                    o = open(p.facility());
                    if o != Some(true) {
                        continue;
                    }
                }
                top.push(Cand {
                    k1,
                    c2,
                    product: pr,
                    line: *p,
                    freshness,
                    open: o,
                });
            }
        }
    }

    /// Returns false when the budget ran out (the caller then scans).
    fn walk(
        &self,
        ctx: &Ctx<'_>,
        products: &[u32],
        open: &dyn Fn(u32) -> Option<bool>,
        budget: f64,
        top: &mut TopK,
    ) -> bool {
        let posts: Vec<(u32, &[Packed])> = products
            .iter()
            .map(|&p| (p, self.posting(p)))
            .filter(|(_, l)| !l.is_empty())
            .collect();
        if posts.is_empty() {
            return true;
        }
        let mut visits = 0f64;
        for (fac, c2) in ctx.places.walk(ctx.q) {
            if c2 > ctx.rc2 {
                break;
            }
            if ctx.sort == Sort::Distance && top.full() {
                if let Some(w) = top.worst() {
                    if c2 > w.c2 {
                        break;
                    }
                }
            }
            visits += 1.0;
            if visits > budget {
                return false;
            }
            if !ctx.facility_ok(fac) {
                continue;
            }
            let mut o: Option<Option<bool>> = None;
            for &(pr, post) in &posts {
                let Some(p) = find(post, fac) else {
                    continue;
                };
                let Some(freshness) = ctx.line_ok(p) else {
                    continue;
                };
                let k1 = ctx.k1(p);
                if !top.admits(k1, c2) {
                    continue;
                }
                if ctx.open_now {
                    let st = *o.get_or_insert_with(|| open(fac));
                    if st != Some(true) {
                        break; // closed: no other product here counts either
                    }
                }
                top.push(Cand {
                    k1,
                    c2,
                    product: pr,
                    line: *p,
                    freshness,
                    open: o.flatten(),
                });
            }
        }
        true
    }
}
