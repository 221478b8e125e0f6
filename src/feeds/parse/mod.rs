//! Feed parsing: one entry point, [`parse_file`], that sniffs the container (zip),
//! the encoding (BOM, declared charset, XML prolog, UTF-8 validity, chardetng) and the
//! format (by content, not by name: chains send whatever their export names it), and
//! streams the rows into a [`Sink`] that interns facility and product references.
//!
//! Rows are read one at a time from a spooled file and never the decoded text whole.
//! [`parse_file`] collects every compact row (≈ 56 bytes each: tests, benchmarks);
//! [`parse_file_chunked`] hands them on in [`Chunk`]s as they are parsed, so a push
//! of a million rows holds one chunk at a time.
//!
//! This file keeps what a caller sees (the options, the parsed types, the errors)
//! and the entry points with container and format detection. Each concept the
//! format parsers share has its own file: `sink` (how rows are collected,
//! interned and handed on in chunks), `values` (numbers, statuses and times as
//! feeds write them) and `file_names` (what a chain's file name says); one file
//! per format family (`csvfmt`, `jsonfmt`, `xmlfmt`) and the `encoding` sniffing.
//! Their public items are re-exported here, so the paths stay `feeds::parse::…`.

mod commerceml;
mod csvfmt;
pub mod encoding;
mod file_names;
mod google;
mod jsonfmt;
mod sink;
mod values;
mod xmlfmt;
mod xmltree;
mod yml;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use chrono_tz::Tz;
use serde::Serialize;

use super::report::Rejection;
use super::{CheckedAtSource, CodeSystem};
use crate::model::StockStatus;

pub use file_names::{file_name_time, tabletki_file_name};
pub use sink::{Chunk, ChunkFn, RawRow, Sink};
pub use values::{google_availability, nonempty, parse_decimal, parse_time, split_price};

/// Largest decompressed size of one zip member: guards against zip bombs while
/// leaving room for a big branch file.
pub const MAX_UNZIPPED_BYTES: u64 = 512 * 1024 * 1024;
/// Rejections kept with full detail; beyond this only counts grow, so a garbage
/// push of a million rows cannot make a million-entry report.
pub const MAX_REJECTIONS_LISTED: usize = 1000;

/// The formats accepted, detected by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    MedmapCsv,
    MedmapJson,
    Ndjson,
    TabletkiXml,
    TabletkiJson,
    MorionJson,
    Liki24Csv,
    /// 1C CommerceML 2.x `offers.xml` (full, or changes-only: a delta).
    #[serde(rename = "commerceml")]
    CommerceMl,
    /// Yandex Market YML (`yml_catalog`), offers by outlet.
    Yml,
    /// Google local inventory, RSS/Atom XML with `g:` fields.
    GoogleLocalXml,
    /// Google local inventory, tab-separated.
    GoogleLocalTsv,
}

impl Format {
    /// Whether the format is by definition a full snapshot of the branches it lists.
    pub fn is_snapshot_format(self) -> bool {
        matches!(
            self,
            Format::TabletkiXml
                | Format::TabletkiJson
                | Format::MorionJson
                | Format::Liki24Csv
                | Format::Yml
                | Format::GoogleLocalXml
                | Format::GoogleLocalTsv
        )
    }
}

/// What the caller knows besides the bytes.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// `charset` of the request's Content-Type, if any.
    pub charset: Option<String>,
    /// The file name the client sent (Tabletki and Liki24 put branch and time there).
    pub file_name: Option<String>,
    /// Unix seconds when the push arrived: the last resort for `checked_at`.
    pub received_at: i64,
    /// Zone of naive local times in bodies and file names (Tabletki: Kyiv time).
    pub tz: Tz,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            charset: None,
            file_name: None,
            received_at: chrono::Utc::now().timestamp(),
            tz: chrono_tz::Europe::Kyiv,
        }
    }
}

/// A product as a row names it: every code it carries and its name. Interned, so
/// each distinct product is resolved once per push.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProductRef {
    pub codes: Vec<(CodeSystem, Box<str>)>,
    pub name: Option<Box<str>>,
}

