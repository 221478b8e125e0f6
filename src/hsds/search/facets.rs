//! Counts that come with a search's results so a worker can narrow it down: per
//! category (taxonomy term, the page's category filter), per need of the
//! vocabulary (labelled in the reader's language, the cross-lingual category) and
//! per open-now. Counted over the results as listed (places on the page, services
//! in the HSDS API), so a count always equals what the filter would then show.

use super::filters::OpenStates;
use super::ServiceResults;
use crate::hsds::vocabulary;
use crate::snapshot::Snapshot;

/// Most values listed per facet: a page of choices, not the taxonomy.
const FACET_MAX: usize = 20;

/// One value of a facet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Facet {
    /// Taxonomy term UUID, or need id.
    pub id: String,
    pub name: String,
    pub count: usize,
}

/// Results by open-now state.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct OpenCounts {
    pub open: usize,
    pub closed: usize,
    pub unknown: usize,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Facets {
    pub categories: Vec<Facet>,
    pub needs: Vec<Facet>,
    pub open_now: OpenCounts,
}

/// The facets of `r`, with need labels in `lang` (`en`, `uk`, `ru`).
pub fn facets(snap: &Snapshot, r: &ServiceResults, lang: &str) -> Facets {
    let dir = &snap.directory;
    // Dense counters: a national search counts tens of thousands of results.
    // Terms first, then needs, as `service_facets` numbers them.
    let mut counts = vec![0usize; dir.terms.len() + dir.index.needs.len()];
    let mut open = OpenCounts::default();
    // Open-now from the snapshot's tables (kept current for every place and
    // service); other instants are evaluated.
    let states = OpenStates::new(snap);
    let at = r.open_at.unwrap_or(r.now);
    // The results past the ranked head come in service order (see
    // `hits::rank`), so the flat lists are read in memory order.
    let lists = &dir.service_facets;
    for (i, f) in r.found.iter().enumerate() {
        lists.prefetch_for(i, |j| r.found.get(j).map(|f| f.service_ix));
        for &v in lists.get(f.service_ix) {
            if let Some(c) = counts.get_mut(v as usize) {
                *c += 1;
            }
        }
        match states.at(f.service_ix, f.facility, at) {
            Some(true) => open.open += 1,
            Some(false) => open.closed += 1,
            None => open.unknown += 1,
        }
    }
    let (terms, needs) = counts.split_at(dir.terms.len());
    let categories = top(terms, |t| {
        let term = dir.terms.get(t)?;
        Some((term.uuid.clone(), term.name.clone()))
    });
    let need_facets = top(needs, |n| {
        let need = dir.index.needs.needs.get(n)?;
        let label = vocabulary::label(&dir.index.needs, n as u32, lang);
        Some((need.id.clone(), label.to_string()))
    });
    Facets {
        categories,
        needs: need_facets,
        open_now: open,
    }
}

/// The [`FACET_MAX`] values counted most (ties by name), named by `named`
/// (id, name): only the values listed are named, not every term of a national
/// taxonomy that some result has.
fn top(counts: &[usize], named: impl Fn(usize) -> Option<(String, String)>) -> Vec<Facet> {
    let mut listed: Vec<Facet> = counts
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .filter_map(|(v, &count)| {
            let (id, name) = named(v)?;
            Some(Facet { id, name, count })
        })
        .collect();
    listed.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    listed.truncate(FACET_MAX);
    listed
}
