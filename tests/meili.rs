//! The Meilisearch mirror (`medmap meili sync`) against a real Meilisearch
//! started by the test (see `common::meili`): indexes created with their
//! settings, every document sent once and only changes after, deletions
//! propagated, the medications found across scripts through the synonyms from
//! medmap's name index, the places filtered by `_geo`, and the command itself.

#[macro_use]
mod common;

use common::meili::{self, MASTER_KEY};
use common::{Data, TestApp};
use medmap::meili::{docs, Mirror, Target};
use serde_json::json;

async fn app() -> TestApp {
    common::spawn_app_with(common::AppSettings::new(common::Backend::Sqlite).data(Data::Small))
        .await
}

fn mirror(url: &str) -> Mirror {
    Mirror::new(Target::new(url, Some(MASTER_KEY))).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_is_complete_then_follows_changes_and_deletions() {
    let Some(m) = meili::start("mirror_is_complete_then_follows_changes_and_deletions") else {
        return;
    };
    let app = app().await;
    let snap = app.snapshot();
    let mut mirror = mirror(&m.url);
    let first = mirror.sync(&snap, &|_, _, _| {}).await.expect("sync");
    let want = [
        (docs::MEDICATIONS, docs::medications(&snap).len()),
        (docs::FACILITIES, docs::facilities(&snap).len()),
        (docs::SERVICES, docs::services(&snap).len()),
    ];
    for ((index, n), r) in want.iter().zip(&first) {
        assert_eq!(r.index, *index);
        assert!(*n > 0, "{index}: the small data has some");
        assert_eq!((r.documents, r.sent, r.deleted), (*n, *n, 0), "{r:?}");
        assert_eq!(m.documents(index).await.len(), *n, "{index} holds them all");
    }

    // Nothing changed: nothing is sent.
    let again = mirror.sync(&snap, &|_, _, _| {}).await.expect("sync");
    assert!(
        again.iter().all(|r| r.sent == 0 && r.deleted == 0),
        "{again:?}"
    );

    // A brand is found by its ingredient in another script (names and synonyms
    // come from medmap's name index).
    let hits = m
        .search(
            docs::MEDICATIONS,
            json!({"q": "ібупрофен", "filter": "kind = product"}),
        )
        .await;
    assert!(
        hits.iter().any(|h| h["ingredients"]
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x
                .as_str()
                .is_some_and(|s| s.to_lowercase().contains("ibuprofen")
                    || s.to_lowercase().contains("ібупрофен"))))),
        "{hits:?}"
    );
    // Places are filtered by distance.
    let f = snap
        .facilities
        .iter()
        .find(|f| f.lat.is_some() && !f.confidential)
        .expect("a placed facility");
    let near = m
        .search(
            docs::FACILITIES,
            json!({"q": "", "filter": format!("_geoRadius({}, {}, 100)", f.lat.unwrap_or(0.0), f.lon.unwrap_or(0.0)), "limit": 1000}),
        )
        .await;
    assert!(
        near.iter().any(|h| h["id"] == docs::meili_id(&f.uuid)),
        "{near:?}"
    );

    // A document in Meilisearch that medmap no longer has is deleted; one that
    // differs is sent again.
    let stray = json!([{"id": "gone_from_medmap", "name": "stale", "x_hash": "0"}]);
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/indexes/{}/documents", m.url, docs::SERVICES))
        .bearer_auth(MASTER_KEY)
        .json(&stray)
        .send()
        .await
        .expect("add stray");
    assert_eq!(r.status(), 202);
    let task: serde_json::Value = r.json().await.expect("task");
    wait_task(&m.url, task["taskUid"].as_u64().expect("uid")).await;
    let some_service = docs::services(&snap)[0].id.clone();
    let r = client
        .post(format!("{}/indexes/{}/documents", m.url, docs::SERVICES))
        .bearer_auth(MASTER_KEY)
        .json(&json!([{"id": some_service, "name": "edited elsewhere", "x_hash": "1"}]))
        .send()
        .await
        .expect("edit");
    let task: serde_json::Value = r.json().await.expect("task");
    wait_task(&m.url, task["taskUid"].as_u64().expect("uid")).await;
    let fixed = mirror.sync(&snap, &|_, _, _| {}).await.expect("sync");
    let services = &fixed[2];
    assert_eq!((services.sent, services.deleted), (1, 1), "{fixed:?}");
    let held = m.documents(docs::SERVICES).await;
    assert!(held.iter().all(|d| d["id"] != "gone_from_medmap"));
    assert!(held
        .iter()
        .any(|d| d["id"] == some_service.as_str() && d["name"] != "edited elsewhere"));
}

async fn wait_task(url: &str, uid: u64) {
    for _ in 0..600 {
        let t: serde_json::Value = reqwest::Client::new()
            .get(format!("{url}/tasks/{uid}"))
            .bearer_auth(MASTER_KEY)
            .send()
            .await
            .expect("task")
            .json()
            .await
            .expect("json");
        if t["status"] == "succeeded" {
            return;
        }
        assert_ne!(t["status"], "failed", "{t}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("task {uid} did not finish");
}

#[tokio::test]
async fn an_unreachable_meilisearch_is_a_clear_error_after_the_retries() {
    let url = format!("http://127.0.0.1:{}", common::child::free_port());
    let mut target = Target::new(&url, Some("key"));
    target.attempts = 2;
    let app = app().await;
    let err = Mirror::new(target)
        .expect("client")
        .sync(&app.snapshot(), &|_, _, _| {})
        .await
        .expect_err("nothing listens");
    assert!(err.to_string().contains(&url), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_syncs_a_store() {
    let Some(m) = meili::start("the_command_syncs_a_store") else {
        return;
    };
    let app = app().await;
    let out = common::child::medmap(
        &app.db_url(),
        &["meili", "sync", "--url", &m.url, "--key", MASTER_KEY],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for index in [docs::MEDICATIONS, docs::FACILITIES, docs::SERVICES] {
        assert!(stdout.contains(&format!("{index}: ")), "{stdout}");
        assert!(!m.documents(index).await.is_empty(), "{index}");
    }
}

/// `--follow`: a directory import written to medmap's store after the first
/// sync reaches Meilisearch by itself (through the change log).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_brings_a_later_import_into_the_mirror() {
    let Some(m) = meili::start("following_brings_a_later_import_into_the_mirror") else {
        return;
    };
    let app = app().await;
    let mut child = tokio::process::Command::new(common::child::bin())
        .args([
            "--db",
            &app.db_url(),
            "meili",
            "sync",
            "--follow",
            "--every",
            "1",
        ])
        .args(["--url", &m.url, "--key", MASTER_KEY])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("medmap meili sync --follow");
    // The shelter fixture is not in the small data: wait for the first sync, then import it.
    let shelter = docs::meili_id("5f1c0c0e-7d7a-4c55-9d52-5a1e0f000001");
    let mut first = false;
    for _ in 0..600 {
        if !m.documents(docs::SERVICES).await.is_empty() {
            first = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(first, "the first sync wrote the services");
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hsds_confidential");
    medmap::import::import_source(app.store(), "hsds-json", &fixture, 0)
        .await
        .expect("import");
    let mut seen = false;
    for _ in 0..600 {
        if m.documents(docs::SERVICES)
            .await
            .iter()
            .any(|d| d["id"] == shelter.as_str())
        {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = child.kill().await;
    assert!(seen, "the import reached Meilisearch within 60 s");
}
