//! medmap JSON (an array of row objects), NDJSON (one row object per line), and the
//! JSON the Ukrainian aggregators take: Tabletki.ua Branches/Rests and Morion Skynet.
//!
//! The medmap array is streamed element by element (a serde `SeqAccess` visitor), so
//! a million-row array never exists as one `Value`; NDJSON is read line by line so a
//! broken line is one rejected row, not the end of the push.

use std::fmt;
use std::io::{BufRead, BufReader, Read};

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::{Format, ParseError, RawRow, Sink};
use crate::feeds::CodeSystem;

/// Which JSON object format the head is.
pub(super) fn sniff_object(head: &str) -> Format {
    let probe: String = head.chars().take(4096).collect();
    if probe.contains("\"Branches\"") || probe.contains("\"branches\"") {
        Format::TabletkiJson
    } else if probe.contains("\"meta\"") || probe.contains("\"Meta\"") {
        Format::MorionJson
    } else {
        Format::Ndjson
    }
}

/// A JSON scalar read as text (string, number or bool), since exporters quote
/// numbers or not at random.
#[derive(Debug, Clone, Default)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        d.deserialize_any(V)
    }
}

fn s(v: &Option<Scalar>) -> Option<&str> {
    v.as_ref().map(|x| x.0.as_str())
}

/// One medmap row object. Unknown keys are ignored.
#[derive(Debug, Default, Deserialize)]
struct JRow {
    #[serde(
        alias = "facility_id",
        alias = "facility_external_id",
        alias = "pharmacy_id",
        alias = "branch"
    )]
    facility: Option<Scalar>,
    product_id: Option<Scalar>,
    #[serde(alias = "registration_number", alias = "register")]
    register_id: Option<Scalar>,
    #[serde(alias = "gtin", alias = "ean")]
    barcode: Option<Scalar>,
    #[serde(alias = "product_name")]
    name: Option<Scalar>,
    #[serde(alias = "sku", alias = "chain_code")]
    code: Option<Scalar>,
    morion: Option<Scalar>,
    optima: Option<Scalar>,
    badm: Option<Scalar>,
    venta: Option<Scalar>,
    status: Option<Scalar>,
    #[serde(alias = "qty")]
    quantity: Option<Scalar>,
    price: Option<Scalar>,
    #[serde(alias = "reserve_price", alias = "online_price")]
    price_reserve: Option<Scalar>,
    currency: Option<Scalar>,
    checked_at: Option<Scalar>,
    action: Option<Scalar>,
}

fn push_jrow(line: u64, v: serde_json::Value, sink: &mut Sink) {
    if !v.is_object() {
        sink.parsed.rows_read += 1;
        sink.reject(
            line,
            None,
            "malformed",
            "a row must be a JSON object".into(),
        );
        return;
    }
    let r: JRow = match serde_json::from_value(v) {
        Ok(r) => r,
        Err(e) => {
            sink.parsed.rows_read += 1;
            sink.reject(line, None, "malformed", format!("bad row object: {e}"));
            return;
        }
    };
    let mut row = RawRow {
        facility: s(&r.facility),
        name: s(&r.name),
        status: s(&r.status),
        quantity: s(&r.quantity),
        price: s(&r.price),
        reserve: s(&r.price_reserve),
        currency: s(&r.currency),
        checked_at: s(&r.checked_at),
        action: s(&r.action),
        ..RawRow::default()
    };
    row.set_code(CodeSystem::Medmap, s(&r.product_id));
    row.set_code(CodeSystem::Register, s(&r.register_id));
    row.set_code(CodeSystem::Barcode, s(&r.barcode));
    row.set_code(CodeSystem::Chain, s(&r.code));
    row.set_code(CodeSystem::Morion, s(&r.morion));
    row.set_code(CodeSystem::Optima, s(&r.optima));
    row.set_code(CodeSystem::Badm, s(&r.badm));
    row.set_code(CodeSystem::Venta, s(&r.venta));
    sink.push(line, &row);
}

struct Rows<'s>(&'s mut Sink);

impl<'de> DeserializeSeed<'de> for Rows<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of row objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0u64;
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            i += 1;
            push_jrow(i, v, self.0);
        }
        Ok(())
    }
}

/// A medmap JSON array; `line` in the report is the element's position (1-based).
pub(super) fn parse_array(reader: Box<dyn Read + Send>, sink: &mut Sink) -> Result<(), ParseError> {
    let mut de =
        serde_json::Deserializer::from_reader(BufReader::with_capacity(256 * 1024, reader));
    let read_before = sink.parsed.rows_read;
    Rows(sink)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| {
            ParseError::Format(format!(
                "malformed JSON array (after {} rows): {e}",
                sink.parsed.rows_read - read_before
            ))
        })
}

