//! Wrong keyboard layout: a query typed with the Russian or Ukrainian ЙЦУКЕН
//! layout active while meaning a Latin name, or the reverse (`gfhfwtnfvjk` is
//! `парацетамол` typed on QWERTY, `зфкфсуефьщд` is `paracetamol` typed on ЙЦУКЕН).
//!
//! The punctuation keys matter (`;` is `ж`, `,` is `б`, `'` is `э`/`є`), so these
//! functions take the raw query, not the normalised one.

/// QWERTY key → Russian ЙЦУКЕН letter.
const QWERTY_RU: [(char, char); 33] = [
    ('q', 'й'),
    ('w', 'ц'),
    ('e', 'у'),
    ('r', 'к'),
    ('t', 'е'),
    ('y', 'н'),
    ('u', 'г'),
    ('i', 'ш'),
    ('o', 'щ'),
    ('p', 'з'),
    ('[', 'х'),
    (']', 'ъ'),
    ('a', 'ф'),
    ('s', 'ы'),
    ('d', 'в'),
    ('f', 'а'),
    ('g', 'п'),
    ('h', 'р'),
    ('j', 'о'),
    ('k', 'л'),
    ('l', 'д'),
    (';', 'ж'),
    ('\'', 'э'),
    ('z', 'я'),
    ('x', 'ч'),
    ('c', 'с'),
    ('v', 'м'),
    ('b', 'и'),
    ('n', 'т'),
    ('m', 'ь'),
    (',', 'б'),
    ('.', 'ю'),
    ('`', 'ё'),
];

/// Keys where the Ukrainian layout differs from the Russian one.
const QWERTY_UK_DIFF: [(char, char); 4] = [('s', 'і'), (']', 'ї'), ('\'', 'є'), ('\\', 'ґ')];

fn ru_of(c: char) -> Option<char> {
    QWERTY_RU.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
}

fn uk_of(c: char) -> Option<char> {
    QWERTY_UK_DIFF
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, v)| *v)
        .or_else(|| ru_of(c))
}

fn qwerty_of(c: char) -> Option<char> {
    QWERTY_RU
        .iter()
        .chain(QWERTY_UK_DIFF.iter())
        .find(|(_, v)| *v == c)
        .map(|(k, _)| *k)
}

fn lower(s: &str) -> String {
    s.chars().flat_map(|c| c.to_lowercase()).collect()
}

/// Count Latin and Cyrillic letters.
fn scripts(s: &str) -> (usize, usize) {
    let mut lat = 0;
    let mut cyr = 0;
    for c in s.chars() {
        if c.is_ascii_alphabetic() {
            lat += 1;
        } else if super::translit::is_cyr_char(c) {
            cyr += 1;
        }
    }
    (lat, cyr)
}

/// Retype `s` in the other layout: Latin (QWERTY) text becomes Russian Cyrillic,
/// Cyrillic (Russian or Ukrainian) text becomes Latin. `None` when the text has no
/// letters, mixes scripts, or would not change.
pub fn switch_layout(s: &str) -> Option<String> {
    switch_layout_all(s).into_iter().next()
}

/// Like [`switch_layout`] but for Latin input returns both the Russian and the
/// Ukrainian reading when they differ (`s` is `ы` or `і`), Russian first.
pub fn switch_layout_all(s: &str) -> Vec<String> {
    let s = lower(s);
    let (lat, cyr) = scripts(&s);
    if lat > 0 && cyr == 0 {
        let ru: String = s.chars().map(|c| ru_of(c).unwrap_or(c)).collect();
        let uk: String = s.chars().map(|c| uk_of(c).unwrap_or(c)).collect();
        let mut out = Vec::with_capacity(2);
        if ru != s {
            out.push(ru);
        }
        if uk != s && !out.contains(&uk) {
            out.push(uk);
        }
        out
    } else if cyr > 0 && lat == 0 {
        let q: String = s.chars().map(|c| qwerty_of(c).unwrap_or(c)).collect();
        if q != s {
            vec![q]
        } else {
            Vec::new()
        }
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions() {
        assert_eq!(switch_layout("gfhfwtnfvjk").as_deref(), Some("парацетамол"));
        assert_eq!(switch_layout("зфкфсуефьщд").as_deref(), Some("paracetamol"));
        assert_eq!(switch_layout("YehjatY").as_deref(), Some("нурофен"));
        // Ukrainian letters: і is on the `s` key, є on `'`.
        assert_eq!(switch_layout("шигзкщаут").as_deref(), Some("ibuprofen"));
        assert_eq!(switch_layout("ігзкщаут").as_deref(), Some("suprofen"));
        let all = switch_layout_all("sne");
        assert_eq!(all, vec!["ыту".to_string(), "іту".to_string()]);
        // Round trip.
        let q = switch_layout("парацетамол").unwrap_or_default();
        assert_eq!(switch_layout(&q).as_deref(), Some("парацетамол"));
    }

    #[test]
    fn refuses_mixed_and_empty() {
        assert_eq!(switch_layout(""), None);
        assert_eq!(switch_layout("123"), None);
        assert_eq!(switch_layout("abc где"), None);
    }
}
