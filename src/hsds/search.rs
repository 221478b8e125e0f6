//! Service search for people: what a social worker types ("food", "їжа", "еда",
//! "counseling" misspelt), where (a point and radius, or a postcode), when (open now
//! or at a given time), for whom (age, language), within the standard's filters
//! (taxonomy term, taxonomy, organization, modified after).
//!
//! Free text is matched word by word against each service's name, taxonomy terms and
//! description, ranked in that order (a name match outweighs a term match, which
//! outweighs a description match). Each query word is widened before matching: its
//! Latin transliteration when typed in Cyrillic, the other keyboard layout when it
//! matches nothing, and every word of the same need in English, Ukrainian and
//! Russian ([`super::words`]); words then match exactly, by prefix, or within one or
//! two typos. The pages call [`search`] directly; the HSDS API pages its results.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use medmap_indexers::hours::Hours;
use medmap_indexers::names::{is_cyrillic, normalize, switch_layout_all, to_latin};
use medmap_indexers::places::haversine_m;

use super::directory::ServiceDirectory;
use super::words::{language_code, NEEDS, STOPWORDS};
use crate::snapshot::Snapshot;
use crate::store::{ServiceRow, TermRow};

/// Weights of the fields a word can match in: name > taxonomy > description.
const NAME_WEIGHT: f32 = 3.0;
const TERM_WEIGHT: f32 = 2.0;
const DESCRIPTION_WEIGHT: f32 = 1.0;

/// What a person is looking for. Every field is optional; an empty query lists all.
#[derive(Debug, Clone, Default)]
pub struct ServiceQuery {
    /// Free text in any language ("food bank", "їжа", "консультация психолога").
    pub text: Option<String>,
    /// Centre of a radius search, `(lat, lon)`.
    pub point: Option<(f64, f64)>,
    /// Radius around `point` in km; without it, results are only sorted by distance.
    pub radius_km: Option<f64>,
    /// Locations with this postcode (spaces and case ignored) or, with
    /// `proximity_m`, within that many metres of the postcode's centroid.
    pub postcode: Option<String>,
    pub proximity_m: Option<f64>,
    /// Only services open at this instant (`now` for open now).
    pub open_at: Option<DateTime<Utc>>,
    /// Only services whose age range includes this age (years).
    pub age: Option<f64>,
    /// Only services offered in this language (code or name: `uk`, `Ukrainian`).
    pub language: Option<String>,
    /// HSDS filters, by UUID.
    pub taxonomy_term_id: Option<String>,
    pub taxonomy_id: Option<String>,
    pub organization_id: Option<String>,
    pub modified_after: Option<DateTime<Utc>>,
}

/// One service at one location (or a service with no location), ready to show.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServiceHit {
    /// HSDS service id (UUID).
    pub service_id: String,
    pub name: String,
    pub organization_id: Option<String>,
    pub organization_name: Option<String>,
    pub description: Option<String>,
    pub taxonomy_terms: Vec<String>,
    /// HSDS service_at_location id (UUID), when the hit is at a location.
    pub service_at_location_id: Option<String>,
    /// HSDS location id (UUID) and medmap facility id of that location.
    pub location_id: Option<String>,
    pub facility_id: Option<i64>,
    pub location_name: Option<String>,
    /// Street, city, postcode in one line.
    pub address: Option<String>,
    pub distance_km: Option<f64>,
    /// `None` when the hours are unknown.
    pub open_now: Option<bool>,
    /// Today's opening intervals in local time, `["09:00", "17:00"]`.
    pub today_hours: Vec<[String; 2]>,
    pub languages: Vec<String>,
    pub min_age: Option<f64>,
    pub max_age: Option<f64>,
    /// Relevance of the text match (0 without text); higher is better.
    pub score: f32,
    #[serde(skip)]
    pub(crate) service_ix: usize,
    #[serde(skip)]
    pub(crate) link_ix: Option<usize>,
}

/// The normalised words of a service's searchable fields, built once per snapshot.
#[derive(Debug, Clone, Default)]
pub struct ServiceText {
    name: Vec<String>,
    terms: Vec<String>,
    description: Vec<String>,
}

