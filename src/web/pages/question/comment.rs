//! Comments: adding one under a question or answer, editing and deleting
//! it. Cheap checks first, then the rate limit, then the write. A refused
//! comment shows the question page again with its form open and the typed
//! text in it; when that form cannot be shown (the post is gone, deleted or
//! locked), a page with the message and the text.

use super::*;
use crate::service::questions::CommentOn;
use crate::web::extract::{CsrfToken, Staff};

/// Fields of the comment forms (add and edit).
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

impl CsrfToken for CommentForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    /// A NUL is refused by [`questions::check_comment`], which keeps the
    /// typed text.
    const KEEPS_NUL: bool = true;
}

/// Fields of the delete and restore forms.
#[derive(Debug, Deserialize)]
pub struct CommentDeleteForm {
    #[serde(default)]
    csrf: String,
}

crate::csrf_form!(CommentDeleteForm);

/// Which comment form a submit came from.
#[derive(Debug, Clone, Copy)]
enum FormAt {
    /// Adding a comment under a post.
    Add(CommentOn),
    /// Editing a comment.
    Edit(CommentId),
}

impl FormAt {
    /// The form's target on the page (see [`CommentFormView`]).
    fn target(self) -> String {
        match self {
            FormAt::Add(CommentOn::Question(_)) => "question".into(),
            FormAt::Add(CommentOn::Answer(a)) => format!("answer-{a}"),
            FormAt::Edit(c) => format!("comment-{c}"),
        }
    }

    /// The question the form is on, if it still exists.
    fn question(self, conn: &mut Conn) -> AppResult<Option<QuestionId>> {
        Ok(match self {
            FormAt::Add(CommentOn::Question(id)) => Some(id),
            FormAt::Add(CommentOn::Answer(id)) => answers::find(conn, id)?.map(|a| a.question_id),
            FormAt::Edit(id) => comments::find(conn, id)?.map(|c| c.question_id),
        })
    }
}

/// Whether the page shows the form `target` (to this viewer).
fn shows_form(page: &QuestionPage, target: &str) -> bool {
    let mut posts = std::iter::once(&page.question).chain(&page.answers);
    if target.starts_with("comment-") {
        return posts
            .flat_map(|p| &p.comments)
            .any(|c| c.anchor == target && c.can_change);
    }
    posts.any(|p| p.anchor == target && p.can_comment)
}

/// A comment that was not saved, when its form cannot be shown again.
#[derive(Debug, Serialize)]
struct CommentKeptPage {
    errors: Vec<String>,
    body: String,
    back_url: Option<String>,
}

