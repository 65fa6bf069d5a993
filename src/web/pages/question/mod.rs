//! The question page and what members do on it, one file per action:
//! showing the page (here), answering, commenting, voting, accepting,
//! editing and the revision history.

mod accept;
mod answer;
mod comment;
mod edit;
mod history;
mod vote;

pub use accept::*;
pub use answer::*;
pub use comment::*;
pub use edit::*;
pub use history::*;
pub use vote::*;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::policy::{self, allows, sees_hidden, Action, Actor, Target};
use crate::auth::rate_limit::Limited;
use crate::auth::tokens;
use crate::db::models::answers::Answer;
use crate::db::models::comments::{self, Comment};
use crate::db::models::follows::{self, Followed};
use crate::db::models::questions::Question;
use crate::db::models::revisions::{self, HistoryCursor, HistoryPage, Revision};
use crate::db::models::{answers, articles, questions as question_rows, users, votes};
use crate::db::{unix_now, Conn};
use crate::diff::{line_diff, DiffLine};
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, CommentId, QuestionId, RevisionId, UserId};
use crate::kinds::PostKind;
use crate::service::known_issues::Place;
use crate::service::questions::{self, EditOutcome, CLOSE_REASONS, FLAG_REASONS};
use crate::web::extract::{CsrfForm, Member};
use crate::web::pages::ask::with_retry_after;
use crate::web::pages::known_issues;
use crate::web::paths;
use crate::web::session::{admit, CurrentUser, Viewer};
use crate::web::templates::{format_day, format_iso_day, format_rfc3339};
use crate::web::views::{ConflictView, FollowButton, IssueBanner, TagLink, UserRef};
use crate::web::{
    param, query_params, render, render_form_page, render_status, see_other, with_db,
};

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
    /// `question` or `answer-{id}`: the post's anchor, and the comment
    /// form's target.
    anchor: String,
    comments: Vec<CommentView>,
    can_comment: bool,
    comment_url: String,
    /// Sign in, coming back to this post (for guests).
    comment_login_url: String,
}

/// One comment under a post.
#[derive(Debug, Serialize)]
struct CommentView {
    id: CommentId,
    /// `comment-{id}`: its anchor, and its edit form's target.
    anchor: String,
    body_html: String,
    author: Option<UserRef>,
    created: String,
    created_iso: String,
    edited: bool,
    /// Shown to staff only, marked as deleted.
    deleted: bool,
    can_change: bool,
    can_flag: bool,
    /// The markdown for the edit form (only for those who may change it).
    body_md: String,
    edit_url: String,
    delete_url: String,
    /// Staff bring a deleted comment back here.
    restore_url: String,
}

/// The comment form that is open again after a refused submit: which one
/// (`question`, `answer-{id}` to add, `comment-{id}` to edit), the typed
/// text and what was wrong. An empty target: none.
#[derive(Debug, Default, Serialize)]
struct CommentFormView {
    target: String,
    body: String,
    errors: Vec<String>,
}

