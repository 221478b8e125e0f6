//! The HTML pages: server-rendered (askama templates in `web/templates`), in English,
//! Ukrainian and Russian, working without JavaScript (every search is a GET form and
//! every result a link). Each page calls the same functions as its JSON endpoint, so
//! the two cannot disagree.
//!
//! Privacy: pages load nothing from other hosts (the Content-Security-Policy says so
//! to the browser too) and send no `Referer`, because a medication query is health
//! information.

mod assets;
mod availability;
mod facilities;
mod home;
pub mod i18n;
mod medications;
mod service_facets;
mod services;
mod slots;
mod status;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::error::ApiError;
use super::AppState;
use i18n::{Lang, Tr};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/search", get(home::search))
        .route("/medications", get(medications::results))
        .route("/medications/{id}", get(medications::detail))
        .route("/where", get(availability::page))
        .route("/facilities/{id}", get(facilities::detail))
        .route("/services", get(services::page))
        .route("/list", get(services::list))
        .route("/status", get(status::page))
        .route("/appointments", get(slots::page))
        .route("/static/{*path}", get(assets::serve))
}

/// The cookie that remembers a chosen language.
const LANG_COOKIE: &str = "medmap_lang";

/// Per-request page context: the language and how it was chosen, and the links that
/// switch it (the current URL with `lang=` replaced).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    /// Set when `?lang=` chose the language: the response remembers it in a cookie.
    remember: bool,
    path: String,
    /// The query string without `lang`, still percent-encoded as the client sent it.
    query_rest: Vec<String>,
    /// Base of the map tile URL for the Content-Security-Policy, if tiles are set.
    tile_origin: Option<String>,
    pub tile_url: Option<String>,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let mut from_param = None;
        let mut query_rest = Vec::new();
        for pair in parts.uri.query().unwrap_or("").split('&') {
            if pair.is_empty() {
                continue;
            }
            match pair.strip_prefix("lang=") {
                Some(v) => from_param = Lang::from_code(v),
                None => query_rest.push(pair.to_string()),
            }
        }
        let header = |name: header::HeaderName| {
            parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join(";")
        };
        let from_cookie = header(header::COOKIE).split(';').find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == LANG_COOKIE).then(|| Lang::from_code(v)).flatten()
        });
        let lang = from_param
            .or(from_cookie)
            .or_else(|| Lang::from_accept_language(&header(header::ACCEPT_LANGUAGE)))
            .unwrap_or(Lang::En);
        let tile_url = st.settings.tile_url.clone();
        Ok(Ctx {
            lang,
            remember: from_param.is_some(),
            path: parts.uri.path().to_string(),
            query_rest,
            tile_origin: tile_url.as_deref().and_then(tile_origin),
            tile_url,
        })
    }
}

/// `https://{s}.tile.example.org/{z}/{x}/{y}.png` → `https://*.tile.example.org`.
fn tile_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    Some(format!("{scheme}://{}", host.replace("{s}", "*")))
}

/// A link to the same page in another language.
#[derive(Debug, Clone)]
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// An option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// What every page's frame (`base.html`) needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub langs: Vec<LangLink>,
    /// The quick-exit button, on pages about a confidential service
    /// ([`crate::privacy`]): someone reading about a shelter can leave at once.
    pub quick_exit: bool,
    /// Where the quick-exit button leads ([`crate::privacy::QUICK_EXIT_URL`]).
    pub quick_exit_url: &'static str,
}

impl Ctx {
    pub fn tr(&self) -> Tr {
        Tr::new(self.lang)
    }

    pub fn chrome(&self, title: impl Into<String>) -> Chrome {
        let langs = Lang::ALL
            .iter()
            .map(|&l| {
                let mut q = self.query_rest.clone();
                q.push(format!("lang={}", l.code()));
                LangLink {
                    code: l.code(),
                    name: l.native_name(),
                    href: format!("{}?{}", self.path, q.join("&")),
                    current: l == self.lang,
                }
            })
            .collect();
        Chrome {
            title: title.into(),
            langs,
            quick_exit: false,
            quick_exit_url: crate::privacy::QUICK_EXIT_URL,
        }
    }

