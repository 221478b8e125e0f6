//! One normaliser for every indexed name and every query.
//!
//! Register data is messy: `NUROFЄN®`, `LІNEZOLІD` (Cyrillic `І` inside a Latin
//! word), `Экспресс Фoрте` (Latin `o` inside a Cyrillic word), `Но-шпа`. If names
//! and queries are not reduced to the same form the fst lookups below cannot meet,
//! so this function is the single place where that reduction happens.

use unicode_normalization::UnicodeNormalization;

/// Normalise a name or a query: NFKC, homoglyph repair, lowercase, `ё`→`е`,
/// trademark marks dropped, punctuation turned into spaces, spaces collapsed.
///
/// A `.` or `,` between two digits becomes `.` (so `0,5 мг` and `0.5 mg` agree on
/// the strength); apostrophes inside words are dropped (Ukrainian `м'ята`), because
/// people type them in three different code points or not at all.
pub fn normalize(s: &str) -> String {
    // Marks go before NFKC, which would otherwise expand `™` into the letters `TM`.
    let nfkc: String = s.chars().filter(|&c| !is_mark(c)).nfkc().collect();
    let chars: Vec<char> = nfkc.chars().collect();
    // Split into separators and words; each word is lowercased and repaired alone.
    let mut out = String::with_capacity(nfkc.len());
    let mut word: Vec<char> = Vec::new();
    let mut pending_space = false;
    let flush = |word: &mut Vec<char>, out: &mut String, pending_space: &mut bool| {
        if word.is_empty() {
            return;
        }
        if *pending_space && !out.is_empty() {
            out.push(' ');
        }
        *pending_space = false;
        // Repair runs on lowercase letters so that a second pass sees exactly
        // the same evidence (this is what makes `normalize` idempotent).
        let mut lower: Vec<char> = Vec::with_capacity(word.len());
        for &c in word.iter() {
            push_lower(&mut lower, c);
        }
        repair_word(&mut lower);
        out.extend(lower.iter());
        word.clear();
    };
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            word.push(c);
            continue;
        }
        if is_mark(c) || is_apostrophe(c) {
            // Dropped without splitting the word: `NUROFEN®` and `м'ята`.
            continue;
        }
        if (c == '.' || c == ',')
            && !word.is_empty()
            && word.last().is_some_and(|p| p.is_ascii_digit())
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
        {
            word.push('.');
            continue;
        }
        flush(&mut word, &mut out, &mut pending_space);
        pending_space = true;
    }
    flush(&mut word, &mut out, &mut pending_space);
    out
}

fn is_mark(c: char) -> bool {
    matches!(c, '®' | '™' | '©' | '℗' | '℠' | '*')
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '`' | '‘' | 'ʹ')
}

fn push_lower(out: &mut Vec<char>, c: char) {
    match c {
        'ё' | 'Ё' => out.push('е'),
        // Greek final sigma and similar oddities are left to `to_lowercase`.
        _ => out.extend(c.to_lowercase()),
    }
}

fn is_cyr(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

fn is_lat(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '\u{00C0}'..='\u{024F}')
}

/// Cyrillic letter that looks like a Latin one (in lowercase; the register is
/// often uppercase, so pairs such as `н`/`h` from `Н`/`H` are included).
fn cyr_to_lat(c: char) -> Option<char> {
    Some(match c {
        'а' => 'a',
        'в' => 'b',
        'е' | 'є' => 'e',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'х' => 'x',
        'і' | 'ї' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'у' => 'y',
        _ => return None,
    })
}

/// Latin letter that looks like a Cyrillic one (lowercase, see [`cyr_to_lat`]).
fn lat_to_cyr(c: char) -> Option<char> {
    Some(match c {
        'a' => 'а',
        'b' => 'в',
        'e' => 'е',
        'k' => 'к',
        'm' => 'м',
        'h' => 'н',
        'o' => 'о',
        'p' => 'р',
        'c' => 'с',
        't' => 'т',
        'x' => 'х',
        'i' => 'і',
        'y' => 'у',
        _ => return None,
    })
}

/// Rewrite look-alike letters of the minority script into the majority script of
/// the word. Letters without a look-alike in the other script decide first (they
/// are unambiguous evidence); on a tie the word is left alone rather than guessed.
fn repair_word(word: &mut [char]) {
    let (mut lat_strong, mut cyr_strong, mut lat_all, mut cyr_all) =
        (0usize, 0usize, 0usize, 0usize);
    for &c in word.iter() {
        if is_lat(c) {
            lat_all += 1;
            if lat_to_cyr(c).is_none() {
                lat_strong += 1;
            }
        } else if is_cyr(c) {
            cyr_all += 1;
            if cyr_to_lat(c).is_none() {
                cyr_strong += 1;
            }
        }
    }
    if lat_all == 0 || cyr_all == 0 {
        return;
    }
    let latin_wins = if lat_strong != cyr_strong {
        lat_strong > cyr_strong
    } else if lat_all != cyr_all {
        lat_all > cyr_all
    } else {
        return;
    };
    for c in word.iter_mut() {
        let mapped = if latin_wins {
            cyr_to_lat(*c)
        } else {
            lat_to_cyr(*c)
        };
        if let Some(m) = mapped {
            *c = m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(normalize("  НУРОФЄН®  Forte  "), "нурофєн forte");
        assert_eq!(normalize("Но-шпа"), "но шпа");
        assert_eq!(
            normalize("Ацетилсалициловая кислота [Аспирин]"),
            "ацетилсалициловая кислота аспирин"
        );
        assert_eq!(normalize("Ёлка"), "елка");
        assert_eq!(normalize("Paracetamol 0,5 g"), "paracetamol 0.5 g");
        assert_eq!(normalize("м'ята"), "мята");
        assert_eq!(normalize("ＰＡＲＡＣＥＴＡＭＯＬ"), "paracetamol");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("®™*"), "");
    }

    #[test]
    fn homoglyphs() {
        // Cyrillic І inside a Latin word.
        assert_eq!(normalize("LІNEZOLІD EURO"), "linezolid euro");
        // Ukrainian Є inside a Latin word.
        assert_eq!(normalize("NUROFЄN®"), "nurofen");
        // Latin o inside a Cyrillic word.
        assert_eq!(normalize("Экспресс Фoрте"), "экспресс форте");
        // Uppercase Latin H/B/M/T in a Cyrillic word.
        assert_eq!(normalize("НУРОФEН"), "нурофен");
        assert!(normalize("LІNEZOLІD").is_ascii());
    }

    #[test]
    fn idempotent() {
        let samples = [
            "LІNEZOLІD EURO",
            "Экспресс Фoрте",
            "Amoxicillin/Clavulanic acid 500 mg/125 mg",
            "ТераФлю® ЭкстраТаб",
            "Ацетилсалициловая кислота+Кофеин",
            "  a  b\tc\n",
            "0,5%  р-р",
            "Ⅻ ﬁ ㎎",
            "x.y,1.2,3",
            "ʼ'’",
            "Ї Є Ґ",
        ];
        for s in samples {
            let once = normalize(s);
            assert_eq!(normalize(&once), once, "not idempotent on {s:?}");
            assert!(!once.contains("  "));
            assert_eq!(once.trim(), once);
        }
    }
}
