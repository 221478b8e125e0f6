//! 1C CommerceML 2.x `offers.xml`: the offers package Russian and Kazakh pharmacy
//! software (1C:Розница, 1C:УТ) exports for web shops.
//!
//! ```xml
//! <КоммерческаяИнформация ВерсияСхемы="2.05" ДатаФормирования="2026-12-07T09:30:00">
//!   <ПакетПредложений СодержитТолькоИзменения="false">
//!     <ТипыЦен><ТипЦены><Ид>retail</Ид><Валюта>RUB</Валюта></ТипЦены></ТипыЦен>
//!     <Склады><Склад><Ид>wh-1</Ид><Наименование>…</Наименование></Склад></Склады>
//!     <Предложения>
//!       <Предложение>
//!         <Ид>goods-guid</Ид><Артикул>…</Артикул><Штрихкод>…</Штрихкод><Наименование>…</Наименование>
//!         <Цены><Цена><ИдТипаЦены>retail</ИдТипаЦены><ЦенаЗаЕдиницу>45.50</ЦенаЗаЕдиницу><Валюта>RUB</Валюта></Цена></Цены>
//!         <Склад ИдСклада="wh-1" КоличествоНаСкладе="10"/>
//!       </Предложение>
//! ```
//!
//! One row per offer and warehouse: a warehouse (`Склад@ИдСклада`, directly in the
//! offer or under `Остатки`, or 2.08+'s `Остатки/Остаток/Склад/Ид`) is a facility,
//! named by the publisher's branch code for it. `СодержитТолькоИзменения="true"`
//! marks a changes-only package: it is applied as a delta (merge), never as a
//! replacement, since it lists only what changed. An offer with `Статус="Удален"` or
//! `ПометкаУдаления` true is removed.

use std::io::Read;

use super::xmltree::{Node, Step, Walker};
use super::{nonempty, ParseError, RawRow, Sink};
use crate::feeds::{CodeSystem, Mode};

