//! Availability postings: product -> the facilities that stock it.
//!
//! One posting list per product, sorted by facility, each line packed into
//! 14 bytes (see [`Packed`]) so ten million lines take ≈ 140 MB instead of the
//! ≈ 75 bytes per line a PostgreSQL row + B-tree costs. Every list sits behind
//! its own `Arc`, so [`StockIndex::apply`] (a feed push) copies only the outer
//! array of pointers and rebuilds only the products the push touched: the new
//! index shares everything else with the old one and is ready in milliseconds
//! even at 10M lines, while readers keep using the old one undisturbed.
//!
//! A query ([`StockIndex::query`]) either scans the products' postings, with a
//! distance check per line against the dense coordinate array of
//! [`PlaceIndex`], or walks the R-tree outwards from the point and looks each
//! facility up in the postings by binary search, stopping at the limit or the
//! radius. [`StockIndex::plan`] picks the cheaper one from the posting lengths,
//! the facility density around the point and a sample of the postings'
//! freshness; the walk also carries a budget and falls back to a scan when the
//! estimate was wrong, so a bad guess costs at most about twice the scan.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::places::{chord2, chord2_to_m, m_to_chord2, unit_vector, PlaceIndex, MAX_FACILITY};

/// What a pharmacy says about a product.
#[repr(u8)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum StockStatus {
    /// In stock, normal level.
    InStock = 0,
    /// In stock, few left.
    Low = 1,
    /// Listed but out of stock: hidden from availability unless asked for.
    Out = 2,
    /// Listed without a level (a price list, say).
    Unknown = 3,
}

impl StockStatus {
    fn from_bits(b: u32) -> StockStatus {
        match b & 3 {
            0 => StockStatus::InStock,
            1 => StockStatus::Low,
            2 => StockStatus::Out,
            _ => StockStatus::Unknown,
        }
    }
}

/// Largest quantity stored exactly; larger ones are stored as this value (a
/// pharmacy does not hold four million packs of one product; the cap keeps a
/// line at 14 bytes).
pub const MAX_QUANTITY: u32 = (1 << 22) - 2;
const QTY_NONE: u32 = (1 << 22) - 1;
/// Largest price in minor units; `u32::MAX` encodes "no price".
pub const MAX_PRICE_MINOR: u32 = u32::MAX - 1;

/// One stock line, unpacked: the public view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StockLine {
    /// Dense facility index (< [`MAX_FACILITY`]).
    pub facility: u32,
    /// Level as reported.
    pub status: StockStatus,
    /// Whole units (packs) on hand, if reported; saturates at [`MAX_QUANTITY`].
    pub quantity: Option<u32>,
    /// Price in minor currency units (kopiyky, pence, cents), if reported.
    pub price_minor: Option<u32>,
    /// When the pharmacy last confirmed the line, unix seconds (stored as u32
    /// seconds: clamped to 1970..2106).
    pub checked_at: i64,
}

/// The packed line: 14 bytes, 2-byte aligned.
///
/// `fac_meta` = facility (bits 0..24) | status (24..26) | quantity bits 16..22
/// (26..32); `qty_lo` = quantity bits 0..16. A 22-bit quantity of all ones is
/// "not reported"; a price of `u32::MAX` likewise. Why 24-bit facilities: the
/// app's facility indices are dense, and 16.7M facilities is far beyond any
/// country; the saved byte per line is what puts a line under 16 bytes with
/// room for the per-product and per-facility overheads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(2))]
pub struct Packed {
    fac_meta: u32,
    price: u32,
    checked: u32,
    qty_lo: u16,
}

impl Packed {
    /// Packs a line; `None` when the facility does not fit in 24 bits.
    pub fn pack(l: &StockLine) -> Option<Packed> {
        if l.facility >= MAX_FACILITY {
            return None;
        }
        let q = l.quantity.map_or(QTY_NONE, |q| q.min(MAX_QUANTITY));
        let fac_meta = l.facility | ((l.status as u32) << 24) | ((q >> 16) << 26);
        Some(Packed {
            fac_meta,
            price: l.price_minor.map_or(u32::MAX, |p| p.min(MAX_PRICE_MINOR)),
            checked: l.checked_at.clamp(0, i64::from(u32::MAX)) as u32,
            qty_lo: (q & 0xffff) as u16,
        })
    }

    #[inline]
    fn facility(&self) -> u32 {
        let m = self.fac_meta;
        m & 0x00ff_ffff
    }

    #[inline]
    fn status(&self) -> StockStatus {
        let m = self.fac_meta;
        StockStatus::from_bits(m >> 24)
    }

    #[inline]
    fn checked(&self) -> i64 {
        let c = self.checked;
        i64::from(c)
    }

    #[inline]
    fn price(&self) -> Option<u32> {
        let p = self.price;
        (p != u32::MAX).then_some(p)
    }

