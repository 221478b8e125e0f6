//! `/status`: how fresh each publisher's stock is, so a reader can judge the
//! "updated 2 h ago" lines, and an operator can see a feed that stopped.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::i18n::Tr;
use super::{Chrome, Ctx};
use crate::http::error::ApiError;
use crate::http::AppState;

pub struct PublisherRow {
    pub name: String,
    pub facilities: String,
    pub lines: String,
    pub last_push: String,
    pub last_status: String,
    pub stale: String,
    pub all_fresh: bool,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage {
    c: Chrome,
    t: Tr,
    built: String,
    facilities: String,
    stock_lines: String,
    publishers: Vec<PublisherRow>,
}

/// `GET /status`
pub async fn page(State(st): State<AppState>, ctx: Ctx) -> Response {
    let r = async {
        let t = ctx.tr();
        let snap = st.snap()?;
        let rows = st
            .publisher_status
            .get(&st.store, st.settings.fresh_secs)
            .await?;
        let now = Utc::now();
        let when = |ts: Option<i64>| {
            ts.and_then(|s| DateTime::from_timestamp(s, 0))
                .map_or_else(|| t.t("never"), |d| t.ago(d, now))
        };
        let publishers = rows
            .iter()
            .map(|r| PublisherRow {
                name: r.publisher.clone(),
                facilities: t.int(r.facilities),
                lines: t.int(r.stock_lines),
                last_push: when(r.last_push_at),
                last_status: r.last_push_status.clone().unwrap_or_default(),
                stale: t.int(r.stale_facilities),
                all_fresh: !r.is_stale(),
            })
            .collect();
        let tpl = StatusPage {
            c: ctx.chrome(t.t("status-title")),
            t,
            built: t.datetime(snap.built_at, None),
            facilities: t.int(snap.facilities.len() as i64),
            stock_lines: t.int(snap.stock.len() as i64),
            publishers,
        };
        Ok::<_, ApiError>(ctx.render(StatusCode::OK, &tpl))
    }
    .await;
    ctx.respond(r)
}
