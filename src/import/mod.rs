//! Importers: one module per source format, each turning a file into model records
//! plus an [`ImportReport`], and this module, which writes them to the store in
//! dependency order. Every importer upserts by source id, so re-running one changes
//! nothing.

mod csvutil;
pub mod demo_stock;
pub mod directory;
pub mod hsds_csv;
pub mod hsds_json;
pub mod medications;
pub mod nhs;
pub mod ohana;
pub mod osm;
pub mod report;
pub mod seed;
pub mod synthetic_services;

use std::collections::HashMap;
use std::path::Path;

pub use report::{ImportError, ImportReport, Rejection};

use self::demo_stock::{DemoPharmacy, DemoProduct, DEMO_SOURCE};
use self::directory::Directory;
use self::medications::{merge::MergeStats, Catalog, Register};
use crate::model::Facility;
use crate::store::Store;

/// The import sources the CLI knows, `medmap import <source> <path>`.
pub const SOURCES: &[&str] = &[
    "ua-drlz",
    "ru-kz",
    "us-fda",
    "medications",
    "nhs-pharmacies",
    "nhs-gp",
    "nhs-hospitals",
    "osm",
    "ohana",
    "hsds-json",
    "hsds-csv",
    "demo-stock",
    "synthetic-services",
    "bundled",
];

/// Reports progress of a multi-step import (a bar on a terminal, lines otherwise).
pub trait Progress: Send + Sync {
    fn step(&self, what: &str);
}

/// No progress output (tests, library use).
pub struct Quiet;
impl Progress for Quiet {
    fn step(&self, _: &str) {}
}

/// Writes a merged medication catalog; returns the reports and merge counts.
pub async fn import_medications(
    store: &Store,
    dir: &Path,
    registers: &[Register],
) -> Result<(Vec<ImportReport>, MergeStats), ImportError> {
    let (reports, merge, _) = write_medications(store, dir, registers).await?;
    Ok((reports, merge))
}

/// [`import_medications`], also returning the catalog rows as written (see
/// [`seed`]).
async fn write_medications(
    store: &Store,
    dir: &Path,
    registers: &[Register],
) -> Result<(Vec<ImportReport>, MergeStats, crate::catalog::CatalogRows), ImportError> {
    let dir = dir.to_path_buf();
    let regs = registers.to_vec();
    tracing::debug!("reading medication registers");
    let catalog = tokio::task::spawn_blocking(move || Catalog::load(&dir, &regs))
        .await
        .map_err(task_failed)??;
    let t = std::time::Instant::now();
    // Substances and products in one transaction: a catalog is never left with the
    // new substances and without their products.
    let mut tx = store.begin_import().await?;
    let ids = tx.upsert_substances(&catalog.substances).await?;
    tracing::debug!(
        elapsed_ms = t.elapsed().as_millis() as u64,
        "substances written"
    );
    let product_ids = tx.upsert_products(&catalog.products, &ids).await?;
    tx.commit().await?;
    tracing::debug!(
        elapsed_ms = t.elapsed().as_millis() as u64,
        "products written"
    );
    let rows = seed::catalog_rows(&catalog.substances, &ids, &catalog.products, &product_ids);
    Ok((catalog.reports, catalog.merge, rows))
}

async fn save_facilities(
    store: &Store,
    (facilities, report): (Vec<Facility>, ImportReport),
) -> Result<ImportReport, ImportError> {
    store
        .upsert_facilities(&crate::geo::completed(&facilities))
        .await?;
    Ok(report)
}

/// Every `*.geojson` (OSM-style properties: OpenStreetMap extracts, the NSZU lists)
/// and `*.json` (Overpass API answers) in a folder, or one file.
pub async fn import_osm(store: &Store, path: &Path) -> Result<Vec<ImportReport>, ImportError> {
    let mut reports = Vec::new();
    for (d, rep) in read_osm(path)? {
        d.save(store).await?;
        reports.push(rep);
    }
    Ok(reports)
}

/// Parses every `*.geojson` and `*.json` in a folder (or one file), in name order.
fn read_osm(path: &Path) -> Result<Vec<(Directory, ImportReport)>, ImportError> {
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut v: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| ImportError::Io {
                path: path.display().to_string(),
                source: e,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                // GeoJSON extracts, and Overpass API answers saved as .json.
                n.ends_with(".geojson") || n.ends_with(".json")
            })
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    files.iter().map(|f| osm::read(f)).collect()
}

/// Parsing on the blocking pool, started at once and awaited when its turn to
/// write comes.
fn parse_task<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ImportError> + Send + 'static,
) -> tokio::task::JoinHandle<Result<T, ImportError>> {
    tokio::task::spawn_blocking(f)
}

fn task_failed(e: tokio::task::JoinError) -> ImportError {
    ImportError::Format {
        path: "bundled data".into(),
        message: format!("import task failed: {e}"),
    }
}

