//! Public user profiles.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::auth::username;
use crate::db::models::users;
use crate::error::{AppError, AppResult};
use crate::web::session::Visitor;
use crate::web::templates::format_day;
use crate::web::views::UserRef;
use crate::web::{render, with_db};

#[derive(Debug, Serialize)]
struct ProfilePage {
    user: UserRef,
    username: String,
    joined: String,
    role: &'static str,
    suspended: bool,
}

/// GET /users/{name}
pub async fn get_user(state: web::Data<AppState>, visitor: Visitor, path: web::Path<String>) -> AppResult<HttpResponse> {
    let key = username::key_of(&path.into_inner());
    let user = with_db(&state, move |conn| {
        users::find_by_key(conn, &key)?.ok_or_else(|| AppError::NotFound("There is no user with that name.".into()))
    })
    .await?;
    let page = ProfilePage {
        user: UserRef::from(&user),
        username: user.username.clone(),
        joined: format_day(user.created_at),
        role: user.role().as_str(),
        suspended: user.is_suspended(),
    };
    render(&state, &visitor, "users/profile.html", &page)
}
