//! One substance is one concept across registers.
//!
//! Every register names substances its own way: Ukrainian and English INNs in the UA
//! dictionary, Russian INNs in ГРЛС and the Kazakh lists, US official names and salts
//! in UNII. Each mention of a substance becomes a node keyed by its cross-script
//! phonetic skeleton (so `ибупрофен`, `ібупрофен` and `ibuprofen` are one node), and
//! the registers' own links join nodes in a union-find: the UA uk↔en dictionary, ATC
//! level-5 codes, UNII codes (which is how acetaminophen meets paracetamol and
//! albuterol meets salbutamol, from the data), and salt forms to their base.

use std::collections::{BTreeSet, HashMap};

use medmap_indexers::names::{normalize, skeleton};

use crate::model::{Lang, Name, Substance};

/// Salt and hydrate words that follow a base substance name (`atorvastatin calcium
/// trihydrate`). A product's ingredient in a salt form is the same medicine for a
/// citizen asking where to get it.
const SALT_WORDS: &[&str] = &[
    "hydrochloride",
    "hydrobromide",
    "dihydrochloride",
    "sodium",
    "potassium",
    "calcium",
    "magnesium",
    "sulfate",
    "sulphate",
    "phosphate",
    "acetate",
    "maleate",
    "mesylate",
    "mesilate",
    "besylate",
    "besilate",
    "tartrate",
    "bitartrate",
    "citrate",
    "fumarate",
    "succinate",
    "trihydrate",
    "dihydrate",
    "monohydrate",
    "hemihydrate",
    "sesquihydrate",
    "hydrate",
    "anhydrous",
    "bromide",
    "chloride",
    "nitrate",
    "lactate",
    "gluconate",
    "hyclate",
    "disodium",
    "dipropionate",
    "propionate",
    "valerate",
    "furoate",
    "hemifumarate",
    "tosylate",
    "oxalate",
    "pamoate",
    "napsylate",
    "stearate",
    "monosodium",
    "trometamol",
    "tromethamine",
    "meglumine",
    "arginine",
    "lysine",
    "hcl",
    "dimesylate",
    "decanoate",
    "enanthate",
    "palmitate",
    "benzoate",
];

/// Where a mention comes from, to count merges across registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Register {
    Ua,
    Ru,
    Kz,
    Us,
}

#[derive(Default)]
struct Node {
    parent: usize,
    names: Vec<Name>,
    registers: BTreeSet<Register>,
    atc: Option<String>,
    /// An English INN name from an authoritative dictionary (UA INN, ATC), preferred
    /// for display over UNII's upper-case names.
    inn_en: Option<String>,
}

/// The union-find over substance mentions.
#[derive(Default)]
pub struct SubstanceMerger {
    nodes: Vec<Node>,
    by_key: HashMap<String, usize>,
}

/// How the merge went, for the import report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MergeStats {
    pub mentions: usize,
    pub substances: usize,
    /// Substances whose names came from two or more registers.
    pub merged_across_registers: usize,
    /// Substances known to one register only.
    pub single_register: usize,
}

/// The key a substance name resolves to, shared by products that list it.
pub fn substance_key(name: &str) -> Option<String> {
    let n = normalize(name);
    if n.is_empty() {
        return None;
    }
    let s = skeleton(&n);
    (!s.is_empty()).then_some(s)
}

impl SubstanceMerger {
    fn node(&mut self, key: &str) -> usize {
        if let Some(&i) = self.by_key.get(key) {
            return i;
        }
        let i = self.nodes.len();
        self.nodes.push(Node {
            parent: i,
            ..Default::default()
        });
        self.by_key.insert(key.to_string(), i);
        i
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.nodes[i].parent != i {
            let p = self.nodes[i].parent;
            self.nodes[i].parent = self.nodes[p].parent;
            i = p;
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.nodes[hi].parent = lo;
        }
    }

    /// Records a name of a substance; returns its key (None for an empty name).
    pub fn mention(
        &mut self,
        name: &str,
        lang: Lang,
        register: Register,
        source: &str,
    ) -> Option<String> {
        let name = name.trim().trim_start_matches('*').trim();
        let key = substance_key(name)?;
        // Acids are named differently across scripts (клавулановая кислота,
        // клавуланова кислота ↔ clavulanic acid): link the English form by rule.
        if matches!(lang, Lang::Ru | Lang::Uk) {
            if let Some(ek) = acid_in_english(&normalize(name)).and_then(|en| substance_key(&en)) {
                if ek != key {
                    let (a, b) = (self.node(&key), self.node(&ek));
                    self.union(a, b);
                }
            }
        }
        let i = self.node(&key);
        let node = &mut self.nodes[i];
        let text = name.trim().to_string();
        if !node.names.iter().any(|n| n.text == text) {
            node.names.push(Name {
                text,
                lang,
                source: source.to_string(),
            });
        }
        node.registers.insert(register);
        Some(key)
    }

    /// Marks `key` as carrying an authoritative English INN (UA dictionary or ATC).
    pub fn set_inn_en(&mut self, key: &str, inn: &str) {
        if let Some(&i) = self.by_key.get(key) {
            self.nodes[i]
                .inn_en
                .get_or_insert_with(|| inn.trim().to_lowercase());
        }
    }