    /// Back to the public view.
    pub fn unpack(&self) -> StockLine {
        let m = self.fac_meta;
        let lo = self.qty_lo;
        let q = ((m >> 26) << 16) | u32::from(lo);
        StockLine {
            facility: self.facility(),
            status: self.status(),
            quantity: (q != QTY_NONE).then_some(q),
            price_minor: self.price(),
            checked_at: self.checked(),
        }
    }
}

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

/// Counts of one facility's lines, for a facility page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FacilitySummary {
    /// Lines of any status and age.
    pub lines: usize,
    /// In stock or low, not past the cut-off.
    pub available: usize,
    /// Of those, fresh.
    pub fresh: usize,
    /// Latest `checked_at` over all lines.
    pub last_checked_at: Option<i64>,
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
/// Product indices at or above this are dropped (protects the dense array).
pub const MAX_PRODUCTS: u32 = 1 << 26;

/// The availability index. Immutable; [`StockIndex::apply`] makes a new one.
#[derive(Clone, Debug)]
pub struct StockIndex {
    postings: Vec<Arc<[Packed]>>,
    lines: usize,
    rejected: usize,
    empty: Arc<[Packed]>,
}

impl Default for StockIndex {
    fn default() -> Self {
        Self::build(std::iter::empty(), 0)
    }
}

/// Sorts by facility and keeps the last line of each facility (input order
/// decides: a later line for the same facility replaces an earlier one).
fn sort_dedup_last(v: &mut Vec<Packed>) {
    v.sort_by_key(|p| p.facility()); // stable: equal facilities keep input order
    let mut w = 0usize;
    for r in 0..v.len() {
        if r + 1 < v.len() && v[r + 1].facility() == v[r].facility() {
            continue;
        }
        v[w] = v[r];
        w += 1;
    }
    v.truncate(w);
}

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
}

