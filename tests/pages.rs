//! The HTML pages over plain HTTP, as a browser without JavaScript (or a screen
//! reader's browse mode, or a slow phone) sees them: every search a GET form, every
//! result a link, errors as pages with the right status, the language negotiated and
//! remembered, nothing loaded from another host, and every page within its weight.
//! Every test only reads, so all share one app per backend.

#[macro_use]
mod common;

use common::{spawn_app_with, AppSettings, SharedApps, TestApp};
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, SET_COOKIE};

static APP: SharedApps =
    SharedApps::new(|backend| Box::pin(spawn_app_with(AppSettings::new(backend))));

/// The budget for one HTML page, uncompressed.
const PAGE_BUDGET: usize = 60 * 1024;
/// The budget for our own JavaScript, uncompressed.
const JS_BUDGET: usize = 30 * 1024;

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

/// A page as a browser gets it (no redirects followed), with extra headers.
async fn page_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Page {
    let r = app.get_with(path, headers).await;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.text().await.expect("body");
    Page {
        status,
        headers,
        body,
    }
}

async fn page(app: &TestApp, path: &str) -> Page {
    page_with(app, path, &[]).await
}

fn content_type(p: &Page) -> &str {
    p.headers[CONTENT_TYPE].to_str().unwrap_or("")
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

/// The first `href` after `marker` on the page.
fn link_after<'a>(body: &'a str, marker: &str) -> &'a str {
    body.split(marker)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("a link after {marker:?}"))
}

/// The facility id of the first pharmacy of the where-to-buy page for ibuprofn.
async fn a_pharmacy_selling_ibuprofen(app: &TestApp) -> String {
    let w = page(app, "/where?q=ibuprofn&near=London&radius_km=50").await;
    assert_eq!(w.status, 200);
    link_after(&w.body, "href=\"/facilities/").to_string()
}

shared_app_test! { APP;
    /// The start page: one GET form, labelled; a strict content security policy.
    async fn the_start_page_is_one_labelled_get_form(app) {
        let home = page(app, "/").await;
        assert_eq!(home.status, 200);
        assert!(content_type(&home).starts_with("text/html"));
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
    }
}

shared_app_test! { APP;
    /// The box's answer is a redirect to the page that answers it.
    async fn the_search_box_redirects_to_the_page_that_answers(app) {
        let r = page(app, "/search?q=ibuprofen&what=medication").await;
        assert_eq!(r.status, 303);
        assert_eq!(r.headers["location"], "/medications?q=ibuprofen");
        let r = page(app, "/search?q=food&what=service").await;
        assert_eq!(r.headers["location"], "/services?q=food");
    }
}

shared_app_test! { APP;
    /// A misspelling: "did you mean", match kinds, brands of the generic, as links to
    /// a detail page with a where-to-buy form.
    async fn a_misspelt_medication_offers_did_you_mean_and_links_to_its_detail(app) {
        let m = page(app, "/medications?q=ibuprofn").await;
        assert_eq!(m.status, 200);
        assert!(m.body.contains("Did you mean"), "{}", m.body);
        assert!(m.body.contains("spelling corrected"));
        assert!(m.body.contains("Brands:"));
        let detail = link_after(&m.body, "<h2><a href=\"");
        assert!(detail.starts_with("/medications/s"), "{detail}");
        let d = page(app, detail).await;
        assert_eq!(d.status, 200);
        assert!(d.body.contains("action=\"/where\""), "a where-to-buy form");
    }
}

shared_app_test! { APP;
    /// Where to buy, without JS: pharmacies with prices, freshness and hours.
    async fn where_to_buy_lists_pharmacies_with_prices_without_javascript(app) {
        let w = page(app, "/where?q=ibuprofn&near=London&radius_km=50").await;
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
        let by_price = page(app, "/where?q=ibuprofen&near=London&radius_km=50&sort=price").await;
        assert_eq!(by_price.status, 200);
        let fac = link_after(&w.body, "href=\"/facilities/");
        let f = page(app, &format!("/facilities/{fac}")).await;
        assert_eq!(f.status, 200);
        assert!(f.body.contains("Opening hours"));
        assert!(f.body.contains("In stock here"));
    }
}

/// The services near San Mateo County, where the Ohana sample lies (37.5,-122.25).
const NEAR_SAN_MATEO: &str = "/services?near=37.5,-122.25&radius_km=50";

