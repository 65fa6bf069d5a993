//! Accepting an answer and removing the mark (the asker or staff).

use super::*;

/// Fields of accept/unaccept.
#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer_id: i32,
}

/// POST /questions/{id}/accept
pub async fn post_accept(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    path: web::Path<i32>,
    form: CsrfForm<AcceptForm>,
) -> AppResult<HttpResponse> {
    let (id, answer_id, who) = (path.into_inner(), form.answer_id, user.actor());
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
    path: web::Path<i32>,
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
