//! Edit distance between a query and indexed names, where a transposition of
//! two neighbouring letters counts as one edit (optimal string alignment).
//!
//! Two uses, one representation. The re-ranker scores hundreds of candidate keys
//! per query, and the fuzzy candidate source walks the fst looking for keys within
//! one or two edits. Both run on the query's bit masks (Hyyrö's bit-parallel
//! algorithm, 2003): one machine word holds a whole column of the edit table, so a
//! key costs one pass over its characters. As an fst automaton the same column is
//! the automaton state, which replaces building a Levenshtein DFA per query
//! variant: building those DFAs was 38 % of the instructions of a slow multi-word
//! query (callgrind), more than walking the fst itself.

/// OSA distance by the textbook table, on the first 64 characters of each side.
/// The reference the bit-parallel version is tested against.
pub(crate) fn osa_distance(a: &[char], b: &[char]) -> usize {
    let a = &a[..a.len().min(64)];
    let b = &b[..b.len().min(64)];
    let (n, m) = (a.len(), b.len());
    if n == 0 {
        return m;
    }
    if m == 0 {
        return n;
    }
    let mut prev2 = [0usize; 65];
    let mut prev = [0usize; 65];
    let mut cur = [0usize; 65];
    for (j, p) in prev.iter_mut().enumerate().take(m + 1) {
        *p = j;
    }
    for i in 1..=n {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        prev2[..=m].copy_from_slice(&prev[..=m]);
        prev[..=m].copy_from_slice(&cur[..=m]);
    }
    prev[m]
}

/// A query's match masks: for each distinct character, the positions where the
/// query has it, as bits of one word (so queries are cut to 64 characters).
#[derive(Clone, Debug, Default)]
pub(crate) struct Masks {
    len: usize,
    masks: Vec<(char, u64)>,
}

/// One column of the edit table, as vertical differences: bit `i` of `vp` (`vn`)
/// says row `i + 1` is one more (less) than row `i`. Row 0 is the number of text
/// characters read, so the column's values follow from `col` and the bits.
#[derive(Clone, Copy, Debug)]
struct Column {
    vp: u64,
    vn: u64,
    d0: u64,
    pm_prev: u64,
    /// Distance at the last row: query against all the text read.
    dist: u32,
    /// Text characters read (the value of row 0).
    col: u32,
}

impl Masks {
    /// Masks of the first 64 characters of `pattern`.
    pub(crate) fn new(pattern: &[char]) -> Masks {
        let pattern = &pattern[..pattern.len().min(64)];
        let mut masks: Vec<(char, u64)> = Vec::new();
        for (i, &c) in pattern.iter().enumerate() {
            match masks.iter_mut().find(|(m, _)| *m == c) {
                Some((_, bits)) => *bits |= 1 << i,
                None => masks.push((c, 1 << i)),
            }
        }
        Masks {
            len: pattern.len(),
            masks,
        }
    }

    fn of(&self, c: char) -> u64 {
        self.masks
            .iter()
            .find(|(m, _)| *m == c)
            .map_or(0, |(_, b)| *b)
    }

    fn start(&self) -> Column {
        Column {
            vp: !0,
            vn: 0,
            d0: 0,
            pm_prev: 0,
            dist: self.len as u32,
            col: 0,
        }
    }

    /// The column after reading one more text character.
    fn step(&self, c: &Column, ch: char) -> Column {
        let pm = self.of(ch);
        let tr = ((!c.d0 & pm) << 1) & c.pm_prev;
        let d0 = (((pm & c.vp).wrapping_add(c.vp)) ^ c.vp) | pm | c.vn | tr;
        let hp = c.vn | !(d0 | c.vp);
        let hn = d0 & c.vp;
        let mut dist = c.dist;
        if self.len > 0 {
            let last = 1u64 << (self.len - 1);
            if hp & last != 0 {
                dist += 1;
            } else if hn & last != 0 {
                dist -= 1;
            }
        } else {
            dist += 1;
        }
        let hp = (hp << 1) | 1;
        Column {
            vp: (hn << 1) | !(d0 | hp),
            vn: hp & d0,
            d0,
            pm_prev: pm,
            dist,
            col: c.col + 1,
        }
    }

    /// The smallest value in a column: no longer text can get below it.
    fn column_min(&self, c: &Column) -> u32 {
        let mut v = c.col as i64;
        let mut min = v;
        for i in 0..self.len {
            let bit = 1u64 << i;
            if c.vp & bit != 0 {
                v += 1;
            } else if c.vn & bit != 0 {
                v -= 1;
            }
            min = min.min(v);
        }
        min.max(0) as u32
    }

    /// OSA distance from the pattern to `text` (first 64 characters of each),
    /// equal to [`osa_distance`].
    pub(crate) fn distance(&self, text: &[char]) -> usize {
        let text = &text[..text.len().min(64)];
        let mut c = self.start();
        for &ch in text {
            c = self.step(&c, ch);
        }
        c.dist as usize
    }

    /// An fst automaton matching keys within `max` edits of the pattern (all of
    /// the key, or with `prefix` some prefix of it).
    pub(crate) fn automaton(&self, max: u8, prefix: bool) -> Lev<'_> {
        Lev {
            masks: self,
            max: u32::from(max),
            prefix,
        }
    }
}