shared_app_test! { APP;
    /// Services: the HSDS search, with checkboxes for a list, links to places, and
    /// languages; the language filter narrows it.
    async fn the_services_search_filters_by_language(app) {
        let s = page(app, NEAR_SAN_MATEO).await;
        assert_eq!(s.status, 200, "{}", s.body);
        assert!(s.body.contains("name=\"f\""), "checkboxes for the list");
        assert!(
            s.body.contains("href=\"/facilities/"),
            "hits link to their place"
        );
        assert!(s.body.contains("Languages: "), "languages shown");
        let all = s.body.matches("<h3>").count();
        // Language: Korean is spoken at one place of the sample, Spanish at many.
        let korean = page(app, &format!("{NEAR_SAN_MATEO}&language=Korean")).await;
        assert_eq!(korean.status, 200);
        let n_korean = korean.body.matches("<h3>").count();
        assert!(
            n_korean >= 1 && n_korean < all,
            "the language filter filters: {n_korean} of {all}"
        );
        assert!(korean.body.contains("Sunnyvale Corps"), "{}", korean.body);
        assert!(!korean.body.contains("Project Read"));
    }
}

shared_app_test! { APP;
    /// Age: the HSDS example "Community Counselling" is for ages 12 to 100.
    async fn the_services_search_filters_by_age(app) {
        let counselling = page(app, "/services?q=counselling").await;
        assert_eq!(counselling.status, 200);
        assert!(counselling.body.contains("Community Counselling"));
        assert!(
            counselling.body.contains("Ages 12–100"),
            "{}",
            counselling.body
        );
        let child = page(app, "/services?q=counselling&age=10").await;
        assert_eq!(child.status, 200);
        // Filtered out of the results; at most offered beyond the filters.
        let listed = child
            .body
            .split("class=\"results beyond\"")
            .next()
            .unwrap_or_default();
        assert!(
            !listed.contains("Community Counselling"),
            "the age filter filters"
        );
        assert!(page(app, "/services?q=counselling&age=30")
            .await
            .body
            .contains("Community Counselling"));
    }
}

shared_app_test! { APP;
    /// A need in another language finds the English service and says why; facets
    /// narrow a search down; filters that leave nothing offer the nearest matches
    /// beyond them.
    async fn the_services_search_explains_narrows_and_recovers(app) {
        let s = page(app, "/services?q=%D0%B1%D0%B5%D1%81%D0%BF%D0%BB%D0%B0%D1%82%D0%BD%D1%8B%D0%B9%20%D1%81%D1%82%D0%BE%D0%BC%D0%B0%D1%82%D0%BE%D0%BB%D0%BE%D0%B3").await;
        assert_eq!(s.status, 200, "{}", s.body);
        let first = s.body.find("<h3>").expect("a hit");
        assert!(s.body[first..].starts_with("<h3><a href=\"/facilities/"), "{}", &s.body[first..]);
        assert!(s.body.contains("Project Smile"), "{}", s.body);
        assert!(s.body.contains("class=\"small why\">Matches: "), "{}", s.body);
        let lib = page(app, "/services?q=library").await;
        assert!(lib.body.contains("class=\"facets\""), "{}", lib.body);
        assert!(lib.body.contains("open_now=true") || lib.body.contains("category="), "{}", lib.body);
        let far = page(app, "/services?q=dementia%20day%20care&near=10,-30&radius_km=1").await;
        assert_eq!(far.status, 200);
        assert!(far.body.contains("Nothing matches all your filters"), "{}", far.body);
        assert!(far.body.contains("the distance limit"), "{}", far.body);
        assert!(far.body.contains("Rosener House"), "{}", far.body);
        let uk = page(app, "/services?q=dementia%20day%20care&near=10,-30&radius_km=1&lang=uk").await;
        assert!(uk.body.contains("відстань"), "{}", uk.body);
    }
}

shared_app_test! { APP;
    /// The hand-off list from ids in the URL lists each place once.
    async fn a_hand_off_list_lists_each_place_once(app) {
        let s = page(app, NEAR_SAN_MATEO).await;
        assert_eq!(s.status, 200);
        let picked = link_after(&s.body, "name=\"f\" value=\"");
        let fac = a_pharmacy_selling_ibuprofen(app).await;
        let l = page(app, &format!("/list?f={picked}&f={fac}&f={fac}")).await;
        assert_eq!(l.status, 200);
        assert_eq!(
            l.body.matches("<li>\n<h2>").count(),
            2,
            "duplicates listed once"
        );
        assert!(l.body.contains(&format!("/list?f={picked}")), "{}", l.body);
    }
}

