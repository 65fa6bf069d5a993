//! Posting an answer: cheap checks, the rate limit, then rendering and the write.

use super::*;

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
    Member {
        viewer: visitor,
        user,
    }: Member,
    path: web::Path<QuestionId>,
    form: CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let form = form.into_inner();
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
        questions::answer(conn, id, who, &body, &rendered, key.as_deref(), unix_now())
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

crate::csrf_form!(AnswerForm);
