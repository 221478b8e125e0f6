//! Parser tests of the formats shops and chains export for marketplaces (CommerceML,
//! YML, Google local inventory) over the samples in tests/fixtures/feeds, written
//! from each format's public description, and their malformed variants.

use super::*;
use crate::feeds::{CheckedAtSource, Mode};

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feeds")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn opts() -> ParseOptions {
    ParseOptions {
        received_at: 1_764_000_000,
        tz: chrono_tz::Europe::Moscow,
        ..ParseOptions::default()
    }
}

fn parse(name: &str) -> Parsed {
    parse_bytes(&fixture(name), opts()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn fac(p: &Parsed, row: usize) -> &str {
    &p.facilities[p.rows[row].facility as usize]
}

fn product(p: &Parsed, row: usize) -> &ProductRef {
    &p.products[p.rows[row].product as usize]
}

fn currency(p: &Parsed, row: usize) -> Option<&str> {
    p.rows[row]
        .currency
        .map(|c| p.currencies[usize::from(c)].as_str())
}

/// `(line, field, reason)` of every rejection.
fn rejections(p: &Parsed) -> Vec<(u64, String, String)> {
    p.rejected
        .iter()
        .map(|r| {
            (
                r.line,
                r.field.clone().unwrap_or_default(),
                r.reason.clone(),
            )
        })
        .collect()
}

#[test]
fn commerceml_full_package_rows_per_warehouse() {
    for name in ["commerceml_offers.xml", "commerceml_cp1251.xml"] {
        let p = parse(name);
        assert_eq!(p.format, Some(Format::CommerceMl), "{name}");
        assert_eq!(p.mode_hint, Some(Mode::Snapshot), "{name}");
        assert!(p.rejected.is_empty(), "{name}: {:?}", p.rejected);
        assert_eq!(
            p.rows.len(),
            3,
            "{name}: two warehouses of SKU-1, one of SKU-2"
        );
        assert_eq!(
            (fac(&p, 0), fac(&p, 1), fac(&p, 2)),
            ("wh-1", "wh-2", "wh-1")
        );
        assert_eq!(p.rows[0].quantity, Some(10.0));
        assert_eq!(p.rows[1].quantity, Some(3.0));
        assert_eq!(p.rows[0].price_minor, Some(4550));
        assert_eq!(currency(&p, 0), Some("RUB"), "руб is RUB");
        // 2.08's Остатки/Остаток/Склад layout; the currency from the price type.
        assert_eq!(p.rows[2].quantity, Some(0.0));
        assert_eq!(p.rows[2].price_minor, Some(123_400));
        assert_eq!(currency(&p, 2), Some("RUB"));
        assert_eq!(
            product(&p, 2).name.as_deref(),
            Some("Ибупрофен таблетки 200 мг №20 & блистер")
        );
        let codes = &product(&p, 0).codes;
        assert!(codes.contains(&(CodeSystem::Chain, "SKU-1".into())));
        assert!(codes.contains(&(CodeSystem::Barcode, "4601234567893".into())));
        // ДатаФормирования, 09:30 in the feed's zone (Moscow, UTC+3) = 06:30 UTC.
        assert_eq!(p.rows[0].checked_src, CheckedAtSource::Body);
        assert_eq!(p.rows[0].checked_at, 1_796_625_000);
    }
    assert_eq!(parse("commerceml_cp1251.xml").encoding, "windows-1251");
}

#[test]
fn commerceml_changes_only_is_a_delta_with_removals() {
    let p = parse("commerceml_changes.xml");
    assert_eq!(p.mode_hint, Some(Mode::Delta));
    assert_eq!(p.rows.len(), 2, "{:?}", p.rejected);
    assert!(!p.rows[0].remove);
    assert_eq!(fac(&p, 0), "wh-2");
    assert_eq!(p.rows[0].price_minor, Some(4700));
    assert_eq!(currency(&p, 0), Some("RUB"), "ISO numeric 643 is RUB");
    assert!(p.rows[1].remove, "Статус=\"Удален\" removes the line");
    // The element form of the flag, as 2.08+ writes it.
    let body = "<КоммерческаяИнформация><ПакетПредложений><СодержитТолькоИзменения>true</СодержитТолькоИзменения><Предложения><Предложение><Ид>A</Ид><Склад ИдСклада=\"w\" КоличествоНаСкладе=\"1\"/></Предложение></Предложения></ПакетПредложений></КоммерческаяИнформация>";
    let p = parse_bytes(body.as_bytes(), opts()).expect("parses");
    assert_eq!(p.mode_hint, Some(Mode::Delta));
    assert_eq!(p.rows.len(), 1);
}

#[test]
fn commerceml_faults_are_rejected_row_by_row() {
    let p = parse("commerceml_bad_rows.xml");
    assert_eq!(p.rows.len(), 1, "only the first offer is whole");
    assert_eq!(p.rows_read, 7);
    assert_eq!(
        rejections(&p),
        vec![
            (2, "Ид".into(), "missing".into()),
            (3, "price".into(), "invalid".into()),
            (4, "facility".into(), "missing".into()),
            (5, "ИдСклада".into(), "missing".into()),
            (6, "quantity".into(), "invalid".into()),
            (7, "ЦенаЗаЕдиницу".into(), "missing".into()),
        ]
    );
    assert_eq!(p.rejected[1].value.as_deref(), Some("сорок пять"));
}

#[test]
fn commerceml_broken_or_wrongly_encoded_files_are_refused() {
    let e = parse_bytes(&fixture("commerceml_broken.xml"), opts()).expect_err("cut off");
    assert!(e.to_string().contains("malformed XML"), "{e}");
    // UTF-8 bytes declared windows-1251: the names read as mojibake, refused whole.
    let e = parse_bytes(&fixture("commerceml_utf8_declared_1251.xml"), opts())
        .expect_err("mojibake root");
    assert!(e.to_string().contains("encoding"), "{e}");
    // windows-1251 bytes without a declaration are recognised by their content ...
    let p = parse("commerceml_cp1251_undeclared.xml");
    assert_eq!(p.encoding, "windows-1251");
    assert_eq!(p.rows.len(), 3);
    assert_eq!(
        product(&p, 0).name.as_deref(),
        Some("Парацетамол таблетки 500 мг №10")
    );
    // ... but sent as charset=utf-8 they cannot be read, and nothing is guessed.
    let mut o = opts();
    o.charset = Some("utf-8".into());
    let e = parse_bytes(&fixture("commerceml_cp1251_undeclared.xml"), o).expect_err("undecodable");
    assert!(e.to_string().contains("encoding"), "{e}");
    // A catalogue (import.xml) is not an offers package.
    let e = parse_bytes(
        "<КоммерческаяИнформация><Каталог><Товары/></Каталог></КоммерческаяИнформация>".as_bytes(),
        opts(),
    )
    .expect_err("no offers package");
    assert!(e.to_string().contains("ПакетПредложений"), "{e}");
}

/// Undecodable bytes inside one offer (the head was clean, the rest is not) reject
/// that offer, never store a name with U+FFFD in it.
#[test]
fn commerceml_garbled_offer_is_rejected() {
    let mut body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<КоммерческаяИнформация><ПакетПредложений><Предложения>".as_bytes().to_vec();
    body.extend_from_slice("<Предложение><Ид>A</Ид><Наименование>Парацетамол</Наименование><Склад ИдСклада=\"w\" КоличествоНаСкладе=\"1\"/></Предложение>".as_bytes());
    body.extend_from_slice("<Предложение><Ид>B</Ид><Наименование>".as_bytes());
    body.extend(encoding_rs::WINDOWS_1251.encode("Ибупрофен").0.iter());
    body.extend_from_slice("</Наименование><Склад ИдСклада=\"w\" КоличествоНаСкладе=\"1\"/></Предложение></Предложения></ПакетПредложений></КоммерческаяИнформация>".as_bytes());
    let mut o = opts();
    o.charset = Some("utf-8".into());
    let p = parse_bytes(&body, o).expect("parses");
    assert_eq!(p.rows.len(), 1);
    assert_eq!(rejections(&p), vec![(2, String::new(), "malformed".into())]);
    assert!(p.rejected[0].message.contains("UTF-8"), "{:?}", p.rejected);
}

#[test]
fn yml_offers_by_outlet() {
    let p = parse("yml_catalog.xml");
    assert_eq!(p.format, Some(Format::Yml));
    assert_eq!(
        p.mode_hint, None,
        "a catalogue is the push's own mode (snapshot)"
    );
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.rows.len(), 3);
    assert_eq!(
        (fac(&p, 0), fac(&p, 1), fac(&p, 2)),
        ("wh-1", "wh-2", "wh-1")
    );
    assert_eq!(p.rows[0].quantity, Some(10.0));
    assert_eq!(p.rows[0].price_minor, Some(4550));
    assert_eq!(currency(&p, 0), Some("RUB"), "RUR is RUB");
    assert_eq!(p.rows[0].checked_src, CheckedAtSource::Body);
    assert_eq!(p.rows[0].checked_at, 1_796_625_000);
    let codes = &product(&p, 0).codes;
    assert!(codes.contains(&(CodeSystem::Chain, "SKU-1".into())));
    assert!(codes.contains(&(CodeSystem::Barcode, "4601234567893".into())));
    // available="false": out at every outlet; vendor.model offers are named by parts.
    assert_eq!(p.rows[2].status, Some(StockStatus::Out));
    assert_eq!(
        product(&p, 2).name.as_deref(),
        Some("Ибупрофен Нурофен таблетки 200 мг №20")
    );
}

#[test]
fn yml_faults() {
    let p = parse("yml_bad_rows.xml");
    assert_eq!(p.rows.len(), 1, "{:?}", p.rejected);
    assert_eq!(p.rows_read, 7);
    assert_eq!(
        rejections(&p),
        vec![
            (2, "id".into(), "missing".into()),
            (3, "price".into(), "invalid".into()),
            (4, "outlets".into(), "missing".into()),
            (5, "available".into(), "invalid".into()),
            (6, "currency".into(), "invalid".into()),
            (7, "outlet".into(), "missing".into()),
        ]
    );
    let e = parse_bytes(&fixture("yml_broken.xml"), opts()).expect_err("mismatched tags");
    assert!(e.to_string().contains("malformed XML"), "{e}");
    let e = parse_bytes(b"<yml_catalog><shop/></yml_catalog>", opts()).expect_err("no offers");
    assert!(e.to_string().contains("offers"), "{e}");
}

#[test]
fn google_local_inventory_tsv_and_xml() {
    let p = parse("google_local.tsv");
    assert_eq!(p.format, Some(Format::GoogleLocalTsv));
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.rows.len(), 3);
    assert_eq!(fac(&p, 1), "wh-2");
    assert_eq!(p.rows[0].price_minor, Some(1299));
    assert_eq!(currency(&p, 0), Some("USD"));
    assert_eq!(p.rows[0].status, Some(StockStatus::InStock));
    assert_eq!(p.rows[1].status, Some(StockStatus::Low));
    assert_eq!(p.rows[2].status, Some(StockStatus::Out));
    assert_eq!(p.rows[2].price_minor, Some(850), "USD 8.50 reads too");
    assert_eq!(p.rows[0].checked_src, CheckedAtSource::Received);
    let codes = &product(&p, 0).codes;
    assert!(codes.contains(&(CodeSystem::Chain, "SKU-1".into())));
    assert!(codes.contains(&(CodeSystem::Barcode, "4601234567893".into())));
    assert_eq!(
        product(&p, 0).name.as_deref(),
        Some("Paracetamol 500 mg tablets x10")
    );

    let p = parse("google_local.xml");
    assert_eq!(p.format, Some(Format::GoogleLocalXml));
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.rows.len(), 2);
    assert_eq!((fac(&p, 0), fac(&p, 1)), ("wh-1", "wh-2"));
    assert_eq!(p.rows[0].quantity, Some(10.0));
    assert_eq!(p.rows[0].price_minor, Some(1299));
    assert_eq!(currency(&p, 1), Some("USD"));
    assert_eq!(p.rows[1].status, Some(StockStatus::Out));
}

