//! Notifications: what happened on the questions and tags someone follows
//! (new answer, an answer accepted, the accepted answer edited, a new
//! question with a followed tag), your answer accepted, staff accepted an
//! answer on your question. Who is told is decided by
//! `service::follows::tell_followers`. Each one is also mailed as its
//! recipient chose ([`super::mail::route_notification`]), whatever its kind.

use diesel::prelude::*;

use crate::db::schema::notifications;
use crate::db::Conn;
use crate::ids::{AnswerId, NotificationId, QuestionId, UserId};

/// Someone answered a question you follow (your own, usually).
pub const NEW_ANSWER: &str = "new_answer";
/// An answer was accepted on a question you follow.
pub const ACCEPTED: &str = "accepted";
/// The accepted answer of a question you follow was edited.
pub const ACCEPTED_EDITED: &str = "accepted_edited";
/// A question was asked with a tag you follow.
pub const NEW_QUESTION: &str = "new_question";
/// Your answer was accepted.
pub const ANSWER_ACCEPTED: &str = "answer_accepted";
/// A staff member accepted an answer on your question.
pub const STAFF_ACCEPTED: &str = "staff_accepted";

/// A notification row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    /// Primary key.
    pub id: NotificationId,
    /// Recipient.
    pub user_id: UserId,
    /// One of the kinds above.
    pub kind: String,
    /// The question concerned.
    pub question_id: QuestionId,
    /// The answer concerned.
    pub answer_id: Option<AnswerId>,
    /// Who caused it.
    pub actor_id: Option<UserId>,
    /// Unix seconds.
    pub created_at: i64,
    /// When it was seen.
    pub read_at: Option<i64>,
}

/// Adds a notification (not to the actor themselves) and routes it to
/// mail: at once, into the daily digest, or not, as the recipient chose.
pub fn notify(
    conn: &mut Conn,
    user_id: UserId,
    kind: &str,
    question_id: QuestionId,
    answer_id: Option<AnswerId>,
    actor_id: UserId,
    now: i64,
) -> QueryResult<()> {
    if user_id == actor_id {
        return Ok(());
    }
    let id: NotificationId = diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(user_id),
            notifications::kind.eq(kind),
            notifications::question_id.eq(question_id),
            notifications::answer_id.eq(answer_id),
            notifications::actor_id.eq(Some(actor_id)),
            notifications::created_at.eq(now),
        ))
        .returning(notifications::id)
        .get_result(conn)?;
    super::mail::route_notification(conn, user_id, id, now)
}

/// A user's newest notifications.
pub fn recent(conn: &mut Conn, user_id: UserId, limit: i64) -> QueryResult<Vec<Notification>> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .order(notifications::id.desc())
        .limit(limit)
        .select(Notification::as_select())
        .load(conn)
}

/// One notification by id.
pub fn find(conn: &mut Conn, id: NotificationId) -> QueryResult<Option<Notification>> {
    notifications::table
        .find(id)
        .select(Notification::as_select())
        .first(conn)
        .optional()
}

/// How many are unread.
pub fn unread_count(conn: &mut Conn, user_id: UserId) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks every notification of a user read.
pub fn mark_all_read(conn: &mut Conn, user_id: UserId, now: i64) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now)))
    .execute(conn)
}
