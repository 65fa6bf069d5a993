//! Registration, sign-in, sign-out, account settings and the first-run
//! setup page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::rate_limit::{Limited, LoginAttempt};
use crate::auth::{password, username, Role};
use crate::db::models::mail::Delivery;
use crate::db::models::users;
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::service::accounts;
use crate::service::drafts;
use crate::service::follows;
use crate::service::mail as mail_service;
use crate::web::extract::{CsrfForm, Member};
use crate::web::paths;
use crate::web::session::{
    admit, admit_address, session_cookie, session_removal_cookie, CurrentUser, Viewer,
};
use crate::web::{
    param, query_params, render, render_form_page, render_status, see_other, with_analytics,
    with_db,
};

/// The sign-in and registration forms (also setup).
#[derive(Debug, Default, Serialize)]
struct AuthPage {
    username: String,
    display_name: String,
    next: String,
    errors: Vec<String>,
    /// For the setup page: where the form posts.
    action: String,
    /// The sign-in page, keeping `next`.
    login_url: String,
    /// The registration page, keeping `next`.
    register_url: String,
    /// The guest has a question or answer waiting for them after signing in.
    kept_draft: bool,
    /// The optional e-mail address typed at registration.
    email: String,
    /// Whether e-mail is on (the registration form asks for an address).
    mail_enabled: bool,
}

impl AuthPage {
    /// A page that returns to `next` after signing in or registering.
    fn returning_to(next: String) -> AuthPage {
        AuthPage {
            login_url: paths::login_url(&next),
            register_url: paths::register_url(&next),
            next,
            ..Default::default()
        }
    }
}

/// Fields of the sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Fields of the registration and setup forms.
#[derive(Debug, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
    #[serde(default)]
    next: String,
    /// Optional at registration (ignored when e-mail is off, and on setup).
    #[serde(default)]
    email: String,
}

/// Only the CSRF token (sign-out and other one-button forms).
#[derive(Debug, Deserialize)]
pub struct TokenOnlyForm {
    #[serde(default)]
    csrf: String,
}

fn is_https(state: &AppState) -> bool {
    state.config.is_https()
}

/// Renders an anonymous form page, setting the pre-session CSRF cookie
/// when new, and saying whether a draft waits for the guest (or, with
/// `kept=1` from the page that kept it, for the user of an expired session).
async fn anon_form(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    status: StatusCode,
    template: &str,
    page: &mut AuthPage,
) -> AppResult<HttpResponse> {
    page.mail_enabled = state.mail_enabled;
    if let Some(owner) = visitor
        .draft_reader()
        .filter(|_| visitor.user.is_none() && !page.kept_draft)
    {
        page.kept_draft = with_db(state, move |conn| drafts::any(conn, &owner)).await?;
    }
    render_form_page(state, visitor, status, template, page)
}

/// Validates registration fields: the username and the password errors.
fn validate_registration(form: &RegisterForm) -> Result<(username::Username, String), Vec<String>> {
    let mut errors = Vec::new();
    let name = username::validate(&form.username)
        .map_err(|e| errors.push(e))
        .ok();
    let display = username::display_name(&form.display_name)
        .map_err(|e| errors.push(e))
        .ok();
    if let Err(e) = password::check_policy(&form.password, &form.username) {
        errors.push(e);
    } else if form.password != form.password_confirm {
        errors.push("The two passwords do not match.".into());
    }
    match (name, display) {
        (Some(n), Some(d)) if errors.is_empty() => Ok((n, d)),
        _ => Err(errors),
    }
}

/// The address typed at registration, checked: `None` when none was typed
/// or e-mail is off; the error when it is not an address. Whether another
/// account has it is not said here (see [`mail_service::set_address`]).
fn registration_address(state: &AppState, typed: &str) -> Result<Option<String>, String> {
    if !state.mail_enabled || typed.trim().is_empty() {
        return Ok(None);
    }
    crate::mail::valid_address(typed).map(Some)
}

/// Starts a session for `user_id`, hands the guest's drafts to the user, and
/// redirects to `next` (a path already checked with [`paths::local_target`])
/// with the cookie set.
async fn sign_in_and_redirect(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    user_id: UserId,
    next: &str,
) -> AppResult<HttpResponse> {
    let guest = visitor.draft_reader().filter(|_| visitor.user.is_none());
    let (token, _) = with_db(state, move |conn| {
        if let Some(guest) = guest {
            drafts::hand_to_user(conn, &guest, user_id)?;
        }
        accounts::start_session(conn, user_id, unix_now())
    })
    .await?;
    let mut response = see_other(next);
    response
        .add_cookie(&session_cookie(&token, is_https(state)))
        .map_err(AppError::internal)?;
    Ok(response)
}

