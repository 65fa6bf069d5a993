//! User management for admins: list, search, change role, suspend.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::Role;
use crate::db::models::users;
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::service::accounts;
use crate::web::extract::{Admin, CsrfForm};
use crate::web::paths;
use crate::web::templates::format_day;
use crate::web::views::UserRef;
use crate::web::{param, query_params, render, see_other, with_db};

const PER_PAGE: i64 = 50;

#[derive(Debug, Serialize)]
struct UserRow {
    id: UserId,
    user: UserRef,
    username: String,
    role: &'static str,
    joined: String,
    suspended: bool,
    is_self: bool,
    role_url: String,
    suspend_url: String,
    unsuspend_url: String,
}

#[derive(Debug, Serialize)]
struct UsersPage {
    q: String,
    rows: Vec<UserRow>,
    roles: Vec<&'static str>,
    next_url: Option<String>,
    prev_url: Option<String>,
    notice: Option<String>,
}

/// GET /staff/users?q=…&page=…
pub async fn get_staff_users(
    state: web::Data<AppState>,
    Admin {
        viewer: visitor,
        user,
    }: Admin,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let me = user.id;
    let params = query_params(req.query_string());
    let q = param(&params, "q")
        .unwrap_or("")
        .trim()
        .chars()
        .take(100)
        .collect::<String>();
    let page = param(&params, "page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 10_000);
    let search = q.clone();
    let found = with_db(&state, move |conn| {
        Ok(users::search(
            conn,
            &search,
            PER_PAGE + 1,
            (page - 1) * PER_PAGE,
        )?)
    })
    .await?;
    let has_more = found.len() as i64 > PER_PAGE;
    let url = |p: i64| paths::staff_users(&q, p);
    let view = UsersPage {
        rows: found
            .iter()
            .take(PER_PAGE as usize)
            .map(|u| UserRow {
                id: u.id,
                user: UserRef::from(u),
                username: u.username.clone(),
                role: u.role().as_str(),
                joined: format_day(u.created_at),
                suspended: u.is_suspended(),
                is_self: u.id == me,
                role_url: paths::staff_user_role(u.id),
                suspend_url: paths::staff_user_suspend(u.id),
                unsuspend_url: paths::staff_user_unsuspend(u.id),
            })
            .collect(),
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        next_url: has_more.then(|| url(page + 1)),
        prev_url: (page > 1).then(|| url(page - 1)),
        notice: match param(&params, "done") {
            Some("role") => Some("Role changed.".into()),
            Some("suspended") => Some("User suspended; their sessions have ended.".into()),
            Some("unsuspended") => Some("Suspension lifted.".into()),
            _ => None,
        },
        q,
    };
    render(&state, &visitor, "staff/users.html", &view)
}

/// Fields of the role form.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// Fields of one-button forms.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
}

/// Runs one admin action on the user `id` (the extractors checked the CSRF
/// token and the role), then returns to the list with a notice.
async fn admin_action<F>(
    state: &web::Data<AppState>,
    admin: &Admin,
    id: UserId,
    done: &str,
    action: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut crate::db::Conn, &users::User, UserId) -> AppResult<()> + Send + 'static,
{
    let me = admin.user.id;
    with_db(state, move |conn| {
        let user = users::find(conn, id)?
            .ok_or_else(|| AppError::NotFound("There is no such user.".into()))?;
        action(conn, &user, me)
    })
    .await?;
    Ok(see_other(&paths::staff_users_done(done)))
}

/// POST /staff/users/{id}/role
pub async fn post_user_role(
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    form: CsrfForm<RoleForm>,
    admin: Admin,
) -> AppResult<HttpResponse> {
    let typed = form.role.clone();
    admin_action(
        &state,
        &admin,
        path.into_inner(),
        "role",
        move |conn, user, _| {
            let role = Role::parse(&typed).ok_or_else(|| {
                AppError::BadRequest(format!(
                    "{typed:?} is not a role; use member, staff or admin."
                ))
            })?;
            accounts::set_role(conn, user, role, unix_now())
        },
    )
    .await
}

/// POST /staff/users/{id}/suspend
pub async fn post_user_suspend(
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    _form: CsrfForm<ActionForm>,
    admin: Admin,
) -> AppResult<HttpResponse> {
    admin_action(
        &state,
        &admin,
        path.into_inner(),
        "suspended",
        |conn, user, me| {
            if user.id == me {
                return Err(AppError::Conflict("You cannot suspend yourself.".into()));
            }
            accounts::suspend(conn, user.id, unix_now())
        },
    )
    .await
}

/// POST /staff/users/{id}/unsuspend
pub async fn post_user_unsuspend(
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    _form: CsrfForm<ActionForm>,
    admin: Admin,
) -> AppResult<HttpResponse> {
    admin_action(
        &state,
        &admin,
        path.into_inner(),
        "unsuspended",
        |conn, user, _| accounts::unsuspend(conn, user.id, unix_now()),
    )
    .await
}

crate::csrf_form!(ActionForm, RoleForm);
