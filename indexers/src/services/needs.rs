//! The needs vocabulary: a small multilingual taxonomy we own (`data/needs/`),
//! with Open Eligibility terms as the English backbone and Ukrainian and Russian
//! labels and synonyms. It is the bridge between languages: a service described
//! in English is tagged with the needs its text and taxonomy name, and a query in
//! any of the three languages is read into the same needs, so "бесплатный
//! стоматолог" meets "Project Smile … free dental care".
//!
//! Phrases are stored as stem sequences produced by [`super::analyze`], the same
//! pipeline that reads services and queries, so a phrase matches any case form
//! the stemmer folds together. Tagging a service propagates to the need's
//! ancestors (a service for home-delivered meals is a food service).

use std::collections::HashMap;

use super::analyze::{analyze, langs_of, stem, Lang, Token};
use crate::names::normalize;

/// One row of the vocabulary, as the caller read it (the crate does no I/O).
#[derive(Debug, Clone, Default)]
pub struct NeedInput {
    /// Stable slug (`dental`, `cost-free`).
    pub id: String,
    pub parent: Option<String>,
    /// Open Eligibility term names (or a directory's keywords) this need covers.
    pub oe_terms: Vec<String>,
    /// Words and phrases per language; the first of each is its label.
    pub en: Vec<String>,
    pub uk: Vec<String>,
    pub ru: Vec<String>,
}

/// A need as the index keeps it.
#[derive(Debug, Clone)]
pub struct Need {
    pub id: String,
    pub parent: Option<u32>,
    /// Labels in English, Ukrainian, Russian (empty when the row has none).
    pub labels: [String; 3],
}

/// The compiled vocabulary.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub needs: Vec<Need>,
    /// Stem sequence → needs it names.
    phrases: HashMap<Vec<String>, Vec<u32>>,
    /// Phrases of two or more words by their first stem, for matching with gaps.
    by_first: HashMap<String, Vec<Vec<String>>>,
    /// Single-word stems, for typo-tolerant matching of one query word.
    single: Vec<(Vec<char>, u32)>,
    /// Normalised taxonomy term → needs.
    oe: HashMap<String, Vec<u32>>,
}

/// Where in a token stream a need's phrase was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeedMatch {
    pub need: u32,
    pub start: usize,
    pub len: usize,
}

impl Needs {
    pub fn build(rows: &[NeedInput]) -> Needs {
        let index: HashMap<&str, u32> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i as u32))
            .collect();
        let mut v = Needs {
            needs: rows
                .iter()
                .map(|r| Need {
                    id: r.id.clone(),
                    parent: r
                        .parent
                        .as_deref()
                        .and_then(|p| index.get(p).copied())
                        .filter(|p| rows[*p as usize].id != r.id),
                    labels: [&r.en, &r.uk, &r.ru].map(|l| l.first().cloned().unwrap_or_default()),
                })
                .collect(),
            ..Needs::default()
        };
        for (i, r) in rows.iter().enumerate() {
            let i = i as u32;
            for (lang, words) in [(Lang::En, &r.en), (Lang::Uk, &r.uk), (Lang::Ru, &r.ru)] {
                for phrase in words {
                    for stems in phrase_stems(phrase, lang) {
                        v.add_phrase(stems, i);
                    }
                }
            }
            for t in &r.oe_terms {
                let key = normalize(t);
                if !key.is_empty() {
                    v.oe.entry(key).or_default().push(i);
                }
            }
        }
        for list in v.phrases.values_mut().chain(v.oe.values_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        v.single.sort();
        v.single.dedup();
        v
    }

    fn add_phrase(&mut self, stems: Vec<String>, need: u32) {
        if stems.is_empty() {
            return;
        }
        if stems.len() > 1 && !self.phrases.contains_key(&stems) {
            self.by_first
                .entry(stems[0].clone())
                .or_default()
                .push(stems.clone());
        }
        if stems.len() == 1 && stems[0].chars().count() >= 4 {
            self.single.push((stems[0].chars().collect(), need));
        }
        self.phrases.entry(stems).or_default().push(need);
    }

    pub fn len(&self) -> usize {
        self.needs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.needs.is_empty()
    }

    /// The need and its ancestors (a cycle in the data stops the walk).
    pub fn with_ancestors(&self, need: u32, out: &mut Vec<u32>) {
        let mut cur = Some(need);
        let mut steps = 0;
        while let Some(n) = cur {
            if out.contains(&n) || steps > 16 {
                break;
            }
            out.push(n);
            cur = self.needs.get(n as usize).and_then(|x| x.parent);
            steps += 1;
        }
    }

    /// Needs a taxonomy term (by name) stands for.
    pub fn of_term(&self, term: &str) -> &[u32] {
        self.oe.get(&normalize(term)).map_or(&[], |v| v.as_slice())
    }

    /// Every need phrase in a token stream (overlaps allowed): what a service's
    /// text says it offers. A word may stand between two words of a phrase
    /// ("кредит на вживану машину" is "кредит на машину"; "hot home-delivered
    /// meals" is "home-delivered meals"). A stream of stop words alone names
    /// nothing.
    pub fn find_all(&self, tokens: &[Token]) -> Vec<NeedMatch> {
        let mut out = Vec::new();
        for (start, t) in tokens.iter().enumerate() {
            if !t.stop {
                if let Some(needs) = self.phrases.get(std::slice::from_ref(&t.stem)) {
                    out.extend(needs.iter().map(|&need| NeedMatch {
                        need,
                        start,
                        len: 1,
                    }));
                }
            }
            for phrase in self.by_first.get(&t.stem).map_or(&[][..], |v| v.as_slice()) {
                if let Some(end) = match_with_gaps(tokens, start, phrase) {
                    if let Some(needs) = self.phrases.get(phrase) {
                        out.extend(needs.iter().map(|&need| NeedMatch {
                            need,
                            start,
                            len: end - start,
                        }));
                    }
                }
            }
        }
        out
    }

    /// The needs a query word names within `budget` typos (closest first, same
    /// first letter), for words no phrase matched exactly.
    pub fn fuzzy(&self, stem: &str, budget: usize) -> Vec<(u32, usize)> {
        let q: Vec<char> = stem.chars().collect();
        let mut out: Vec<(u32, usize)> = Vec::new();
        // Same first letter (a slip there is rare in real misspellings), so a
        // word costs a few dozen distances, not one per vocabulary word.
        let Some(&first) = q.first() else {
            return out;
        };
        let from = self
            .single
            .partition_point(|(w, _)| w.first() < Some(&first));
        for (w, need) in self.single[from..]
            .iter()
            .take_while(|(w, _)| w.first() == Some(&first))
        {
            if w.len().abs_diff(q.len()) > budget {
                continue;
            }
            let d = crate::names::edit::osa_distance(&q, w);
            if d <= budget {
                out.push((*need, d));
            }
        }
        out.sort_by_key(|&(n, d)| (d, n));
        out.dedup_by_key(|x| x.0);
        out
    }
}

