//! The in-memory snapshot every request reads: the indexes of the search core plus
//! the records needed to render answers, built from the store at start and swapped
//! whole (ArcSwap) when data changes, so readers never wait for writers.

use std::collections::HashMap;
use std::sync::Arc;

mod cache;
mod catalog;

pub use cache::flush as flush_catalog_writes;

pub use catalog::{Catalog, CatalogRows, ProductInfo, SubstanceInfo};

use chrono::{DateTime, Utc};
use medmap_indexers::hours::{Hours, OpenTable, WeeklySlot};
use medmap_indexers::names::{normalize, NameIndex};
use medmap_indexers::places::PlaceIndex;
use medmap_indexers::stock::{StockIndex, StockLine as IxLine, StockStatus as IxStatus};

use crate::hsds::ServiceDirectory;
use crate::import::seed::Seed;
use crate::model::{StockLine, StockStatus};
use crate::store::{FacilityRow, Result, Store, StoreError};

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

/// A process-wide counter: two catalogs built in one process never share a number.
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Snapshot {
    /// Loads everything from the store and builds the indexes. The catalog comes
    /// from its persisted copy when that was built from the current catalog
    /// version by this code; otherwise it is rebuilt from its rows and persisted
    /// in the background for the next start.
    pub async fn load(store: &Store) -> Result<Snapshot> {
        Snapshot::load_seeded(store, None).await
    }

    /// [`Snapshot::load`], taking the catalog and stock rows from `seed` when a
    /// bundled import into an empty database has just written them.
    pub async fn load_seeded(store: &Store, seed: Option<Seed>) -> Result<Snapshot> {
        let t = std::time::Instant::now();
        let (seed_catalog, seed_stock) = match seed {
            Some(s) => (Some(s.catalog), Some(s.stock)),
            None => (None, None),
        };
        // Read before any catalog row: a write that lands after this makes the
        // version stale, never the cache (see `store::catalog_cache`).
        let version = store.catalog_version().await?;
        // Independent reads, each on its own pool connection and its own task: row
        // decoding then runs on every core instead of one.
        let facilities = spawn_load(
            "facilities",
            store,
            |s| async move { s.load_facilities().await },
        );
        let stock = match seed_stock {
            Some(lines) => tokio::spawn(async move { Ok(lines) }),
            None => spawn_load("stock", store, |s| async move { s.load_stock().await }),
        };
        let schedules = spawn_load("schedules", store, |s| async move {
            s.load_facility_schedules().await
        });
        let directory = spawn_load(
            "directory",
            store,
            |s| async move { s.load_directory().await },
        );
        let source = match seed_catalog {
            Some(rows) => CatalogSource::Rows(rows),
            None => match cache::restore(store, &version).await {
                Some(c) => CatalogSource::Restored(c),
                None => CatalogSource::Loading(CatalogLoads::spawn(store)),
            },
        };
        let (facilities, mut stock, schedules, directory) = (
            joined(facilities).await?,
            joined(stock).await?,
            joined(schedules).await?,
            joined(directory).await?,
        );
        let (restored, rows) = match source {
            CatalogSource::Restored(c) => (Some(c), None),
            CatalogSource::Rows(rows) => (None, Some(rows)),
            CatalogSource::Loading(loads) => {
                let rows = loads.join().await?;
                tracing::info!(
                    elapsed_ms = t.elapsed().as_millis() as u64,
                    "catalog rows loaded"
                );
                (None, Some(rows))
            }
        };
        let catalog = match restored {
            Some(c) => c,
            None => {
                let rows = rows.unwrap_or_default();
                let (catalog, back) = blocking(move || {
                    let c = Catalog::build(rows, &stock);
                    (c, stock)
                })
                .await?;
                stock = back;
                cache::persist_later(store.clone(), version, catalog.clone());
                catalog
            }
        };
        let built =
            blocking(move || Snapshot::build(catalog, facilities, stock, schedules, directory))
                .await?;
        tracing::info!(
            elapsed_ms = t.elapsed().as_millis() as u64,
            "snapshot built"
        );
        Ok(built)
    }

    /// Pure build from a catalog and rows (CPU-bound: run off the async reactor).
    pub fn build(
        catalog: Catalog,
        facilities: Vec<FacilityRow>,
        stock: Vec<StockLine>,
        schedules: Vec<ScheduleRow>,
        directory: crate::store::DirectoryRows,
    ) -> Snapshot {
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

        let mut product_ids: Vec<i64> = catalog.product_group.keys().copied().collect();
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
            names: catalog.names,
            substances: catalog.substances,
            products: catalog.products,
            product_group: catalog.product_group,
            facilities: Arc::new(facilities),
            facility_index: Arc::new(facility_index),
            facility_names: Arc::new(facility_names),
            places: Arc::new(places),
            hours: Arc::new(hours),
            open: Arc::new(arc_swap::ArcSwap::from_pointee(open)),
            stock,
            product_index: Arc::new(product_index),
            product_ids: Arc::new(product_ids),
            by_ingredients: catalog.by_ingredients,
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

/// Where the catalog of a snapshot being loaded comes from.
enum CatalogSource {
    /// Persisted and current.
    Restored(Catalog),
    /// Rows an import into an empty database has just written.
    Rows(CatalogRows),
    /// Rows being read from the store.
    Loading(CatalogLoads),
}

/// The catalog row reads, in flight.
struct CatalogLoads {
    substances: Load<Vec<crate::store::SubstanceRow>>,
    products: Load<Vec<crate::store::ProductRow>>,
    links: Load<Vec<(i64, i64)>>,
    names: Load<Vec<(String, i64, String, String)>>,
}

impl CatalogLoads {
    fn spawn(store: &Store) -> CatalogLoads {
        CatalogLoads {
            substances: spawn_load(
                "substances",
                store,
                |s| async move { s.load_substances().await },
            ),
            products: spawn_load(
                "products",
                store,
                |s| async move { s.load_products().await },
            ),
            links: spawn_load("product_substances", store, |s| async move {
                s.load_product_substances().await
            }),
            names: spawn_load("names", store, |s| async move { s.load_names().await }),
        }
    }

    async fn join(self) -> Result<CatalogRows> {
        Ok(CatalogRows {
            substances: joined(self.substances).await?,
            products: joined(self.products).await?,
            links: joined(self.links).await?,
            names: joined(self.names).await?,
        })
    }
}

type Load<T> = tokio::task::JoinHandle<Result<T>>;

/// One table read on its own task (and so its own pool connection).
fn spawn_load<T, F, Fut>(what: &'static str, store: &Store, read: F) -> Load<T>
where
    T: Send + 'static,
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = Result<T>> + Send + 'static,
{
    let fut = read(store.clone());
    tokio::spawn(async move {
        let t = std::time::Instant::now();
        let r = fut.await;
        tracing::debug!(
            table = what,
            elapsed_ms = t.elapsed().as_millis() as u64,
            "loaded"
        );
        r
    })
}

async fn joined<T>(h: Load<T>) -> Result<T> {
    h.await
        .map_err(|e| StoreError::Corrupt(format!("snapshot load task failed: {e}")))?
}

/// CPU-bound work off the async reactor.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Corrupt(format!("snapshot build failed: {e}")))
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
