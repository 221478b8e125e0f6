//! Feed parsing: one entry point, [`parse_file`], that sniffs the container (zip),
//! the encoding (BOM, declared charset, XML prolog, UTF-8 validity, chardetng) and the
//! format (by content, not by name: chains send whatever their export names it), and
//! streams the rows into a [`Sink`] that interns facility and product references.
//!
//! Rows are read one at a time from a spooled file and never the decoded text whole.
//! [`parse_file`] collects every compact row (≈ 56 bytes each: tests, benchmarks);
//! [`parse_file_chunked`] hands them on in [`Chunk`]s as they are parsed, so a push
//! of a million rows holds one chunk at a time.

mod csvfmt;
mod encoding;
mod jsonfmt;
mod xmlfmt;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;

use super::report::Rejection;
use super::{CheckedAtSource, CodeSystem};
use crate::model::StockStatus;

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
}

impl Format {
    /// Whether the format is by definition a full snapshot of the branches it lists.
    pub fn is_snapshot_format(self) -> bool {
        matches!(
            self,
            Format::TabletkiXml | Format::TabletkiJson | Format::MorionJson | Format::Liki24Csv
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
}

/// A fatal problem with the body as a whole (not one row): 400 for the push.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("cannot read the body: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Format(String),
}

/// The fields of one row as text, borrowed from the format parser's buffers.
#[derive(Debug, Default, Clone)]
pub struct RawRow<'a> {
    pub facility: Option<&'a str>,
    /// Indexed like [`CodeSystem::ORDER`].
    pub codes: [Option<&'a str>; 9],
    pub name: Option<&'a str>,
    pub status: Option<&'a str>,
    pub quantity: Option<&'a str>,
    pub price: Option<&'a str>,
    pub reserve: Option<&'a str>,
    pub currency: Option<&'a str>,
    pub checked_at: Option<&'a str>,
    pub action: Option<&'a str>,
}

impl<'a> RawRow<'a> {
    pub fn set_code(&mut self, sys: CodeSystem, v: Option<&'a str>) {
        if let Some(i) = CodeSystem::ORDER.iter().position(|s| *s == sys) {
            self.codes[i] = nonempty(v);
        }
    }
}

/// `Some` only for text with something in it: exports pad missing values with spaces.
pub fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// One batch of parsed rows handed on while parsing, with the references first seen
/// in it (continuing the push's numbering), so the consumer resolves each distinct
/// reference once, as it appears, without waiting for the whole body.
#[derive(Debug, Default)]
pub struct Chunk {
    pub rows: Vec<ParsedRow>,
    /// Appended to the facilities of earlier chunks: a row's `facility` indexes the
    /// concatenation.
    pub new_facilities: Vec<Box<str>>,
    pub new_products: Vec<ProductRef>,
    pub new_currencies: Vec<String>,
    /// Rows rejected while parsing so far (whole push), so a strict push can stop
    /// writing at the first error.
    pub parse_rejected: u64,
}

/// Takes a chunk; `false` means the consumer is gone and parsing may stop.
pub type ChunkFn = Box<dyn FnMut(Chunk) -> bool + Send>;

/// Collects rows: parses numbers, statuses and times, interns references, and
/// records row-level rejections.
pub struct Sink {
    pub parsed: Parsed,
    opts: ParseOptions,
    /// Streaming: rows per chunk and where chunks go.
    chunks: Option<(usize, ChunkFn)>,
    /// References already handed on: facilities, products, currencies.
    sent: (usize, usize, usize),
    /// The consumer went away: the remaining rows are skipped.
    stopped: bool,
    fac_ids: HashMap<Box<str>, u32>,
    prod_ids: HashMap<Box<str>, u32>,
    key_buf: String,
    /// `checked_at` for rows without one: from the file name, else receipt.
    default_checked: (i64, CheckedAtSource),
}

impl Sink {
    pub fn new(opts: ParseOptions) -> Sink {
        let default_checked = opts
            .file_name
            .as_deref()
            .and_then(|n| file_name_time(n, opts.tz))
            .map(|t| (t, CheckedAtSource::FileName))
            .unwrap_or((opts.received_at, CheckedAtSource::Received));
        Sink {
            parsed: Parsed {
                encoding: "UTF-8",
                ..Parsed::default()
            },
            opts,
            chunks: None,
            sent: (0, 0, 0),
            stopped: false,
            fac_ids: HashMap::new(),
            prod_ids: HashMap::new(),
            key_buf: String::new(),
            default_checked,
        }
    }

