//! The synthetic query set: misspellings generated from the indexed names with
//! a fixed seed, one generator per category (see [`synthetic_queries`]).
//!
//! Apart from the scoring because the two change for different reasons: the
//! generators model how people get names wrong (neighbouring keys on QWERTY and
//! ЙЦУКЕН, spelling by ear, the first letter kept), the scoring only decides
//! whether a hit counts. Any change here changes the query set, so recall
//! figures from before and after it are not comparable.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{substance_set, EvalQuery};
use crate::names::index::NameIndex;
use crate::names::layout::switch_layout;
use crate::names::model::ConceptKind;
use crate::names::normalize::normalize;
use crate::names::translit::{is_cyrillic, latin_variants, to_cyrillic};

const QWERTY_ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
const JCUKEN_ROWS: [&str; 3] = ["йцукенгшщзх", "фывапролджэ", "ячсмитьбю"];

fn neighbours(c: char) -> Vec<char> {
    for rows in [QWERTY_ROWS, JCUKEN_ROWS] {
        let grid: Vec<Vec<char>> = rows.iter().map(|r| r.chars().collect()).collect();
        for (ri, row) in grid.iter().enumerate() {
            if let Some(ci) = row.iter().position(|&x| x == c) {
                let mut out = Vec::new();
                for dr in [-1i32, 0, 1] {
                    let r = ri as i32 + dr;
                    if r < 0 || r as usize >= grid.len() {
                        continue;
                    }
                    let row2 = &grid[r as usize];
                    for dc in [-1i32, 0, 1] {
                        let cc = ci as i32 + dc;
                        if (dr == 0 && dc == 0) || cc < 0 || cc as usize >= row2.len() {
                            continue;
                        }
                        out.push(row2[cc as usize]);
                    }
                }
                return out;
            }
        }
    }
    Vec::new()
}

fn alphabet(c: char) -> &'static [char] {
    const LAT: [char; 26] = [
        'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r',
        's', 't', 'u', 'v', 'w', 'x', 'y', 'z',
    ];
    const CYR: [char; 32] = [
        'а', 'б', 'в', 'г', 'д', 'е', 'ж', 'з', 'и', 'й', 'к', 'л', 'м', 'н', 'о', 'п', 'р', 'с',
        'т', 'у', 'ф', 'х', 'ц', 'ч', 'ш', 'щ', 'ы', 'ь', 'э', 'ю', 'я', 'і',
    ];
    if c.is_ascii() {
        &LAT
    } else {
        &CYR
    }
}

/// One random edit at a position that keeps the first letter (people rarely get
/// it wrong, and every evaluation set in the literature keeps it).
fn random_edit(rng: &mut StdRng, w: &[char]) -> Vec<char> {
    let mut v = w.to_vec();
    if v.len() < 3 {
        return v;
    }
    let pos = rng.random_range(1..v.len());
    let pick = |rng: &mut StdRng, c: char| {
        let a = alphabet(c);
        a[rng.random_range(0..a.len())]
    };
    match rng.random_range(0..4) {
        0 => {
            let c = pick(rng, v[pos]);
            v.insert(pos, c);
        }
        1 => {
            v.remove(pos);
        }
        2 => {
            let c = pick(rng, v[pos]);
            v[pos] = c;
        }
        _ => {
            if pos + 1 < v.len() {
                v.swap(pos, pos + 1);
            } else {
                v.swap(pos - 1, pos);
            }
        }
    }
    v
}

fn keyboard_edit(rng: &mut StdRng, w: &[char]) -> Vec<char> {
    let mut v = w.to_vec();
    let positions: Vec<usize> = (1..v.len())
        .filter(|&i| !neighbours(v[i]).is_empty())
        .collect();
    if positions.is_empty() {
        return v;
    }
    let pos = positions[rng.random_range(0..positions.len())];
    let nb = neighbours(v[pos]);
    let c = nb[rng.random_range(0..nb.len())];
    if rng.random_range(0..3) == 0 {
        v.insert(pos, c); // fat finger: both keys
    } else {
        v[pos] = c;
    }
    v
}

/// Phonetic rewrites people make when spelling by ear.
const PHONETIC_RULES: &[(&str, &str)] = &[
    ("ph", "f"),
    ("f", "ph"),
    ("c", "k"),
    ("k", "c"),
    ("y", "i"),
    ("i", "y"),
    ("x", "ks"),
    ("ks", "x"),
    ("th", "t"),
    ("ll", "l"),
    ("l", "ll"),
    ("ss", "s"),
    ("mm", "m"),
    ("tt", "t"),
    ("ine", "in"),
    ("ol", "ole"),
    ("ae", "e"),
    ("z", "s"),
    ("qu", "kw"),
    ("ck", "k"),
    // Cyrillic
    ("лл", "л"),
    ("л", "лл"),
    ("и", "ы"),
    ("е", "э"),
    ("ф", "фф"),
    ("сс", "с"),
    ("мм", "м"),
    ("ц", "тс"),
    ("кс", "х"),
    ("о", "а"),
    ("а", "о"),
];