/// Where to go after signing in: `/` when none is given, 400 when the
/// target is not a path of this site (before any session exists).
fn next_target(next: &str) -> AppResult<String> {
    if next.is_empty() {
        return Ok("/".into());
    }
    paths::local_target(next)
        .map(str::to_string)
        .map_err(|e| AppError::BadRequest(format!("{e} Sign in from the sign-in page instead.")))
}

/// Runs argon2 on the blocking pool.
async fn hash_password(password: String) -> AppResult<String> {
    web::block(move || password::hash(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)
}

/// GET /register?next=…
pub async fn get_register(
    state: web::Data<AppState>,
    visitor: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let params = query_params(req.query_string());
    let next = next_target(param(&params, "next").unwrap_or(""))?;
    if visitor.user.is_some() {
        return Ok(see_other(if next == "/" { "/account" } else { &next }));
    }
    anon_form(
        &state,
        &visitor,
        StatusCode::OK,
        "account/register.html",
        &mut AuthPage::returning_to(next),
    )
    .await
}

/// POST /register
pub async fn post_register(
    state: web::Data<AppState>,
    visitor: Viewer,
    form: CsrfForm<RegisterForm>,
) -> AppResult<HttpResponse> {
    let next = next_target(&form.next)?;
    admit_address(&state, Limited::Register, &visitor.ip).await?;
    let mut page = AuthPage {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        email: form.email.clone(),
        ..AuthPage::returning_to(next)
    };
    let address = registration_address(&state, &form.email);
    let (name, display) = match (validate_registration(&form), address.clone()) {
        (Ok(valid), Ok(_)) => valid,
        (valid, address) => {
            page.errors = valid.err().unwrap_or_default();
            page.errors.extend(address.err());
            return anon_form(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                "account/register.html",
                &mut page,
            )
            .await;
        }
    };
    let hash = hash_password(form.password.clone()).await?;
    let created = with_db(&state, move |conn| {
        accounts::create_user(conn, &name, &display, Some(&hash), Role::Member, unix_now())
    })
    .await?;
    match created {
        Some(user) => {
            if let Ok(Some(address)) = address {
                let site = state.mail_site.clone();
                with_db(&state, move |conn| {
                    mail_service::set_address(conn, &site, user.id, &address, unix_now())
                })
                .await?;
            }
            sign_in_and_redirect(&state, &visitor, user.id, &page.next).await
        }
        None => {
            page.errors.push(format!(
                "The username {} is already taken (names are compared without case).",
                form.username.trim()
            ));
            anon_form(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                "account/register.html",
                &mut page,
            )
            .await
        }
    }
}

/// GET /login?next=…
pub async fn get_login(
    state: web::Data<AppState>,
    visitor: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let params = query_params(req.query_string());
    let next = next_target(param(&params, "next").unwrap_or(""))?;
    if visitor.user.is_some() {
        return Ok(see_other(&next));
    }
    let mut page = AuthPage::returning_to(next);
    page.kept_draft = param(&params, "kept") == Some("1");
    anon_form(
        &state,
        &visitor,
        StatusCode::OK,
        "account/login.html",
        &mut page,
    )
    .await
}

/// POST /login
pub async fn post_login(
    state: web::Data<AppState>,
    visitor: Viewer,
    form: CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    let next = next_target(&form.next)?;
    let key = username::key_of(&form.username);
    let attempt = LoginAttempt::new(&key, &visitor.ip);
    let (limits, checked, address) = (state.clone(), attempt.clone(), visitor.ip.clone());
    with_analytics(&state, move |conn| {
        limits
            .limiter
            .login_allowed(conn, &checked, &address)?
            .map_err(AppError::TooManyRequests)
    })
    .await?;
    let mut page = AuthPage {
        username: form.username.clone(),
        ..AuthPage::returning_to(next)
    };
    if form.password.len() > password::MAX_BYTES {
        page.errors
            .push("Unknown username or wrong password.".into());
        return anon_form(
            &state,
            &visitor,
            StatusCode::UNAUTHORIZED,
            "account/login.html",
            &mut page,
        )
        .await;
    }
    let lookup_key = key.clone();
    let user = with_db(&state, move |conn| {
        Ok(users::find_by_key(conn, &lookup_key)?)
    })
    .await?;
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    let typed = form.password.clone();
    let ok = web::block(move || password::verify(&typed, stored.as_deref()))
        .await
        .map_err(AppError::internal)?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => {
            let (limits, failed) = (state.clone(), attempt.clone());
            let delay = with_analytics(&state, move |conn| {
                limits.limiter.login_failed(conn, &failed)
            })
            .await?;
            if !delay.is_zero() {
                actix_web::rt::time::sleep(delay).await;
            }
            page.errors
                .push("Unknown username or wrong password.".into());
            return anon_form(
                &state,
                &visitor,
                StatusCode::UNAUTHORIZED,
                "account/login.html",
                &mut page,
            )
            .await;
        }
    };
    if user.is_suspended() {
        page.errors.push(
            "This account is suspended. Contact the site's staff if you think this is a mistake."
                .into(),
        );
        return anon_form(
            &state,
            &visitor,
            StatusCode::FORBIDDEN,
            "account/login.html",
            &mut page,
        )
        .await;
    }
    let limits = state.clone();
    with_analytics(&state, move |conn| {
        limits.limiter.login_succeeded(conn, &attempt)
    })
    .await?;
    sign_in_and_redirect(&state, &visitor, user.id, &page.next).await
}