impl Ctx<'_> {
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
    /// Builds from `(product, line)` pairs. A later line for the same
    /// (product, facility) replaces an earlier one. Lines whose facility is
    /// `>= MAX_FACILITY` or product `>= MAX_PRODUCTS` are dropped and counted
    /// in [`StockIndex::rejected`]; products beyond `n_products` grow the
    /// index (a product registered after the caller counted).
    pub fn build(lines: impl IntoIterator<Item = (u32, StockLine)>, n_products: usize) -> Self {
        let mut per: Vec<Vec<Packed>> = Vec::new();
        per.resize_with(n_products.min(MAX_PRODUCTS as usize), Vec::new);
        let mut rejected = 0usize;
        for (product, line) in lines {
            let Some(p) = Packed::pack(&line).filter(|_| product < MAX_PRODUCTS) else {
                rejected += 1;
                continue;
            };
            let i = product as usize;
            if per.len() <= i {
                per.resize_with(i + 1, Vec::new);
            }
            per[i].push(p);
        }
        let empty: Arc<[Packed]> = Arc::from(Vec::new());
        let mut total = 0usize;
        let postings = per
            .into_iter()
            .map(|mut v| {
                if v.is_empty() {
                    return empty.clone();
                }
                sort_dedup_last(&mut v);
                total += v.len();
                Arc::from(v)
            })
            .collect();
        StockIndex {
            postings,
            lines: total,
            rejected,
            empty,
        }
    }

    /// A new index with `removals` then `upserts` applied (a snapshot push
    /// removes the publisher's old lines and upserts the new ones in one
    /// call). Copy-on-write: untouched products share their postings with
    /// `self`; only touched products are merged anew, so the cost is the
    /// touched postings plus one pointer copy per product.
    pub fn apply(&self, upserts: &[(u32, StockLine)], removals: &[(u32, u32)]) -> StockIndex {
        let mut ups: Vec<(u32, Packed)> = Vec::with_capacity(upserts.len());
        let mut rejected = self.rejected;
        for (product, line) in upserts {
            match Packed::pack(line).filter(|_| *product < MAX_PRODUCTS) {
                Some(p) => ups.push((*product, p)),
                None => rejected += 1,
            }
        }
        // Stable: later upserts of the same (product, facility) win below.
        ups.sort_by_key(|(pr, p)| (*pr, p.facility()));
        let mut rems: Vec<(u32, u32)> = removals.to_vec();
        rems.sort_unstable();
        rems.dedup();

        let mut postings = self.postings.clone();
        let max_product = ups
            .last()
            .map(|u| u.0)
            .into_iter()
            .chain(rems.last().map(|r| r.0).filter(|&p| p < MAX_PRODUCTS))
            .max();
        if let Some(m) = max_product {
            if postings.len() <= m as usize {
                postings.resize(m as usize + 1, self.empty.clone());
            }
        }
        let mut lines = self.lines;
        let (mut ui, mut ri) = (0usize, 0usize);
        while ui < ups.len() || ri < rems.len() {
            let product = match (ups.get(ui), rems.get(ri)) {
                (Some(u), Some(r)) => u.0.min(r.0),
                (Some(u), None) => u.0,
                (None, Some(r)) => r.0,
                (None, None) => break,
            };
            let u_end = ui + ups[ui..].iter().take_while(|u| u.0 == product).count();
            let r_end = ri + rems[ri..].iter().take_while(|r| r.0 == product).count();
            let Some(old) = postings.get(product as usize) else {
                // Only removals for a product beyond MAX_PRODUCTS reach here.
                ui = u_end;
                ri = r_end;
                continue;
            };
            let merged = merge_posting(old, &ups[ui..u_end], &rems[ri..r_end]);
            lines = lines - old.len() + merged.len();
            postings[product as usize] = if merged.is_empty() {
                self.empty.clone()
            } else {
                Arc::from(merged)
            };
            ui = u_end;
            ri = r_end;
        }
        StockIndex {
            postings,
            lines,
            rejected,
            empty: self.empty.clone(),
        }
    }

    /// The lines of one product, by facility.
    pub fn lines_for(&self, product: u32) -> impl ExactSizeIterator<Item = StockLine> + '_ {
        self.posting(product).iter().map(Packed::unpack)
    }

    /// One line, if the facility lists the product.
    pub fn line(&self, product: u32, facility: u32) -> Option<StockLine> {
        find(self.posting(product), facility).map(|p| p.unpack())
    }

    /// Every line of one facility, by product. Costs a binary search per
    /// product (≈ 1 ms at 20,000 products): for a facility page, not a hot loop.
    pub fn facility_lines(&self, facility: u32) -> Vec<(u32, StockLine)> {
        self.postings
            .iter()
            .enumerate()
            .filter_map(|(pr, post)| find(post, facility).map(|p| (pr as u32, p.unpack())))
            .collect()
    }

    /// Counts for a facility page (same windows as a query).
    pub fn facility_summary(
        &self,
        facility: u32,
        now: i64,
        fresh_secs: i64,
        cutoff_secs: i64,
    ) -> FacilitySummary {
        let mut s = FacilitySummary::default();
        for (_, l) in self.facility_lines(facility) {
            s.lines += 1;
            s.last_checked_at = Some(
                s.last_checked_at
                    .map_or(l.checked_at, |c| c.max(l.checked_at)),
            );
            let age = now - l.checked_at;
            if matches!(l.status, StockStatus::InStock | StockStatus::Low) && age <= cutoff_secs {
                s.available += 1;
                if age <= fresh_secs {
                    s.fresh += 1;
                }
            }
        }
        s
    }

    /// Number of stock lines.
    pub fn len(&self) -> usize {
        self.lines
    }

    /// True when there are no lines.
    pub fn is_empty(&self) -> bool {
        self.lines == 0
    }

    /// Number of products the index has a slot for.
    pub fn n_products(&self) -> usize {
        self.postings.len()
    }

    /// Lines dropped at build/apply because their facility or product index
    /// was out of range (cumulative over `apply`).
    pub fn rejected(&self) -> usize {
        self.rejected
    }

    /// Heap bytes owned: the pointer array plus each posting allocation (Arc
    /// header + packed lines). Shared postings are counted once per index, as
    /// if this index were alone.
    pub fn heap_bytes(&self) -> usize {
        let ptrs = self.postings.capacity() * std::mem::size_of::<Arc<[Packed]>>();
        let arc_header = 2 * std::mem::size_of::<usize>();
        let lists: usize = self
            .postings
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| arc_header + std::mem::size_of_val::<[Packed]>(p))
            .sum();
        ptrs + lists + arc_header
    }

    fn posting(&self, product: u32) -> &[Packed] {
        self.postings.get(product as usize).map_or(&[], |p| p)
    }

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

#[inline]
fn find(post: &[Packed], facility: u32) -> Option<&Packed> {
    post.binary_search_by_key(&facility, Packed::facility)
        .ok()
        .and_then(|i| post.get(i))
}

/// Merges one product's sorted posting with its sorted upserts (later ones
/// win) minus its removals.
fn merge_posting(old: &[Packed], ups: &[(u32, Packed)], rems: &[(u32, u32)]) -> Vec<Packed> {
    let mut new: Vec<Packed> = ups.iter().map(|u| u.1).collect();
    sort_dedup_last(&mut new);
    let removed = |f: u32| rems.binary_search_by_key(&f, |r| r.1).is_ok();
    let mut out = Vec::with_capacity(old.len() + new.len());
    let (mut i, mut j) = (0usize, 0usize);
    while i < old.len() || j < new.len() {
        let take_new = match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) => {
                if n.facility() <= o.facility() {
                    if n.facility() == o.facility() {
                        i += 1; // replaced
                    }
                    true
                } else {
                    false
                }
            }
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (None, None) => break,
        };
        if take_new {
            if let Some(n) = new.get(j) {
                out.push(*n);
            }
            j += 1;
        } else {
            if let Some(o) = old.get(i) {
                if !removed(o.facility()) {
                    out.push(*o);
                }
            }
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests;
