//! The home page.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::db::models::manuals;
use crate::error::AppResult;
use crate::web::views::{HomePage, ManualCard};
use crate::web::session::Visitor;
use crate::web::{render, with_db};

/// GET /
pub async fn get_home(state: web::Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    let (summaries, trees) = with_db(&state, |conn| {
        Ok((manuals::list_with_counts(conn)?, crate::web::pages::troubleshoot::tree_cards(conn)?))
    })
    .await?;
    let view = HomePage {
        trees,
        article_count: summaries.iter().map(|s| s.article_count).sum(),
        manuals: summaries.iter().map(ManualCard::from).collect(),
    };
    render(&state, &visitor, "home.html", &view)
}

/// GET /favicon.ico: browsers ask for it; point them at the SVG icon.
pub async fn get_favicon() -> HttpResponse {
    HttpResponse::MovedPermanently().insert_header(("Location", "/static/favicon.svg")).finish()
}
