//! The services page's ways to narrow a search down and to say what was relaxed:
//! the search's facets (needs, categories, open now) as links to the same query
//! with one filter added, and the names of the filters the search dropped when
//! they left nothing. Kept apart from the page handler: this is wording and
//! links, not the search.

use super::i18n::Tr;
use crate::hsds::search::{facets, Facet, ServiceResults};
use crate::http::params::Params;
use crate::snapshot::Snapshot;

/// One facet of the results (needs, categories, open now) as links that narrow
/// the search down.
pub struct FacetGroup {
    pub title: String,
    pub links: Vec<FacetLink>,
}

pub struct FacetLink {
    pub href: String,
    pub label: String,
    pub count: String,
}

/// The facets of a search as links: the page's own query with one filter added.
pub(super) fn facet_rows(
    snap: &Snapshot,
    t: &Tr,
    r: &ServiceResults,
    p: &Params,
) -> Vec<FacetGroup> {
    let f = facets(snap, r, t.lang.code());
    let with = |key: &str, value: &str| {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for k in [
            "q",
            "category",
            "near",
            "radius_km",
            "open_now",
            "day",
            "time",
            "age",
            "language",
            "need",
            "lang",
        ] {
            if k == key {
                continue;
            }
            if let Some(v) = p.raw(k).filter(|v| !v.is_empty()) {
                pairs.push((k.to_string(), v.to_string()));
            }
        }
        pairs.push((key.to_string(), value.to_string()));
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        format!(
            "/services?{}",
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", enc(v)))
                .collect::<Vec<_>>()
                .join("&")
        )
    };
    // A facet value that every result has narrows nothing: left out.
    let group = |title: String, key: &str, values: &[Facet]| -> Option<FacetGroup> {
        let links: Vec<FacetLink> = values
            .iter()
            .filter(|x| x.count < r.total)
            .take(10)
            .map(|x| FacetLink {
                href: with(key, &x.id),
                label: x.name.clone(),
                count: t.int(x.count as i64),
            })
            .collect();
        (!links.is_empty()).then_some(FacetGroup { title, links })
    };
    let mut out: Vec<FacetGroup> = [
        group(t.t("services-facet-needs"), "need", &f.needs),
        group(t.t("category"), "category", &f.categories),
    ]
    .into_iter()
    .flatten()
    .collect();
    if f.open_now.open > 0 && f.open_now.open < r.total && p.raw("open_now").is_none() {
        out.push(FacetGroup {
            title: t.t("open-when"),
            links: vec![FacetLink {
                href: with("open_now", "true"),
                label: t.t("open-now"),
                count: t.int(f.open_now.open as i64),
            }],
        });
    }
    out
}

/// "the distance, the opening time": the filters relaxed, in words.
pub(super) fn relaxed_text(t: &Tr, relaxed: &[&str]) -> String {
    relaxed
        .iter()
        .map(|r| t.t(&format!("services-relaxed-{}", r.replace('_', "-"))))
        .collect::<Vec<_>>()
        .join(", ")
}
