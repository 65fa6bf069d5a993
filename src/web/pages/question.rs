//! The question page and what members do on it: answer, vote, accept,
//! edit (with revisions).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::policy::{self, allows, sees_hidden, Action, Target};
use crate::auth::rate_limit::Limited;
use crate::auth::tokens;
use crate::db::models::answers::Answer;
use crate::db::models::questions::Question;
use crate::db::models::revisions::{self, HistoryCursor, HistoryPage, Revision};
use crate::db::models::{answers, articles, questions as question_rows, users, votes};
use crate::db::{unix_now, Conn};
use crate::diff::{line_diff, DiffLine};
use crate::error::{AppError, AppResult};
use crate::service::questions::{self, EditOutcome, CLOSE_REASONS, FLAG_REASONS};
use crate::web::extract::{CsrfForm, Member};
use crate::web::pages::ask::with_retry_after;
use crate::web::paths;
use crate::web::session::{admit, CurrentUser, Viewer};
use crate::web::templates::{format_day, format_iso_day, format_rfc3339};
use crate::web::views::{ConflictView, TagLink, UserRef};
use crate::web::{param, query_params, render, render_status, see_other, with_db};

#[derive(Debug, Serialize)]
struct PostView {
    id: i32,
    body_html: String,
    score: i32,
    my_vote: i32,
    author: Option<UserRef>,
    created: String,
    created_iso: String,
    edited: Option<String>,
    can_edit: bool,
    can_vote: bool,
    is_accepted: bool,
    deleted: bool,
    edit_url: String,
    history_url: String,
    vote_url: String,
    moderate_url: String,
}

impl PostView {
    /// The links of the post `id` of `kind` ("question" or "answer").
    fn links(kind: &str, id: i32) -> [String; 4] {
        [
            paths::post_edit(kind, id),
            paths::post_revisions(kind, id),
            paths::post_vote(kind, id),
            paths::post_moderate(kind, id),
        ]
    }
}

#[derive(Debug, Serialize)]
struct Accepted {
    by_staff: bool,
    by: Option<UserRef>,
    on: String,
}

#[derive(Debug, Serialize)]
struct Closed {
    reason: &'static str,
    duplicate_url: Option<String>,
    duplicate_title: Option<String>,
    by: Option<UserRef>,
    on: String,
}

#[derive(Debug, Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

#[derive(Debug, Serialize)]
struct QuestionPage {
    id: i32,
    title: String,
    url: String,
    tags: Vec<TagLink>,
    question: PostView,
    answers: Vec<PostView>,
    accepted: Option<Accepted>,
    closed: Option<Closed>,
    locked: bool,
    pinned: bool,
    deleted: bool,
    can_accept: bool,
    can_answer: bool,
    signed_in: bool,
    is_staff: bool,
    article_url: Option<String>,
    promote_url: Option<String>,
    answer_body: String,
    answer_errors: Vec<String>,
    submit_key: String,
    login_url: String,
    close_reasons: Vec<Choice>,
    flag_reasons: Vec<Choice>,
    json_ld: String,
    answers_url: String,
    accept_url: String,
    unaccept_url: String,
}

fn choices(list: &'static [(&'static str, &'static str)]) -> Vec<Choice> {
    list.iter()
        .map(|(value, label)| Choice { value, label })
        .collect()
}

/// Everything the page needs from the database.
struct Loaded {
    question: Question,
    answers: Vec<Answer>,
    users: Vec<users::User>,
    my_votes: Vec<(String, i32, i32)>,
    duplicate: Option<Question>,
    article_url: Option<String>,
}

