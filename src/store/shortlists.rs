//! Short lists of services a social worker hands to a client: an unguessable id, the
//! service UUIDs and an expiry, deliberately nothing about the client.

use super::{dispatch, Result, Store};

/// A stored short list.
#[derive(Debug, Clone)]
pub struct Shortlist {
    pub id: String,
    /// Unix seconds, UTC.
    pub created_at: i64,
    pub expires_at: i64,
    pub services: Vec<String>,
}

impl Store {
    /// Saves a list and drops the expired ones (they hold nothing worth keeping).
    pub async fn create_shortlist(&self, list: &Shortlist) -> Result<()> {
        let services = serde_json::to_string(&list.services).unwrap_or_else(|_| "[]".into());
        dispatch!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM shortlists WHERE expires_at <= $1")
                .bind(list.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO shortlists (id, created_at, expires_at, services) VALUES ($1, $2, $3, $4)")
                .bind(&list.id)
                .bind(list.created_at)
                .bind(list.expires_at)
                .bind(&services)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The list, unless unknown or expired at `now`.
    pub async fn shortlist(&self, id: &str, now: i64) -> Result<Option<Shortlist>> {
        let row: Option<(String, i64, i64, String)> = dispatch!(self, pool => sqlx::query_as("SELECT id, created_at, expires_at, services FROM shortlists WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await?);
        Ok(row.map(|(id, created_at, expires_at, services)| Shortlist {
            id,
            created_at,
            expires_at,
            services: serde_json::from_str(&services).unwrap_or_default(),
        }))
    }
}
