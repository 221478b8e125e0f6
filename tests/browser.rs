//! The pages in a real browser (headless Chromium over WebDriver) against a real
//! server on a random port: a misspelt medication picked from the autocomplete ends
//! on pharmacies with prices; the language switch sticks; the services search with
//! place, language and age filters makes a printable list; every page passes axe-core (no serious or critical
//! violations), stays under its weight budget and fits 360 px. Every test also
//! asserts that no request left the machine, and saves screenshots under
//! `target/screenshots/`.

mod common;
#[path = "browser/harness.rs"]
mod harness;

use common::{spawn_app, TestApp};
use fantoccini::key::Key;
use fantoccini::Locator;
use harness::Browser;

/// Chromium is heavy on a 2-core machine: one browser test at a time.
static ONE_AT_A_TIME: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// A SQLite app with the small data set, and its base URL.
async fn app() -> (TestApp, String) {
    let app = spawn_app().await;
    let base = app.base.clone();
    (app, base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misspelt_medication_to_pharmacies_with_prices() {
    let _turn = ONE_AT_A_TIME.acquire().await.expect("semaphore");
    let (_app, base) = app().await;
    let b = Browser::start("en-GB").await;

    b.goto(&format!("{base}/where?near=London&radius_km=50"))
        .await;
    let q = b.client.find(Locator::Css("#q")).await.expect("search box");
    q.send_keys("ibuprofn").await.expect("type");
    // The combobox opens with suggestions; the misspelling is corrected.
    b.until(
        "suggestions",
        "document.querySelectorAll('#q-listbox [role=option]').length > 0",
    )
    .await;
    assert_eq!(
        b.js("return document.getElementById('q').getAttribute('aria-expanded')")
            .await,
        "true"
    );
    let first = b.text("#q-listbox [role=option]").await;
    assert!(first.to_lowercase().contains("ibuprofen"), "{first}");
    b.screenshot("where-suggestions").await;
    // Keyboard: down to the first option, Enter picks it and submits the form.
    q.send_keys(&Key::Down.to_string()).await.expect("down");
    assert_eq!(
        b.js("return document.getElementById('q').getAttribute('aria-activedescendant')")
            .await,
        "q-listbox-0"
    );
    q.send_keys(&Key::Enter.to_string()).await.expect("enter");
    b.until(
        "the results page",
        "location.search.includes('medication_id=')",
    )
    .await;
    b.until(
        "offers",
        "document.querySelectorAll('.offers .price').length > 0",
    )
    .await;
    let price = b.text(".offers .price").await;
    assert!(price.starts_with('£'), "a price in pounds: {price}");
    let meta = b.text(".offers li .meta").await;
    assert!(
        meta.contains(" km") || meta.contains(" m"),
        "distance shown: {meta}"
    );
    assert!(
        meta.contains("updated") || meta.contains("call to confirm"),
        "freshness shown: {meta}"
    );
    // The map library arrives only after the list, and draws a marker per pharmacy.
    b.until("the map", "document.querySelector('#map[data-ready]')")
        .await;
    let markers = b
        .js("return document.querySelectorAll('#map path.leaflet-interactive').length")
        .await;
    assert!(markers.as_u64().unwrap_or(0) > 0, "markers: {markers}");
    b.screenshot("where-pharmacies-en").await;
    b.assert_local_only().await;

    // Sorting by price puts the cheapest first.
    let url = b.client.current_url().await.expect("url").to_string();
    assert!(url.contains("sort=distance"), "{url}");
    b.goto(&url.replace("sort=distance", "sort=price")).await;
    let prices = b
        .js("return [...document.querySelectorAll('.offers li')].map(li => { const p = li.querySelector('.price'); return p ? parseFloat(p.textContent.replace(/[^0-9.]/g, '')) : null; })")
        .await;
    let prices: Vec<f64> = prices
        .as_array()
        .expect("prices")
        .iter()
        .filter_map(|p| p.as_f64())
        .collect();
    assert!(prices.len() > 1, "{prices:?}");
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    b.assert_local_only().await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_follows_the_browser_switches_and_sticks() {
    let _turn = ONE_AT_A_TIME.acquire().await.expect("semaphore");
    let (_app, base) = app().await;
    // A Russian-speaking browser gets Russian without asking.
    let b = Browser::start("ru").await;
    b.goto(&format!("{base}/")).await;
    assert_eq!(b.js("return document.documentElement.lang").await, "ru");
    assert_eq!(b.text("h1").await, "Поиск лекарств и услуг");
    // The switcher is a plain link; the choice is remembered for the next pages.
    b.client
        .find(Locator::Css("a[hreflang=uk]"))
        .await
        .expect("uk link")
        .click()
        .await
        .expect("click");
    b.until("Ukrainian", "document.documentElement.lang === 'uk'")
        .await;
    assert_eq!(b.text("h1").await, "Пошук ліків і послуг");
    b.screenshot("home-uk").await;
    b.goto(&format!(
        "{base}/where?q=ibuprofen&near=London&radius_km=50"
    ))
    .await;
    assert_eq!(b.js("return document.documentElement.lang").await, "uk");
    let price = b.text(".offers .price").await;
    assert!(
        price.contains(',') && price.ends_with('£'),
        "Ukrainian price format: {price}"
    );
    let meta = b.text(".offers li .meta").await;
    assert!(meta.contains(" км") || meta.contains(" м"), "{meta}");
    b.screenshot("where-pharmacies-uk").await;
    b.assert_local_only().await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_search_with_filters_makes_a_printable_list() {
    let _turn = ONE_AT_A_TIME.acquire().await.expect("semaphore");
    let (_app, base) = app().await;
    let b = Browser::start("en-GB").await;
    b.goto(&format!("{base}/services")).await;
    // Near the Ohana sample (San Mateo County), a Spanish speaker aged 30.
    for (css, text) in [
        ("#near", "37.5,-122.25"),
        ("#language", "Spanish"),
        ("#age", "30"),
    ] {
        b.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .send_keys(text)
            .await
            .expect("type");
    }
    b.client
        .find(Locator::Css("#radius_km"))
        .await
        .expect("radius")
        .select_by_value("50")
        .await
        .expect("select");
    b.client
        .find(Locator::Css("form[role=search] button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    b.until(
        "results",
        "location.pathname === '/services' && location.search.includes('language=Spanish')",
    )
    .await;
    assert!(
        b.js("return location.search.includes('age=30')")
            .await
            .as_bool()
            .unwrap_or(false),
        "the age travels in the URL"
    );
    b.screenshot("services-en").await;
    let n = b
        .js("return document.querySelectorAll('#list > li').length")
        .await
        .as_u64()
        .unwrap_or(0);
    assert!(n >= 2, "Spanish-speaking services near San Mateo: {n}");
    // Every hit says it speaks Spanish; the language filter filters.
    let langs = b
        .js("return [...document.querySelectorAll('#list > li')].map(li => (li.querySelector('.langs') || {}).textContent || '')")
        .await;
    assert!(
        langs
            .as_array()
            .expect("languages")
            .iter()
            .all(|l| l.as_str().is_some_and(|l| l.contains("Spanish"))),
        "{langs}"
    );
    let all = b
        .js("return fetch('/services?near=37.5,-122.25&radius_km=50').then(r => r.text()).then(t => (t.match(/<h3>/g) || []).length)")
        .await
        .as_u64()
        .unwrap_or(0);
    assert!(
        all > n,
        "the language filter filters: {all} services, {n} in Spanish"
    );
    // An age outside a service's range drops it.
    let child = b
        .js("return fetch('/services?q=counselling&age=10').then(r => r.text()).then(t => t.includes('Community Counselling'))")
        .await;
    assert_eq!(child, serde_json::json!(false), "the age filter filters");
    // Pick two places and make the list.
    let mut picked = Vec::new();
    for css in [
        "#list > li:nth-child(1) input[name=f]",
        "#list > li:nth-child(2) input[name=f]",
    ] {
        let input = b.client.find(Locator::Css(css)).await.expect("checkbox");
        picked.push(input.attr("value").await.expect("value").expect("an id"));
        input.click().await.expect("tick");
    }
    picked.dedup();
    b.client
        .find(Locator::Css("#list ~ button[type=submit]"))
        .await
        .expect("make list")
        .click()
        .await
        .expect("click");
    b.until("the list", "location.pathname === '/list'").await;
    let listed = b
        .js("return document.querySelectorAll('.handoff h2').length")
        .await
        .as_u64()
        .unwrap_or(0);
    assert_eq!(listed as usize, picked.len(), "{picked:?}");
    // The list lives in the URL only, and printing hides everything but the list.
    let share = b.js("return document.getElementById('share').value").await;
    assert!(
        share
            .as_str()
            .is_some_and(|s| s.contains(&format!("/list?f={}", picked[0]))),
        "{share}"
    );
    b.screenshot("list-en").await;
    b.assert_local_only().await;
    b.quit().await;
}

/// Page URLs worth checking, with what each is.
async fn pages(base: &str) -> Vec<(&'static str, String)> {
    let client = reqwest::Client::new();
    let get = |p: String| {
        let c = client.clone();
        async move {
            c.get(format!("{base}{p}"))
                .send()
                .await
                .expect("get")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let ibu = get("/api/v1/medications/search?q=ibuprofen&limit=1".into()).await["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let avail = get(format!(
        "/api/v1/availability?medication_id={ibu}&lat=51.5&lon=-0.12&radius_km=50"
    ))
    .await;
    let pharmacy = avail["items"][0]["facility"]["id"]
        .as_i64()
        .expect("pharmacy");
    vec![
        ("home", "/".to_string()),
        ("medications", "/medications?q=ibuprofn".to_string()),
        ("medication", format!("/medications/{ibu}")),
        (
            "where",
            format!("/where?medication_id={ibu}&near=London&radius_km=50"),
        ),
        ("facility", format!("/facilities/{pharmacy}")),
        (
            "services",
            "/services?near=37.5,-122.25&radius_km=50&language=Spanish&age=30".to_string(),
        ),
        ("list", format!("/list?f={pharmacy}")),
        ("status", "/status".to_string()),
        ("not-found", "/medications/s999999999".to_string()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe_fits_a_phone_and_keeps_its_weight() {
    let _turn = ONE_AT_A_TIME.acquire().await.expect("semaphore");
    let (_app, base) = app().await;
    let pages = pages(&base).await;
    let b = Browser::start("en-GB").await;
    b.client.set_window_size(360, 740).await.expect("resize");
    let mut report = Vec::new();
    for (name, path) in &pages {
        for lang in ["en", "uk"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            b.goto(&format!("{base}{path}{sep}lang={lang}")).await;
            b.until("loaded", "document.readyState === 'complete'")
                .await;
            let bad = b.axe().await;
            assert!(bad.is_empty(), "{name} ({lang}): axe found {bad:#?}");
            // Usable at 360 px: nothing wider than the screen.
            let width = b
                .js("return document.documentElement.scrollWidth")
                .await
                .as_u64()
                .unwrap_or(u64::MAX);
            assert!(width <= 360, "{name} ({lang}) is {width} px wide at 360 px");
            // The map library only where there is a map.
            let urls = b.loaded_urls().await;
            let leaflet = urls.iter().any(|u| u.contains("leaflet.js"));
            let has_map = b
                .js("return !!document.getElementById('map')")
                .await
                .as_bool()
                .unwrap_or(false);
            if !has_map {
                assert!(!leaflet, "{name} loaded Leaflet without a map");
            }
            if lang == "en" {
                b.screenshot(&format!("mobile-{name}")).await;
            }
            b.assert_local_only().await;
            report.push(format!("{name}/{lang}: axe ok, {width}px"));
        }
    }
    eprintln!("{}", report.join("\n"));
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trap_sees_a_third_party_request() {
    let _turn = ONE_AT_A_TIME.acquire().await.expect("semaphore");
    let b = Browser::start("en-GB").await;
    // Without this, a green "no request left localhost" could mean the trap is deaf.
    let _ = b.client.goto("http://third-party.example/tracker.js").await;
    let seen = b.trap.page_requests();
    assert!(
        seen.iter().any(|r| r.contains("third-party.example")),
        "the trap saw {seen:?}"
    );
    b.quit().await;
}
