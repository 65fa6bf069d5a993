//! Posting an answer: cheap checks, the rate limit, then rendering and the write.

use super::*;
use crate::db::models::drafts::Owner;
use crate::service::drafts;
use crate::web::session::admit_address;

/// Fields of the answer form.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    submit_key: String,
}

/// POST /questions/{id}/answers: cheap checks, then the rate limit, and only
/// then markdown rendering and the database write.
pub async fn post_answer(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<QuestionId>,
    form: CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let form = form.into_inner();
    let Some(user) = visitor.user.clone() else {
        return keep_answer_and_sign_in(&state, &visitor, id, &form).await;
    };
    let shown_again = |errors: Vec<String>, status: StatusCode| {
        let state = state.clone();
        let visitor = visitor.clone();
        let body = form.body.clone();
        let user = user.clone();
        async move {
            let loaded = load(&state, id, Some(&user)).await?;
            let page = build_page(&loaded, Some(&user), body, errors)?;
            render_status(&state, &visitor, status, "questions/show.html", &page)
        }
    };
    if let Err(e) = questions::check_body(&form.body) {
        return shown_again(vec![e], StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let key = (form.submit_key.len() == 64).then(|| form.submit_key.clone());
    // A resubmitted form (double click, reload) leads to what the first made.
    if let Some(key) = key.clone() {
        let author = user.id;
        let earlier = with_db(&state, move |conn| {
            let Some(answer) = answers::find_by_submit_key(conn, author, &key)? else {
                return Ok(None);
            };
            Ok(question_rows::find(conn, answer.question_id)?
                .map(|q| paths::answer_on(&q.path(), answer.id)))
        })
        .await?;
        if let Some(url) = earlier {
            return Ok(see_other(&url));
        }
    }
    if let Err(e) = admit(&state, Limited::Answer, &user).await {
        let response = shown_again(vec![e.public_message()], StatusCode::TOO_MANY_REQUESTS).await?;
        return Ok(with_retry_after(response, &e));
    }
    let body_text = form.body.clone();
    let rendered =
        crate::web::off_executor(move || crate::markdown::render_post(body_text.trim())).await?;
    let body = form.body.clone();
    let who = user.actor();
    let result = with_db(&state, move |conn| {
        let posted =
            questions::answer(conn, id, who, &body, &rendered, key.as_deref(), unix_now())?;
        drafts::forget_answer(conn, &Owner::User(who.id), id)?;
        Ok(posted)
    })
    .await;
    match result {
        Ok(posted) => {
            state.indexer.notify();
            Ok(see_other(&posted.url))
        }
        Err(AppError::Conflict(message)) => shown_again(vec![message], StatusCode::CONFLICT).await,
        Err(e) => Err(e),
    }
}

/// A guest, or a member whose session expired while typing: the answer is
/// kept as their draft for this question and they are sent to sign in,
/// returning to the question with the answer in the form.
async fn keep_answer_and_sign_in(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    id: QuestionId,
    form: &AnswerForm,
) -> AppResult<HttpResponse> {
    let staff = visitor.sees_hidden();
    let owner = visitor.draft_writer(&form.csrf);
    if owner.is_some() && !form.body.trim().is_empty() {
        admit_address(state, Limited::GuestDraft, &visitor.ip).await?;
    }
    let body = form.body.clone();
    let (back, kept) = with_db(state, move |conn| {
        let question = questions::visible_question(conn, id, staff)?;
        let mut kept = false;
        if let Some(owner) = owner.filter(|_| !body.trim().is_empty()) {
            drafts::keep_answer(conn, &owner, id, &body, unix_now())?;
            kept = true;
        }
        Ok((format!("{}#answer-form", question.path()), kept))
    })
    .await?;
    if kept {
        let mut response = see_other(&paths::login_url_kept(&back));
        if visitor.user.is_none() {
            // This browser's question pages now show its draft: not from the cache.
            response
                .add_cookie(&crate::web::page_cache::draft_cookie(
                    state.config.is_https(),
                ))
                .map_err(AppError::internal)?;
        }
        Ok(response)
    } else {
        Err(AppError::SignInRequired { next: back })
    }
}

impl crate::web::extract::CsrfToken for AnswerForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Sent from a page whose session just expired: kept as that user's
    /// draft until they sign in again.
    const KEEPS_LAPSED_SESSION: bool = true;
}
