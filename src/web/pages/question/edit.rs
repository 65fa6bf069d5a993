//! Editing questions and answers, with stale-save protection.

use super::*;

#[derive(Debug, Default, Serialize)]
struct EditPage {
    kind: &'static str,
    action: String,
    cancel_url: String,
    history_url: String,
    title: String,
    body: String,
    tags: String,
    note: String,
    /// The revision the form was made from (stale-save detection).
    base_revision: i32,
    errors: Vec<String>,
    conflict: Option<ConflictView>,
}

/// Whether `user` may open the editor of a post by `author` (any refusal
/// is a 403 here: there is nothing to conflict with yet).
fn may_open_editor(user: &CurrentUser, author: UserId, locked: bool) -> AppResult<()> {
    policy::can(
        Some(&user.actor()),
        Action::EditPost,
        &Target::post(author, locked),
    )
    .map_err(|_| {
        AppError::Forbidden(
            "You can only edit your own posts (and not while the question is locked).".into(),
        )
    })
}

/// GET /questions/{id}/edit
pub async fn get_edit_question(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
    path: web::Path<QuestionId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let staff = sees_hidden(Some(&user.actor()));
    let (q, base_revision) = with_db(&state, move |conn| {
        let q = questions::visible_question(conn, id, staff)?;
        let base = revisions::latest_id(conn, PostKind::Question, id.into())?;
        Ok((q, base))
    })
    .await?;
    may_open_editor(&user, q.author_id, q.locked)?;
    let page = EditPage {
        kind: PostKind::Question.as_str(),
        action: paths::question_edit(id),
        cancel_url: q.path(),
        history_url: paths::post_revisions(PostKind::Question, id.into()),
        title: q.title.clone(),
        body: q.body_md.clone(),
        tags: q.tag_list().join(", "),
        base_revision: base_revision.into(),
        ..Default::default()
    };
    render(&state, &visitor, "questions/edit.html", &page)
}

/// Fields of the edit forms.
#[derive(Debug, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    note: String,
    /// The revision the form was made from; 0 (missing) never matches a
    /// post that has revisions, so an old form cannot overwrite silently.
    #[serde(default)]
    base_revision: i32,
}

impl EditPage {
    /// The editor shown again with what was typed.
    fn from_form(kind: PostKind, id: i32, cancel_url: String, form: EditForm) -> Self {
        EditPage {
            kind: kind.as_str(),
            action: paths::post_edit(kind, id),
            cancel_url,
            history_url: paths::post_revisions(kind, id),
            note: form.note.trim().chars().take(200).collect(),
            title: form.title,
            body: form.body,
            tags: form.tags,
            base_revision: form.base_revision,
            ..Default::default()
        }
    }
}

/// The editor shown again with `status` (errors or conflict already on `page`).
fn edit_again(
    state: &AppState,
    visitor: &Viewer,
    status: StatusCode,
    page: &EditPage,
) -> AppResult<HttpResponse> {
    render_status(state, visitor, status, "questions/edit.html", page)
}

/// The editor refused by the edit limit: 429 with `Retry-After`, text kept.
fn edit_limited(
    state: &AppState,
    visitor: &Viewer,
    mut page: EditPage,
    error: &AppError,
) -> AppResult<HttpResponse> {
    page.errors.push(error.public_message());
    let response = edit_again(state, visitor, StatusCode::TOO_MANY_REQUESTS, &page)?;
    Ok(with_retry_after(response, error))
}

/// A stale save: 409, their newer version with a diff above the form, which
/// keeps the editor's text and now builds on their revision.
async fn edit_conflict(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    mut page: EditPage,
    theirs: Revision,
) -> AppResult<HttpResponse> {
    let editor_id = theirs.editor_id;
    let editor = with_db(state, move |conn| Ok(users::find(conn, editor_id)?)).await?;
    page.base_revision = theirs.id.into();
    let mine = page.body.clone();
    page.conflict = Some(
        crate::web::off_executor(move || {
            ConflictView::new(
                editor.as_ref().map(UserRef::from),
                theirs.created_at,
                theirs.title.as_deref().unwrap_or(""),
                &theirs.body_md,
                &mine,
            )
        })
        .await?,
    );
    edit_again(state, visitor, StatusCode::CONFLICT, &page)
}

