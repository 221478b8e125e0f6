//! The in-memory snapshot every request reads: the indexes of the search core plus
//! the records needed to render answers, built from the store at start and swapped
//! whole (ArcSwap) when data changes, so readers never wait for writers.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use medmap_indexers::hours::{Hours, OpenTable, WeeklySlot};
use medmap_indexers::names::{
    normalize, skeleton, ConceptInput, ConceptKind, Lang as IxLang, NameIndex, NameInput,
};
use medmap_indexers::places::PlaceIndex;
use medmap_indexers::stock::{StockIndex, StockLine as IxLine, StockStatus as IxStatus};

use crate::hsds::ServiceDirectory;
use crate::model::{DisplayLang, Lang, StockLine, StockStatus};
use crate::store::{FacilityRow, Result, Store, SubstanceRow};

/// What an API answer says about a substance.
#[derive(Debug, Clone)]
pub struct SubstanceInfo {
    pub row: SubstanceRow,
    pub names: Vec<(String, Lang)>,
    /// Product groups (representative ids) that contain this substance.
    pub products: Vec<i64>,
    /// Display name per [`DisplayLang`] (index by `lang as usize`).
    pub display: [Arc<str>; 3],
}

/// One product group: register entries with the same name and ingredients (the same
/// brand in several packs or registers) shown as one result.
#[derive(Debug, Clone)]
pub struct ProductInfo {
    /// The representative (lowest) product id; the group's public id.
    pub id: i64,
    pub name: String,
    pub names: Vec<(String, Lang)>,
    pub ingredients: Vec<i64>,
    pub forms: Vec<String>,
    pub atc: Option<String>,
    pub registration_numbers: Vec<String>,
    pub sources: Vec<String>,
    /// Every product id in the group (stock lines point at these).
    pub members: Vec<i64>,
    pub otc: Option<bool>,
    /// Display name per [`DisplayLang`] (index by `lang as usize`).
    pub display: [Arc<str>; 3],
}

pub struct Snapshot {
    pub built_at: DateTime<Utc>,
    /// Changes whenever the catalog (names, substances, products) is rebuilt, and
    /// only then: answers that depend on the catalog alone are memoised under it.
    pub catalog_generation: u64,
    pub names: Arc<NameIndex>,
    pub substances: Arc<HashMap<i64, SubstanceInfo>>,
    /// Product groups by representative id.
    pub products: Arc<HashMap<i64, ProductInfo>>,
    /// Any product id → its group's representative id.
    pub product_group: Arc<HashMap<i64, i64>>,
    pub facilities: Arc<Vec<FacilityRow>>,
    /// Facility id → index into `facilities` (and into the place index).
    pub facility_index: Arc<HashMap<i64, u32>>,
    /// Normalised facility names, by facility index: name filters compare against
    /// these instead of normalising 20k names per request.
    pub facility_names: Arc<Vec<String>>,
    pub places: Arc<PlaceIndex>,
    /// Opening hours per facility index (Unknown when the source has none).
    pub hours: Arc<Vec<Hours>>,
    /// "Open now" per facility, refreshed in the background as times pass.
    pub open: Arc<arc_swap::ArcSwap<OpenTable>>,
    /// Stock postings keyed by dense product index.
    pub stock: StockIndex,
    /// Product id → dense index in `stock`, and back.
    pub product_index: Arc<HashMap<i64, u32>>,
    pub product_ids: Arc<Vec<i64>>,
    /// Product groups by ingredient set, most widely registered first: analogs.
    pub by_ingredients: Arc<HashMap<Vec<i64>, Vec<i64>>>,
    /// Per facility index: where its stock lines come from (`demo` or a publisher)
    /// and their currency. The packed stock line has no room for them, and one
    /// facility's lines share both.
    pub stock_meta: HashMap<u32, StockMeta>,
    /// The social-services directory (HSDS): services, organizations, links, terms.
    pub directory: Arc<ServiceDirectory>,
    /// Place names people type into "near" (towns, postcodes, UK postcode districts),
    /// normalised, with the mean position of the facilities there: an offline
    /// geocoder good enough to sort pharmacies by distance without sending the
    /// place to an outside service.
    pub places_by_name: Arc<HashMap<String, PlaceName>>,
    /// The towns with the most facilities, as the data writes them (form hints).
    pub top_towns: Arc<Vec<String>>,
}

