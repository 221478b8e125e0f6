//! The operator's view: `medmap stats`, `medmap publishers list`, the stale
//! publishers gauge on `/metrics` (one rule with the `/status` page), and the
//! example Prometheus alert rules under `deploy/`.

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::child::medmap;
use common::{spawn_app_with, AppSettings, Backend, TestApp};
use medmap::model::FacilityKind;
use serde_json::Value;

/// The gauges are process-wide: tests of this binary scrape one at a time, so one
/// server's values are not overwritten by another's between set and render.
static SCRAPE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Three publishers: `Fresh` pushed now, `Old` pushed lines checked two days ago
/// (past the 24 h window), `Silent` never pushed. Old and Silent are stale.
async fn publishers(app: &TestApp) {
    let pharmacies: Vec<i64> = app
        .snapshot()
        .facilities
        .iter()
        .filter(|f| f.kind == FacilityKind::Pharmacy)
        .map(|f| f.id)
        .take(4)
        .collect();
    let product = app.store().load_products().await.expect("products")[0].id;
    let fresh = app.make_key("Fresh", &[(pharmacies[0], None)]).await;
    let old = app.make_key("Old", &[(pharmacies[1], None)]).await;
    app.make_key("Silent", &[(pharmacies[2], None), (pharmacies[3], None)])
        .await;
    let (code, v) = app
        .push(
            &fresh,
            "",
            format!(
                "facility,product_id,quantity\n{},{product},3\n",
                pharmacies[0]
            ),
            &[],
        )
        .await;
    assert_eq!(code, 200, "{v:#}");
    let two_days_ago = (chrono::Utc::now() - chrono::TimeDelta::hours(48)).to_rfc3339();
    let (code, v) = app
        .push(
            &old,
            "",
            format!(
                "facility,product_id,quantity,checked_at\n{},{product},3,{two_days_ago}\n",
                pharmacies[1]
            ),
            &[],
        )
        .await;
    assert_eq!(code, 200, "{v:#}");
}

/// Unlabelled samples of the server's `/metrics`.
async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let (code, text) = app.get_text("/metrics").await;
    assert_eq!(code, 200);
    medmap::admin::stats::samples(&text).into_iter().collect()
}

