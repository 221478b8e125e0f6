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
    let mut terms = vec![0usize; dir.terms.len()];
    let mut needs = vec![0usize; dir.index.needs.len()];
    let mut open = OpenCounts::default();
    // Open-now from the snapshot's tables (kept current for every place and
    // service); other instants are evaluated.
    let states = OpenStates::new(snap);
    let at = r.open_at.unwrap_or(r.now);
    for f in &r.found {
        for &t in &dir.service_terms[f.service_ix] {
            terms[t] += 1;
        }
        for &n in dir.index.needs_of(f.service_ix) {
            if let Some(c) = needs.get_mut(n as usize) {
                *c += 1;
            }
        }
        let state = states.at(f.service_ix, f.facility, at);
        match state {
            Some(true) => open.open += 1,
            Some(false) => open.closed += 1,
            None => open.unknown += 1,
        }
    }
    let mut categories: Vec<Facet> = terms
        .into_iter()
        .enumerate()
        .filter(|(_, count)| *count > 0)
        .filter_map(|(t, count)| {
            let term = dir.terms.get(t)?;
            Some(Facet {
                id: term.uuid.clone(),
                name: term.name.clone(),
                count,
            })
        })
        .collect();
    let mut need_facets: Vec<Facet> = needs
        .into_iter()
        .enumerate()
        .filter(|(_, count)| *count > 0)
        .filter_map(|(n, count)| {
            let need = dir.index.needs.needs.get(n)?;
            Some(Facet {
                id: need.id.clone(),
                name: vocabulary::label(&dir.index.needs, n as u32, lang).to_string(),
                count,
            })
        })
        .collect();
    for list in [&mut categories, &mut need_facets] {
        list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        list.truncate(FACET_MAX);
    }
    Facets {
        categories,
        needs: need_facets,
        open_now: open,
    }
}
