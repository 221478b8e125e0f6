//! The stock part of a snapshot: lines as the index packs them, where each
//! facility's lines come from and what currency each price is in, and the
//! copy-on-write update a feed push makes.
//!
//! The packed line (14 bytes, `medmap_indexers::stock`) has no room for a source or a
//! currency, and nearly every facility prices all its lines in one currency from one
//! source; so [`StockMeta`] keeps one of each per facility, plus the few lines priced
//! in another currency (a London pharmacy selling one line in UAH), so every price
//! carries its own currency at no cost to the common case.

use std::collections::{HashMap, HashSet};

use medmap_indexers::stock::{StockIndex, StockLine as IxLine};

use super::Snapshot;
use crate::model::{StockRow, StockStatus};

/// Source and currencies of one facility's stock lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StockMeta {
    /// `demo` for generated stock, `feed:<publisher>` for a publisher's.
    pub source: String,
    /// The currency of the facility's lines, except those in `other_currency`.
    pub currency: Option<String>,
    /// Dense product index → the currency of that line, where it differs from
    /// `currency`. Empty for nearly every facility.
    pub other_currency: HashMap<u32, Option<String>>,
}

impl StockMeta {
    fn new(source: &str, currency: Option<&str>) -> StockMeta {
        StockMeta {
            source: source.to_string(),
            currency: currency.map(str::to_string),
            other_currency: HashMap::new(),
        }
    }

    /// The currency of the facility's line for `product` (a dense index).
    pub fn currency_of(&self, product: u32) -> Option<&str> {
        match self.other_currency.get(&product) {
            Some(c) => c.as_deref(),
            None => self.currency.as_deref(),
        }
    }

    /// The currency every line shares, or `None` when they differ.
    pub fn common_currency(&self) -> Option<&str> {
        if self.other_currency.is_empty() {
            self.currency.as_deref()
        } else {
            None
        }
    }

    /// Records the currency of one line.
    fn set_line(&mut self, product: u32, currency: Option<&str>) {
        if currency == self.currency.as_deref() {
            self.other_currency.remove(&product);
        } else {
            self.other_currency
                .insert(product, currency.map(str::to_string));
        }
    }
}

/// Per facility index, built from stored rows: the first line's currency is the
/// facility's, the rest are recorded where they differ; the last line's source wins.
pub(super) fn stock_meta_of<'a>(
    lines: impl Iterator<Item = (u32, u32, &'a StockRow)>,
) -> HashMap<u32, StockMeta> {
    let mut meta: HashMap<u32, StockMeta> = HashMap::new();
    for (p, f, l) in lines {
        let m = meta
            .entry(f)
            .or_insert_with(|| StockMeta::new(&l.source, l.currency.as_deref()));
        if m.source != l.source {
            m.source.clone_from(&l.source);
        }
        m.set_line(p, l.currency.as_deref());
    }
    meta
}

/// Index lines with their currencies, as parallel vectors.
type Lines = (Vec<(u32, IxLine)>, Vec<u32>);

/// What a committed push changes in the snapshot's stock.
pub struct StockDelta<'a> {
    /// Upserted lines: `(dense product index, line)`, mapped with the snapshot the
    /// push began with.
    pub ups: &'a [(u32, IxLine)],
    /// Per line of `ups` (as many), its currency as an index into `currencies`.
    pub up_currency: &'a [u32],
    pub currencies: &'a [String],
    /// Removed lines, `(facility id, product id)`.
    pub removals: &'a [(i64, i64)],
    /// The source of the upserted lines (`feed:<publisher>`).
    pub source: &'a str,
    /// Whether the push replaced the stock of the facilities it lists (snapshot mode):
    /// then their old currencies go with their old lines.
    pub replaces: bool,
}

impl Snapshot {
    /// A new snapshot with stock changed copy-on-write: only the touched products'
    /// postings are rebuilt, everything else is shared, so a feed is live in
    /// milliseconds while readers keep using the old snapshot undisturbed.
    ///
    /// The lines of a streamed push were mapped to dense indexes with `base`, the
    /// snapshot current when the push began. If the catalog was rebuilt since (other
    /// dense indexes), they are mapped again through the ids, so a push racing a
    /// rebuild never lands on the wrong line.
    pub fn with_stock_delta(&self, base: &Snapshot, d: &StockDelta<'_>) -> Snapshot {
        let same = std::sync::Arc::ptr_eq(&self.facility_index, &base.facility_index)
            && std::sync::Arc::ptr_eq(&self.product_index, &base.product_index);
        let fac = |f: u32| -> Option<u32> {
            let id = base.facilities.get(f as usize)?.id;
            self.facility_index.get(&id).copied()
        };
        // Only when the indexes moved are the lines copied, each once more through the
        // ids; a line whose product or facility is gone is dropped with its currency.
        let remapped: Option<Lines> = (!same).then(|| {
            d.ups
                .iter()
                .zip(d.up_currency)
                .filter_map(|(&(p, l), &c)| {
                    let pid = base.product_ids.get(p as usize)?;
                    let p = *self.product_index.get(pid)?;
                    let facility = fac(l.facility)?;
                    Some(((p, IxLine { facility, ..l }), c))
                })
                .unzip()
        });
        let (lines, line_currency) = match &remapped {
            Some((lines, currency)) => (lines.as_slice(), currency.as_slice()),
            None => (d.ups, d.up_currency),
        };
        let mut meta = self.stock_meta.clone();
        let mut seen: HashSet<u32> = HashSet::new();
        for ((p, l), c) in lines.iter().zip(line_currency) {
            let currency = d.currencies.get(*c as usize).map(String::as_str);
            let m = meta.entry(l.facility).or_default();
            if seen.insert(l.facility) {
                if d.replaces || m.source.is_empty() {
                    *m = StockMeta::new(d.source, currency);
                } else if m.source != d.source {
                    m.source = d.source.to_string();
                }
            }
            m.set_line(*p, currency);
        }
        let rem = self.removal_indexes(d.removals);
        self.with_stock(self.stock.apply(lines, &rem), meta)
    }