/// One parsed row, compact: references are indices into [`Parsed::facilities`] and
/// [`Parsed::products`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParsedRow {
    pub line: u32,
    pub facility: u32,
    pub product: u32,
    pub status: Option<StockStatus>,
    pub quantity: Option<f64>,
    pub price_minor: Option<i64>,
    pub reserve_minor: Option<i64>,
    /// Index into [`Parsed::currencies`]; `None` = the publisher's default.
    pub currency: Option<u16>,
    pub checked_at: i64,
    pub checked_src: CheckedAtSource,
    /// Delta mode: remove this line instead of upserting it.
    pub remove: bool,
}

/// The result of parsing one push.
#[derive(Debug, Default)]
pub struct Parsed {
    pub format: Option<Format>,
    pub encoding: &'static str,
    pub rows: Vec<ParsedRow>,
    pub facilities: Vec<Box<str>>,
    pub products: Vec<ProductRef>,
    pub currencies: Vec<String>,
    /// Rows rejected while parsing (bad number, missing field), first
    /// [`MAX_REJECTIONS_LISTED`] kept.
    pub rejected: Vec<Rejection>,
    pub rejected_count: u64,
    pub rows_read: u64,
    /// The mode the file states for itself: CommerceML's `СодержитТолькоИзменения`.
    pub mode_hint: Option<super::Mode>,
}

/// A fatal problem with the body as a whole (not one row): 400 for the push.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("cannot read the body: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(String),
}

/// Parses a spooled body whole. `file` is read from its start.
pub fn parse_file(file: File, opts: ParseOptions) -> Result<Parsed, ParseError> {
    let mut sink = Sink::new(opts);
    parse_into(file, &mut sink)?;
    Ok(sink.parsed)
}

/// Parses a spooled body, handing rows to `on_chunk` every `rows_per_chunk` rows (and
/// the rest at the end), so memory holds one chunk, not the push. The returned
/// [`Parsed`] has no rows: it carries the counts, the parse-time rejections and
/// every interned reference.
pub fn parse_file_chunked(
    file: File,
    opts: ParseOptions,
    rows_per_chunk: usize,
    on_chunk: ChunkFn,
) -> Result<Parsed, ParseError> {
    let mut sink = Sink::new(opts);
    sink.chunks = Some((rows_per_chunk.max(1), on_chunk));
    parse_into(file, &mut sink)?;
    sink.flush();
    Ok(sink.parsed)
}

fn parse_into(mut file: File, sink: &mut Sink) -> Result<(), ParseError> {
    let mut magic = [0u8; 4];
    file.seek(SeekFrom::Start(0))?;
    let n = read_up_to(&mut file, &mut magic)?;
    file.seek(SeekFrom::Start(0))?;
    if n == 4 && magic == *b"PK\x03\x04" {
        return parse_zip(file, sink);
    }
    parse_stream(file, None, sink)
}