impl PostView {
    /// The links of the post `id` of `kind`.
    fn links(kind: PostKind, id: i32) -> [String; 4] {
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
    id: QuestionId,
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
    /// A guest may write an answer: it is kept while they sign in.
    guest_may_answer: bool,
    signed_in: bool,
    is_staff: bool,
    article_url: Option<String>,
    promote_url: Option<String>,
    answer_body: String,
    answer_errors: Vec<String>,
    submit_key: String,
    login_url: String,
    register_url: String,
    close_reasons: Vec<Choice>,
    flag_reasons: Vec<Choice>,
    json_ld: String,
    answers_url: String,
    accept_url: String,
    unaccept_url: String,
    /// Known issues linked to the question's tags.
    issue_banners: Vec<IssueBanner>,
    /// The known issue staff linked this question to.
    linked_issue: Option<LinkedIssue>,
    /// Staff: where the question is linked to a known issue.
    known_issue_url: Option<String>,
    follow: FollowButton,
    comment_form: CommentFormView,
    comment_max: usize,
}

/// The known issue a question is linked to.
#[derive(Debug, Serialize)]
struct LinkedIssue {
    title: String,
    url: String,
    slug: String,
    status: &'static str,
    fixed_in: String,
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
    /// Oldest first; deleted ones only for staff.
    comments: Vec<Comment>,
    users: Vec<users::User>,
    my_votes: Vec<(PostKind, i32, i32)>,
    duplicate: Option<Question>,
    article_url: Option<String>,
    issue_banners: Vec<IssueBanner>,
    linked_issue: Option<LinkedIssue>,
    /// Whether the viewer follows the question (false for guests).
    following: bool,
}

async fn load(
    state: &web::Data<AppState>,
    id: QuestionId,
    viewer: Option<&CurrentUser>,
) -> AppResult<Loaded> {
    let is_staff = sees_hidden(viewer.map(CurrentUser::actor).as_ref());
    let viewer_id = viewer.map(|u| u.id);
    let grace = state.config.known_issue_grace_days;
    with_db(state, move |conn| {
        let question = questions::visible_question(conn, id, is_staff)?;
        let tags = question.tag_list();
        let now = crate::db::unix_now();
        let issue_banners = known_issues::banners(conn, Place::Tags(&tags), grace, now)?;
        let linked_issue =
            crate::service::known_issues::issue_of_question(conn, id)?.map(|issue| LinkedIssue {
                title: issue.title.clone(),
                url: paths::known_issue(&issue.slug),
                slug: issue.slug.clone(),
                status: issue.status.label(),
                fixed_in: if issue.status == crate::kinds::IssueStatus::Fixed {
                    issue.fixed_in.clone()
                } else {
                    String::new()
                },
            });
        let answers = answers::for_question(conn, id, is_staff)?;
        let comments = comments::for_question(conn, id, is_staff)?;
        let mut ids: Vec<UserId> = answers.iter().map(|a| a.author_id).collect();
        ids.extend(comments.iter().map(|c| c.author_id));
        ids.push(question.author_id);
        ids.extend(question.accepted_by);
        ids.extend(question.closed_by);
        let users = users::find_many(conn, &ids)?;
        let mut my_votes = Vec::new();
        if let Some(me) = viewer_id {
            for (post, value) in votes::for_posts(conn, me, PostKind::Question, &[id.into()])? {
                my_votes.push((PostKind::Question, post, value));
            }
            let answer_ids: Vec<i32> = answers.iter().map(|a| a.id.into()).collect();
            for (post, value) in votes::for_posts(conn, me, PostKind::Answer, &answer_ids)? {
                my_votes.push((PostKind::Answer, post, value));
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
        let following = match viewer_id {
            Some(me) => follows::is_following(conn, me, Followed::Question(id))?,
            None => false,
        };
        Ok(Loaded {
            question,
            answers,
            comments,
            users,
            my_votes,
            duplicate,
            article_url,
            issue_banners,
            linked_issue,
            following,
        })
    })
    .await
}

fn user_ref(users: &[users::User], id: UserId) -> Option<UserRef> {
    users.iter().find(|u| u.id == id).map(UserRef::from)
}

/// What a question and an answer share, for [`post_view`].
struct PostParts<'a> {
    kind: PostKind,
    id: i32,
    body_html: &'a str,
    score: i32,
    author_id: UserId,
    created_at: i64,
    updated_at: i64,
    deleted: bool,
    is_accepted: bool,
}

impl<'a> PostParts<'a> {
    fn question(q: &'a Question) -> Self {
        PostParts {
            kind: PostKind::Question,
            id: q.id.into(),
            body_html: &q.body_html,
            score: q.score,
            author_id: q.author_id,
            created_at: q.created_at,
            updated_at: q.updated_at,
            deleted: q.deleted_at.is_some(),
            is_accepted: false,
        }
    }

    fn answer(a: &'a Answer, accepted: Option<AnswerId>) -> Self {
        PostParts {
            kind: PostKind::Answer,
            id: a.id.into(),
            body_html: &a.body_html,
            score: a.score,
            author_id: a.author_id,
            created_at: a.created_at,
            updated_at: a.updated_at,
            deleted: a.deleted_at.is_some(),
            is_accepted: Some(a.id) == accepted,
        }
    }
}

/// One post as the viewer (`actor`) sees it.
fn post_view(loaded: &Loaded, actor: Option<&Actor>, post: PostParts<'_>) -> PostView {
    let on_post = Target::post(post.author_id, loaded.question.locked);
    let my_vote = loaded
        .my_votes
        .iter()
        .find(|(k, p, _)| *k == post.kind && *p == post.id)
        .map(|(_, _, v)| *v)
        .unwrap_or(0);
    let [edit_url, history_url, vote_url, moderate_url] = PostView::links(post.kind, post.id);
    let (anchor, on_answer, comment_url) = match post.kind {
        PostKind::Question => (
            "question".to_string(),
            None,
            paths::question_comments(loaded.question.id),
        ),
        PostKind::Answer => (
            format!("answer-{}", post.id),
            Some(AnswerId(post.id)),
            paths::answer_comments(AnswerId(post.id)),
        ),
    };
    let on_thread = Target::Post(policy::PostFacts {
        author: post.author_id,
        locked: loaded.question.locked,
        deleted: loaded.question.deleted_at.is_some(),
    });
    let comments = loaded
        .comments
        .iter()
        .filter(|c| c.answer_id == on_answer)
        .map(|c| comment_view(loaded, actor, c))
        .collect();
    PostView {
        comment_login_url: paths::login_url(&format!("{}#{anchor}", loaded.question.path())),
        anchor,
        comments,
        can_comment: !post.deleted && allows(actor, Action::Comment, &on_thread),
        comment_url,
        id: post.id,
        body_html: post.body_html.to_string(),
        score: post.score,
        my_vote,
        author: user_ref(&loaded.users, post.author_id),
        created: format_day(post.created_at),
        created_iso: format_iso_day(post.created_at),
        edited: (post.updated_at > post.created_at + 60).then(|| format_day(post.updated_at)),
        can_edit: allows(actor, Action::EditPost, &on_post),
        can_vote: allows(actor, Action::Vote, &on_post),
        is_accepted: post.is_accepted,
        deleted: post.deleted,
        edit_url,
        history_url,
        vote_url,
        moderate_url,
    }
}

/// One comment as the viewer (`actor`) sees it.
fn comment_view(loaded: &Loaded, actor: Option<&Actor>, c: &Comment) -> CommentView {
    let on_comment = Target::post(c.author_id, loaded.question.locked);
    let can_change = c.deleted_at.is_none() && allows(actor, Action::ChangeComment, &on_comment);
    CommentView {
        id: c.id,
        anchor: format!("comment-{}", c.id),
        body_html: c.body_html.clone(),
        author: user_ref(&loaded.users, c.author_id),
        created: format_day(c.created_at),
        created_iso: format_iso_day(c.created_at),
        edited: c.edited_at.is_some(),
        deleted: c.deleted_at.is_some(),
        can_change,
        can_flag: actor.is_some_and(|a| a.id != c.author_id) && c.deleted_at.is_none(),
        body_md: if can_change {
            c.body_md.clone()
        } else {
            String::new()
        },
        edit_url: paths::comment_edit(c.id),
        delete_url: paths::comment_delete(c.id),
        restore_url: paths::comment_restore(c.id),
    }
}

/// The answers, accepted first, then by score (the query already sorts by
/// score), deleted ones last.
fn answer_views(loaded: &Loaded, actor: Option<&Actor>) -> Vec<PostView> {
    let accepted = loaded.question.accepted_answer_id;
    let mut ordered: Vec<&Answer> = loaded.answers.iter().collect();
    ordered.sort_by_key(|a| (Some(a.id) != accepted, a.deleted_at.is_some()));
    ordered
        .into_iter()
        .map(|a| post_view(loaded, actor, PostParts::answer(a, accepted)))
        .collect()
}

/// Who accepted an answer, and when.
fn accepted_view(loaded: &Loaded) -> Option<Accepted> {
    let q = &loaded.question;
    match (q.accepted_answer_id, q.accepted_by, q.accepted_at) {
        (Some(_), Some(by), Some(at)) => Some(Accepted {
            by_staff: by != q.author_id,
            by: user_ref(&loaded.users, by),
            on: format_day(at),
        }),
        _ => None,
    }
}

/// Why, by whom and when the question was closed.
fn closed_view(loaded: &Loaded) -> Option<Closed> {
    let q = &loaded.question;
    q.closed_reason.as_deref().map(|reason| Closed {
        reason: CLOSE_REASONS
            .iter()
            .find(|(r, _)| *r == reason)
            .map(|(_, l)| *l)
            .unwrap_or("Closed"),
        duplicate_url: loaded.duplicate.as_ref().map(Question::path),
        duplicate_title: loaded.duplicate.as_ref().map(|d| d.title.clone()),
        by: q.closed_by.and_then(|b| user_ref(&loaded.users, b)),
        on: q.closed_at.map(format_day).unwrap_or_default(),
    })
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
        question: post_view(loaded, actor, PostParts::question(q)),
        answers: answer_views(loaded, actor),
        accepted: accepted_view(loaded),
        closed: closed_view(loaded),
        locked: q.locked,
        pinned: q.pinned,
        deleted: q.deleted_at.is_some(),
        can_accept: allows(actor, Action::Accept, &Target::post(q.author_id, q.locked)),
        can_answer,
        guest_may_answer: viewer.is_none() && !q.locked && q.deleted_at.is_none(),
        signed_in: viewer.is_some(),
        is_staff: allows(actor, Action::Moderate, &Target::Site),
        article_url: loaded.article_url.clone(),
        promote_url: (allows(actor, Action::CurateArticles, &Target::Site)
            && q.accepted_answer_id.is_some()
            && q.article_id.is_none())
        .then(|| paths::new_article_from_question(q.id)),
        answer_body,
        answer_errors,
        submit_key: tokens::random_token().map_err(AppError::internal)?,
        login_url: paths::login_url(&format!("{}#answer-form", q.path())),
        register_url: paths::register_url(&format!("{}#answer-form", q.path())),
        answers_url: paths::question_answers(q.id),
        accept_url: paths::question_accept(q.id),
        unaccept_url: paths::question_unaccept(q.id),
        issue_banners: loaded.issue_banners.clone(),
        linked_issue: loaded.linked_issue.as_ref().map(|i| LinkedIssue {
            title: i.title.clone(),
            url: i.url.clone(),
            slug: i.slug.clone(),
            status: i.status,
            fixed_in: i.fixed_in.clone(),
        }),
        known_issue_url: allows(actor, Action::Moderate, &Target::Site)
            .then(|| paths::question_known_issue(q.id)),
        follow: FollowButton::question(q.id, &q.path(), viewer.is_some(), loaded.following),
        close_reasons: choices(CLOSE_REASONS),
        flag_reasons: choices(FLAG_REASONS),
        comment_form: CommentFormView::default(),
        comment_max: questions::COMMENT_MAX,
    })
}

