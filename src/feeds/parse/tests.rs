//! Parser tests over the samples in tests/fixtures/feeds (written from
//! FEED-FORMATS.md) and hand-made malformed inputs.

use super::*;
use crate::feeds::CheckedAtSource;

fn fixture(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feeds")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn opts(file: Option<&str>) -> ParseOptions {
    ParseOptions {
        file_name: file.map(str::to_string),
        received_at: 1_764_000_000,
        ..ParseOptions::default()
    }
}

fn parse_fixture(name: &str, with_name: bool) -> Parsed {
    parse_bytes(&fixture(name), opts(with_name.then_some(name))).expect("parses")
}

fn product(p: &Parsed, row: usize) -> &ProductRef {
    &p.products[p.rows[row].product as usize]
}

#[test]
fn medmap_csv_quoted_newline_decimal_comma_and_times() {
    let p = parse_fixture("medmap.csv", false);
    assert_eq!(p.format, Some(Format::MedmapCsv));
    assert_eq!(p.rows.len(), 3, "{:?}", p.rejected);
    assert_eq!(p.rows[0].price_minor, Some(2450));
    assert_eq!(p.rows[0].checked_src, CheckedAtSource::Body);
    assert_eq!(p.rows[0].checked_at, 1_795_590_000);
    assert_eq!(p.rows[1].price_minor, Some(123_450));
    assert_eq!(p.rows[1].quantity, Some(3.5));
    assert_eq!(p.rows[1].checked_src, CheckedAtSource::Received);
    assert_eq!(
        product(&p, 1).name.as_deref(),
        Some("Ібупрофен\nтаблетки 200 мг")
    );
    // The record that follows the quoted newline starts on line 5.
    assert_eq!(p.rows[2].line, 5);
    assert_eq!(p.rows[2].checked_at, 1_764_054_000);
    assert_eq!(p.facilities.len(), 2);
    let codes = &product(&p, 0).codes;
    assert!(codes.contains(&(CodeSystem::Register, "UA/1234/01/01".into())));
    assert!(codes.contains(&(CodeSystem::Barcode, "4823004801234".into())));
}

#[test]
fn bom_semicolon_and_reserve_price() {
    let p = parse_fixture("medmap_bom_semicolon.csv", false);
    assert_eq!(p.rows.len(), 2, "{:?}", p.rejected);
    assert_eq!(p.rows[0].price_minor, Some(1250));
    assert_eq!(p.rows[0].reserve_minor, Some(1190));
    assert_eq!(product(&p, 1).name.as_deref(), Some("Нурофен; форте"));
}

#[test]
fn windows_1251_detected_and_declared() {
    let p = parse_fixture("medmap_cp1251.csv", false);
    assert_eq!(p.encoding, "windows-1251");
    assert_eq!(p.rows.len(), 3);
    assert_eq!(product(&p, 0).name.as_deref(), Some("Парацетамол таблетки"));
    assert_eq!(product(&p, 2).name.as_deref(), Some("Аспірин кардіо"));
    let mut o = opts(None);
    o.charset = Some("windows-1251".into());
    let p = parse_bytes(&fixture("medmap_cp1251.csv"), o).expect("parses");
    assert_eq!(product(&p, 1).name.as_deref(), Some("Ібупрофен"));
}

/// Found by fuzzing (`fuzz/corpus/feed_xml/regression-encoding-non-ascii`): an XML
/// prolog whose `encoding=` value starts with a non-ASCII character panicked slicing
/// inside that character, failing the push instead of reading the body.
#[test]
fn xml_prolog_encoding_value_not_quoted() {
    for head in [
        "<?xml version=\"1.0\" encoding=лек?>",
        "<?xml encoding=\u{fffd}?>",
    ] {
        assert_eq!(encoding::choose(head.as_bytes(), None), encoding_rs::UTF_8);
        let body = format!("{head}<Offers><Offer Code=\"1\" Name=\"Нурофен\" Quantity=\"2\" PriceReserve=\"10\"/></Offers>");
        let p =
            parse_bytes(body.as_bytes(), opts(Some("Rest_1_20261125093000.xml"))).expect("parses");
        assert_eq!(p.format, Some(Format::TabletkiXml));
    }
    // Quoted either way, a declaration still counts.
    for head in [
        "<?xml encoding='windows-1251'?>",
        "<?xml encoding=\"windows-1251\"?>",
    ] {
        assert_eq!(
            encoding::choose(head.as_bytes(), None),
            encoding_rs::WINDOWS_1251
        );
    }
}

