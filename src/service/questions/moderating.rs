//! Staff moderation: closing, reopening, locking, pinning and soft-deleting
//! questions, and soft-deleting answers.

use super::{enqueue, visible_question, Actor};
use crate::auth::policy::{can, Action, Target};
use crate::db::models::{answers, tags};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, UserId};
use crate::paths;

/// Why a question was closed.
pub const CLOSE_REASONS: &[(&str, &str)] = &[
    ("duplicate", "Duplicate of another question"),
    ("off-topic", "Off-topic"),
    ("resolved-elsewhere", "Resolved elsewhere"),
];

/// A staff moderation action on a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderation {
    /// Close with a reason (and the duplicate's id).
    Close {
        reason: String,
        duplicate_of: Option<QuestionId>,
    },
    /// Reopen.
    Reopen,
    /// Lock or unlock.
    Lock(bool),
    /// Pin or unpin.
    Pin(bool),
    /// Soft delete.
    Delete,
    /// Restore from soft delete.
    Restore,
}

/// Checks a close reason; returns the question a duplicate points to
/// (`None` for other reasons).
fn close_target(
    conn: &mut Conn,
    question_id: QuestionId,
    reason: &str,
    duplicate_of: Option<QuestionId>,
) -> AppResult<Option<QuestionId>> {
    if !CLOSE_REASONS.iter().any(|(r, _)| *r == reason) {
        return Err(AppError::BadRequest(
            "Choose a reason: duplicate, off-topic or resolved elsewhere.".into(),
        ));
    }
    if reason != "duplicate" {
        return Ok(None);
    }
    let id = duplicate_of.ok_or_else(|| {
        AppError::BadRequest("Give the number of the question this duplicates.".into())
    })?;
    if id == question_id {
        return Err(AppError::BadRequest(
            "A question cannot duplicate itself.".into(),
        ));
    }
    visible_question(conn, id, false)
        .map_err(|_| AppError::BadRequest(format!("There is no question #{id} to point to.")))?;
    Ok(Some(id))
}

/// Applies a staff action to a question; returns the question's page.
pub fn moderate_question(
    conn: &mut Conn,
    actor: Actor,
    question_id: QuestionId,
    action: &Moderation,
    now: i64,
) -> AppResult<String> {
    use crate::db::schema::questions::dsl as q;
    use diesel::prelude::*;
    can(Some(&actor), Action::Moderate, &Target::Site)?;
    conn.immediate_transaction(|conn| {
        let question = visible_question(conn, question_id, true)?;
        let target = q::questions.find(question_id);
        match action {
            Moderation::Close {
                reason,
                duplicate_of,
            } => {
                let duplicate_of = close_target(conn, question_id, reason, *duplicate_of)?;
                diesel::update(target)
                    .set((
                        q::closed_reason.eq(Some(reason)),
                        q::duplicate_of.eq(duplicate_of),
                        q::closed_by.eq(Some(actor.id)),
                        q::closed_at.eq(Some(now)),
                    ))
                    .execute(conn)?;
            }
            Moderation::Reopen => {
                diesel::update(target)
                    .set((
                        q::closed_reason.eq(None::<String>),
                        q::duplicate_of.eq(None::<QuestionId>),
                        q::closed_by.eq(None::<UserId>),
                        q::closed_at.eq(None::<i64>),
                    ))
                    .execute(conn)?;
            }
            Moderation::Lock(on) => {
                diesel::update(target)
                    .set(q::locked.eq(*on))
                    .execute(conn)?;
            }
            Moderation::Pin(on) => {
                diesel::update(target)
                    .set(q::pinned.eq(*on))
                    .execute(conn)?;
            }
            Moderation::Delete => {
                diesel::update(target)
                    .set((
                        q::deleted_at.eq(Some(now)),
                        q::deleted_by.eq(Some(actor.id)),
                    ))
                    .execute(conn)?;
            }
            Moderation::Restore => {
                diesel::update(target)
                    .set((
                        q::deleted_at.eq(None::<i64>),
                        q::deleted_by.eq(None::<UserId>),
                    ))
                    .execute(conn)?;
            }
        }
        if matches!(action, Moderation::Delete | Moderation::Restore) {
            let ids = tags::ids_for_question(conn, question.id)?;
            tags::refresh_counts(conn, &ids)?;
        }
        enqueue(conn, question_id, now)?;
        Ok(question.path())
    })
}

/// Soft-deletes or restores an answer (staff). Deleting the accepted answer
/// removes the mark. Returns the answer on its question's page.
pub fn set_answer_deleted(
    conn: &mut Conn,
    actor: Actor,
    answer_id: AnswerId,
    deleted: bool,
    now: i64,
) -> AppResult<String> {
    use crate::db::schema::answers::dsl as a;
    use crate::db::schema::questions::dsl as q;
    use diesel::prelude::*;
    can(Some(&actor), Action::Moderate, &Target::Site)?;
    conn.immediate_transaction(|conn| {
        let (answer, question) = answers::find_with_question(conn, answer_id)?
            .ok_or_else(|| AppError::NotFound("There is no such answer.".into()))?;
        let (at, by) = if deleted {
            (Some(now), Some(actor.id))
        } else {
            (None, None)
        };
        diesel::update(a::answers.find(answer_id))
            .set((a::deleted_at.eq(at), a::deleted_by.eq(by)))
            .execute(conn)?;
        if deleted {
            diesel::update(
                q::questions
                    .find(answer.question_id)
                    .filter(q::accepted_answer_id.eq(Some(answer_id))),
            )
            .set((
                q::accepted_answer_id.eq(None::<AnswerId>),
                q::accepted_by.eq(None::<UserId>),
                q::accepted_at.eq(None::<i64>),
            ))
            .execute(conn)?;
        }
        answers::recount(conn, answer.question_id)?;
        enqueue(conn, answer.question_id, now)?;
        Ok(paths::answer_on(&question.path(), answer_id))
    })
}