    /// Overrides the file-name time (a zip member's own name, a Tabletki JSON branch
    /// DateTime) for the rows that follow.
    pub fn set_default_checked(&mut self, t: i64, src: CheckedAtSource) {
        self.default_checked = (t, src);
    }

    pub fn tz(&self) -> Tz {
        self.opts.tz
    }

    pub fn reject(&mut self, line: u64, field: Option<&str>, reason: &str, message: String) {
        self.parsed.rejected_count += 1;
        if self.parsed.rejected.len() < MAX_REJECTIONS_LISTED {
            self.parsed.rejected.push(Rejection {
                line,
                field: field.map(str::to_string),
                reason: reason.to_string(),
                message,
                value: None,
                suggestions: Vec::new(),
            });
        }
    }

    fn reject_value(&mut self, line: u64, field: &str, reason: &str, message: String, v: &str) {
        self.reject(line, Some(field), reason, message);
        if let Some(r) = self.parsed.rejected.last_mut() {
            if r.line == line && r.value.is_none() {
                r.value = Some(v.chars().take(200).collect());
            }
        }
    }

    /// Hands the rows collected so far (and the references they introduced) to the
    /// chunk consumer, if streaming.
    fn flush(&mut self) {
        let Some((n, f)) = self.chunks.as_mut() else {
            return;
        };
        if self.stopped {
            self.parsed.rows.clear();
            return;
        }
        let p = &mut self.parsed;
        let chunk = Chunk {
            rows: std::mem::replace(&mut p.rows, Vec::with_capacity(*n)),
            new_facilities: p.facilities[self.sent.0..].to_vec(),
            new_products: p.products[self.sent.1..].to_vec(),
            new_currencies: p.currencies[self.sent.2..].to_vec(),
            parse_rejected: p.rejected_count,
        };
        self.sent = (p.facilities.len(), p.products.len(), p.currencies.len());
        if !f(chunk) {
            self.stopped = true;
        }
    }

    /// Takes one row; rejects it with the first problem found.
    pub fn push(&mut self, line: u64, r: &RawRow<'_>) {
        if self.stopped {
            return;
        }
        self.parsed.rows_read += 1;
        let Some(fac) = nonempty(r.facility) else {
            self.reject(
                line,
                Some("facility"),
                "missing",
                "no facility (branch / pharmacy id) on this row".into(),
            );
            return;
        };
        let name = nonempty(r.name);
        if name.is_none() && r.codes.iter().all(Option::is_none) {
            self.reject(
                line,
                Some("product"),
                "missing",
                "no product: give a register id, barcode, distributor or chain code, or a name"
                    .into(),
            );
            return;
        }
        let mut remove = false;
        let mut status = None;
        if let Some(a) = nonempty(r.action) {
            match a.to_ascii_lowercase().as_str() {
                "remove" | "delete" | "removed" | "deleted" | "d" => remove = true,
                "upsert" | "update" | "insert" | "add" | "u" | "i" => {}
                _ => {
                    return self.reject_value(
                        line,
                        "action",
                        "invalid",
                        "action must be upsert or remove".into(),
                        a,
                    )
                }
            }
        }
        if let Some(s) = nonempty(r.status) {
            match parse_status(s) {
                Some(StatusOrRemove::Status(st)) => status = Some(st),
                Some(StatusOrRemove::Remove) => remove = true,
                None => {
                    return self.reject_value(
                        line,
                        "status",
                        "invalid",
                        "status must be in_stock, low, out or unknown".into(),
                        s,
                    )
                }
            }
        }
        let quantity = match nonempty(r.quantity).map(|q| (q, parse_decimal(q))) {
            None => None,
            Some((_, Some(q))) => Some(q),
            Some((q, None)) => {
                return self.reject_value(
                    line,
                    "quantity",
                    "invalid",
                    "quantity is not a number".into(),
                    q,
                )
            }
        };
        let price_minor = match self.money(line, "price", r.price) {
            Ok(p) => p,
            Err(()) => return,
        };
        let reserve_minor = match self.money(line, "price_reserve", r.reserve) {
            Ok(p) => p,
            Err(()) => return,
        };
        let (checked_at, checked_src) = match nonempty(r.checked_at) {
            None => self.default_checked,
            Some(t) => match parse_time(t, self.opts.tz) {
                Some(v) => (v, CheckedAtSource::Body),
                None => {
                    return self.reject_value(
                        line,
                        "checked_at",
                        "invalid",
                        "checked_at must be ISO 8601, yyyy-mm-dd hh:mm:ss, dd.mm.yyyy hh:mm:ss or unix seconds".into(),
                        t,
                    )
                }
            },
        };
        let currency = match nonempty(r.currency) {
            None => None,
            Some(c) => {
                let c = c.to_ascii_uppercase();
                let c = match c.as_str() {
                    "ГРН" | "ГРН." | "UAH" => "UAH".to_string(),
                    "РУБ" | "РУБ." | "RUR" => "RUB".to_string(),
                    _ => c,
                };
                if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                    return self.reject_value(
                        line,
                        "currency",
                        "invalid",
                        "currency must be an ISO 4217 code such as UAH".into(),
                        &c,
                    );
                }
                let i = match self.parsed.currencies.iter().position(|x| *x == c) {
                    Some(i) => i,
                    None => {
                        self.parsed.currencies.push(c);
                        self.parsed.currencies.len() - 1
                    }
                };
                Some(i as u16)
            }
        };
        let facility = self.intern_facility(fac);
        let product = self.intern_product(r, name);
        self.parsed.rows.push(ParsedRow {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            facility,
            product,
            status,
            quantity,
            price_minor,
            reserve_minor,
            currency,
            checked_at,
            checked_src,
            remove,
        });
        if matches!(&self.chunks, Some((n, _)) if self.parsed.rows.len() >= *n) {
            self.flush();
        }
    }