/// A named place: where it is and how many facilities it has.
#[derive(Debug, Clone)]
pub struct PlaceName {
    pub lat: f64,
    pub lon: f64,
    pub facilities: u32,
    pub display: String,
}

/// Builds [`Snapshot::places_by_name`] and [`Snapshot::top_towns`].
fn build_place_names(facilities: &[FacilityRow]) -> (HashMap<String, PlaceName>, Vec<String>) {
    let mut acc: HashMap<String, PlaceName> = HashMap::new();
    let mut towns: HashMap<String, (String, u32)> = HashMap::new();
    for f in facilities {
        let (Some(lat), Some(lon)) = (f.lat, f.lon) else {
            continue;
        };
        let mut keys: Vec<(String, &str)> = Vec::new();
        if let Some(c) = f.city.as_deref().filter(|c| !c.trim().is_empty()) {
            keys.push((normalize(c), c.trim()));
            let e = towns
                .entry(normalize(c))
                .or_insert_with(|| (c.trim().to_string(), 0));
            e.1 += 1;
        }
        if let Some(pc) = f.postcode.as_deref().filter(|p| !p.trim().is_empty()) {
            let pc = pc.trim();
            keys.push((normalize(pc), pc));
            // The UK outward code ("CB8" of "CB8 8EQ") names a district.
            if let Some((outward, _)) = pc.split_once(' ') {
                keys.push((normalize(outward), outward));
            }
        }
        for (k, display) in keys {
            let e = acc.entry(k).or_insert_with(|| PlaceName {
                lat: 0.0,
                lon: 0.0,
                facilities: 0,
                display: display.to_string(),
            });
            // Running mean, so no separate sums are kept.
            e.facilities += 1;
            let n = f64::from(e.facilities);
            e.lat += (lat - e.lat) / n;
            e.lon += (lon - e.lon) / n;
        }
    }
    let mut top: Vec<(String, u32)> = towns.into_values().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let top = top.into_iter().take(20).map(|(n, _)| n).collect();
    (acc, top)
}

/// Source and currency of a facility's stock lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockMeta {
    pub source: String,
    pub currency: Option<String>,
}

/// A facility's weekly schedule slot as stored (`weekday` ISO 1-7, times `HH:MM[:SS]`).
pub type ScheduleRow = (i64, i64, String, String);

pub type SharedSnapshot = Arc<arc_swap::ArcSwapOption<Snapshot>>;

