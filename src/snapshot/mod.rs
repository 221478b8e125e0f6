//! The in-memory snapshot every request reads: the medication catalog and the
//! indexes of the search core plus the records needed to render answers, built from
//! the store at start ([`load`]) and swapped whole when data changes, so readers never
//! wait for writers. Its parts live next door: [`stock`] (lines, currencies, the
//! copy-on-write push update), [`hours`] (open now), [`places`] (the offline
//! geocoder), [`load`] (reading the store).

use std::collections::HashMap;
use std::sync::Arc;

mod hours;
mod load;
mod places;
mod special;
mod stock;
mod sync;

pub use hours::{HoursView, ScheduleRow};
pub use load::{Rows, Seed};
pub use places::PlaceName;
pub use special::{FacilitySpecials, SpecialTimes};
pub use stock::{ix_line, StockDelta, StockMeta};
pub use sync::{Started, SyncState};

use arc_swap::ArcSwapOption;
use chrono::{DateTime, Utc};
use medmap_indexers::hours::{Hours, OpenTable};
use medmap_indexers::names::normalize;
use medmap_indexers::places::PlaceIndex;
use medmap_indexers::stock::{StockIndex, StockLine as IxLine};

use crate::catalog::Catalog;
use crate::hsds::ServiceDirectory;
use crate::model::StockRow;
use crate::store::FacilityRow;

#[derive(Clone)]
pub struct Snapshot {
    pub built_at: DateTime<Utc>,
    /// Changes whenever the catalog (names, substances, products) is rebuilt, and
    /// only then: answers that depend on the catalog alone are memoised under it.
    pub catalog_generation: u64,
    /// Substances, product groups and the name index: shared by every snapshot
    /// until the catalog changes.
    pub catalog: Catalog,
    pub facilities: Arc<Vec<FacilityRow>>,
    /// Facility id → index into `facilities` (and into the place index).
    pub facility_index: Arc<HashMap<i64, u32>>,
    /// Normalised facility names, by facility index: name filters compare against
    /// these instead of normalising 20k names per request.
    pub facility_names: Arc<Vec<String>>,
    pub places: Arc<PlaceIndex>,
    /// Opening hours per facility index (Unknown when the source has none).
    pub hours: Arc<Vec<Hours>>,
    /// Duty shifts and closures laid over `hours` (rotas pushed or imported).
    pub special: Arc<SpecialTimes>,
    /// "Open now" per facility (hours with special times), refreshed in the
    /// background as times pass.
    pub open: Arc<arc_swap::ArcSwap<OpenTable>>,
    /// "Open now" per directory service by its own schedule (for services whose
    /// place keeps no hours), refreshed with `open`: a national search counts
    /// open-now over tens of thousands of results.
    pub service_open: Arc<arc_swap::ArcSwap<OpenTable>>,
    /// Stock postings keyed by dense product index.
    pub stock: StockIndex,
    /// Product id → dense index in `stock`, and back.
    pub product_index: Arc<HashMap<i64, u32>>,
    pub product_ids: Arc<Vec<i64>>,
    /// Per facility index: where its stock lines come from (`demo` or a publisher)
    /// and the currency of each line ([`StockMeta`]).
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
    /// Per facility index: dispenses under a reimbursement programme (the
    /// availability filter `reimbursed=true`, checked inside the stock query).
    pub reimbursed: Arc<Vec<bool>>,
}

/// The snapshot a server answers from, and the one lock its writers take.
///
/// Readers load the current snapshot without waiting. Writers (feed pushes) hold the
/// [`SnapshotWriter`] from their first database write until their change is swapped
/// in, so the snapshot sees pushes in the order the database committed them and two
/// pushes cannot lose each other's lines.
#[derive(Default)]
pub struct SnapshotCell {
    current: ArcSwapOption<Snapshot>,
    writer: Arc<tokio::sync::Mutex<()>>,
    /// How current the snapshot is against the shared database's change log.
    pub sync: SyncState,
}

/// Shared by the server's state, its background tasks and feed pushes.
pub type SharedSnapshot = Arc<SnapshotCell>;

impl SnapshotCell {
    pub fn new() -> SharedSnapshot {
        Arc::default()
    }

    /// The current snapshot; `None` while the first one is being built.
    pub fn get(&self) -> Option<Arc<Snapshot>> {
        self.current.load_full()
    }

    /// Installs the first snapshot (or a full rebuild).
    pub fn set(&self, snapshot: Snapshot) {
        self.current.store(Some(Arc::new(snapshot)));
    }

    /// Waits for the writer lock.
    pub async fn writer(self: &Arc<Self>) -> SnapshotWriter {
        SnapshotWriter {
            _guard: Arc::clone(&self.writer).lock_owned().await,
            cell: Arc::clone(self),
        }
    }
}

