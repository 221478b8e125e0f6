//! The formats shops and chains export for marketplaces, pushed as they are (the
//! fixtures in tests/fixtures/feeds, their dates moved to now): 1C CommerceML
//! offers (full, then a changes-only package applied as a delta), Yandex Market YML
//! by outlet, Google local inventory TSV and XML. Warehouses, outlets and store codes
//! are the key's branch codes; products resolve by the chain codes an earlier push
//! taught. The malformed variants are refused row by row or whole, and a refused
//! file changes nothing.

use super::*;

/// The lines `(facility, product) → (status, quantity, price, currency)` of feeds.
async fn lines_of(
    store: &Store,
    facilities: &[i64],
) -> std::collections::BTreeMap<(i64, i64), (String, Option<f64>, Option<i64>, Option<String>)> {
    store
        .load_stock()
        .await
        .expect("stock")
        .into_iter()
        .filter(|l| l.source.starts_with("feed:") && facilities.contains(&l.facility_id))
        .map(|l| {
            (
                (l.facility_id, l.product_id),
                (
                    l.status.as_str().to_string(),
                    l.quantity,
                    l.price_minor,
                    l.currency,
                ),
            )
        })
        .collect()
}

/// A fixture with its dates moved to a minute ago (the files are static; a push
/// refuses lines older than the publisher's limit).
fn fixture_now(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feeds")
        .join(name);
    let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let Ok(text) = String::from_utf8(bytes.clone()) else {
        return bytes;
    };
    let now = (chrono::Utc::now() - chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    text.replace("2026-12-07T09:30:00", &now)
        .replace("2026-12-07T10:15:00", &now)
        .replace("2026-12-07 09:30", &now)
        .into_bytes()
}

struct Shop {
    key: String,
    f1: i64,
    f2: i64,
    p1: i64,
    p2: i64,
}

/// A publisher whose warehouses / outlets / stores `wh-1` and `wh-2` are two
/// pharmacies of its own, and whose goods codes SKU-1 and SKU-2 it taught by a push
/// with register numbers.
async fn shop(app: &TestApp, name: &str) -> Shop {
    let fx = fixture(app);
    let ph = own_pharmacies(app, &fx, 2);
    let (f1, f2) = (ph[0].0, ph[1].0);
    let key = app
        .make_key(
            name,
            &[(f1, Some("wh-1".into())), (f2, Some("wh-2".into()))],
        )
        .await;
    let (p1, reg1) = fx.registered[2].clone();
    let (p2, reg2) = fx.registered[3].clone();
    let (code, v) = app
        .push(
            &key,
            "",
            format!("facility,register_id,code,quantity,price\nwh-1,{reg1},SKU-1,1,1\nwh-1,{reg2},SKU-2,1,1\n"),
            &[],
        )
        .await;
    assert_eq!(code, 200, "{v:#}");
    assert_eq!(v["rows_accepted"], 2, "{v:#}");
    Shop {
        key,
        f1,
        f2,
        p1,
        p2,
    }
}

fn line(
    status: &str,
    q: f64,
    price: i64,
    cur: &str,
) -> (String, Option<f64>, Option<i64>, Option<String>) {
    (
        status.to_string(),
        Some(q),
        Some(price),
        Some(cur.to_string()),
    )
}

shared_app_test! { APP;
    /// CommerceML: the full package replaces the stock of both warehouses; the
    /// changes-only package (sent without ?mode) is applied as a delta: one price
    /// changed, one offer removed, the rest kept.
    async fn commerceml_full_then_changes_only(app) {
        let s = shop(app, "CommerceML shop").await;
        let (code, v) = app
            .push(&s.key, "", fixture_now("commerceml_offers.xml"), &[("content-type", "application/xml")])
            .await;
        assert_eq!(code, 200, "{v:#}");
        eprintln!("commerceml_offers.xml report: {v:#}");
        assert_eq!(v["format"], "commerceml");
        assert_eq!(v["mode"], "snapshot");
        assert_eq!(v["status"], "applied", "{v:#}");
        assert_eq!(v["rows_accepted"], 3);
        assert_eq!(v["facilities"], 2);
        assert_eq!(v["checked_at_source"]["body"], 3);
        let want = std::collections::BTreeMap::from([
            ((s.f1, s.p1), line("in_stock", 10.0, 4550, "RUB")),
            ((s.f2, s.p1), line("in_stock", 3.0, 4550, "RUB")),
            ((s.f1, s.p2), line("out", 0.0, 123_400, "RUB")),
        ]);
        assert_eq!(lines_of(app.store(), &[s.f1, s.f2]).await, want);

        let (code, v) = app
            .push(&s.key, "", fixture_now("commerceml_changes.xml"), &[])
            .await;
        assert_eq!(code, 200, "{v:#}");
        eprintln!("commerceml_changes.xml report: {v:#}");
        assert_eq!(v["mode"], "delta", "a changes-only package is a delta");
        assert_eq!(v["rows_accepted"], 2);
        let want = std::collections::BTreeMap::from([
            ((s.f1, s.p1), line("in_stock", 10.0, 4550, "RUB")),
            ((s.f2, s.p1), line("in_stock", 7.0, 4700, "RUB")),
        ]);
        assert_eq!(lines_of(app.store(), &[s.f1, s.f2]).await, want);
    }
}

shared_app_test! { APP;
    /// YML offers by outlet and the Google local inventory feeds (TSV, XML), each a
    /// snapshot of the stores it names.
    async fn yml_and_google_local_inventory(app) {
        let s = shop(app, "Marketplace shop").await;
        let (code, v) = app.push(&s.key, "", fixture_now("yml_catalog.xml"), &[]).await;
        assert_eq!(code, 200, "{v:#}");
        eprintln!("yml_catalog.xml report: {v:#}");
        assert_eq!(v["format"], "yml");
        assert_eq!(v["rows_accepted"], 3);
        let want = std::collections::BTreeMap::from([
            ((s.f1, s.p1), line("in_stock", 10.0, 4550, "RUB")),
            ((s.f2, s.p1), line("in_stock", 3.0, 4550, "RUB")),
            ((s.f1, s.p2), line("out", 0.0, 12_000, "RUB")),
        ]);
        assert_eq!(lines_of(app.store(), &[s.f1, s.f2]).await, want);

        let (code, v) = app.push(&s.key, "", fixture_now("google_local.tsv"), &[]).await;
        assert_eq!(code, 200, "{v:#}");
        eprintln!("google_local.tsv report: {v:#}");
        assert_eq!(v["format"], "google_local_tsv");
        assert_eq!(v["rows_accepted"], 3);
        let want = std::collections::BTreeMap::from([
            ((s.f1, s.p1), line("in_stock", 10.0, 1299, "USD")),
            ((s.f2, s.p1), line("low", 1.0, 1299, "USD")),
            ((s.f1, s.p2), line("out", 0.0, 850, "USD")),
        ]);
        assert_eq!(lines_of(app.store(), &[s.f1, s.f2]).await, want);

        let (code, v) = app.push(&s.key, "", fixture_now("google_local.xml"), &[]).await;
        assert_eq!(code, 200, "{v:#}");
        eprintln!("google_local.xml report: {v:#}");
        assert_eq!(v["format"], "google_local_xml");
        assert_eq!(v["rows_accepted"], 2);
        let want = std::collections::BTreeMap::from([
            ((s.f1, s.p1), line("in_stock", 10.0, 1299, "USD")),
            ((s.f2, s.p2), line("out", 0.0, 850, "USD")),
        ]);
        assert_eq!(lines_of(app.store(), &[s.f1, s.f2]).await, want);
    }
}

shared_app_test! { APP;
    /// Malformed variants: rows at fault are reported by offer with field and reason
    /// and the rest applies; a broken or wrongly encoded file is a 400 and changes
    /// nothing.
    async fn malformed_marketplace_files(app) {
        let s = shop(app, "Malformed shop").await;
        let before = lines_of(app.store(), &[s.f1, s.f2]).await;
        for (name, ctype) in [
            ("commerceml_broken.xml", "application/xml"),
            ("yml_broken.xml", "application/xml"),
            ("commerceml_utf8_declared_1251.xml", "application/xml"),
            ("commerceml_cp1251_undeclared.xml", "application/xml; charset=utf-8"),
        ] {
            let (code, v) = app.push(&s.key, "", fixture_now(name), &[("content-type", ctype)]).await;
            assert_eq!(code, 400, "{name}: {v:#}");
            eprintln!("{name}: {v}");
            assert_eq!(lines_of(app.store(), &[s.f1, s.f2]).await, before, "{name} changed nothing");
        }
        for (name, bad) in [
            ("commerceml_bad_rows.xml", 6),
            ("yml_bad_rows.xml", 6),
            ("google_local_bad.tsv", 7),
            ("google_local_bad.xml", 4),
        ] {
            let (code, v) = app.push(&s.key, "?mode=delta", fixture_now(name), &[]).await;
            assert_eq!(code, 200, "{name}: {v:#}");
            eprintln!("{name} report: {v:#}");
            assert_eq!(v["status"], "partial", "{name}");
            assert_eq!(v["rows_accepted"], 1, "{name}: {v:#}");
            assert_eq!(v["rows_rejected"], bad, "{name}: {v:#}");
        }
    }
}
