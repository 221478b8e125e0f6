//! Special times (duty shifts, closures) as stored: one row per span, owned by
//! the source that wrote it, replaced whole when that source sends its rota again.

use super::changes::{append_change, ChangeKind, ChangePayload};
use super::{dispatch, now, Result, Store};

/// One stored span, `[starts_at, ends_at)` in unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct SpecialRow {
    pub facility_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub is_open: bool,
    pub note: Option<String>,
    /// When its rota arrived: where two sources' spans overlap, the later rota wins.
    pub received_at: i64,
}

/// Which of a source's rows a new rota replaces.
#[derive(Debug, Clone, Copy)]
pub enum Replace<'a> {
    /// All of them: the rota is the source's whole list.
    All,
    /// Those of these facilities only (the rest of the source's rota stays).
    Facilities(&'a [i64]),
}

impl Store {
    /// Every span, by facility and start.
    pub async fn load_special_hours(&self) -> Result<Vec<SpecialRow>> {
        dispatch!(self, pool => Ok(sqlx::query_as(
            "SELECT facility_id, starts_at, ends_at, is_open, note, received_at FROM special_hours ORDER BY facility_id, starts_at",
        )
        .fetch_all(pool)
        .await?))
    }

    /// Replaces `source`'s spans with `rows` in one transaction (a rota is applied
    /// whole or not at all). Returns how many rows were removed; `rows` carry
    /// their own `received_at`, which this sets to now.
    pub async fn replace_special_hours(
        &self,
        source: &str,
        replace: Replace<'_>,
        rows: &mut [SpecialRow],
    ) -> Result<u64> {
        let t = now();
        for r in rows.iter_mut() {
            r.received_at = t;
        }
        let rows = &*rows;
        dispatch!(self, pool => {
            let mut tx = pool.begin().await?;
            let removed = match replace {
                Replace::All => sqlx::query("DELETE FROM special_hours WHERE source = $1")
                    .bind(source)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
                Replace::Facilities(ids) => {
                    let mut n = 0;
                    for chunk in ids.chunks(super::chunk_rows(1)) {
                        let mut qb = sqlx::QueryBuilder::new("DELETE FROM special_hours WHERE source = ");
                        qb.push_bind(source);
                        qb.push(" AND facility_id IN ");
                        super::push_list(&mut qb, chunk.iter().copied());
                        n += qb.build().execute(&mut *tx).await?.rows_affected();
                    }
                    n
                }
            };
            for chunk in rows.chunks(super::chunk_rows(7)) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO special_hours (facility_id, source, starts_at, ends_at, is_open, note, received_at) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.facility_id)
                        .push_bind(source)
                        .push_bind(r.starts_at)
                        .push_bind(r.ends_at)
                        .push_bind(r.is_open)
                        .push_bind(r.note.clone())
                        .push_bind(r.received_at);
                });
                qb.build().execute(&mut *tx).await?;
            }
            let mut facilities: Vec<i64> = rows.iter().map(|r| r.facility_id).collect();
            if let Replace::Facilities(ids) = replace {
                facilities.extend_from_slice(ids);
            }
            let payload = ChangePayload {
                source: Some(source.to_string()),
                // Replacing a whole source may clear facilities no row names.
                facilities: match replace {
                    Replace::All => None,
                    Replace::Facilities(_) => ChangePayload::facilities(facilities).facilities,
                },
                ..ChangePayload::default()
            };
            append_change!(tx, ChangeKind::SpecialHours, payload);
            tx.commit().await?;
            Ok(removed)
        })
    }
}
