//! Pages reached from mail or about it: the account's e-mail address and
//! delivery choice, the verification link, one-click unsubscribe (no
//! sign-in: the link is signed), and "forgot password" with its reset form.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::password;
use crate::auth::rate_limit::Limited;
use crate::auth::tokens;
use crate::db::models::mail::Delivery;
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::paths;
use crate::service::{accounts, mail as mail_service};
use crate::web::extract::{CsrfForm, Member};
use crate::web::session::{admit, admit_address, session_cookie, Viewer};
use crate::web::{render, render_form_page, render_status, see_other, with_db};

/// A page with a title, a message and a way on.
#[derive(Debug, Serialize)]
pub(crate) struct MessagePage {
    pub(crate) title: &'static str,
    pub(crate) message: String,
    pub(crate) link_url: String,
    pub(crate) link_text: &'static str,
}

/// Renders a [`MessagePage`] with `status`.
pub(crate) fn message_page(
    state: &AppState,
    visitor: &Viewer,
    status: StatusCode,
    page: MessagePage,
) -> AppResult<HttpResponse> {
    render_status(state, visitor, status, "account/message.html", &page)
}

/// The page of a mailed confirmation link: `spend` uses up `token` (now, in
/// the database), and `page` tells the visitor how that went.
pub(crate) async fn confirm_link_page<T: Send + 'static>(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    token: String,
    spend: impl FnOnce(&mut crate::db::Conn, &str, i64) -> AppResult<T> + Send + 'static,
    page: impl FnOnce(T) -> (StatusCode, MessagePage),
) -> AppResult<HttpResponse> {
    let outcome = with_db(state, move |conn| spend(conn, &token, unix_now())).await?;
    let (status, page) = page(outcome);
    message_page(state, visitor, status, page)
}

/// What "e-mail is off" tells whoever tries to use it.
pub(crate) const MAIL_OFF: &str =
    "E-mail is off on this site (no mail server is configured), so no mail can be sent.";

/// Fields of the address form.
#[derive(Debug, Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// POST /account/email: sets (and mails a link to confirm), or with an
/// empty field removes, the address.
pub async fn post_account_email(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
    form: CsrfForm<AddressForm>,
) -> AppResult<HttpResponse> {
    if !state.mail_enabled {
        return Err(AppError::Conflict(MAIL_OFF.into()));
    }
    let id = user.id;
    if form.email.trim().is_empty() {
        with_db(&state, move |conn| {
            mail_service::remove_address(conn, id, unix_now())
        })
        .await?;
        return Ok(see_other("/account?saved=email-removed"));
    }
    admit(&state, Limited::MailAddress, &user).await?;
    let outcome = match crate::mail::valid_address(&form.email) {
        Ok(address) => {
            let site = state.mail_site.clone();
            Ok(with_db(&state, move |conn| {
                mail_service::set_address(conn, &site, id, &address, unix_now())
            })
            .await?)
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(true) => Ok(see_other("/account?saved=email")),
        Ok(false) => Ok(see_other("/account?saved=email-kept")),
        Err(error) => {
            let mut page = super::account::account_page(&state, &user).await?;
            page.email = form.email.clone();
            page.email_errors.push(error);
            super::account::settings_refused(&state, &visitor, &page)
        }
    }
}

/// Fields of the delivery form.
#[derive(Debug, Deserialize)]
pub struct DeliveryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    delivery: String,
}

/// POST /account/mail: immediately, daily digest or never.
pub async fn post_account_delivery(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    form: CsrfForm<DeliveryForm>,
) -> AppResult<HttpResponse> {
    let delivery = Delivery::parse(&form.delivery)
        .ok_or_else(|| AppError::BadRequest("Choose immediately, daily digest or never.".into()))?;
    let id = user.id;
    let saved = with_db(&state, move |conn| {
        mail_service::set_delivery(conn, id, delivery, unix_now())
    })
    .await?;
    if !saved {
        return Err(AppError::Conflict(
            "Add an e-mail address first: the choice is about mail to it.".into(),
        ));
    }
    Ok(see_other("/account?saved=delivery"))
}

/// GET /account/email/verify/{token}: confirms the address (no sign-in
/// needed: the link is the proof).
pub async fn get_verify_email(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    confirm_link_page(
        &state,
        &visitor,
        path.into_inner(),
        mail_service::verify_address,
        |outcome| match outcome {
        mail_service::Verified::Done(address) => (
            StatusCode::OK,
            MessagePage {
                title: "Address confirmed",
                message: format!("Thank you: mail from this site now goes to {address}."),
                link_url: "/account".into(),
                link_text: "Your account and e-mail choices",
            },
        ),
        mail_service::Verified::Taken => (
            StatusCode::CONFLICT,
            MessagePage {
                title: "Address in use",
                message: mail_service::ADDRESS_TAKEN.into(),
                link_url: "/account".into(),
                link_text: "Your account",
            },
        ),
        mail_service::Verified::Invalid => (
            StatusCode::NOT_FOUND,
            MessagePage {
                title: "Link not valid",
                message: "This confirmation link was already used, has expired, or is for an address the account no longer has. Ask for a new one on your account page.".into(),
                link_url: "/account".into(),
                link_text: "Your account",
            },
        ),
    },
    )
    .await
}

/// The unsubscribe confirmation page.
#[derive(Debug, Serialize)]
struct UnsubscribePage {
    action: String,
}

/// The user of an unsubscribe token, or the 400 page for a damaged one.
fn unsubscriber(state: &AppState, token: &str) -> AppResult<crate::ids::UserId> {
    tokens::check_unsubscribe(&state.mail_site.unsubscribe_key, token).ok_or_else(|| {
        AppError::BadRequest(
            "This unsubscribe link is not valid: it may have been cut off or changed. Open the link from the mail again, or change your e-mail choice on your account page after signing in.".into(),
        )
    })
}

