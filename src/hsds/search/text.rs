//! Text matching: a service's searchable words ([`ServiceText`], built once per
//! snapshot) and a query's words with every form they are matched by (transliterated,
//! retyped in the other keyboard layout, widened to the same need in three
//! languages), scored exactly, by prefix or within a typo or two, name over taxonomy
//! over description. Kept apart from the filters and the hits because it is where
//! a search spends its time and where its quality is tuned; the tests beside it pin
//! the ranking rules.

use std::cell::RefCell;
use std::collections::HashMap;

use medmap_indexers::names::{is_cyrillic, normalize, switch_layout_all, to_latin};

use crate::hsds::words::{NEEDS, STOPWORDS};
use crate::store::{ServiceRow, TermRow};

/// Weights of the fields a word can match in: name > taxonomy > description.
const NAME_WEIGHT: f32 = 3.0;
const TERM_WEIGHT: f32 = 2.0;
const DESCRIPTION_WEIGHT: f32 = 1.0;

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
pub(super) struct QueryWord {
    forms: Forms,
    layout_forms: Vec<Forms>,
}

/// The query's content words with their forms (stop words dropped).
pub(super) fn query_words(text: &str) -> Vec<QueryWord> {
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
pub(super) fn text_score(words: &[QueryWord], t: &ServiceText) -> f32 {
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
