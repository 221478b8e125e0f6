//! Yandex Market YML: the catalogue shops (and pharmacy chains with pick-up points)
//! publish for marketplaces.
//!
//! ```xml
//! <yml_catalog date="2026-12-07 09:30">
//!   <shop>
//!     <currencies><currency id="RUR" rate="1"/></currencies>
//!     <offers>
//!       <offer id="12345" available="true">
//!         <name>…</name><price>45.50</price><currencyId>RUR</currencyId><barcode>…</barcode>
//!         <outlets><outlet id="1" instock="20"/></outlets>
//!       </offer>
//! ```
//!
//! One row per offer and outlet: an outlet (`outlet@id`) is a facility, named by the
//! publisher's branch code for it, with `instock` as its quantity. `available="false"`
//! is out of stock at every outlet. A YML catalogue is the shop's whole range, so it
//! replaces (snapshot) unless the push says otherwise.

use std::io::Read;

use super::xmltree::{Node, Step, Walker};
use super::{nonempty, ParseError, RawRow, Sink};
use crate::feeds::CodeSystem;

pub(super) fn parse(reader: Box<dyn Read + Send>, sink: &mut Sink) -> Result<(), ParseError> {
    let mut w = Walker::new(reader);
    let mut date: Option<String> = None;
    let mut path: Vec<String> = Vec::new();
    let mut saw_offers = false;
    loop {
        match w.step()? {
            Step::Eof => break,
            Step::Close { depth, .. } => path.truncate(depth),
            Step::Open { node, empty, depth } => {
                path.truncate(depth - 1);
                match (depth, node.name.as_str()) {
                    (1, "yml_catalog") => date = node.attr("date").map(str::to_string),
                    (1, other) => {
                        return Err(ParseError::Format(format!(
                            "YML root must be <yml_catalog>, found <{other}>"
                        )))
                    }
                    (3, "offers") => saw_offers = true,
                    (4, "offer") if path.last().is_some_and(|p| p == "offers") => {
                        w.records += 1;
                        let line = w.records;
                        let offer = if empty { Some(node) } else { w.gather(node)? };
                        match offer {
                            Some(o) => offer_rows(sink, line, &o, date.as_deref()),
                            None => sink.reject_record(line, "offer", false, ""),
                        }
                        continue;
                    }
                    _ => {}
                }
                if !empty {
                    path.push(node.name);
                }
            }
        }
    }
    if !saw_offers {
        return Err(ParseError::Format(
            "YML without <shop><offers>: nothing to read".into(),
        ));
    }
    Ok(())
}

fn offer_rows(sink: &mut Sink, line: u64, o: &Node, date: Option<&str>) {
    if o.garbled() {
        sink.reject_record(line, "offer", true, "");
        return;
    }
    let Some(id) = nonempty(o.attr("id")) else {
        sink.parsed.rows_read += 1;
        sink.reject(
            line,
            Some("id"),
            "missing",
            "an offer needs its id attribute".into(),
        );
        return;
    };
    let available = match o.attr("available").map(|a| a.trim().to_ascii_lowercase()) {
        None => None,
        Some(a) if a == "true" || a == "1" => Some(true),
        Some(a) if a == "false" || a == "0" => Some(false),
        Some(a) => {
            sink.parsed.rows_read += 1;
            sink.reject(
                line,
                Some("available"),
                "invalid",
                format!("available must be true or false, got {a:?}"),
            );
            return;
        }
    };
    // Vendor-model offers have no <name>: typePrefix vendor model is their name.
    let composed: Option<String> = if o.child_text("name").is_none() {
        let parts: Vec<&str> = ["typePrefix", "vendor", "model"]
            .iter()
            .filter_map(|k| o.child_text(k))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    } else {
        None
    };
    let name = o.child_text("name").or(composed.as_deref());
    let outlets: Vec<&Node> = o
        .child("outlets")
        .map(|x| x.children_named("outlet").collect())
        .unwrap_or_default();
    if outlets.is_empty() {
        sink.parsed.rows_read += 1;
        sink.reject(
            line,
            Some("outlets"),
            "missing",
            "the offer lists no <outlets><outlet id=… instock=…/>; medmap maps each outlet to a branch code of the key".into(),
        );
        return;
    }
    for outlet in outlets {
        let mut row = RawRow {
            facility: nonempty(outlet.attr("id")),
            name,
            quantity: outlet.attr("instock"),
            status: (available == Some(false)).then_some("out"),
            price: o.child_text("price"),
            currency: o.child_text("currencyId"),
            checked_at: date,
            ..RawRow::default()
        };
        row.set_code(CodeSystem::Chain, Some(id));
        row.set_code(CodeSystem::Barcode, o.child_text("barcode"));
        if row.facility.is_none() {
            sink.parsed.rows_read += 1;
            sink.reject(
                line,
                Some("outlet"),
                "missing",
                "an outlet without its id".into(),
            );
            continue;
        }
        sink.push(line, &row);
    }
}