/// Parses an in-memory body (tests, benchmarks).
pub fn parse_bytes(bytes: &[u8], opts: ParseOptions) -> Result<Parsed, ParseError> {
    let mut f = tempfile::tempfile()?;
    std::io::Write::write_all(&mut f, bytes)?;
    parse_file(f, opts)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Every member of a zip (Tabletki sends one `Rest_<branch>_<time>.xml` per zip; a
/// zip of several branches works the same).
fn parse_zip(file: File, sink: &mut Sink) -> Result<(), ParseError> {
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| ParseError::Format(format!("not a readable zip archive: {e}")))?;
    let outer = sink.opts.file_name.clone();
    let mut members = 0;
    for i in 0..archive.len() {
        let mut member = archive
            .by_index(i)
            .map_err(|e| ParseError::Format(format!("zip member {i}: {e}")))?;
        if member.is_dir() {
            continue;
        }
        let name = member.name().to_string();
        if member.size() > MAX_UNZIPPED_BYTES {
            return Err(ParseError::Format(format!(
                "zip member {name:?} unpacks to {} bytes, more than {MAX_UNZIPPED_BYTES}",
                member.size()
            )));
        }
        let mut spool = tempfile::tempfile()?;
        let copied = std::io::copy(&mut (&mut member).take(MAX_UNZIPPED_BYTES + 1), &mut spool)?;
        if copied > MAX_UNZIPPED_BYTES {
            return Err(ParseError::Format(format!(
                "zip member {name:?} unpacks to more than {MAX_UNZIPPED_BYTES} bytes"
            )));
        }
        spool.seek(SeekFrom::Start(0))?;
        // The member's own name carries branch and time; the outer name is the fallback.
        let tz = sink.tz();
        let when = file_name_time(&name, tz)
            .or_else(|| outer.as_deref().and_then(|o| file_name_time(o, tz)));
        if let Some(t) = when {
            sink.set_default_checked(t, CheckedAtSource::FileName);
        }
        let branch = tabletki_file_name(&name)
            .map(|b| b.0)
            .or_else(|| outer.as_deref().and_then(tabletki_file_name).map(|b| b.0));
        parse_stream(spool, branch, sink)?;
        members += 1;
    }
    if members == 0 {
        return Err(ParseError::Format("the zip archive is empty".into()));
    }
    Ok(())
}

/// Sniffs the encoding and format of one stream and parses it into `sink`.
/// `branch` is the facility from a file name (Tabletki XML rows carry none).
fn parse_stream(file: File, branch: Option<String>, sink: &mut Sink) -> Result<(), ParseError> {
    let (reader, enc, head) = encoding::decoded(file, sink.opts.charset.as_deref())?;
    sink.parsed.encoding = enc.name();
    let first = head.trim_start_matches('\u{feff}').trim_start();
    let branch = branch.or_else(|| {
        sink.opts
            .file_name
            .as_deref()
            .and_then(tabletki_file_name)
            .map(|b| b.0)
    });
    let format = if first.starts_with('<') {
        xml_format(first, enc)?
    } else if first.starts_with('[') {
        Format::MedmapJson
    } else if first.starts_with('{') {
        jsonfmt::sniff_object(first)
    } else if csvfmt::is_liki24(first) {
        Format::Liki24Csv
    } else if csvfmt::is_google_local(first) {
        Format::GoogleLocalTsv
    } else {
        Format::MedmapCsv
    };
    sink.parsed.format = Some(format);
    match format {
        Format::TabletkiXml => xmlfmt::parse(reader, branch.as_deref(), sink),
        Format::MedmapJson => jsonfmt::parse_array(reader, sink),
        Format::Ndjson => jsonfmt::parse_ndjson(reader, sink),
        Format::TabletkiJson => jsonfmt::parse_tabletki(reader, sink),
        Format::MorionJson => jsonfmt::parse_morion(reader, sink),
        Format::CommerceMl => commerceml::parse(reader, sink),
        Format::Yml => yml::parse(reader, sink),
        Format::GoogleLocalXml => google::parse(reader, sink),
        Format::MedmapCsv | Format::Liki24Csv | Format::GoogleLocalTsv => {
            csvfmt::parse(reader, format, &head, sink)
        }
    }
}

/// Which XML feed a document is, by its root element (and, for RSS and Atom,
/// Google's namespace).
fn xml_format(head: &str, enc: &'static encoding_rs::Encoding) -> Result<Format, ParseError> {
    let Some((root, namespaces)) = xmltree::sniff_root(head) else {
        return Err(ParseError::Format(format!(
            "the body starts like XML but has no element medmap can read (read as {}: is that the file's encoding?)",
            enc.name()
        )));
    };
    Ok(match root.as_str() {
        "Offers" | "offers" => Format::TabletkiXml,
        "КоммерческаяИнформация" => Format::CommerceMl,
        "yml_catalog" => Format::Yml,
        "rss" | "feed" if namespaces.iter().any(|n| n.contains("base.google.com/ns/1.0")) => {
            Format::GoogleLocalXml
        }
        "rss" | "feed" => {
            return Err(ParseError::Format(format!(
                "an <{root}> feed without Google's namespace xmlns:g=\"http://base.google.com/ns/1.0\": not a local inventory feed"
            )))
        }
        other if other.contains('\u{fffd}') || (!other.is_ascii() && enc != encoding_rs::UTF_8) => {
            return Err(ParseError::Format(format!(
                "the XML root <{other}> is not readable as {}: the file's encoding is not what it declares (CommerceML from 1C is UTF-8 or windows-1251 with a matching encoding=\"…\")",
                enc.name()
            )))
        }
        other => {
            return Err(ParseError::Format(format!(
                "XML root <{other}> is not a feed medmap reads: Tabletki.ua <Offers>, CommerceML <КоммерческаяИнформация>, YML <yml_catalog>, Google local inventory <rss>/<feed>"
            )))
        }
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_formats;