/// Demo stock for every pharmacy in the store, replacing earlier demo lines.
pub async fn import_demo_stock(
    store: &Store,
    seed: u64,
    now: i64,
) -> Result<ImportReport, ImportError> {
    Ok(write_demo_stock(store, seed, now).await?.0)
}

/// [`import_demo_stock`], also returning the lines generated.
async fn write_demo_stock(
    store: &Store,
    seed: u64,
    now: i64,
) -> Result<(ImportReport, Vec<crate::model::StockRow>), ImportError> {
    let (pharmacies, links) = store.demo_stock_inputs().await?;
    // Ukrainian pharmacies stock the Ukrainian register's products (in UAH); the
    // others, in England, Finland, Sweden, Estonia, the English-named US products.
    let (ukrainian, others): (Vec<DemoPharmacy>, Vec<DemoPharmacy>) = pharmacies
        .into_iter()
        .map(|(id, country)| DemoPharmacy { id, country })
        .partition(|p| p.country.as_deref() == Some("UA"));
    let mut lines =
        demo_stock::generate(seed, now, &others, &demo_pool(&links, "us_drugsatfda"), 20);
    lines.extend(demo_stock::generate(
        seed.wrapping_add(1),
        now,
        &ukrainian,
        &demo_pool(&links, "ua_drlz"),
        20,
    ));
    tracing::debug!(lines = lines.len(), "demo stock generated");
    let mut rep = ImportReport::new(format!("demo-stock (seed {seed})"));
    rep.read = lines.len() as u64;
    rep.imported = store.replace_stock_source(DEMO_SOURCE, &lines).await? as u64;
    Ok((rep, lines))
}

/// The 600 commonest products of `register`: how common a product is, its
/// commonest ingredient, divided among the ingredients (single-substance products
/// are what pharmacies stock most).
fn demo_pool(links: &[(i64, i64, i64, String)], register: &str) -> Vec<DemoProduct> {
    let mut weight: HashMap<i64, (f64, usize)> = HashMap::new();
    for (p, _, products_with_substance, _) in links.iter().filter(|l| l.3 == register) {
        let w = weight.entry(*p).or_default();
        w.0 = w.0.max((1.0 + *products_with_substance as f64).ln());
        w.1 += 1;
    }
    let mut pool: Vec<DemoProduct> = weight
        .into_iter()
        .map(|(p, (w, n))| DemoProduct {
            id: p,
            weight: w / n as f64,
        })
        .collect();
    pool.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.id.cmp(&b.id)));
    pool.truncate(600);
    pool
}

/// The synthetic national services directory ([`synthetic_services`]), sized by
/// `MEDMAP_SYNTH_SERVICES` / `MEDMAP_SYNTH_LOCATIONS` (default 200,000 services
/// at 120,000 locations); the path is ignored.
pub async fn import_synthetic_services(
    store: &Store,
    seed: u64,
) -> Result<ImportReport, ImportError> {
    let (services, locations) = synthetic_services::sizes_from_env();
    let d = tokio::task::spawn_blocking(move || {
        synthetic_services::national_directory(seed, services, locations)
    })
    .await
    .map_err(task_failed)?;
    let mut rep = ImportReport::new(format!(
        "synthetic-services (seed {seed}, {services} services at {locations} locations)"
    ));
    rep.read = (d.services.len() + d.facilities.len() + d.organizations.len()) as u64;
    d.save(store).await?;
    rep.imported = rep.read;
    Ok(rep)
}

/// Imports one source by its CLI name; medication sources also say how substances merged.
pub async fn import_source(
    store: &Store,
    source: &str,
    path: &Path,
    seed: u64,
) -> Result<(Vec<ImportReport>, Option<MergeStats>), ImportError> {
    let registers: &[Register] = match source {
        "ua-drlz" => &[Register::Ua],
        "ru-kz" => &[Register::RuKz],
        "us-fda" => &[Register::Us],
        "medications" => &[Register::Ua, Register::RuKz, Register::Us],
        "bundled" => {
            let (r, m) = import_bundled(store, path, &Quiet).await?;
            return Ok((r, Some(m)));
        }
        _ => &[],
    };
    if !registers.is_empty() {
        let (r, m) = import_medications(store, path, registers).await?;
        return Ok((r, Some(m)));
    }
    let reports = match source {
        "nhs-pharmacies" => {
            vec![save_facilities(store, nhs::read(path, nhs::NhsList::Pharmacies)?).await?]
        }
        "nhs-gp" => {
            vec![save_facilities(store, nhs::read(path, nhs::NhsList::GpPractices)?).await?]
        }
        "nhs-hospitals" => {
            vec![save_facilities(store, nhs::read(path, nhs::NhsList::Hospitals)?).await?]
        }
        "osm" => import_osm(store, path).await?,
        "ohana" => {
            let (d, reps) = ohana::read(path)?;
            d.save(store).await?;
            reps
        }
        "hsds-json" => {
            let (d, rep) = hsds_json::read(path)?;
            d.save(store).await?;
            vec![rep]
        }
        "hsds-csv" => {
            let (d, rep) = hsds_csv::read(path)?;
            d.save(store).await?;
            vec![rep]
        }
        "demo-stock" => vec![import_demo_stock(store, seed, chrono::Utc::now().timestamp()).await?],
        "synthetic-services" => vec![import_synthetic_services(store, seed).await?],
        "duty" => vec![crate::duty::import_file(store, path).await?],
        other => return Err(ImportError::UnknownSource(other.to_string())),
    };
    Ok((reports, None))
}