/// Where `phrase` (stems) ends when it starts at `tokens[start]`, with at most
/// one other word between two of its words.
fn match_with_gaps(tokens: &[Token], start: usize, phrase: &[String]) -> Option<usize> {
    let mut i = start + 1;
    for want in &phrase[1..] {
        if tokens.get(i).is_some_and(|t| &t.stem == want) {
            i += 1;
        } else if tokens.get(i + 1).is_some_and(|t| &t.stem == want) {
            i += 2;
        } else {
            return None;
        }
    }
    Some(i)
}

/// A phrase's stem sequences in its language. A Cyrillic word without marker
/// letters could be stemmed either way by a reader of the text, so the phrase is
/// registered under both readings.
fn phrase_stems(phrase: &str, lang: Lang) -> Vec<Vec<String>> {
    let tokens = analyze(phrase);
    let mut main = Vec::with_capacity(tokens.len());
    let mut alt = Vec::with_capacity(tokens.len());
    let mut differs = false;
    for t in &tokens {
        let (own, other) = langs_of(&t.word, None);
        let l = match (own, other, lang) {
            (Lang::En | Lang::Other, _, _) => own,
            (_, Some(_), Lang::Uk | Lang::Ru) => lang,
            _ => own,
        };
        let s1 = stem(&t.word, l);
        let s2 = match (other, l) {
            (Some(_), Lang::Uk) => stem(&t.word, Lang::Ru),
            (Some(_), Lang::Ru) => stem(&t.word, Lang::Uk),
            _ => s1.clone(),
        };
        differs |= s1 != s2;
        main.push(s1);
        alt.push(s2);
    }
    let mut out = vec![main];
    if differs {
        out.push(alt);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<NeedInput> {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        vec![
            NeedInput {
                id: "food".into(),
                en: s(&["food", "meals"]),
                uk: s(&["їжа", "обіди"]),
                ru: s(&["еда", "обеды"]),
                ..NeedInput::default()
            },
            NeedInput {
                id: "meals-home".into(),
                parent: Some("food".into()),
                oe_terms: s(&["Meal Sites/Home-delivered Meals"]),
                en: s(&["meals on wheels", "home delivered meals"]),
                uk: s(&["доставка обідів"]),
                ru: s(&["доставка обедов"]),
            },
            NeedInput {
                id: "cost-free".into(),
                en: s(&["free", "no insurance"]),
                uk: s(&["безкоштовно", "безкоштовна"]),
                ru: s(&["бесплатно", "бесплатный"]),
                ..NeedInput::default()
            },
        ]
    }

    #[test]
    fn phrases_match_any_case_form() {
        let v = Needs::build(&rows());
        let found = v.find_all(&analyze("доставка гарячих обідів"));
        let ids: Vec<&str> = found
            .iter()
            .map(|m| v.needs[m.need as usize].id.as_str())
            .collect();
        assert!(ids.contains(&"food"), "{ids:?}");
        let found = v.find_all(&analyze("dentist for people with no insurance"));
        assert!(found
            .iter()
            .any(|m| v.needs[m.need as usize].id == "cost-free" && m.len == 2));
        let found = v.find_all(&analyze("Meals on Wheels - South County"));
        assert!(found
            .iter()
            .any(|m| v.needs[m.need as usize].id == "meals-home"));
        assert_eq!(v.of_term("meal sites/home-delivered meals"), &[1]);
        let mut up = Vec::new();
        v.with_ancestors(1, &mut up);
        assert_eq!(up, vec![1, 0]);
    }

    #[test]
    fn a_misspelt_word_reaches_its_need() {
        let v = Needs::build(&rows());
        let s = analyze("безкоштовно")[0].stem.clone();
        let typo = format!("{s}x");
        assert_eq!(v.fuzzy(&typo, 1).first().map(|x| x.0), Some(2));
    }
}
