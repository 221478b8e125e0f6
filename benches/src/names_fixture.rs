//! Medication concepts from the bundled registers, for the name-index benchmark
//! and the full-size evaluation. The app has its own catalog loader; this one
//! exists so the search core can be measured on real data without the app.
//!
//! Substances are merged across registers by the cross-script skeleton of their
//! name with salt words removed (`ibuprofen` = `ібупрофен` = `Ибупрофен`,
//! `diclofenac sodium` = `diclofenac`), and by FDA UNII code (which is what links
//! `acetaminophen` and `paracetamol`, `albuterol` and `salbutamol`). Products are
//! merged by normalised name and ingredient set; their popularity is the number
//! of register rows behind them, a substance's the number of products holding it.

use std::collections::HashMap;
use std::path::Path;

use medmap_indexers::names::{normalize, skeleton, ConceptInput, ConceptKind, Lang, NameInput};

/// Words that name a salt, hydrate or the word "acid": dropped from the merge key.
const SALT_WORDS: &[&str] = &[
    "hydrochloride",
    "hcl",
    "sodium",
    "potassium",
    "calcium",
    "magnesium",
    "sulfate",
    "sulphate",
    "maleate",
    "mesylate",
    "mesilate",
    "hydrobromide",
    "citrate",
    "phosphate",
    "tartrate",
    "bitartrate",
    "besylate",
    "besilate",
    "succinate",
    "fumarate",
    "acetate",
    "trihydrate",
    "dihydrate",
    "monohydrate",
    "hemihydrate",
    "sesquihydrate",
    "anhydrous",
    "hyclate",
    "bromide",
    "disodium",
    "dipropionate",
    "propionate",
    "valerate",
    "lactate",
    "gluconate",
    "nitrate",
    "pamoate",
    "palmitate",
    "hydrate",
    "tosylate",
    "tromethamine",
    "meglumine",
    "dimesylate",
    "hydrogen",
    "acid",
    "hcl",
    "hemifumarate",
    "mononitrate",
    "dinitrate",
    // ru / uk (after transliteration they would not match the English list)
    "гидрохлорид",
    "гідрохлорид",
    "натрия",
    "натрію",
    "калия",
    "калію",
    "кальция",
    "кальцію",
    "магния",
    "магнію",
    "сульфат",
    "малеат",
    "мезилат",
    "гидробромид",
    "гідробромід",
    "цитрат",
    "фосфат",
    "тартрат",
    "безилат",
    "сукцинат",
    "фумарат",
    "ацетат",
    "тригидрат",
    "тригідрат",
    "дигидрат",
    "дигідрат",
    "моногидрат",
    "моногідрат",
    "гемигидрат",
    "кислота",
    "кислоти",
];

const ACID_WORDS: &[&str] = &["acid", "кислота", "кислоти", "кислоты"];

/// Adjective and salt endings that differ between `clavulanic acid`,
/// `clavulanate potassium`, `клавулановая кислота` and `клавуланова кислота`.
fn stem(w: &str) -> &str {
    for suf in ["овая", "евая", "ова", "ева", "ic", "ate"] {
        if let Some(r) = w.strip_suffix(suf) {
            if r.chars().count() >= 4 {
                return r;
            }
        }
    }
    w
}

/// The key substances are merged by.
pub fn merge_key(name: &str) -> String {
    let n = normalize(name);
    let words: Vec<&str> = n.split(' ').filter(|w| !w.is_empty()).collect();
    let acid = words.iter().any(|w| ACID_WORDS.contains(w));
    let salted = words.iter().any(|w| SALT_WORDS.contains(w));
    let kept: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !SALT_WORDS.contains(w))
        .map(|w| {
            if acid || salted || w.ends_with("ate") {
                stem(w)
            } else {
                w
            }
        })
        .collect();
    let base = if kept.is_empty() {
        n.clone()
    } else {
        kept.join(" ")
    };
    skeleton(&base)
}

#[derive(Default)]
struct Builder {
    subs: Vec<ConceptInput>,
    /// Union-find over `subs`: two names of one substance that were first seen
    /// apart (UNII `ALBUTEROL`/`SALBUTAMOL` after the UA `salbutamol`) merge.
    parent: Vec<usize>,
    sub_by_key: HashMap<String, usize>,
    prods: Vec<ConceptInput>,
    prod_by_key: HashMap<(String, Vec<i64>), usize>,
}

impl Builder {
    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn add_sub_name(&mut self, si: usize, text: &str, lang: Lang) {
        let t = text.trim().trim_start_matches('*').trim();
        if t.is_empty() {
            return;
        }
        let s = &mut self.subs[si];
        if !s.names.iter().any(|n| n.text == t) {
            s.names.push(NameInput::new(t, lang));
        }
        let k = merge_key(t);
        if !k.is_empty() {
            self.sub_by_key.entry(k).or_insert(si);
        }
    }