/// Register names in capitals (`NUROFEN`, `ІБУПРОФЕН`) read as shouting; show them in
/// title case. Mixed-case names are kept as the register wrote them.
fn display_case(s: &str) -> String {
    if s.chars().any(char::is_lowercase) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// A substance's name in each display language, falling back to any other register's
/// name and last to its merge key.
fn substance_display(r: &SubstanceRow) -> [Arc<str>; 3] {
    DisplayLang::ALL.map(|lang| {
        let pick = match lang {
            DisplayLang::En => r.name_en.as_ref(),
            DisplayLang::Uk => r.name_uk.as_ref(),
            DisplayLang::Ru => r.name_ru.as_ref(),
        };
        let name = pick
            .or(r.name_en.as_ref())
            .or(r.name_uk.as_ref())
            .or(r.name_ru.as_ref())
            .unwrap_or(&r.merge_key);
        Arc::from(display_case(name))
    })
}

/// A product group's name in each display language: the register name published in
/// that language (Latin-script names for English), else the group's own name.
fn product_display(g: &ProductInfo) -> [Arc<str>; 3] {
    let by_lang = |l: Lang| g.names.iter().find(|(_, nl)| *nl == l).map(|(t, _)| t);
    DisplayLang::ALL.map(|lang| {
        let name = match lang {
            DisplayLang::En => by_lang(Lang::Latin).or_else(|| by_lang(Lang::En)),
            DisplayLang::Uk => by_lang(Lang::Uk),
            DisplayLang::Ru => by_lang(Lang::Ru),
        };
        Arc::from(display_case(name.unwrap_or(&g.name)))
    })
}

/// A process-wide counter: two catalogs built in one process never share a number.
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn to_ix_lang(l: Lang) -> IxLang {
    match l {
        Lang::En => IxLang::En,
        Lang::Uk => IxLang::Uk,
        Lang::Ru => IxLang::Ru,
        Lang::Latin => IxLang::Latin,
        Lang::Other => IxLang::Other,
    }
}

impl Snapshot {
    /// Loads everything from the store and builds the indexes.
    pub async fn load(store: &Store) -> Result<Snapshot> {
        let t = std::time::Instant::now();
        // Independent reads, each on its own pool connection and its own task: row
        // decoding then runs on every core instead of one.
        fn task<T: Send + 'static>(
            f: impl std::future::Future<Output = Result<T>> + Send + 'static,
        ) -> tokio::task::JoinHandle<Result<T>> {
            tokio::spawn(f)
        }
        let (s1, s2, s3, s4, s5, s6, s7, s8) = (
            store.clone(),
            store.clone(),
            store.clone(),
            store.clone(),
            store.clone(),
            store.clone(),
            store.clone(),
            store.clone(),
        );
        let substances = task(async move { s1.load_substances().await });
        let products = task(async move { s2.load_products().await });
        let links = task(async move { s3.load_product_substances().await });
        let names = task(async move { s4.load_names().await });
        let facilities = task(async move { s5.load_facilities().await });
        let stock = task(async move { s6.load_stock().await });
        let schedules = task(async move { s7.load_facility_schedules().await });
        let directory = task(async move { s8.load_directory().await });
        let join = |e: tokio::task::JoinError| {
            crate::store::StoreError::Corrupt(format!("snapshot load task failed: {e}"))
        };
        let (substances, products, links, names, facilities, stock, schedules, directory) = (
            substances.await.map_err(join)??,
            products.await.map_err(join)??,
            links.await.map_err(join)??,
            names.await.map_err(join)??,
            facilities.await.map_err(join)??,
            stock.await.map_err(join)??,
            schedules.await.map_err(join)??,
            directory.await.map_err(join)??,
        );
        tracing::info!(
            elapsed_ms = t.elapsed().as_millis() as u64,
            "snapshot rows loaded"
        );
        let built = tokio::task::spawn_blocking(move || {
            Snapshot::build(
                substances, products, links, names, facilities, stock, schedules, directory,
            )
        })
        .await
        .map_err(|e| crate::store::StoreError::Corrupt(format!("snapshot build failed: {e}")))?;
        Ok(built)
    }

    /// Pure build from rows (CPU-bound: run off the async reactor).
    #[allow(clippy::too_many_arguments)]
    pub fn build(
        substances: Vec<SubstanceRow>,
        products: Vec<crate::store::ProductRow>,
        links: Vec<(i64, i64)>,
        names: Vec<(String, i64, String, String)>,
        facilities: Vec<FacilityRow>,
        stock: Vec<StockLine>,
        schedules: Vec<ScheduleRow>,
        directory: crate::store::DirectoryRows,
    ) -> Snapshot {
        let mut ingredients: HashMap<i64, Vec<i64>> = HashMap::new();
        for (p, s) in &links {
            ingredients.entry(*p).or_default().push(*s);
        }
        let mut sub_names: HashMap<i64, Vec<(String, Lang)>> = HashMap::new();
        let mut prod_names: HashMap<i64, Vec<(String, Lang)>> = HashMap::new();
        for (kind, id, name, lang) in names {
            let target = if kind == "substance" {
                &mut sub_names
            } else {
                &mut prod_names
            };
            target
                .entry(id)
                .or_default()
                .push((name, Lang::parse(&lang)));
        }

        // Group products by (name skeleton, ingredient set).
        let mut group_of_key: HashMap<(String, Vec<i64>), i64> = HashMap::new();
        let mut groups: HashMap<i64, ProductInfo> = HashMap::new();
        let mut product_group = HashMap::new();
        for p in products {
            let mut ing = ingredients.remove(&p.id).unwrap_or_default();
            ing.sort_unstable();
            ing.dedup();
            let key = (skeleton(&normalize(&p.name)), ing.clone());
            let rep = *group_of_key.entry(key).or_insert(p.id);
            product_group.insert(p.id, rep);
            let g = groups.entry(rep).or_insert_with(|| ProductInfo {
                id: rep,
                name: p.name.clone(),
                names: Vec::new(),
                ingredients: ing,
                forms: Vec::new(),
                atc: p.atc.clone(),
                registration_numbers: Vec::new(),
                sources: Vec::new(),
                members: Vec::new(),
                otc: p.otc.map(|v| v != 0),
                display: Default::default(),
            });
            g.members.push(p.id);
            for n in prod_names.remove(&p.id).unwrap_or_default() {
                if !g.names.iter().any(|x| x.0 == n.0) {
                    g.names.push(n);
                }
            }
            if let Some(f) = p.form {
                if !g.forms.contains(&f) {
                    g.forms.push(f);
                }
            }
            for r in p
                .registration_numbers
                .iter()
                .flat_map(|r| r.split(';'))
                .filter(|r| !r.is_empty())
            {
                if !g.registration_numbers.iter().any(|x| x == r) {
                    g.registration_numbers.push(r.to_string());
                }
            }
            if !g.sources.contains(&p.source) {
                g.sources.push(p.source.clone());
            }
            if g.atc.is_none() {
                g.atc = p.atc;
            }
        }

        for g in groups.values_mut() {
            g.display = product_display(g);
        }

        let mut stocked: HashMap<i64, f32> = HashMap::new();
        for l in &stock {
            if let Some(g) = product_group.get(&l.product_id) {
                *stocked.entry(*g).or_default() += 1.0;
            }
        }
        let mut subs: HashMap<i64, SubstanceInfo> = substances
            .into_iter()
            .map(|row| {
                let names = sub_names.remove(&row.id).unwrap_or_default();
                (
                    row.id,
                    SubstanceInfo {
                        display: substance_display(&row),
                        row,
                        names,
                        products: Vec::new(),
                    },
                )
            })
            .collect();
        let mut sub_pop: HashMap<i64, f32> = HashMap::new();
        for g in groups.values() {
            for s in &g.ingredients {
                if let Some(si) = subs.get_mut(s) {
                    si.products.push(g.id);
                }
                *sub_pop.entry(*s).or_default() +=
                    g.members.len() as f32 + stocked.get(&g.id).copied().unwrap_or(0.0);
            }
        }
        // Most widely registered first, once here rather than on every request.
        let size = |id: &i64| std::cmp::Reverse(groups.get(id).map_or(0, |g| g.members.len()));
        let mut by_ingredients: HashMap<Vec<i64>, Vec<i64>> = HashMap::new();
        for g in groups.values().filter(|g| !g.ingredients.is_empty()) {
            by_ingredients
                .entry(g.ingredients.clone())
                .or_default()
                .push(g.id);
        }
        for v in by_ingredients.values_mut() {
            v.sort_by_key(|id| (size(id), *id));
        }
        for s in subs.values_mut() {
            s.products.sort_by_key(|id| (size(id), *id));
        }

        let mut concepts: Vec<ConceptInput> = Vec::with_capacity(subs.len() + groups.len());
        for s in subs.values() {
            let mut names: Vec<NameInput> = Vec::new();
            for (t, l) in [
                (&s.row.name_en, IxLang::En),
                (&s.row.name_uk, IxLang::Uk),
                (&s.row.name_ru, IxLang::Ru),
            ] {
                if let Some(t) = t {
                    names.push(NameInput::new(t.clone(), l));
                }
            }
            names.extend(
                s.names
                    .iter()
                    .map(|(t, l)| NameInput::new(t.clone(), to_ix_lang(*l))),
            );
            concepts.push(ConceptInput {
                id: s.row.id,
                kind: ConceptKind::Substance,
                names,
                ingredients: Vec::new(),
                popularity: sub_pop.get(&s.row.id).copied().unwrap_or(0.0),
            });
        }
        for g in groups.values() {
            concepts.push(ConceptInput {
                id: g.id,
                kind: ConceptKind::Product,
                names: g
                    .names
                    .iter()
                    .map(|(t, l)| NameInput::new(t.clone(), to_ix_lang(*l)))
                    .collect(),
                ingredients: g.ingredients.clone(),
                popularity: g.members.len() as f32 + stocked.get(&g.id).copied().unwrap_or(0.0),
            });
        }
        concepts.sort_by_key(|c| (c.kind, c.id));
        let t = std::time::Instant::now();
        let names = NameIndex::build(concepts);
        tracing::info!(
            elapsed_ms = t.elapsed().as_millis() as u64,
            keys = names.key_count(),
            "name index built"
        );

        let facility_index: HashMap<i64, u32> = facilities
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id, i as u32))
            .collect();
        let places = PlaceIndex::build(
            facilities
                .iter()
                .enumerate()
                .filter_map(|(i, f)| Some((i as u32, f.lat?, f.lon?))),
        );
        let hours = build_hours(&facilities, &facility_index, schedules);
        let now = Utc::now();
        let open = OpenTable::build(hours.len(), now, |i| hours.get(i as usize));

        let mut product_ids: Vec<i64> = product_group.keys().copied().collect();
        product_ids.sort_unstable();
        let product_index: HashMap<i64, u32> = product_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u32))
            .collect();
        let mut stock_meta = HashMap::new();
        let lines: Vec<(u32, IxLine)> = stock
            .iter()
            .filter_map(|l| {
                let (p, f) = (
                    *product_index.get(&l.product_id)?,
                    *facility_index.get(&l.facility_id)?,
                );
                stock_meta.insert(
                    f,
                    StockMeta {
                        source: l.source.clone(),
                        currency: l.currency.clone(),
                    },
                );
                Some((p, to_ix_line(f, l)))
            })
            .collect();
        let stock = StockIndex::build(lines, product_ids.len());
        let facility_names = facilities.iter().map(|f| normalize(&f.name)).collect();
        let directory = ServiceDirectory::build(directory, &facilities, &facility_index);
        let (places_by_name, top_towns) = build_place_names(&facilities);
        Snapshot {
            built_at: now,
            catalog_generation: next_generation(),
            names: Arc::new(names),
            substances: Arc::new(subs),
            products: Arc::new(groups),
            product_group: Arc::new(product_group),
            facilities: Arc::new(facilities),
            facility_index: Arc::new(facility_index),
            facility_names: Arc::new(facility_names),
            places: Arc::new(places),
            hours: Arc::new(hours),
            open: Arc::new(arc_swap::ArcSwap::from_pointee(open)),
            stock,
            product_index: Arc::new(product_index),
            product_ids: Arc::new(product_ids),
            by_ingredients: Arc::new(by_ingredients),
            stock_meta,
            directory: Arc::new(directory),
            places_by_name: Arc::new(places_by_name),
            top_towns: Arc::new(top_towns),
        }
    }

    /// A new snapshot with stock changed copy-on-write: only the touched products'
    /// postings are rebuilt, everything else is shared, so a feed is live in
    /// milliseconds while readers keep using the old snapshot undisturbed.
    ///
    /// `ups` and `meta` of a streamed push were mapped to dense indexes with `base`,
    /// the snapshot current when the push began. If the
    /// catalog was rebuilt since (other dense indexes), they are mapped again through
    /// the ids, so a push racing a rebuild never lands on the wrong line.
    pub fn with_stock_delta(
        &self,
        base: &Snapshot,
        ups: &[(u32, IxLine)],
        removals: &[(i64, i64)],
        meta: &[(u32, StockMeta)],
    ) -> Snapshot {
        let same = Arc::ptr_eq(&self.facility_index, &base.facility_index)
            && Arc::ptr_eq(&self.product_index, &base.product_index);
        let fac = |f: u32| -> Option<u32> {
            let id = base.facilities.get(f as usize)?.id;
            self.facility_index.get(&id).copied()
        };
        let mut new_meta = self.stock_meta.clone();
        for (f, m) in meta {
            if let Some(f) = if same { Some(*f) } else { fac(*f) } {
                new_meta.insert(f, m.clone());
            }
        }
        let rem = self.removal_indexes(removals);
        let stock = if same {
            self.stock.apply(ups, &rem)
        } else {
            let mapped: Vec<(u32, IxLine)> = ups
                .iter()
                .filter_map(|(p, l)| {
                    let pid = base.product_ids.get(*p as usize)?;
                    let p = *self.product_index.get(pid)?;
                    let facility = fac(l.facility)?;
                    Some((p, IxLine { facility, ..*l }))
                })
                .collect();
            self.stock.apply(&mapped, &rem)
        };
        self.with_stock(stock, new_meta)
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
            built_at: Utc::now(),
            catalog_generation: self.catalog_generation,
            names: self.names.clone(),
            substances: self.substances.clone(),
            products: self.products.clone(),
            product_group: self.product_group.clone(),
            facilities: self.facilities.clone(),
            facility_index: self.facility_index.clone(),
            facility_names: self.facility_names.clone(),
            places: self.places.clone(),
            hours: self.hours.clone(),
            open: self.open.clone(),
            stock,
            product_index: self.product_index.clone(),
            product_ids: self.product_ids.clone(),
            by_ingredients: self.by_ingredients.clone(),
            stock_meta,
            directory: self.directory.clone(),
            places_by_name: self.places_by_name.clone(),
            top_towns: self.top_towns.clone(),
        }
    }

    /// Whether a facility is open at `now`: the cached table while it is valid,
    /// else the hours themselves.
    pub fn is_open(&self, facility: u32, now: DateTime<Utc>) -> Option<bool> {
        match self.open.load().get_at(facility, now.timestamp()) {
            Some(cached) => cached,
            None => self
                .hours
                .get(facility as usize)
                .and_then(|h| h.is_open_at(now)),
        }
    }

    /// Recomputes the open-now cache (called periodically by the server).
    pub fn refresh_open(&self, now: DateTime<Utc>) {
        let mut t = OpenTable::clone(&self.open.load());
        t.refresh(now, |i| self.hours.get(i as usize));
        self.open.store(Arc::new(t));
    }

    /// A place typed by a person: `lat,lon`, or a town or postcode the data knows.
    pub fn locate(&self, text: &str) -> Option<(f64, f64)> {
        if let Some((a, b)) = text.split_once(',') {
            if let (Ok(lat), Ok(lon)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
                let ok = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
                return ok.then_some((lat, lon));
            }
        }
        self.places_by_name
            .get(&normalize(text))
            .map(|p| (p.lat, p.lon))
    }

    pub fn facility(&self, id: i64) -> Option<&FacilityRow> {
        self.facility_index
            .get(&id)
            .map(|&i| &self.facilities[i as usize])
    }
}

