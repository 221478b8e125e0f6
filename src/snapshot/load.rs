//! Loading a snapshot from the store: every table read on its own task (and pool
//! connection) so row decoding runs on every core, the catalog restored from its
//! persisted copy when current, and the CPU-bound build off the async reactor.

use crate::catalog::{persist, Catalog, CatalogRows};
use crate::model::StockRow;
use crate::store::{DirectoryRows, FacilityRow, Result, SpecialRow, Store, StoreError};

use super::ScheduleRow;

use super::Snapshot;

/// What a bundled import into an empty database wrote, as the rows the snapshot
/// would otherwise read straight back: on a cold start the first snapshot is built
/// from these (`import::seed` derives them the way the store writes them).
pub struct Seed {
    pub catalog: CatalogRows,
    pub stock: Vec<StockRow>,
}

/// Every table a snapshot is built from except the catalog (which has its own
/// persisted copy): what a replica keeps on its own disk for a warm start
/// ([`super::warm`]), so the split is here rather than inside one load function.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    pub facilities: Vec<FacilityRow>,
    pub stock: Vec<StockRow>,
    pub schedules: Vec<ScheduleRow>,
    pub special: Vec<SpecialRow>,
    pub directory: DirectoryRows,
}

impl Rows {
    /// Reads every table, each on its own task (and pool connection); `stock`
    /// when a bundled import has just written it.
    pub async fn read(store: &Store, stock: Option<Vec<StockRow>>) -> Result<Rows> {
        let facilities = spawn_load(
            "facilities",
            store,
            |s| async move { s.load_facilities().await },
        );
        let stock = match stock {
            Some(lines) => tokio::spawn(async move { Ok(lines) }),
            None => spawn_load("stock", store, |s| async move { s.load_stock().await }),
        };
        let schedules = spawn_load("schedules", store, |s| async move {
            s.load_facility_schedules().await
        });
        let special = spawn_load("special_hours", store, |s| async move {
            s.load_special_hours().await
        });
        let directory = spawn_load(
            "directory",
            store,
            |s| async move { s.load_directory().await },
        );
        Ok(Rows {
            facilities: joined(facilities).await?,
            stock: joined(stock).await?,
            schedules: joined(schedules).await?,
            special: joined(special).await?,
            directory: joined(directory).await?,
        })
    }
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
        Snapshot::load_with(store, seed, |_| {}).await
    }

    /// [`Snapshot::load_seeded`], showing the rows read to `keep` before they are
    /// built into the snapshot (a replica writes them to its warm-start file).
    pub async fn load_with(
        store: &Store,
        seed: Option<Seed>,
        keep: impl FnOnce(&Rows) + Send + 'static,
    ) -> Result<Snapshot> {
        let t = std::time::Instant::now();
        let (seed_catalog, seed_stock) = match seed {
            Some(s) => (Some(s.catalog), Some(s.stock)),
            None => (None, None),
        };
        // Read before any catalog row: a write that lands after this makes the
        // version stale, never the cache (see `store::catalog_cache`).
        let version = store.catalog_version().await?;
        // The table reads run while the persisted catalog is read and decoded.
        let reading = {
            let store = store.clone();
            tokio::spawn(async move { Rows::read(&store, seed_stock).await })
        };
        let source = match seed_catalog {
            Some(rows) => CatalogSource::Rows(rows),
            None => CatalogSource::start(store, &version).await,
        };
        let rows = joined(reading).await?;
        let rows = blocking(move || {
            keep(&rows);
            rows
        })
        .await?;
        let built = Snapshot::from_rows(store, &version, source, rows).await?;
        tracing::info!(
            elapsed_ms = t.elapsed().as_millis() as u64,
            "snapshot built"
        );
        Ok(built)
    }

    /// A snapshot from rows already at hand (a replica's warm-start file) and the
    /// catalog as the store holds it now.
    pub async fn load_from_rows(store: &Store, rows: Rows) -> Result<Snapshot> {
        let version = store.catalog_version().await?;
        let source = CatalogSource::start(store, &version).await;
        Snapshot::from_rows(store, &version, source, rows).await
    }

    /// The catalog (restored, or built and persisted for the next start) and the
    /// CPU-bound build, off the async reactor.
    async fn from_rows(
        store: &Store,
        version: &str,
        source: CatalogSource,
        rows: Rows,
    ) -> Result<Snapshot> {
        let Rows {
            facilities,
            mut stock,
            schedules,
            special,
            directory,
        } = rows;
        let (restored, catalog_rows) = match source {
            CatalogSource::Restored(c) => (Some(c), None),
            CatalogSource::Rows(rows) => (None, Some(rows)),
            CatalogSource::Loading(loads) => (None, Some(loads.join().await?)),
        };
        let catalog = match restored {
            Some(c) => c,
            None => {
                let rows = catalog_rows.unwrap_or_default();
                let (catalog, back) = blocking(move || {
                    let c = Catalog::build(rows, &stock);
                    (c, stock)
                })
                .await?;
                stock = back;
                persist::persist_later(store.clone(), version.to_string(), catalog.clone());
                catalog
            }
        };
        blocking(move || {
            let built = Snapshot::build(catalog, facilities, stock, schedules, directory);
            if special.is_empty() {
                return built;
            }
            let special = super::SpecialTimes::build(special, &built.facility_index);
            let changed: Vec<u32> = special.facilities().collect();
            built.with_special(special, &changed)
        })
        .await
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

impl CatalogSource {
    /// The persisted catalog when current, else its rows' reads started.
    async fn start(store: &Store, version: &str) -> CatalogSource {
        match persist::restore(store, version).await {
            Some(c) => CatalogSource::Restored(c),
            None => CatalogSource::Loading(CatalogLoads::spawn(store)),
        }
    }
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
