//! Headers every answer carries (pages, API, static files, errors, 404s, shed and
//! limited requests alike), and the CORS policy of the public read API.
//!
//! Pages set their own Content-Security-Policy (it names the tile host when map
//! tiles are configured); everything else gets the strictest one, since JSON and
//! static files never need to run or embed anything. No page has inline script,
//! style or event handler, so `script-src 'self'` costs nothing.

use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::Method;
use tower::layer::util::{Identity, Stack};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of answers that are not pages.
pub const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

type SetHeader = SetResponseHeaderLayer<HeaderValue>;
/// The four header layers, stacked.
type HeaderLayers =
    Stack<SetHeader, Stack<SetHeader, Stack<SetHeader, Stack<SetHeader, Identity>>>>;

/// The layers that add the security headers when a handler has not set them.
pub fn layers() -> ServiceBuilder<HeaderLayers> {
    ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // For browsers older than CSP's frame-ancestors.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // A medication query in a URL is health information: never sent onwards.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// CORS for the public read API: any origin may read it (it is open data, with no
/// cookies or keys involved), with GET and HEAD only. Feed pushes, pull feed
/// administration, shortlist creation and the pages get no CORS headers, so a
/// browser on another site cannot call them with a preflight.
pub fn public_read_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([header::ACCEPT, header::ACCEPT_LANGUAGE])
        .expose_headers([header::RETRY_AFTER, HeaderName::from_static("x-request-id")])
        .max_age(std::time::Duration::from_secs(24 * 3600))
}
