//! Text analysis for the services index: one pipeline for documents, queries and
//! the needs vocabulary, so the three always meet on the same terms.
//!
//! A text is normalised ([`normalize`], the names engine's: NFKC, lowercase,
//! punctuation to spaces), cut into words, and each word is reduced to a stem in
//! its language: English by Snowball (`rust-stemmers`), Russian by Snowball,
//! Ukrainian by the light suffix rules of [`super::ukrainian`] (Snowball has no
//! Ukrainian). A Cyrillic word's language is read from its letters (`і ї є ґ` are
//! Ukrainian, `ы э ъ` Russian) or, when the word has neither, from the rest of the
//! text; a query word that stays ambiguous is looked up under both stems.
//!
//! Stop words are kept in the token stream (phrases such as "no insurance" or
//! "без страховки" need them, and positions stay true for proximity) but are
//! flagged, so the index never posts them and a query never requires them.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::ukrainian;
use crate::names::normalize;

/// The language a word is stemmed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Uk,
    Ru,
    /// Digits, other scripts: kept as written.
    Other,
}

/// One analysed word.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The normalised word as written (`обідів`).
    pub word: String,
    /// Its stem (`обід`).
    pub stem: String,
    pub lang: Lang,
    /// A stop word: kept for phrases and positions, never indexed or required.
    pub stop: bool,
}

static EN: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
static RU: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Russian));

/// Which script and, for Cyrillic, which language a word's own letters say.
fn word_lang(w: &str) -> Option<Lang> {
    let mut cyr = false;
    let mut lat = false;
    for c in w.chars() {
        match c {
            'і' | 'ї' | 'є' | 'ґ' => return Some(Lang::Uk),
            'ы' | 'э' | 'ъ' => return Some(Lang::Ru),
            'а'..='я' | 'ё' => cyr = true,
            'a'..='z' => lat = true,
            _ => {}
        }
    }
    match (cyr, lat) {
        (true, _) => None,
        (false, true) => Some(Lang::En),
        (false, false) => Some(Lang::Other),
    }
}

/// The Cyrillic language a whole text leans to, from its marker letters; `None`
/// when it has none.
pub fn text_lang(normalized: &str) -> Option<Lang> {
    let (mut uk, mut ru) = (0usize, 0usize);
    for c in normalized.chars() {
        match c {
            'і' | 'ї' | 'є' | 'ґ' => uk += 1,
            'ы' | 'э' | 'ъ' => ru += 1,
            _ => {}
        }
    }
    match uk.cmp(&ru) {
        std::cmp::Ordering::Greater => Some(Lang::Uk),
        std::cmp::Ordering::Less => Some(Lang::Ru),
        std::cmp::Ordering::Equal => None,
    }
}

/// The stem of a normalised word in `lang`.
pub fn stem(word: &str, lang: Lang) -> String {
    match lang {
        Lang::En => EN.stem(word).into_owned(),
        Lang::Ru => RU.stem(word).into_owned(),
        Lang::Uk => ukrainian::stem(word),
        Lang::Other => word.to_string(),
    }
}

/// Whether a normalised word is a stop word in any of the three languages.
pub fn is_stop(word: &str) -> bool {
    STOP.contains(word)
}

static STOP: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    STOP_EN
        .iter()
        .chain(STOP_UK)
        .chain(STOP_RU)
        .copied()
        .collect()
});

/// The word's language: its own letters, else the text's (`fallback`), else
/// Ukrainian and Russian both (the caller decides what to do with the second).
pub fn langs_of(word: &str, fallback: Option<Lang>) -> (Lang, Option<Lang>) {
    match word_lang(word) {
        Some(l) => (l, None),
        None => match fallback {
            Some(l) => (l, None),
            None => (Lang::Uk, Some(Lang::Ru)),
        },
    }
}

/// Analyses a document field: every word with one stem (ambiguous Cyrillic words
/// take the text's language, Russian when the text does not say: the Snowball
/// stemmer is the more conservative of the two on Ukrainian-only endings).
pub fn analyze(text: &str) -> Vec<Token> {
    analyze_with(text, &mut StemCache::default())
}

/// Stems already worked out, per language by word: a directory repeats its
/// vocabulary across services, and stemming is most of the cost of analysis.
/// Keyed per language so a lookup borrows the word instead of allocating a key.
#[derive(Debug, Default)]
pub struct StemCache(std::collections::HashMap<Lang, std::collections::HashMap<String, String>>);