    /// A new snapshot where the stock of `facilities` is exactly `rows` (their lines
    /// as stored now): how a replica applies a push another replica committed. Only
    /// the touched facilities' lines and the products they carry are rebuilt, the
    /// same copy-on-write as [`Snapshot::with_stock_delta`]; reading the stored state
    /// (not replaying the push) makes applying a change twice, or late, harmless.
    pub fn with_facility_stock(&self, facilities: &[i64], rows: &[StockRow]) -> Snapshot {
        let dense: Vec<u32> = facilities
            .iter()
            .filter_map(|id| self.facility_index.get(id).copied())
            .collect();
        let mut rem: Vec<(u32, u32)> = Vec::new();
        for &f in &dense {
            rem.extend(
                self.stock
                    .facility_lines(f)
                    .into_iter()
                    .map(|(p, _)| (p, f)),
            );
        }
        let indexed: Vec<(u32, u32, &StockRow)> = rows
            .iter()
            .filter_map(|l| {
                Some((
                    *self.product_index.get(&l.product_id)?,
                    *self.facility_index.get(&l.facility_id)?,
                    l,
                ))
            })
            .collect();
        let ups: Vec<(u32, IxLine)> = indexed
            .iter()
            .map(|&(p, f, l)| (p, to_ix_line(f, l)))
            .collect();
        let mut meta = self.stock_meta.clone();
        for f in &dense {
            meta.remove(f);
        }
        meta.extend(stock_meta_of(indexed.into_iter()));
        self.with_stock(self.stock.apply(&ups, &rem), meta)
    }

    /// `(facility id, product id)` → `(product index, facility index)`, unknown ones
    /// dropped.
    fn removal_indexes(&self, removals: &[(i64, i64)]) -> Vec<(u32, u32)> {
        removals
            .iter()
            .filter_map(|(f, p)| Some((*self.product_index.get(p)?, *self.facility_index.get(f)?)))
            .collect()
    }

    /// This snapshot with other stock: everything else is shared.
    fn with_stock(&self, stock: StockIndex, stock_meta: HashMap<u32, StockMeta>) -> Snapshot {
        Snapshot {
            built_at: chrono::Utc::now(),
            catalog_generation: self.catalog_generation,
            catalog: self.catalog.clone(),
            facilities: self.facilities.clone(),
            facility_index: self.facility_index.clone(),
            facility_names: self.facility_names.clone(),
            places: self.places.clone(),
            hours: self.hours.clone(),
            special: self.special.clone(),
            open: self.open.clone(),
            service_open: self.service_open.clone(),
            stock,
            product_index: self.product_index.clone(),
            product_ids: self.product_ids.clone(),
            stock_meta,
            directory: self.directory.clone(),
            places_by_name: self.places_by_name.clone(),
            top_towns: self.top_towns.clone(),
            reimbursed: self.reimbursed.clone(),
        }
    }

    /// The currency of a facility's line for a product (dense indexes).
    pub fn line_currency(&self, facility: u32, product: u32) -> Option<&str> {
        self.stock_meta
            .get(&facility)
            .and_then(|m| m.currency_of(product))
    }

    /// Where a facility's stock comes from (`demo` or `feed:<publisher>`).
    pub fn stock_source(&self, facility: u32) -> Option<&str> {
        self.stock_meta.get(&facility).map(|m| m.source.as_str())
    }
}

pub(super) fn to_ix_line(facility: u32, l: &StockRow) -> IxLine {
    ix_line(facility, l.status, l.quantity, l.price_minor, l.checked_at)
}

/// A stock line as the index packs it.
pub fn ix_line(
    facility: u32,
    status: StockStatus,
    quantity: Option<f64>,
    price_minor: Option<i64>,
    checked_at: i64,
) -> IxLine {
    IxLine {
        facility,
        status,
        // Part packs (3.5 blisters) count as the whole packs on the shelf.
        quantity: quantity
            .filter(|q| q.is_finite() && *q >= 0.0)
            .map(|q| q.floor().min(u32::MAX as f64) as u32),
        price_minor: price_minor.and_then(|p| u32::try_from(p).ok()),
        checked_at,
    }
}
