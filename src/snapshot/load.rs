//! Loading a snapshot from the store: every table read on its own task (and pool
//! connection) so row decoding runs on every core, the catalog restored from its
//! persisted copy when current, and the CPU-bound build off the async reactor.

use crate::catalog::{persist, Catalog, CatalogRows};
use crate::model::StockRow;
use crate::store::{Result, Store, StoreError};

use super::Snapshot;

/// What a bundled import into an empty database wrote, as the rows the snapshot
/// would otherwise read straight back: on a cold start the first snapshot is built
/// from these (`import::seed` derives them the way the store writes them).
pub struct Seed {
    pub catalog: CatalogRows,
    pub stock: Vec<StockRow>,
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
        let special = spawn_load("special_hours", store, |s| async move {
            s.load_special_hours().await
        });
        let directory = spawn_load(
            "directory",
            store,
            |s| async move { s.load_directory().await },
        );
        let source = match seed_catalog {
            Some(rows) => CatalogSource::Rows(rows),
            None => match persist::restore(store, &version).await {
                Some(c) => CatalogSource::Restored(c),
                None => CatalogSource::Loading(CatalogLoads::spawn(store)),
            },
        };
        let (facilities, mut stock, schedules, directory, special) = (
            joined(facilities).await?,
            joined(stock).await?,
            joined(schedules).await?,
            joined(directory).await?,
            joined(special).await?,
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
                persist::persist_later(store.clone(), version, catalog.clone());
                catalog
            }
        };
        let built = blocking(move || {
            let built = Snapshot::build(catalog, facilities, stock, schedules, directory);
            if special.is_empty() {
                return built;
            }
            let special = super::SpecialTimes::build(special, &built.facility_index);
            let changed: Vec<u32> = special.facilities().collect();
            built.with_special(special, &changed)
        })
        .await?;
        tracing::info!(
            elapsed_ms = t.elapsed().as_millis() as u64,
            "snapshot built"
        );
        Ok(built)
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
