//! Duty rotas and special opening times (`POST /api/v1/feeds/duty`, `medmap import
//! duty`), on both databases, over Tartu's pharmacies and their real hours: a night
//! duty makes a day pharmacy answer "open at 3 a.m.", a closed date takes it out of
//! "open at" on that day, the facility answer and page list the duty times, a rota
//! with a bad row is refused whole with its lines and changes nothing, and what was
//! applied survives a restart.

#[macro_use]
mod common;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Tallinn;
use common::{data_dir, post_keyed, spawn_app_with, AppSettings, TestApp};
use medmap::import;
use serde_json::Value;

const TARTU: &str = "facilities/ee_tartu_pharmacies_osm_2020.geojson";
const CENTRE: (f64, f64) = (58.3780, 26.7290);

/// Names and ids of the pharmacies offering paracetamol in Tartu, with `extra`.
async fn offers(app: &TestApp, extra: &str) -> Vec<(i64, String)> {
    let (s, b) = app
        .get_json(&format!(
            "/api/v1/availability?q=paracetamol&lat={}&lon={}&radius_km=15&limit=100&analogs=true{extra}",
            CENTRE.0, CENTRE.1
        ))
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| {
            (
                o["facility"]["id"].as_i64().expect("id"),
                o["facility"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

async fn duty(app: &TestApp, key: &str, query: &str, body: &str) -> (u16, Value) {
    post_keyed(
        &app.client,
        &app.url(&format!("/api/v1/feeds/duty{query}")),
        key,
        body.to_string(),
        &[],
    )
    .await
}

/// The local date of the next 03:00 in Tartu (what `open_at=03:00` asks about).
fn next_three_am(now: DateTime<Utc>) -> NaiveDate {
    let local = now.with_timezone(&Tallinn);
    let three = NaiveTime::from_hms_opt(3, 0, 0).expect("time");
    if local.time() > three {
        local.date_naive() + Duration::days(1)
    } else {
        local.date_naive()
    }
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Tallinn
        .from_local_datetime(&d.and_hms_opt(12, 0, 0).expect("time"))
        .earliest()
        .expect("noon exists")
        .with_timezone(&Utc)
}

backend_test! {
    async fn duty_rotas_and_special_days(backend) {
        let app = spawn_app_with(AppSettings::new(backend)).await;
        import::import_source(app.store(), "osm", &data_dir().join(TARTU), 0)
            .await
            .expect("Tartu");
        import::import_demo_stock(app.store(), 42, Utc::now().timestamp())
            .await
            .expect("demo stock");
        app.rebuild_snapshot().await;

        let day = offers(&app, "").await;
        let night = offers(&app, "&open_at=03:00").await;
        // Two day pharmacies: P pushes its own rota, Q is on the city's list.
        let mut day_only = day.iter().filter(|o| !night.contains(o));
        let (p, p_name) = day_only.next().expect("a day pharmacy").clone();
        let (q, _) = day_only.next().expect("another day pharmacy").clone();
        let p_ix = app.snapshot().facility_index[&p];

        let now = Utc::now();
        let d = next_three_am(now);
        let eve = d - Duration::days(1);
        // A later day at noon when P is open by its regular hours.
        let (closed_day, closed_at) = (1..8)
            .map(|k| d + Duration::days(k))
            .map(|x| (x, noon(x)))
            .find(|(_, at)| app.snapshot().is_open(p_ix, *at) == Some(true))
            .expect("P opens at noon on some day of the week");
        let at_param = format!("&open_at={}", closed_at.format("%Y-%m-%dT%H:%M:%SZ"));
        assert!(offers(&app, &at_param).await.iter().any(|o| o.0 == p), "P is open then by its hours");

        let key = app.make_key("Tartu apteek", &[(p, Some("T-1".into()))]).await;
        let rota = format!(
            "facility,from,to,date,hours,note\n\
             T-1,{eve} 22:00,{d} 07:00,,,night duty\n\
             T-1,,,{closed_day},closed,inventory\n"
        );
        let (s, b) = duty(&app, &key, "", &rota).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!((b["rows"].as_u64(), b["spans"].as_u64(), b["facilities"].as_u64()), (Some(2), Some(2), Some(1)), "{b}");

        // Live at once: open at 3 a.m., not at noon on the closed day.
        assert!(offers(&app, "&open_at=03:00").await.iter().any(|o| o.0 == p), "{p_name} on duty at 3 a.m.");
        assert!(!offers(&app, &at_param).await.iter().any(|o| o.0 == p), "{p_name} closed on {closed_day}");
        // The facility answer lists the duty and the closure on Tartu's clock.
        let (s, f) = app.get_json(&format!("/api/v1/facilities/{p}")).await;
        assert_eq!(s, 200, "{f}");
        let special = f["hours"]["special"].as_array().expect("special").clone();
        assert_eq!(special.len(), 2, "{f}");
        assert_eq!(special[0]["local_from"], format!("{eve}T22:00"));
        assert_eq!((special[0]["open"].as_bool(), special[0]["note"].as_str()), (Some(true), Some("night duty")));
        assert_eq!((special[1]["open"].as_bool(), special[1]["local_from"].as_str()), (Some(false), Some(format!("{closed_day}T00:00").as_str())));
        // The page says so, in each language.
        let (s, html) = app.get_text(&format!("/facilities/{p}?lang=en")).await;
        assert_eq!(s, 200);
        assert!(html.contains("On duty:") && html.contains("night duty") && html.contains("Closed:"), "{html}");
        let (_, uk) = app.get_text(&format!("/facilities/{p}?lang=uk")).await;
        assert!(uk.contains("Чергує:"), "uk page");

        // Bad rotas are refused whole, with their lines, and change nothing.
        let overlap = format!("facility,from,to\nT-1,{eve} 22:00,{d} 07:00\nT-1,{d} 06:00,{d} 09:00\n");
        let (s, b) = duty(&app, &key, "", &overlap).await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["details"]["rejections"][0]["line"], 3, "{b}");
        assert_eq!(b["error"]["details"]["rejections"][0]["reason"], "overlap", "{b}");
        let backwards = format!("facility,from,to\nT-1,{d} 07:00,{eve} 22:00\n");
        let (s, b) = duty(&app, &key, "", &backwards).await;
        assert_eq!((s, &b["error"]["details"]["rejections"][0]["line"]), (422, &Value::from(2)), "{b}");
        assert_eq!(b["error"]["details"]["rejections"][0]["reason"], "ends_before_start");
        let (s, b) = duty(&app, &key, "", &format!("facility,from,to\n{q},{eve} 22:00,{d} 07:00\n")).await;
        assert_eq!((s, b["error"]["code"].as_str()), (403, Some("forbidden")), "another pharmacy's duty: {b}");
        let (s, b) = duty(&app, &key, "", "facility,from,to\nNOPE,2026-12-24 20:00,2026-12-25 08:00\n").await;
        assert_eq!((s, b["error"]["details"]["rejections"][0]["reason"].as_str()), (422, Some("unknown_facility")), "{b}");
        let (s, b) = duty(&app, &key, "", "just,some,words\n").await;
        assert_eq!((s, b["error"]["details"]["param"].as_str()), (400, Some("body")), "{b}");
        let (s, _) = duty(&app, &key, "?mode=sometimes", &rota).await;
        assert_eq!(s, 400);
        let (s, _) = duty(&app, "mmk_wrong", "", &rota).await;
        assert_eq!(s, 401);
        assert!(offers(&app, "&open_at=03:00").await.iter().any(|o| o.0 == p), "the applied rota still holds");

        // A city's rota, imported by the operator, for Q by medmap id (JSON).
        let dir = tempfile::tempdir().expect("dir");
        let city = dir.path().join("tartu-december.json");
        std::fs::write(&city, format!(r#"[{{"facility": {q}, "from": "{eve} 21:00", "to": "{d} 09:00", "note": "city rota"}}]"#)).expect("write");
        let (reports, _) = import::import_source(app.store(), "duty", &city, 0).await.expect("city rota");
        assert_eq!(reports[0].imported, 1);
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, format!("facility,from,to\n{q},{d} 09:00,{d} 08:00\n")).expect("write");
        let err = import::import_source(app.store(), "duty", &bad, 0).await.expect_err("backwards row");
        assert!(err.to_string().contains("line 2"), "{err}");

        // A restart reads both rotas back from the store.
        app.rebuild_snapshot().await;
        let night = offers(&app, "&open_at=03:00").await;
        assert!(night.iter().any(|o| o.0 == p) && night.iter().any(|o| o.0 == q), "{night:?}");
        assert!(!offers(&app, &at_param).await.iter().any(|o| o.0 == p));

        // Pushing an empty-of-P rota in merge mode for nothing else keeps P's;
        // replacing P's rota with a single closed date drops the night duty.
        let only_closed = format!("facility,date,hours\nT-1,{closed_day},closed\n");
        let (s, b) = duty(&app, &key, "?mode=merge", &only_closed).await;
        assert_eq!((s, b["replaced"].as_u64()), (200, Some(2)), "{b}");
        assert!(!offers(&app, "&open_at=03:00").await.iter().any(|o| o.0 == p), "the night duty is gone");
    }
}
