//! `/medications?q=` (ranked results with "did you mean", match kind, brand ↔
//! generic and analogs) and `/medications/{id}`: the search and detail endpoints'
//! functions, rendered.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use medmap_indexers::names::{ConceptKind, MatchKind};

use super::i18n::Tr;
use super::{enc, Chrome, Ctx};
use crate::catalog::{Detail, Item, Ref};
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::AppState;

/// Results per page: enough to find a misremembered name, few enough that the page
/// stays light on a phone.
const RESULTS: usize = 12;
/// Related products listed inline per result.
const INLINE: usize = 5;
/// Related products listed on a detail page (the API lists all).
const DETAIL_RELATED: usize = 60;
/// Other names and spellings listed on a detail page.
const DETAIL_NAMES: usize = 40;

pub fn kind_label(t: &Tr, kind: ConceptKind) -> String {
    match kind {
        ConceptKind::Substance => t.t("kind-substance"),
        ConceptKind::Product => t.t("kind-product"),
    }
}

pub fn match_label(t: &Tr, m: MatchKind) -> String {
    t.t(match m {
        MatchKind::Exact => "match-exact",
        MatchKind::Prefix => "match-prefix",
        MatchKind::Fuzzy => "match-fuzzy",
        MatchKind::Translit => "match-translit",
        MatchKind::Layout => "match-layout",
    })
}

/// One result as the page shows it.
pub struct ResultView {
    pub href: String,
    pub where_href: String,
    pub name: String,
    pub kind: String,
    pub match_label: String,
    pub ingredients: Vec<Ref>,
    /// "Brands" for a substance, "Analogs" for a product.
    pub related_label: String,
    pub related: Vec<Ref>,
    pub related_more: bool,
}

fn view(t: &Tr, it: Item) -> ResultView {
    let (related_label, mut related) = match it.kind {
        ConceptKind::Substance => (t.t("brands"), it.brands.unwrap_or_default()),
        ConceptKind::Product => (t.t("analogs"), it.analogs.unwrap_or_default()),
    };
    let related_more = related.len() > INLINE;
    related.truncate(INLINE);
    ResultView {
        href: format!("/medications/{}", enc(&it.id)),
        where_href: format!("/where?medication_id={}", enc(&it.id)),
        name: it.name.to_string(),
        kind: kind_label(t, it.kind),
        match_label: match_label(t, it.match_kind),
        ingredients: it.ingredients,
        related_label,
        related,
        related_more,
    }
}

#[derive(Template)]
#[template(path = "medications.html")]
struct Results {
    c: Chrome,
    t: Tr,
    q: String,
    /// "Did you mean …?": the best hit's name when it was reached by a spelling
    /// correction or the other keyboard layout.
    did_you_mean: Option<(String, String)>,
    results: Vec<ResultView>,
}

/// `GET /medications?q=`
pub async fn results(
    State(st): State<AppState>,
    ctx: Ctx,
    p: Result<Params, ApiError>,
) -> Response {
    let r = (|| -> Result<Response, ApiError> {
        let p = p?;
        let t = ctx.tr();
        let q = p.text("q")?.unwrap_or_default();
        let snap = if q.is_empty() { None } else { Some(st.snap()?) };
        let items = match &snap {
            None => Vec::new(),
            Some(snap) => snap.catalog.search(&q, RESULTS, ctx.lang),
        };
        let did_you_mean = items
            .first()
            .filter(|i| matches!(i.match_kind, MatchKind::Fuzzy | MatchKind::Layout))
            .map(|i| {
                (
                    i.name.to_string(),
                    format!("/medications?q={}", enc(&i.name)),
                )
            });
        let title = if q.is_empty() {
            t.t("medications-title")
        } else {
            t.arg("medications-results-for", "q", q.as_str())
        };
        let tpl = Results {
            c: ctx.chrome(title),
            t,
            q,
            did_you_mean,
            results: items.into_iter().map(|i| view(&t, i)).collect(),
        };
        Ok(ctx.render(StatusCode::OK, &tpl))
    })();
    ctx.respond(r)
}

#[derive(Template)]
#[template(path = "medication.html")]
struct DetailPage {
    c: Chrome,
    t: Tr,
    d: Detail,
    kind: String,
    names: Vec<String>,
    related_label: String,
    related: Vec<Ref>,
    related_total: usize,
}

/// `GET /medications/{id}`
pub async fn detail(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = (|| -> Result<Response, ApiError> {
        let t = ctx.tr();
        let snap = st.snap()?;
        let mut d = snap.catalog.detail(&id, ctx.lang)?;
        let (related_label, mut related) = match d.kind {
            ConceptKind::Substance => (t.t("brands"), std::mem::take(&mut d.brands)),
            ConceptKind::Product => (t.t("analogs"), std::mem::take(&mut d.analogs)),
        };
        let related_total = related.len();
        related.truncate(DETAIL_RELATED);
        let mut names: Vec<String> = d
            .names
            .iter()
            .filter(|n| n.as_str() != &*d.name)
            .take(DETAIL_NAMES)
            .cloned()
            .collect();
        names.dedup();
        let tpl = DetailPage {
            c: ctx.chrome(d.name.to_string()),
            t,
            kind: kind_label(&t, d.kind),
            names,
            related_label,
            related,
            related_total,
            d,
        };
        Ok(ctx.render(StatusCode::OK, &tpl))
    })();
    ctx.respond(r)
}
