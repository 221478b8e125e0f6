//! Bulk reads that feed the in-memory snapshot. They fetch whole tables in one query
//! each: the snapshot is rebuilt from these at start, which is why restart time is
//! dominated by them and they avoid per-row round trips.

use serde::Serialize;
use sqlx::FromRow;

use super::{dispatch, Result, Store, StoreError};
use crate::model::{FacilityKind, StockRow, StockStatus};

#[derive(Debug, Clone, PartialEq, FromRow, Serialize, serde::Deserialize)]
pub struct SubstanceRow {
    pub id: i64,
    pub merge_key: String,
    pub name_en: Option<String>,
    pub name_uk: Option<String>,
    pub name_ru: Option<String>,
    pub atc: Option<String>,
}

#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ProductRow {
    pub id: i64,
    pub source: String,
    pub source_id: String,
    pub name: String,
    pub name_latin: Option<String>,
    pub lang: String,
    pub form: Option<String>,
    pub strength: Option<String>,
    pub atc: Option<String>,
    pub registration_numbers: Option<String>,
    pub otc: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
struct FacilityDbRow {
    id: i64,
    uuid: String,
    source: String,
    source_id: String,
    kind: String,
    name: String,
    address: Option<String>,
    city: Option<String>,
    postcode: Option<String>,
    country: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    opening_hours: Option<String>,
    timezone: Option<String>,
    phones: String,
    website: Option<String>,
    email: Option<String>,
    description: Option<String>,
    organization_id: Option<i64>,
    languages: String,
    region: Option<String>,
    confidential: bool,
    reimbursement: String,
}

/// A facility as the snapshot holds it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacilityRow {
    pub id: i64,
    pub uuid: String,
    pub source: String,
    pub source_id: String,
    pub kind: FacilityKind,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    /// Not serialized with the row: answers show [`crate::privacy::shown_point`],
    /// which has none for a confidential place.
    #[serde(skip)]
    pub lat: Option<f64>,
    #[serde(skip)]
    pub lon: Option<f64>,
    pub opening_hours: Option<String>,
    pub timezone: Option<String>,
    pub phones: Vec<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub description: Option<String>,
    pub organization_id: Option<i64>,
    pub languages: Vec<String>,
    pub region: Option<String>,
    /// Where it is must not be published ([`crate::privacy`]): marked so by its
    /// source, or (once the snapshot is built) linked only to confidential services.
    /// In the snapshot such a row holds no address, postcode or phones, and its
    /// `lat`/`lon` are only the coarse area ([`crate::privacy::redact`]).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(required = false)]
    pub confidential: bool,
    /// The helpline to call instead of going there (a confidential place's),
    /// filled by [`crate::privacy::redact`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_contact: Option<String>,
    /// Reimbursement programmes it dispenses under, e.g. `UA:affordable-medicines`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub reimbursement: Vec<String>,
}

/// Pharmacies `(id, country)` and US product ingredient links with how many
/// products share each ingredient (see [`Store::demo_stock_inputs`]).
/// Pharmacies (id, country) and product–substance links (product, substance,
/// products with that substance, the product's register) of the registers demo
/// stock draws from.
pub type DemoStockInputs = (Vec<(i64, Option<String>)>, Vec<(i64, i64, i64, String)>);

/// Ranges the stock table is read in at start (see [`Store::load_stock`]).
const STOCK_LOAD_PARTS: i64 = 4;

/// How much the store holds, for `/metrics`, the start-up log and closing reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoreCounts {
    pub substances: i64,
    pub products: i64,
    pub names: i64,
    pub facilities: i64,
    pub organizations: i64,
    pub services: i64,
    pub stock_lines: i64,
}

impl Store {
    pub async fn load_substances(&self) -> Result<Vec<SubstanceRow>> {
        dispatch!(self, pool => Ok(sqlx::query_as("SELECT id, merge_key, name_en, name_uk, name_ru, atc FROM substances ORDER BY id").fetch_all(pool).await?))
    }

    pub async fn load_products(&self) -> Result<Vec<ProductRow>> {
        dispatch!(self, pool => Ok(sqlx::query_as("SELECT id, source, source_id, name, name_latin, lang, form, strength, atc, registration_numbers, otc FROM products ORDER BY id").fetch_all(pool).await?))
    }

    /// `(product_id, substance_id)` pairs.
    pub async fn load_product_substances(&self) -> Result<Vec<(i64, i64)>> {
        dispatch!(self, pool => Ok(sqlx::query_as("SELECT product_id, substance_id FROM product_substances ORDER BY product_id, substance_id").fetch_all(pool).await?))
    }

    /// `(concept_kind, concept_id, name, lang)` rows.
    pub async fn load_names(&self) -> Result<Vec<(String, i64, String, String)>> {
        dispatch!(self, pool => Ok(sqlx::query_as("SELECT concept_kind, concept_id, name, lang FROM names").fetch_all(pool).await?))
    }

