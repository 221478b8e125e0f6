//! The persisted catalog: the medication name index and product groups, built
//! from the catalog tables and stored beside them so a restart reads one row
//! instead of rebuilding from ~600k rows (see `snapshot::cache`).
//!
//! Validity is a version token, not a timestamp or a row count: every write to the
//! catalog tables (`upsert_substances`, `upsert_products`) sets
//! `meta.catalog_version` to a fresh random token in the same transaction. A cached
//! catalog carries the token that was current *before* its rows were read, so a write racing with a build leaves a
//! cache whose token no longer matches, and the next start rebuilds.

use super::{dispatch, Result, Store};

pub(super) const VERSION_KEY: &str = "catalog_version";

/// A fresh random token: catalog versions are compared for equality only.
pub(super) fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl Store {
    /// The current catalog version; a database that predates versions gets one now,
    /// so its next build can be cached.
    pub async fn catalog_version(&self) -> Result<String> {
        if let Some(v) = self.meta_get(VERSION_KEY).await? {
            return Ok(v);
        }
        let token = new_token();
        dispatch!(self, pool => {
            sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(VERSION_KEY)
                .bind(&token)
                .execute(pool)
                .await?;
        });
        Ok(self.meta_get(VERSION_KEY).await?.unwrap_or(token))
    }

    /// The cached catalog for this code `format`, if it was built from `version`.
    pub async fn load_catalog_cache(&self, format: &str, version: &str) -> Result<Option<Vec<u8>>> {
        dispatch!(self, pool => {
            let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT bytes FROM catalog_cache WHERE format = $1 AND version = $2")
                .bind(format)
                .bind(version)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|(b,)| b))
        })
    }

    /// Stores a built catalog, replacing this format's earlier one and dropping
    /// other formats' rows built from other versions (they can never be read again).
    pub async fn save_catalog_cache(
        &self,
        format: &str,
        version: &str,
        bytes: &[u8],
    ) -> Result<()> {
        let now = chrono::Utc::now().timestamp();
        dispatch!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM catalog_cache WHERE format <> $1 AND version <> $2")
                .bind(format)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO catalog_cache (format, version, built_at, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (format) DO UPDATE SET version = excluded.version, built_at = excluded.built_at, bytes = excluded.bytes")
                .bind(format)
                .bind(version)
                .bind(now)
                .bind(bytes)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }
}
