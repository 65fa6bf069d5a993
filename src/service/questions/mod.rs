//! The Q&A board's rules: asking, answering, voting, accepting, editing with
//! revisions, comments, moderation (close, lock, pin, soft delete), flags
//! and notifications. Every change that affects search enqueues an outbox row in
//! the same transaction.

mod accepting;
mod commenting;
mod drafts;
mod editing;
mod moderating;
mod nudging;
mod posting;
mod voting;

pub use crate::auth::policy::Actor;
pub use accepting::{accept, unaccept};
pub use commenting::{
    add_comment, check_comment, delete_comment, edit_comment, flag_comment, restore_comment,
    CommentOn, PostedComment, COMMENT_MAX,
};
pub use drafts::{
    body_too_long, check_body, check_question, normalize_tags, title_slug, title_too_long,
    validate_body, validate_question, QuestionDraft, QuestionFields, BODY_MAX, BODY_MIN, TAGS_MAX,
    TAG_MAX_CHARS, TITLE_MAX, TITLE_MIN,
};
pub use editing::{edit_answer, edit_question, AnswerEdit, EditOutcome};
pub use moderating::{moderate_question, set_answer_deleted, Moderation, CLOSE_REASONS};
pub use nudging::{
    choice, excerpt, make_choice, nudge_answers, nudge_answers_for, send_nudges, still_unsolved,
    Closed, NudgeAnswer, OpenChoice, NUDGE_ANSWERS,
};
pub use posting::{answer, ask, PostedAnswer};
pub use voting::{flag, vote, Voted, FLAG_REASONS};

use crate::db::models::outbox;
use crate::db::models::questions::{self, Question};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::QuestionId;
use crate::kinds::DocKind;

/// A visible question or 404.
pub fn visible_question(
    conn: &mut Conn,
    id: QuestionId,
    viewer_is_staff: bool,
) -> AppResult<Question> {
    match questions::find(conn, id)? {
        Some(q) if q.deleted_at.is_none() || viewer_is_staff => Ok(q),
        _ => Err(AppError::NotFound(
            "This question does not exist or was deleted.".into(),
        )),
    }
}

/// Queues the question for the search index (in the caller's transaction).
fn enqueue(conn: &mut Conn, question_id: QuestionId, now: i64) -> AppResult<()> {
    outbox::enqueue(conn, DocKind::Question, question_id.into(), now)?;
    Ok(())
}

/// Moves the question's last activity to `now`.
fn touch(conn: &mut Conn, question_id: QuestionId, now: i64) -> AppResult<()> {
    use crate::db::schema::questions::dsl as q;
    use diesel::prelude::*;
    diesel::update(q::questions.find(question_id))
        .set(q::last_activity_at.eq(now))
        .execute(conn)?;
    Ok(())
}