    /// An HTML response with the headers every page carries.
    pub fn html(&self, status: StatusCode, body: String) -> Response {
        let mut resp = (status, body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        let img = match &self.tile_origin {
            Some(o) => format!("'self' data: {o}"),
            None => "'self' data:".to_string(),
        };
        let csp = format!(
            "default-src 'self'; img-src {img}; style-src 'self'; script-src 'self'; \
             connect-src 'self'; font-src 'none'; object-src 'none'; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'self'"
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.insert(
            header::VARY,
            HeaderValue::from_static("accept-language, cookie"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if self.remember {
            let cookie = format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                self.lang.code()
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                h.insert(header::SET_COOKIE, v);
            }
        }
        resp
    }

    /// Renders a template, or the error page if rendering fails.
    pub fn render(&self, status: StatusCode, tpl: &impl Template) -> Response {
        match tpl.render() {
            Ok(body) => self.html(status, body),
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                self.html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>medmap</title><p>Internal error</p>".into(),
                )
            }
        }
    }

    /// The error page for an [`ApiError`]: the same status the API would answer,
    /// and the message in words, with a way back.
    pub fn error(&self, e: ApiError) -> Response {
        let t = self.tr();
        let status = e.status();
        let (heading, message) = match &e {
            ApiError::BadRequest { .. } => (t.t("error-bad-request"), e.to_string()),
            ApiError::NotFound(_) => (t.t("error-not-found"), e.to_string()),
            ApiError::NotReady => (t.t("error-not-ready"), t.t("error-not-ready-text")),
            _ => (t.t("error-internal"), t.t("error-internal-text")),
        };
        let tpl = ErrorPage {
            c: self.chrome(heading.clone()),
            t,
            heading,
            message,
        };
        let mut resp = self.render(status, &tpl);
        if matches!(e, ApiError::NotReady) {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        resp
    }

    /// A page from a handler's result: the page, or the error page.
    pub fn respond(&self, r: Result<Response, ApiError>) -> Response {
        r.unwrap_or_else(|e| self.error(e))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    t: Tr,
    heading: String,
    message: String,
}

/// Percent-encodes a query value for links the pages build.
pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Unknown paths: an HTML 404 page for a browser (a person followed a broken link),
/// the API's JSON 404 under `/api` and for every client that does not ask for HTML.
pub async fn not_found(ctx: Ctx, uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if uri.path().starts_with("/api/") || !wants_html {
        return ApiError::NotFound("page".into()).into_response();
    }
    ctx.error(ApiError::NotFound(format!("page {}", uri.path())))
}

/// Resolves a page's `near=` ([`crate::places::resolve`], the reader's language
/// choosing among towns of one name) and says which place it took, so a reader who
/// meant another Paris sees it at once.
pub fn near_place(
    snap: &crate::snapshot::Snapshot,
    t: &Tr,
    near: &str,
) -> (Option<(f64, f64)>, Option<String>) {
    if near.trim().is_empty() {
        return (None, None);
    }
    let Some(place) = crate::places::resolve(snap, near, crate::places::reader_country(t.code()))
    else {
        return (None, None);
    };
    let mut said = t.arg("near-chosen", "place", place.label());
    if !place.others.is_empty() {
        said.push(' ');
        said.push_str(&t.arg("near-others", "places", place.others_label()));
    }
    (Some((place.lat, place.lon)), Some(said))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_origin_for_csp() {
        assert_eq!(
            tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.example.org")
        );
        assert_eq!(
            tile_origin("http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png").as_deref(),
            Some("http://127.0.0.1:8081")
        );
        assert_eq!(tile_origin("nonsense"), None);
    }
}