/// The Levenshtein (OSA) automaton over the fst's bytes: UTF-8 is decoded on the
/// way, one column step per complete character.
pub(crate) struct Lev<'a> {
    masks: &'a Masks,
    max: u32,
    prefix: bool,
}

/// State of [`Lev`] after some bytes.
#[derive(Clone, Debug)]
pub(crate) struct LevState {
    column: Column,
    /// Smallest value of the column, cached for `can_match`.
    min: u32,
    /// Smallest last-row distance at any character boundary so far (prefix mode).
    best: u32,
    /// A character being decoded, and how many bytes it still needs.
    partial: u32,
    need: u8,
}

impl Lev<'_> {
    /// Edits between the pattern and the key (or its closest prefix) that ended
    /// in this state.
    pub(crate) fn distance(&self, s: &LevState) -> u8 {
        let d = if self.prefix { s.best } else { s.column.dist };
        d.min(u32::from(u8::MAX)) as u8
    }
}

impl fst::Automaton for Lev<'_> {
    type State = LevState;

    fn start(&self) -> LevState {
        let column = self.masks.start();
        LevState {
            column,
            min: 0,
            best: column.dist,
            partial: 0,
            need: 0,
        }
    }

    fn is_match(&self, s: &LevState) -> bool {
        s.need == 0 && self.distance(s) as u32 <= self.max
    }

    fn can_match(&self, s: &LevState) -> bool {
        (self.prefix && s.best <= self.max) || s.min <= self.max
    }

    fn will_always_match(&self, s: &LevState) -> bool {
        self.prefix && s.need == 0 && s.best <= self.max
    }

    fn accept(&self, s: &LevState, byte: u8) -> LevState {
        let mut next = s.clone();
        let ch = if s.need > 0 {
            next.partial = (s.partial << 6) | u32::from(byte & 0x3F);
            next.need -= 1;
            if next.need > 0 {
                return next;
            }
            char::from_u32(next.partial)
        } else if byte < 0x80 {
            Some(char::from(byte))
        } else {
            let (bits, need) = match byte {
                0xC0..=0xDF => (byte & 0x1F, 1),
                0xE0..=0xEF => (byte & 0x0F, 2),
                _ => (byte & 0x07, 3),
            };
            next.partial = u32::from(bits);
            next.need = need;
            return next;
        };
        // A byte sequence that is not a character never matches anything.
        let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
        next.column = self.masks.step(&s.column, ch);
        next.min = self.masks.column_min(&next.column);
        next.best = s.best.min(next.column.dist);
        next.partial = 0;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fst::{IntoStreamer, Set, Streamer};
    use rand::{Rng, SeedableRng};

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    fn random_words(seed: u64, n: usize, max: usize) -> Vec<String> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let alphabet: Vec<char> = "abcdeпрі ".chars().collect();
        (0..n)
            .map(|_| {
                let len = rng.random_range(0..=max);
                (0..len)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn bit_parallel_equals_the_table() {
        let words = random_words(7, 20_000, 12);
        let long = random_words(8, 2_000, 70);
        for pair in words.chunks(2).chain(long.chunks(2)) {
            let (a, b) = (chars(&pair[0]), chars(&pair[1]));
            assert_eq!(
                Masks::new(&a).distance(&b),
                osa_distance(&a, &b),
                "{:?} vs {:?}",
                pair[0],
                pair[1]
            );
        }
        assert_eq!(Masks::new(&chars("ab")).distance(&chars("ba")), 1);
        assert_eq!(Masks::new(&chars("ca")).distance(&chars("abc")), 3);
        assert_eq!(
            Masks::new(&chars("ibuprophen")).distance(&chars("ibuprofen")),
            2
        );
    }

    /// The automaton finds exactly the keys the table says are within reach,
    /// with their distances, in both modes.
    #[test]
    fn automaton_equals_brute_force() {
        let mut keys = random_words(11, 5_000, 9);
        keys.retain(|k| !k.is_empty());
        keys.sort();
        keys.dedup();
        let set = Set::from_iter(keys.iter()).expect("sorted keys");
        for q in random_words(12, 150, 7) {
            let qc = chars(&q);
            let masks = Masks::new(&qc);
            for max in [0u8, 1, 2] {
                for prefix in [false, true] {
                    let aut = masks.automaton(max, prefix);
                    let mut got = Vec::new();
                    let mut stream = set.search_with_state(&aut).into_stream();
                    while let Some((k, st)) = stream.next() {
                        got.push((String::from_utf8_lossy(k).into_owned(), aut.distance(&st)));
                    }
                    let want: Vec<(String, u8)> = keys
                        .iter()
                        .filter_map(|k| {
                            let kc = chars(k);
                            let d = if prefix {
                                (0..=kc.len())
                                    .map(|n| osa_distance(&qc, &kc[..n]))
                                    .min()
                                    .unwrap_or(usize::MAX)
                            } else {
                                osa_distance(&qc, &kc)
                            };
                            (d <= max as usize).then(|| (k.clone(), d as u8))
                        })
                        .collect();
                    assert_eq!(got, want, "query {q:?} max {max} prefix {prefix}");
                }
            }
        }
    }
}