    fn money(&mut self, line: u64, field: &str, v: Option<&str>) -> Result<Option<i64>, ()> {
        match nonempty(v) {
            None => Ok(None),
            Some(p) => match parse_decimal(p) {
                Some(x) if x.is_finite() && x.abs() < 1e12 => Ok(Some((x * 100.0).round() as i64)),
                _ => {
                    self.reject_value(
                        line,
                        field,
                        "invalid",
                        format!("{field} is not a number"),
                        p,
                    );
                    Err(())
                }
            },
        }
    }

    fn intern_facility(&mut self, f: &str) -> u32 {
        if let Some(&i) = self.fac_ids.get(f) {
            return i;
        }
        let i = self.parsed.facilities.len() as u32;
        self.parsed.facilities.push(f.into());
        self.fac_ids.insert(f.into(), i);
        i
    }

    fn intern_product(&mut self, r: &RawRow<'_>, name: Option<&str>) -> u32 {
        self.key_buf.clear();
        for (i, c) in r.codes.iter().enumerate() {
            if let Some(c) = c {
                self.key_buf.push(char::from(b'a' + i as u8));
                self.key_buf.push_str(c.trim());
                self.key_buf.push('\u{1f}');
            }
        }
        if let Some(n) = name {
            self.key_buf.push('n');
            self.key_buf.push_str(n);
        }
        if let Some(&i) = self.prod_ids.get(self.key_buf.as_str()) {
            return i;
        }
        let i = self.parsed.products.len() as u32;
        let codes = r
            .codes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (CodeSystem::ORDER[i], Box::<str>::from(c.trim()))))
            .collect();
        self.parsed.products.push(ProductRef {
            codes,
            name: name.map(Box::from),
        });
        self.prod_ids.insert(self.key_buf.as_str().into(), i);
        i
    }
}

enum StatusOrRemove {
    Status(StockStatus),
    Remove,
}

fn parse_status(s: &str) -> Option<StatusOrRemove> {
    let s = s.trim().to_lowercase();
    Some(StatusOrRemove::Status(match s.as_str() {
        "in_stock"
        | "instock"
        | "in stock"
        | "available"
        | "yes"
        | "y"
        | "true"
        | "1"
        | "є"
        | "есть"
        | "в наличии"
        | "в наявності" => StockStatus::InStock,
        "low" | "limited" | "few" | "мало" => StockStatus::Low,
        "out" | "out_of_stock" | "outofstock" | "no" | "n" | "false" | "0" | "немає" | "нет" => {
            StockStatus::Out
        }
        "unknown" | "?" => StockStatus::Unknown,
        "removed" | "remove" | "delete" | "deleted" => return Some(StatusOrRemove::Remove),
        _ => return None,
    }))
}

