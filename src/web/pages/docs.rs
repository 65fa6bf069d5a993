//! Manuals and articles.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::db::models::{articles, manuals};
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::kinds::DocKind;
use crate::service::known_issues::Place;
use crate::web::pages::feedback::FeedbackBox;
use crate::web::pages::known_issues;
use crate::web::session::Viewer;
use crate::web::views::{ArticlePage, ManualCard, ManualPage, ManualsPage};
use crate::web::{render, with_db};

/// GET /docs
pub async fn get_manuals(state: web::Data<AppState>, visitor: Viewer) -> AppResult<HttpResponse> {
    let summaries = with_db(&state, |conn| Ok(manuals::list_with_counts(conn)?)).await?;
    let view = ManualsPage {
        manuals: summaries.iter().map(ManualCard::from).collect(),
    };
    render(&state, &visitor, "docs/index.html", &view)
}

fn manual_not_found(slug: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no manual called \u{201c}{slug}\u{201d}. Browse all manuals or search below."
    ))
}

/// GET /docs/{manual}
pub async fn get_manual(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let is_staff = visitor.sees_hidden();
    let view = with_db(&state, move |conn| {
        let manual = manuals::find_by_slug(conn, &slug)?.ok_or_else(|| manual_not_found(&slug))?;
        let list = articles::heads_for_manual(conn, manual.id, is_staff)?;
        Ok(ManualPage::new(&manual, &list))
    })
    .await?;
    render(&state, &visitor, "docs/manual.html", &view)
}

/// GET /docs/{manual}/{article}: drafts only for staff.
pub async fn get_article(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (manual_slug, article_slug) = path.into_inner();
    let is_staff = visitor.sees_hidden();
    let grace = state.config.known_issue_grace_days;
    let mut view = with_db(&state, move |conn| {
        let manual = manuals::find_by_slug(conn, &manual_slug)?.ok_or_else(|| manual_not_found(&manual_slug))?;
        let article = articles::find_in_manual(conn, manual.id, &article_slug)?
            .filter(|a| a.is_published() || is_staff)
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "The manual \u{201c}{}\u{201d} has no article \u{201c}{article_slug}\u{201d}. It may have been renamed; try searching for it.",
                    manual.title
                ))
            })?;
        let siblings = articles::heads_for_manual(conn, manual.id, is_staff)?;
        let mut page = ArticlePage::new(&manual, &article, &siblings);
        if let Some(qid) = article.source_question_id {
            page.source_question = crate::db::models::questions::find(conn, qid)?.filter(|q| q.deleted_at.is_none()).map(|q| q.path());
        }
        page.article_id = article.id;
        let place = Place::Article {
            manual: &manual.slug,
            slug: &article.slug,
        };
        page.issue_banners = known_issues::banners(conn, place, grace, unix_now())?;
        // A banner added or changed later makes the page newer.
        for banner in &page.issue_banners {
            page.updated_unix = page.updated_unix.max(banner.updated_unix);
        }
        Ok(page)
    })
    .await?;
    if is_staff {
        view.edit_url = Some(format!("{}/edit", req.path()));
    }
    view.feedback = Some(FeedbackBox::new(
        DocKind::Article,
        view.article_id.into(),
        "",
        &req,
    ));
    let (visitor, cookie) = visitor.with_form_token(state.config.is_https())?;
    let html = crate::web::render_string(&state, Some(&visitor), "docs/article.html", &view)?;
    let hash = crate::content::content_hash(html.as_bytes());
    let mut response = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html);
    if let Some(cookie) = cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(crate::web::conditional(
        &req,
        response,
        &hash,
        view.updated_unix
            .max(state.announcements.changed_at(crate::db::unix_now())),
        visitor.user.is_none() && visitor.anon_csrf.is_none(),
    ))
}
