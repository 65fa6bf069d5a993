//! The home page.

use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::db::models::{manuals, questions, users};
use crate::error::AppResult;
use crate::web::session::Viewer;
use crate::web::views::{HomePage, ManualCard, QuestionRow};
use crate::web::{render, with_db};

/// GET /
pub async fn get_home(state: web::Data<AppState>, visitor: Viewer) -> AppResult<HttpResponse> {
    let (summaries, trees, solved, users) = with_db(&state, |conn| {
        let solved = questions::recent_solved(conn, 5)?;
        let users = users::find_many(
            conn,
            &solved.iter().map(|q| q.author_id).collect::<Vec<_>>(),
        )?;
        Ok((
            manuals::list_with_counts(conn)?,
            crate::web::pages::troubleshoot::tree_cards(conn)?,
            solved,
            users,
        ))
    })
    .await?;
    let now = crate::db::unix_now();
    let view = HomePage {
        solved: solved
            .iter()
            .map(|q| QuestionRow::new(q, &users, now))
            .collect(),
        trees,
        article_count: summaries.iter().map(|s| s.article_count).sum(),
        manuals: summaries.iter().map(ManualCard::from).collect(),
    };
    render(&state, &visitor, "home.html", &view)
}

/// GET /favicon.ico: browsers ask for it; point them at the SVG icon.
pub async fn get_favicon() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header(("Location", "/static/favicon.svg"))
        .finish()
}
