//! Medication registers → substances and products.
//!
//! The registers are read whole (they are a few MB), their substance mentions merged
//! into concepts by [`merge::SubstanceMerger`], and only then written to the store:
//! a product's ingredients can only be resolved once every register has been seen.
//! Reading is pure (no database), so benchmarks and the eval can load the same
//! catalog the server uses.

pub mod merge;
mod ru_kz;
mod ua;
mod us;

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use self::merge::{MergeStats, SubstanceMerger};
use super::report::{ImportError, ImportReport};
use crate::model::{Product, Substance};

/// Every medication register merged: what the store and the name index are built from.
#[derive(Debug, Default)]
pub struct Catalog {
    pub substances: Vec<Substance>,
    pub products: Vec<Product>,
    pub reports: Vec<ImportReport>,
    pub merge: MergeStats,
}

/// A product before its ingredients are resolved to substance merge keys.
pub(crate) struct Draft {
    pub product: Product,
    /// Mention keys (from [`merge::substance_key`]) of the ingredients.
    pub ingredient_keys: Vec<String>,
}

/// Which registers to read; the CLI's `import <source>` picks one, `serve` all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Register {
    Ua,
    RuKz,
    Us,
}

impl Catalog {
    /// Reads the registers found in `dir` (the `data/medications` layout). Files that
    /// are absent are skipped; a file that is present but unreadable is an error.
    pub fn load(dir: &Path, registers: &[Register]) -> Result<Catalog, ImportError> {
        let mut merger = SubstanceMerger::default();
        let mut drafts: Vec<Draft> = Vec::new();
        let mut reports = Vec::new();
        // The dictionaries come first so later mentions meet authoritative names.
        if registers.contains(&Register::Ua) {
            ua::read(dir, &mut merger, &mut drafts, &mut reports)?;
        }
        if registers.contains(&Register::RuKz) {
            ru_kz::read(dir, &mut merger, &mut drafts, &mut reports)?;
        }
        if registers.contains(&Register::Us) {
            us::read(dir, &mut merger, &mut drafts, &mut reports)?;
        }
        let (substances, key_of, merge) = merger.finish();
        let products = resolve(drafts, &key_of);
        Ok(Catalog {
            substances,
            products,
            reports,
            merge,
        })
    }
}

fn resolve(drafts: Vec<Draft>, key_of: &HashMap<String, String>) -> Vec<Product> {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut out: Vec<Product> = Vec::with_capacity(drafts.len());
    for d in drafts {
        let mut p = d.product;
        let mut keys: Vec<String> = d
            .ingredient_keys
            .iter()
            .filter_map(|k| key_of.get(k).cloned())
            .collect();
        keys.sort();
        keys.dedup();
        p.substance_keys = keys;
        let id = (p.src.source.clone(), p.src.source_id.clone());
        match seen.get(&id) {
            // The same product listed twice in one source: keep the first, add codes.
            Some(&i) => {
                for r in p.registration_numbers {
                    if !out[i].registration_numbers.contains(&r) {
                        out[i].registration_numbers.push(r);
                    }
                }
            }
            None => {
                seen.insert(id, out.len());
                out.push(p);
            }
        }
    }
    out
}

/// Splits a register's list of ingredients (`a; b`, `a+b`), trimming and dropping empties.
pub(crate) fn split_list<'a>(s: &'a str, seps: &'a [char]) -> impl Iterator<Item = &'a str> + 'a {
    s.split(seps).map(str::trim).filter(|x| !x.is_empty())
}
