//! Query parsing: what part of a typed query names the medication.
//!
//! People add strength (`500 mg`, `500мг`, `0,5 г`), form (`tablets`, `таблетки`,
//! `р-р`), pack size (`№20`) and filler (`для`, `купить`) to a name. Those words are
//! stripped before fuzzy matching; the full normalised query is still tried as an
//! exact name first, because some registered names contain them
//! (`нурофен для детей`).

/// Units that follow a number in a strength.
const UNITS: &[&str] = &[
    "mg",
    "мг",
    "g",
    "г",
    "gr",
    "гр",
    "ml",
    "мл",
    "mcg",
    "мкг",
    "µg",
    "μg",
    "ug",
    "me",
    "ме",
    "iu",
    "од",
    "ед",
    "mmol",
    "ммоль",
    "l",
    "л",
    "kg",
    "кг",
    "doz",
    "доз",
    "dose",
    "doses",
    "units",
    "unit",
    "mln",
    "млн",
    "тыс",
    "тис",
    "pcs",
    "шт",
    "x",
    "х",
];

/// Dose forms and filler words in en/uk/ru (only whole tokens are dropped).
const FORM_WORDS: &[&str] = &[
    // English
    "tablet",
    "tablets",
    "tab",
    "tabs",
    "tbl",
    "capsule",
    "capsules",
    "caps",
    "cap",
    "syrup",
    "cream",
    "gel",
    "ointment",
    "solution",
    "sol",
    "inj",
    "injection",
    "injections",
    "spray",
    "drops",
    "drop",
    "suspension",
    "susp",
    "powder",
    "effervescent",
    "suppositories",
    "suppository",
    "film",
    "coated",
    "oral",
    "nasal",
    "eye",
    "ear",
    "vial",
    "ampoule",
    "ampoules",
    "amp",
    "sachet",
    "sachets",
    "lozenges",
    "lozenge",
    "patch",
    "buy",
    "price",
    "pills",
    "pill",
    "for",
    "of",
    "the",
    "in",
    "mg",
    "ml",
    "chewable",
    "extended",
    "release",
    "er",
    "xr",
    "sr",
    "retard",
    // Ukrainian
    "таблетки",
    "таблетка",
    "таблеток",
    "табл",
    "таб",
    "капсули",
    "капсула",
    "капсул",
    "капс",
    "сироп",
    "крем",
    "гель",
    "мазь",
    "розчин",
    "розчину",
    "р",
    "рр",
    "ін",
    "інєкцій",
    "ампули",
    "ампула",
    "амп",
    "спрей",
    "краплі",
    "крапель",
    "суспензія",
    "суспензії",
    "порошок",
    "порошку",
    "шипучі",
    "свічки",
    "супозиторії",
    "супп",
    "оболонкою",
    "вкриті",
    "плівковою",
    "для",
    "купити",
    "ціна",
    "пігулки",
    "пігулок",
    "жувальні",
    "очні",
    "назальний",
    "саше",
    "пакетики",
    "льодяники",
    "пластир",
    "флакон",
    "ампулах",
    // Russian
    "таблеток",
    "таблетки",
    "таблетка",
    "капсулы",
    "капсула",
    "сироп",
    "раствор",
    "раствора",
    "инъекций",
    "инъекции",
    "ампулы",
    "спрей",
    "капли",
    "суспензия",
    "суспензии",
    "порошок",
    "шипучие",
    "свечи",
    "суппозитории",
    "оболочкой",
    "покрытые",
    "пленочной",
    "купить",
    "цена",
    "жевательные",
    "глазные",
    "назальный",
    "пакетики",
    "леденцы",
    "пластырь",
    "флакон",
    "уколы",
    "шт",
];

/// True for a token that is a strength, a pack size or a bare number.
pub(crate) fn is_strength(tok: &str) -> bool {
    let Some(first) = tok.chars().next() else {
        return false;
    };
    if !first.is_ascii_digit() {
        // `no20`/`n20` pack sizes (NFKC turns `№` into `No`).
        for p in ["no", "n", "х", "x"] {
            if let Some(rest) = tok.strip_prefix(p) {
                if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) {
                    return true;
                }
            }
        }
        return UNITS.contains(&tok);
    }
    let unit_start = tok
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map(|(i, _)| i)
        .unwrap_or(tok.len());
    let unit = &tok[unit_start..];
    unit.is_empty() || UNITS.contains(&unit) || unit == "%"
}

pub(crate) fn is_form_word(tok: &str) -> bool {
    FORM_WORDS.contains(&tok)
}

/// Maximum number of tokens kept from a query; more words add cost, not meaning.
pub(crate) const MAX_TOKENS: usize = 8;

/// The medication part of a normalised query: strength, form and filler tokens
/// removed. Falls back to the first tokens of the query if nothing is left.
pub(crate) fn core_tokens(normalized: &str) -> Vec<&str> {
    let all: Vec<&str> = normalized.split(' ').filter(|t| !t.is_empty()).collect();
    let core: Vec<&str> = all
        .iter()
        .copied()
        .filter(|t| !is_strength(t) && !is_form_word(t))
        .take(MAX_TOKENS)
        .collect();
    if core.is_empty() {
        all.into_iter().take(MAX_TOKENS).collect()
    } else {
        core
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_strength_and_form() {
        assert_eq!(core_tokens("paracetamol 500 mg"), vec!["paracetamol"]);
        assert_eq!(
            core_tokens("paracetamol 500mg tablets"),
            vec!["paracetamol"]
        );
        assert_eq!(core_tokens("нурофен таблетки"), vec!["нурофен"]);
        assert_eq!(core_tokens("парацетамол 0.5 г no20"), vec!["парацетамол"]);
        assert_eq!(
            core_tokens("amoxicillin clavulanic acid"),
            vec!["amoxicillin", "clavulanic", "acid"]
        );
        assert_eq!(core_tokens("vitamin b12"), vec!["vitamin", "b12"]);
        assert_eq!(core_tokens("антиген h1n1"), vec!["антиген", "h1n1"]);
        assert_eq!(core_tokens("500 mg"), vec!["500", "mg"]);
        assert!(core_tokens("").is_empty());
    }
}