#[test]
fn google_local_faults() {
    let p = parse("google_local_bad.tsv");
    assert_eq!(p.rows.len(), 1, "{:?}", p.rejected);
    assert_eq!(p.rows_read, 8);
    assert_eq!(
        rejections(&p),
        vec![
            (3, "facility".into(), "missing".into()),
            (4, "product".into(), "missing".into()),
            (5, "price".into(), "invalid".into()),
            (6, "price".into(), "invalid".into()),
            (7, "quantity".into(), "invalid".into()),
            (8, "availability".into(), "invalid".into()),
            (9, "price".into(), "invalid".into()),
        ]
    );
    let p = parse("google_local_bad.xml");
    assert_eq!(p.rows.len(), 1, "{:?}", p.rejected);
    assert_eq!(
        rejections(&p),
        vec![
            (2, "store_code".into(), "missing".into()),
            (3, "id".into(), "missing".into()),
            (4, "price".into(), "invalid".into()),
            (5, "availability".into(), "invalid".into()),
        ]
    );
    // RSS without Google's namespace is some other feed.
    let e = parse_bytes(
        b"<rss version=\"2.0\"><channel><item/></channel></rss>",
        opts(),
    )
    .expect_err("not google");
    assert!(e.to_string().contains("base.google.com"), "{e}");
}

