//! How a parsed [`Query`] scores the services: per group the best of its terms'
//! BM25F contributions, summed, scaled by coverage, cut at a share of the best,
//! with MaxScore pruning so a common word does not visit every service; and the
//! proximity tie breaker. Kept apart from the parsing (`query.rs`), which decides
//! what the groups are; this decides what they are worth.

use std::cell::RefCell;

use super::index::{ServiceIndex, GAP};
use super::query::{Group, Query};

/// Leading services the proximity tie breaker is read for.
pub const PROXIMITY_HEAD: usize = 200;

/// The coverage of each set of matched groups (a bit per group), as a table for
/// queries of up to [`Coverage::TABLE_GROUPS`] groups: a national query asks it
/// for 100,000 services.
struct Coverage {
    idf: Vec<f32>,
    total: f32,
    table: Vec<f32>,
}

impl Coverage {
    const TABLE_GROUPS: usize = 10;

    fn new(groups: &[Group]) -> Coverage {
        let idf: Vec<f32> = groups.iter().map(|g| g.idf).collect();
        let total = idf.iter().sum::<f32>().max(1e-6);
        let mut c = Coverage {
            idf,
            total,
            table: Vec::new(),
        };
        if groups.len() <= Self::TABLE_GROUPS {
            c.table = (0..1u32 << groups.len()).map(|m| c.compute(m)).collect();
        }
        c
    }

    fn compute(&self, mask: u32) -> f32 {
        let covered: f32 = self
            .idf
            .iter()
            .enumerate()
            .filter(|(gi, _)| mask & (1 << gi) != 0)
            .map(|(_, idf)| idf)
            .sum();
        covered / self.total
    }

    fn of(&self, mask: u32) -> f32 {
        match self.table.get(mask as usize) {
            Some(&c) => c,
            None => self.compute(mask),
        }
    }

    /// What a service matching the groups of `mask` keeps of its summed
    /// score: a service covering little of the query ranks below one covering
    /// all of it, but is not dropped.
    fn factor(&self, mask: u32) -> f32 {
        0.35 + 0.65 * self.of(mask)
    }
}

/// One ranked service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub doc: u32,
    pub score: f32,
}

/// A service's running score and the groups (bits) it matched.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    total: f32,
    mask: u32,
}

impl Acc {
    /// Credits group `gi`'s best term, worth `v`. Whether a service was touched
    /// is the scratch bitset's to say ([`Scratch::enter`]); the tiny constant
    /// only keeps a matched service's total above zero when `v` is zero, so it
    /// passes a cut of zero as before.
    #[inline]
    fn add(&mut self, v: f32, gi: usize) {
        self.total += v + 1e-9;
        self.mask |= 1 << gi;
    }
}

thread_local! {
    /// Dense accumulators reused across queries, so a search allocates nothing
    /// proportional to the directory.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Default)]
struct Scratch {
    /// Per service: its score so far and the groups it matched, side by side
    /// (one memory access per service touched).
    acc: Vec<Acc>,
    group: Vec<f32>,
    /// Bit per service touched: read back in service order, so callers get
    /// their candidates sorted (and read the directory in memory order)
    /// without sorting tens of thousands of them.
    touched: Vec<u64>,
    group_touched: Vec<u32>,
}

impl Scratch {
    /// The accumulator of `d`, set to nothing matched when `d` is first
    /// touched. Whether it was is asked of the bitset (small enough for the
    /// nearest caches), so a service's first posting writes its accumulator
    /// without first reading it: the accumulators span megabytes, and reading
    /// them back from memory for every newcomer was most of a search's time.
    #[inline]
    fn enter(&mut self, d: u32, n_touched: &mut usize) -> &mut Acc {
        let (w, bit) = ((d / 64) as usize, 1u64 << (d % 64));
        let acc = &mut self.acc[d as usize];
        if self.touched[w] & bit == 0 {
            self.touched[w] |= bit;
            *n_touched += 1;
            *acc = Acc::default();
        }
        acc
    }
}

/// The services whose bit is set, in index order.
fn set_bits(words: &[u64]) -> impl Iterator<Item = u32> + '_ {
    words.iter().enumerate().flat_map(|(w, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let b = rest.trailing_zeros();
                rest &= rest - 1;
                (w as u32) * 64 + b
            })
        })
    })
}