/// NDJSON: one object per line; blank lines skipped.
pub(super) fn parse_ndjson(
    reader: Box<dyn Read + Send>,
    sink: &mut Sink,
) -> Result<(), ParseError> {
    let mut r = BufReader::with_capacity(256 * 1024, reader);
    let mut buf = String::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        if r.read_line(&mut buf)? == 0 {
            break;
        }
        line += 1;
        let t = buf.trim().trim_start_matches('\u{feff}');
        if t.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(t) {
            Ok(v) => push_jrow(line, v, sink),
            Err(e) => {
                sink.parsed.rows_read += 1;
                sink.reject(line, None, "malformed", format!("not a JSON object: {e}"));
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct TabletkiDoc {
    #[serde(alias = "branches")]
    #[serde(rename = "Branches")]
    branches: Vec<TabletkiBranch>,
}

#[derive(Deserialize)]
struct TabletkiBranch {
    #[serde(rename = "Code", alias = "code")]
    code: Scalar,
    #[serde(rename = "DateTime", alias = "dateTime", alias = "datetime", default)]
    date_time: Option<Scalar>,
    #[serde(rename = "Rests", alias = "rests", default)]
    rests: Vec<TabletkiRest>,
}

#[derive(Deserialize)]
struct TabletkiRest {
    #[serde(rename = "Code", alias = "code")]
    code: Option<Scalar>,
    #[serde(rename = "Price", alias = "price")]
    price: Option<Scalar>,
    #[serde(rename = "Qty", alias = "qty", alias = "Quantity")]
    qty: Option<Scalar>,
    #[serde(rename = "PriceReserve", alias = "priceReserve")]
    price_reserve: Option<Scalar>,
}

/// Tabletki.ua Branches/Rests: each branch listed replaces that branch's stock;
/// products by the chain's code only (reference data comes separately).
pub(super) fn parse_tabletki(
    reader: Box<dyn Read + Send>,
    sink: &mut Sink,
) -> Result<(), ParseError> {
    let doc: TabletkiDoc = serde_json::from_reader(BufReader::new(reader))
        .map_err(|e| ParseError::Format(format!("malformed Tabletki JSON: {e}")))?;
    let mut line = 0u64;
    for b in &doc.branches {
        let when = b.date_time.as_ref().map(|d| d.0.as_str());
        for r in &b.rests {
            line += 1;
            let mut row = RawRow {
                facility: Some(b.code.0.as_str()),
                quantity: s(&r.qty),
                price: s(&r.price),
                reserve: s(&r.price_reserve),
                checked_at: when,
                ..RawRow::default()
            };
            row.set_code(CodeSystem::Chain, s(&r.code));
            sink.push(line, &row);
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct MorionDoc {
    #[serde(alias = "Meta")]
    meta: MorionMeta,
    #[serde(alias = "Data", default)]
    data: Vec<MorionItem>,
}

#[derive(Deserialize)]
struct MorionMeta {
    #[serde(alias = "Id", alias = "ID")]
    id: Scalar,
    #[serde(alias = "Time", default)]
    time: Option<Scalar>,
}

#[derive(Deserialize)]
struct MorionItem {
    #[serde(alias = "Id", alias = "ID")]
    id: Option<Scalar>,
    #[serde(alias = "Name")]
    name: Option<Scalar>,
    #[serde(alias = "Quant", alias = "quantity")]
    quant: Option<Scalar>,
    #[serde(alias = "Price")]
    price: Option<Scalar>,
}

/// Morion Skynet / geoapteka: one pharmacy per body, full snapshot.
pub(super) fn parse_morion(
    reader: Box<dyn Read + Send>,
    sink: &mut Sink,
) -> Result<(), ParseError> {
    let doc: MorionDoc = serde_json::from_reader(BufReader::new(reader))
        .map_err(|e| ParseError::Format(format!("malformed Morion JSON: {e}")))?;
    // Without `time` in the body the sink's default (file name or receipt) applies.
    for (i, it) in doc.data.iter().enumerate() {
        let mut row = RawRow {
            facility: Some(doc.meta.id.0.as_str()),
            name: s(&it.name),
            quantity: s(&it.quant),
            price: s(&it.price),
            checked_at: s(&doc.meta.time),
            ..RawRow::default()
        };
        row.set_code(CodeSystem::Chain, s(&it.id));
        sink.push(i as u64 + 1, &row);
    }
    Ok(())
}
