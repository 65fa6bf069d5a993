//! The small JSON API behind the ask form: similar questions and articles
//! while typing, and a markdown preview.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::rate_limit::Limited;
use crate::error::{AppError, AppResult};
use crate::service::questions::BODY_MAX;
use crate::web::extract::{CsrfForm, Member};
use crate::web::pages::ask::{similar, Suggestion};
use crate::web::session::admit;
use crate::web::{json_response, param, query_params};

#[derive(Debug, Serialize)]
struct SuggestResponse {
    query: String,
    results: Vec<Suggestion>,
}

/// GET /api/suggest?q=…: up to 6 similar questions, articles and steps.
pub async fn get_suggest(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let params = query_params(req.query_string());
    let query: String = param(&params, "q")
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    let results = similar(&state, &query, 6).await?;
    Ok(json_response(
        StatusCode::OK,
        &SuggestResponse { query, results },
    ))
}

/// Fields of a preview request.
#[derive(Debug, Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

#[derive(Debug, Serialize)]
struct PreviewResponse {
    html: String,
}

/// POST /api/preview: the body rendered exactly as it will be posted.
/// Texts over the posting limit are refused (400) and every user has a
/// preview budget ([`Limited::Preview`], 429 with `Retry-After`), both
/// before any rendering.
pub async fn post_preview(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    form: CsrfForm<PreviewForm>,
) -> AppResult<HttpResponse> {
    if form.body.chars().count() > BODY_MAX {
        return Err(AppError::BadRequest(format!(
            "The text can have at most {BODY_MAX} characters."
        )));
    }
    admit(&state, Limited::Preview, &user).await?;
    let body = form.into_inner().body;
    let html = crate::web::off_executor(move || {
        crate::markdown::accessible_html(&crate::markdown::render_post(&body).html)
    })
    .await?;
    let mut response = json_response(StatusCode::OK, &PreviewResponse { html });
    response
        .extensions_mut()
        .insert(crate::web::page_cache::ChangesNothing);
    Ok(response)
}

crate::csrf_form!(PreviewForm);