async fn load(
    state: &web::Data<AppState>,
    id: i32,
    viewer: Option<&CurrentUser>,
) -> AppResult<Loaded> {
    let is_staff = sees_hidden(viewer.map(CurrentUser::actor).as_ref());
    let viewer_id = viewer.map(|u| u.id);
    with_db(state, move |conn| {
        let question = questions::visible_question(conn, id, is_staff)?;
        let answers = answers::for_question(conn, id, is_staff)?;
        let mut ids: Vec<i32> = answers.iter().map(|a| a.author_id).collect();
        ids.push(question.author_id);
        ids.extend(question.accepted_by);
        ids.extend(question.closed_by);
        let users = users::find_many(conn, &ids)?;
        let mut my_votes = Vec::new();
        if let Some(me) = viewer_id {
            for (post, value) in votes::for_posts(conn, me, "question", &[id])? {
                my_votes.push(("question".to_string(), post, value));
            }
            let answer_ids: Vec<i32> = answers.iter().map(|a| a.id).collect();
            for (post, value) in votes::for_posts(conn, me, "answer", &answer_ids)? {
                my_votes.push(("answer".to_string(), post, value));
            }
        }
        let duplicate = match question.duplicate_of {
            Some(d) => question_rows::find(conn, d)?.filter(|q| q.deleted_at.is_none()),
            None => None,
        };
        let article_url = match question.article_id {
            Some(a) => articles::find_with_manual(conn, a)?
                .filter(|x| x.article.is_published() || is_staff)
                .map(|x| paths::article(&x.manual_slug, &x.article.slug)),
            None => None,
        };
        Ok(Loaded {
            question,
            answers,
            users,
            my_votes,
            duplicate,
            article_url,
        })
    })
    .await
}

fn user_ref(users: &[users::User], id: i32) -> Option<UserRef> {
    users.iter().find(|u| u.id == id).map(UserRef::from)
}

fn build_page(
    loaded: &Loaded,
    viewer: Option<&CurrentUser>,
    answer_body: String,
    answer_errors: Vec<String>,
) -> AppResult<QuestionPage> {
    let q = &loaded.question;
    let actor = viewer.map(CurrentUser::actor);
    let actor = actor.as_ref();
    let on_question = Target::post(q.author_id, q.locked);
    let is_staff = allows(actor, Action::Moderate, &Target::Site);
    let my_vote = |kind: &str, id: i32| {
        loaded
            .my_votes
            .iter()
            .find(|(k, p, _)| k == kind && *p == id)
            .map(|(_, _, v)| *v)
            .unwrap_or(0)
    };
    let can_edit = |author: i32| allows(actor, Action::EditPost, &Target::post(author, q.locked));
    let can_vote = |author: i32| allows(actor, Action::Vote, &Target::post(author, q.locked));
    let edited = |created: i64, updated: i64| (updated > created + 60).then(|| format_day(updated));
    let [edit_url, history_url, vote_url, moderate_url] = PostView::links("question", q.id);
    let question = PostView {
        id: q.id,
        body_html: q.body_html.clone(),
        score: q.score,
        my_vote: my_vote("question", q.id),
        author: user_ref(&loaded.users, q.author_id),
        created: format_day(q.created_at),
        created_iso: format_iso_day(q.created_at),
        edited: edited(q.created_at, q.updated_at),
        can_edit: can_edit(q.author_id),
        can_vote: can_vote(q.author_id),
        is_accepted: false,
        deleted: q.deleted_at.is_some(),
        edit_url,
        history_url,
        vote_url,
        moderate_url,
    };
    // Accepted answer first, then by score (the query already sorts by score).
    let mut ordered: Vec<&Answer> = loaded.answers.iter().collect();
    ordered.sort_by_key(|a| (Some(a.id) != q.accepted_answer_id, a.deleted_at.is_some()));
    let answers = ordered
        .into_iter()
        .map(|a| {
            let [edit_url, history_url, vote_url, moderate_url] = PostView::links("answer", a.id);
            PostView {
                id: a.id,
                body_html: a.body_html.clone(),
                score: a.score,
                my_vote: my_vote("answer", a.id),
                author: user_ref(&loaded.users, a.author_id),
                created: format_day(a.created_at),
                created_iso: format_iso_day(a.created_at),
                edited: edited(a.created_at, a.updated_at),
                can_edit: can_edit(a.author_id),
                can_vote: can_vote(a.author_id),
                is_accepted: Some(a.id) == q.accepted_answer_id,
                deleted: a.deleted_at.is_some(),
                edit_url,
                history_url,
                vote_url,
                moderate_url,
            }
        })
        .collect();
    let accepted = match (q.accepted_answer_id, q.accepted_by, q.accepted_at) {
        (Some(_), Some(by), Some(at)) => Some(Accepted {
            by_staff: by != q.author_id,
            by: user_ref(&loaded.users, by),
            on: format_day(at),
        }),
        _ => None,
    };
    let closed = q.closed_reason.as_deref().map(|reason| Closed {
        reason: CLOSE_REASONS
            .iter()
            .find(|(r, _)| *r == reason)
            .map(|(_, l)| *l)
            .unwrap_or("Closed"),
        duplicate_url: loaded.duplicate.as_ref().map(Question::path),
        duplicate_title: loaded.duplicate.as_ref().map(|d| d.title.clone()),
        by: q.closed_by.and_then(|b| user_ref(&loaded.users, b)),
        on: q.closed_at.map(format_day).unwrap_or_default(),
    });
    let can_answer = allows(
        actor,
        Action::Answer,
        &Target::Post(policy::PostFacts {
            author: q.author_id,
            locked: q.locked,
            deleted: q.deleted_at.is_some(),
        }),
    );
    Ok(QuestionPage {
        id: q.id,
        title: q.title.clone(),
        url: q.path(),
        tags: q.tag_list().iter().map(|t| TagLink::new(t)).collect(),
        json_ld: json_ld(loaded)?,
        question,
        answers,
        accepted,
        closed,
        locked: q.locked,
        pinned: q.pinned,
        deleted: q.deleted_at.is_some(),
        can_accept: allows(actor, Action::Accept, &on_question),
        can_answer,
        signed_in: viewer.is_some(),
        is_staff,
        article_url: loaded.article_url.clone(),
        promote_url: (allows(actor, Action::CurateArticles, &Target::Site)
            && q.accepted_answer_id.is_some()
            && q.article_id.is_none())
        .then(|| paths::new_article_from_question(q.id)),
        answer_body,
        answer_errors,
        submit_key: tokens::random_token().map_err(AppError::internal)?,
        login_url: paths::login_url(&q.path()),
        answers_url: paths::question_answers(q.id),
        accept_url: paths::question_accept(q.id),
        unaccept_url: paths::question_unaccept(q.id),
        close_reasons: choices(CLOSE_REASONS),
        flag_reasons: choices(FLAG_REASONS),
    })
}