    pub fn set_atc(&mut self, key: &str, atc: &str) {
        if let Some(&i) = self.by_key.get(key) {
            self.nodes[i].atc.get_or_insert_with(|| atc.to_string());
        }
    }

    /// Joins two mentions (by key) into one substance.
    pub fn link(&mut self, a: &str, b: &str) {
        let (a, b) = (self.node(a), self.node(b));
        self.union(a, b);
    }

    /// Joins a mention with an identifier group (`atc:R03AC02`, `unii:QF8SVZ843E`).
    pub fn link_group(&mut self, key: &str, group: &str) {
        let g = format!("#{group}");
        self.link(key, &g);
    }

    /// Joins salt forms to their base (`levothyroxine sodium` → `levothyroxine`,
    /// `potassium clavulanate` → `clavulanic acid`). A base no register lists alone
    /// becomes a name of the salt's substance: people type the base.
    fn link_salts(&mut self) {
        let keys: Vec<usize> = self
            .by_key
            .iter()
            .filter(|(k, _)| !k.starts_with('#'))
            .map(|(_, i)| *i)
            .collect();
        let mut pairs = Vec::new();
        let mut new_bases = Vec::new();
        for i in keys {
            for name in &self.nodes[i].names {
                let Some(bases) = salt_bases(&normalize(&name.text)) else {
                    continue;
                };
                let mut linked = false;
                for base in &bases {
                    if let Some(b) =
                        substance_key(base).and_then(|bk| self.by_key.get(&bk).copied())
                    {
                        pairs.push((i, b));
                        linked = true;
                    }
                }
                if !linked && name.lang == Lang::En {
                    new_bases.push((i, bases[0].clone(), name.source.clone()));
                }
            }
        }
        for (a, b) in pairs {
            self.union(a, b);
        }
        for (i, base, source) in new_bases {
            let registers = self.nodes[i].registers.clone();
            let reg = registers.iter().next().copied().unwrap_or(Register::Us);
            if let Some(k) = self.mention(&base, Lang::En, reg, &source) {
                let b = self.node(&k);
                self.union(i, b);
            }
        }
    }

    /// Resolves the union-find into substances. `key_of` maps every mention key to
    /// the merge key of its substance (products use it to find their ingredients).
    pub fn finish(mut self) -> (Vec<Substance>, HashMap<String, String>, MergeStats) {
        self.link_salts();
        let n = self.nodes.len();
        let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..n {
            let r = self.find(i);
            groups.entry(r).or_default().push(i);
        }
        let mut key_by_index: HashMap<usize, &str> = HashMap::new();
        for (k, i) in &self.by_key {
            key_by_index.insert(*i, k.as_str());
        }
        let mut stats = MergeStats::default();
        let mut substances = Vec::new();
        let mut key_of = HashMap::new();
        let mut roots: Vec<usize> = groups.keys().copied().collect();
        roots.sort_unstable();
        for root in roots {
            let members = &groups[&root];
            let mut names: Vec<Name> = Vec::new();
            let mut registers = BTreeSet::new();
            let mut atc = None;
            let mut inn_en: Option<String> = None;
            for &m in members {
                let node = &self.nodes[m];
                for nm in &node.names {
                    if !names.iter().any(|x| x.text == nm.text) {
                        names.push(nm.clone());
                    }
                }
                registers.extend(node.registers.iter().copied());
                if atc.is_none() {
                    atc.clone_from(&node.atc);
                }
                if inn_en.is_none() {
                    inn_en.clone_from(&node.inn_en);
                }
            }
            if names.is_empty() {
                continue; // an identifier group with no names
            }
            stats.mentions += names.len();
            let name_en = inn_en.or_else(|| shortest(&names, Lang::En).map(|s| s.to_lowercase()));
            let name_uk = shortest(&names, Lang::Uk).map(str::to_lowercase);
            let name_ru = shortest(&names, Lang::Ru).map(capitalise);
            let display = name_en
                .clone()
                .or_else(|| name_uk.clone())
                .or_else(|| name_ru.clone())
                .unwrap_or_else(|| names[0].text.clone());
            let key = substance_key(&display).unwrap_or_else(|| display.clone());
            for &m in members {
                if let Some(k) = key_by_index.get(&m) {
                    key_of.insert((*k).to_string(), key.clone());
                }
            }
            if registers.len() > 1 {
                stats.merged_across_registers += 1;
            } else {
                stats.single_register += 1;
            }
            substances.push(Substance {
                key,
                name_en,
                name_uk,
                name_ru,
                atc,
                names,
            });
        }
        // Two components can land on the same display key; merge them so the
        // store's unique merge_key holds.
        let mut by_key: HashMap<String, usize> = HashMap::new();
        let mut merged: Vec<Substance> = Vec::new();
        for s in substances {
            match by_key.get(&s.key) {
                Some(&i) => {
                    let t = &mut merged[i];
                    for nm in s.names {
                        if !t.names.iter().any(|x| x.text == nm.text) {
                            t.names.push(nm);
                        }
                    }
                    if t.atc.is_none() {
                        t.atc = s.atc;
                    }
                    if t.name_uk.is_none() {
                        t.name_uk = s.name_uk;
                    }
                    if t.name_ru.is_none() {
                        t.name_ru = s.name_ru;
                    }
                }
                None => {
                    by_key.insert(s.key.clone(), merged.len());
                    merged.push(s);
                }
            }
        }
        stats.substances = merged.len();
        (merged, key_of, stats)
    }
}