fn phonetic_edit(rng: &mut StdRng, w: &str) -> Option<String> {
    let mut applicable: Vec<(usize, &str, &str)> = Vec::new();
    for (from, to) in PHONETIC_RULES {
        for (i, _) in w.match_indices(from) {
            if i == 0 && from.len() <= 2 {
                continue;
            }
            if *from == "ine" && i + 3 != w.len() {
                continue;
            }
            if *from == "ol" && i + 2 != w.len() {
                continue;
            }
            applicable.push((i, from, to));
        }
    }
    if applicable.is_empty() {
        return None;
    }
    // One or two rewrites (misspellings by ear stack up: `ibuprophen`).
    let n = 1 + usize::from(applicable.len() > 2 && rng.random_range(0..2) == 0);
    let mut out = w.to_string();
    let mut done = 0;
    for _ in 0..8 {
        if done == n {
            break;
        }
        let (_, from, to) = applicable[rng.random_range(0..applicable.len())];
        if let Some(i) = out.find(from) {
            if i == 0 {
                continue;
            }
            out.replace_range(i..i + from.len(), to);
            done += 1;
        }
    }
    (out != w).then_some(out)
}

fn is_word_name(n: &str, min: usize, max: usize) -> bool {
    let len = n.chars().count();
    len >= min && len <= max && n.chars().all(|c| c.is_alphabetic() || c == ' ')
}

/// Generate a synthetic query set from the indexed names with a fixed seed.
/// Concepts are drawn among those with a non-zero popularity (medicines that
/// are on a register), names among their single- or two-word alphabetic names.
/// A generated misspelling that is itself exactly another medication's name is
/// skipped: there the user gets that medication, rightly.
pub fn synthetic_queries(index: &NameIndex, seed: u64, per_category: usize) -> Vec<EvalQuery> {
    let mut rng = StdRng::seed_from_u64(seed);
    let pool: Vec<(ConceptKind, i64)> = index
        .concepts()
        .iter()
        .filter(|c| c.popularity > 0.0)
        .map(|c| (c.kind, c.id))
        .collect();
    let mut out = Vec::new();
    if pool.is_empty() {
        return out;
    }
    let cats = [
        "exact",
        "edit1",
        "edit2",
        "keyboard",
        "phonetic",
        "translit",
        "layout",
        "prefix",
        "brand_generic",
    ];
    for cat in cats {
        let mut made = 0;
        let mut tries = 0;
        while made < per_category && tries < per_category * 200 {
            tries += 1;
            let (kind, id) = pool[rng.random_range(0..pool.len())];
            let Some(info) = index.concept(kind, id) else {
                continue;
            };
            if info.names.is_empty() {
                continue;
            }
            let raw = &info.names[rng.random_range(0..info.names.len())].text;
            let name = normalize(raw);
            let chars: Vec<char> = name.chars().collect();
            let mut expected = vec![(kind, id)];
            let q: Option<String> = match cat {
                "exact" => Some(raw.clone()),
                "edit1" if is_word_name(&name, 5, 30) => {
                    Some(random_edit(&mut rng, &chars).into_iter().collect())
                }
                "edit2" if is_word_name(&name, 8, 30) => {
                    let once = random_edit(&mut rng, &chars);
                    Some(random_edit(&mut rng, &once).into_iter().collect())
                }
                "keyboard" if is_word_name(&name, 5, 30) => {
                    Some(keyboard_edit(&mut rng, &chars).into_iter().collect())
                }
                "phonetic" if is_word_name(&name, 5, 30) => phonetic_edit(&mut rng, &name),
                "translit" if is_word_name(&name, 4, 40) => {
                    if is_cyrillic(&name) {
                        let v = latin_variants(&name);
                        (!v.is_empty()).then(|| v[rng.random_range(0..v.len())].clone())
                    } else {
                        Some(to_cyrillic(&name))
                    }
                }
                "layout" if is_word_name(&name, 4, 40) => switch_layout(&name),
                "prefix" if is_word_name(&name, 7, 40) => {
                    let keep = (chars.len() * 2).div_ceil(3).max(5);
                    Some(chars[..keep].iter().collect())
                }
                "brand_generic" if kind == ConceptKind::Product && !info.ingredients.is_empty() => {
                    expected = info
                        .ingredients
                        .iter()
                        .map(|s| (ConceptKind::Substance, *s))
                        .collect();
                    Some(raw.clone())
                }
                _ => None,
            };
            let Some(q) = q else { continue };
            let nq = normalize(&q);
            if nq.is_empty() || (cat != "exact" && cat != "brand_generic" && nq == name) {
                continue;
            }
            // A name shared by medications with different substances is
            // ambiguous for any engine: not a fair test.
            let own = substance_set(index, kind, id);
            if index
                .exact_concepts(&name)
                .into_iter()
                .any(|(k, i)| substance_set(index, k, i) != own)
            {
                continue;
            }
            if cat != "exact" && cat != "brand_generic" && cat != "translit" && cat != "layout" {
                // Skip misspellings that are exactly another medication's name.
                let own = substance_set(index, kind, id);
                let clash = index
                    .exact_concepts(&nq)
                    .into_iter()
                    .any(|(k, i)| (k, i) != (kind, id) && substance_set(index, k, i) != own);
                if clash {
                    continue;
                }
            }
            out.push(EvalQuery {
                query: q,
                category: cat.to_string(),
                expected,
            });
            made += 1;
        }
    }
    out
}
