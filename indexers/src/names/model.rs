//! The records the app hands to [`super::NameIndex::build`] and what searches
//! return. Plain data, so the app can build them from whatever store it uses.

use serde::{Deserialize, Serialize};

/// A substance (INN, e.g. paracetamol) or a product (a registered trade name,
/// e.g. Нурофен). Their ids live in separate spaces; `(kind, id)` is unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConceptKind {
    Substance,
    Product,
}

/// The language a name was published in; used only to pick transliteration
/// direction and display names, never to filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    Uk,
    Ru,
    Latin,
    Other,
}

impl Lang {
    /// The code stored with a name (`names.lang`).
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Uk => "uk",
            Lang::Ru => "ru",
            Lang::Latin => "latin",
            Lang::Other => "other",
        }
    }

    /// A stored code; anything unknown is `Other` (a name is never dropped for it).
    pub fn parse(s: &str) -> Lang {
        match s {
            "en" => Lang::En,
            "uk" => Lang::Uk,
            "ru" => Lang::Ru,
            "latin" => Lang::Latin,
            _ => Lang::Other,
        }
    }
}

/// One spelling of a concept's name, raw (the index normalises).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameInput {
    pub text: String,
    pub lang: Lang,
}

impl NameInput {
    pub fn new(text: impl Into<String>, lang: Lang) -> Self {
        NameInput {
            text: text.into(),
            lang,
        }
    }
}

/// A concept as the app knows it.
#[derive(Debug, Clone)]
pub struct ConceptInput {
    /// The app's id.
    pub id: i64,
    pub kind: ConceptKind,
    /// Display names first; every known spelling (uk, ru, en, latin).
    pub names: Vec<NameInput>,
    /// For products: substance ids. For substances: empty.
    pub ingredients: Vec<i64>,
    /// Prior: number of products containing it / pharmacies stocking it (0 if
    /// unknown). Breaks ties between names at the same distance.
    pub popularity: f32,
}

/// What the index keeps about a concept (returned by
/// [`super::NameIndex::concept`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConceptInfo {
    pub id: i64,
    pub kind: ConceptKind,
    /// The names as given (deduplicated by normalised form), display names first.
    pub names: Vec<NameInput>,
    /// Substance ids, sorted and deduplicated (empty for substances).
    pub ingredients: Vec<i64>,
    pub popularity: f32,
}

/// How a hit was reached, reported to users as `match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The normalised query equals an indexed name.
    Exact,
    /// The query is a prefix of an indexed name.
    Prefix,
    /// Misspelling: edit distance, trigrams or phonetic key.
    Fuzzy,
    /// Reached through the other script (Cyrillic ↔ Latin).
    Translit,
    /// Reached by retyping the query in the other keyboard layout.
    Layout,
}

/// One ranked result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub kind: ConceptKind,
    pub id: i64,
    /// Higher is better; exact matches score above everything else.
    pub score: f32,
    /// The indexed (normalised) name that matched.
    pub matched: String,
    pub match_kind: MatchKind,
}