    /// The substance with one of these names, created when none is known.
    fn substance(&mut self, names: &[(&str, Lang)]) -> Option<usize> {
        let mut found: Option<usize> = None;
        for (t, _) in names {
            let t = t.trim().trim_start_matches('*').trim();
            if t.is_empty() {
                continue;
            }
            if let Some(&i) = self.sub_by_key.get(&merge_key(t)) {
                let r = self.find(i);
                found = Some(match found {
                    None => r,
                    Some(f) if f == r => f,
                    Some(f) => {
                        let (keep, gone) = (f.min(r), f.max(r));
                        self.parent[gone] = keep;
                        keep
                    }
                });
            }
        }
        let si = match found {
            Some(i) => i,
            None => {
                if names.iter().all(|(t, _)| normalize(t).is_empty()) {
                    return None;
                }
                self.subs.push(ConceptInput {
                    id: self.subs.len() as i64 + 1,
                    kind: ConceptKind::Substance,
                    names: Vec::new(),
                    ingredients: Vec::new(),
                    popularity: 0.0,
                });
                self.parent.push(self.subs.len() - 1);
                self.subs.len() - 1
            }
        };
        for (t, l) in names {
            self.add_sub_name(si, t, *l);
        }
        Some(si)
    }

    fn product(&mut self, names: &[(&str, Lang)], mut ingredients: Vec<i64>) {
        ingredients.sort_unstable();
        ingredients.dedup();
        let Some(first) = names
            .iter()
            .map(|(t, _)| normalize(t))
            .find(|n| !n.is_empty())
        else {
            return;
        };
        let key = (first, ingredients.clone());
        let pi = match self.prod_by_key.get(&key) {
            Some(&i) => i,
            None => {
                self.prods.push(ConceptInput {
                    id: self.prods.len() as i64 + 1,
                    kind: ConceptKind::Product,
                    names: Vec::new(),
                    ingredients,
                    popularity: 0.0,
                });
                self.prod_by_key.insert(key, self.prods.len() - 1);
                self.prods.len() - 1
            }
        };
        let p = &mut self.prods[pi];
        p.popularity += 1.0;
        for (t, l) in names {
            let t = t.trim();
            if !t.is_empty() && !p.names.iter().any(|n| n.text == t) {
                p.names.push(NameInput::new(t, *l));
            }
        }
    }
}

fn read(path: &Path) -> Vec<HashMap<String, String>> {
    let Ok(mut rd) = csv::Reader::from_path(path) else {
        return Vec::new();
    };
    let headers: Vec<String> = match rd.headers() {
        Ok(h) => h.iter().map(|s| s.to_string()).collect(),
        Err(_) => return Vec::new(),
    };
    rd.records()
        .filter_map(|r| r.ok())
        .map(|r| {
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(|s| s.to_string()))
                .collect()
        })
        .collect()
}

fn get<'a>(row: &'a HashMap<String, String>, col: &str) -> &'a str {
    row.get(col).map(|s| s.as_str()).unwrap_or("")
}

