//! A light Ukrainian stemmer: Snowball has none, and the people who read a
//! directory type the same need in many case forms ("обіди", "обідів", "обідами").
//!
//! One pass strips the longest known inflectional ending (reflexive `-ся` first,
//! then adjective, verb and noun endings) as long as at least two letters stay,
//! then a soft sign. It does not undo stem alternations (`кінь`/`коня`, `клініка`/
//! `клініці`): typo tolerance in the query covers one such letter. Light on
//! purpose: an aggressive stemmer merges words that mean different things, and a
//! missed merge costs less (the needs vocabulary lists the common forms anyway).

/// Endings, longest first within the list (the first that fits is stripped).
const ENDINGS: &[&str] = &[
    // Adjectives and participles.
    "ими", "іми", "ого", "ому", "ему", "ій", "ий", "ої", "ою", "ею", "их", "іх", "им", "ім", "ая",
    "яя", "ее", "ие", "ые", // Russian-looking forms people type in surzhyk
    // Verbs.
    "ати", "ити", "іти", "ути", "яти", "ать", "ить", "ють", "ать", "уть", "ете", "ємо", "емо",
    "ими", "ла", "ло", "ли", "ти", "ть", // Nouns.
    "ією", "єю", "ія", "ію", "ії", "ами", "ями", "ові", "еві", "єві", "ам", "ям", "ах", "ях", "ів",
    "їв", "ей", "ом", "ем", "єм", "ою", "ею", "а", "е", "є", "и", "і", "ї", "о", "у", "ю", "я",
    "й",
];

/// The stem of a normalised (lowercase) Ukrainian word.
pub fn stem(word: &str) -> String {
    let mut w: &str = word;
    for refl in ["ся", "сь"] {
        if let Some(s) = w.strip_suffix(refl) {
            if s.chars().count() >= 3 {
                w = s;
                break;
            }
        }
    }
    let mut best: Option<&str> = None;
    for e in ENDINGS {
        if let Some(s) = w.strip_suffix(e) {
            if s.chars().count() >= 2 && best.is_none_or(|b: &str| s.len() < b.len()) {
                best = Some(s);
            }
        }
    }
    let w = best.unwrap_or(w);
    let w = w
        .strip_suffix('ь')
        .filter(|s| s.chars().count() >= 3)
        .unwrap_or(w);
    w.to_string()
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn case_forms_meet() {
        for group in [
            &["обід", "обіди", "обідів", "обідами", "обіду"][..],
            &[
                "безкоштовна",
                "безкоштовний",
                "безкоштовні",
                "безкоштовного",
            ],
            &["клініка", "клініки", "клініку", "клінікою"],
            &["гарячі", "гарячих", "гарячими"],
            &["доставка", "доставки", "доставку", "доставкою"],
            &["літні", "літнім", "літніх"],
            &["декларація", "декларацією", "декларації", "декларацію"],
        ] {
            let stems: Vec<String> = group.iter().map(|w| stem(w)).collect();
            assert!(
                stems.windows(2).all(|p| p[0] == p[1]),
                "{group:?} → {stems:?}"
            );
        }
        // Short words keep at least two letters.
        assert_eq!(stem("їжа"), stem("їжі"));
        assert_eq!(stem("дім"), "дім");
    }
}
