//! Votes on questions and answers.

use super::*;

/// Fields of a vote.
#[derive(Debug, Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    csrf: String,
    /// `up`, `down` or `none`.
    #[serde(default)]
    value: String,
}

async fn vote(
    state: web::Data<AppState>,
    user: CurrentUser,
    kind: PostKind,
    id: i32,
    form: VoteForm,
) -> AppResult<HttpResponse> {
    let value = match form.value.as_str() {
        "up" => 1,
        "down" => -1,
        "none" => 0,
        _ => return Err(AppError::BadRequest("A vote is up, down or none.".into())),
    };
    admit(&state, Limited::Vote, &user).await?;
    let who = user.actor();
    let voted = with_db(&state, move |conn| {
        questions::vote(conn, who, kind, id, value, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&voted.url))
}

/// POST /questions/{id}/vote
pub async fn post_question_vote(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    path: web::Path<QuestionId>,
    form: CsrfForm<VoteForm>,
) -> AppResult<HttpResponse> {
    vote(
        state,
        user,
        PostKind::Question,
        path.into_inner().into(),
        form.into_inner(),
    )
    .await
}

/// POST /answers/{id}/vote
pub async fn post_answer_vote(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    path: web::Path<AnswerId>,
    form: CsrfForm<VoteForm>,
) -> AppResult<HttpResponse> {
    vote(
        state,
        user,
        PostKind::Answer,
        path.into_inner().into(),
        form.into_inner(),
    )
    .await
}

crate::csrf_form!(VoteForm);
