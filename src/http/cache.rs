//! A bounded memo of medication search and suggest answers.
//!
//! Medication queries follow a steep popularity curve (a few dozen names make most
//! of the traffic), and their answers depend only on the catalog, which changes when
//! the snapshot is rebuilt from the store, not when stock moves. So a finished JSON
//! body is kept per (catalog generation, endpoint, query parameters) and served as
//! is until it is evicted; a new catalog generation makes every older entry
//! unreachable, and eviction reclaims them. Availability answers depend on stock and
//! the clock and are never memoised.
//!
//! Services search answers depend on the directory (rebuilt only with the whole
//! snapshot, so under the same generation) and on the clock through "open now" and
//! "today's hours", which change only at whole minutes (opening hours are written
//! to the minute): they are kept per minute as well. Social workers' needs follow
//! the same popularity curve as medication names, and paging through one answer
//! asks the same search again.

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

/// Which answer an entry holds: the same query means different things per endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Search,
    Suggest,
    /// `/api/v1/hsds/services`
    Services,
    /// `/api/v1/hsds/service_at_locations`
    ServiceAtLocations,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub generation: u64,
    pub endpoint: Endpoint,
    pub query: String,
    pub limit: usize,
    pub lang: u8,
    /// The minute (unix s / 60) a clock-dependent answer was made in; 0 for
    /// answers that depend on the snapshot alone.
    pub minute: i64,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<Key, Bytes> for ByBytes {
    fn weight(&self, key: &Key, body: &Bytes) -> u64 {
        (key.query.len() + body.len() + 64) as u64
    }
}

/// Answers memoised up to a byte budget (0 turns the memo off, e.g. to measure the
/// engine alone).
pub struct ResponseCache {
    inner: Option<Cache<Key, Bytes, ByBytes>>,
}

impl ResponseCache {
    pub fn new(budget_bytes: u64) -> ResponseCache {
        let inner = (budget_bytes > 0).then(|| {
            // ~4 KB per typical answer: the item estimate only sizes the tables.
            let items = (budget_bytes / 4096).max(16) as usize;
            Cache::with_weighter(items, budget_bytes, ByBytes)
        });
        ResponseCache { inner }
    }

    pub fn get(&self, key: &Key) -> Option<Bytes> {
        self.inner.as_ref()?.get(key)
    }

    pub fn put(&self, key: Key, body: Bytes) {
        if let Some(c) = &self.inner {
            c.insert(key, body);
        }
    }

    /// The JSON answer memoised under `key`, or the one `build` makes, kept for
    /// the next request that asks the same.
    pub fn json<E>(
        &self,
        key: Key,
        build: impl FnOnce(&Key) -> Result<Vec<u8>, E>,
    ) -> Result<Response, E> {
        let body = match self.get(&key) {
            Some(body) => body,
            None => {
                let body = Bytes::from(build(&key)?);
                self.put(key, body.clone());
                body
            }
        };
        Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
    }
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("enabled", &self.inner.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(generation: u64, q: &str) -> Key {
        Key {
            generation,
            endpoint: Endpoint::Search,
            query: q.into(),
            limit: 10,
            lang: 0,
            minute: 0,
        }
    }

    #[test]
    fn a_new_generation_misses_and_a_zero_budget_keeps_nothing() {
        let c = ResponseCache::new(1 << 20);
        c.put(key(1, "ibuprofen"), Bytes::from_static(b"{}"));
        assert_eq!(c.get(&key(1, "ibuprofen")), Some(Bytes::from_static(b"{}")));
        assert_eq!(c.get(&key(2, "ibuprofen")), None);
        let off = ResponseCache::new(0);
        off.put(key(1, "ibuprofen"), Bytes::from_static(b"{}"));
        assert_eq!(off.get(&key(1, "ibuprofen")), None);
    }
}

/// How long a computed publishers' status is served before it is worked out again,
/// even without a push here: what other servers (PostgreSQL) or the `keys` CLI
/// changed, and facilities going stale with the clock, show within this long.
pub const STATUS_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// The publishers' freshness (`/api/v1/publishers/status`, `/status`), computed at most
/// once per [`STATUS_TTL`] and again after every push this server takes. Working it
/// out counts every stock line (about half a second over a million lines), and both
/// pages are public: without this, a few clients refreshing them would keep the
/// database busy. One computation at a time; concurrent requests wait for it and share
/// its answer.
#[derive(Default)]
pub struct StatusCache {
    slot: tokio::sync::Mutex<Option<(std::time::Instant, u64, StatusRows)>>,
    pushes: std::sync::atomic::AtomicU64,
}

/// Shared answer of [`StatusCache::get`].
pub type StatusRows = std::sync::Arc<Vec<crate::store::PublisherStatus>>;

impl StatusCache {
    /// A push ended (applied or not: the last push's status shows too).
    pub fn invalidate(&self) {
        self.pushes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    pub async fn get(
        &self,
        store: &crate::store::Store,
        fresh_secs: i64,
    ) -> crate::store::Result<StatusRows> {
        let mut slot = self.slot.lock().await;
        let pushes = self.pushes.load(std::sync::atomic::Ordering::SeqCst);
        if let Some((at, seen, rows)) = slot.as_ref() {
            if *seen == pushes && at.elapsed() < STATUS_TTL {
                return Ok(rows.clone());
            }
        }
        let rows: StatusRows = std::sync::Arc::new(store.publishers_status(fresh_secs).await?);
        *slot = Some((std::time::Instant::now(), pushes, rows.clone()));
        Ok(rows)
    }
}
