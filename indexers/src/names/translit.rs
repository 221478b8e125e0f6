//! Cyrillic ↔ Latin transliteration tuned for drug names, and the cross-script
//! phonetic `skeleton` key.
//!
//! Official transliteration schemes (Ukrainian KMU 2010, Russian BGN) are made for
//! passports and street names: they turn `амоксицилін` into `amoksytsylin`, which
//! never meets `amoxicillin`. Drug names are mostly Latin/Greek words that were
//! transcribed *into* Cyrillic, so the primary scheme here undoes that
//! transcription (`ц` before a front vowel → `c`, `кс` → `x`, `и` → `i`), and the
//! official spellings are offered as variants because people type those too.

/// True when the string contains at least one Cyrillic letter and more Cyrillic
/// letters than Latin ones.
pub fn is_cyrillic(s: &str) -> bool {
    let mut cyr = 0usize;
    let mut lat = 0usize;
    for c in s.chars() {
        if is_cyr_char(c) {
            cyr += 1;
        } else if c.is_ascii_alphabetic() {
            lat += 1;
        }
    }
    cyr > 0 && cyr >= lat
}

pub(crate) fn is_cyr_char(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

/// Which rendering of the letters that differ between schemes.
#[derive(Clone, Copy)]
struct Scheme {
    /// `ц` before a front vowel: `c` (pharma) or `ts`.
    tse_soft_c: bool,
    /// `кс` → `x`.
    ks_x: bool,
    /// `х` → `h` (pharma), `kh` (official) or `ch` (Latin/Greek chi).
    kha: &'static str,
    /// `и` → `i` (pharma, Russian) or `y` (Ukrainian official).
    yi: &'static str,
    /// `г` → `g` (pharma, Russian) or `h` (Ukrainian official).
    ghe: &'static str,
    /// `ю`/`я` → `yu`/`ya` or `iu`/`ia`.
    iotated_y: bool,
    /// `ф` → `f` or `ph`.
    ef_ph: bool,
}

const PHARMA: Scheme = Scheme {
    tse_soft_c: true,
    ks_x: true,
    kha: "h",
    yi: "i",
    ghe: "g",
    iotated_y: true,
    ef_ph: false,
};

/// The schemes tried by [`latin_variants`], most useful first.
const VARIANTS: [Scheme; 8] = [
    PHARMA,
    // Official Ukrainian (KMU 2010).
    Scheme {
        tse_soft_c: false,
        ks_x: false,
        kha: "kh",
        yi: "y",
        ghe: "h",
        iotated_y: false,
        ef_ph: false,
    },
    // Russian BGN-ish.
    Scheme {
        tse_soft_c: false,
        ks_x: false,
        kha: "kh",
        yi: "i",
        ghe: "g",
        iotated_y: true,
        ef_ph: false,
    },
    // Pharma, with Greek chi, ph and Latin h.
    Scheme {
        tse_soft_c: true,
        ks_x: true,
        kha: "ch",
        yi: "i",
        ghe: "h",
        iotated_y: true,
        ef_ph: true,
    },
    // Pharma but `ks` kept.
    Scheme {
        tse_soft_c: true,
        ks_x: false,
        kha: "h",
        yi: "i",
        ghe: "g",
        iotated_y: true,
        ef_ph: false,
    },
    // Pharma but `ts` kept.
    Scheme {
        tse_soft_c: false,
        ks_x: true,
        kha: "h",
        yi: "i",
        ghe: "g",
        iotated_y: false,
        ef_ph: false,
    },
    // Ukrainian `и` as `y`, otherwise pharma.
    Scheme {
        tse_soft_c: true,
        ks_x: true,
        kha: "h",
        yi: "y",
        ghe: "h",
        iotated_y: true,
        ef_ph: false,
    },
    // Pharma with `kh`.
    Scheme {
        tse_soft_c: true,
        ks_x: true,
        kha: "kh",
        yi: "i",
        ghe: "g",
        iotated_y: true,
        ef_ph: true,
    },
];

fn is_front_vowel(c: char) -> bool {
    matches!(c, 'е' | 'є' | 'и' | 'і' | 'ї' | 'я' | 'ю' | 'э' | 'ы' | 'й')
}

fn is_cyr_vowel(c: char) -> bool {
    matches!(
        c,
        'а' | 'е' | 'є' | 'и' | 'і' | 'ї' | 'о' | 'у' | 'ю' | 'я' | 'э' | 'ы' | 'ё'
    )
}

fn translit_with(s: &str, sc: Scheme) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        match c {
            'а' => out.push('a'),
            'б' => out.push('b'),
            'в' => out.push('v'),
            'г' => out.push_str(sc.ghe),
            'ґ' => out.push('g'),
            'д' => out.push('d'),
            'е' | 'ё' => out.push('e'),
            'є' => out.push_str(if prev.is_none_or(|p| !is_cyr_char(p)) {
                "ye"
            } else {
                "ie"
            }),
            'ж' => out.push_str("zh"),
            'з' => out.push('z'),
            'и' => out.push_str(sc.yi),
            'і' => out.push('i'),
            'ї' => out.push('i'),
            'й' => out.push(if sc.iotated_y { 'y' } else { 'i' }),
            'к' => {
                if sc.ks_x && next == Some('с') {
                    out.push('x');
                    i += 1;
                } else {
                    out.push('k');
                }
            }
            'л' => out.push('l'),
            'м' => out.push('m'),
            'н' => out.push('n'),
            'о' => out.push('o'),
            'п' => out.push('p'),
            'р' => out.push('r'),
            'с' => out.push('s'),
            'т' => out.push('t'),
            'у' => out.push('u'),
            'ф' => out.push_str(if sc.ef_ph { "ph" } else { "f" }),
            'х' => out.push_str(sc.kha),
            'ц' => {
                if sc.tse_soft_c && next.is_some_and(is_front_vowel) {
                    out.push('c')
                } else {
                    out.push_str("ts")
                }
            }
            'ч' => out.push_str("ch"),
            'ш' => out.push_str("sh"),
            'щ' => out.push_str(if sc.iotated_y { "shch" } else { "sch" }),
            'ъ' | 'ь' => {}
            'ы' => out.push('y'),
            'э' => out.push('e'),
            'ю' => out.push_str(if sc.iotated_y { "yu" } else { "iu" }),
            'я' => {
                // `ия` at the end of a word is Latin `-ia` (магния → magnia).
                if prev.is_some_and(is_cyr_vowel) || !sc.iotated_y {
                    out.push_str("ia")
                } else {
                    out.push_str("ya")
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Primary pharma-aware transliteration of a normalised Cyrillic (uk or ru)
/// string; non-Cyrillic characters pass through unchanged.
///
/// `парацетамол` → `paracetamol`, `ібупрофен` → `ibuprofen`,
/// `амоксицилін` → `amoxicilin`.
pub fn to_latin(s: &str) -> String {
    translit_with(s, PHARMA)
}

/// Alternative Latin spellings of a Cyrillic string (official Ukrainian and
/// Russian schemes, `ts`/`c`, `kh`/`h`/`ch`, `yu`/`iu`, `ks`/`x`), primary first,
/// deduplicated, at most 8. Empty for a string without Cyrillic letters.
pub fn latin_variants(s: &str) -> Vec<String> {
    if !s.chars().any(is_cyr_char) {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(VARIANTS.len());
    for sc in VARIANTS {
        let v = translit_with(s, sc);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out.truncate(8);
    out
}

/// Best-effort Russian-style Cyrillic spelling of a Latin drug name
/// (`amoxicillin` → `амоксициллин`, `morphine` → `морфин`,
/// `hydroxyzine` → `гидроксизин`). Cyrillic input is returned unchanged.
pub fn to_cyrillic(s: &str) -> String {
    if is_cyrillic(s) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() * 2);
    let n = chars.len();
    let mut i = 0;
    let at = |k: usize| chars.get(k).copied();
    let is_vowel = |c: Option<char>| matches!(c, Some('a' | 'e' | 'i' | 'o' | 'u' | 'y'));
    let word_end = |k: usize| at(k).is_none_or(|c| !c.is_ascii_alphabetic());
    while i < n {
        let c = chars[i];
        // Does the text at `i` start with `p`? (No allocation: this runs per char.)
        let sw = |p: &str| {
            p.chars()
                .enumerate()
                .all(|(k, c)| chars.get(i + k) == Some(&c))
        };
        let prev = if i > 0 { at(i - 1) } else { None };
        let word_start = prev.is_none_or(|p| !p.is_ascii_alphabetic());
        let (cyr, used): (&str, usize) = if sw("shch") {
            ("щ", 4)
        } else if sw("sch") {
            ("сх", 3)
        } else if sw("ch") || sw("kh") {
            ("х", 2)
        } else if sw("ph") {
            ("ф", 2)
        } else if sw("th") {
            ("т", 2)
        } else if sw("rh") && word_start {
            ("р", 2)
        } else if sw("sh") {
            ("ш", 2)
        } else if sw("zh") {
            ("ж", 2)
        } else if sw("ts") && !word_end(i + 2) {
            ("ц", 2)
        } else if sw("qu") {
            ("кв", 2)
        } else if sw("ae") || sw("oe") {
            ("е", 2)
        } else if sw("yu") {
            ("ю", 2)
        } else if sw("ya") {
            ("я", 2)
        } else if sw("ia") && word_end(i + 2) {
            ("ия", 2)
        } else if sw("ck") {
            ("к", 2)
        } else {
            let next = at(i + 1);
            let s: &str = match c {
                'a' => "а",
                'b' => "б",
                'c' => {
                    if matches!(next, Some('e' | 'i' | 'y')) {
                        "ц"
                    } else {
                        "к"
                    }
                }
                'd' => "д",
                'e' => {
                    if word_end(i + 1) && !word_start && !is_vowel(prev) {
                        // Silent final -e: morphine → морфин.
                        ""
                    } else if word_start {
                        "э"
                    } else {
                        "е"
                    }
                }
                'f' => "ф",
                'g' => {
                    if matches!(next, Some('e' | 'i' | 'y')) && word_end(i + 2) {
                        "ж"
                    } else {
                        "г"
                    }
                }
                'h' => "г",
                'i' => "и",
                'j' => "й",
                'k' => "к",
                'l' => "л",
                'm' => "м",
                'n' => "н",
                'o' => "о",
                'p' => "п",
                'q' => "к",
                'r' => "р",
                's' => "с",
                't' => "т",
                'u' => "у",
                'v' | 'w' => "в",
                'x' => "кс",
                'y' => {
                    if is_vowel(prev) && !is_vowel(next) {
                        "й"
                    } else {
                        "и"
                    }
                }
                'z' => "з",
                _ => {
                    out.push(c);
                    i += 1;
                    continue;
                }
            };
            (s, 1)
        };
        out.push_str(cyr);
        i += used;
    }
    out
}

/// Coarse cross-script phonetic key of a normalised name, Latin or Cyrillic.
///
/// Used to merge the same substance across registers (`амоксициллин`,
/// `амоксицилін`, `amoxicillin` all give `amoksitsilin`) and as a candidate source
/// for phonetic misspellings (`ibuprophen`). It folds `x`/`ks`, `ph`/`f`, soft and
/// hard `c`, `y`/`i`, `th`/`t`, `kh`/`ch`/`h`/`g` (Russian writes Latin `h` as
/// `г`), `w`/`v`, `qu`/`kv`, `ae`/`oe`/`e`, drops `h` after consonants and a final
/// silent `-e`, and collapses doubled letters. It keeps consonant skeletons apart
/// otherwise, so `hydroxyzine` and `hydralazine` stay distinct; digits and spaces
/// are kept (so `vitamin b12` and `vitamin b6` do not meet).
pub fn skeleton(s: &str) -> String {
    let latin = if s.chars().any(is_cyr_char) {
        to_latin(s)
    } else {
        s.to_string()
    };
    let src: Vec<char> = latin
        .chars()
        .flat_map(|c| c.to_lowercase())
        .map(fold_accent)
        .collect();
    let n = src.len();
    let at = |k: usize| src.get(k).copied();
    let mut tmp: Vec<char> = Vec::with_capacity(n + 4);
    let mut i = 0;
    while i < n {
        let c = src[i];
        let next = at(i + 1);
        let word_end = |k: usize| at(k).is_none_or(|c| !c.is_ascii_alphabetic());
        match c {
            'p' if next == Some('h') => {
                tmp.push('f');
                i += 2;
                continue;
            }
            't' if next == Some('h') => {
                tmp.push('t');
                i += 2;
                continue;
            }
            'r' if next == Some('h') && (i == 0 || !src[i - 1].is_alphabetic()) => {
                tmp.push('r');
                i += 2;
                continue;
            }
            'k' | 'c' if next == Some('h') => {
                tmp.push('g');
                i += 2;
                continue;
            }
            'd' if next == Some('z') && at(i + 2) == Some('h') => {
                tmp.push('g');
                i += 3;
                continue;
            }
            'c' if next == Some('k') => {
                tmp.push('k');
                i += 2;
                continue;
            }
            'c' if matches!(next, Some('e' | 'i' | 'y')) => {
                tmp.extend(['t', 's']);
            }
            'c' => tmp.push('k'),
            'q' if next == Some('u') => {
                tmp.extend(['k', 'v']);
                i += 2;
                continue;
            }
            'q' => tmp.push('k'),
            'x' => tmp.extend(['k', 's']),
            'w' => tmp.push('v'),
            'y' | 'j' => tmp.push('i'),
            'h' => tmp.push('g'),
            'a' | 'o' if next == Some('e') => {
                tmp.push('e');
                i += 2;
                continue;
            }
            'e' if word_end(i + 1)
                && i > 0
                && at(i - 1).is_some_and(|p| p.is_ascii_alphabetic() && !is_lat_vowel(p)) =>
            {
                // silent final -e
            }
            _ => tmp.push(c),
        }
        i += 1;
    }
    let mut out = String::with_capacity(tmp.len());
    let mut last: Option<char> = None;
    for c in tmp {
        if Some(c) == last && c.is_alphabetic() {
            continue;
        }
        out.push(c);
        last = Some(c);
    }
    out
}

fn is_lat_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_latin_pharma() {
        assert_eq!(to_latin("парацетамол"), "paracetamol");
        assert_eq!(to_latin("ібупрофен"), "ibuprofen");
        assert_eq!(to_latin("ибупрофен"), "ibuprofen");
        assert_eq!(to_latin("амоксицилін"), "amoxicilin");
        assert_eq!(to_latin("цитрамон"), "citramon");
        assert_eq!(to_latin("хлоргексидин"), "hlorgexidin");
        assert_eq!(to_latin("юнидокс"), "yunidox");
        assert_eq!(to_latin("нурофен 200"), "nurofen 200");
        assert_eq!(to_latin("їжак є"), "izhak ye");
        assert!(is_cyrillic("нурофен"));
        assert!(!is_cyrillic("nurofen"));
        assert!(!is_cyrillic("123"));
    }

    #[test]
    fn variants_bounded_and_deduped() {
        let v = latin_variants("хлоргексидин цитрат");
        assert!(!v.is_empty() && v.len() <= 8);
        assert_eq!(v[0], to_latin("хлоргексидин цитрат"));
        assert!(v.iter().any(|x| x.starts_with("khlorheksydyn")));
        assert!(v.iter().any(|x| x.starts_with("chlorhexidin")));
        let mut d = v.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), v.len());
        assert!(latin_variants("abc").is_empty());
    }

    #[test]
    fn to_cyrillic_best_effort() {
        assert_eq!(to_cyrillic("amoxicillin"), "амоксициллин");
        assert_eq!(to_cyrillic("morphine"), "морфин");
        assert_eq!(to_cyrillic("ibuprofen"), "ибупрофен");
        assert_eq!(to_cyrillic("paracetamol"), "парацетамол");
        assert_eq!(to_cyrillic("hydroxyzine"), "гидроксизин");
        assert_eq!(to_cyrillic("chlorhexidine"), "хлоргексидин");
        assert_eq!(to_cyrillic("нурофен"), "нурофен");
    }

    #[test]
    fn skeleton_merges_scripts() {
        assert_eq!(skeleton("амоксициллин"), skeleton("amoxicillin"));
        assert_eq!(skeleton("амоксицилін"), skeleton("amoxicillin"));
        assert_eq!(skeleton("ибупрофен"), skeleton("ibuprofen"));
        assert_eq!(skeleton("ібупрофен"), skeleton("ibuprofen"));
        assert_eq!(skeleton("парацетамол"), skeleton("paracetamol"));
        assert_eq!(skeleton("морфин"), skeleton("morphine"));
        assert_eq!(skeleton("хлоргексидин"), skeleton("chlorhexidine"));
        assert_eq!(skeleton("гидроксизин"), skeleton("hydroxyzine"));
        assert_eq!(skeleton("цетиризин"), skeleton("cetirizine"));
        assert_eq!(skeleton("ibuprophen"), skeleton("ibuprofen"));
    }

    #[test]
    fn skeleton_keeps_lookalikes_apart() {
        assert_ne!(skeleton("hydroxyzine"), skeleton("hydralazine"));
        assert_ne!(skeleton("celebrex"), skeleton("cerebyx"));
        assert_ne!(skeleton("vitamin b12"), skeleton("vitamin b6"));
    }
}