impl Query {
    /// Every service matching at least one group, best first, with the
    /// proximity bonus on the leading ones. Services scoring under `min_share`
    /// of the best are dropped: a query's weakest word alone ("people") should
    /// not list the whole directory.
    pub fn search(&self, ix: &ServiceIndex, min_share: f32) -> Vec<Scored> {
        let mut out = self.score(ix, min_share, |_| true);
        out.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        let head = out.len().min(PROXIMITY_HEAD);
        for sc in &mut out[..head] {
            sc.score *= self.proximity(ix, sc.doc);
        }
        out[..head].sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        out
    }

    /// The services [`Query::search`] lists that `keep` accepts, in service
    /// order and without the proximity bonus. The cut (`min_share` of the best) is taken
    /// over the whole directory, not only over the kept services: a caller that
    /// keeps the services near a point still hears "nothing near you matches
    /// well" when only weak matches are near, and offers the strong ones beyond.
    /// Not ranked because a caller filtering and paging orders only what it
    /// shows (a national query scores 100,000 services); in service order
    /// because that is the directory's memory order.
    pub fn score(
        &self,
        ix: &ServiceIndex,
        min_share: f32,
        keep: impl Fn(u32) -> bool,
    ) -> Vec<Scored> {
        if self.groups.is_empty() || ix.n_docs == 0 {
            return Vec::new();
        }
        SCRATCH.with(|cell| {
            let mut s = cell.borrow_mut();
            let s = &mut *s;
            let n = ix.n_docs as usize;
            if s.acc.len() < n {
                s.acc.resize(n, Acc::default());
                s.group.resize(n, 0.0);
                s.touched.resize(n.div_ceil(64), 0);
            }
            let mut n_touched = 0usize;
            let coverage = Coverage::new(&self.groups);
            // Groups strongest first. A service none of the groups read so far
            // matched can score at most what the remaining groups can add; once
            // that is under the cut of the best score already certain, later
            // groups only raise the services already found (MaxScore pruning:
            // the answer is the same, and the common word of "food pantry" does
            // not enter 40,000 services that the rare one already outranks).
            let bound: Vec<f32> = self
                .groups
                .iter()
                .map(|g| {
                    g.alts
                        .iter()
                        .map(|a| a.idf(ix) * ix.term_max[a.term as usize])
                        .fold(0.0, f32::max)
                })
                .collect();
            let mut order: Vec<usize> = (0..self.groups.len()).collect();
            order.sort_by(|&a, &b| bound[b].total_cmp(&bound[a]));
            let mut certain = 0.0f32;
            for (k, &gi) in order.iter().enumerate() {
                let rest_mask = order[k..].iter().fold(0u32, |m, &g| m | 1 << g);
                let rest: f32 = order[k..].iter().map(|&g| bound[g]).sum();
                // A little slack over the bound for float rounding.
                let newcomers = rest * 1.001 * coverage.factor(rest_mask) >= min_share * certain;
                let g = &self.groups[gi];
                // The bound matters only for the groups still to come, and
                // only while newcomers are let in: once they are not, they
                // never are again (the rest only shrinks, the cut only rises).
                let track = newcomers && k + 1 < order.len();
                if let [a] = g.alts.as_slice() {
                    // One term: its postings go straight to the services (a
                    // service has at most one posting per term, so there is
                    // no best-of-alternatives to take first).
                    let idf = a.idf(ix);
                    let r = ix.postings(a.term);
                    let posts = ix.post_doc[r.clone()].iter().zip(&ix.post_tf[r]);
                    if newcomers {
                        for (&d, &sat) in posts {
                            let acc = s.enter(d, &mut n_touched);
                            acc.add(idf * sat, gi);
                            if track {
                                certain = certain.max(acc.total * coverage.factor(acc.mask));
                            }
                        }
                    } else {
                        // Only services already found: asked of the bitset
                        // (small enough for the nearest cache) before their
                        // accumulator, which a common word's postings would
                        // otherwise read all over the directory.
                        for (&d, &sat) in posts {
                            if s.touched[(d / 64) as usize] & (1 << (d % 64)) != 0 {
                                s.acc[d as usize].add(idf * sat, gi);
                            }
                        }
                    }
                    continue;
                }
                s.group_touched.clear();
                for a in &g.alts {
                    let idf = a.idf(ix);
                    let r = ix.postings(a.term);
                    for (&d, &sat) in ix.post_doc[r.clone()].iter().zip(&ix.post_tf[r]) {
                        let du = d as usize;
                        if !newcomers && s.touched[du / 64] & (1 << (du % 64)) == 0 {
                            continue;
                        }
                        let v = idf * sat;
                        let slot = &mut s.group[du];
                        if *slot == 0.0 {
                            s.group_touched.push(d);
                        }
                        if v > *slot {
                            *slot = v;
                        }
                    }
                }
                let group_touched = std::mem::take(&mut s.group_touched);
                for &d in &group_touched {
                    let du = d as usize;
                    let v = std::mem::take(&mut s.group[du]);
                    let acc = s.enter(d, &mut n_touched);
                    acc.add(v, gi);
                    // What this service scores at least, whatever comes next.
                    if track {
                        certain = certain.max(acc.total * coverage.factor(acc.mask));
                    }
                }
                s.group_touched = group_touched;
            }
            // Coverage: the share of the query's information a service matched,
            // per set of matched groups (a table when the query is short enough).
            // Final scores are written in place first, so only the services
            // above the cut are collected.
            // One pass over the accumulators (in service order, which the
            // hardware can follow); the cut then reads the dense copy.
            let words = &mut s.touched[..n.div_ceil(64)];
            let mut all: Vec<Scored> = Vec::with_capacity(n_touched);
            let mut best = 0.0f32;
            for d in set_bits(words) {
                let acc = s.acc[d as usize];
                let score = acc.total * coverage.factor(acc.mask);
                best = best.max(score);
                all.push(Scored { doc: d, score });
            }
            words.fill(0);
            let cut = best * min_share;
            all.retain(|sc| sc.score >= cut && keep(sc.doc));
            all
        })
    }

    /// The tie breaker for `doc`, as a factor on its score (1.0 to 1.05): the
    /// share of the query's neighbouring parts that stand next to each other
    /// in its text as in the query. Callers apply it to the services they list
    /// first ([`PROXIMITY_HEAD`]); it reads the service's positions.
    pub fn proximity(&self, ix: &ServiceIndex, doc: u32) -> f32 {
        if self.groups.len() < 2 {
            return 1.0;
        }
        let groups_of = |t: u32| -> u32 {
            if t == GAP {
                return 0;
            }
            self.term_groups
                .binary_search_by_key(&t, |x| x.0)
                .map_or(0, |i| self.term_groups[i].1)
        };
        let pos: Vec<u32> = ix.positions_of(doc).iter().map(|&t| groups_of(t)).collect();
        let mut pairs = 0;
        for gi in 0..self.groups.len() - 1 {
            let (a, b) = (1u32 << gi, 1u32 << (gi + 1));
            let near = pos
                .windows(3)
                .any(|p| p[0] & a != 0 && (p[1] & b != 0 || p[2] & b != 0));
            pairs += usize::from(near);
        }
        1.0 + 0.05 * pairs as f32 / (self.groups.len() - 1) as f32
    }
}