/// POST /logout
pub async fn post_logout(
    state: web::Data<AppState>,
    visitor: Viewer,
    _form: CsrfForm<TokenOnlyForm>,
) -> AppResult<HttpResponse> {
    let Some(user) = visitor.user.clone() else {
        return Ok(see_other("/"));
    };
    with_db(&state, move |conn| {
        crate::db::models::sessions::delete(conn, user.session_id)?;
        Ok(())
    })
    .await?;
    let mut response = see_other("/");
    response
        .add_cookie(&session_removal_cookie())
        .map_err(AppError::internal)?;
    Ok(response)
}

/// The account settings page.
#[derive(Debug, Default, Serialize)]
pub(super) struct AccountPage {
    username: String,
    profile_url: String,
    display_name: String,
    role: &'static str,
    saved: Option<&'static str>,
    profile_errors: Vec<String>,
    password_errors: Vec<String>,
    followed_questions: Vec<FollowedLink>,
    followed_tags: Vec<FollowedLink>,
    /// Whether e-mail is on; when off the page says so.
    mail_enabled: bool,
    /// The address (as typed, on a form shown again).
    pub(super) email: String,
    /// Whether the stored address is confirmed.
    email_verified: bool,
    /// The delivery choices, the current one selected.
    deliveries: Vec<DeliveryOption>,
    pub(super) email_errors: Vec<String>,
}

/// Something the user follows, with its Unfollow button (which comes back
/// to the account page).
#[derive(Debug, Serialize)]
struct FollowedLink {
    title: String,
    url: String,
    unfollow_url: String,
}

/// Questions listed as followed on the account page, newest first.
const FOLLOWED_LISTED: i64 = 200;

/// One delivery choice on the account page.
#[derive(Debug, Serialize)]
struct DeliveryOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// The account page of `user`, as stored.
pub(super) async fn account_page(
    state: &web::Data<AppState>,
    user: &CurrentUser,
) -> AppResult<AccountPage> {
    let id = user.id;
    let (row, address, (questions, tags)) = with_db(state, move |conn| {
        let row =
            users::find(conn, id)?.ok_or_else(|| AppError::NotFound("No such user.".into()))?;
        Ok((
            row,
            mail_service::address_of(conn, id)?,
            follows::followed_by(conn, id, FOLLOWED_LISTED)?,
        ))
    })
    .await?;
    let chosen = address.as_ref().map(|a| a.delivery());
    Ok(AccountPage {
        username: row.username.clone(),
        profile_url: paths::user(&row.username),
        display_name: row.display_name.clone(),
        role: row.role().as_str(),
        followed_questions: questions
            .into_iter()
            .map(|q| FollowedLink {
                url: paths::question(q.id, &q.slug),
                unfollow_url: paths::question_unfollow(q.id),
                title: q.title,
            })
            .collect(),
        followed_tags: tags
            .into_iter()
            .map(|name| FollowedLink {
                url: paths::tag(&name),
                unfollow_url: paths::tag_unfollow(&name),
                title: name,
            })
            .collect(),
        mail_enabled: state.mail_enabled,
        email: address
            .as_ref()
            .map(|a| a.address.clone())
            .unwrap_or_default(),
        email_verified: address.as_ref().is_some_and(|a| a.is_verified()),
        deliveries: Delivery::ALL
            .into_iter()
            .map(|d| DeliveryOption {
                value: d.as_str(),
                label: match d {
                    Delivery::Immediate => "Immediately: one mail per notification",
                    Delivery::Daily => "Daily digest: one mail a day with everything new",
                    Delivery::Never => "Never",
                },
                selected: chosen == Some(d),
            })
            .collect(),
        ..Default::default()
    })
}

/// The account page shown again with what was refused (422).
pub(super) fn settings_refused(
    state: &AppState,
    visitor: &Viewer,
    page: &AccountPage,
) -> AppResult<HttpResponse> {
    render_status(
        state,
        visitor,
        StatusCode::UNPROCESSABLE_ENTITY,
        "account/settings.html",
        page,
    )
}

