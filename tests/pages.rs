//! The HTML pages over plain HTTP, as a browser without JavaScript (or a screen
//! reader's browse mode, or a slow phone) sees them: every search a GET form, every
//! result a link, errors as pages with the right status, the language negotiated and
//! remembered, nothing loaded from another host, and every page within its weight.

mod common;

use common::{small_data_dir, spawn_app, TestDb};
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::redirect::Policy;

/// The budget for one HTML page, uncompressed.
const PAGE_BUDGET: usize = 60 * 1024;
/// The budget for our own JavaScript, uncompressed.
const JS_BUDGET: usize = 30 * 1024;

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn get_with(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Page {
    let mut req = client.get(format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.text().await.expect("body");
    Page {
        status,
        headers,
        body,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// Every `src=` and stylesheet `href=` on the page points at this server.
fn assert_no_foreign_assets(path: &str, html: &str) {
    for attr in ["src=\"", "<link rel=\"stylesheet\" href=\""] {
        for (i, _) in html.match_indices(attr) {
            let v = &html[i + attr.len()..];
            let v = &v[..v.find('"').unwrap_or(v.len())];
            assert!(
                v.starts_with('/') && !v.starts_with("//"),
                "{path} loads {v} from elsewhere"
            );
        }
    }
}

async fn pages_without_javascript(db: TestDb) {
    let data = small_data_dir();
    let (_app, base) = spawn_app(db.store.clone(), Some(data.path().to_path_buf())).await;
    let c = client();
    let get = |path: &'static str| {
        let (c, base) = (c.clone(), base.clone());
        async move { get_with(&c, &base, path, &[]).await }
    };

    // The start page: one GET form, labelled.
    let home = get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.headers[CONTENT_TYPE]
        .to_str()
        .unwrap_or("")
        .starts_with("text/html"));
    assert!(home.body.contains("<html lang=\"en\">"));
    assert!(home
        .body
        .contains("<form class=\"search\" action=\"/search\" method=\"get\""));
    assert!(home.body.contains("<label for=\"q\">"));
    let csp = home.headers[CONTENT_SECURITY_POLICY].to_str().unwrap_or("");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{csp}"
    );

    // The box's answer is a redirect to the page that answers it.
    let r = get("/search?q=ibuprofen&what=medication").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/medications?q=ibuprofen");
    let r = get("/search?q=food&what=service").await;
    assert_eq!(r.headers["location"], "/services?q=food");

    // A misspelling: "did you mean", match kinds, brands of the generic, as links.
    let m = get("/medications?q=ibuprofn").await;
    assert_eq!(m.status, 200);
    assert!(m.body.contains("Did you mean"), "{}", m.body);
    assert!(m.body.contains("spelling corrected"));
    assert!(m.body.contains("Brands:"));
    let detail = m
        .body
        .split("<h2><a href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a result link")
        .to_string();
    assert!(detail.starts_with("/medications/s"), "{detail}");
    let d = get_with(&c, &base, &detail, &[]).await;
    assert_eq!(d.status, 200);
    assert!(d.body.contains("action=\"/where\""), "a where-to-buy form");

    // Where to buy, without JS: pharmacies with prices, freshness and hours.
    let w = get("/where?q=ibuprofn&near=London&radius_km=50").await;
    assert_eq!(w.status, 200);
    assert!(w.body.contains("class=\"price\">£"), "prices in pounds");
    assert!(w.body.contains("updated ") || w.body.contains("call to confirm"));
    assert!(
        w.body.contains("spelling corrected"),
        "says the name was corrected"
    );
    assert!(w.body.contains("href=\"/facilities/"));
    assert!(
        w.body.contains("id=\"map\""),
        "a map placeholder for the script"
    );
    assert!(
        !w.body.contains("leaflet.js"),
        "Leaflet is loaded by the script, after the list"
    );
    let by_price = get("/where?q=ibuprofen&near=London&radius_km=50&sort=price").await;
    assert_eq!(by_price.status, 200);
    let fac = w
        .body
        .split("href=\"/facilities/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("facility id")
        .to_string();
    let f = get_with(&c, &base, &format!("/facilities/{fac}"), &[]).await;
    assert_eq!(f.status, 200);
    assert!(f.body.contains("Opening hours"));
    assert!(f.body.contains("In stock here"));

    // Services: the HSDS search with its filters, and the hand-off list from ids in
    // the URL. The Ohana sample lies around 37.5,-122.25 (San Mateo County).
    let s = get("/services?near=37.5,-122.25&radius_km=50").await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert!(s.body.contains("name=\"f\""), "checkboxes for the list");
    assert!(
        s.body.contains("href=\"/facilities/"),
        "hits link to their place"
    );
    assert!(s.body.contains("Languages: "), "languages shown");
    let all = s.body.matches("<h3>").count();
    // Language: Korean is spoken at one place of the sample, Spanish at many.
    let korean = get("/services?near=37.5,-122.25&radius_km=50&language=Korean").await;
    assert_eq!(korean.status, 200);
    let n_korean = korean.body.matches("<h3>").count();
    assert!(
        n_korean >= 1 && n_korean < all,
        "the language filter filters: {n_korean} of {all}"
    );
    assert!(korean.body.contains("Sunnyvale Corps"), "{}", korean.body);
    assert!(!korean.body.contains("Project Read"));
    // Age: the HSDS example "Community Counselling" is for ages 12 to 100.
    let counselling = get("/services?q=counselling").await;
    assert_eq!(counselling.status, 200);
    assert!(counselling.body.contains("Community Counselling"));
    assert!(
        counselling.body.contains("Ages 12–100"),
        "{}",
        counselling.body
    );
    let child = get("/services?q=counselling&age=10").await;
    assert_eq!(child.status, 200);
    assert!(
        !child.body.contains("Community Counselling"),
        "the age filter filters"
    );
    assert!(get("/services?q=counselling&age=30")
        .await
        .body
        .contains("Community Counselling"));
    let picked = s
        .body
        .split("name=\"f\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a place to pick")
        .to_string();
    let l = get_with(&c, &base, &format!("/list?f={picked}&f={fac}&f={fac}"), &[]).await;
    assert_eq!(l.status, 200);
    assert_eq!(
        l.body.matches("<li>\n<h2>").count(),
        2,
        "duplicates listed once"
    );
    assert!(l.body.contains(&format!("/list?f={picked}")), "{}", l.body);

    let st = get("/status").await;
    assert_eq!(st.status, 200);
    assert!(st.body.contains("Data freshness"));

    // Bad input: an error page with the status and the reason, never a 500.
    for (path, status, says) in [
        ("/medications?q=%zz", 400, "percent-encoding"),
        ("/medications/x1", 400, "not a medication id"),
        ("/medications/s999999999", 404, "not found"),
        (
            "/where?q=ibuprofen&near=London&radius_km=-1",
            400,
            "radius_km",
        ),
        ("/where?q=ibuprofen&near=Atlantis", 404, "Atlantis"),
        ("/where?q=ibuprofen&near=London&sort=cheap", 400, "sort"),
        ("/facilities/abc", 400, "not a facility id"),
        ("/facilities/999999999", 404, "not found"),
        ("/services?category=spa", 400, "category"),
        ("/services?age=200", 400, "age"),
        ("/services?age=old", 400, "age"),
        ("/services?day=someday", 400, "day"),
        ("/services?day=mon&time=25:99", 400, "time"),
        ("/list?f=abc", 400, "not a place id"),
        ("/search?what=both", 400, "what"),
    ] {
        let p = get(path).await;
        assert_eq!(p.status, status, "{path}: {}", p.body);
        assert!(p.body.contains("<html lang="), "{path} answers a page");
        assert!(p.body.contains(says), "{path} says {says:?}: {}", p.body);
    }
    // A browser following a broken link gets a page; other clients get JSON.
    let p = get_with(
        &c,
        &base,
        "/no-such-page",
        &[("accept", "text/html,*/*;q=0.8")],
    )
    .await;
    assert_eq!(p.status, 404);
    assert!(
        p.body.contains("<html lang=") && p.body.contains("Not found"),
        "{}",
        p.body
    );
    let p = get("/no-such-page").await;
    assert_eq!(p.status, 404);
    assert!(p.headers[CONTENT_TYPE]
        .to_str()
        .unwrap_or("")
        .contains("json"));
    // The API keeps answering JSON.
    let api = get("/api/v1/nope").await;
    assert_eq!(api.status, 404);
    assert!(api.headers[CONTENT_TYPE]
        .to_str()
        .unwrap_or("")
        .contains("json"));
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_pages_without_javascript() {
    pages_without_javascript(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn postgres_pages_without_javascript() {
    pages_without_javascript(TestDb::postgres().await).await;
}

#[tokio::test]
async fn language_negotiated_switched_and_remembered() {
    let db = TestDb::sqlite().await;
    let data = small_data_dir();
    let (_app, base) = spawn_app(db.store.clone(), Some(data.path().to_path_buf())).await;
    let c = client();
    // Accept-Language picks the best one we have.
    let p = get_with(
        &c,
        &base,
        "/",
        &[(ACCEPT_LANGUAGE.as_str(), "de-DE,uk;q=0.8,en;q=0.5")],
    )
    .await;
    assert!(p.body.contains("<html lang=\"uk\">"), "{}", &p.body[..200]);
    assert!(p.body.contains("Пошук ліків і послуг"));
    assert!(
        p.headers.get(SET_COOKIE).is_none(),
        "nothing remembered unasked"
    );
    // A switch link sets the language and remembers it.
    let p = get_with(&c, &base, "/medications?q=ibuprofen&lang=ru", &[]).await;
    assert!(p.body.contains("<html lang=\"ru\">"));
    let cookie = p.headers[SET_COOKIE].to_str().unwrap_or("").to_string();
    assert!(cookie.starts_with("medmap_lang=ru;"), "{cookie}");
    // The switch links keep the page and its query.
    assert!(
        p.body
            .contains("href=\"/medications?q=ibuprofen&#38;lang=uk\""),
        "switch links"
    );
    // The cookie beats Accept-Language.
    let p = get_with(
        &c,
        &base,
        "/where?q=ibuprofen&near=London&radius_km=50",
        &[
            (COOKIE.as_str(), "medmap_lang=ru"),
            (ACCEPT_LANGUAGE.as_str(), "en"),
        ],
    )
    .await;
    assert!(p.body.contains("<html lang=\"ru\">"));
    // Russian formats: decimal comma, km in Cyrillic, freshness in words.
    assert!(
        p.body.contains(" км<") || p.body.contains(" м<"),
        "distances in Russian"
    );
    assert!(p.body.contains("обновлено") || p.body.contains("позвоните"));
    assert!(
        p.body.contains(",") && p.body.contains("\u{a0}£"),
        "prices like 4,50 £"
    );
    db.drop_db().await;
}

#[tokio::test]
async fn every_page_within_its_weight_and_local_only() {
    let db = TestDb::sqlite().await;
    let data = small_data_dir();
    let (_app, base) = spawn_app(db.store.clone(), Some(data.path().to_path_buf())).await;
    let c = client();
    let js = get_with(&c, &base, "/static/app.js", &[]).await;
    assert_eq!(js.status, 200);
    assert!(
        js.body.len() <= JS_BUDGET,
        "app.js is {} bytes",
        js.body.len()
    );
    let leaflet = get_with(&c, &base, "/static/vendor/leaflet/leaflet.js", &[]).await;
    assert_eq!(leaflet.status, 200, "Leaflet is vendored and served by us");
    let mut sizes = Vec::new();
    for path in [
        "/",
        "/medications?q=ibuprofen",
        "/medications?q=paracetamol",
        "/where?q=ibuprofen&near=London&radius_km=100",
        "/where?q=paracetamol&near=London&radius_km=100&analogs=true",
        "/services?near=37.5,-122.25&radius_km=50",
        "/services?q=counselling&age=30&language=en",
        "/services",
        "/status",
    ] {
        for lang in ["en", "uk", "ru"] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let p = get_with(&c, &base, &format!("{path}{sep}lang={lang}"), &[]).await;
            assert_eq!(p.status, 200, "{path}");
            assert!(
                p.body.len() <= PAGE_BUDGET,
                "{path} ({lang}) is {} bytes",
                p.body.len()
            );
            assert_no_foreign_assets(path, &p.body);
            sizes.push(format!("{path} {lang}: {} B", p.body.len()));
        }
    }
    // The biggest detail pages: the generics with the most brands.
    for q in ["paracetamol", "ibuprofen"] {
        let r = get_with(&c, &base, &format!("/medications?q={q}"), &[]).await;
        let link = r
            .body
            .split("<h2><a href=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a result")
            .to_string();
        let m = get_with(&c, &base, &link, &[]).await;
        assert_eq!(m.status, 200);
        assert!(
            m.body.len() <= PAGE_BUDGET,
            "{link} is {} bytes",
            m.body.len()
        );
        sizes.push(format!("{link}: {} B", m.body.len()));
    }
    eprintln!("app.js: {} B\n{}", js.body.len(), sizes.join("\n"));
    db.drop_db().await;
}
