//! What of the directory the services index reads: each service's name, its
//! taxonomy terms, its prose (description, eligibility, fees, how to apply) and
//! its context (organization, and the names and descriptions of the places it is
//! offered at, which often say what a service is: "Alzheimer's Café on
//! Thursdays"). The index itself, its analysis and ranking live in the search
//! core (`medmap_indexers::services`), which knows nothing of HSDS rows.

use medmap_indexers::services::{ServiceDoc, ServiceIndex};

use crate::hsds::directory::Link;
use crate::hsds::vocabulary;
use crate::store::{FacilityRow, OrganizationRow, ServiceRow, TermRow};

/// The directory's parts the index is built from, borrowed during the build.
pub(crate) struct IndexInput<'a> {
    pub services: &'a [ServiceRow],
    pub service_terms: &'a [Vec<usize>],
    pub terms: &'a [TermRow],
    pub service_org: &'a [Option<usize>],
    pub organizations: &'a [OrganizationRow],
    pub service_links: &'a [Vec<usize>],
    pub links: &'a [Link],
    pub facilities: &'a [FacilityRow],
}

/// Builds the services index (service `i` is document `i`).
pub(crate) fn build_index(x: IndexInput<'_>) -> ServiceIndex {
    let docs: Vec<ServiceDoc> = x
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let join = |parts: &[Option<&str>]| {
                parts
                    .iter()
                    .flatten()
                    .copied()
                    .filter(|p| !p.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(" . ")
            };
            let mut context: Vec<Option<&str>> = vec![x
                .service_org
                .get(i)
                .copied()
                .flatten()
                .and_then(|o| x.organizations.get(o))
                .map(|o| o.name.as_str())];
            for &l in x.service_links.get(i).map_or(&[][..], |v| v.as_slice()) {
                if let Some(f) = x
                    .links
                    .get(l)
                    .and_then(|l| x.facilities.get(l.facility as usize))
                {
                    context.push(Some(f.name.as_str()));
                    context.push(f.description.as_deref());
                }
            }
            ServiceDoc {
                name: join(&[Some(s.name.as_str()), s.alternate_name.as_deref()]),
                terms: x
                    .service_terms
                    .get(i)
                    .map_or(&[][..], |v| v.as_slice())
                    .iter()
                    .filter_map(|&t| x.terms.get(t))
                    .map(|t| t.name.clone())
                    .collect(),
                description: join(&[
                    s.description.as_deref(),
                    s.eligibility.as_deref(),
                    s.fees.as_deref(),
                    s.application_process.as_deref(),
                ]),
                organization: join(&context),
            }
        })
        .collect();
    ServiceIndex::build(&docs, vocabulary::needs())
}
