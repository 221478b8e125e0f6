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