#[test]
fn unknown_xml_roots_are_named() {
    let e = parse_bytes(b"<?xml version=\"1.0\"?><catalog><x/></catalog>", opts())
        .expect_err("unknown root");
    let msg = e.to_string();
    assert!(
        msg.contains("<catalog>") && msg.contains("yml_catalog"),
        "{msg}"
    );
}

#[test]
fn prices_with_currency() {
    assert_eq!(split_price("12.99 USD"), Some(("12.99", "USD")));
    assert_eq!(split_price("USD 12.99"), Some(("12.99", "USD")));
    assert_eq!(split_price("12.99"), None);
    assert_eq!(split_price("12.99 DOLLARS"), None);
    assert_eq!(split_price("1 234.50 USD"), None, "ambiguous parts");
    assert_eq!(google_availability("In Stock"), Some("in_stock"));
    assert_eq!(google_availability("limited_availability"), Some("low"));
    assert_eq!(google_availability("soon"), None);
}

proptest::proptest! {
    /// Any bytes after each format's opening: rows, rejections or an error, never a panic.
    #[test]
    fn xml_formats_never_panic(tail in "[<>/a-zA-Zа-яА-Я0-9 =\"&;#\\n.]{0,300}") {
        for head in [
            "<КоммерческаяИнформация><ПакетПредложений><Предложения><Предложение>",
            "<yml_catalog><shop><offers><offer id=\"1\">",
            "<rss xmlns:g=\"http://base.google.com/ns/1.0\"><channel><item>",
        ] {
            let _ = parse_bytes(format!("{head}{tail}").as_bytes(), opts());
        }
    }
}
