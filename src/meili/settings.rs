//! Index settings: what each index searches (best field first: Meilisearch's
//! `attribute` rule ranks by this order), what it filters and sorts on, and
//! the synonyms from medmap's name index, so an operator's Meilisearch finds a
//! medication by any of the spellings medmap knows.

use std::collections::HashMap;

use meilisearch_sdk::settings::Settings;

use super::docs;
use crate::snapshot::Snapshot;

const RANKING: [&str; 6] = [
    "words",
    "typo",
    "proximity",
    "attribute",
    "sort",
    "exactness",
];

pub fn of(uid: &str, snap: &Snapshot) -> Settings {
    let base = Settings::new().with_ranking_rules(RANKING);
    match uid {
        docs::MEDICATIONS => {
            let synonyms: HashMap<String, Vec<String>> = docs::synonyms(snap).into_iter().collect();
            base.with_searchable_attributes(["name", "names", "ingredients", "brands", "atc"])
                .with_filterable_attributes(["kind", "atc", "otc", "forms"])
                .with_synonyms(synonyms)
        }
        docs::FACILITIES => base
            .with_searchable_attributes(["name", "city", "address", "region", "kind"])
            .with_filterable_attributes(["_geo", "kind", "city", "region", "country", "languages"])
            .with_sortable_attributes(["_geo", "name"]),
        _ => base
            .with_searchable_attributes([
                "name",
                "alternate_name",
                "taxonomy",
                "need_labels",
                "description",
                "eligibility",
                "organization",
                "cities",
            ])
            .with_filterable_attributes([
                "_geo",
                "taxonomy",
                "needs",
                "languages",
                "status",
                "min_age",
                "max_age",
                "cities",
            ])
            .with_sortable_attributes(["_geo", "name"]),
    }
}