/// The right to change the snapshot: held across a push's transaction and swap.
pub struct SnapshotWriter {
    cell: SharedSnapshot,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl SnapshotWriter {
    /// Makes committed special times visible: the snapshot with `special` and
    /// its open-now answers re-evaluated for the facilities in `changed`.
    pub fn apply_special(&self, special: SpecialTimes, changed: &[u32]) -> bool {
        match self.cell.get() {
            Some(cur) => {
                self.cell.set(cur.with_special(special, changed));
                true
            }
            None => false,
        }
    }

    /// The snapshot as it is now (writers build the next one from it).
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.cell.get()
    }

    /// Swaps in a snapshot built from [`SnapshotWriter::current`] or reloaded.
    pub fn replace(&self, snapshot: Snapshot) {
        self.cell.set(snapshot);
    }

    /// Records that the committed change `seq` (this process's push) is in the
    /// snapshot, so the replica follower skips it.
    pub fn note_local(&self, seq: i64) {
        self.cell.sync.note_local(seq);
    }

    /// Makes a committed push visible: a new snapshot with the stock index updated
    /// copy-on-write ([`Snapshot::with_stock_delta`]; `base` is the snapshot the push
    /// mapped its lines with), swapped in whole. CPU-bound at scale: call it from a
    /// blocking thread.
    pub fn apply_stock_delta(&self, base: &Snapshot, delta: &StockDelta<'_>) -> bool {
        match self.cell.get() {
            Some(cur) => {
                self.cell.set(cur.with_stock_delta(base, delta));
                true
            }
            None => false,
        }
    }
}

/// A process-wide counter: two catalogs built in one process never share a number.
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Snapshot {
    /// Pure build from a catalog and rows (CPU-bound: run off the async reactor).
    ///
    /// Confidential places are withheld first ([`crate::privacy::redact`]), before
    /// any index, place name or directory is built from the rows: what must not
    /// leave medmap is then nowhere in the snapshot every answer is made from.
    pub fn build(
        catalog: Catalog,
        mut facilities: Vec<FacilityRow>,
        stock: Vec<StockRow>,
        schedules: Vec<ScheduleRow>,
        directory: crate::store::DirectoryRows,
    ) -> Snapshot {
        crate::privacy::redact(&mut facilities, &directory);
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
        let hours = hours::build_hours(&facilities, &facility_index, schedules);
        let now = Utc::now();
        let open = OpenTable::build(hours.len(), now, |i| hours.get(i as usize));

        let mut product_ids: Vec<i64> = catalog.product_group.keys().copied().collect();
        product_ids.sort_unstable();
        let product_index: HashMap<i64, u32> = product_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u32))
            .collect();
        let indexed = || {
            stock.iter().filter_map(|l| {
                Some((
                    *product_index.get(&l.product_id)?,
                    *facility_index.get(&l.facility_id)?,
                    l,
                ))
            })
        };
        let stock_meta = stock::stock_meta_of(indexed());
        let lines: Vec<(u32, IxLine)> = indexed()
            .map(|(p, f, l)| (p, stock::to_ix_line(f, l)))
            .collect();
        let stock = StockIndex::build(lines, product_ids.len());
        let facility_names = facilities.iter().map(|f| normalize(&f.name)).collect();
        let directory = ServiceDirectory::build(directory, &facilities, &facility_index);
        let service_open = OpenTable::build(directory.service_hours.len(), now, |i| {
            directory.service_hours.get(i as usize)
        });
        let (places_by_name, top_towns) = places::build_place_names(&facilities);
        let reimbursed = facilities
            .iter()
            .map(|f| !f.reimbursement.is_empty())
            .collect();
        Snapshot {
            built_at: now,
            catalog_generation: next_generation(),
            catalog,
            facilities: Arc::new(facilities),
            facility_index: Arc::new(facility_index),
            facility_names: Arc::new(facility_names),
            places: Arc::new(places),
            hours: Arc::new(hours),
            special: Arc::default(),
            open: Arc::new(arc_swap::ArcSwap::from_pointee(open)),
            service_open: Arc::new(arc_swap::ArcSwap::from_pointee(service_open)),
            stock,
            product_index: Arc::new(product_index),
            product_ids: Arc::new(product_ids),
            stock_meta,
            directory: Arc::new(directory),
            places_by_name: Arc::new(places_by_name),
            top_towns: Arc::new(top_towns),
            reimbursed: Arc::new(reimbursed),
        }
    }

    pub fn facility(&self, id: i64) -> Option<&FacilityRow> {
        self.facility_index
            .get(&id)
            .map(|&i| &self.facilities[i as usize])
    }
}