/// schema.org `QAPage` structured data, escaped for a `<script>` data block.
fn json_ld(loaded: &Loaded) -> AppResult<String> {
    let q = &loaded.question;
    let name = |id: i32| {
        loaded
            .users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    let answer = |a: &Answer| {
        serde_json::json!({
            "@type": "Answer",
            "text": a.body_text,
            "upvoteCount": a.score,
            "dateCreated": format_rfc3339(a.created_at),
            "url": paths::answer_on(&q.path(), a.id),
            "author": {"@type": "Person", "name": name(a.author_id)},
        })
    };
    let visible: Vec<&Answer> = loaded
        .answers
        .iter()
        .filter(|a| a.deleted_at.is_none())
        .collect();
    let accepted: Vec<serde_json::Value> = visible
        .iter()
        .filter(|a| Some(a.id) == q.accepted_answer_id)
        .map(|a| answer(a))
        .collect();
    let suggested: Vec<serde_json::Value> = visible
        .iter()
        .filter(|a| Some(a.id) != q.accepted_answer_id)
        .map(|a| answer(a))
        .collect();
    let mut main = serde_json::json!({
        "@type": "Question",
        "name": q.title,
        "text": q.body_text,
        "answerCount": visible.len(),
        "upvoteCount": q.score,
        "dateCreated": format_rfc3339(q.created_at),
        "author": {"@type": "Person", "name": name(q.author_id)},
    });
    if let Some(a) = accepted.into_iter().next() {
        main["acceptedAnswer"] = a;
    }
    if !suggested.is_empty() {
        main["suggestedAnswer"] = serde_json::Value::Array(suggested);
    }
    let doc = serde_json::json!({"@context": "https://schema.org", "@type": "QAPage", "mainEntity": main});
    let text = serde_json::to_string(&doc).map_err(AppError::internal)?;
    // Inside <script>, "</" and "<!--" must not appear literally.
    Ok(text
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026"))
}

/// GET /questions/{id}: redirects to the canonical URL.
pub async fn get_question_short(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path.into_inner())?;
    let is_staff = visitor.sees_hidden();
    let question = with_db(&state, move |conn| {
        questions::visible_question(conn, id, is_staff)
    })
    .await?;
    Ok(HttpResponse::MovedPermanently()
        .insert_header(("Location", question.path()))
        .finish())
}

fn parse_id(text: &str) -> AppResult<i32> {
    text.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::NotFound("There is no such question.".into()))
}

