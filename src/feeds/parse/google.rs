//! Google local inventory feeds, the per-store stock file shops send Google Merchant
//! Center, in its XML form (RSS 2.0 `<item>`s or Atom `<entry>`s with `g:` fields);
//! the tab-separated form is read by `csvfmt` with the same field rules.
//!
//! ```xml
//! <rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>
//!   <item>
//!     <g:store_code>B1</g:store_code><g:id>SKU-1</g:id><g:gtin>4601234567890</g:gtin>
//!     <g:quantity>12</g:quantity><g:price>12.99 USD</g:price><g:availability>in stock</g:availability>
//!   </item>
//! ```
//!
//! `store_code` is a facility (the publisher's branch code for it), `id` the shop's
//! own product id, `gtin` the barcode; a price is an amount and its currency in one
//! field. A local inventory feed is the stores' whole stock, so it replaces
//! (snapshot) unless the push says otherwise.

use std::io::Read;

use super::values::{google_availability, split_price};
use super::xmltree::{Node, Step, Walker};
use super::{nonempty, ParseError, RawRow, Sink};
use crate::feeds::CodeSystem;

pub(super) fn parse(reader: Box<dyn Read + Send>, sink: &mut Sink) -> Result<(), ParseError> {
    let mut w = Walker::new(reader);
    loop {
        match w.step()? {
            Step::Eof => break,
            Step::Close { .. } => {}
            Step::Open { node, empty, depth } => {
                if depth == 1 && node.name != "rss" && node.name != "feed" {
                    return Err(ParseError::Format(format!(
                        "Google local inventory XML is <rss> or <feed>, found <{}>",
                        node.name
                    )));
                }
                if node.name == "item" || node.name == "entry" {
                    w.records += 1;
                    let line = w.records;
                    let item = if empty { Some(node) } else { w.gather(node)? };
                    match item {
                        Some(i) => item_row(sink, line, &i),
                        None => sink.reject_record(line, "item", false, ""),
                    }
                }
            }
        }
    }
    if w.records == 0 {
        return Err(ParseError::Format(
            "Google local inventory XML without <item> or <entry>: nothing to read".into(),
        ));
    }
    Ok(())
}

fn item_row(sink: &mut Sink, line: u64, i: &Node) {
    if i.garbled() {
        sink.reject_record(line, "item", true, "");
        return;
    }
    let text = |k: &str| i.child_text(k);
    let Some(store) = text("store_code") else {
        sink.parsed.rows_read += 1;
        sink.reject(
            line,
            Some("store_code"),
            "missing",
            "a local inventory item needs its store_code".into(),
        );
        return;
    };
    let Some(id) = text("id").or_else(|| text("itemid")) else {
        sink.parsed.rows_read += 1;
        sink.reject(
            line,
            Some("id"),
            "missing",
            "a local inventory item needs its id".into(),
        );
        return;
    };
    let (price, currency) = match text("price").map(|p| (p, split_price(p))) {
        None => (None, None),
        Some((_, Some((amount, cur)))) => (Some(amount), Some(cur)),
        Some((p, None)) => {
            sink.reject_field(
                line,
                "price",
                "invalid",
                "price must be an amount and a currency, e.g. 12.99 USD",
                p,
            );
            return;
        }
    };
    let availability = match text("availability").map(|a| (a, google_availability(a))) {
        None => None,
        Some((_, Some(s))) => Some(s),
        Some((a, None)) => {
            sink.reject_field(
                line,
                "availability",
                "invalid",
                "availability must be in stock, out of stock, limited availability or on display to order",
                a,
            );
            return;
        }
    };
    let mut row = RawRow {
        facility: nonempty(Some(store)),
        name: text("title"),
        quantity: text("quantity"),
        status: availability,
        price,
        currency,
        ..RawRow::default()
    };
    row.set_code(CodeSystem::Chain, Some(id));
    row.set_code(CodeSystem::Barcode, text("gtin"));
    sink.push(line, &row);
}
