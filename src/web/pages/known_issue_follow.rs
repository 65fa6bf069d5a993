//! "Tell me when it's fixed" on a known issue's page: a member follows or
//! stops following with a plain form; anyone can give an e-mail address,
//! which follows once the mailed single-use link is opened; every update
//! mail carries a signed one-click link that stops following (GET asks to
//! confirm, POST acts, as RFC 8058 `List-Unsubscribe-Post` expects).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::rate_limit::Limited;
use crate::auth::tokens;
use crate::db::models::known_issues::{self as issue_rows, KnownIssue};
use crate::db::models::mail as mail_rows;
use crate::db::{unix_now, Conn};
use crate::error::{AppError, AppResult};
use crate::ids::KnownIssueFollowerId;
use crate::paths;
use crate::service::known_issue_follow as service;
use crate::web::extract::{CsrfForm, Member};
use crate::web::pages::mail::{confirm_link_page, message_page, MessagePage, MAIL_OFF};
use crate::web::session::{admit_address, Viewer};
use crate::web::{render, see_other, with_db};

/// The follow part of an issue's page.
#[derive(Debug, Default, Serialize)]
pub struct FollowView {
    /// Where a member's follow/unfollow form goes (members only).
    pub member_url: Option<String>,
    /// Whether the member follows.
    pub following: bool,
    /// Where the e-mail form goes (guests and members without a confirmed
    /// address, when the site can send mail).
    pub mail_url: Option<String>,
    /// What was typed into the e-mail form (shown again with an error).
    pub email: String,
    /// What is wrong with it.
    pub error: Option<String>,
}

/// The follow part of `issue`'s page for `visitor` (call inside [`with_db`]).
pub fn follow_view(
    conn: &mut Conn,
    state: &AppState,
    visitor: &Viewer,
    issue: &KnownIssue,
) -> AppResult<FollowView> {
    let mail_url = state
        .mail_enabled
        .then(|| paths::known_issue_follow_by_mail(&issue.slug));
    let Some(user) = &visitor.user else {
        return Ok(FollowView {
            mail_url,
            ..FollowView::default()
        });
    };
    let verified = mail_rows::find(conn, user.id)?.is_some_and(|m| m.is_verified());
    Ok(FollowView {
        member_url: Some(paths::known_issue_follow(&issue.slug)),
        following: service::is_following(conn, issue.id, user.id)?,
        mail_url: if verified { None } else { mail_url },
        ..FollowView::default()
    })
}

async fn find_issue(state: &web::Data<AppState>, slug: String) -> AppResult<KnownIssue> {
    with_db(state, move |conn| {
        issue_rows::find_by_slug(conn, &slug)?
            .ok_or_else(|| AppError::NotFound("There is no such known issue.".into()))
    })
    .await
}

/// Fields of the member's follow form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FollowForm {
    csrf: String,
    /// `follow` or `unfollow`.
    action: String,
}

/// POST /known-issues/{slug}/follow: a member follows or stops following.
pub async fn post_follow_known_issue(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: CsrfForm<FollowForm>,
    Member { user, .. }: Member,
) -> AppResult<HttpResponse> {
    let follow = match form.into_inner().action.as_str() {
        "follow" => true,
        "unfollow" => false,
        other => {
            return Err(AppError::BadRequest(format!(
                "Choose follow or unfollow (not {other:?})."
            )))
        }
    };
    let issue = find_issue(&state, path.into_inner()).await?;
    let (id, me) = (issue.id, user.id);
    with_db(&state, move |conn| {
        service::set_member(conn, id, me, follow, unix_now())
    })
    .await?;
    Ok(see_other(&format!(
        "{}#follow",
        paths::known_issue(&issue.slug)
    )))
}

/// Fields of the e-mail follow form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MailFollowForm {
    csrf: String,
    email: String,
}