#[test]
fn json_array_and_ndjson() {
    let p = parse_fixture("rows.json", false);
    assert_eq!(p.format, Some(Format::MedmapJson));
    assert_eq!(p.rows.len(), 3, "{:?}", p.rejected);
    assert_eq!(p.rows[1].status, Some(StockStatus::Low));
    assert_eq!(p.rows[1].price_minor, Some(1800));
    assert_eq!(p.rows[1].reserve_minor, Some(1750));
    assert!(p.rows[2].remove);
    assert_eq!(
        p.facilities.len(),
        2,
        "1001 as number and string intern together"
    );
    let p = parse_fixture("rows.ndjson", false);
    assert_eq!(p.format, Some(Format::Ndjson));
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].quantity, Some(2.5));
    assert_eq!(p.rejected.len(), 1);
    assert_eq!(p.rejected[0].line, 4);
    // An element that is not an object, or an object of the wrong shape, is one
    // rejected row; the elements around it still count.
    let p = parse_bytes(
        br#"[1, {"facility": "1001", "name": "N", "price": 2}, {"facility": ["x"]}, "s"]"#,
        opts(None),
    )
    .expect("parses");
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows_read, 4);
    let lines: Vec<(u64, &str)> = p
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![(1, "malformed"), (3, "malformed"), (4, "malformed")]
    );
}

#[test]
fn tabletki_xml_plain_zipped_and_1251() {
    for name in [
        "Rest_1001_20261125093000.xml",
        "Rest_1001_20261125093000.zip",
    ] {
        let p = parse_fixture(name, true);
        assert_eq!(p.format, Some(Format::TabletkiXml), "{name}");
        assert_eq!(p.rows.len(), 2, "{name}: {:?}", p.rejected);
        assert_eq!(&*p.facilities[0], "1001");
        let r = p.rows[0];
        assert_eq!(r.quantity, Some(3.5));
        assert_eq!(r.price_minor, Some(2450));
        assert_eq!(r.reserve_minor, Some(2290));
        assert_eq!(r.checked_src, CheckedAtSource::FileName);
        // 2026-11-25 09:30:00 Kyiv (UTC+2) = 07:30:00 UTC.
        assert_eq!(r.checked_at, 1_795_591_800);
        let codes = &product(&p, 0).codes;
        for c in [
            (CodeSystem::Chain, "00-0004512"),
            (CodeSystem::Morion, "123456"),
            (CodeSystem::Badm, "1001.0001"),
            (CodeSystem::Venta, "7654321"),
            (CodeSystem::Barcode, "4823004801234"),
        ] {
            assert!(codes.contains(&(c.0, c.1.into())), "{name}: {c:?}");
        }
    }
    let p = parse_fixture("Rest_1002_20261125100000.xml", true);
    assert_eq!(p.encoding, "windows-1251");
    assert_eq!(
        product(&p, 1).name.as_deref(),
        Some("Ібупрофен табл. 200 мг №20")
    );
    // Without a file name the branch is unknown: every offer is rejected, not guessed.
    let p = parse_fixture("Rest_1001_20261125093000.xml", false);
    assert_eq!(p.rows.len(), 0);
    assert_eq!(p.rejected_count, 2);
}