/// Parses one offers package.
pub(super) fn parse(reader: Box<dyn Read + Send>, sink: &mut Sink) -> Result<(), ParseError> {
    let mut w = Walker::new(reader);
    let mut date: Option<String> = None;
    // Price type id → its currency.
    let mut price_types: Vec<(String, Option<String>)> = Vec::new();
    let mut saw_package = false;
    let mut path: Vec<String> = Vec::new();
    loop {
        match w.step()? {
            Step::Eof => break,
            Step::Close { depth, .. } => path.truncate(depth),
            Step::Open { node, empty, depth } => {
                path.truncate(depth - 1);
                match (depth, node.name.as_str()) {
                    (1, "КоммерческаяИнформация") => {
                        date = node.attr("ДатаФормирования").map(str::to_string);
                    }
                    (1, other) => {
                        return Err(ParseError::Format(format!(
                            "CommerceML root must be <КоммерческаяИнформация>, found <{other}>"
                        )))
                    }
                    (2, "ПакетПредложений") => {
                        saw_package = true;
                        if let Some(v) = node.attr("СодержитТолькоИзменения")
                        {
                            set_changes_only(sink, v)?;
                        }
                    }
                    (3, "СодержитТолькоИзменения") if !empty => {
                        if let Some(n) = w.gather(node)? {
                            set_changes_only(sink, n.text.trim())?;
                        }
                        continue;
                    }
                    (3, "ТипыЦен") if !empty => {
                        if let Some(n) = w.gather(node)? {
                            for t in n.children_named("ТипЦены") {
                                if let Some(id) = t.child_text("Ид") {
                                    price_types.push((
                                        id.to_string(),
                                        t.child_text("Валюта").map(String::from),
                                    ));
                                }
                            }
                        }
                        continue;
                    }
                    (4, "Предложение") if path.last().is_some_and(|p| p == "Предложения") =>
                    {
                        w.records += 1;
                        let line = w.records;
                        let offer = if empty { Some(node) } else { w.gather(node)? };
                        match offer {
                            Some(o) => offer_rows(sink, line, &o, &price_types, date.as_deref()),
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
    if !saw_package {
        return Err(ParseError::Format(
            "CommerceML without <ПакетПредложений>: send offers.xml (the offers package), not import.xml (the catalog)".into(),
        ));
    }
    Ok(())
}

fn set_changes_only(sink: &mut Sink, v: &str) -> Result<(), ParseError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "истина" => sink.parsed.mode_hint = Some(Mode::Delta),
        "false" | "0" | "ложь" | "" => {
            if sink.parsed.mode_hint.is_none() {
                sink.parsed.mode_hint = Some(Mode::Snapshot);
            }
        }
        other => {
            return Err(ParseError::Format(format!(
                "СодержитТолькоИзменения must be true or false, got {other:?}"
            )))
        }
    }
    Ok(())
}

/// ISO 4217 numeric codes 1C writes in place of letters.
fn currency_code(c: &str) -> &str {
    match c.trim() {
        "643" => "RUB",
        "980" => "UAH",
        "398" => "KZT",
        "933" => "BYN",
        "840" => "USD",
        "978" => "EUR",
        other => other,
    }
}

/// A warehouse's id and quantity, as attributes or as child elements.
fn warehouse(s: &Node) -> (Option<&str>, Option<&str>) {
    (
        s.attr("ИдСклада").or_else(|| s.child_text("Ид")),
        s.attr("КоличествоНаСкладе")
            .or_else(|| s.child_text("Количество")),
    )
}

/// `(warehouse id, quantity)` of an offer, in every layout 2.x uses.
fn warehouses(o: &Node) -> Vec<(Option<&str>, Option<&str>)> {
    let mut out = Vec::new();
    for s in o.children_named("Склад") {
        out.push(warehouse(s));
    }
    for rests in o.children_named("Остатки") {
        for s in rests.children_named("Склад") {
            out.push(warehouse(s));
        }
        for r in rests.children_named("Остаток") {
            for s in r.children_named("Склад") {
                out.push(warehouse(s));
            }
        }
    }
    out
}

fn offer_rows(
    sink: &mut Sink,
    line: u64,
    o: &Node,
    price_types: &[(String, Option<String>)],
    date: Option<&str>,
) {
    if o.garbled() {
        sink.reject_record(
            line,
            "offer",
            true,
            " (1C exports are UTF-8 or windows-1251)",
        );
        return;
    }
    let Some(id) = o.child_text("Ид") else {
        sink.parsed.rows_read += 1;
        sink.reject(
            line,
            Some("Ид"),
            "missing",
            "an offer (Предложение) needs its Ид".into(),
        );
        return;
    };
    let removed = o
        .attr("Статус")
        .is_some_and(|s| s.trim().to_lowercase() == "удален")
        || o.child_text("ПометкаУдаления")
            .is_some_and(|s| s.eq_ignore_ascii_case("true") || s == "1");
    // The first price listed; its currency from the price or its declared type.
    let price = o.child("Цены").and_then(|p| p.child("Цена"));
    let amount = price.and_then(|p| p.child_text("ЦенаЗаЕдиницу"));
    let currency = price.and_then(|p| {
        p.child_text("Валюта").or_else(|| {
            let t = p.child_text("ИдТипаЦены")?;
            price_types
                .iter()
                .find(|(id, _)| id == t)
                .and_then(|(_, c)| c.as_deref())
        })
    });
    if price.is_some() && amount.is_none() && !removed {
        sink.parsed.rows_read += 1;
        sink.reject(
            line,
            Some("ЦенаЗаЕдиницу"),
            "missing",
            "a price (Цена) without ЦенаЗаЕдиницу".into(),
        );
        return;
    }
    let stores = warehouses(o);
    if stores.is_empty() {
        sink.parsed.rows_read += 1;
        sink.reject(
            line,
            Some("facility"),
            "missing",
            "the offer names no warehouse (Склад ИдСклада=… КоличествоНаСкладе=…); medmap maps each warehouse to a branch code of the key".into(),
        );
        return;
    }
    for (wh, qty) in stores {
        let mut row = RawRow {
            facility: nonempty(wh),
            name: o.child_text("Наименование"),
            quantity: qty,
            price: amount,
            currency: currency.map(currency_code),
            checked_at: date,
            action: removed.then_some("remove"),
            ..RawRow::default()
        };
        row.set_code(CodeSystem::Chain, Some(id));
        row.set_code(
            CodeSystem::Barcode,
            o.child_text("Штрихкод").or_else(|| {
                // 2.04: ЗначенияРеквизитов/ЗначениеРеквизита Наименование=Штрихкод.
                o.child("ЗначенияРеквизитов")?
                    .children_named("ЗначениеРеквизита")
                    .find(|r| r.child_text("Наименование") == Some("Штрихкод"))?
                    .child_text("Значение")
            }),
        );
        if row.facility.is_none() {
            sink.parsed.rows_read += 1;
            sink.reject(
                line,
                Some("ИдСклада"),
                "missing",
                "a warehouse (Склад) without ИдСклада".into(),
            );
            continue;
        }
        sink.push(line, &row);
    }
}