/// POST /known-issues/{slug}/follow-by-mail: mails a confirmation link.
/// The answer is the same whether or not the address follows already.
pub async fn post_follow_known_issue_by_mail(
    state: web::Data<AppState>,
    path: web::Path<String>,
    visitor: Viewer,
    form: CsrfForm<MailFollowForm>,
) -> AppResult<HttpResponse> {
    if !state.mail_enabled {
        return Err(AppError::Conflict(MAIL_OFF.into()));
    }
    let issue = find_issue(&state, path.into_inner()).await?;
    admit_address(&state, Limited::IssueFollowByIp, &visitor.ip).await?;
    let typed = form.into_inner().email;
    let address = match crate::mail::valid_address(&typed) {
        Ok(address) => address,
        Err(error) => {
            let mut follow = with_db(&state, {
                let (state, visitor, issue) = (state.clone(), visitor.clone(), issue.clone());
                move |conn| follow_view(conn, &state, &visitor, &issue)
            })
            .await?;
            follow.email = typed;
            follow.error = Some(error);
            return super::known_issues::show_issue(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                issue,
                follow,
            )
            .await;
        }
    };
    // Past the per-mailbox limit nothing more is mailed to that address,
    // but the answer stays the same (it says nothing about the address).
    let mailbox = mail_rows::address_key(&address);
    let send = match admit_address(&state, Limited::IssueFollowByMailbox, &mailbox).await {
        Ok(()) => true,
        Err(AppError::TooManyRequests(_)) => false,
        Err(e) => return Err(e),
    };
    if send {
        let (site, id, to) = (state.mail_site.clone(), issue.id, address.clone());
        with_db(&state, move |conn| {
            service::request_by_mail(conn, &site, id, &to, unix_now())
        })
        .await?;
    }
    message_page(
        &state,
        &visitor,
        StatusCode::OK,
        MessagePage {
            title: "Check your mail",
            message: format!(
                "If {address} does not follow this issue yet, a link to confirm is on its way there. Open it within 48 hours; after that you hear of every update of \u{201c}{}\u{201d} by mail.",
                issue.title
            ),
            link_url: paths::known_issue(&issue.slug),
            link_text: "Back to the known issue",
        },
    )
}

/// GET /follow/known-issue/confirm/{token}: the address follows from now on.
pub async fn get_confirm_known_issue_follow(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    confirm_link_page(&state, &visitor, path.into_inner(), service::confirm, |issue| match issue {
        Some(issue) => (
            StatusCode::OK,
            MessagePage {
                title: "You follow this issue",
                message: format!(
                    "Thank you: you will get a mail at each update of \u{201c}{}\u{201d}. Every such mail has a link to stop.",
                    issue.title
                ),
                link_url: paths::known_issue(&issue.slug),
                link_text: "The known issue",
            },
        ),
        None => (
            StatusCode::NOT_FOUND,
            MessagePage {
                title: "Link not valid",
                message: "This confirmation link was already used or has expired. Ask again on the known issue's page.".into(),
                link_url: paths::KNOWN_ISSUES.into(),
                link_text: "Known issues",
            },
        ),
    })
    .await
}

/// The follower an unfollow token names, or the 400 page for a damaged one.
fn unfollower(state: &AppState, token: &str) -> AppResult<KnownIssueFollowerId> {
    tokens::check_unfollow_issue(&state.mail_site.unsubscribe_key, token).ok_or_else(|| {
        AppError::BadRequest(
            "This link is not valid: it may have been cut off or changed. Open the link from the mail again.".into(),
        )
    })
}

/// The "stop following?" confirmation page.
#[derive(Debug, Serialize)]
struct UnfollowPage {
    action: String,
    title: String,
    url: String,
}

/// GET /follow/known-issue/stop/{token}: asks to confirm (a mail scanner
/// fetching the link stops nothing).
pub async fn get_unfollow_known_issue(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let id = unfollower(&state, &token)?;
    let target = with_db(&state, move |conn| service::unfollow_target(conn, id)).await?;
    match target {
        Some((_, issue)) => render(
            &state,
            &visitor,
            "known_issues/unfollow.html",
            &UnfollowPage {
                action: paths::known_issue_unfollow(&token),
                url: paths::known_issue(&issue.slug),
                title: issue.title,
            },
        ),
        None => stopped(&state, &visitor),
    }
}

/// POST /follow/known-issue/stop/{token}: stops following. No CSRF token
/// and no sign-in: the signed link is the proof, and mail programs send
/// this POST themselves (RFC 8058 `List-Unsubscribe=One-Click`).
pub async fn post_unfollow_known_issue(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = unfollower(&state, &path.into_inner())?;
    with_db(&state, move |conn| service::unfollow(conn, id)).await?;
    stopped(&state, &visitor)
}

/// The page after unfollowing (also for a link used twice).
fn stopped(state: &AppState, visitor: &Viewer) -> AppResult<HttpResponse> {
    message_page(
        state,
        visitor,
        StatusCode::OK,
        MessagePage {
            title: "You no longer follow this issue",
            message: "No more mail about this known issue will come.".into(),
            link_url: paths::KNOWN_ISSUES.into(),
            link_text: "Known issues",
        },
    )
}

crate::csrf_form!(FollowForm, MailFollowForm);
