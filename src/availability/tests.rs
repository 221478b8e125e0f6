//! The two resolution rules side by side, and the stock a push makes visible, on a
//! small snapshot built here: two substances, a few products (one generic named after
//! its substance, two same-named products of different substances), one pharmacy.

use medmap_indexers::names::{ConceptKind, MatchKind};
use medmap_indexers::stock::Sort;

use super::resolve::{confident_match, product_set, resolve, NameMatch, ResolveMemo};
use super::*;
use crate::catalog::{Catalog, CatalogError, CatalogRows, MedicationId};
use crate::model::{FacilityKind, StockRow, StockStatus};
use crate::snapshot::{ix_line, Snapshot, StockDelta};
use crate::store::{FacilityRow, ProductRow, SubstanceRow};

const IBUPROFEN: i64 = 1;
const PARACETAMOL: i64 = 2;
const NUROFEN: i64 = 10;
const IBUPROFEN_GENERIC: i64 = 11;
const ADVIL: i64 = 12;
const PANADOL: i64 = 20;
const DUO_IBU: i64 = 30;
const DUO_PARA: i64 = 31;
const PHARMACY: i64 = 100;

fn substance(id: i64, en: &str, uk: &str) -> SubstanceRow {
    SubstanceRow {
        id,
        merge_key: en.to_lowercase(),
        name_en: Some(en.into()),
        name_uk: Some(uk.into()),
        name_ru: None,
        atc: None,
    }
}

fn product(id: i64, name: &str) -> ProductRow {
    ProductRow {
        id,
        source: "test".into(),
        source_id: id.to_string(),
        name: name.into(),
        name_latin: None,
        lang: "uk".into(),
        form: None,
        strength: None,
        atc: None,
        registration_numbers: None,
        otc: None,
    }
}

fn pharmacy() -> FacilityRow {
    FacilityRow {
        id: PHARMACY,
        uuid: "00000000-0000-0000-0000-000000000100".into(),
        source: "test".into(),
        source_id: "100".into(),
        kind: FacilityKind::Pharmacy,
        name: "Аптека".into(),
        address: None,
        city: Some("Lviv".into()),
        postcode: None,
        country: Some("UA".into()),
        lat: Some(49.84),
        lon: Some(24.03),
        opening_hours: None,
        timezone: None,
        phones: Vec::new(),
        website: None,
        email: None,
        description: None,
        organization_id: None,
        languages: Vec::new(),
        region: None,
        confidential: false,
        public_contact: None,
        reimbursement: Vec::new(),
    }
}

fn line(product_id: i64, currency: &str, now: i64) -> StockRow {
    StockRow {
        facility_id: PHARMACY,
        product_id,
        status: StockStatus::InStock,
        quantity: Some(3.0),
        price_minor: Some(12_50),
        currency: Some(currency.into()),
        checked_at: now,
        source: "demo".into(),
    }
}

fn snapshot(stock: Vec<StockRow>) -> Snapshot {
    let name = |kind: &str, id: i64, text: &str, lang: &str| {
        (kind.to_string(), id, text.to_string(), lang.to_string())
    };
    let rows = CatalogRows {
        substances: vec![
            substance(IBUPROFEN, "ibuprofen", "ібупрофен"),
            substance(PARACETAMOL, "paracetamol", "парацетамол"),
        ],
        products: vec![
            product(NUROFEN, "Нурофен"),
            product(IBUPROFEN_GENERIC, "Ібупрофен"),
            product(ADVIL, "Advil"),
            product(PANADOL, "Панадол"),
            product(DUO_IBU, "Дуоміл"),
            product(DUO_PARA, "Дуоміл"),
        ],
        links: vec![
            (NUROFEN, IBUPROFEN),
            (IBUPROFEN_GENERIC, IBUPROFEN),
            (ADVIL, IBUPROFEN),
            (PANADOL, PARACETAMOL),
            (DUO_IBU, IBUPROFEN),
            (DUO_PARA, PARACETAMOL),
        ],
        names: vec![
            name("substance", IBUPROFEN, "ibuprofen", "en"),
            name("substance", IBUPROFEN, "ібупрофен", "uk"),
            name("substance", PARACETAMOL, "paracetamol", "en"),
            name("substance", PARACETAMOL, "парацетамол", "uk"),
            name("product", NUROFEN, "Нурофен", "uk"),
            name("product", IBUPROFEN_GENERIC, "Ібупрофен", "uk"),
            name("product", ADVIL, "Advil", "latin"),
            name("product", PANADOL, "Панадол", "uk"),
            name("product", DUO_IBU, "Дуоміл", "uk"),
            name("product", DUO_PARA, "Дуоміл", "uk"),
        ],
    };
    let catalog = Catalog::build(rows, &stock);
    Snapshot::build(
        catalog,
        vec![pharmacy()],
        stock,
        Vec::new(),
        Default::default(),
    )
}