/// GET /unsubscribe/{token}: asks to confirm (a link preview or a mail
/// scanner fetching the link unsubscribes nobody).
pub async fn get_unsubscribe(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    unsubscriber(&state, &token)?;
    render(
        &state,
        &visitor,
        "account/unsubscribe.html",
        &UnsubscribePage {
            action: paths::unsubscribe(&token),
        },
    )
}

/// POST /unsubscribe/{token}: sets the choice to never. No CSRF token and
/// no sign-in: the signed link is the proof, and mail programs send this
/// POST themselves (RFC 8058 `List-Unsubscribe=One-Click`).
pub async fn post_unsubscribe(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user_id = unsubscriber(&state, &path.into_inner())?;
    with_db(&state, move |conn| {
        mail_service::set_delivery(conn, user_id, Delivery::Never, unix_now())
    })
    .await?;
    message_page(
        &state,
        &visitor,
        StatusCode::OK,
        MessagePage {
            title: "Unsubscribed",
            message: "You will get no more notification mail from this site. You can turn it on again on your account page.".into(),
            link_url: "/account".into(),
            link_text: "Your account",
        },
    )
}

/// The "forgot password" and reset forms.
#[derive(Debug, Default, Serialize)]
struct ResetPage {
    who: String,
    sent: bool,
    mail_enabled: bool,
    username: String,
    action: String,
    errors: Vec<String>,
}

/// Fields of the "forgot password" form.
#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    who: String,
}

/// GET /password/forgot
pub async fn get_forgot(state: web::Data<AppState>, visitor: Viewer) -> AppResult<HttpResponse> {
    let page = ResetPage {
        mail_enabled: state.mail_enabled,
        ..Default::default()
    };
    render_form_page(
        &state,
        &visitor,
        StatusCode::OK,
        "account/forgot.html",
        &page,
    )
}

/// POST /password/forgot: the same answer whether or not the account
/// exists or has a verified address.
pub async fn post_forgot(
    state: web::Data<AppState>,
    visitor: Viewer,
    form: CsrfForm<ForgotForm>,
) -> AppResult<HttpResponse> {
    if !state.mail_enabled {
        return Err(AppError::Conflict(MAIL_OFF.into()));
    }
    admit_address(&state, Limited::PasswordReset, &visitor.ip).await?;
    let (site, who) = (state.mail_site.clone(), form.who.clone());
    with_db(&state, move |conn| {
        mail_service::request_password_reset(conn, &site, &who, unix_now())
    })
    .await?;
    let page = ResetPage {
        who: form.who.trim().to_string(),
        sent: true,
        mail_enabled: true,
        ..Default::default()
    };
    render_form_page(
        &state,
        &visitor,
        StatusCode::OK,
        "account/forgot.html",
        &page,
    )
}

/// What a used or expired reset link shows (404).
const RESET_LINK_SPENT: &str =
    "This password-reset link was already used or has expired. Ask for a new one from the sign-in page.";

/// The reset link's account name, or the page saying the link is spent.
async fn reset_user(state: &web::Data<AppState>, token: &str) -> AppResult<String> {
    let token = token.to_string();
    let user = with_db(state, move |conn| {
        mail_service::reset_link_user(conn, &token, unix_now())
    })
    .await?;
    user.map(|u| u.username)
        .ok_or_else(|| AppError::NotFound(RESET_LINK_SPENT.into()))
}

/// GET /password/reset/{token}
pub async fn get_reset(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let username = reset_user(&state, &token).await?;
    let page = ResetPage {
        username,
        action: paths::password_reset(&token),
        ..Default::default()
    };
    render_form_page(
        &state,
        &visitor,
        StatusCode::OK,
        "account/reset.html",
        &page,
    )
}

/// Fields of the reset form.
#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// POST /password/reset/{token}: sets the new password (same policy as
/// everywhere), ends every session of the account, and signs this browser
/// in with a new one.
pub async fn post_reset(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
    form: CsrfForm<ResetForm>,
) -> AppResult<HttpResponse> {
    admit_address(&state, Limited::PasswordReset, &visitor.ip).await?;
    let token = path.into_inner();
    let username = reset_user(&state, &token).await?;
    let mut errors = Vec::new();
    if let Err(e) = password::check_policy(&form.password, &username) {
        errors.push(e);
    } else if form.password != form.password_confirm {
        errors.push("The two passwords do not match.".into());
    }
    if !errors.is_empty() {
        let page = ResetPage {
            username,
            action: paths::password_reset(&token),
            errors,
            ..Default::default()
        };
        return render_form_page(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            "account/reset.html",
            &page,
        );
    }
    let typed = form.password.clone();
    let hash = web::block(move || password::hash(&typed))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)?;
    let session = with_db(&state, move |conn| {
        let now = unix_now();
        match mail_service::reset_password(conn, &token, &hash, now)? {
            Some(user_id) => Ok(Some(accounts::start_session(conn, user_id, now)?.0)),
            None => Ok(None),
        }
    })
    .await?;
    let Some(session) = session else {
        return Err(AppError::NotFound(RESET_LINK_SPENT.into()));
    };
    let mut response = see_other("/account?saved=reset");
    response
        .add_cookie(&session_cookie(&session, state.config.is_https()))
        .map_err(AppError::internal)?;
    Ok(response)
}

crate::csrf_form!(AddressForm, DeliveryForm, ForgotForm, ResetForm);
