//! Accepting an answer and removing the mark (the asker or staff).

use super::*;

/// Fields of accept/unaccept.
#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer_id: Option<AnswerId>,
}

/// POST /questions/{id}/accept
pub async fn post_accept(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    path: web::Path<QuestionId>,
    form: CsrfForm<AcceptForm>,
) -> AppResult<HttpResponse> {
    let (id, who) = (path.into_inner(), user.actor());
    // No row has id 0: a form without an answer is refused after the same
    // checks as one naming an answer that is not on this question.
    let answer_id = form.answer_id.unwrap_or(AnswerId(0));
    let back = with_db(&state, move |conn| {
        questions::accept(conn, who, id, answer_id, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&back))
}

/// POST /questions/{id}/unaccept
pub async fn post_unaccept(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    path: web::Path<QuestionId>,
    _form: CsrfForm<AcceptForm>,
) -> AppResult<HttpResponse> {
    let (id, who) = (path.into_inner(), user.actor());
    let back = with_db(&state, move |conn| {
        questions::unaccept(conn, who, id, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&back))
}

crate::csrf_form!(AcceptForm);