/// [`analyze`] with a cache shared across calls (index builds).
pub fn analyze_with(text: &str, cache: &mut StemCache) -> Vec<Token> {
    let norm = normalize(text);
    let fallback = text_lang(&norm);
    norm.split_whitespace()
        .map(|w| {
            let (lang, other) = langs_of(w, fallback);
            let lang = if other.is_some() { Lang::Ru } else { lang };
            let by_word = cache.0.entry(lang).or_default();
            if by_word.len() > 1_000_000 {
                by_word.clear();
            }
            let stem = match by_word.get(w) {
                Some(s) => s.clone(),
                None => {
                    let s = stem(w, lang);
                    by_word.insert(w.to_string(), s.clone());
                    s
                }
            };
            Token {
                word: w.to_string(),
                stem,
                lang,
                stop: is_stop(w),
            }
        })
        .collect()
}

/// Stop words: function words and the words every request carries ("help",
/// "need", "near me"), which say nothing of the need.
const STOP_EN: &[&str] = &[
    "a", "about", "all", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
    "can", "could", "do", "does", "for", "from", "get", "getting", "give", "go", "has", "have",
    "he", "her", "here", "him", "his", "how", "i", "if", "im", "in", "into", "is", "it", "its",
    "just", "looking", "me", "mine", "my", "near", "nearby", "need", "needs", "no", "not", "of",
    "on", "or", "our", "people", "person", "please", "service", "services", "she", "so", "some",
    "someone", "that", "the", "their", "them", "there", "they", "this", "to", "up", "us", "want",
    "was", "we", "what", "where", "which", "who", "whom", "will", "with", "would", "you", "your",
];
const STOP_UK: &[&str] = &[
    "а",
    "або",
    "але",
    "без",
    "біля",
    "в",
    "вам",
    "ви",
    "від",
    "він",
    "вона",
    "вони",
    "все",
    "де",
    "для",
    "до",
    "є",
    "з",
    "за",
    "зі",
    "знайти",
    "і",
    "із",
    "й",
    "його",
    "її",
    "коли",
    "людей",
    "люди",
    "людям",
    "людини",
    "мене",
    "мені",
    "ми",
    "мій",
    "моя",
    "можна",
    "моєї",
    "на",
    "над",
    "не",
    "ні",
    "о",
    "по",
    "послуга",
    "послуги",
    "потрібен",
    "потрібна",
    "потрібно",
    "при",
    "про",
    "та",
    "так",
    "те",
    "треба",
    "ти",
    "у",
    "хочу",
    "це",
    "ці",
    "цей",
    "ця",
    "чи",
    "що",
    "шукаю",
    "як",
    "який",
    "яка",
    "які",
    "я",
];
const STOP_RU: &[&str] = &[
    "а",
    "без",
    "в",
    "вам",
    "во",
    "вы",
    "где",
    "да",
    "для",
    "до",
    "его",
    "ее",
    "если",
    "есть",
    "за",
    "и",
    "из",
    "или",
    "им",
    "ищу",
    "к",
    "как",
    "какой",
    "кто",
    "ко",
    "когда",
    "людей",
    "люди",
    "людям",
    "меня",
    "мне",
    "мой",
    "моя",
    "можно",
    "мы",
    "на",
    "над",
    "найти",
    "не",
    "ни",
    "но",
    "нужен",
    "нужна",
    "нужно",
    "нужны",
    "о",
    "об",
    "около",
    "он",
    "она",
    "они",
    "от",
    "по",
    "при",
    "про",
    "рядом",
    "с",
    "со",
    "так",
    "то",
    "у",
    "услуга",
    "услуги",
    "хочу",
    "что",
    "это",
    "эта",
    "эти",
    "этот",
    "я",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_stem_in_their_language() {
        let t = analyze("Бесплатный стоматолог");
        assert_eq!(t[0].lang, Lang::Ru);
        assert_eq!(t[0].stem, "бесплатн");
        let t = analyze("безкоштовна клініка");
        assert_eq!(t[0].lang, Lang::Uk);
        assert_eq!(t[0].stem, analyze("безкоштовний")[0].stem);
        let t = analyze("Counselling for seniors");
        assert_eq!(t[0].stem, "counsel");
        assert!(t[1].stop);
        assert_eq!(t[2].stem, "senior");
    }
}