#[test]
fn tabletki_json_morion_and_liki24() {
    let p = parse_fixture("tabletki.json", false);
    assert_eq!(p.format, Some(Format::TabletkiJson));
    assert_eq!(p.rows.len(), 3);
    assert_eq!(p.rows[0].checked_src, CheckedAtSource::Body);
    assert_eq!(p.rows[0].checked_at, 1_795_591_800);
    assert_eq!(p.rows[1].quantity, Some(0.0));
    let p = parse_fixture("morion.json", false);
    assert_eq!(p.format, Some(Format::MorionJson));
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.rows[0].checked_src, CheckedAtSource::Received);
    assert_eq!(&*p.facilities[0], "1001");
    let p = parse_fixture("Stock_20261125093000.csv", true);
    assert_eq!(p.format, Some(Format::Liki24Csv));
    assert_eq!(p.rows.len(), 2, "{:?}", p.rejected);
    assert_eq!(p.rows[0].checked_src, CheckedAtSource::FileName);
    assert_eq!(p.rows[0].reserve_minor, Some(2390));
    // Price missing: the offline price stands in.
    assert_eq!(p.rows[1].price_minor, Some(4510));
    let codes = &product(&p, 0).codes;
    assert!(codes.contains(&(CodeSystem::Liki24, "77001".into())));
    assert!(codes.contains(&(CodeSystem::Optima, "555".into())));
}

#[test]
fn broken_csv_rows_are_reported_not_fatal() {
    let p = parse_fixture("broken.csv", false);
    let reasons: Vec<(u64, String, Option<String>)> = p
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.clone(), r.field.clone()))
        .collect();
    assert!(
        reasons.contains(&(3, "missing".into(), Some("product".into()))),
        "{reasons:?}"
    );
    assert!(reasons.contains(&(4, "missing".into(), Some("facility".into()))));
    assert!(reasons.contains(&(5, "invalid".into(), Some("quantity".into()))));
    assert!(reasons.contains(&(12, "invalid".into(), Some("checked_at".into()))));
    assert!(reasons.contains(&(13, "invalid".into(), Some("price".into()))));
}

#[test]
fn fatal_bodies() {
    assert!(
        parse_bytes(b"", opts(None)).is_err(),
        "empty body has no header"
    );
    assert!(
        parse_bytes(b"a,b,c\n1,2,3\n", opts(None)).is_err(),
        "no known columns"
    );
    assert!(
        parse_bytes(b"[{\"facility\":1}", opts(None)).is_err(),
        "truncated JSON"
    );
    assert!(parse_bytes(
        b"<Offers><Offer Code=\"1\"",
        opts(Some("Rest_1_20261125093000.xml"))
    )
    .is_err());
    assert!(
        parse_bytes(b"PK\x03\x04garbage", opts(None)).is_err(),
        "broken zip"
    );
    assert!(parse_bytes(&fixture("garbage.bin"), opts(None)).is_err());
    assert!(parse_bytes(b"{\"Branches\": 5}", opts(None)).is_err());
}

#[test]
fn decimals_and_times() {
    assert_eq!(parse_decimal("12,50"), Some(12.5));
    assert_eq!(parse_decimal("1 234,50"), Some(1234.5));
    assert_eq!(parse_decimal("1,234.50"), Some(1234.5));
    assert_eq!(parse_decimal("1.234,50"), Some(1234.5));
    assert_eq!(parse_decimal("abc"), None);
    assert_eq!(parse_decimal("NaN"), None);
    assert_eq!(parse_decimal("inf"), None);
    let kyiv = chrono_tz::Europe::Kyiv;
    assert_eq!(parse_time("25.11.2026 09:30:00", kyiv), Some(1_795_591_800));
    assert_eq!(
        parse_time("2026-11-25T07:30:00Z", kyiv),
        Some(1_795_591_800)
    );
    assert_eq!(parse_time("1764055800000", kyiv), Some(1_764_055_800));
    assert_eq!(parse_time("20261125093000", kyiv), Some(1_795_591_800));
    assert_eq!(
        tabletki_file_name("x/Rest_12_3_20261125093000.zip").map(|b| b.0),
        Some("12_3".into())
    );
    assert_eq!(
        file_name_time("Stock_1764055800.csv", kyiv),
        Some(1_764_055_800)
    );
}

proptest::proptest! {
    /// Any bytes: the parser returns rows, rejections or an error, never panics.
    #[test]
    fn never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        let _ = parse_bytes(&body, opts(Some("Rest_1_20261125093000.xml")));
    }

    /// Any CSV-ish text with a valid header.
    #[test]
    fn csv_rows_never_panic(lines in proptest::collection::vec("[0-9a-zа-я,;\"\\n .]{0,40}", 0..20)) {
        let body = format!("facility,name,quantity,price\n{}", lines.join("\n"));
        let _ = parse_bytes(body.as_bytes(), opts(None));
    }
}