/// `клавулановая кислота` / `клавуланова кислота` → `clavulanic acid`.
fn acid_in_english(normalized: &str) -> Option<String> {
    let stem = normalized.strip_suffix(" кислота")?;
    if stem.contains(' ') {
        return None;
    }
    let stem = ["овая", "евая", "ова", "ева", "ная", "на"]
        .iter()
        .find_map(|suf| stem.strip_suffix(suf))?;
    Some(format!("{}ic acid", medmap_indexers::names::to_latin(stem)))
}

fn shortest(names: &[Name], lang: Lang) -> Option<&str> {
    names
        .iter()
        .filter(|n| n.lang == lang)
        .map(|n| n.text.as_str())
        .min_by_key(|t| (t.chars().count(), *t))
}

fn capitalise(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => lower,
    }
}

/// The base names a salt form may stand for: `potassium clavulanate` →
/// [`clavulanate`, `clavulanic acid`].
pub fn salt_bases(normalized: &str) -> Option<Vec<String>> {
    let base = strip_salt(normalized)?;
    let mut v = vec![base.clone()];
    if let Some(stem) = base.strip_suffix("ate").filter(|_| !base.contains(' ')) {
        v.push(format!("{stem}ic acid"));
    }
    Some(v)
}

/// `atorvastatin calcium trihydrate` → `atorvastatin`, `potassium clavulanate` →
/// `clavulanate`; `None` when nothing to strip or the rest would be an ion alone
/// (`sodium chloride` stays itself).
pub fn strip_salt(normalized: &str) -> Option<String> {
    let words: Vec<&str> = normalized.split(' ').collect();
    let mut start = 0;
    while start + 1 < words.len() && SALT_WORDS.contains(&words[start]) {
        start += 1;
    }
    let mut end = words.len();
    while end > start + 1 && SALT_WORDS.contains(&words[end - 1]) {
        end -= 1;
    }
    if (start == 0 && end == words.len()) || end <= start {
        return None;
    }
    let base = words[start..end].join(" ");
    if base.chars().count() < 5 || SALT_WORDS.contains(&base.as_str()) {
        return None;
    }
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_strip_to_base_but_ions_stay() {
        assert_eq!(
            strip_salt("atorvastatin calcium trihydrate").as_deref(),
            Some("atorvastatin")
        );
        assert_eq!(strip_salt("sodium chloride"), None);
        assert_eq!(strip_salt("ibuprofen"), None);
        assert_eq!(
            strip_salt("potassium clavulanate").as_deref(),
            Some("clavulanate")
        );
        assert_eq!(
            salt_bases("potassium clavulanate"),
            Some(vec![
                "clavulanate".to_string(),
                "clavulanic acid".to_string()
            ])
        );
        assert_eq!(
            strip_salt("levothyroxine sodium").as_deref(),
            Some("levothyroxine")
        );
    }

    #[test]
    fn acids_meet_across_scripts() {
        assert_eq!(
            acid_in_english("клавулановая кислота").and_then(|e| substance_key(&e)),
            substance_key("clavulanic acid")
        );
        assert_eq!(
            acid_in_english("клавуланова кислота").and_then(|e| substance_key(&e)),
            substance_key("clavulanic acid")
        );
        assert_eq!(acid_in_english("ибупрофен"), None);
    }

    #[test]
    fn registers_merge_through_dictionary_and_unii() {
        let mut m = SubstanceMerger::default();
        let en = m
            .mention("ibuprofen", Lang::En, Register::Ua, "ua")
            .unwrap();
        let uk = m
            .mention("ібупрофен", Lang::Uk, Register::Ua, "ua")
            .unwrap();
        m.link(&en, &uk);
        let ru = m
            .mention("Ибупрофен", Lang::Ru, Register::Ru, "ru")
            .unwrap();
        let us = m
            .mention("IBUPROFEN", Lang::En, Register::Us, "us")
            .unwrap();
        let a = m
            .mention("ACETAMINOPHEN", Lang::En, Register::Us, "us")
            .unwrap();
        let p = m
            .mention("PARACETAMOL", Lang::En, Register::Us, "us")
            .unwrap();
        m.link_group(&a, "unii:362O9ITL9D");
        m.link_group(&p, "unii:362O9ITL9D");
        let (subs, key_of, stats) = m.finish();
        assert_eq!(key_of[&ru], key_of[&us]);
        assert_eq!(key_of[&en], key_of[&uk]);
        assert_eq!(key_of[&a], key_of[&p]);
        assert_ne!(key_of[&a], key_of[&en]);
        assert_eq!(subs.len(), 2);
        assert_eq!(stats.merged_across_registers, 1);
    }
}