/// The question page again with the form `at` open, `body` in it and
/// `errors` above it; or, when the page does not show that form, the page
/// that keeps the text.
async fn shown_again(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    user: &CurrentUser,
    at: FormAt,
    body: String,
    errors: Vec<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let question = with_db(state, move |conn| at.question(conn)).await?;
    let loaded = match question {
        Some(id) => match load(state, id, Some(user)).await {
            Ok(loaded) => Some(loaded),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let body = body.replace('\0', "");
    if let Some(loaded) = &loaded {
        let mut page = build_page(loaded, Some(user), String::new(), Vec::new())?;
        let target = at.target();
        if shows_form(&page, &target) {
            page.comment_form = CommentFormView {
                target,
                body,
                errors,
            };
            return render_status(state, visitor, status, "questions/show.html", &page);
        }
    }
    let page = CommentKeptPage {
        errors,
        body,
        back_url: loaded.map(|l| l.question.path()),
    };
    render_status(state, visitor, status, "questions/comment_kept.html", &page)
}

/// The status and message a refused write is shown with, or the error
/// itself when it is not about the comment (a database failure).
fn refusal(error: AppError) -> Result<(StatusCode, String), AppError> {
    match error {
        AppError::BadRequest(_)
        | AppError::NotFound(_)
        | AppError::Forbidden(_)
        | AppError::Conflict(_) => Ok((
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            error.public_message(),
        )),
        other => Err(other),
    }
}

/// Saves a comment from the form `at` (add or edit) after the cheap checks
/// and the rate limit `limit`.
async fn save(
    state: web::Data<AppState>,
    visitor: Viewer,
    user: CurrentUser,
    at: FormAt,
    limit: Limited,
    body: String,
) -> AppResult<HttpResponse> {
    if let Err(message) = questions::check_comment(&body) {
        return shown_again(
            &state,
            &visitor,
            &user,
            at,
            body,
            vec![message],
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if let Err(e) = admit(&state, limit, &user).await {
        let message = e.public_message();
        let response = shown_again(
            &state,
            &visitor,
            &user,
            at,
            body,
            vec![message],
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await?;
        return Ok(with_retry_after(response, &e));
    }
    let who = user.actor();
    let text = body.clone();
    let result = with_db(&state, move |conn| match at {
        FormAt::Add(on) => questions::add_comment(conn, who, on, &text, unix_now()),
        FormAt::Edit(id) => questions::edit_comment(conn, who, id, &text, unix_now()),
    })
    .await;
    match result {
        Ok(posted) => {
            state.indexer.notify();
            Ok(see_other(&posted.url))
        }
        Err(e) => {
            let (status, message) = refusal(e)?;
            shown_again(&state, &visitor, &user, at, body, vec![message], status).await
        }
    }
}

/// Adds a comment under `on`; a guest is sent to sign in, coming back to
/// the post.
async fn add(
    state: web::Data<AppState>,
    visitor: Viewer,
    on: CommentOn,
    form: CommentForm,
) -> AppResult<HttpResponse> {
    let Some(user) = visitor.user.clone() else {
        let back = with_db(&state, move |conn| {
            let at = FormAt::Add(on);
            let question = at
                .question(conn)?
                .ok_or_else(|| AppError::NotFound("There is no such post.".into()))?;
            let question = questions::visible_question(conn, question, false)?;
            Ok(format!("{}#{}", question.path(), at.target()))
        })
        .await?;
        return Err(AppError::SignInRequired { next: back });
    };
    save(
        state,
        visitor,
        user,
        FormAt::Add(on),
        Limited::Comment,
        form.body,
    )
    .await
}

/// POST /questions/{id}/comments
pub async fn post_question_comment(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<QuestionId>,
    form: CsrfForm<CommentForm>,
) -> AppResult<HttpResponse> {
    let on = CommentOn::Question(path.into_inner());
    add(state, visitor, on, form.into_inner()).await
}

/// POST /answers/{id}/comments
pub async fn post_answer_comment(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<AnswerId>,
    form: CsrfForm<CommentForm>,
) -> AppResult<HttpResponse> {
    let on = CommentOn::Answer(path.into_inner());
    add(state, visitor, on, form.into_inner()).await
}

/// POST /comments/{id}/edit: its author (question not locked) or staff.
pub async fn post_comment_edit(
    state: web::Data<AppState>,
    Member { viewer, user }: Member,
    path: web::Path<CommentId>,
    form: CsrfForm<CommentForm>,
) -> AppResult<HttpResponse> {
    let at = FormAt::Edit(path.into_inner());
    save(
        state,
        viewer,
        user,
        at,
        Limited::Edit,
        form.into_inner().body,
    )
    .await
}

/// A service call that deletes or restores a comment and says where to go.
type CommentChange = fn(&mut Conn, Actor, CommentId, i64) -> AppResult<String>;

/// Applies `change` to comment `id` as `user`, then back to the thread.
async fn change_comment(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: CommentId,
    change: CommentChange,
) -> AppResult<HttpResponse> {
    let who = user.actor();
    let back = with_db(&state, move |conn| change(conn, who, id, unix_now())).await?;
    state.indexer.notify();
    Ok(see_other(&back))
}

/// POST /comments/{id}/delete: its author (question not locked) or staff.
pub async fn post_comment_delete(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    path: web::Path<CommentId>,
    _form: CsrfForm<CommentDeleteForm>,
) -> AppResult<HttpResponse> {
    change_comment(state, user, path.into_inner(), questions::delete_comment).await
}

/// POST /comments/{id}/restore (staff): brings a deleted comment back.
pub async fn post_comment_restore(
    state: web::Data<AppState>,
    path: web::Path<CommentId>,
    _form: CsrfForm<CommentDeleteForm>,
    Staff { user, .. }: Staff,
) -> AppResult<HttpResponse> {
    change_comment(state, user, path.into_inner(), questions::restore_comment).await
}

/// GET /comments/{id}: the comment on its question's page.
pub async fn get_comment(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<CommentId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let staff = visitor.sees_hidden();
    let url = with_db(&state, move |conn| {
        let comment = comments::find(conn, id)?
            .filter(|c| c.deleted_at.is_none() || staff)
            .ok_or_else(|| AppError::NotFound("There is no such comment.".into()))?;
        let question = questions::visible_question(conn, comment.question_id, staff)?;
        Ok(paths::comment_on(&question.path(), comment.id))
    })
    .await?;
    Ok(see_other(&url))
}
