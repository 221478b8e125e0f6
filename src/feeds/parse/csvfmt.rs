//! medmap's CSV and Liki24's CSV. Exports from pharmacy software differ in
//! delimiter (`,` or `;` from Excel in a comma-decimal locale), quoting, header
//! spelling and language, so the header is matched through an alias table and the
//! delimiter is sniffed from the header line.

use std::io::Read;

use super::{nonempty, Format, ParseError, RawRow, Sink};
use crate::feeds::CodeSystem;

/// What a column feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Facility,
    Code(CodeSystem),
    Name,
    Producer,
    Status,
    Quantity,
    Price,
    PriceFallback,
    Reserve,
    Currency,
    CheckedAt,
    Action,
    /// Google's `12.99 USD`: amount and currency in one field.
    PriceWithCurrency,
    /// Google's `in stock`, `out of stock`, `limited availability`.
    GoogleAvailability,
    Ignored,
}

fn norm_header(h: &str) -> String {
    h.trim()
        .trim_matches('"')
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace([' ', '-', '.'], "_")
}

fn medmap_col(h: &str) -> Col {
    match h {
        "facility"
        | "facility_id"
        | "facility_external_id"
        | "facility_ref"
        | "pharmacy"
        | "pharmacy_id"
        | "branch"
        | "branch_id"
        | "branch_code"
        | "store"
        | "store_code"
        | "аптека"
        | "код_аптеки"
        | "філія"
        | "филиал" => Col::Facility,
        "product_id" | "medmap_product_id" | "medication_id" => Col::Code(CodeSystem::Medmap),
        "register_id"
        | "registration_number"
        | "register"
        | "register_number"
        | "reg_number"
        | "рег_номер"
        | "реєстраційне_посвідчення"
        | "регистрационный_номер" => Col::Code(CodeSystem::Register),
        "barcode" | "gtin" | "ean" | "ean13" | "штрихкод" | "штрих_код" => {
            Col::Code(CodeSystem::Barcode)
        }
        "name"
        | "product_name"
        | "product"
        | "назва"
        | "наименование"
        | "товар"
        | "найменування" => Col::Name,
        "producer" | "manufacturer" | "виробник" | "производитель" => {
            Col::Producer
        }
        "code" | "sku" | "chain_code" | "goods_code" | "код" | "код_товару" | "код_товара" => {
            Col::Code(CodeSystem::Chain)
        }
        "morion" | "morion_code" | "code1" => Col::Code(CodeSystem::Morion),
        "optima" | "optima_code" | "code2" => Col::Code(CodeSystem::Optima),
        "badm" | "badm_code" | "code7" => Col::Code(CodeSystem::Badm),
        "venta" | "venta_code" | "code9" => Col::Code(CodeSystem::Venta),
        "status" | "availability" | "наявність" | "наличие" => Col::Status,
        "quantity"
        | "qty"
        | "quant"
        | "stock"
        | "кількість"
        | "количество"
        | "залишок"
        | "остаток" => Col::Quantity,
        "price" | "ціна" | "цена" => Col::Price,
        "price_reserve" | "reserve_price" | "pricereserve" | "online_price" | "ціна_резерв" => {
            Col::Reserve
        }
        "currency" | "валюта" => Col::Currency,
        "checked_at" | "updated_at" | "timestamp" | "datetime" | "date" | "дата" => {
            Col::CheckedAt
        }
        "action" | "op" | "operation" => Col::Action,
        _ => Col::Ignored,
    }
}

fn liki24_col(h: &str) -> Col {
    match h {
        "pharmacyid" => Col::Facility,
        "productid" => Col::Code(CodeSystem::Liki24),
        "morion" => Col::Code(CodeSystem::Morion),
        "barcode" => Col::Code(CodeSystem::Barcode),
        "registrationnumber" => Col::Code(CodeSystem::Register),
        "optima" => Col::Code(CodeSystem::Optima),
        "badm" => Col::Code(CodeSystem::Badm),
        "productname" => Col::Name,
        "producer" => Col::Producer,
        "quantity" => Col::Quantity,
        "price" => Col::Price,
        "offlineprice" => Col::PriceFallback,
        "pickupprice" => Col::Reserve,
        _ => Col::Ignored,
    }
}

fn google_col(h: &str) -> Col {
    match h {
        "store_code" => Col::Facility,
        "id" | "itemid" | "item_id" => Col::Code(CodeSystem::Chain),
        "gtin" => Col::Code(CodeSystem::Barcode),
        "title" => Col::Name,
        "quantity" => Col::Quantity,
        "price" => Col::PriceWithCurrency,
        "availability" => Col::GoogleAvailability,
        _ => Col::Ignored,
    }
}

/// A Google local inventory TSV by its header: `store_code` beside `id` (or the
/// older `itemid`).
pub(super) fn is_google_local(head: &str) -> bool {
    let first = head.lines().next().unwrap_or("");
    let cols: Vec<String> = first
        .split(['\t', ',', ';', '|'])
        .map(norm_header)
        .collect();
    cols.iter().any(|c| c == "store_code")
        && cols
            .iter()
            .any(|c| c == "id" || c == "itemid" || c == "item_id")
}