/// A decimal as pharmacies write it: `12.50`, `12,50`, `1 234,50`, `1,234.50`.
/// The last of `.`/`,` is the decimal separator; spaces and the other mark are
/// thousands separators.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(v) = s.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    let dot = s.rfind('.');
    let comma = s.rfind(',');
    let dec = match (dot, comma) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (None, Some(_)) => Some(','),
        (Some(_), None) => Some('.'),
        (None, None) => None,
    };
    // Decimal commas (`12,50`) are on nearly every row of a pharmacy CSV: rewrite into
    // a stack buffer rather than a new String per field.
    let mut buf = [0u8; 64];
    let mut n = 0;
    let mut out = String::new();
    for ch in s.chars() {
        let c = match ch {
            ' ' | '\u{a0}' | '\u{202f}' | '\'' => continue,
            c if Some(c) == dec => '.',
            ',' | '.' => continue,
            c => c,
        };
        if c.is_ascii() && n < buf.len() {
            buf[n] = c as u8;
            n += 1;
        } else {
            // Rare: long or non-ASCII; the value is then most likely not a number.
            if out.is_empty() {
                out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
            }
            out.push(c);
            n = buf.len() + 1;
        }
    }
    let v = if n <= buf.len() {
        std::str::from_utf8(&buf[..n]).ok()?.parse::<f64>().ok()
    } else {
        out.parse::<f64>().ok()
    };
    v.filter(|v| v.is_finite())
}

/// A timestamp as feeds write it. Naive local times are read in `tz`.
pub fn parse_time(s: &str, tz: Tz) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let v: i64 = s.parse().ok()?;
        return Some(match s.len() {
            13 => v / 1000,
            14 => return naive(s, "%Y%m%d%H%M%S", tz),
            _ => v,
        });
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ] {
        if let Some(t) = naive(s, f, tz) {
            return Some(t);
        }
    }
    for f in ["%Y-%m-%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return local(d.and_hms_opt(0, 0, 0)?, tz);
        }
    }
    None
}

fn naive(s: &str, f: &str, tz: Tz) -> Option<i64> {
    local(NaiveDateTime::parse_from_str(s, f).ok()?, tz)
}

fn local(n: NaiveDateTime, tz: Tz) -> Option<i64> {
    tz.from_local_datetime(&n).earliest().map(|t| t.timestamp())
}

/// `(branch, time)` from a Tabletki file name `Rest_<branch>_<yyyymmddhhmmss>.zip`.
pub fn tabletki_file_name(name: &str) -> Option<(String, Option<i64>)> {
    let base = base_name(name);
    let rest = base
        .strip_prefix("Rest_")
        .or_else(|| base.strip_prefix("rest_"))?;
    match rest.rsplit_once('_') {
        Some((branch, ts)) if ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit()) => Some((
            branch.to_string(),
            naive(ts, "%Y%m%d%H%M%S", chrono_tz::Europe::Kyiv),
        )),
        _ => (!rest.is_empty()).then(|| (rest.to_string(), None)),
    }
}

/// The file name without folders and extensions.
fn base_name(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.split('.').next().unwrap_or(base)
}

/// The time a file name carries: Tabletki `Rest_<branch>_<yyyymmddhhmmss>`, Liki24
/// `Stock_<timestamp>` (yyyymmddhhmmss, unix seconds or milliseconds).
pub fn file_name_time(name: &str, tz: Tz) -> Option<i64> {
    let base = base_name(name);
    if base.starts_with("Rest_") || base.starts_with("rest_") {
        let ts = base.rsplit('_').next()?;
        if ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit()) {
            return naive(ts, "%Y%m%d%H%M%S", tz);
        }
        return None;
    }
    let ts = base.rsplit('_').next()?;
    if base.contains('_') && ts.len() >= 10 && ts.bytes().all(|b| b.is_ascii_digit()) {
        return parse_time(ts, tz);
    }
    None
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
        Format::TabletkiXml
    } else if first.starts_with('[') {
        Format::MedmapJson
    } else if first.starts_with('{') {
        jsonfmt::sniff_object(first)
    } else if csvfmt::is_liki24(first) {
        Format::Liki24Csv
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
        Format::MedmapCsv | Format::Liki24Csv => csvfmt::parse(reader, format, &head, sink),
    }
}

#[cfg(test)]
mod tests;
