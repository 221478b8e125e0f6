//! Targets that need the app crate: the feed parsers as a push runs them, and the
//! HSDS importers' readers.

use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::mpsc;

use medmap::feeds::parse::{parse_file_chunked, Chunk, ParseOptions, ProductRef};
use medmap::feeds::validate::{FacilityRes, ProductRes, Resolved, Rules, Validator};
use medmap::import::{hsds_csv, hsds_json};

/// 2026-11-25T10:00:00Z: the fixtures' file-name times are minutes before it, so
/// their rows are neither in the future nor too old and pass into validation.
const RECEIVED_AT: i64 = 1_795_600_800;

/// What a push does with a body, short of the database: [`parse_file_chunked`] from
/// a spooled file in small chunks (so chunk boundaries fall everywhere), every
/// reference "resolved" (most to a known facility or product, some forbidden or
/// unknown, as the store would answer), and the rows through the [`Validator`].
/// Checks what the parser promises the rest of the push: every row's references
/// and currency index what the chunks handed on.
fn push(body: &[u8], charset: Option<&str>, file_name: Option<&str>) {
    let Ok(mut spool) = tempfile::tempfile() else {
        return;
    };
    if spool.write_all(body).is_err() || spool.seek(SeekFrom::Start(0)).is_err() {
        return;
    }
    let opts = ParseOptions {
        charset: charset.map(String::from),
        file_name: file_name.map(String::from),
        received_at: RECEIVED_AT,
        tz: chrono_tz::Europe::Kyiv,
    };
    let (tx, rx) = mpsc::channel::<Chunk>();
    let parsed = parse_file_chunked(spool, opts, 3, Box::new(move |c| tx.send(c).is_ok()));
    let chunks: Vec<Chunk> = rx.try_iter().collect();
    let Ok(parsed) = parsed else {
        return;
    };

    let mut facilities: Vec<Box<str>> = Vec::new();
    let mut products: Vec<ProductRef> = Vec::new();
    let mut currencies: Vec<String> = Vec::new();
    let mut res = Resolved::default();
    let mut rules = Rules::new(RECEIVED_AT + 3_600);
    rules.max_age_secs = 3_650 * 86_400;
    let mut val = Validator::new(rules, 0);
    let mut rows = 0usize;
    for c in chunks {
        facilities.extend(c.new_facilities);
        products.extend(c.new_products);
        currencies.extend(c.new_currencies);
        while res.facilities.len() < facilities.len() {
            let i = res.facilities.len() as i64;
            res.facilities.push(match i % 5 {
                3 => FacilityRes::Forbidden(1_000 + i),
                4 => FacilityRes::Unknown,
                _ => FacilityRes::Ok(i + 1),
            });
        }
        while res.products.len() < products.len() {
            let i = res.products.len() as i64;
            res.products.push(match i % 4 {
                3 => ProductRes::UnknownCode(format!("code {i}")),
                _ => ProductRes::Ok {
                    product_id: i % 3 + 1,
                    new_codes: vec![("x".into(), format!("{i}"))],
                },
            });
        }
        for r in &c.rows {
            assert!(
                (r.facility as usize) < facilities.len(),
                "row {r:?}: facility index"
            );
            assert!(
                (r.product as usize) < products.len(),
                "row {r:?}: product index"
            );
            if let Some(cur) = r.currency {
                assert!(
                    usize::from(cur) < currencies.len(),
                    "row {r:?}: currency index"
                );
            }
        }
        rows += c.rows.len();
        let (mut lines, mut removals) = (Vec::new(), Vec::new());
        val.chunk(
            &c.rows,
            &facilities,
            &products,
            &res,
            &mut lines,
            &mut removals,
        );
    }
    assert_eq!(facilities.len(), parsed.facilities.len());
    assert_eq!(products.len(), parsed.products.len());
    assert!(
        rows as u64 <= parsed.rows_read,
        "{rows} rows from {} read",
        parsed.rows_read
    );
    let _ = val.finish(&res);
}