/// Liki24's export by its distinctive header pair.
pub(super) fn is_liki24(head: &str) -> bool {
    let first = head.lines().next().unwrap_or("").to_ascii_lowercase();
    first.contains("pharmacyid") && first.contains("productid")
}

/// The delimiter of the header line: the most frequent of `,` `;` tab `|` outside quotes.
fn sniff_delimiter(head: &str) -> u8 {
    let line = head.lines().next().unwrap_or("");
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for b in line.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            b'|' if !quoted => counts[3] += 1,
            _ => {}
        }
    }
    let delims = [b',', b';', b'\t', b'|'];
    let mut best = 0;
    for i in 1..4 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    delims[best]
}

pub(super) fn parse(
    reader: Box<dyn Read + Send>,
    format: Format,
    head: &str,
    sink: &mut Sink,
) -> Result<(), ParseError> {
    let delim = sniff_delimiter(head.trim_start_matches('\u{feff}'));
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::None)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| ParseError::Format(format!("cannot read the CSV header: {e}")))?
        .clone();
    let cols: Vec<Col> = headers
        .iter()
        .map(|h| {
            let h = norm_header(h);
            match format {
                Format::Liki24Csv => liki24_col(&h),
                Format::GoogleLocalTsv => google_col(&h),
                _ => medmap_col(&h),
            }
        })
        .collect();
    let branch = sink
        .opts
        .file_name
        .as_deref()
        .and_then(super::tabletki_file_name)
        .map(|b| b.0);
    if !cols.contains(&Col::Facility) && branch.is_none() {
        return Err(ParseError::Format(format!(
            "the CSV header has no facility column (facility, facility_id, pharmacy_id, branch); found: {}",
            headers.iter().collect::<Vec<_>>().join(", ")
        )));
    }
    if !cols.iter().any(|c| matches!(c, Col::Code(_) | Col::Name)) {
        return Err(ParseError::Format(
            "the CSV header has no product column (product_id, register_id, barcode, code, morion, name)".into(),
        ));
    }
    let mut rec = csv::StringRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A broken record (bad quoting) is one rejected row; an I/O error ends the push.
                if let csv::ErrorKind::Io(_) = e.kind() {
                    return Err(ParseError::Format(format!("reading the body: {e}")));
                }
                sink.parsed.rows_read += 1;
                sink.reject(
                    line,
                    None,
                    "malformed",
                    format!("unreadable CSV record: {e}"),
                );
                continue;
            }
        }
        let line = rec.position().map_or(line, |p| p.line());
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let mut row = RawRow {
            facility: branch.as_deref(),
            ..RawRow::default()
        };
        let mut fallback_price = None;
        let mut bad: Option<(&str, &str, &str)> = None;
        for (i, v) in rec.iter().enumerate() {
            let Some(c) = cols.get(i) else { break };
            let v = Some(v);
            match *c {
                Col::Facility => row.facility = nonempty(v).or(row.facility),
                Col::Code(s) => row.set_code(s, v),
                Col::Name => row.name = nonempty(v),
                Col::Producer => {}
                Col::Status => row.status = v,
                Col::Quantity => row.quantity = v,
                Col::Price => row.price = v,
                Col::PriceFallback => fallback_price = nonempty(v),
                Col::Reserve => row.reserve = v,
                Col::Currency => row.currency = v,
                Col::CheckedAt => row.checked_at = v,
                Col::Action => row.action = v,
                Col::PriceWithCurrency => match nonempty(v) {
                    None => {}
                    Some(p) => match super::split_price(p) {
                        Some((amount, cur)) => {
                            row.price = Some(amount);
                            row.currency = Some(cur);
                        }
                        None => {
                            bad = Some((
                                "price",
                                "price must be an amount and a currency, e.g. 12.99 USD",
                                p,
                            ))
                        }
                    },
                },
                Col::GoogleAvailability => match nonempty(v) {
                    None => {}
                    Some(a) => match super::google_availability(a) {
                        Some(st) => row.status = Some(st),
                        None => bad = Some((
                            "availability",
                            "availability must be in stock, out of stock, limited availability or on display to order",
                            a,
                        )),
                    },
                },
                Col::Ignored => {}
            }
        }
        if let Some((field, message, value)) = bad {
            sink.reject_field(line, field, "invalid", message, value);
            continue;
        }
        if nonempty(row.price).is_none() {
            row.price = fallback_price;
        }
        if rec.len() < cols.len() && rec.len() <= 1 {
            sink.parsed.rows_read += 1;
            sink.reject(
                line,
                None,
                "malformed",
                format!(
                    "{} field(s) where the header has {}: wrong delimiter or a broken line",
                    rec.len(),
                    cols.len()
                ),
            );
            continue;
        }
        sink.push(line, &row);
    }
    Ok(())
}
