//! Bulk upserts used by the importers. Every write upserts by the record's natural
//! key (`merge_key` for substances, `(source, source_id)` for the rest), so running an
//! import twice changes nothing.
//!
//! An import writes several tables (a directory batch: organizations, facilities,
//! terms, services, schedules; a catalog: substances, then products), and all of it
//! goes in ONE transaction, an [`ImportTx`]: an import that fails or is killed
//! (SIGKILL, power cut) half-way leaves the state before it whole, never facilities
//! without their services or substances without their products (tests/crash.rs
//! kills imports at random moments and found exactly that when each table was a
//! transaction of its own). The `Store::upsert_*` methods are one-table imports.

use std::collections::HashMap;

use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};

use super::changes::{append_change, ChangeKind, ChangePayload};
use super::{chunk_rows, dispatch, Result, Store};
use crate::model::{
    Facility, Organization, Product, Schedule, Service, SourceRef, StockRow, Substance,
    TaxonomyTerm,
};

/// Maps `(source, source_id)` to the store id, to link records to each other.
pub type IdMap = HashMap<SourceRef, i64>;

/// One multi-row INSERT per chunk of `$rows`, `$cols` binds a row so every statement
/// stays under the backends' bind limit, each ending in `$tail` (its conflict clause).
/// A macro, not a function, because the two backends' transactions share no executor
/// type (it expands inside each arm of `dispatch!`).
macro_rules! insert_chunks {
    ($tx:ident, $head:expr, $tail:expr, $rows:expr, $cols:expr, |$b:ident, $row:pat_param| $bind:block) => {
        for chunk in $rows.chunks(chunk_rows($cols)) {
            let mut qb = QueryBuilder::new($head);
            qb.push_values(chunk, |mut $b, $row| {
                $bind;
            });
            qb.push($tail);
            qb.build().execute(&mut *$tx).await?;
        }
    };
}

/// `(source, source_id) → id` of every row of `$table`, read inside the writing
/// transaction so the new rows are there.
macro_rules! id_map {
    ($tx:ident, $table:literal) => {{
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as(concat!("SELECT id, source, source_id FROM ", $table))
                .fetch_all(&mut *$tx)
                .await?;
        rows.into_iter()
            .map(|(id, s, sid)| (SourceRef::new(s, sid), id))
            .collect::<IdMap>()
    }};
}

/// Keeps the last record per key: PostgreSQL refuses an upsert that touches one row
/// twice in a statement, and "last one wins" is what a re-import would do anyway.
pub(crate) fn unique_by<T, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut pos: HashMap<K, usize> = HashMap::new();
    let mut out: Vec<&T> = Vec::with_capacity(items.len());
    for it in items {
        match pos.get(&key(it)) {
            Some(&i) => out[i] = it,
            None => {
                pos.insert(key(it), out.len());
                out.push(it);
            }
        }
    }
    out
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// One import's writes as one open transaction ([`Store::begin_import`]); nothing
/// is visible, to readers or after a crash, before [`ImportTx::commit`]. Dropping it
/// uncommitted rolls back.
pub struct ImportTx {
    tx: Tx,
    /// The change-log rows, appended at the commit: [`append_change!`] must be the
    /// last statement before it (see `changes`).
    changes: Vec<(ChangeKind, ChangePayload)>,
}

/// Runs `$body` with `$tx` bound to the open transaction's connection, whichever
/// backend it is on (the two share no executor type, so the body is expanded once
/// per backend, as `dispatch!` does for pools).
macro_rules! on_tx {
    ($itx:expr, $tx:ident => $body:expr) => {
        match &mut $itx.tx {
            Tx::Sqlite(t) => {
                let $tx: &mut sqlx::SqliteConnection = t;
                $body
            }
            Tx::Postgres(t) => {
                let $tx: &mut sqlx::PgConnection = t;
                $body
            }
        }
    };
}