/// GET /questions/{id}/{slug}: wrong or old slugs redirect to the canonical one.
pub async fn get_question(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, slug) = path.into_inner();
    let id = parse_id(&id)?;
    let loaded = load(&state, id, visitor.user.as_ref()).await?;
    if loaded.question.slug != slug {
        return Ok(HttpResponse::MovedPermanently()
            .insert_header(("Location", loaded.question.path()))
            .finish());
    }
    let page = build_page(&loaded, visitor.user.as_ref(), String::new(), Vec::new())?;
    render(&state, &visitor, "questions/show.html", &page)
}

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
    path: web::Path<i32>,
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
    if let Err(e) = admit(&state, Limited::Answer, &user) {
        let response = shown_again(vec![e.public_message()], StatusCode::TOO_MANY_REQUESTS).await?;
        return Ok(with_retry_after(response, &e));
    }
    let body_text = form.body.clone();
    let rendered =
        crate::web::off_executor(move || crate::markdown::render_post(body_text.trim())).await?;
    let body = form.body.clone();
    let who = user.actor();
    let result = with_db(&state, move |conn| {
        let answer =
            questions::answer(conn, id, who, &body, &rendered, key.as_deref(), unix_now())?;
        let q = question_rows::find(conn, id)?
            .ok_or_else(|| AppError::NotFound("No such question.".into()))?;
        Ok((answer, q))
    })
    .await;
    match result {
        Ok((answer, q)) => {
            state.indexer.notify();
            Ok(see_other(&paths::answer_on(&q.path(), answer.id)))
        }
        Err(AppError::Conflict(message)) => shown_again(vec![message], StatusCode::CONFLICT).await,
        Err(e) => Err(e),
    }
}

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
    kind: &'static str,
    id: i32,
    form: VoteForm,
) -> AppResult<HttpResponse> {
    let value = match form.value.as_str() {
        "up" => 1,
        "down" => -1,
        "none" => 0,
        _ => return Err(AppError::BadRequest("A vote is up, down or none.".into())),
    };
    admit(&state, Limited::Vote, &user)?;
    let who = user.actor();
    let back = with_db(&state, move |conn| {
        questions::vote(conn, who, kind, id, value, unix_now())?;
        let question_id = if kind == "answer" {
            answers::find(conn, id)?
                .map(|a| a.question_id)
                .unwrap_or(id)
        } else {
            id
        };
        let q = question_rows::find(conn, question_id)?
            .ok_or_else(|| AppError::NotFound("No such question.".into()))?;
        Ok(if kind == "answer" {
            paths::answer_on(&q.path(), id)
        } else {
            q.path()
        })
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&back))
}

/// POST /questions/{id}/vote
pub async fn post_question_vote(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    path: web::Path<i32>,
    form: CsrfForm<VoteForm>,
) -> AppResult<HttpResponse> {
    vote(
        state,
        user,
        "question",
        path.into_inner(),
        form.into_inner(),
    )
    .await
}

