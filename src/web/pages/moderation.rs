//! Staff moderation of questions and answers, flags from members (on posts
//! and comments), and the flag queue.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::rate_limit::Limited;
use crate::db::models::answers::{self, Answer};
use crate::db::models::comments::{self, Comment};
use crate::db::models::flags::{self, Flag};
use crate::db::models::questions::{self as question_rows, Question};
use crate::db::models::users;
use crate::db::{unix_now, Conn};
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, CommentId, FlagId, QuestionId};
use crate::kinds::{FlagKind, PostKind};
use crate::service::questions::{self, Moderation, FLAG_REASONS};
use crate::web::extract::{CsrfForm, Member, Staff};
use crate::web::paths;
use crate::web::session::admit;
use crate::web::templates::format_day;
use crate::web::views::UserRef;
use crate::web::{render, see_other, with_db};

/// Fields of the moderation form.
#[derive(Debug, Deserialize)]
pub struct ModerateForm {
    #[serde(default)]
    csrf: String,
    /// close, reopen, lock, unlock, pin, unpin, delete, restore.
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    duplicate_of: String,
}

/// POST /questions/{id}/moderate (staff)
pub async fn post_moderate_question(
    state: web::Data<AppState>,
    path: web::Path<QuestionId>,
    form: CsrfForm<ModerateForm>,
    Staff { user, .. }: Staff,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let action = match form.action.as_str() {
        "close" => Moderation::Close {
            reason: form.reason.clone(),
            duplicate_of: form
                .duplicate_of
                .trim()
                .trim_start_matches('#')
                .parse::<i32>()
                .ok()
                .map(QuestionId),
        },
        "reopen" => Moderation::Reopen,
        "lock" => Moderation::Lock(true),
        "unlock" => Moderation::Lock(false),
        "pin" => Moderation::Pin(true),
        "unpin" => Moderation::Pin(false),
        "delete" => Moderation::Delete,
        "restore" => Moderation::Restore,
        _ => return Err(AppError::BadRequest("Unknown moderation action.".into())),
    };
    let who = user.actor();
    let back = with_db(&state, move |conn| {
        questions::moderate_question(conn, who, id, &action, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&back))
}

/// POST /answers/{id}/moderate (staff): delete or restore.
pub async fn post_moderate_answer(
    state: web::Data<AppState>,
    path: web::Path<AnswerId>,
    form: CsrfForm<ModerateForm>,
    Staff { user, .. }: Staff,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let deleted = match form.action.as_str() {
        "delete" => true,
        "restore" => false,
        _ => {
            return Err(AppError::BadRequest(
                "An answer can be deleted or restored.".into(),
            ))
        }
    };
    let who = user.actor();
    let back = with_db(&state, move |conn| {
        questions::set_answer_deleted(conn, who, id, deleted, unix_now())
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&back))
}

/// Fields of the flag form.
#[derive(Debug, Deserialize)]
pub struct FlagForm {
    #[serde(default)]
    csrf: String,
    /// `question`, `answer` or `comment`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    post_id: i32,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    details: String,
}

/// POST /flags: any signed-in user reports a post or a comment.
pub async fn post_flag(
    state: web::Data<AppState>,
    Member { user, .. }: Member,
    form: CsrfForm<FlagForm>,
) -> AppResult<HttpResponse> {
    let kind = match form.kind.parse::<FlagKind>() {
        Ok(kind) => kind,
        Err(_) => {
            return Err(AppError::BadRequest(
                "Only questions, answers and comments can be flagged.".into(),
            ))
        }
    };
    admit(&state, Limited::Flag, &user).await?;
    let who = user.actor();
    let form = form.into_inner();
    let back = with_db(&state, move |conn| {
        let post = match kind {
            FlagKind::Question => PostKind::Question,
            FlagKind::Answer => PostKind::Answer,
            FlagKind::Comment => {
                let url = questions::flag_comment(
                    conn,
                    who,
                    CommentId(form.post_id),
                    &form.reason,
                    &form.details,
                    unix_now(),
                )?;
                return Ok(url);
            }
        };
        let question = questions::flag(
            conn,
            who,
            post,
            form.post_id,
            &form.reason,
            &form.details,
            unix_now(),
        )?;
        Ok(question.path())
    })
    .await?;
    Ok(see_other(&paths::question_flagged(&back)))
}

#[derive(Debug, Serialize)]
struct FlagRow {
    id: FlagId,
    resolve_url: String,
    kind: String,
    url: String,
    excerpt: String,
    reason: &'static str,
    details: String,
    reporter: Option<UserRef>,
    when: String,
}

#[derive(Debug, Serialize)]
struct FlagsPage {
    flags: Vec<FlagRow>,
}

/// The posts a list of flags is about, loaded in one query per kind.
struct FlaggedPosts {
    questions: Vec<Question>,
    answers: Vec<(Answer, Question)>,
    comments: Vec<Comment>,
}

impl FlaggedPosts {
    fn load(conn: &mut Conn, open: &[Flag]) -> AppResult<Self> {
        let ids = |kind: FlagKind| {
            open.iter()
                .filter(move |f| f.post_kind == kind)
                .map(|f| f.post_id)
        };
        let comment_ids: Vec<CommentId> = ids(FlagKind::Comment).map(CommentId).collect();
        let comments = comments::find_many(conn, &comment_ids)?;
        let mut question_ids: Vec<QuestionId> = ids(FlagKind::Question).map(QuestionId).collect();
        question_ids.extend(comments.iter().map(|c| c.question_id));
        let answer_ids: Vec<AnswerId> = ids(FlagKind::Answer).map(AnswerId).collect();
        Ok(FlaggedPosts {
            questions: question_rows::find_many(conn, &question_ids)?,
            answers: answers::find_many_with_questions(conn, &answer_ids)?,
            comments,
        })
    }

    /// The flagged post's link and excerpt (`None`: it no longer exists).
    fn link(&self, f: &Flag) -> Option<(String, String)> {
        let question = |id: QuestionId| self.questions.iter().find(|q| q.id == id);
        match f.post_kind {
            FlagKind::Question => {
                let q = question(QuestionId(f.post_id))?;
                Some((q.path(), q.title.clone()))
            }
            FlagKind::Answer => {
                let (a, q) = self
                    .answers
                    .iter()
                    .find(|(a, _)| a.id == AnswerId(f.post_id))?;
                Some((
                    paths::answer_on(&q.path(), a.id),
                    a.body_text.chars().take(160).collect(),
                ))
            }
            FlagKind::Comment => {
                let c = self
                    .comments
                    .iter()
                    .find(|c| c.id == CommentId(f.post_id))?;
                let q = question(c.question_id)?;
                Some((
                    paths::comment_on(&q.path(), c.id),
                    c.body_text.chars().take(160).collect(),
                ))
            }
        }
    }
}

/// GET /staff/flags: the queue of open flags, oldest first.
pub async fn get_flags(
    state: web::Data<AppState>,
    Staff {
        viewer: visitor, ..
    }: Staff,
) -> AppResult<HttpResponse> {
    let rows = with_db(&state, |conn| {
        let open = flags::open(conn, 200)?;
        let reporters = users::find_many(
            conn,
            &open.iter().map(|f| f.reporter_id).collect::<Vec<_>>(),
        )?;
        let posts = FlaggedPosts::load(conn, &open)?;
        Ok(open
            .iter()
            .filter_map(|f| {
                let (url, excerpt) = posts.link(f)?;
                Some(FlagRow {
                    id: f.id,
                    resolve_url: paths::staff_flag(f.id),
                    kind: f.post_kind.to_string(),
                    url,
                    excerpt,
                    reason: FLAG_REASONS
                        .iter()
                        .find(|(r, _)| *r == f.reason)
                        .map(|(_, l)| *l)
                        .unwrap_or("Other"),
                    details: f.details.clone(),
                    reporter: reporters
                        .iter()
                        .find(|u| u.id == f.reporter_id)
                        .map(UserRef::from),
                    when: format_day(f.created_at),
                })
            })
            .collect::<Vec<_>>())
    })
    .await?;
    render(
        &state,
        &visitor,
        "staff/flags.html",
        &FlagsPage { flags: rows },
    )
}

/// Fields of the flag resolution form.
#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    csrf: String,
    /// `resolve` or `dismiss`.
    #[serde(default)]
    action: String,
}

/// POST /staff/flags/{id}
pub async fn post_flag_resolution(
    state: web::Data<AppState>,
    path: web::Path<FlagId>,
    form: CsrfForm<ResolveForm>,
    Staff { user, .. }: Staff,
) -> AppResult<HttpResponse> {
    let staff = user.id;
    let status = match form.action.as_str() {
        "resolve" => "resolved",
        "dismiss" => "dismissed",
        _ => {
            return Err(AppError::BadRequest(
                "A flag is resolved or dismissed.".into(),
            ))
        }
    };
    let id = path.into_inner();
    let done = with_db(&state, move |conn| {
        Ok(flags::close(conn, id, status, staff, unix_now())?)
    })
    .await?;
    if !done {
        return Err(AppError::NotFound(
            "That flag is not open (someone may have handled it already).".into(),
        ));
    }
    Ok(see_other(paths::STAFF_FLAGS))
}

crate::csrf_form!(FlagForm, ModerateForm, ResolveForm);