fn off() -> ResolveMemo {
    ResolveMemo::new(0)
}

#[test]
fn feeds_take_only_a_confident_product() {
    let snap = snapshot(Vec::new());
    assert_eq!(
        confident_match(&snap, "Нурофен"),
        NameMatch::Product(NUROFEN)
    );
    // A substance's own name is its generic product.
    assert_eq!(
        confident_match(&snap, "ібупрофен"),
        NameMatch::Product(IBUPROFEN_GENERIC)
    );
    // A substance without a product of its name: refused, with its products offered.
    match confident_match(&snap, "paracetamol") {
        NameMatch::Unresolved { candidates, .. } => {
            assert!(candidates.iter().any(|c| c.id == PANADOL), "{candidates:?}");
            assert!(candidates.iter().all(|c| c.kind == ConceptKind::Product));
        }
        other => panic!("{other:?}"),
    }
    // Two products of one name and different substances: a feed must not guess.
    match confident_match(&snap, "Дуоміл") {
        NameMatch::Unresolved {
            message,
            candidates,
        } => {
            assert!(message.contains("several"), "{message}");
            assert!(candidates.len() >= 2, "{candidates:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        confident_match(&snap, "qqqqqqqqqqqq"),
        NameMatch::Unresolved { candidates, .. } if candidates.is_empty()
    ));
}

#[test]
fn availability_takes_the_best_guess_and_says_how_it_matched() {
    let snap = snapshot(Vec::new());
    // Where a feed refuses, a citizen still gets the best hit, labelled.
    let (mid, m) = resolve(&snap, &off(), None, Some("Дуоміл"), DisplayLang::Uk).expect("resolves");
    assert_eq!(mid.kind, ConceptKind::Product);
    assert!([DUO_IBU, DUO_PARA].contains(&mid.id), "{mid:?}");
    assert_eq!(m.match_kind, Some(MatchKind::Exact));
    let (mid, m) =
        resolve(&snap, &off(), None, Some("ibuprofn"), DisplayLang::En).expect("a typo resolves");
    assert_eq!(mid, MedicationId::new(ConceptKind::Substance, IBUPROFEN));
    assert_eq!(m.match_kind, Some(MatchKind::Fuzzy));
    assert_eq!(&*m.name, "ibuprofen");
    // The id wins over the text and carries no match kind.
    let (mid, m) =
        resolve(&snap, &off(), Some("p10"), Some("Панадол"), DisplayLang::Uk).expect("by id");
    assert_eq!(mid, MedicationId::new(ConceptKind::Product, NUROFEN));
    assert_eq!((m.id.as_str(), m.match_kind), ("p10", None));
    let err = |id: Option<&str>, q: Option<&str>| {
        resolve(&snap, &off(), id, q, DisplayLang::En)
            .map(|_| ())
            .unwrap_err()
    };
    assert_eq!(
        err(Some("p999"), None),
        CatalogError::UnknownId("p999".into())
    );
    assert!(matches!(
        err(Some("x1"), None),
        CatalogError::BadId {
            param: "medication_id",
            ..
        }
    ));
    assert_eq!(err(None, None), CatalogError::NoQuery);
    assert!(matches!(
        err(None, Some("qqqqqqqqqqqq")),
        CatalogError::NoMatch(_)
    ));
}

#[test]
fn a_medication_stands_for_its_products_and_optionally_their_analogs() {
    let snap = snapshot(Vec::new());
    let idx = |ids: &[i64]| {
        let mut v: Vec<u32> = ids.iter().map(|id| snap.product_index[id]).collect();
        v.sort_unstable();
        v
    };
    let nurofen = MedicationId::new(ConceptKind::Product, NUROFEN);
    assert_eq!(product_set(&snap, nurofen, false), idx(&[NUROFEN]));
    assert_eq!(
        product_set(&snap, nurofen, true),
        idx(&[NUROFEN, IBUPROFEN_GENERIC, ADVIL, DUO_IBU])
    );
    // A substance: every product whose only ingredient it is.
    let ibu = MedicationId::new(ConceptKind::Substance, IBUPROFEN);
    assert_eq!(
        product_set(&snap, ibu, false),
        idx(&[NUROFEN, IBUPROFEN_GENERIC, ADVIL, DUO_IBU])
    );
}

#[test]
fn every_price_carries_its_own_currency() {
    let now = chrono::Utc::now();
    let t = now.timestamp();
    let snap = snapshot(vec![line(NUROFEN, "UAH", t), line(ADVIL, "GBP", t)]);
    let ask = |snap: &Snapshot, q: &str| {
        let aq = AvailabilityQuery {
            medication_id: None,
            q: Some(q.into()),
            lat: 49.84,
            lon: 24.03,
            radius_km: 5.0,
            open_now: false,
            reimbursed: false,
            open_at: None,
            analogs: false,
            sort: Sort::Distance,
            limit: 10,
        };
        let ages = StockAges {
            fresh_secs: 86_400,
            cutoff_secs: 3 * 86_400,
        };
        let found = find(snap, ages, &off(), &aq, DisplayLang::En, now).expect("found");
        found
            .items
            .iter()
            .map(|o| o.price.as_ref().and_then(|p| p.currency.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ask(&snap, "Нурофен"), vec![Some("UAH".to_string())]);
    assert_eq!(ask(&snap, "Advil"), vec![Some("GBP".to_string())]);

    // A delta push of one line in GBP changes that line only.
    let f = snap.facility_index[&PHARMACY];
    let p = snap.product_index[&NUROFEN];
    let currencies = ["UAH".to_string(), "GBP".to_string()];
    let up = [(p, ix_line(f, StockStatus::InStock, Some(1.0), Some(999), t))];
    let delta = |replaces| StockDelta {
        ups: &up,
        up_currency: &[1],
        currencies: &currencies,
        removals: &[],
        source: "feed:test",
        replaces,
    };
    let after = snap.with_stock_delta(&snap, &delta(false));
    assert_eq!(ask(&after, "Нурофен"), vec![Some("GBP".to_string())]);
    assert_eq!(ask(&after, "Advil"), vec![Some("GBP".to_string())]);
    let uah = snapshot(vec![line(NUROFEN, "UAH", t), line(ADVIL, "UAH", t)]);
    let mixed = uah.with_stock_delta(&uah, &delta(false));
    assert_eq!(ask(&mixed, "Нурофен"), vec![Some("GBP".to_string())]);
    assert_eq!(ask(&mixed, "Advil"), vec![Some("UAH".to_string())]);
    assert_eq!(mixed.stock_meta[&f].common_currency(), None);
    // A snapshot push replaces the facility's lines, and with them its currency.
    let replaced = uah.with_stock_delta(&uah, &delta(true));
    assert_eq!(replaced.stock_meta[&f].common_currency(), Some("GBP"));
    assert_eq!(replaced.stock_source(f), Some("feed:test"));
}