/// Imports the bundled `data/` folder. Every source is parsed on the blocking
/// pool as soon as the import starts, all at once (they are independent files),
/// while the writes run one after another in a fixed order: facilities before
/// the demo stock that needs their ids. Parsing the registers alone takes one
/// core for seconds; the other core parses the facility files meanwhile.
pub async fn import_bundled(
    store: &Store,
    data: &Path,
    progress: &dyn Progress,
) -> Result<(Vec<ImportReport>, MergeStats), ImportError> {
    let (reports, merge, _) = import_bundled_seeded(store, data, progress).await?;
    Ok((reports, merge))
}

/// [`import_bundled`], also returning the first snapshot's rows when the
/// database held no catalog and no stock before (then what was written is all
/// there is; see [`seed`]).
pub async fn import_bundled_seeded(
    store: &Store,
    data: &Path,
    progress: &dyn Progress,
) -> Result<(Vec<ImportReport>, MergeStats, Option<seed::Seed>), ImportError> {
    let before = store.counts().await?;
    let empty = before.substances == 0
        && before.products == 0
        && before.names == 0
        && before.stock_lines == 0;
    let mut reports = Vec::new();
    let fac = data.join("facilities");
    let nhs_files = {
        let fac = fac.clone();
        parse_task(move || {
            let mut out = Vec::new();
            for (file, list) in [
                ("uk_nhs_pharmacies_england.csv", nhs::NhsList::Pharmacies),
                (
                    "uk_nhs_gp_practices_england_2016.csv",
                    nhs::NhsList::GpPractices,
                ),
                ("uk_nhs_hospitals_england_2016.csv", nhs::NhsList::Hospitals),
            ] {
                let p = fac.join(file);
                if p.exists() {
                    out.push(nhs::read(&p, list)?);
                }
            }
            Ok(out)
        })
    };
    let osm_files = {
        let fac = fac.clone();
        parse_task(move || read_osm(&fac))
    };
    let social = {
        let (fac, data) = (fac.clone(), data.to_path_buf());
        parse_task(move || {
            let mut dir = Directory::default();
            let mut reports = Vec::new();
            let ohana_dir = fac.join("us_san_mateo_ohana_sample");
            if ohana_dir.exists() {
                let (d, r) = ohana::read(&ohana_dir)?;
                dir.extend(d);
                reports.extend(r);
            }
            let hsds = data.join("hsds").join("examples");
            if hsds.exists() {
                let (d, r) = hsds_json::read(&hsds)?;
                dir.extend(d);
                reports.push(r);
            }
            let hsds_csv_dir = hsds.join("csv");
            if hsds_csv_dir.exists() {
                let (d, r) = hsds_csv::read(&hsds_csv_dir)?;
                dir.extend(d);
                reports.push(r);
            }
            Ok((dir, reports))
        })
    };

    progress.step("medication registers (UA, RU, KZ, US)");
    let (r, merge, catalog_rows) = write_medications(
        store,
        &data.join("medications"),
        &[Register::Ua, Register::RuKz, Register::Us],
    )
    .await?;
    reports.extend(r);
    progress.step("NHS pharmacies, GP practices and hospitals");
    for parsed in nhs_files.await.map_err(task_failed)?? {
        reports.push(save_facilities(store, parsed).await?);
    }
    progress.step("OpenStreetMap facilities");
    for (d, rep) in osm_files.await.map_err(task_failed)?? {
        d.save(store).await?;
        reports.push(rep);
    }
    progress.step("social services (Ohana, HSDS)");
    let (dir, r) = social.await.map_err(task_failed)??;
    dir.save(store).await?;
    reports.extend(r);
    progress.step("demo stock");
    let (r, lines) = write_demo_stock(store, 42, chrono::Utc::now().timestamp()).await?;
    reports.push(r);
    store
        .meta_set("bundled_import", &chrono::Utc::now().to_rfc3339())
        .await?;
    let seed = empty.then(|| seed::Seed {
        catalog: catalog_rows,
        stock: seed::stock_rows(&lines),
    });
    Ok((reports, merge, seed))
}