/// GET /account
pub async fn get_account(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let mut page = account_page(&state, &user).await?;
    let params = query_params(req.query_string());
    page.saved = match param(&params, "saved") {
        Some("profile") => Some("Your profile was saved."),
        Some("password") => Some("Your password was changed. Other devices were signed out."),
        Some("reset") => Some("Your new password is set. Every other device was signed out."),
        Some("email") => {
            Some("Check your inbox: we sent a mail to that address. Mail from this site goes there once the address is confirmed.")
        }
        Some("email-kept") => Some("Your e-mail address is unchanged and confirmed."),
        Some("email-removed") => Some("Your e-mail address was removed: you get no more mail."),
        Some("delivery") => Some("Your e-mail choice was saved."),
        _ => None,
    };
    render(&state, &visitor, "account/settings.html", &page)
}

/// Fields of the profile form.
#[derive(Debug, Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    display_name: String,
}

/// POST /account/profile
pub async fn post_account_profile(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
    form: CsrfForm<ProfileForm>,
) -> AppResult<HttpResponse> {
    match username::display_name(&form.display_name) {
        Ok(name) => {
            let name = if name.is_empty() {
                user.username.clone()
            } else {
                name
            };
            with_db(&state, move |conn| {
                users::set_display_name(conn, user.id, &name, unix_now())?;
                Ok(())
            })
            .await?;
            Ok(see_other("/account?saved=profile"))
        }
        Err(e) => {
            let mut page = account_page(&state, &user).await?;
            page.display_name = form.display_name.clone();
            page.profile_errors.push(e);
            settings_refused(&state, &visitor, &page)
        }
    }
}

/// Fields of the password form.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// POST /account/password: ends every other session.
pub async fn post_account_password(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
    form: CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
    admit(&state, Limited::PasswordChange, &user).await?;
    let id = user.id;
    let row = with_db(&state, move |conn| {
        users::find(conn, id)?.ok_or_else(|| AppError::NotFound("No such user.".into()))
    })
    .await?;
    let current = form.current.clone();
    let stored = row.password_hash.clone();
    let current_ok = web::block(move || password::verify(&current, stored.as_deref()))
        .await
        .map_err(AppError::internal)?;
    let mut errors = Vec::new();
    if !current_ok {
        errors.push("Your current password is not right.".into());
    }
    if let Err(e) = password::check_policy(&form.password, &row.username) {
        errors.push(e);
    } else if form.password != form.password_confirm {
        errors.push("The two new passwords do not match.".into());
    }
    if !errors.is_empty() {
        let mut page = account_page(&state, &user).await?;
        page.password_errors = errors;
        return settings_refused(&state, &visitor, &page);
    }
    let hash = hash_password(form.password.clone()).await?;
    with_db(&state, move |conn| {
        accounts::change_password(conn, id, &hash, Some(user.session_id), unix_now())
    })
    .await?;
    Ok(see_other("/account?saved=password"))
}

/// 404 unless `token` is a live setup token.
async fn require_setup_token(state: &web::Data<AppState>, token: &str) -> AppResult<()> {
    let check = token.to_string();
    if with_db(state, move |conn| accounts::setup_token_valid(conn, &check)).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(
            "This setup link is not valid (it may have been used already).".into(),
        ))
    }
}

/// GET /setup/{token}: create the first admin (only while none exists).
pub async fn get_setup(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    require_setup_token(&state, &token).await?;
    let mut page = AuthPage {
        action: paths::setup(&token),
        ..Default::default()
    };
    anon_form(
        &state,
        &visitor,
        StatusCode::OK,
        "account/setup.html",
        &mut page,
    )
    .await
}

/// POST /setup/{token}
pub async fn post_setup(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
    form: CsrfForm<RegisterForm>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    require_setup_token(&state, &token).await?;
    let mut page = AuthPage {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        action: paths::setup(&token),
        ..Default::default()
    };
    let (name, display) = match validate_registration(&form) {
        Ok(valid) => valid,
        Err(errors) => {
            page.errors = errors;
            return anon_form(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                "account/setup.html",
                &mut page,
            )
            .await;
        }
    };
    let hash = hash_password(form.password.clone()).await?;
    let created = with_db(&state, move |conn| {
        accounts::complete_setup(conn, &token, &name, &display, &hash, unix_now())
    })
    .await?;
    match created {
        Some(user) => sign_in_and_redirect(&state, &visitor, user.id, "/").await,
        None => {
            page.errors.push("That username is taken.".into());
            anon_form(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                "account/setup.html",
                &mut page,
            )
            .await
        }
    }
}

crate::csrf_form!(
    TokenOnlyForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm
);
