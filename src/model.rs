//! Domain records shared by the store, the importers and the snapshot build.
//!
//! They are plain data: the importers produce them, the store persists them and the
//! snapshot turns them into indexes. Keeping them free of SQL and HTTP types lets the
//! same records flow through every layer without conversions at each boundary.

use serde::{Deserialize, Serialize};

/// Where a record came from, so re-imports can upsert by `(source, source_id)` and
/// every answer can say how it knows what it says.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    pub source: String,
    pub source_id: String,
}

impl SourceRef {
    pub fn new(source: impl Into<String>, source_id: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            source_id: source_id.into(),
        }
    }

    /// The record's UUID: its own when the source has UUIDs (HSDS), else a stable
    /// UUIDv5 for sources that have none of their own: HSDS requires
    /// `format: uuid` ids, and deriving them from source + source id keeps them equal
    /// across re-imports and across replicas.
    pub fn uuid(&self) -> uuid::Uuid {
        if let Ok(u) = uuid::Uuid::parse_str(&self.source_id) {
            return u;
        }
        let ns = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"https://medmap.invalid/");
        uuid::Uuid::new_v5(
            &ns,
            format!("{}/{}", self.source, self.source_id).as_bytes(),
        )
    }
}

/// The language or script a name is written in: the name engine's own type, so a
/// name's language reaches the index without a mapping.
pub use medmap_indexers::names::Lang;

/// One spelling of a medication name with its language and the register it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Name {
    pub text: String,
    pub lang: Lang,
    pub source: String,
}

/// An active substance (INN): one concept across registers, so that Нурофен (RU),
/// НУРОФЄН (UA) and Advil (US) can all point at the same ibuprofen.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Substance {
    /// The merge key the catalog computed (stable across re-imports).
    pub key: String,
    pub name_en: Option<String>,
    pub name_uk: Option<String>,
    pub name_ru: Option<String>,
    pub atc: Option<String>,
    pub names: Vec<Name>,
}

/// A product in a register: a trade name with its substances. Stock lines point here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub src: SourceRef,
    pub name: String,
    pub name_latin: Option<String>,
    pub lang: Lang,
    pub form: Option<String>,
    pub strength: Option<String>,
    pub atc: Option<String>,
    pub registration_numbers: Vec<String>,
    pub otc: Option<bool>,
    /// Merge keys of the substances (resolved to ids by the store).
    pub substance_keys: Vec<String>,
    pub names: Vec<Name>,
}

impl Product {
    /// A product known by one name in one register, every other field empty: each
    /// register importer fills in what its file has with struct-update syntax.
    pub fn named(source: &str, source_id: &str, name: &str, lang: Lang) -> Product {
        Product {
            src: SourceRef::new(source, source_id),
            name: name.to_string(),
            name_latin: None,
            lang,
            form: None,
            strength: None,
            atc: None,
            registration_numbers: Vec::new(),
            otc: None,
            substance_keys: Vec::new(),
            names: vec![Name {
                text: name.to_string(),
                lang,
                source: source.to_string(),
            }],
        }
    }
}

/// What a facility is, as citizens and social workers filter by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    Pharmacy,
    Clinic,
    Hospital,
    Dentist,
    Social,
}

impl FacilityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FacilityKind::Pharmacy => "pharmacy",
            FacilityKind::Clinic => "clinic",
            FacilityKind::Hospital => "hospital",
            FacilityKind::Dentist => "dentist",
            FacilityKind::Social => "social",
        }
    }

    pub fn parse(s: &str) -> Option<FacilityKind> {
        Some(match s {
            "pharmacy" => FacilityKind::Pharmacy,
            "clinic" => FacilityKind::Clinic,
            "hospital" => FacilityKind::Hospital,
            "dentist" => FacilityKind::Dentist,
            "social" => FacilityKind::Social,
            _ => return None,
        })
    }
}