/// Load substances and products from `data_dir` (the `medications` folder).
/// Missing files are skipped.
pub fn load_concepts(data_dir: &Path) -> Vec<ConceptInput> {
    let mut b = Builder::default();

    // 1. Ukrainian INN dictionary: the uk/en backbone.
    for r in read(&data_dir.join("ua_drlz_inn_uk_en.csv")) {
        b.substance(&[(get(&r, "inn_en"), Lang::En), (get(&r, "inn_uk"), Lang::Uk)]);
    }

    // 2. FDA UNII official names, grouped by UNII (links US and INN names).
    let unii_rows = read(&data_dir.join("us_fda_unii_brand_and_official_names.csv"));
    let mut by_unii: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut preferred: HashMap<&str, &str> = HashMap::new();
    for r in &unii_rows {
        let u = get(r, "unii");
        preferred.insert(u, get(r, "preferred_substance_name"));
        if get(r, "name_type") == "official" {
            by_unii.entry(u).or_default().push(get(r, "name"));
        }
    }
    let mut unii_sub: HashMap<&str, usize> = HashMap::new();
    let mut uniis: Vec<&str> = by_unii.keys().copied().collect();
    uniis.sort_unstable();
    for u in uniis {
        let names: Vec<(&str, Lang)> = by_unii[u].iter().map(|n| (*n, Lang::En)).collect();
        if let Some(si) = b.substance(&names) {
            unii_sub.insert(u, si);
        }
    }
    for r in &unii_rows {
        if get(r, "name_type") != "brand" {
            continue;
        }
        let u = get(r, "unii");
        // A mixture's preferred name lists its parts (`AMOXICILLIN;
        // CLAVULANATE POTASSIUM`): the brand's ingredients are the parts.
        let pref = preferred.get(u).copied().unwrap_or("");
        let ingr: Vec<i64> = if pref.contains(';') {
            let mut v = Vec::new();
            for part in pref.split(';') {
                if let Some(si) = b.substance(&[(part.trim(), Lang::En)]) {
                    v.push(b.subs[si].id);
                }
            }
            v
        } else {
            match unii_sub.get(u) {
                Some(&si) => vec![b.subs[si].id],
                None => b
                    .substance(&[(pref, Lang::En)])
                    .map(|si| vec![b.subs[si].id])
                    .unwrap_or_default(),
            }
        };
        if !ingr.is_empty() {
            b.product(&[(get(r, "name"), Lang::En)], ingr);
        }
    }

    // 3. Ukrainian register products with INNs.
    for r in read(&data_dir.join("ua_drlz_products_inn_2026.csv")) {
        let uk: Vec<&str> = get(&r, "inn_uk").split(';').map(str::trim).collect();
        let en: Vec<&str> = get(&r, "inn_en").split(';').map(str::trim).collect();
        let mut ingr = Vec::new();
        for i in 0..uk.len().max(en.len()) {
            let u = uk.get(i).copied().unwrap_or("");
            let e = en.get(i).copied().unwrap_or("");
            if u.is_empty() && e.is_empty() {
                continue;
            }
            if let Some(si) = b.substance(&[(e, Lang::En), (u, Lang::Uk)]) {
                ingr.push(b.subs[si].id);
            }
        }
        b.product(
            &[
                (get(&r, "name_uk"), Lang::Uk),
                (get(&r, "name_latin"), Lang::Latin),
            ],
            ingr,
        );
    }

    // 4. Russian register: INNs and trade names.
    for r in read(&data_dir.join("ru_grls_names_inn.csv")) {
        let name = get(&r, "name_ru");
        let kind = get(&r, "name_type");
        let inn = get(&r, "inn_ru");
        if kind == "mnn" {
            b.substance(&[(name, Lang::Ru)]);
            continue;
        }
        let mut ingr = Vec::new();
        if !inn.is_empty() && !inn.starts_with('(') {
            for part in inn.split('+') {
                if let Some(si) = b.substance(&[(part, Lang::Ru)]) {
                    ingr.push(b.subs[si].id);
                }
            }
        }
        if kind == "both" {
            b.substance(&[(name, Lang::Ru)]);
        }
        b.product(&[(name, Lang::Ru)], ingr);
    }

    // 5. Drugs@FDA products.
    for r in read(&data_dir.join("us_drugsatfda_product_to_ingredient.csv")) {
        let mut ingr = Vec::new();
        for part in get(&r, "active_ingredients").split(';') {
            if let Some(si) = b.substance(&[(part.trim(), Lang::En)]) {
                ingr.push(b.subs[si].id);
            }
        }
        if get(&r, "is_brand_name") == "true" {
            b.product(&[(get(&r, "drug_name"), Lang::En)], ingr);
        }
    }

    // Resolve merges: names move to the surviving substance, products point at it.
    let n = b.subs.len();
    let roots: Vec<usize> = (0..n).map(|i| b.find(i)).collect();
    for (i, &r) in roots.iter().enumerate() {
        if r != i {
            let names = std::mem::take(&mut b.subs[i].names);
            for nm in names {
                if !b.subs[r].names.iter().any(|m| m.text == nm.text) {
                    b.subs[r].names.push(nm);
                }
            }
        }
    }
    for p in &mut b.prods {
        for id in p.ingredients.iter_mut() {
            if let Some(&r) = usize::try_from(*id - 1).ok().and_then(|i| roots.get(i)) {
                *id = r as i64 + 1;
            }
        }
        p.ingredients.sort_unstable();
        p.ingredients.dedup();
    }
    let mut kept = Vec::with_capacity(n);
    for (i, s) in b.subs.into_iter().enumerate() {
        if roots[i] == i {
            kept.push(s);
        }
    }
    b.subs = kept;

    // Substance popularity: how many products hold it.
    let mut count: HashMap<i64, f32> = HashMap::new();
    for p in &b.prods {
        for s in &p.ingredients {
            *count.entry(*s).or_default() += p.popularity.max(1.0);
        }
    }
    for s in &mut b.subs {
        s.popularity = count.get(&s.id).copied().unwrap_or(0.0);
    }
    let mut out = b.subs;
    out.extend(b.prods);
    out
}

/// The bundled data folder, relative to this crate (`../../shared/data/medications`
/// from the repository root), or `MEDMAP_MEDICATIONS_DIR`.
pub fn default_data_dir() -> std::path::PathBuf {
    if let Ok(d) = std::env::var("MEDMAP_MEDICATIONS_DIR") {
        return d.into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/medications")
}
