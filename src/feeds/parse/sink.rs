//! The chunk sink: where every format parser hands its rows, one [`RawRow`] of
//! borrowed text at a time. It is one type for all formats so that numbers, statuses,
//! times and currencies are read by one set of rules, references are interned once
//! per push, and row-level rejections are counted the same way whatever the format.
//!
//! In streaming mode ([`super::parse_file_chunked`]) it hands rows on in [`Chunk`]s
//! with the references first seen in each, so a push of a million rows holds one
//! chunk at a time; otherwise it collects every row into [`Parsed`].

use std::collections::HashMap;

use chrono_tz::Tz;

use super::file_names::file_name_time;
use super::values::{nonempty, parse_decimal, parse_status, parse_time, StatusOrRemove};
use super::{ParseOptions, Parsed, ParsedRow, ProductRef, MAX_REJECTIONS_LISTED};
use crate::feeds::report::Rejection;
use crate::feeds::{CheckedAtSource, CodeSystem};

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
    /// What the file says of itself (a CommerceML changes-only package is a delta),
    /// known before its first row.
    pub mode_hint: Option<crate::feeds::Mode>,
}

/// Takes a chunk; `false` means the consumer is gone and parsing may stop.
pub type ChunkFn = Box<dyn FnMut(Chunk) -> bool + Send>;

/// Collects rows: parses numbers, statuses and times, interns references, and
/// records row-level rejections.
pub struct Sink {
    pub parsed: Parsed,
    pub(super) opts: ParseOptions,
    /// Streaming: rows per chunk and where chunks go.
    pub(super) chunks: Option<(usize, ChunkFn)>,
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

    /// Rejects a row before [`Sink::push`] (a format's own field rule), counting it as
    /// read, with the offending value.
    /// A record of an XML feed that cannot be read whole: larger than the
    /// gathering limit, or with bytes the declared encoding does not allow
    /// (`what`: "offer", "item"; `hint`: what the format's exporters send).
    /// Counted as read, so the report adds up.
    pub fn reject_record(&mut self, line: u64, what: &str, garbled: bool, hint: &str) {
        self.parsed.rows_read += 1;
        let message = if garbled {
            let enc = self.parsed.encoding;
            format!("the {what} has bytes that are not {enc}: the file's encoding is not what it declares{hint}")
        } else {
            format!("the {what} is larger than 1 MiB")
        };
        self.reject(line, None, "malformed", message);
    }

    pub fn reject_field(&mut self, line: u64, field: &str, reason: &str, message: &str, v: &str) {
        self.parsed.rows_read += 1;
        self.reject_value(line, field, reason, message.to_string(), v);
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
    pub(super) fn flush(&mut self) {
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
            mode_hint: p.mode_hint,
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
                // Unicode upper case: `грн` and `руб` are written in Cyrillic.
                let c = c.to_uppercase();
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