    pub async fn load_facilities(&self) -> Result<Vec<FacilityRow>> {
        let rows: Vec<FacilityDbRow> = dispatch!(self, pool => sqlx::query_as("SELECT id, uuid, source, source_id, kind, name, address, city, postcode, country, lat, lon, opening_hours, timezone, phones, website, email, description, organization_id, languages, region, confidential, reimbursement FROM facilities ORDER BY id").fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| {
                let kind = FacilityKind::parse(&r.kind).ok_or_else(|| {
                    StoreError::Corrupt(format!("facility {} has kind {:?}", r.id, r.kind))
                })?;
                Ok(FacilityRow {
                    id: r.id,
                    uuid: r.uuid,
                    source: r.source,
                    source_id: r.source_id,
                    kind,
                    name: r.name,
                    address: r.address,
                    city: r.city,
                    postcode: r.postcode,
                    country: r.country,
                    lat: r.lat,
                    lon: r.lon,
                    opening_hours: r.opening_hours,
                    timezone: r.timezone,
                    phones: serde_json::from_str(&r.phones).unwrap_or_default(),
                    website: r.website,
                    email: r.email,
                    description: r.description,
                    organization_id: r.organization_id,
                    languages: serde_json::from_str(&r.languages).unwrap_or_default(),
                    region: r.region,
                    confidential: r.confidential,
                    public_contact: None,
                    reimbursement: serde_json::from_str(&r.reimbursement).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Every stock line, in key order. Read as [`STOCK_LOAD_PARTS`] facility-id
    /// ranges on as many connections at once: decoding rows is most of a restart's
    /// critical path, and one query decodes on one core.
    pub async fn load_stock(&self) -> Result<Vec<StockRow>> {
        let (lo, hi): (Option<i64>, Option<i64>) = dispatch!(self, pool => sqlx::query_as("SELECT MIN(facility_id), MAX(facility_id) FROM stock").fetch_one(pool).await?);
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(Vec::new());
        };
        let span = (hi - lo) / STOCK_LOAD_PARTS + 1;
        let parts: Vec<_> = (0..STOCK_LOAD_PARTS)
            .map(|i| {
                let store = self.clone();
                let from = lo + i * span;
                tokio::spawn(async move { store.load_stock_range(from, from + span).await })
            })
            .collect();
        let mut out = Vec::new();
        for p in parts {
            let part = p
                .await
                .map_err(|e| StoreError::Corrupt(format!("stock load task failed: {e}")))??;
            out.extend(part);
        }
        Ok(out)
    }

    /// Stock lines of facilities with ids in `from..to`, in key order.
    async fn load_stock_range(&self, from: i64, to: i64) -> Result<Vec<StockRow>> {
        let rows: Vec<StockSqlRow> = dispatch!(self, pool => sqlx::query_as("SELECT facility_id, product_id, status, quantity, price_minor, currency, checked_at, source FROM stock WHERE facility_id >= $1 AND facility_id < $2 ORDER BY facility_id, product_id").bind(from).bind(to).fetch_all(pool).await?);
        Ok(stock_rows(rows))
    }

    /// Stock lines of the listed facilities (at most a bind limit's worth of ids).
    pub(super) async fn load_stock_where(&self, facilities: &[i64]) -> Result<Vec<StockRow>> {
        let rows: Vec<StockSqlRow> = dispatch!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new("SELECT facility_id, product_id, status, quantity, price_minor, currency, checked_at, source FROM stock WHERE facility_id IN ");
            super::push_list(&mut qb, facilities.iter().copied());
            qb.build_query_as().fetch_all(pool).await?
        });
        Ok(stock_rows(rows))
    }
}

/// A `stock` row as selected by the loads above.
type StockSqlRow = (
    i64,
    i64,
    String,
    Option<f64>,
    Option<i64>,
    Option<String>,
    i64,
    String,
);

fn stock_rows(rows: Vec<StockSqlRow>) -> Vec<StockRow> {
    rows.into_iter()
        .map(|(f, p, st, q, pr, cur, at, src)| StockRow {
            facility_id: f,
            product_id: p,
            status: StockStatus::parse(&st).unwrap_or(StockStatus::Unknown),
            quantity: q,
            price_minor: pr,
            currency: cur,
            checked_at: at,
            source: src,
        })
        .collect()
}

impl Store {
    /// Weekly slots of facilities: `(facility_id, weekday, opens_at, closes_at)`.
    pub async fn load_facility_schedules(&self) -> Result<Vec<(i64, i64, String, String)>> {
        dispatch!(self, pool => Ok(sqlx::query_as("SELECT facility_id, weekday, opens_at, closes_at FROM schedules WHERE facility_id IS NOT NULL AND weekday IS NOT NULL AND opens_at IS NOT NULL AND closes_at IS NOT NULL").fetch_all(pool).await?))
    }

    /// What the demo stock generator draws from, computed in the database so a
    /// cold start does not read the whole catalog an extra time: pharmacies
    /// `(id, country)`, and for every ingredient link of a US (Drugs@FDA) product
    /// `(product_id, substance_id, products containing that substance)`.
    pub async fn demo_stock_inputs(&self) -> Result<DemoStockInputs> {
        dispatch!(self, pool => {
            let pharmacies = sqlx::query_as("SELECT id, country FROM facilities WHERE kind = 'pharmacy' ORDER BY id")
                .fetch_all(pool)
                .await?;
            let links = sqlx::query_as(
                "SELECT ps.product_id, ps.substance_id, c.n, p.source FROM product_substances ps \
                 JOIN products p ON p.id = ps.product_id \
                 JOIN (SELECT substance_id, COUNT(*) AS n FROM product_substances GROUP BY substance_id) c ON c.substance_id = ps.substance_id \
                 WHERE p.source IN ('us_drugsatfda', 'ua_drlz') ORDER BY ps.product_id, ps.substance_id",
            )
            .fetch_all(pool)
            .await?;
            Ok((pharmacies, links))
        })
    }

    pub async fn counts(&self) -> Result<StoreCounts> {
        dispatch!(self, pool => {
            let (substances, products, names, facilities, organizations, services, stock_lines): (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM substances), (SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM names), (SELECT COUNT(*) FROM facilities), (SELECT COUNT(*) FROM organizations), (SELECT COUNT(*) FROM services), (SELECT COUNT(*) FROM stock)",
            )
            .fetch_one(pool)
            .await?;
            Ok(StoreCounts { substances, products, names, facilities, organizations, services, stock_lines })
        })
    }
}