shared_app_test! { APP;
    async fn the_status_page_shows_data_freshness(app) {
        let st = page(app, "/status").await;
        assert_eq!(st.status, 200);
        assert!(st.body.contains("Data freshness"));
    }
}

shared_app_test! { APP;
    /// Bad input: an error page with the status and the reason, never a 500.
    async fn bad_input_is_an_error_page_with_its_status_and_reason(app) {
        for (path, status, says) in [
            ("/medications?q=%zz", 400, "percent-encoding"),
            ("/medications/x1", 400, "not a medication id"),
            ("/medications/s999999999", 404, "not found"),
            (
                "/where?q=ibuprofen&near=London&radius_km=-1",
                400,
                "radius_km",
            ),
            ("/where?q=ibuprofen&near=Qwertyuiopville", 404, "Qwertyuiopville"),
            ("/where?q=ibuprofen&near=London&sort=cheap", 400, "sort"),
            ("/facilities/abc", 400, "not a facility id"),
            ("/facilities/999999999", 404, "not found"),
            ("/services?category=spa", 400, "category"),
            ("/services?age=200", 400, "age"),
            ("/services?age=old", 400, "age"),
            ("/services?day=someday", 400, "day"),
            ("/services?day=mon&time=25:99", 400, "time"),
            ("/services?need=spa", 400, "need"),
            ("/list?f=abc", 400, "not a place id"),
            ("/search?what=both", 400, "what"),
        ] {
            let p = page(app, path).await;
            assert_eq!(p.status, status, "{path}: {}", p.body);
            assert!(p.body.contains("<html lang="), "{path} answers a page");
            assert!(p.body.contains(says), "{path} says {says:?}: {}", p.body);
        }
    }
}

shared_app_test! { APP;
    /// A browser following a broken link gets a page; other clients get JSON, and the
    /// API keeps answering JSON.
    async fn a_broken_link_is_a_page_for_browsers_and_json_for_others(app) {
        let p = page_with(app, "/no-such-page", &[("accept", "text/html,*/*;q=0.8")]).await;
        assert_eq!(p.status, 404);
        assert!(
            p.body.contains("<html lang=") && p.body.contains("Not found"),
            "{}",
            p.body
        );
        let p = page(app, "/no-such-page").await;
        assert_eq!(p.status, 404);
        assert!(content_type(&p).contains("json"));
        let api = page(app, "/api/v1/nope").await;
        assert_eq!(api.status, 404);
        assert!(content_type(&api).contains("json"));
    }
}

shared_app_test! { APP;
    async fn the_language_is_negotiated_switched_and_remembered(app) {
        // Accept-Language picks the best one we have.
        let p = page_with(
            app,
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
        let p = page(app, "/medications?q=ibuprofen&lang=ru").await;
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
        let p = page_with(
            app,
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
    }
}

shared_app_test! { APP;
    async fn every_page_within_its_weight_and_local_only(app) {
        let js = page(app, "/static/app.js").await;
        assert_eq!(js.status, 200);
        assert!(
            js.body.len() <= JS_BUDGET,
            "app.js is {} bytes",
            js.body.len()
        );
        let leaflet = page(app, "/static/vendor/leaflet/leaflet.js").await;
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
                let p = page(app, &format!("{path}{sep}lang={lang}")).await;
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
            let r = page(app, &format!("/medications?q={q}")).await;
            let link = link_after(&r.body, "<h2><a href=\"").to_string();
            let m = page(app, &link).await;
            assert_eq!(m.status, 200);
            assert!(
                m.body.len() <= PAGE_BUDGET,
                "{link} is {} bytes",
                m.body.len()
            );
            sizes.push(format!("{link}: {} B", m.body.len()));
        }
        eprintln!("app.js: {} B\n{}", js.body.len(), sizes.join("\n"));
    }
}

shared_app_test! { APP;
    /// The pages say which place `near` was taken for, in the reader's language.
    async fn the_where_page_says_which_town_it_searched_near(app) {
        let p = page(app, "/where?q=ibuprofen&near=%D0%9B%D1%8C%D0%B2%D1%96%D0%B2&lang=uk").await;
        assert_eq!(p.status, 200, "{}", p.body);
        assert!(p.body.contains("Поблизу: Lviv (UA)"), "{}", p.body);
        let p = page(app, "/services?q=food&near=Paris").await;
        assert!(p.body.contains("Near Paris (FR)"), "{}", p.body);
        assert!(p.body.contains("Other places of that name"), "{}", p.body);
    }
}
