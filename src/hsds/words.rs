//! Language names as people write them in a language filter (`uk`, `Ukrainian`,
//! `українська`), so a filter matches however the directory spelt the language.
//! The needs people search for are in the vocabulary (`data/needs/needs.csv`,
//! [`super::vocabulary`]).

/// Language names in the three interface languages and English, by ISO 639-1
/// code, so `language=uk`, `Ukrainian` and `українська` find the same services.
pub const LANGUAGES: &[(&str, &[&str])] = &[
    ("en", &["english", "англійська", "английский", "eng"]),
    ("uk", &["ukrainian", "українська", "украинский", "ukr"]),
    ("ru", &["russian", "російська", "русский", "rus"]),
    (
        "es",
        &["spanish", "іспанська", "испанский", "spa", "español"],
    ),
    (
        "zh",
        &[
            "chinese",
            "китайська",
            "китайский",
            "mandarin",
            "cantonese",
            "zho",
        ],
    ),
    ("tl", &["tagalog", "filipino", "тагальська", "тагальский"]),
    ("vi", &["vietnamese", "вʼєтнамська", "вьетнамский"]),
    ("fr", &["french", "французька", "французский", "fra"]),
    ("de", &["german", "німецька", "немецкий", "deu"]),
    ("pl", &["polish", "польська", "польский", "pol"]),
    ("ar", &["arabic", "арабська", "арабский", "ara"]),
    ("ur", &["urdu", "урду", "urd"]),
    ("ko", &["korean", "корейська", "корейский", "kor"]),
    ("hi", &["hindi", "гінді", "хинди", "hin"]),
    ("it", &["italian", "італійська", "итальянский", "ita"]),
    ("fi", &["finnish", "фінська", "финский", "fin", "suomi"]),
    ("sv", &["swedish", "шведська", "шведский", "swe", "svenska"]),
];

/// The ISO 639-1 code of a language given by code or name in any of the tables'
/// spellings; `None` for a language the table does not know.
/// A qualified name (`Chinese (Mandarin)`) counts as its first word.
pub fn language_code(s: &str) -> Option<&'static str> {
    let l = s.trim().to_lowercase();
    let first = l
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    let code = [l.as_str(), first].into_iter().find_map(|w| {
        LANGUAGES
            .iter()
            .find(|(code, names)| std::iter::once(code).chain(names.iter()).any(|n| *n == w))
            .map(|(code, _)| *code)
    });
    code
}