/// POST /answers/{id}/vote
pub async fn post_answer_vote(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    path: web::Path<i32>,
    form: CsrfForm<VoteForm>,
) -> AppResult<HttpResponse> {
    vote(state, user, "answer", path.into_inner(), form.into_inner()).await
}

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
        questions::accept(conn, who, id, answer_id, unix_now())?;
        Ok(question_rows::find(conn, id)?
            .map(|q| paths::answer_on(&q.path(), answer_id))
            .unwrap_or_default())
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
        questions::unaccept(conn, who, id, unix_now())?;
        Ok(question_rows::find(conn, id)?
            .map(|q| q.path())
            .unwrap_or_default())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&back))
}

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
fn may_open_editor(user: &CurrentUser, author: i32, locked: bool) -> AppResult<()> {
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
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let staff = sees_hidden(Some(&user.actor()));
    let (q, base_revision) = with_db(&state, move |conn| {
        let q = questions::visible_question(conn, id, staff)?;
        let base = revisions::latest_id(conn, "question", id)?;
        Ok((q, base))
    })
    .await?;
    may_open_editor(&user, q.author_id, q.locked)?;
    let page = EditPage {
        kind: "question",
        action: paths::question_edit(id),
        cancel_url: q.path(),
        history_url: paths::post_revisions("question", id),
        title: q.title.clone(),
        body: q.body_md.clone(),
        tags: q.tag_list().join(", "),
        base_revision,
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
    fn from_form(kind: &'static str, id: i32, cancel_url: String, form: EditForm) -> Self {
        EditPage {
            kind,
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
    page.base_revision = theirs.id;
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
    path: web::Path<i32>,
    form: CsrfForm<EditForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let checked = questions::check_question(&form.title, &form.body, &form.tags);
    let mut page =
        EditPage::from_form("question", id, paths::question_short(id), form.into_inner());
    let fields = match checked {
        Ok(fields) => fields,
        Err(errors) => {
            page.errors = errors;
            return edit_again(&state, &visitor, StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if let Err(e) = admit(&state, Limited::Edit, &user) {
        return edit_limited(&state, &visitor, page, &e);
    }
    let draft = crate::web::off_executor(move || fields.render()).await?;
    let (who, note, base) = (user.actor(), page.note.clone(), page.base_revision);
    let outcome = with_db(&state, move |conn| {
        let outcome = questions::edit_question(conn, who, id, &draft, &note, base, unix_now())?;
        let path = question_rows::find(conn, id)?
            .map(|q| q.path())
            .unwrap_or_default();
        Ok((outcome, path))
    })
    .await?;
    match outcome {
        (EditOutcome::Saved(_), path) => {
            state.indexer.notify();
            Ok(see_other(&path))
        }
        (EditOutcome::Conflict(theirs), _) => edit_conflict(&state, &visitor, page, *theirs).await,
    }
}

/// GET /answers/{id}/edit
pub async fn get_edit_answer(
    state: web::Data<AppState>,
    Member {
        viewer: visitor,
        user,
    }: Member,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let staff = sees_hidden(Some(&user.actor()));
    let (answer, q, base_revision) = with_db(&state, move |conn| {
        let (answer, q) = visible_answer(conn, id, staff)?;
        let base = revisions::latest_id(conn, "answer", id)?;
        Ok((answer, q, base))
    })
    .await?;
    may_open_editor(&user, answer.author_id, q.locked)?;
    let page = EditPage {
        kind: "answer",
        action: paths::answer_edit(id),
        cancel_url: paths::answer_on(&q.path(), id),
        history_url: paths::post_revisions("answer", id),
        title: q.title.clone(),
        body: answer.body_md.clone(),
        base_revision,
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
    path: web::Path<i32>,
    form: CsrfForm<EditForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let checked = questions::check_body(&form.body);
    let mut page = EditPage::from_form("answer", id, String::new(), form.into_inner());
    if let Err(e) = checked {
        page.errors = vec![e];
        page.cancel_url = answer_url(&state, id).await?;
        return edit_again(&state, &visitor, StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if let Err(e) = admit(&state, Limited::Edit, &user) {
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
        page.base_revision,
    );
    let outcome = with_db(&state, move |conn| {
        let outcome =
            questions::edit_answer(conn, who, id, &body, &rendered, &note, base, unix_now())?;
        let back = match &outcome {
            EditOutcome::Saved(question_id) => question_rows::find(conn, *question_id)?
                .map(|q| paths::answer_on(&q.path(), id))
                .unwrap_or_default(),
            EditOutcome::Conflict(_) => String::new(),
        };
        Ok((outcome, back))
    })
    .await?;
    match outcome {
        (EditOutcome::Saved(_), back) => {
            state.indexer.notify();
            Ok(see_other(&back))
        }
        (EditOutcome::Conflict(theirs), _) => {
            page.cancel_url = answer_url(&state, id).await?;
            edit_conflict(&state, &visitor, page, *theirs).await
        }
    }
}

/// Where an answer is shown (for links back from its editor).
async fn answer_url(state: &web::Data<AppState>, id: i32) -> AppResult<String> {
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

/// Revisions shown per history page.
const REVISIONS_PER_PAGE: i64 = 20;
/// Text (old plus new, bytes) diffed per history page; revisions beyond it
/// link to their full text instead.
const DIFF_BUDGET_BYTES: usize = 120_000;
/// Lines (old plus new) diffed per history page.
const DIFF_BUDGET_LINES: usize = 3_000;

#[derive(Debug, Serialize)]
struct RevisionView {
    number: i64,
    editor: Option<UserRef>,
    when: String,
    note: String,
    title_change: Option<(String, String)>,
    tags_change: Option<(String, String)>,
    diff: Vec<DiffLine>,
    /// Over the page's diff budget: no diff, a link to the full text.
    too_large: bool,
    view_url: String,
}

#[derive(Debug, Serialize)]
struct RevisionsPage {
    heading: String,
    back_url: String,
    revisions: Vec<RevisionView>,
    newer_url: Option<String>,
    older_url: Option<String>,
    newest_url: Option<String>,
}

/// What the diff budget of a page still allows.
struct DiffBudget {
    bytes: usize,
    lines: usize,
}

impl DiffBudget {
    /// Spends the cost of diffing `old` against `new`; `false` (nothing
    /// spent) when it does not fit.
    fn spend(&mut self, old: &str, new: &str) -> bool {
        let bytes = old.len() + new.len();
        let lines = old.lines().count() + new.lines().count();
        if bytes > self.bytes || lines > self.lines {
            return false;
        }
        self.bytes -= bytes;
        self.lines -= lines;
        true
    }
}

/// Where a history page starts: `?before=ID` (older), `?after=ID` (newer),
/// else the newest page.
pub fn history_cursor(req: &HttpRequest) -> HistoryCursor {
    let params = query_params(req.query_string());
    let id = |key: &str| {
        param(&params, key)
            .and_then(|v| v.parse::<i32>().ok())
            .filter(|id| *id > 0)
    };
    match (id("before"), id("after")) {
        (Some(before), _) => HistoryCursor::Before(before),
        (None, Some(after)) => HistoryCursor::After(after),
        (None, None) => HistoryCursor::Newest,
    }
}

/// A page of a post's history and the editors named on it.
fn load_history(
    conn: &mut Conn,
    kind: &str,
    post_id: i32,
    cursor: HistoryCursor,
) -> AppResult<(HistoryPage, Vec<users::User>)> {
    let history = revisions::history_page(conn, kind, post_id, cursor, REVISIONS_PER_PAGE)?;
    let editors: Vec<i32> = history.rows.iter().map(|r| r.editor_id).collect();
    let users = users::find_many(conn, &editors)?;
    Ok((history, users))
}

/// The history page's view: diffs newest first while the budget lasts (CPU
/// work: call it on the blocking pool).
fn revisions_page(
    heading: String,
    back_url: String,
    history_url: &str,
    cursor: HistoryCursor,
    history: &HistoryPage,
    users: &[users::User],
) -> RevisionsPage {
    let mut budget = DiffBudget {
        bytes: DIFF_BUDGET_BYTES,
        lines: DIFF_BUDGET_LINES,
    };
    let rows = &history.rows;
    let mut revisions = Vec::with_capacity(rows.len());
    for (i, rev) in rows.iter().enumerate() {
        let previous = rows.get(i + 1).or(history.previous.as_ref());
        let changed = |old: Option<&String>, new: Option<&String>| match (old, new) {
            (Some(o), Some(n)) if o != n => Some((o.clone(), n.clone())),
            _ => None,
        };
        let old_body = previous.map(|p| p.body_md.as_str()).unwrap_or("");
        let fits = budget.spend(old_body, &rev.body_md);
        revisions.push(RevisionView {
            number: history.first_number - i as i64,
            editor: user_ref(users, rev.editor_id),
            when: format_day(rev.created_at),
            note: rev.note.clone(),
            title_change: changed(previous.and_then(|p| p.title.as_ref()), rev.title.as_ref()),
            tags_change: changed(previous.and_then(|p| p.tags.as_ref()), rev.tags.as_ref()),
            diff: if fits {
                line_diff(old_body, &rev.body_md)
            } else {
                Vec::new()
            },
            too_large: !fits,
            view_url: paths::revision(history_url, rev.id),
        });
    }
    RevisionsPage {
        heading,
        back_url,
        revisions,
        newer_url: match rows.first() {
            Some(first) if history.has_newer => Some(paths::history_after(history_url, first.id)),
            _ => None,
        },
        older_url: match (rows.last(), &history.previous) {
            (Some(last), Some(_)) => Some(paths::history_before(history_url, last.id)),
            _ => None,
        },
        newest_url: (cursor != HistoryCursor::Newest).then(|| history_url.to_string()),
    }
}

/// The answer `id` if the viewer may see it, with its question.
fn visible_answer(conn: &mut Conn, id: i32, staff: bool) -> AppResult<(Answer, Question)> {
    let answer = answers::find(conn, id)?
        .filter(|a| a.deleted_at.is_none() || staff)
        .ok_or_else(|| AppError::NotFound("There is no such answer.".into()))?;
    let q = questions::visible_question(conn, answer.question_id, staff)?;
    Ok((answer, q))
}

/// The post a history belongs to (visible to the viewer, or 404): how to
/// name it in headings, and its link.
fn history_owner(conn: &mut Conn, kind: &str, id: i32, staff: bool) -> AppResult<(String, String)> {
    if kind == "question" {
        let q = questions::visible_question(conn, id, staff)?;
        Ok((format!("\u{201c}{}\u{201d}", q.title), q.path()))
    } else {
        let (_, q) = visible_answer(conn, id, staff)?;
        Ok((
            format!("an answer to \u{201c}{}\u{201d}", q.title),
            paths::answer_on(&q.path(), id),
        ))
    }
}

/// A history page of the question or answer `id`.
async fn history(
    state: web::Data<AppState>,
    visitor: Viewer,
    kind: &'static str,
    id: i32,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let staff = visitor.sees_hidden();
    let cursor = history_cursor(&req);
    let (owner, back_url, history, users) = with_db(&state, move |conn| {
        let (owner, back_url) = history_owner(conn, kind, id, staff)?;
        let (history, users) = load_history(conn, kind, id, cursor)?;
        Ok((owner, back_url, history, users))
    })
    .await?;
    let history_url = paths::post_revisions(kind, id);
    let heading = format!("Revisions of {owner}");
    let page = crate::web::off_executor(move || {
        revisions_page(heading, back_url, &history_url, cursor, &history, &users)
    })
    .await?;
    render(&state, &visitor, "questions/revisions.html", &page)
}

/// GET /questions/{id}/revisions?before=…|after=…: who changed what, newest
/// first, with diffs, a page at a time.
pub async fn get_question_revisions(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<i32>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    history(state, visitor, "question", path.into_inner(), req).await
}

/// GET /answers/{id}/revisions?before=…|after=…
pub async fn get_answer_revisions(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<i32>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    history(state, visitor, "answer", path.into_inner(), req).await
}

#[derive(Debug, Serialize)]
struct RevisionTextPage {
    heading: String,
    history_url: String,
    editor: Option<UserRef>,
    when: String,
    note: String,
    title: Option<String>,
    tags: Option<String>,
    body: String,
}

/// One revision's full text (markdown source) of the question or answer
/// `id`, for revisions too large to diff on the history page.
async fn revision_text(
    state: web::Data<AppState>,
    visitor: Viewer,
    kind: &'static str,
    (id, rev): (i32, i32),
) -> AppResult<HttpResponse> {
    let staff = visitor.sees_hidden();
    let (owner, rev, editor) = with_db(&state, move |conn| {
        let (owner, _) = history_owner(conn, kind, id, staff)?;
        let rev = revisions::find(conn, kind, id, rev)?
            .ok_or_else(|| AppError::NotFound("There is no such revision.".into()))?;
        let editor = users::find(conn, rev.editor_id)?;
        Ok((owner, rev, editor))
    })
    .await?;
    let page = RevisionTextPage {
        heading: format!("A revision of {owner}"),
        history_url: paths::post_revisions(kind, id),
        editor: editor.as_ref().map(UserRef::from),
        when: format_day(rev.created_at),
        note: rev.note,
        title: rev.title,
        tags: rev.tags,
        body: rev.body_md,
    };
    render(&state, &visitor, "questions/revision.html", &page)
}

/// GET /questions/{id}/revisions/{rev}
pub async fn get_question_revision(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<(i32, i32)>,
) -> AppResult<HttpResponse> {
    revision_text(state, visitor, "question", path.into_inner()).await
}

/// GET /answers/{id}/revisions/{rev}
pub async fn get_answer_revision(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<(i32, i32)>,
) -> AppResult<HttpResponse> {
    revision_text(state, visitor, "answer", path.into_inner()).await
}

crate::csrf_form!(VoteForm, AcceptForm, AnswerForm, EditForm);