fn words_of<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = texts
        .into_iter()
        .flat_map(|t| {
            normalize(t)
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

impl ServiceText {
    pub fn build(s: &ServiceRow, terms: &[&TermRow]) -> ServiceText {
        ServiceText {
            name: words_of(
                [Some(s.name.as_str()), s.alternate_name.as_deref()]
                    .into_iter()
                    .flatten(),
            ),
            terms: words_of(terms.iter().map(|t| t.name.as_str())),
            description: words_of(
                [s.description.as_deref(), s.eligibility.as_deref()]
                    .into_iter()
                    .flatten(),
            ),
        }
    }
}

/// How well query word `q` matches data word `d`: 1 exact, then prefix, plural-ish
/// stem, and one or two typos (by length), 0 for no match.
fn word_match(q: &str, d: &str) -> f32 {
    if q == d {
        return 1.0;
    }
    let (ql, dl) = (q.chars().count(), d.chars().count());
    if ql >= 3 && d.starts_with(q) {
        return 0.9;
    }
    if dl >= 4 && q.starts_with(d) && ql - dl <= 3 {
        return 0.85;
    }
    let budget = match ql {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    if budget == 0 || ql.abs_diff(dl) > budget {
        return 0.0;
    }
    let dist = strsim::osa_distance(q, d);
    if dist <= budget {
        0.8 - 0.1 * dist as f32
    } else {
        0.0
    }
}

/// Every need's words, normalised, each with its Latin transliteration (`eda` for
/// `еда`): worked out once per process, not for every query word.
static NEED_FORMS: std::sync::LazyLock<Vec<Vec<(String, String)>>> =
    std::sync::LazyLock::new(|| {
        NEEDS
            .iter()
            .map(|need| {
                need.words()
                    .map(|w| {
                        let w = normalize(w);
                        let latin = to_latin(&w);
                        (w, latin)
                    })
                    .collect()
            })
            .collect()
    });

/// A query word with the forms it is matched by, each with a weight.
fn expand(word: &str) -> Vec<(String, f32)> {
    let mut out = vec![(word.to_string(), 1.0)];
    if is_cyrillic(word) {
        out.push((to_latin(word), 0.9));
    }
    for need in NEED_FORMS.iter() {
        let hit = need
            .iter()
            .map(|(w, latin)| word_match(word, w).max(word_match(word, latin)))
            .fold(0.0f32, f32::max);
        if hit >= 0.7 {
            for (w, _) in need {
                if !out.iter().any(|(x, _)| x == w) {
                    out.push((w.clone(), 0.8 * hit));
                }
            }
        }
    }
    out
}

/// A query word's forms, with each data word's best weighted match remembered: the
/// services share most of their words, so each distinct word is compared with the
/// forms (the typo distance is most of a search's time) once per query, not once
/// per service that contains it.
struct Forms {
    forms: Vec<(String, f32)>,
    memo: RefCell<HashMap<String, f32>>,
}

impl Forms {
    fn new(forms: Vec<(String, f32)>) -> Forms {
        Forms {
            forms,
            memo: RefCell::new(HashMap::new()),
        }
    }

    /// The best match of any form with data word `d`, weighted.
    fn word(&self, d: &str) -> f32 {
        if let Some(&m) = self.memo.borrow().get(d) {
            return m;
        }
        let m = self
            .forms
            .iter()
            .map(|(f, w)| word_match(f, d) * w)
            .fold(0.0f32, f32::max);
        self.memo.borrow_mut().insert(d.to_string(), m);
        m
    }

    /// The best match in one field's words.
    fn field(&self, words: &[String]) -> f32 {
        let mut best = 0.0f32;
        for d in words {
            best = best.max(self.word(d));
            if best >= 1.0 {
                break;
            }
        }
        best
    }

    /// The word's score in a service: its best field match, weighted by field.
    fn score(&self, t: &ServiceText) -> f32 {
        (self.field(&t.name) * NAME_WEIGHT)
            .max(self.field(&t.terms) * TERM_WEIGHT)
            .max(self.field(&t.description) * DESCRIPTION_WEIGHT)
    }
}

/// One content word of a query with the forms it is matched by, and the forms of
/// the word retyped in the other keyboard layout(s) (`tlf` for `еда`), expanded
/// once per query rather than once per service.
struct QueryWord {
    forms: Forms,
    layout_forms: Vec<Forms>,
}

/// The query's content words with their forms (stop words dropped).
fn query_words(text: &str) -> Vec<QueryWord> {
    normalize(text)
        .split_whitespace()
        .filter(|w| !STOPWORDS.contains(w))
        .map(|w| QueryWord {
            forms: Forms::new(expand(w)),
            layout_forms: switch_layout_all(w)
                .iter()
                .map(|x| Forms::new(expand(x)))
                .collect(),
        })
        .collect()
}

/// Text relevance of a service: the sum over query words of their best field match,
/// 0 if any word matches nothing (all words must match).
fn text_score(words: &[QueryWord], t: &ServiceText) -> f32 {
    let mut total = 0.0;
    for w in words {
        let mut s = w.forms.score(t);
        if s == 0.0 {
            // Typed in the wrong keyboard layout.
            s = w
                .layout_forms
                .iter()
                .map(|forms| forms.score(t) * 0.9)
                .fold(0.0, f32::max);
        }
        if s == 0.0 {
            return 0.0;
        }
        total += s;
    }
    total
}

fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn speaks(langs: &[String], wanted: &str) -> bool {
    let code = language_code(wanted);
    langs
        .iter()
        .any(|l| l.eq_ignore_ascii_case(wanted) || (code.is_some() && language_code(l) == code))
}

/// The hours a service keeps at a place: the location's where known, else the
/// service's own schedule. One rule for the search's `open_at` and for callers that
/// check a hit at other times (the pages' "open on Monday at 10:00", read in each
/// place's own time zone).
fn hours_at(snap: &Snapshot, service_ix: usize, facility: Option<u32>) -> &Hours {
    facility
        .and_then(|f| snap.hours.get(f as usize))
        .filter(|h| h.is_known())
        .unwrap_or(&snap.directory.service_hours[service_ix])
}

impl ServiceHit {
    /// The hours this hit's open-now and today's hours were read from.
    pub fn hours<'a>(&self, snap: &'a Snapshot) -> &'a Hours {
        let facility = self
            .link_ix
            .and_then(|l| snap.directory.links.get(l))
            .map(|l| l.facility);
        hours_at(snap, self.service_ix, facility)
    }
}

/// Searches the snapshot's directory; results are ranked by text relevance, then
/// distance, then name. `now` is the instant "today's hours" refer to.
pub fn search(snap: &Snapshot, q: &ServiceQuery, now: DateTime<Utc>) -> Vec<ServiceHit> {
    let dir: &ServiceDirectory = &snap.directory;
    let words = q.text.as_deref().map(query_words).unwrap_or_default();
    let term_filter = q.taxonomy_term_id.as_deref().map(|u| dir.term(u));
    let taxonomy_filter = q.taxonomy_id.as_deref().map(|u| dir.taxonomy(u));
    let org_filter = q.organization_id.as_deref().map(|u| dir.organization(u));
    // The postcode's locations, and their centroid for a proximity search.
    let postcode = q.postcode.as_deref().map(compact);
    let centroid = postcode.as_ref().and_then(|pc| {
        let pts: Vec<(f64, f64)> = snap
            .facilities
            .iter()
            .filter(|f| f.postcode.as_deref().map(compact).as_ref() == Some(pc))
            .filter_map(|f| Some((f.lat?, f.lon?)))
            .collect();
        (!pts.is_empty()).then(|| {
            let n = pts.len() as f64;
            (
                pts.iter().map(|p| p.0).sum::<f64>() / n,
                pts.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
    });
    let mut hits = Vec::new();
    for (si, s) in dir.services.iter().enumerate() {
        let terms = &dir.service_terms[si];
        match term_filter {
            Some(Some(t)) if !terms.contains(&t) => continue,
            Some(None) => return Vec::new(),
            _ => {}
        }
        match taxonomy_filter {
            Some(Some(x)) if !terms.iter().any(|&t| dir.term_taxonomy[t] == x) => continue,
            Some(None) => return Vec::new(),
            _ => {}
        }
        match org_filter {
            Some(Some(o)) if dir.service_org[si] != Some(o) => continue,
            Some(None) => return Vec::new(),
            _ => {}
        }
        if let Some(after) = q.modified_after {
            let modified = s
                .last_modified
                .as_deref()
                .and_then(|m| DateTime::parse_from_rfc3339(m).ok());
            if modified.is_none_or(|m| m < after) {
                continue;
            }
        }
        if let Some(age) = q.age {
            if s.min_age.is_some_and(|m| age < m) || s.max_age.is_some_and(|m| age > m) {
                continue;
            }
        }
        let score = if words.is_empty() {
            0.0
        } else {
            let sc = text_score(&words, &dir.text[si]);
            if sc == 0.0 {
                continue;
            }
            sc
        };
        let org = dir.service_org[si].map(|o| &dir.organizations[o]);
        let term_names: Vec<String> = terms.iter().map(|&t| dir.terms[t].name.clone()).collect();
        let links: Vec<Option<usize>> = if dir.service_links[si].is_empty() {
            vec![None]
        } else {
            dir.service_links[si].iter().copied().map(Some).collect()
        };
        for link in links {
            let f = link.map(|l| dir.links[l].facility);
            let fac = f.map(|f| &snap.facilities[f as usize]);
            let ll = fac.and_then(|x| Some((x.lat?, x.lon?)));
            let distance_km = match (q.point, ll) {
                (Some((a, b)), Some((c, d))) => Some(haversine_m(a, b, c, d) / 1000.0),
                _ => None,
            };
            if q.point.is_some() {
                match (distance_km, q.radius_km) {
                    (None, _) => continue,
                    (Some(d), Some(r)) if d > r => continue,
                    _ => {}
                }
            }
            if let Some(pc) = &postcode {
                match (q.proximity_m, centroid, ll) {
                    (Some(m), Some((a, b)), Some((c, d))) => {
                        if haversine_m(a, b, c, d) > m {
                            continue;
                        }
                    }
                    (Some(_), _, _) => continue,
                    (None, _, _) => {
                        if fac
                            .and_then(|x| x.postcode.as_deref())
                            .map(compact)
                            .as_ref()
                            != Some(pc)
                        {
                            continue;
                        }
                    }
                }
            }
            if let Some(lang) = &q.language {
                let at_location = fac.map(|x| x.languages.as_slice()).unwrap_or(&[]);
                if !speaks(&s.languages, lang) && !speaks(at_location, lang) {
                    continue;
                }
            }
            let hours = hours_at(snap, si, f);
            if let Some(at) = q.open_at {
                if hours.is_open_at(at) != Some(true) {
                    continue;
                }
            }
            let address = fac.and_then(|x| {
                let parts: Vec<&str> = [
                    x.address.as_deref(),
                    x.city.as_deref(),
                    x.postcode.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect();
                (!parts.is_empty()).then(|| parts.join(", "))
            });
            let mut languages = s.languages.clone();
            for l in fac.map(|x| x.languages.as_slice()).unwrap_or(&[]) {
                if !languages.contains(l) {
                    languages.push(l.clone());
                }
            }
            hits.push(ServiceHit {
                service_id: s.uuid.clone(),
                name: s.name.clone(),
                organization_id: org.map(|o| o.uuid.clone()),
                organization_name: org.map(|o| o.name.clone()),
                description: s.description.clone(),
                taxonomy_terms: term_names.clone(),
                service_at_location_id: link.map(|l| dir.links[l].uuid.clone()),
                location_id: fac.map(|x| x.uuid.clone()),
                facility_id: fac.map(|x| x.id),
                location_name: fac.map(|x| x.name.clone()),
                address,
                distance_km: distance_km.map(|d| (d * 1000.0).round() / 1000.0),
                open_now: hours.is_open_at(q.open_at.unwrap_or(now)),
                today_hours: hours
                    .today(now)
                    .into_iter()
                    .map(|(a, b)| [a.format("%H:%M").to_string(), b.format("%H:%M").to_string()])
                    .collect(),
                languages,
                min_age: s.min_age,
                max_age: s.max_age,
                score,
                service_ix: si,
                link_ix: link,
            });
        }
    }
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(
                a.distance_km
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.distance_km.unwrap_or(f64::MAX)),
            )
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.service_id.cmp(&b.service_id))
            .then_with(|| a.service_at_location_id.cmp(&b.service_at_location_id))
    });
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_exactly_by_prefix_and_with_typos() {
        assert_eq!(word_match("food", "food"), 1.0);
        assert!(word_match("coun", "counselling") > 0.8);
        assert!(word_match("meals", "meal") > 0.8);
        assert!(word_match("counseling", "counselling") > 0.6);
        assert!(word_match("shleter", "shelter") > 0.6);
        assert_eq!(word_match("cat", "car"), 0.0);
        assert_eq!(word_match("food", "wood work"), 0.0);
    }

    #[test]
    fn name_outranks_taxonomy_outranks_description() {
        let text = |name: &str, terms: &str, description: &str| ServiceText {
            name: words_of([name]),
            terms: words_of([terms]),
            description: words_of([description]),
        };
        let q = query_words("shelter");
        let by_name = text_score(&q, &text("Night shelter", "housing", "beds"));
        let by_term = text_score(&q, &text("Night stop", "shelter", "beds"));
        let by_description = text_score(&q, &text("Night stop", "housing", "a shelter"));
        assert!(by_name > by_term && by_term > by_description && by_description > 0.0);
        // Every content word must match; stop words need not.
        assert_eq!(
            text_score(
                &query_words("shelter zebra"),
                &text("Night shelter", "", "")
            ),
            0.0
        );
        assert!(
            text_score(
                &query_words("help with shelter"),
                &text("Night shelter", "", "")
            ) > 0.0
        );
    }

    #[test]
    fn need_words_cross_languages() {
        for q in ["їжа", "еда", "food", "eda"] {
            let forms = expand(&normalize(q));
            assert!(forms.iter().any(|(w, _)| w == "food"), "{q}: {forms:?}");
        }
        // A typo in Ukrainian still reaches the need.
        let forms = expand(&normalize("харчуваня"));
        assert!(forms.iter().any(|(w, _)| w == "meals"), "{forms:?}");
        assert!(expand("zebra").len() == 1);
    }
}