backend_test! {
    /// `/metrics` counts the stale publishers by the `/status` rule and carries the
    /// process's memory; the CLI's list and stats say the same from the store.
    async fn stale_publishers_in_metrics_list_and_stats(backend) {
        let app = spawn_app_with(AppSettings::new(backend)).await;
        publishers(&app).await;

        let m = {
            let _one = SCRAPE.lock().await;
            scrape(&app).await
        };
        assert_eq!(m.get("medmap_publishers"), Some(&3.0), "{m:?}");
        assert_eq!(m.get("medmap_publishers_stale"), Some(&2.0), "{m:?}");
        assert!(m.get("process_resident_memory_bytes").is_some_and(|b| *b > 1e6), "{m:?}");
        assert!(m.contains_key("process_start_time_seconds"), "{m:?}");

        // The public status answer shows the same publishers stale.
        let (_, status) = app.get_json("/api/v1/publishers/status").await;
        let stale_by_api: Vec<&str> = status["publishers"]
            .as_array()
            .expect("publishers")
            .iter()
            .filter(|p| p["stale_facilities"].as_i64() > Some(0))
            .filter_map(|p| p["publisher"].as_str())
            .collect();
        assert_eq!(stale_by_api, ["Old", "Silent"]);

        let url = app.db_url();
        let out = medmap(&url, &["publishers", "list", "--json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let list: Value = serde_json::from_slice(&out.stdout).expect("json");
        let flags: Vec<(String, bool)> = list
            .as_array()
            .expect("array")
            .iter()
            .map(|p| (p["publisher"].as_str().unwrap_or("").to_string(), p["stale"] == true))
            .collect();
        assert_eq!(
            flags,
            [("Fresh".into(), false), ("Old".into(), true), ("Silent".into(), true)]
        );
        let silent = &list[2];
        assert_eq!(silent["facilities"], 2);
        assert_eq!(silent["stale_facilities"], 2);
        assert_eq!(silent["last_push_at"], Value::Null);

        let out = medmap(&url, &["publishers", "list", "--stale"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("Silent") && !text.contains("Fresh"), "{text}");
        assert!(text.contains("publishers: 2, stale: 2"), "{text}");

        // With a window wide enough for two-day-old lines only Silent is stale.
        let out = medmap(&url, &["publishers", "list", "--json", "--stale", "--fresh-hours", "72"]);
        let list: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list:#}");

        let out = {
            let _one = SCRAPE.lock().await;
            medmap(&url, &["stats", "--json", "--url", &app.base])
        };
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let s: Value = serde_json::from_slice(&out.stdout).expect("json");
        let counts = app.store().counts().await.expect("counts");
        assert_eq!(s["counts"]["facilities"], counts.facilities);
        assert_eq!(s["counts"]["stock_lines"], counts.stock_lines);
        assert_eq!(s["publishers"], 3);
        assert_eq!(s["publishers_stale"], 2);
        assert_eq!(s["pushes_total"], 2);
        assert_eq!(s["last_pushes"][0]["publisher"], "Old");
        let by_kind: i64 = s["facilities_by_kind"]
            .as_array()
            .expect("kinds")
            .iter()
            .map(|k| k[1].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(by_kind, counts.facilities);
        let by_source: BTreeMap<String, i64> = s["stock_by_source"]
            .as_array()
            .expect("sources")
            .iter()
            .map(|k| (k[0].as_str().unwrap_or("").to_string(), k[1].as_i64().unwrap_or(0)))
            .collect();
        assert_eq!(by_source.get("feeds"), Some(&2), "{by_source:?}");
        assert!(s["database_bytes"].as_i64() > Some(0));
        let server = &s["server"];
        assert_eq!(server["error"], Value::Null, "{server:#}");
        assert_eq!(server["publishers_stale"], 2.0);
        assert_eq!(server["snapshot_facilities"], counts.facilities as f64);
        assert!(server["resident_memory_bytes"].as_f64() > Some(1e6), "{server:#}");
        assert_eq!(server["version"], env!("CARGO_PKG_VERSION"));

        // The text form, and a server that does not answer.
        let out = medmap(&url, &["stats", "--url", "http://127.0.0.1:9"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(text.contains("publishers        3 (2 stale"), "{text}");
        assert!(text.contains("not answering"), "{text}");
        assert!(text.contains("last pushes"), "{text}");
    }
}

/// The example alert rules parse, and every series they name is one a real server
/// exports; with `promtool` on PATH they also pass `promtool check rules`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_alert_rules_parse_and_name_real_series() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy/prometheus/medmap-alerts.yml");
    let text = std::fs::read_to_string(&path).expect("rules file");
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
    let rules = doc["groups"][0]["rules"].as_sequence().expect("rules");
    assert!(rules.len() >= 3);
    let mut series = Vec::new();
    for r in rules {
        let name = r["alert"].as_str().expect("alert name");
        let expr = r["expr"].as_str().expect("expr");
        assert!(
            r["labels"]["severity"].as_str().is_some(),
            "{name}: severity"
        );
        assert!(
            r["annotations"]["summary"].as_str().is_some(),
            "{name}: summary"
        );
        assert_eq!(
            expr.matches('(').count(),
            expr.matches(')').count(),
            "{name}"
        );
        for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.starts_with("medmap_") || word.starts_with("process_") {
                series.push(word.to_string());
            }
        }
    }
    assert!(series.iter().any(|s| s == "medmap_publishers_stale"));

    let app = spawn_app_with(AppSettings::new(Backend::Sqlite)).await;
    app.get("/api/v1/medications/search?q=ibuprofen").await;
    let (_, exported) = {
        let _one = SCRAPE.lock().await;
        app.get_text("/metrics").await
    };
    for s in &series {
        let found = exported
            .lines()
            .any(|l| !l.starts_with('#') && l.starts_with(s.as_str()));
        assert!(
            found,
            "{s} is named in the rules but /metrics has no such series"
        );
    }

    match Command::new("promtool")
        .args(["check", "rules"])
        .arg(&path)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => eprintln!(
            "promtool is not on PATH: the rules were checked as YAML and against /metrics only"
        ),
    }
}