/// schema.org `QAPage` structured data, escaped for a `<script>` data block.
fn json_ld(loaded: &Loaded) -> AppResult<String> {
    let q = &loaded.question;
    let name = |id: UserId| {
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

pub(crate) fn parse_id(text: &str) -> AppResult<QuestionId> {
    text.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .map(QuestionId)
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
    let kept = match visitor.draft_reader() {
        Some(owner) => with_db(&state, move |conn| {
            Ok(crate::service::drafts::answer(conn, &owner, id)?.map(|d| d.body))
        })
        .await?
        .unwrap_or_default(),
        None => String::new(),
    };
    let page = build_page(&loaded, visitor.user.as_ref(), kept, Vec::new())?;
    let mut response = render_form_page(
        &state,
        &visitor,
        StatusCode::OK,
        "questions/show.html",
        &page,
    )?;
    // The member page cache fills this key in per view (only this value).
    response
        .extensions_mut()
        .insert(crate::web::page_cache::SubmitKey(page.submit_key.clone()));
    Ok(response)
}

/// The answer `id` if the viewer may see it, with its question.
fn visible_answer(conn: &mut Conn, id: AnswerId, staff: bool) -> AppResult<(Answer, Question)> {
    let answer = answers::find(conn, id)?
        .filter(|a| a.deleted_at.is_none() || staff)
        .ok_or_else(|| AppError::NotFound("There is no such answer.".into()))?;
    let q = questions::visible_question(conn, answer.question_id, staff)?;
    Ok((answer, q))
}