/// POST /questions/{id}/edit: cheap checks, the edit limit, then rendering
/// and a save that is refused when someone saved since the form was opened.
pub async fn post_edit_question(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
    path: web::Path<QuestionId>,
    form: CsrfForm<EditForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let checked = questions::check_question(&form.title, &form.body, &form.tags);
    let mut page = EditPage::from_form(
        PostKind::Question,
        id.into(),
        paths::question_short(id),
        form.into_inner(),
    );
    let fields = match checked {
        Ok(fields) => fields,
        Err(errors) => {
            page.errors = errors;
            return edit_again(&state, &visitor, StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if let Err(e) = admit(&state, Limited::Edit, &user).await {
        return edit_limited(&state, &visitor, page, &e);
    }
    let draft = crate::web::off_executor(move || fields.render()).await?;
    let (who, note, base) = (
        user.actor(),
        page.note.clone(),
        RevisionId(page.base_revision),
    );
    let outcome = with_db(&state, move |conn| {
        questions::edit_question(conn, who, id, &draft, &note, base, unix_now())
    })
    .await?;
    match outcome {
        EditOutcome::Saved(path) => {
            state.indexer.notify();
            Ok(see_other(&path))
        }
        EditOutcome::Conflict(theirs) => edit_conflict(&state, &visitor, page, *theirs).await,
    }
}

/// GET /answers/{id}/edit
pub async fn get_edit_answer(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
    path: web::Path<AnswerId>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let staff = sees_hidden(Some(&user.actor()));
    let (answer, q, base_revision) = with_db(&state, move |conn| {
        let (answer, q) = visible_answer(conn, id, staff)?;
        let base = revisions::latest_id(conn, PostKind::Answer, id.into())?;
        Ok((answer, q, base))
    })
    .await?;
    may_open_editor(&user, answer.author_id, q.locked)?;
    let page = EditPage {
        kind: PostKind::Answer.as_str(),
        action: paths::answer_edit(id),
        cancel_url: paths::answer_on(&q.path(), id),
        history_url: paths::post_revisions(PostKind::Answer, id.into()),
        title: q.title.clone(),
        body: answer.body_md.clone(),
        base_revision: base_revision.into(),
        ..Default::default()
    };
    render(&state, &visitor, "questions/edit.html", &page)
}

/// POST /answers/{id}/edit: as [`post_edit_question`].
pub async fn post_edit_answer(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
    path: web::Path<AnswerId>,
    form: CsrfForm<EditForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let checked = questions::check_body(&form.body);
    let mut page = EditPage::from_form(
        PostKind::Answer,
        id.into(),
        String::new(),
        form.into_inner(),
    );
    if let Err(e) = checked {
        page.errors = vec![e];
        page.cancel_url = answer_url(&state, id).await?;
        return edit_again(&state, &visitor, StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if let Err(e) = admit(&state, Limited::Edit, &user).await {
        page.cancel_url = answer_url(&state, id).await?;
        return edit_limited(&state, &visitor, page, &e);
    }
    let body = page.body.clone();
    let rendered =
        crate::web::off_executor(move || crate::markdown::render_post(body.trim())).await?;
    let (who, body, note, base) = (
        user.actor(),
        page.body.clone(),
        page.note.clone(),
        RevisionId(page.base_revision),
    );
    let outcome = with_db(&state, move |conn| {
        let edit = questions::AnswerEdit {
            body: &body,
            rendered: &rendered,
            note: &note,
            base_revision: base,
        };
        questions::edit_answer(conn, who, id, &edit, unix_now())
    })
    .await?;
    match outcome {
        EditOutcome::Saved(back) => {
            state.indexer.notify();
            Ok(see_other(&back))
        }
        EditOutcome::Conflict(theirs) => {
            page.cancel_url = answer_url(&state, id).await?;
            edit_conflict(&state, &visitor, page, *theirs).await
        }
    }
}

/// Where an answer is shown (for links back from its editor).
async fn answer_url(state: &web::Data<AppState>, id: AnswerId) -> AppResult<String> {
    with_db(state, move |conn| {
        let Some(answer) = answers::find(conn, id)? else {
            return Ok(paths::QUESTIONS.to_string());
        };
        Ok(question_rows::find(conn, answer.question_id)?.map_or_else(
            || paths::QUESTIONS.to_string(),
            |q| paths::answer_on(&q.path(), id),
        ))
    })
    .await
}

crate::csrf_form!(EditForm);
