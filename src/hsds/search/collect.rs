//! What a search keeps of its results while the filters hand them over: the
//! leading ones in rank order, a count of all, and the facet counts. A national
//! query passes tens of thousands of results; a page shows twenty. Keeping only
//! the leading ones in a bounded heap, and counting the rest as they pass,
//! reads each result once instead of storing, sorting and re-reading them all.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};
use medmap_indexers::services::{Query, PROXIMITY_HEAD};

use super::facets::Counts;
use super::filters::OpenStates;
use super::hits::{by_key, order, rank_key, RankKey};
use super::{Found, Listing};
use crate::snapshot::Snapshot;

/// A result with its ranking key; the heap's greatest is the one ranked last.
struct Ranked {
    key: RankKey,
    found: Found,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        by_key(&self.key, &other.key)
    }
}

pub(super) struct Collect<'a> {
    snap: &'a Snapshot,
    /// How many leading results are kept: at least the proximity tie breaker's
    /// head, so the results it may lift are there to lift.
    keep: usize,
    /// Every result, when all are kept.
    all: Vec<Found>,
    /// The leading `keep`, when not all are.
    lead: BinaryHeap<Ranked>,
    total: usize,
    counts: Option<(Counts, OpenStates<'a>)>,
    /// The instant the open-now count is for.
    at: DateTime<Utc>,
    /// Every result is open at `at` (the open-at filter kept only those).
    all_open: bool,
}

impl<'a> Collect<'a> {
    pub(super) fn new(
        snap: &'a Snapshot,
        listing: Listing,
        at: DateTime<Utc>,
        all_open: bool,
    ) -> Collect<'a> {
        let keep = listing.ordered.max(PROXIMITY_HEAD);
        Collect {
            snap,
            keep,
            all: Vec::new(),
            lead: BinaryHeap::with_capacity(if keep == usize::MAX { 0 } else { keep + 1 }),
            total: 0,
            counts: listing
                .facets
                .then(|| (Counts::new(&snap.directory), OpenStates::new(snap))),
            at,
            all_open,
        }
    }

    #[inline]
    pub(super) fn add(&mut self, f: Found) {
        self.total += 1;
        if let Some((counts, states)) = &mut self.counts {
            let open = if self.all_open {
                Some(true)
            } else {
                states.at(f.service_ix, f.facility, self.at)
            };
            counts.add(&self.snap.directory, &f, open);
        }
        if self.keep == usize::MAX {
            self.all.push(f);
            return;
        }
        let dir = &self.snap.directory;
        if self.lead.len() < self.keep {
            self.lead.push(Ranked {
                key: rank_key(dir, &f),
                found: f,
            });
            return;
        }
        if let Some(mut last) = self.lead.peek_mut() {
            // A lower score ranks after whatever else the key says: most
            // results stop here without their key being read.
            if f.score.total_cmp(&last.key.score).is_lt() {
                return;
            }
            let key = rank_key(dir, &f);
            if by_key(&key, &last.key).is_lt() {
                *last = Ranked { key, found: f };
            }
        }
    }

    /// The kept results in rank order (the text's proximity tie breaker read
    /// for the leading ones), how many passed, and the facet counts.
    pub(super) fn finish(self, query: Option<&Query>) -> (Vec<Found>, usize, Option<Counts>) {
        let dir = &self.snap.directory;
        let order = order(dir);
        let mut found = if self.keep == usize::MAX {
            let mut all = self.all;
            all.sort_unstable_by(&order);
            all
        } else {
            self.lead
                .into_sorted_vec()
                .into_iter()
                .map(|r| r.found)
                .collect()
        };
        if let Some(q) = query {
            let head = found.len().min(PROXIMITY_HEAD);
            for f in &mut found[..head] {
                f.score *= q.proximity(&dir.index, f.service_ix as u32);
            }
            found[..head].sort_unstable_by(&order);
        }
        (found, self.total, self.counts.map(|(c, _)| c))
    }
}