/// A place people go to: pharmacy, clinic, hospital or social-service location
/// (an HSDS `location`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Facility {
    pub src: SourceRef,
    pub kind: FacilityKind,
    pub name: String,
    pub organization: Option<SourceRef>,
    pub address: Option<String>,
    pub city: Option<String>,
    /// State, province or region (HSDS `state_province`, required in HSDS addresses).
    pub region: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// OSM `opening_hours` syntax, kept raw: the hours index parses it and falls back to
    /// "hours unknown" rather than failing the facility.
    pub opening_hours: Option<String>,
    pub timezone: Option<String>,
    pub phones: Vec<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub description: Option<String>,
    pub languages: Vec<String>,
    /// Other identifiers of the same place (`(system, value)`), e.g. `("osm", "node/1")`.
    pub external_ids: Vec<(String, String)>,
    /// Where the place is must not be published (a domestic-violence shelter): the
    /// HSDS extension field `x_confidential` (see [`crate::privacy`]).
    #[serde(default)]
    pub confidential: bool,
    /// Reimbursement programmes it dispenses under ([`REIMBURSEMENT_UA`]).
    #[serde(default)]
    pub reimbursement: Vec<String>,
}

impl Facility {
    /// A facility known by its source, kind and name only: what a source says
    /// besides is filled in with struct update syntax (`..Facility::new(…)`).
    pub fn new(src: SourceRef, kind: FacilityKind, name: impl Into<String>) -> Facility {
        Facility {
            src,
            kind,
            name: name.into(),
            organization: None,
            address: None,
            city: None,
            region: None,
            postcode: None,
            country: None,
            lat: None,
            lon: None,
            opening_hours: None,
            timezone: None,
            phones: Vec::new(),
            website: None,
            email: None,
            description: None,
            languages: Vec::new(),
            external_ids: Vec::new(),
            confidential: false,
            reimbursement: Vec::new(),
        }
    }
}

/// Ukraine's "Доступні ліки" (affordable medicines): a pharmacy contracted by the
/// National Health Service of Ukraine dispenses reimbursed prescriptions.
pub const REIMBURSEMENT_UA: &str = "UA:affordable-medicines";

/// An organization that runs services (HSDS `organization`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Organization {
    pub src: SourceRef,
    pub name: String,
    pub alternate_name: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

/// A service an organization offers at some locations (HSDS `service`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub src: SourceRef,
    pub organization: Option<SourceRef>,
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
    /// When the source last changed the record (RFC 3339), for `modified_after`.
    pub last_modified: Option<String>,
    /// The service's own phone numbers (locations carry theirs).
    pub phones: Vec<String>,
    pub cost_options: Vec<CostOption>,
    /// Facilities (locations) where the service is delivered.
    pub locations: Vec<SourceRef>,
    /// The ids the source gave some service-at-location links, by location: kept so
    /// a city's published ids survive; links without one get a derived UUIDv5.
    pub link_ids: Vec<(SourceRef, String)>,
    pub taxonomy_terms: Vec<SourceRef>,
    /// The places the service is delivered at must not be published (HSDS extension
    /// field `x_confidential`, see [`crate::privacy`]): a location linked only to
    /// confidential services is withheld like a confidential location.
    #[serde(default)]
    pub confidential: bool,
    /// What people are told to call instead of an address (a helpline), for a
    /// confidential service: HSDS extension field `x_public_contact`.
    #[serde(default)]
    pub public_contact: Option<String>,
}

/// A price or fee of a service (HSDS `cost_option`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CostOption {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

/// A weekly opening slot of a service or location (HSDS `schedule`, Ohana
/// `regular_schedules`). `weekday` is ISO: 1 = Monday … 7 = Sunday.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schedule {
    pub src: SourceRef,
    pub service: Option<SourceRef>,
    pub facility: Option<SourceRef>,
    pub weekday: Option<u8>,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    pub description: Option<String>,
}

/// A category in a taxonomy (Open Eligibility, HSDS examples, OSM tags).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaxonomyTerm {
    pub src: SourceRef,
    pub code: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub parent: Option<String>,
    pub taxonomy: Option<String>,
    /// The HSDS `taxonomy_id` (a UUID) when the source names its taxonomy record.
    pub taxonomy_id: Option<String>,
    pub language: Option<String>,
}

/// Availability of a product at a facility, as a publisher reported it: the search
/// core's own type, which packs it into two bits of a stock line.
pub use medmap_indexers::stock::StockStatus;

/// One stock line as stored, keyed by store ids (the search index packs its own
/// `medmap_indexers::stock::StockLine` from it). Prices are integers in minor units (kopecks,
/// pence, cents) so sums and comparisons never meet floating-point rounding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockRow {
    pub facility_id: i64,
    pub product_id: i64,
    pub status: StockStatus,
    pub quantity: Option<f64>,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    /// Unix seconds, UTC.
    pub checked_at: i64,
    pub source: String,
}
