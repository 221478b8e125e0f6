//! The catalog persisted in the store (`catalog_cache`), so a restart reads it
//! back instead of rebuilding it: the name index alone takes seconds to build
//! and its rows seconds to read, against a fraction of a second to decode.
//!
//! A cached catalog is used only if it was built by the same code (the
//! `MEDMAP_CATALOG_FORMAT` fingerprint stamped by `build.rs`) from the current
//! catalog version (`store::catalog_cache`). Anything else, including bytes that
//! do not decode, is a miss: the catalog is rebuilt from its rows and stored again.

use super::Catalog;
use crate::store::Store;

/// Fingerprint of the code that shapes the catalog, from `build.rs`.
pub const FORMAT: &str = env!("MEDMAP_CATALOG_FORMAT");

/// The persisted catalog if it is current; `None` (logged) on any miss.
pub async fn restore(store: &Store, version: &str) -> Option<Catalog> {
    let t = std::time::Instant::now();
    let bytes = match store.load_catalog_cache(FORMAT, version).await {
        Ok(Some(b)) => b,
        Ok(None) => {
            tracing::info!("no current persisted catalog; building it");
            return None;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the persisted catalog; building it");
            return None;
        }
    };
    let size = bytes.len();
    let decoded =
        tokio::task::spawn_blocking(move || postcard::from_bytes::<Catalog>(&bytes)).await;
    match decoded {
        Ok(Ok(c)) => {
            tracing::info!(
                bytes = size,
                elapsed_ms = t.elapsed().as_millis() as u64,
                "persisted catalog restored"
            );
            Some(c)
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "persisted catalog does not decode; building it");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "persisted catalog decode failed; building it");
            None
        }
    }
}

/// Catalog writes still in flight, so a graceful shutdown can finish them: a
/// server stopped right after its first start would otherwise rebuild on every
/// start.
static PENDING: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Waits (at most `limit`) for catalog writes started by [`persist_later`].
pub async fn flush(limit: std::time::Duration) {
    let pending: Vec<_> = match PENDING.lock() {
        Ok(mut p) => p.drain(..).collect(),
        Err(_) => return,
    };
    if pending.is_empty() {
        return;
    }
    tracing::info!("finishing the catalog write before stopping");
    let all = async {
        for h in pending {
            let _ = h.await;
        }
    };
    if tokio::time::timeout(limit, all).await.is_err() {
        tracing::warn!("catalog write unfinished at shutdown; the next start rebuilds it");
    }
}

/// Encodes and stores a freshly built catalog without holding up the start.
pub fn persist_later(store: Store, version: String, catalog: Catalog) {
    let handle = tokio::spawn(async move {
        let t = std::time::Instant::now();
        let encoded = tokio::task::spawn_blocking(move || postcard::to_stdvec(&catalog)).await;
        let bytes = match encoded {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cannot encode the catalog; it will be rebuilt next start");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "catalog encode failed; it will be rebuilt next start");
                return;
            }
        };
        match store.save_catalog_cache(FORMAT, &version, &bytes).await {
            Ok(()) => tracing::info!(
                bytes = bytes.len(),
                elapsed_ms = t.elapsed().as_millis() as u64,
                "catalog persisted"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "cannot persist the catalog; it will be rebuilt next start")
            }
        }
    });
    if let Ok(mut p) = PENDING.lock() {
        p.retain(|h| !h.is_finished());
        p.push(handle);
    }
}