#[test]
fn tabletki_and_morion_any_key_order() {
    // Rests before Code and DateTime, Data before Meta: the same rows as the samples.
    let t = br#"{"Branches": [{"Rests": [{"Code": "00-0004512", "Price": 24.5, "Qty": 3.5}], "DateTime": "25.11.2026 09:30:00", "Code": "1001", "Extra": {"x": [1]}}]}"#;
    let p = parse_bytes(t, opts(None)).expect("parses");
    assert_eq!(p.format, Some(Format::TabletkiJson));
    assert_eq!(p.rows.len(), 1);
    assert_eq!(&*p.facilities[0], "1001");
    assert_eq!(p.rows[0].checked_at, 1_795_591_800);
    let m = r#"{"Data": [{"id": "A-1", "name": "Парацетамол", "quant": 2, "price": 24.5}], "Meta": {"id": "1001", "time": "2026-11-25T09:30:00+02:00"}}"#;
    let p = parse_bytes(m.as_bytes(), opts(None)).expect("parses");
    assert_eq!(p.format, Some(Format::MorionJson));
    assert_eq!(p.rows.len(), 1);
    assert_eq!(&*p.facilities[0], "1001");
    assert_eq!(p.rows[0].checked_src, CheckedAtSource::Body);
    // A branch without a code, a document without its list: clear errors.
    for bad in [
        &br#"{"Branches": [{"Rests": []}]}"#[..],
        br#"{"Branches": 5}"#,
        br#"{"meta": {"id": "1"}, "data": {}}"#,
        br#"{"Meta": {"name": "x"}, "Data": []}"#,
    ] {
        assert!(
            matches!(parse_bytes(bad, opts(None)), Err(ParseError::Format(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

/// Rows of a big aggregator document reach the consumer while the document is still
/// being read: a document cut off near its end has already given whole chunks when
/// the error comes. Parsing it whole first would give none.
#[test]
fn tabletki_and_morion_are_streamed() {
    use std::fmt::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let mut t = String::from(r#"{"Branches": ["#);
    for b in 0..3 {
        let _ = write!(
            t,
            r#"{}{{"Code": "B{b}", "DateTime": "25.11.2026 09:30:00", "Rests": ["#,
            if b > 0 { "," } else { "" }
        );
        for i in 0..2_000 {
            let _ = write!(
                t,
                r#"{}{{"Code": "C{i}", "Price": 10.5, "Qty": 1}}"#,
                if i > 0 { "," } else { "" }
            );
        }
        t.push_str("]}");
    }
    let mut m = String::from(r#"{"meta": {"id": "1001"}, "data": ["#);
    for i in 0..6_000 {
        let _ = write!(
            m,
            r#"{}{{"id": "A{i}", "name": "N{i}", "quant": 1, "price": 2}}"#,
            if i > 0 { "," } else { "" }
        );
    }
    for doc in [t, m] {
        let whole = format!("{doc}]}}");
        let rows = |body: &str| {
            let seen = Arc::new(AtomicUsize::new(0));
            let s = Arc::clone(&seen);
            let mut f = tempfile::tempfile().expect("temp");
            std::io::Write::write_all(&mut f, body.as_bytes()).expect("write");
            let r = parse_file_chunked(
                f,
                opts(None),
                1_000,
                Box::new(move |c: Chunk| {
                    s.fetch_add(c.rows.len(), Ordering::SeqCst);
                    true
                }),
            );
            (
                r.map(|p| p.rows_read).map_err(|e| e.to_string()),
                seen.load(Ordering::SeqCst),
            )
        };
        assert_eq!(rows(&whole), (Ok(6_000), 6_000));
        let (r, seen) = rows(&doc[..doc.len() - 10]);
        assert!(r.as_ref().is_err_and(|e| e.contains("malformed")), "{r:?}");
        assert!(seen >= 5_000, "{seen} rows before the error");
    }
}
