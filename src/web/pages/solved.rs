//! "Was your question solved?" answered from the mail (a signed link, no
//! sign-in: GET shows a confirm page with one button, so a mail scanner's
//! prefetch changes nothing; POST makes the choice) and, for the signed-in
//! asker, "No, still not solved" from the site (a CSRF form; "yes" is the
//! ordinary accept form).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::tokens::SolvedLink;
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::ids::QuestionId;
use crate::service::questions::{self, Closed};
use crate::web::extract::{CsrfForm, Member};
use crate::web::paths;
use crate::web::session::Viewer;
use crate::web::{render, render_status, see_other, with_db};

/// A page with a title, a message and a way on.
#[derive(Debug, Serialize)]
struct MessagePage {
    title: &'static str,
    message: String,
    link_url: String,
    link_text: &'static str,
}

/// The confirm page of a link.
#[derive(Debug, Serialize)]
struct ConfirmPage {
    action: String,
    question_title: String,
    question_url: String,
    /// The answer "yes" accepts: author and excerpt.
    answer_author: Option<String>,
    answer_excerpt: Option<String>,
}

/// The link of a token, or the 400 page for a damaged one.
fn solved_link(state: &AppState, token: &str) -> AppResult<SolvedLink> {
    SolvedLink::check(&state.mail_site.unsubscribe_key, token).ok_or_else(|| {
        AppError::BadRequest(
            "This link is not valid: it may have been cut off or changed. Open the link from the mail again, or sign in and open the question.".into(),
        )
    })
}

/// The page saying why a choice can no longer be made.
fn closed_page(state: &AppState, visitor: &Viewer, closed: Closed) -> AppResult<HttpResponse> {
    let status = match closed {
        Closed::Deleted => StatusCode::NOT_FOUND,
        Closed::NotAsker => StatusCode::FORBIDDEN,
        _ => StatusCode::CONFLICT,
    };
    render_status(
        state,
        visitor,
        status,
        "account/message.html",
        &MessagePage {
            title: "Nothing to do",
            message: closed.message().into(),
            link_url: "/questions".into(),
            link_text: "The questions",
        },
    )
}

/// GET /solved/{token}: the confirm page (changes nothing).
pub async fn get_solved_link(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let link = solved_link(&state, &token)?;
    let open = with_db(&state, move |conn| {
        questions::choice(conn, link.user_id, link.question_id, link.answer_id)
    })
    .await?;
    match open {
        Err(closed) => closed_page(&state, &visitor, closed),
        Ok(open) => render(
            &state,
            &visitor,
            "questions/solved_confirm.html",
            &ConfirmPage {
                action: paths::solved_link(&token),
                question_url: open.question.path(),
                question_title: open.question.title,
                answer_author: open.answer.as_ref().map(|a| a.author.clone()),
                answer_excerpt: open.answer.map(|a| a.excerpt),
            },
        ),
    }
}

/// POST /solved/{token}: accepts the answer ("yes") or marks the question
/// still unsolved ("no"). No CSRF token and no sign-in: the signed link
/// is the proof, bound to the asker, the question and the answer.
pub async fn post_solved_link(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let link = solved_link(&state, &path.into_inner())?;
    let done = with_db(&state, move |conn| {
        questions::make_choice(conn, link, unix_now())
    })
    .await?;
    let url = match done {
        Err(closed) => return closed_page(&state, &visitor, closed),
        Ok(url) => url,
    };
    state.indexer.notify();
    let page = if link.answer_id.is_some() {
        MessagePage {
            title: "Marked as the solution",
            message: "Thank you! The answer is marked as the one that solved your question, so the next person with the same problem finds it first, and its author hears of it.".into(),
            link_url: url,
            link_text: "See the question",
        }
    } else {
        MessagePage {
            title: "Still not solved",
            message: "Thank you for telling us. Your question is back at the top of the list and of the staff's waiting list, so someone looks at it again.".into(),
            link_url: url,
            link_text: "See the question",
        }
    };
    render_status(
        &state,
        &visitor,
        StatusCode::OK,
        "account/message.html",
        &page,
    )
}

/// POST /questions/{id}/still-unsolved (the signed-in asker).
pub async fn post_still_unsolved(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    path: web::Path<QuestionId>,
    _form: CsrfForm<StillUnsolvedForm>,
) -> AppResult<HttpResponse> {
    let (id, who) = (path.into_inner(), user.actor());
    let back = with_db(&state, move |conn| {
        questions::still_unsolved(conn, who, id, unix_now())
    })
    .await?;
    Ok(see_other(&back))
}

/// Fields of the "still not solved" form.
#[derive(Debug, Deserialize)]
pub struct StillUnsolvedForm {
    #[serde(default)]
    csrf: String,
}

crate::csrf_form!(StillUnsolvedForm);
