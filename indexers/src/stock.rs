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
//! [`PlaceIndex`](crate::places::PlaceIndex), or walks the R-tree outwards from
//! the point and looks each facility up in the postings by binary search,
//! stopping at the limit or the radius. [`StockIndex::plan`] picks the cheaper one from the posting lengths,
//! the facility density around the point and a sample of the postings'
//! freshness; the walk also carries a budget and falls back to a scan when the
//! estimate was wrong, so a bad guess costs at most about twice the scan.
//!
//! Three files. This one holds the postings themselves: [`StockIndex`], its
//! copy-on-write [`StockIndex::apply`] and the reads by product and by facility.
//! `stock/line.rs` holds the line format ([`StockLine`] and its 14-byte
//! [`Packed`] form), `stock/query.rs` the availability query (its plan, the
//! scan and the walk). The index's fields are declared here, so `query.rs`, a
//! child module, reads them while nothing outside `stock` can.

mod line;
mod query;

pub use line::{Packed, StockLine, StockStatus, MAX_PRICE_MINOR, MAX_QUANTITY};
pub use query::{
    Freshness, Plan, PlanChoice, Sort, StockHit, StockQuery, DEFAULT_CUTOFF_SECS,
    DEFAULT_FRESH_SECS,
};

use std::sync::Arc;

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
