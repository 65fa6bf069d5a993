//! Following and unfollowing questions and tags: small POST forms (CSRF
//! checked, no JavaScript needed) on the question page, the tag page and the
//! account page's list. A guest is sent to sign in and brought back to the
//! page; only the signed-in user's own follows change.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::service::follows;
use crate::web::extract::CsrfForm;
use crate::web::pages::question::parse_id;
use crate::web::paths;
use crate::web::session::Viewer;
use crate::web::{see_other, with_db};

/// Fields of a follow or unfollow button.
#[derive(Debug, Deserialize)]
pub struct FollowForm {
    #[serde(default)]
    csrf: String,
    /// Where to go afterwards (a page of this site; else the followed page).
    #[serde(default)]
    next: String,
}

crate::csrf_form!(FollowForm);

/// The signed-in user, or the way to sign in and come back to `page`.
fn follower(visitor: &Viewer, page: String) -> AppResult<UserId> {
    visitor
        .user
        .as_ref()
        .map(|u| u.id)
        .ok_or(AppError::SignInRequired { next: page })
}

/// Where to go after a change: the form's `next` when it is a page of this
/// site, else `page`.
fn back(form: &FollowForm, page: &str) -> HttpResponse {
    see_other(paths::local_target(&form.next).unwrap_or(page))
}

async fn set_question(
    state: web::Data<AppState>,
    visitor: Viewer,
    id: String,
    form: CsrfForm<FollowForm>,
    following: bool,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let user = follower(&visitor, paths::question_short(id))?;
    let question = with_db(&state, move |conn| {
        follows::set_question(conn, user, id, following, unix_now())
    })
    .await?;
    Ok(back(&form, &question.path()))
}

async fn set_tag(
    state: web::Data<AppState>,
    visitor: Viewer,
    name: String,
    form: CsrfForm<FollowForm>,
    following: bool,
) -> AppResult<HttpResponse> {
    let user = follower(&visitor, paths::tag(&name))?;
    let tag = with_db(&state, move |conn| {
        follows::set_tag(conn, user, &name, following, unix_now())
    })
    .await?;
    Ok(back(&form, &paths::tag(&tag.name)))
}

/// POST /questions/{id}/follow
pub async fn post_follow_question(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
    form: CsrfForm<FollowForm>,
) -> AppResult<HttpResponse> {
    set_question(state, visitor, path.into_inner(), form, true).await
}

/// POST /questions/{id}/unfollow
pub async fn post_unfollow_question(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
    form: CsrfForm<FollowForm>,
) -> AppResult<HttpResponse> {
    set_question(state, visitor, path.into_inner(), form, false).await
}

/// POST /tags/{tag}/follow
pub async fn post_follow_tag(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
    form: CsrfForm<FollowForm>,
) -> AppResult<HttpResponse> {
    set_tag(state, visitor, path.into_inner(), form, true).await
}

/// POST /tags/{tag}/unfollow
pub async fn post_unfollow_tag(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
    form: CsrfForm<FollowForm>,
) -> AppResult<HttpResponse> {
    set_tag(state, visitor, path.into_inner(), form, false).await
}
