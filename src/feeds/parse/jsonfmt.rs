//! medmap JSON (an array of row objects), NDJSON (one row object per line), and the
//! JSON the Ukrainian aggregators take: Tabletki.ua Branches/Rests and Morion Skynet.
//!
//! The medmap array is streamed element by element (a serde `SeqAccess` visitor), so
//! a million-row array never exists as one `Value`; NDJSON is read line by line so a
//! broken line is one rejected row, not the end of the push. The Tabletki and Morion
//! documents are streamed the same way, row by row inside their nesting.

use std::fmt;
use std::io::{BufRead, BufReader, Read};

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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

/// A seed that is its own visitor: `deserialize` hands the value to `self` as a map
/// or a sequence.
macro_rules! seed_is_visitor {
    ($t:ident, $v:ty, $how:ident) => {
        impl<'de> DeserializeSeed<'de> for $t<'_, '_> {
            type Value = $v;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<$v, D::Error> {
                d.$how(self)
            }
        }
    };
}

/// Where the rows of a streamed aggregator document go: the sink and the running row
/// number the report cites.
struct Out<'s> {
    sink: &'s mut Sink,
    line: u64,
}

impl Out<'_> {
    fn tabletki(&mut self, branch: &str, when: Option<&str>, r: &TabletkiRest) {
        self.line += 1;
        let mut row = RawRow {
            facility: Some(branch),
            quantity: s(&r.qty),
            price: s(&r.price),
            reserve: s(&r.price_reserve),
            checked_at: when,
            ..RawRow::default()
        };
        row.set_code(CodeSystem::Chain, s(&r.code));
        self.sink.push(self.line, &row);
    }

    fn morion(&mut self, meta: &MorionMeta, it: &MorionItem) {
        self.line += 1;
        // Without `time` in the body the sink's default (file name or receipt) applies.
        let mut row = RawRow {
            facility: Some(meta.id.0.as_str()),
            name: s(&it.name),
            quantity: s(&it.quant),
            price: s(&it.price),
            checked_at: s(&meta.time),
            ..RawRow::default()
        };
        row.set_code(CodeSystem::Chain, s(&it.id));
        self.sink.push(self.line, &row);
    }
}

/// Visits a JSON array element by element, handing each to `each`: a big array is
/// never held whole.
struct EachOf<T, F>(F, std::marker::PhantomData<T>);

impl<T, F> EachOf<T, F> {
    fn new(f: F) -> Self {
        EachOf(f, std::marker::PhantomData)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> DeserializeSeed<'de> for EachOf<T, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> Visitor<'de> for EachOf<T, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<T>()? {
            (self.0)(v);
        }
        Ok(())
    }
}

/// Key names of a Tabletki document, as exporters spell them.
fn is_key(k: &str, names: &[&str]) -> bool {
    names.contains(&k)
}

/// The Tabletki document: `{"Branches": [...]}`, other keys ignored.
struct TabletkiDoc<'o, 's>(&'o mut Out<'s>);

seed_is_visitor!(TabletkiDoc, bool, deserialize_map);

impl<'de> Visitor<'de> for TabletkiDoc<'_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Tabletki object with Branches")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut seen = false;
        while let Some(k) = map.next_key::<String>()? {
            if is_key(&k, &["Branches", "branches"]) {
                seen = true;
                map.next_value_seed(Branches(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(seen)
    }
}

struct Branches<'o, 's>(&'o mut Out<'s>);

seed_is_visitor!(Branches, (), deserialize_seq);

impl<'de> Visitor<'de> for Branches<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of branches")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Branch(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One branch. Its rests are streamed when `Code` and `DateTime` came before them (as
/// exporters write them); otherwise that one branch's rests wait for the rest of its
/// object.
struct Branch<'o, 's>(&'o mut Out<'s>);

seed_is_visitor!(Branch, (), deserialize_map);

impl<'de> Visitor<'de> for Branch<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a branch object with Code and Rests")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let (mut code, mut when): (Option<Scalar>, Option<Option<Scalar>>) = (None, None);
        let mut waiting: Vec<TabletkiRest> = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            if is_key(&k, &["Code", "code"]) {
                code = Some(map.next_value()?);
            } else if is_key(&k, &["DateTime", "dateTime", "datetime"]) {
                when = Some(map.next_value()?);
            } else if is_key(&k, &["Rests", "rests"]) {
                match (&code, &when) {
                    (Some(c), Some(w)) => {
                        let w = w.as_ref().map(|x| x.0.as_str());
                        map.next_value_seed(EachOf::new(|r: TabletkiRest| {
                            out.tabletki(&c.0, w, &r)
                        }))?;
                    }
                    _ => map.next_value_seed(EachOf::new(|r: TabletkiRest| waiting.push(r)))?,
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let code = code.ok_or_else(|| serde::de::Error::missing_field("Code"))?;
        let when = when.flatten();
        for r in &waiting {
            out.tabletki(&code.0, when.as_ref().map(|x| x.0.as_str()), r);
        }
        Ok(())
    }
}

/// Tabletki.ua Branches/Rests: each branch listed replaces that branch's stock;
/// products by the chain's code only (reference data comes separately). Streamed:
/// a chain's million rests are never held at once.
pub(super) fn parse_tabletki(
    reader: Box<dyn Read + Send>,
    sink: &mut Sink,
) -> Result<(), ParseError> {
    let mut de =
        serde_json::Deserializer::from_reader(BufReader::with_capacity(256 * 1024, reader));
    let mut out = Out { sink, line: 0 };
    let seen = TabletkiDoc(&mut out)
        .deserialize(&mut de)
        .and_then(|seen| de.end().map(|()| seen))
        .map_err(|e| ParseError::Format(format!("malformed Tabletki JSON: {e}")))?;
    if !seen {
        return Err(ParseError::Format(
            "malformed Tabletki JSON: missing field `Branches`".into(),
        ));
    }
    Ok(())
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

/// The Morion document: `{"meta": {...}, "data": [...]}`. Items are streamed when
/// `meta` came first (as exporters write it), else held until it arrives.
struct MorionDoc<'o, 's>(&'o mut Out<'s>);

seed_is_visitor!(MorionDoc, (), deserialize_map);

impl<'de> Visitor<'de> for MorionDoc<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Morion object with meta and data")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.0;
        let mut meta: Option<MorionMeta> = None;
        let mut waiting: Vec<MorionItem> = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            if is_key(&k, &["meta", "Meta"]) {
                meta = Some(map.next_value()?);
            } else if is_key(&k, &["data", "Data"]) {
                match &meta {
                    Some(m) => map.next_value_seed(EachOf::new(|it| out.morion(m, &it)))?,
                    None => map.next_value_seed(EachOf::new(|it: MorionItem| waiting.push(it)))?,
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        let meta = meta.ok_or_else(|| serde::de::Error::missing_field("meta"))?;
        for it in &waiting {
            out.morion(&meta, it);
        }
        Ok(())
    }
}

/// Morion Skynet / geoapteka: one pharmacy per body, full snapshot.
pub(super) fn parse_morion(
    reader: Box<dyn Read + Send>,
    sink: &mut Sink,
) -> Result<(), ParseError> {
    let mut de =
        serde_json::Deserializer::from_reader(BufReader::with_capacity(256 * 1024, reader));
    let mut out = Out { sink, line: 0 };
    MorionDoc(&mut out)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| ParseError::Format(format!("malformed Morion JSON: {e}")))
}