fn to_ix_line(facility: u32, l: &StockLine) -> IxLine {
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
        status: match status {
            StockStatus::InStock => IxStatus::InStock,
            StockStatus::Low => IxStatus::Low,
            StockStatus::Out => IxStatus::Out,
            StockStatus::Unknown => IxStatus::Unknown,
        },
        // Part packs (3.5 blisters) count as the whole packs on the shelf.
        quantity: quantity
            .filter(|q| q.is_finite() && *q >= 0.0)
            .map(|q| q.floor().min(u32::MAX as f64) as u32),
        price_minor: price_minor.and_then(|p| u32::try_from(p).ok()),
        checked_at,
    }
}

fn parse_time(s: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(s, "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()
}

/// Hours per facility: OSM `opening_hours` where the source has it, else the weekly
/// schedule rows (HSDS / Ohana), else unknown. A string that does not parse keeps its
/// raw text and reads "hours unknown"; it never fails the facility.
fn build_hours(
    facilities: &[FacilityRow],
    index: &HashMap<i64, u32>,
    schedules: Vec<ScheduleRow>,
) -> Vec<Hours> {
    let mut slots: HashMap<u32, Vec<WeeklySlot>> = HashMap::new();
    for (fid, wd, opens, closes) in schedules {
        let (Some(&i), Some(o), Some(c)) =
            (index.get(&fid), parse_time(&opens), parse_time(&closes))
        else {
            continue;
        };
        let Some(weekday) = u8::try_from(wd)
            .ok()
            .filter(|d| (1..=7).contains(d))
            .and_then(|d| chrono::Weekday::try_from(d - 1).ok())
        else {
            continue;
        };
        slots.entry(i).or_default().push(WeeklySlot {
            weekday,
            opens: o,
            closes: c,
        });
    }
    facilities
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let tz: chrono_tz::Tz = f
                .timezone
                .as_deref()
                .and_then(|t| t.parse().ok())
                .unwrap_or(chrono_tz::UTC);
            match (&f.opening_hours, slots.remove(&(i as u32))) {
                (Some(raw), _) => Hours::parse_osm(raw, tz, f.country.as_deref()),
                (None, Some(s)) => Hours::from_weekly(s, tz),
                (None, None) => Hours::Unknown { raw: String::new() },
            }
        })
        .collect()
}
