//! Counts that come with a search's results so a worker can narrow it down: per
//! category (taxonomy term, the page's category filter), per need of the
//! vocabulary (labelled in the reader's language, the cross-lingual category) and
//! per open-now. Counted over the results as listed (places on the page, services
//! in the HSDS API), so a count always equals what the filter would then show.

use super::filters::OpenStates;
use super::{Found, ServiceResults};
use crate::hsds::directory::ServiceDirectory;
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

/// The counts behind [`Facets`], taken as the search passes each result.
#[derive(Debug, Clone)]
pub(super) struct Counts {
    /// Per facet value: terms first, then needs, as `service_facets` numbers
    /// them (dense: a national search counts tens of thousands of results).
    values: Vec<u32>,
    open: OpenCounts,
}

impl Counts {
    pub(super) fn new(dir: &ServiceDirectory) -> Counts {
        Counts {
            values: vec![0; dir.terms.len() + dir.index.needs.len()],
            open: OpenCounts::default(),
        }
    }

    /// Counts `f`, open or not at the facets' instant.
    #[inline]
    pub(super) fn add(&mut self, dir: &ServiceDirectory, f: &Found, open: Option<bool>) {
        for &v in dir.service_facets.get(f.service_ix) {
            if let Some(c) = self.values.get_mut(v as usize) {
                *c += 1;
            }
        }
        match open {
            Some(true) => self.open.open += 1,
            Some(false) => self.open.closed += 1,
            None => self.open.unknown += 1,
        }
    }
}

/// The facets of `r`, with need labels in `lang` (`en`, `uk`, `ru`): over all
/// its results when the search counted them ([`super::Listing::facets`]),
/// else over the results it kept.
pub fn facets(snap: &Snapshot, r: &ServiceResults, lang: &str) -> Facets {
    let dir = &snap.directory;
    let counted;
    let counts = match &r.counts {
        Some(c) => c,
        None => {
            let states = OpenStates::new(snap);
            let at = r.open_at.unwrap_or(r.now);
            let mut c = Counts::new(dir);
            for f in &r.found {
                c.add(dir, f, states.at(f.service_ix, f.facility, at));
            }
            counted = c;
            &counted
        }
    };
    let (terms, needs) = counts.values.split_at(dir.terms.len());
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
        open_now: counts.open,
    }
}

/// The [`FACET_MAX`] values counted most (ties by name), named by `named`
/// (id, name): only the values listed are named, not every term of a national
/// taxonomy that some result has.
fn top(counts: &[u32], named: impl Fn(usize) -> Option<(String, String)>) -> Vec<Facet> {
    let mut listed: Vec<Facet> = counts
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .filter_map(|(v, &count)| {
            let (id, name) = named(v)?;
            Some(Facet {
                id,
                name,
                count: count as usize,
            })
        })
        .collect();
    listed.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    listed.truncate(FACET_MAX);
    listed
}
