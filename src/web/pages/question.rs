//! The question page and what members do on it: answer, vote, accept,
//! edit (with revisions).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::rate_limit::rules;
use crate::auth::tokens;
use crate::db::models::answers::Answer;
use crate::db::models::questions::Question;
use crate::db::models::revisions::{self, Revision};
use crate::db::models::{answers, articles, questions as question_rows, users, votes};
use crate::db::unix_now;
use crate::diff::{line_diff, DiffLine};
use crate::error::{AppError, AppResult};
use crate::service::questions::{self, Actor, CLOSE_REASONS, FLAG_REASONS};
use crate::web::pages::ask::check_post_limit;
use crate::web::session::{CurrentUser, Visitor};
use crate::web::templates::{format_day, format_iso_day, format_rfc3339};
use crate::web::views::{TagLink, UserRef};
use crate::web::{render, render_status, see_other, with_db};

fn actor(user: &CurrentUser) -> Actor {
    Actor {
        id: user.id,
        role: user.role,
    }
}

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
    let is_staff = viewer.is_some_and(|u| u.role.is_staff());
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
                .map(|x| format!("/docs/{}/{}", x.manual_slug, x.article.slug)),
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
    let is_staff = viewer.is_some_and(|u| u.role.is_staff());
    let my_vote = |kind: &str, id: i32| {
        loaded
            .my_votes
            .iter()
            .find(|(k, p, _)| k == kind && *p == id)
            .map(|(_, _, v)| *v)
            .unwrap_or(0)
    };
    let can_edit =
        |author: i32| viewer.is_some_and(|u| u.role.is_staff() || (u.id == author && !q.locked));
    let can_vote = |author: i32| viewer.is_some_and(|u| u.id != author);
    let edited = |created: i64, updated: i64| (updated > created + 60).then(|| format_day(updated));
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
    };
    // Accepted answer first, then by score (the query already sorts by score).
    let mut ordered: Vec<&Answer> = loaded.answers.iter().collect();
    ordered.sort_by_key(|a| (Some(a.id) != q.accepted_answer_id, a.deleted_at.is_some()));
    let answers = ordered
        .into_iter()
        .map(|a| PostView {
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
    let can_answer = viewer.is_some() && q.deleted_at.is_none() && (!q.locked || is_staff);
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
        can_accept: viewer.is_some_and(|u| u.id == q.author_id || u.role.is_staff()),
        can_answer,
        signed_in: viewer.is_some(),
        is_staff,
        article_url: loaded.article_url.clone(),
        promote_url: (is_staff && q.accepted_answer_id.is_some() && q.article_id.is_none())
            .then(|| format!("/staff/articles/new?from_question={}", q.id)),
        answer_body,
        answer_errors,
        submit_key: tokens::random_token().map_err(AppError::internal)?,
        login_url: crate::web::paths::login_url(&q.path()),
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
            "url": format!("{}#answer-{}", q.path(), a.id),
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
    visitor: Visitor,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&path.into_inner())?;
    let is_staff = visitor.user.as_ref().is_some_and(|u| u.role.is_staff());
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
    visitor: Visitor,
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

/// POST /questions/{id}/answers
pub async fn post_answer(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i32>,
    form: web::Form<AnswerForm>,
) -> AppResult<HttpResponse> {
    let user = visitor.require_user()?.clone();
    visitor.verify_csrf(&form.csrf)?;
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
    let body_text = form.body.clone();
    let rendered =
        match crate::web::off_executor(move || questions::validate_body(&body_text)).await? {
            Ok(r) => r,
            Err(e) => return shown_again(vec![e], StatusCode::UNPROCESSABLE_ENTITY).await,
        };
    if let Err(e) = check_post_limit(&state, &user, "answer", rules::ANSWER) {
        return shown_again(vec![e.public_message()], StatusCode::TOO_MANY_REQUESTS).await;
    }
    let key = (form.submit_key.len() == 64).then(|| form.submit_key.clone());
    let body = form.body.clone();
    let who = actor(&user);
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
            Ok(see_other(&format!("{}#answer-{}", q.path(), answer.id)))
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
    visitor: Visitor,
    kind: &'static str,
    id: i32,
    form: VoteForm,
) -> AppResult<HttpResponse> {
    let user = visitor.require_user()?.clone();
    visitor.verify_csrf(&form.csrf)?;
    let value = match form.value.as_str() {
        "up" => 1,
        "down" => -1,
        "none" => 0,
        _ => return Err(AppError::BadRequest("A vote is up, down or none.".into())),
    };
    check_post_limit(&state, &user, "vote", rules::VOTE)?;
    let who = actor(&user);
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
            format!("{}#answer-{id}", q.path())
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
    visitor: Visitor,
    path: web::Path<i32>,
    form: web::Form<VoteForm>,
) -> AppResult<HttpResponse> {
    vote(
        state,
        visitor,
        "question",
        path.into_inner(),
        form.into_inner(),
    )
    .await
}

/// POST /answers/{id}/vote
pub async fn post_answer_vote(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i32>,
    form: web::Form<VoteForm>,
) -> AppResult<HttpResponse> {
    vote(
        state,
        visitor,
        "answer",
        path.into_inner(),
        form.into_inner(),
    )
    .await
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
    visitor: Visitor,
    path: web::Path<i32>,
    form: web::Form<AcceptForm>,
) -> AppResult<HttpResponse> {
    let user = visitor.require_user()?.clone();
    visitor.verify_csrf(&form.csrf)?;
    let (id, answer_id, who) = (path.into_inner(), form.answer_id, actor(&user));
    let back = with_db(&state, move |conn| {
        questions::accept(conn, who, id, answer_id, unix_now())?;
        Ok(question_rows::find(conn, id)?
            .map(|q| format!("{}#answer-{answer_id}", q.path()))
            .unwrap_or_default())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&back))
}

/// POST /questions/{id}/unaccept
pub async fn post_unaccept(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i32>,
    form: web::Form<AcceptForm>,
) -> AppResult<HttpResponse> {
    let user = visitor.require_user()?.clone();
    visitor.verify_csrf(&form.csrf)?;
    let (id, who) = (path.into_inner(), actor(&user));
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
    title: String,
    body: String,
    tags: String,
    note: String,
    errors: Vec<String>,
}

/// GET /questions/{id}/edit
pub async fn get_edit_question(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let user = visitor.require_user()?.clone();
    let id = path.into_inner();
    let q = with_db(&state, move |conn| {
        questions::visible_question(conn, id, user.role.is_staff())
    })
    .await?;
    let user = visitor.require_user()?;
    if !(user.role.is_staff() || (user.id == q.author_id && !q.locked)) {
        return Err(AppError::Forbidden(
            "You can only edit your own posts (and not while the question is locked).".into(),
        ));
    }
    let page = EditPage {
        kind: "question",
        action: format!("/questions/{id}/edit"),
        cancel_url: q.path(),
        title: q.title.clone(),
        body: q.body_md.clone(),
        tags: q.tag_list().join(", "),
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
}

/// POST /questions/{id}/edit
pub async fn post_edit_question(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i32>,
    form: web::Form<EditForm>,
) -> AppResult<HttpResponse> {
    let user = visitor.require_user()?.clone();
    visitor.verify_csrf(&form.csrf)?;
    let id = path.into_inner();
    let form = form.into_inner();
    let note: String = form.note.trim().chars().take(200).collect();
    let (title, body, tags) = (form.title.clone(), form.body.clone(), form.tags.clone());
    let draft =
        match crate::web::off_executor(move || questions::validate_question(&title, &body, &tags))
            .await?
        {
            Ok(d) => d,
            Err(errors) => {
                let page = EditPage {
                    kind: "question",
                    action: format!("/questions/{id}/edit"),
                    cancel_url: format!("/questions/{id}"),
                    title: form.title,
                    body: form.body,
                    tags: form.tags,
                    note,
                    errors,
                };
                return render_status(
                    &state,
                    &visitor,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "questions/edit.html",
                    &page,
                );
            }
        };
    let who = actor(&user);
    let path = with_db(&state, move |conn| {
        questions::edit_question(conn, who, id, &draft, &note, unix_now())?;
        Ok(question_rows::find(conn, id)?
            .map(|q| q.path())
            .unwrap_or_default())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&path))
}

/// GET /answers/{id}/edit
pub async fn get_edit_answer(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let user = visitor.require_user()?.clone();
    let id = path.into_inner();
    let staff = user.role.is_staff();
    let (answer, q) = with_db(&state, move |conn| {
        let answer = answers::find(conn, id)?
            .filter(|a| a.deleted_at.is_none() || staff)
            .ok_or_else(|| AppError::NotFound("There is no such answer.".into()))?;
        let q = questions::visible_question(conn, answer.question_id, staff)?;
        Ok((answer, q))
    })
    .await?;
    if !(staff || (user.id == answer.author_id && !q.locked)) {
        return Err(AppError::Forbidden(
            "You can only edit your own posts (and not while the question is locked).".into(),
        ));
    }
    let page = EditPage {
        kind: "answer",
        action: format!("/answers/{id}/edit"),
        cancel_url: format!("{}#answer-{id}", q.path()),
        title: q.title.clone(),
        body: answer.body_md.clone(),
        ..Default::default()
    };
    render(&state, &visitor, "questions/edit.html", &page)
}

/// POST /answers/{id}/edit
pub async fn post_edit_answer(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i32>,
    form: web::Form<EditForm>,
) -> AppResult<HttpResponse> {
    let user = visitor.require_user()?.clone();
    visitor.verify_csrf(&form.csrf)?;
    let id = path.into_inner();
    let form = form.into_inner();
    let note: String = form.note.trim().chars().take(200).collect();
    let body_text = form.body.clone();
    let rendered =
        match crate::web::off_executor(move || questions::validate_body(&body_text)).await? {
            Ok(r) => r,
            Err(e) => {
                let page = EditPage {
                    kind: "answer",
                    action: format!("/answers/{id}/edit"),
                    cancel_url: format!("/answers/{id}/edit"),
                    title: form.title,
                    body: form.body,
                    note,
                    errors: vec![e],
                    ..Default::default()
                };
                return render_status(
                    &state,
                    &visitor,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "questions/edit.html",
                    &page,
                );
            }
        };
    let who = actor(&user);
    let body = form.body.clone();
    let back = with_db(&state, move |conn| {
        let question_id =
            questions::edit_answer(conn, who, id, &body, &rendered, &note, unix_now())?;
        Ok(question_rows::find(conn, question_id)?
            .map(|q| format!("{}#answer-{id}", q.path()))
            .unwrap_or_default())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&back))
}

#[derive(Debug, Serialize)]
struct RevisionView {
    number: usize,
    editor: Option<UserRef>,
    when: String,
    note: String,
    title_change: Option<(String, String)>,
    tags_change: Option<(String, String)>,
    diff: Vec<DiffLine>,
}

#[derive(Debug, Serialize)]
struct RevisionsPage {
    heading: String,
    back_url: String,
    revisions: Vec<RevisionView>,
}

fn revision_views(list: &[Revision], users: &[users::User]) -> Vec<RevisionView> {
    let mut out = Vec::with_capacity(list.len());
    for (i, rev) in list.iter().enumerate() {
        let previous = i.checked_sub(1).and_then(|p| list.get(p));
        let changed = |old: Option<&String>, new: Option<&String>| match (old, new) {
            (Some(o), Some(n)) if o != n => Some((o.clone(), n.clone())),
            _ => None,
        };
        out.push(RevisionView {
            number: i + 1,
            editor: user_ref(users, rev.editor_id),
            when: format_day(rev.created_at),
            note: rev.note.clone(),
            title_change: changed(previous.and_then(|p| p.title.as_ref()), rev.title.as_ref()),
            tags_change: changed(previous.and_then(|p| p.tags.as_ref()), rev.tags.as_ref()),
            diff: line_diff(
                previous.map(|p| p.body_md.as_str()).unwrap_or(""),
                &rev.body_md,
            ),
        });
    }
    out.reverse();
    out
}

/// GET /questions/{id}/revisions: who changed what, newest first, with diffs.
pub async fn get_question_revisions(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let staff = visitor.user.as_ref().is_some_and(|u| u.role.is_staff());
    let (q, list, users) = with_db(&state, move |conn| {
        let q = questions::visible_question(conn, id, staff)?;
        let list = revisions::for_post(conn, "question", id)?;
        let users = users::find_many(conn, &list.iter().map(|r| r.editor_id).collect::<Vec<_>>())?;
        Ok((q, list, users))
    })
    .await?;
    let page = RevisionsPage {
        heading: format!("Revisions of \u{201c}{}\u{201d}", q.title),
        back_url: q.path(),
        revisions: revision_views(&list, &users),
    };
    render(&state, &visitor, "questions/revisions.html", &page)
}

/// GET /answers/{id}/revisions
pub async fn get_answer_revisions(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let staff = visitor.user.as_ref().is_some_and(|u| u.role.is_staff());
    let (q, list, users) = with_db(&state, move |conn| {
        let answer = answers::find(conn, id)?
            .filter(|a| a.deleted_at.is_none() || staff)
            .ok_or_else(|| AppError::NotFound("There is no such answer.".into()))?;
        let q = questions::visible_question(conn, answer.question_id, staff)?;
        let list = revisions::for_post(conn, "answer", id)?;
        let users = users::find_many(conn, &list.iter().map(|r| r.editor_id).collect::<Vec<_>>())?;
        Ok((q, list, users))
    })
    .await?;
    let page = RevisionsPage {
        heading: format!("Revisions of an answer to \u{201c}{}\u{201d}", q.title),
        back_url: format!("{}#answer-{id}", q.path()),
        revisions: revision_views(&list, &users),
    };
    render(&state, &visitor, "questions/revisions.html", &page)
}
