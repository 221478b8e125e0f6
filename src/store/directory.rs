//! Bulk reads of the social-services directory (HSDS-shaped records) for the
//! snapshot: the HSDS API, the service search and the export all answer from what
//! these load, so they are whole-table reads like the rest of `load`.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use super::{dispatch, Result, Store};
use crate::model::CostOption;

#[derive(Debug, Clone, FromRow, Serialize, Deserialize)]
pub struct OrganizationRow {
    pub id: i64,
    pub uuid: String,
    pub source: String,
    pub source_id: String,
    pub name: String,
    pub alternate_name: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
struct ServiceDbRow {
    id: i64,
    uuid: String,
    source: String,
    source_id: String,
    organization_id: Option<i64>,
    name: String,
    alternate_name: Option<String>,
    description: Option<String>,
    status: String,
    email: Option<String>,
    url: Option<String>,
    eligibility: Option<String>,
    min_age: Option<f64>,
    max_age: Option<f64>,
    languages: String,
    fees: Option<String>,
    application_process: Option<String>,
    last_modified: Option<String>,
    phones: String,
    cost_options: String,
    confidential: bool,
    public_contact: Option<String>,
}

/// A service as the snapshot holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceRow {
    pub id: i64,
    pub uuid: String,
    pub source: String,
    pub source_id: String,
    pub organization_id: Option<i64>,
    pub name: String,
    pub alternate_name: Option<String>,
    pub description: Option<String>,
    pub status: String,
    pub email: Option<String>,
    pub url: Option<String>,
    pub eligibility: Option<String>,
    pub min_age: Option<f64>,
    pub max_age: Option<f64>,
    pub languages: Vec<String>,
    pub fees: Option<String>,
    pub application_process: Option<String>,
    pub last_modified: Option<String>,
    pub phones: Vec<String>,
    pub cost_options: Vec<CostOption>,
    /// Its places must not be published ([`crate::privacy`]).
    pub confidential: bool,
    /// The helpline shown instead of a confidential service's address.
    pub public_contact: Option<String>,
}

#[derive(Debug, Clone, FromRow, Serialize, Deserialize)]
pub struct TermRow {
    pub id: i64,
    pub uuid: String,
    pub source: String,
    pub source_id: String,
    pub code: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub parent: Option<String>,
    pub taxonomy: Option<String>,
    pub taxonomy_id: Option<String>,
    pub language: Option<String>,
}

/// One weekly slot (or a free-text schedule when `weekday` is empty).
#[derive(Debug, Clone, FromRow, Serialize, Deserialize)]
pub struct ScheduleFullRow {
    pub source: String,
    pub source_id: String,
    pub service_id: Option<i64>,
    pub facility_id: Option<i64>,
    pub weekday: Option<i64>,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    pub description: Option<String>,
}

/// A service delivered at a facility; `uuid` is the source's link id, if it had one.
#[derive(Debug, Clone, FromRow, Serialize, Deserialize)]
pub struct LinkRow {
    pub service_id: i64,
    pub facility_id: i64,
    pub uuid: Option<String>,
}

/// Every directory table the snapshot needs beside the facilities.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DirectoryRows {
    pub organizations: Vec<OrganizationRow>,
    pub services: Vec<ServiceRow>,
    pub terms: Vec<TermRow>,
    /// `(service_id, term_id)`.
    pub service_terms: Vec<(i64, i64)>,
    pub links: Vec<LinkRow>,
    pub schedules: Vec<ScheduleFullRow>,
}

impl Store {
    pub async fn load_directory(&self) -> Result<DirectoryRows> {
        dispatch!(self, pool => {
            let organizations = sqlx::query_as("SELECT id, uuid, source, source_id, name, alternate_name, description, email, website FROM organizations ORDER BY id").fetch_all(pool).await?;
            let services: Vec<ServiceDbRow> = sqlx::query_as("SELECT id, uuid, source, source_id, organization_id, name, alternate_name, description, status, email, url, eligibility, min_age, max_age, languages, fees, application_process, last_modified, phones, cost_options, confidential, public_contact FROM services ORDER BY id").fetch_all(pool).await?;
            let terms = sqlx::query_as("SELECT id, uuid, source, source_id, code, name, description, parent, taxonomy, taxonomy_id, language FROM taxonomy_terms ORDER BY id").fetch_all(pool).await?;
            let service_terms = sqlx::query_as("SELECT service_id, term_id FROM service_taxonomy ORDER BY service_id, term_id").fetch_all(pool).await?;
            let links = sqlx::query_as("SELECT service_id, facility_id, uuid FROM service_at_location ORDER BY service_id, facility_id").fetch_all(pool).await?;
            let schedules = sqlx::query_as("SELECT source, source_id, service_id, facility_id, weekday, opens_at, closes_at, description FROM schedules ORDER BY id").fetch_all(pool).await?;
            Ok(DirectoryRows {
                organizations,
                services: services.into_iter().map(ServiceRow::from).collect(),
                terms,
                service_terms,
                links,
                schedules,
            })
        })
    }
}

impl From<ServiceDbRow> for ServiceRow {
    fn from(r: ServiceDbRow) -> Self {
        ServiceRow {
            id: r.id,
            uuid: r.uuid,
            source: r.source,
            source_id: r.source_id,
            organization_id: r.organization_id,
            name: r.name,
            alternate_name: r.alternate_name,
            description: r.description,
            status: r.status,
            email: r.email,
            url: r.url,
            eligibility: r.eligibility,
            min_age: r.min_age,
            max_age: r.max_age,
            languages: serde_json::from_str(&r.languages).unwrap_or_default(),
            fees: r.fees,
            application_process: r.application_process,
            last_modified: r.last_modified,
            phones: serde_json::from_str(&r.phones).unwrap_or_default(),
            cost_options: serde_json::from_str(&r.cost_options).unwrap_or_default(),
            confidential: r.confidential,
            public_contact: r.public_contact,
        }
    }
}
