use super::*;
use crate::places::{haversine_m, PlaceIndex, MAX_FACILITY};

fn line(facility: u32, status: StockStatus, price: Option<u32>, checked_at: i64) -> StockLine {
    StockLine {
        facility,
        status,
        quantity: Some(3),
        price_minor: price,
        checked_at,
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NOW: i64 = 1_750_000_000;

/// 400 facilities around Kyiv, 60 products; product p is carried by a
/// facility with probability 1/(1+p/4) (a popularity skew).
type Fixture = (
    PlaceIndex,
    Vec<(u32, f64, f64)>,
    Vec<(u32, StockLine)>,
    Vec<Option<bool>>,
);

fn fixture() -> Fixture {
    let mut r = Rng(42);
    let pts: Vec<(u32, f64, f64)> = (0..400)
        .map(|i| (i, 50.45 + (r.f() - 0.5) * 0.4, 30.52 + (r.f() - 0.5) * 0.6))
        .collect();
    let mut lines = Vec::new();
    for f in 0..400u32 {
        for p in 0..60u32 {
            if r.f() < 1.0 / (1.0 + p as f64 / 4.0) {
                let st = match r.below(10) {
                    0 => StockStatus::Out,
                    1 => StockStatus::Low,
                    2 => StockStatus::Unknown,
                    _ => StockStatus::InStock,
                };
                let price = (r.below(8) != 0).then(|| 1000 + r.below(9000) as u32);
                lines.push((p, line(f, st, price, NOW - r.below(96 * 3600) as i64)));
            }
        }
    }
    let open: Vec<Option<bool>> = (0..400)
        .map(|_| match r.below(5) {
            0 => None,
            1 => Some(false),
            _ => Some(true),
        })
        .collect();
    (PlaceIndex::build(pts.clone()), pts, lines, open)
}

/// The obvious answer: filter every line, sort, cut.
fn brute(
    q: &StockQuery,
    pts: &[(u32, f64, f64)],
    lines: &[(u32, StockLine)],
    open: &[Option<bool>],
) -> Vec<(u32, u32)> {
    let mut v: Vec<(u64, f64, u32, u32)> = lines
        .iter()
        .filter(|(p, _)| q.products.contains(p))
        .filter(|(_, l)| q.now - l.checked_at <= q.cutoff_secs)
        .filter(|(_, l)| q.include_out_of_stock || l.status != StockStatus::Out)
        .filter(|(_, l)| !q.open_now || open[l.facility as usize] == Some(true))
        .filter(|(_, l)| (q.only_facilities.as_ref()).is_none_or(|only| only[l.facility as usize]))
        .map(|(p, l)| {
            let (_, la, lo) = pts[l.facility as usize];
            let d = haversine_m(q.lat, q.lon, la, lo);
            let k1 = match q.sort {
                Sort::Distance => 0,
                Sort::Price => u64::from(l.price_minor.unwrap_or(u32::MAX)),
            };
            (k1, d, *p, l.facility)
        })
        .filter(|x| x.1 <= q.radius_m)
        .collect();
    v.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    v.truncate(q.limit);
    v.into_iter().map(|x| (x.2, x.3)).collect()
}

#[test]
fn packed_line_is_14_bytes_and_round_trips() {
    assert_eq!(std::mem::size_of::<Packed>(), 14);
    for l in [
        line(0, StockStatus::InStock, Some(0), 0),
        line(
            MAX_FACILITY - 1,
            StockStatus::Unknown,
            None,
            i64::from(u32::MAX),
        ),
        StockLine {
            facility: 12345,
            status: StockStatus::Low,
            quantity: None,
            price_minor: Some(MAX_PRICE_MINOR),
            checked_at: NOW,
        },
        StockLine {
            facility: 7,
            status: StockStatus::Out,
            quantity: Some(MAX_QUANTITY),
            price_minor: Some(12_50),
            checked_at: NOW,
        },
    ] {
        assert_eq!(Packed::pack(&l).map(|p| p.unpack()), Some(l));
    }
    // Clamps, never panics.
    let big = StockLine {
        facility: 1,
        status: StockStatus::InStock,
        quantity: Some(u32::MAX),
        price_minor: Some(u32::MAX),
        checked_at: -5,
    };
    let back = Packed::pack(&big).map(|p| p.unpack());
    assert_eq!(
        back.map(|b| (b.quantity, b.price_minor, b.checked_at)),
        Some((Some(MAX_QUANTITY), Some(MAX_PRICE_MINOR), 0))
    );
    assert!(Packed::pack(&line(MAX_FACILITY, StockStatus::InStock, None, 0)).is_none());
}

#[test]
fn build_keeps_the_last_line_per_facility_and_counts_rejects() {
    let idx = StockIndex::build(
        [
            (1, line(5, StockStatus::InStock, Some(100), NOW)),
            (1, line(3, StockStatus::Low, Some(90), NOW)),
            (1, line(5, StockStatus::Out, Some(110), NOW)),
            (9, line(2, StockStatus::InStock, None, NOW)), // beyond n_products: grows
            (1, line(MAX_FACILITY, StockStatus::InStock, None, NOW)),
            (MAX_PRODUCTS, line(1, StockStatus::InStock, None, NOW)),
        ],
        4,
    );
    assert_eq!(idx.len(), 3);
    assert_eq!(idx.rejected(), 2);
    assert_eq!(idx.n_products(), 10);
    let l: Vec<_> = idx.lines_for(1).map(|l| (l.facility, l.status)).collect();
    assert_eq!(l, vec![(3, StockStatus::Low), (5, StockStatus::Out)]);
    assert_eq!(idx.line(9, 2).map(|l| l.price_minor), Some(None));
    assert!(idx.line(2, 2).is_none());
    assert_eq!(idx.lines_for(12345).count(), 0);
}

#[test]
fn scan_walk_and_auto_agree_with_brute_force() {
    let (places, pts, lines, open) = fixture();
    let idx = StockIndex::build(lines.clone(), 60);
    let openf = |f: u32| open.get(f as usize).copied().flatten();
    let mut r = Rng(7);
    for case in 0..400 {
        let (_, la, lo) = pts[r.below(400) as usize];
        let n_prod = 1 + r.below(3) as usize;
        let products: Vec<u32> = (0..n_prod).map(|_| r.below(60) as u32).collect();
        let mut q = StockQuery::new(products, la, lo, 1000.0 + r.f() * 20_000.0, NOW);
        q.open_now = r.below(2) == 0;
        q.sort = if r.below(3) == 0 {
            Sort::Price
        } else {
            Sort::Distance
        };
        q.limit = 1 + r.below(30) as usize;
        q.include_out_of_stock = r.below(4) == 0;
        if r.below(2) == 0 {
            q.cutoff_secs = q.fresh_secs;
        }
        if r.below(3) == 0 {
            // A facility property the index does not know, on about half of them.
            let only: Vec<bool> = (0..400).map(|_| r.below(2) == 0).collect();
            q.only_facilities = Some(std::sync::Arc::new(only));
        }
        let want = brute(&q, &pts, &lines, &open);
        for choice in [PlanChoice::Scan, PlanChoice::Walk, PlanChoice::Auto] {
            let (hits, _) = idx.query_with(&q, &places, &openf, choice);
            let got: Vec<(u32, u32)> = hits.iter().map(|h| (h.product, h.facility)).collect();
            assert_eq!(got, want, "case {case} {choice:?} {q:?}");
            for h in &hits {
                let (_, fla, flo) = pts[h.facility as usize];
                assert!((h.distance_m - haversine_m(la, lo, fla, flo)).abs() < 0.01);
                assert_eq!(h.open, openf(h.facility));
                let age = NOW - h.line.checked_at;
                let fresh = if age <= q.fresh_secs {
                    Freshness::Fresh
                } else {
                    Freshness::CallToConfirm
                };
                assert_eq!(h.freshness, fresh);
            }
        }
    }
}

#[test]
fn freshness_windows() {
    let places = PlaceIndex::build([(0, 50.0, 30.0), (1, 50.0, 30.001), (2, 50.0, 30.002)]);
    let idx = StockIndex::build(
        [
            (0, line(0, StockStatus::InStock, Some(1), NOW - 3600)), // fresh
            (0, line(1, StockStatus::InStock, Some(1), NOW - 30 * 3600)), // call to confirm
            (0, line(2, StockStatus::InStock, Some(1), NOW - 80 * 3600)), // hidden
        ],
        1,
    );
    let q = StockQuery::new(vec![0], 50.0, 30.0, 5000.0, NOW);
    let hits = idx.query(&q, &places, &|_| Some(true));
    let got: Vec<(u32, Freshness)> = hits.iter().map(|h| (h.facility, h.freshness)).collect();
    assert_eq!(
        got,
        vec![(0, Freshness::Fresh), (1, Freshness::CallToConfirm)]
    );
    let mut fresh_only = q.clone();
    fresh_only.cutoff_secs = fresh_only.fresh_secs;
    assert_eq!(idx.query(&fresh_only, &places, &|_| None).len(), 1);
    // open_now excludes unknown hours as well as closed.
    let mut open_now = q.clone();
    open_now.open_now = true;
    assert!(idx.query(&open_now, &places, &|_| None).is_empty());
    assert_eq!(idx.query(&open_now, &places, &|f| Some(f == 1)).len(), 1);
}

#[test]
fn price_sort_puts_unpriced_last() {
    let places = PlaceIndex::build([(0, 50.0, 30.0), (1, 50.0, 30.01), (2, 50.0, 30.02)]);
    let idx = StockIndex::build(
        [
            (0, line(0, StockStatus::InStock, None, NOW)),
            (0, line(1, StockStatus::InStock, Some(500), NOW)),
            (0, line(2, StockStatus::Low, Some(300), NOW)),
        ],
        1,
    );
    let mut q = StockQuery::new(vec![0], 50.0, 30.0, 5000.0, NOW);
    q.sort = Sort::Price;
    let got: Vec<u32> = idx
        .query(&q, &places, &|_| None)
        .iter()
        .map(|h| h.facility)
        .collect();
    assert_eq!(got, vec![2, 1, 0]);
}

#[test]
fn apply_is_copy_on_write() {
    let (_, _, lines, _) = fixture();
    let idx = StockIndex::build(lines.clone(), 60);
    let before: Vec<StockLine> = idx.lines_for(3).collect();
    let n = idx.len();
    let had_0_at_1 = idx.line(0, 1).is_some();
    let next = idx.apply(
        &[
            (0, line(1, StockStatus::Low, Some(777), NOW)),
            (0, line(1, StockStatus::Low, Some(778), NOW)), // later wins
            (70, line(4, StockStatus::InStock, Some(5), NOW)), // new product
        ],
        &[(0, 2), (1, 9999), (200, 1)],
    );
    // Old snapshot untouched.
    assert_eq!(idx.lines_for(3).collect::<Vec<_>>(), before);
    assert_eq!(idx.len(), n);
    // New one has the changes.
    assert_eq!(next.line(0, 1).and_then(|l| l.price_minor), Some(778));
    assert!(next.line(0, 2).is_none());
    assert_eq!(next.line(70, 4).and_then(|l| l.price_minor), Some(5));
    let removed = usize::from(idx.line(0, 2).is_some());
    assert_eq!(next.len(), n + 1 + usize::from(!had_0_at_1) - removed);
    // Untouched postings are shared, touched ones are new.
    assert!(Arc::ptr_eq(&idx.postings[3], &next.postings[3]));
    assert!(!Arc::ptr_eq(&idx.postings[0], &next.postings[0]));
    // Every posting stays sorted by facility with no duplicates.
    for p in &next.postings {
        assert!(p.windows(2).all(|w| w[0].facility() < w[1].facility()));
    }
    // Removing every line of a product empties it.
    let rems: Vec<(u32, u32)> = next.lines_for(70).map(|l| (70, l.facility)).collect();
    assert_eq!(next.apply(&[], &rems).lines_for(70).count(), 0);
}

#[test]
fn planner_walks_for_popular_products_and_scans_rare_ones() {
    // 2,000 facilities in one dense city; product 0 everywhere, product 1 at 5.
    let mut r = Rng(3);
    let pts: Vec<(u32, f64, f64)> = (0..2000)
        .map(|i| (i, 50.45 + (r.f() - 0.5) * 0.3, 30.52 + (r.f() - 0.5) * 0.4))
        .collect();
    let places = PlaceIndex::build(pts);
    let mut lines: Vec<(u32, StockLine)> = (0..2000)
        .map(|f| (0, line(f, StockStatus::InStock, Some(1), NOW)))
        .collect();
    lines.extend((0..5).map(|f| (1, line(f * 400, StockStatus::InStock, Some(1), NOW))));
    let idx = StockIndex::build(lines, 2);
    let q = StockQuery::new(vec![0], 50.45, 30.52, 10_000.0, NOW);
    assert_eq!(idx.plan(&q, &places).0, Plan::Walk);
    assert_eq!(
        idx.query_with(&q, &places, &|_| Some(true), PlanChoice::Auto)
            .1,
        Plan::Walk
    );
    let q1 = StockQuery::new(vec![1], 50.45, 30.52, 10_000.0, NOW);
    assert_eq!(idx.plan(&q1, &places).0, Plan::Scan);
    // A product that is everywhere but stale: the sample sees it, no walk.
    let stale: Vec<(u32, StockLine)> = (0..2000)
        .map(|f| (0, line(f, StockStatus::InStock, Some(1), NOW - 100 * 3600)))
        .collect();
    let idx2 = StockIndex::build(stale, 1);
    assert_eq!(idx2.plan(&q, &places).0, Plan::Scan);
}

#[test]
fn bad_queries_are_empty_not_errors() {
    let (places, _, lines, _) = fixture();
    let idx = StockIndex::build(lines, 60);
    let mut q = StockQuery::new(vec![0], f64::NAN, 30.0, 5000.0, NOW);
    assert!(idx.query(&q, &places, &|_| None).is_empty());
    q.lat = 50.45;
    q.radius_m = -1.0;
    assert!(idx.query(&q, &places, &|_| None).is_empty());
    q.radius_m = 5000.0;
    q.limit = 0;
    assert!(idx.query(&q, &places, &|_| None).is_empty());
    q.limit = 5;
    q.products = vec![u32::MAX];
    assert!(idx.query(&q, &places, &|_| None).is_empty());
    // Facilities with stock but no location are skipped, not a panic.
    let idx2 = StockIndex::build([(0, line(99_999, StockStatus::InStock, None, NOW))], 1);
    q.products = vec![0];
    for c in [PlanChoice::Scan, PlanChoice::Walk, PlanChoice::Auto] {
        assert!(idx2.query_with(&q, &places, &|_| None, c).0.is_empty());
    }
}

#[test]
fn facility_summary_counts() {
    let idx = StockIndex::build(
        [
            (0, line(1, StockStatus::InStock, None, NOW - 10)),
            (1, line(1, StockStatus::Out, None, NOW - 5)),
            (2, line(1, StockStatus::Low, None, NOW - 50 * 3600)),
            (2, line(2, StockStatus::Low, None, NOW)),
        ],
        3,
    );
    let s = idx.facility_summary(1, NOW, DEFAULT_FRESH_SECS, DEFAULT_CUTOFF_SECS);
    assert_eq!(
        s,
        FacilitySummary {
            lines: 3,
            available: 2,
            fresh: 1,
            last_checked_at: Some(NOW - 5)
        }
    );
    assert!(idx.heap_bytes() >= 4 * 14);
}
