//! `/`: one search box (a medication or a service) and `/search`, which sends the
//! box's question to the page that answers it.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::i18n::Tr;
use super::{enc, Chrome, Ctx};
use crate::http::error::ApiError;
use crate::http::params::Params;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    c: Chrome,
    t: Tr,
}

/// `GET /`
pub async fn home(ctx: Ctx) -> Response {
    let t = ctx.tr();
    let tpl = Home {
        c: ctx.chrome(t.t("home-title")),
        t,
    };
    ctx.render(StatusCode::OK, &tpl)
}

/// `GET /search?q=&what=medication|service&medication_id=`: a redirect, so the
/// home page's one box works as a plain form. A picked suggestion (`medication_id`)
/// goes straight to the medication.
pub async fn search(ctx: Ctx, p: Result<Params, ApiError>) -> Response {
    let r = (|| -> Result<Response, ApiError> {
        let p = p?;
        if let Some(id) = p.text("medication_id")? {
            return Ok(Redirect::to(&format!("/medications/{}", enc(&id))).into_response());
        }
        let q = p.text("q")?.unwrap_or_default();
        let to = match p.raw("what").map(str::trim) {
            Some("service") => "/services",
            None | Some("") | Some("medication") => "/medications",
            Some(o) => {
                return Err(ApiError::bad(
                    "what",
                    format!("what must be medication or service, got {o:?}"),
                ))
            }
        };
        Ok(Redirect::to(&format!("{to}?q={}", enc(&q))).into_response())
    })();
    ctx.respond(r)
}