impl Store {
    /// Opens the transaction of one whole import. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`): the import reads ids before it writes, and a
    /// deferred transaction that read while another writer committed could not
    /// become a writer any more (SQLITE_BUSY, which the busy timeout does not wait
    /// out).
    pub async fn begin_import(&self) -> Result<ImportTx> {
        let tx = match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        Ok(ImportTx {
            tx,
            changes: Vec::new(),
        })
    }

    /// Upserts substances in a transaction of their own; see [`ImportTx::upsert_substances`].
    pub async fn upsert_substances(&self, subs: &[Substance]) -> Result<HashMap<String, i64>> {
        let mut tx = self.begin_import().await?;
        let ids = tx.upsert_substances(subs).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Upserts products in a transaction of their own; see [`ImportTx::upsert_products`].
    pub async fn upsert_products(
        &self,
        products: &[Product],
        substance_ids: &HashMap<String, i64>,
    ) -> Result<IdMap> {
        let mut tx = self.begin_import().await?;
        let ids = tx.upsert_products(products, substance_ids).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Upserts facilities in a transaction of their own; see [`ImportTx::upsert_facilities`].
    pub async fn upsert_facilities(&self, facilities: &[Facility]) -> Result<IdMap> {
        let mut tx = self.begin_import().await?;
        let ids = tx.upsert_facilities(facilities).await?;
        tx.commit().await?;
        Ok(ids)
    }
}

impl ImportTx {
    /// Appends the change-log rows and commits: the whole import becomes visible
    /// at once.
    pub async fn commit(self) -> Result<()> {
        match self.tx {
            Tx::Sqlite(mut tx) => {
                for (kind, payload) in &self.changes {
                    append_change!(tx, kind, payload);
                }
                tx.commit().await?;
            }
            Tx::Postgres(mut tx) => {
                for (kind, payload) in &self.changes {
                    append_change!(tx, kind, payload);
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }
}

impl ImportTx {
    /// Upserts substances with their names; returns merge key → id for every stored substance.
    pub async fn upsert_substances(&mut self, subs: &[Substance]) -> Result<HashMap<String, i64>> {
        let subs = unique_by(subs, |s| s.key.clone());
        let out = on_tx!(self, tx => {
            insert_chunks!(
                tx,
                "INSERT INTO substances (merge_key, name_en, name_uk, name_ru, atc) ",
                " ON CONFLICT (merge_key) DO UPDATE SET name_en = excluded.name_en, name_uk = excluded.name_uk, name_ru = excluded.name_ru, atc = excluded.atc",
                subs,
                5,
                |b, s| {
                    b
                        .push_bind(s.key.clone())
                        .push_bind(s.name_en.clone())
                        .push_bind(s.name_uk.clone())
                        .push_bind(s.name_ru.clone())
                        .push_bind(s.atc.clone())
                }
            );
            let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, merge_key FROM substances")
                .fetch_all(&mut *tx)
                .await?;
            let ids: HashMap<String, i64> = rows.into_iter().map(|(id, k)| (k, id)).collect();
            let names: Vec<(i64, &crate::model::Name)> = subs
                .iter()
                .filter_map(|s| ids.get(&s.key).map(|id| (*id, s)))
                .flat_map(|(id, s)| s.names.iter().map(move |n| (id, n)))
                .collect();
            insert_chunks!(
                tx,
                "INSERT INTO names (concept_kind, concept_id, name, lang, source) ",
                " ON CONFLICT DO NOTHING",
                names,
                5,
                |b, (id, n)| {
                    b
                        .push_bind("substance")
                        .push_bind(*id)
                        .push_bind(n.text.clone())
                        .push_bind(n.lang.as_str())
                        .push_bind(n.source.clone())
                }
            );
            sqlx::query(super::META_UPSERT)
                .bind(super::catalog_cache::VERSION_KEY)
                .bind(super::catalog_cache::new_token())
                .execute(&mut *tx)
                .await?;
            ids
        });
        self.changes
            .push((ChangeKind::Catalog, ChangePayload::table("substances")));
        Ok(out)
    }

    /// Upserts products, their ingredients (by substance merge key), names and
    /// registration numbers as product codes.
    pub async fn upsert_products(
        &mut self,
        products: &[Product],
        substance_ids: &HashMap<String, i64>,
    ) -> Result<IdMap> {
        let products = unique_by(products, |p| p.src.clone());
        let out = on_tx!(self, tx => {
            insert_chunks!(
                tx,
                "INSERT INTO products (source, source_id, name, name_latin, lang, form, strength, atc, registration_numbers, otc) ",
                " ON CONFLICT (source, source_id) DO UPDATE SET name = excluded.name, name_latin = excluded.name_latin, lang = excluded.lang, form = excluded.form, strength = excluded.strength, atc = excluded.atc, registration_numbers = excluded.registration_numbers, otc = excluded.otc",
                products,
                11,
                |b, p| {
                    b
                        .push_bind(p.src.source.clone())
                        .push_bind(p.src.source_id.clone())
                        .push_bind(p.name.clone())
                        .push_bind(p.name_latin.clone())
                        .push_bind(p.lang.as_str())
                        .push_bind(p.form.clone())
                        .push_bind(p.strength.clone())
                        .push_bind(p.atc.clone())
                        .push_bind(p.registration_numbers.join(";"))
                        .push_bind(p.otc.map(i64::from))
                }
            );
            let ids = id_map!(tx, "products");

            let mut links = Vec::new();
            let mut names = Vec::new();
            let mut codes = Vec::new();
            for p in products {
                let Some(&pid) = ids.get(&p.src) else { continue };
                for key in &p.substance_keys {
                    if let Some(&sid) = substance_ids.get(key) {
                        links.push((pid, sid));
                    }
                }
                for n in &p.names {
                    names.push((pid, n));
                }
                for r in &p.registration_numbers {
                    codes.push((format!("{}_register", p.src.source), r.clone(), pid));
                }
            }
            insert_chunks!(
                tx,
                "INSERT INTO product_substances (product_id, substance_id) ",
                " ON CONFLICT DO NOTHING",
                links,
                2,
                |b, (p, s)| {
                    b
                        .push_bind(*p)
                        .push_bind(*s)
                }
            );
            insert_chunks!(
                tx,
                "INSERT INTO names (concept_kind, concept_id, name, lang, source) ",
                " ON CONFLICT DO NOTHING",
                names,
                5,
                |b, (id, n)| {
                    b
                        .push_bind("product")
                        .push_bind(*id)
                        .push_bind(n.text.clone())
                        .push_bind(n.lang.as_str())
                        .push_bind(n.source.clone())
                }
            );
            insert_chunks!(
                tx,
                "INSERT INTO product_codes (system, code, product_id) ",
                " ON CONFLICT DO NOTHING",
                codes,
                3,
                |b, (sys, code, pid)| {
                    b
                        .push_bind(sys.clone())
                        .push_bind(code.clone())
                        .push_bind(*pid)
                }
            );
            sqlx::query(super::META_UPSERT)
                .bind(super::catalog_cache::VERSION_KEY)
                .bind(super::catalog_cache::new_token())
                .execute(&mut *tx)
                .await?;
            ids
        });
        self.changes
            .push((ChangeKind::Catalog, ChangePayload::table("products")));
        Ok(out)
    }

    pub async fn upsert_organizations(&mut self, orgs: &[Organization]) -> Result<IdMap> {
        let orgs = unique_by(orgs, |o| o.src.clone());
        let out = on_tx!(self, tx => {
            insert_chunks!(
                tx,
                "INSERT INTO organizations (uuid, source, source_id, name, description, email, website, alternate_name) ",
                " ON CONFLICT (source, source_id) DO UPDATE SET name = excluded.name, description = excluded.description, email = excluded.email, website = excluded.website, alternate_name = excluded.alternate_name",
                orgs,
                8,
                |b, o| {
                    b
                        .push_bind(o.src.uuid().to_string())
                        .push_bind(o.src.source.clone())
                        .push_bind(o.src.source_id.clone())
                        .push_bind(o.name.clone())
                        .push_bind(o.description.clone())
                        .push_bind(o.email.clone())
                        .push_bind(o.website.clone())
                        .push_bind(o.alternate_name.clone())
                }
            );
            let ids = id_map!(tx, "organizations");
            ids
        });
        self.changes
            .push((ChangeKind::Directory, ChangePayload::table("organizations")));
        Ok(out)
    }

    /// Upserts facilities (linked to already stored organizations) and their external ids.
    pub async fn upsert_facilities(&mut self, facilities: &[Facility]) -> Result<IdMap> {
        let facilities = unique_by(facilities, |f| f.src.clone());
        let out = on_tx!(self, tx => {
            let orgs = id_map!(tx, "organizations");
            insert_chunks!(
                tx,
                "INSERT INTO facilities (uuid, source, source_id, kind, name, organization_id, address, city, postcode, country, lat, lon, opening_hours, timezone, phones, website, email, description, languages, region, confidential, reimbursement) ",
                " ON CONFLICT (source, source_id) DO UPDATE SET region = excluded.region, confidential = excluded.confidential, kind = excluded.kind, name = excluded.name, organization_id = excluded.organization_id, address = excluded.address, city = excluded.city, postcode = excluded.postcode, country = excluded.country, lat = excluded.lat, lon = excluded.lon, opening_hours = excluded.opening_hours, timezone = excluded.timezone, phones = excluded.phones, website = excluded.website, email = excluded.email, description = excluded.description, languages = excluded.languages, reimbursement = excluded.reimbursement",
                facilities,
                22,
                |b, f| {
                    b
                        .push_bind(f.src.uuid().to_string())
                        .push_bind(f.src.source.clone())
                        .push_bind(f.src.source_id.clone())
                        .push_bind(f.kind.as_str())
                        .push_bind(f.name.clone())
                        .push_bind(f.organization.as_ref().and_then(|o| orgs.get(o).copied()))
                        .push_bind(f.address.clone())
                        .push_bind(f.city.clone())
                        .push_bind(f.postcode.clone())
                        .push_bind(f.country.clone())
                        .push_bind(f.lat)
                        .push_bind(f.lon)
                        .push_bind(f.opening_hours.clone())
                        .push_bind(f.timezone.clone())
                        .push_bind(json_list(&f.phones))
                        .push_bind(f.website.clone())
                        .push_bind(f.email.clone())
                        .push_bind(f.description.clone())
                        .push_bind(json_list(&f.languages))
                        .push_bind(f.region.clone())
                        .push_bind(f.confidential)
                        .push_bind(json_list(&f.reimbursement))
                }
            );
            let ids = id_map!(tx, "facilities");
            let ext: Vec<(String, String, i64)> = facilities
                .iter()
                .filter_map(|f| ids.get(&f.src).map(|id| (f, *id)))
                .flat_map(|(f, id)| f.external_ids.iter().map(move |(s, v)| (s.clone(), v.clone(), id)))
                .collect();
            insert_chunks!(
                tx,
                "INSERT INTO facility_ids (system, value, facility_id) ",
                " ON CONFLICT DO NOTHING",
                ext,
                3,
                |b, (s, v, id)| {
                    b
                        .push_bind(s.clone())
                        .push_bind(v.clone())
                        .push_bind(*id)
                }
            );
            ids
        });
        self.changes
            .push((ChangeKind::Directory, ChangePayload::table("facilities")));
        Ok(out)
    }

    pub async fn upsert_taxonomy(&mut self, terms: &[TaxonomyTerm]) -> Result<IdMap> {
        let terms = unique_by(terms, |t| t.src.clone());
        let out = on_tx!(self, tx => {
            insert_chunks!(
                tx,
                "INSERT INTO taxonomy_terms (uuid, source, source_id, code, name, parent, taxonomy, description, taxonomy_id, language) ",
                " ON CONFLICT (source, source_id) DO UPDATE SET code = excluded.code, name = excluded.name, parent = excluded.parent, taxonomy = excluded.taxonomy, description = excluded.description, taxonomy_id = excluded.taxonomy_id, language = excluded.language",
                terms,
                10,
                |b, t| {
                    b
                        .push_bind(t.src.uuid().to_string())
                        .push_bind(t.src.source.clone())
                        .push_bind(t.src.source_id.clone())
                        .push_bind(t.code.clone())
                        .push_bind(t.name.clone())
                        .push_bind(t.parent.clone())
                        .push_bind(t.taxonomy.clone())
                        .push_bind(t.description.clone())
                        .push_bind(t.taxonomy_id.clone())
                        .push_bind(t.language.clone())
                }
            );
            let ids = id_map!(tx, "taxonomy_terms");
            ids
        });
        self.changes.push((
            ChangeKind::Directory,
            ChangePayload::table("taxonomy_terms"),
        ));
        Ok(out)
    }

    /// Upserts services with their locations and taxonomy links (organizations,
    /// facilities and terms must be stored first).
    pub async fn upsert_services(&mut self, services: &[Service]) -> Result<IdMap> {
        let services = unique_by(services, |s| s.src.clone());
        let out = on_tx!(self, tx => {
            let orgs = id_map!(tx, "organizations");
            let facs = id_map!(tx, "facilities");
            let terms = id_map!(tx, "taxonomy_terms");
            insert_chunks!(
                tx,
                "INSERT INTO services (uuid, source, source_id, organization_id, name, description, status, email, url, eligibility, min_age, max_age, languages, fees, application_process, alternate_name, last_modified, phones, cost_options, confidential, public_contact) ",
                " ON CONFLICT (source, source_id) DO UPDATE SET confidential = excluded.confidential, public_contact = excluded.public_contact, alternate_name = excluded.alternate_name, last_modified = excluded.last_modified, phones = excluded.phones, cost_options = excluded.cost_options, organization_id = excluded.organization_id, name = excluded.name, description = excluded.description, status = excluded.status, email = excluded.email, url = excluded.url, eligibility = excluded.eligibility, min_age = excluded.min_age, max_age = excluded.max_age, languages = excluded.languages, fees = excluded.fees, application_process = excluded.application_process",
                services,
                21,
                |b, s| {
                    b
                        .push_bind(s.src.uuid().to_string())
                        .push_bind(s.src.source.clone())
                        .push_bind(s.src.source_id.clone())
                        .push_bind(s.organization.as_ref().and_then(|o| orgs.get(o).copied()))
                        .push_bind(s.name.clone())
                        .push_bind(s.description.clone())
                        .push_bind(s.status.clone())
                        .push_bind(s.email.clone())
                        .push_bind(s.url.clone())
                        .push_bind(s.eligibility.clone())
                        .push_bind(s.min_age)
                        .push_bind(s.max_age)
                        .push_bind(json_list(&s.languages))
                        .push_bind(s.fees.clone())
                        .push_bind(s.application_process.clone())
                        .push_bind(s.alternate_name.clone())
                        .push_bind(s.last_modified.clone())
                        .push_bind(json_list(&s.phones))
                        .push_bind(serde_json::to_string(&s.cost_options).unwrap_or_else(|_| "[]".into()))
                        .push_bind(s.confidential)
                        .push_bind(s.public_contact.clone())
                }
            );
            let ids = id_map!(tx, "services");
            let mut at = Vec::new();
            let mut tax = Vec::new();
            for s in services {
                let Some(&sid) = ids.get(&s.src) else { continue };
                at.extend(s.locations.iter().filter_map(|l| {
                    let link = s.link_ids.iter().find(|(x, _)| x == l).map(|(_, id)| id.clone());
                    facs.get(l).map(|f| (sid, *f, link))
                }));
                tax.extend(s.taxonomy_terms.iter().filter_map(|t| terms.get(t)).map(|t| (sid, *t)));
            }
            insert_chunks!(
                tx,
                "INSERT INTO service_at_location (service_id, facility_id, uuid) ",
                " ON CONFLICT (service_id, facility_id) DO UPDATE SET uuid = excluded.uuid",
                at,
                3,
                |b, (s, f, link)| {
                    b
                        .push_bind(*s)
                        .push_bind(*f)
                        .push_bind(link.clone())
                }
            );
            insert_chunks!(
                tx,
                "INSERT INTO service_taxonomy (service_id, term_id) ",
                " ON CONFLICT DO NOTHING",
                tax,
                2,
                |b, (s, t)| {
                    b
                        .push_bind(*s)
                        .push_bind(*t)
                }
            );
            ids
        });
        self.changes
            .push((ChangeKind::Directory, ChangePayload::table("services")));
        Ok(out)
    }

    pub async fn upsert_schedules(&mut self, schedules: &[Schedule]) -> Result<usize> {
        let schedules = unique_by(schedules, |s| s.src.clone());
        let out = on_tx!(self, tx => {
            let services = id_map!(tx, "services");
            let facs = id_map!(tx, "facilities");
            insert_chunks!(
                tx,
                "INSERT INTO schedules (source, source_id, service_id, facility_id, weekday, opens_at, closes_at, description) ",
                " ON CONFLICT (source, source_id) DO UPDATE SET service_id = excluded.service_id, facility_id = excluded.facility_id, weekday = excluded.weekday, opens_at = excluded.opens_at, closes_at = excluded.closes_at, description = excluded.description",
                schedules,
                8,
                |b, s| {
                    b
                        .push_bind(s.src.source.clone())
                        .push_bind(s.src.source_id.clone())
                        .push_bind(s.service.as_ref().and_then(|x| services.get(x).copied()))
                        .push_bind(s.facility.as_ref().and_then(|x| facs.get(x).copied()))
                        .push_bind(s.weekday.map(i64::from))
                        .push_bind(s.opens_at.clone())
                        .push_bind(s.closes_at.clone())
                        .push_bind(s.description.clone())
                }
            );
            schedules.len()
        });
        self.changes
            .push((ChangeKind::Directory, ChangePayload::table("schedules")));
        Ok(out)
    }
}

impl Store {
    /// Replaces every stock line of one source (e.g. `demo`) in one transaction:
    /// readers see the old set or the new one, never a mix.
    pub async fn replace_stock_source(&self, source: &str, lines: &[StockRow]) -> Result<usize> {
        dispatch!(self, pool => {
            let mut tx = pool.begin().await?;
            let lines = unique_by(lines, |l| (l.facility_id, l.product_id));
            sqlx::query("DELETE FROM stock WHERE source = $1").bind(source).execute(&mut *tx).await?;
            insert_chunks!(
                tx,
                "INSERT INTO stock (facility_id, product_id, status, quantity, price_minor, currency, checked_at, source) ",
                " ON CONFLICT (facility_id, product_id) DO UPDATE SET status = excluded.status, quantity = excluded.quantity, price_minor = excluded.price_minor, currency = excluded.currency, checked_at = excluded.checked_at, source = excluded.source",
                lines,
                8,
                |b, l| {
                    b
                        .push_bind(l.facility_id)
                        .push_bind(l.product_id)
                        .push_bind(l.status.as_str())
                        .push_bind(l.quantity)
                        .push_bind(l.price_minor)
                        .push_bind(l.currency.clone())
                        .push_bind(l.checked_at)
                        .push_bind(l.source.clone())
                }
            );
            // Demo stock spans most pharmacies: listed as "not listed", so a
            // follower re-reads stock whole rather than an id list this long.
            let payload = ChangePayload { source: Some(source.to_string()), ..ChangePayload::default() };
            append_change!(tx, ChangeKind::Stock, payload);
            tx.commit().await?;
            Ok(lines.len())
        })
    }
}