/// Charsets a request's Content-Type may name, chosen by the body's length so one
/// input always runs the same way (the fuzzer must be able to replay it).
fn charset(body: &[u8]) -> Option<&'static str> {
    [
        None,
        None,
        Some("utf-8"),
        Some("windows-1251"),
        Some("utf-16le"),
        Some("koi8-r"),
    ][body.len() % 6]
}

/// CSV feeds (medmap CSV with `,` `;` or tab, Liki24, Google local TSV) in every
/// encoding the sniffing tells apart (BOMs, a declared charset, chardetng's guess),
/// with the file names that carry a branch or a time.
pub fn feed_csv(data: &[u8]) {
    let name = [
        None,
        Some("Stock_20261125093000.csv"),
        Some("liki24_20261125.csv"),
    ][data.len() % 3];
    push(data, charset(data), name);
}

/// JSON feeds: medmap JSON arrays, NDJSON, Tabletki and Morion JSON (the format is
/// sniffed from the first object).
pub fn feed_json(data: &[u8]) {
    push(data, charset(data), None);
}

/// XML feeds: Tabletki `<Offers>` (the branch from a `Rest_…` file name), CommerceML
/// 2.x, YML and Google local inventory RSS/Atom, in the declared or sniffed encoding.
pub fn feed_xml(data: &[u8]) {
    let name = [None, Some("Rest_1001_20261125093000.xml")][data.len() % 2];
    push(data, charset(data), name);
}

/// Zip containers. First byte even: the rest is the body as sent (a Tabletki zip,
/// mutated). Odd: the rest is one member's content, zipped here as
/// `Rest_1001_20261125093000.xml` (deflated when the byte is 1 mod 4), so the
/// mutator works on the XML inside while the zip path runs.
pub fn feed_zip(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return push(data, None, None);
    };
    if mode % 2 == 0 {
        return push(rest, None, Some("Rest_1001_20261125093000.zip"));
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if mode % 4 == 1 {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    if zip
        .start_file("Rest_1001_20261125093000.xml", options)
        .and_then(|()| zip.write_all(rest).map_err(Into::into))
        .is_err()
    {
        return;
    }
    if let Ok(body) = zip.finish() {
        push(&body.into_inner(), None, Some("apteka.zip"));
    }
}

/// A directory of its own per process, reused by every input (a new one per input
/// would cost more than the parse).
fn scratch() -> &'static PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("medmap-fuzz-")
            .tempdir()
            .expect("a temporary directory for the HSDS targets");
        dir.keep()
    })
}

/// The HSDS JSON importer's reader: one document (a service, organization, location
/// or service-at-location, nested or a paged list), mapped onto the directory.
/// The importer reads files (`medmap import hsds`), so the input is written to one.
pub fn hsds_json(data: &[u8]) {
    let path = scratch().join("document.json");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let _ = hsds_json::read(&path);
}

/// The tables of an HSDS CSV datapackage, in the order the input gives them,
/// separated by NUL bytes (a table left empty is a missing file).
pub const HSDS_TABLES: [&str; 12] = [
    "organizations.csv",
    "services.csv",
    "locations.csv",
    "service_at_location.csv",
    "addresses.csv",
    "phones.csv",
    "languages.csv",
    "schedules.csv",
    "cost_options.csv",
    "attributes.csv",
    "taxonomy_terms.csv",
    "taxonomies.csv",
];

/// The HSDS CSV datapackage importer's reader: the input split at NUL bytes into
/// the tables of [`HSDS_TABLES`], written to a folder, nested into documents and
/// mapped onto the directory.
pub fn hsds_csv(data: &[u8]) {
    let dir = scratch().join("datapackage");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let mut parts = data.split(|b| *b == 0);
    for table in HSDS_TABLES {
        let path = dir.join(table);
        match parts.next().filter(|p| !p.is_empty()) {
            Some(p) => {
                if std::fs::write(&path, p).is_err() {
                    return;
                }
            }
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let _ = hsds_csv::read(&dir);
}
