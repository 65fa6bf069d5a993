//! Notifications: what happened on the questions and tags someone follows
//! (new answer, new comment, an answer accepted, the accepted answer
//! edited, a new question with a followed tag), your answer accepted, staff
//! accepted an answer on your question, a comment on your post, a mention in
//! a comment. Who hears of a question's events is decided by
//! `service::follows::tell_followers`. Each one is also mailed as its
//! recipient chose ([`super::mail::route_notification`]), whatever its kind.

use diesel::prelude::*;

use crate::db::schema::notifications;
use crate::db::Conn;
use crate::ids::{AnswerId, CommentId, KnownIssueId, NotificationId, QuestionId, UserId};

/// Someone answered a question you follow (your own, usually).
pub const NEW_ANSWER: &str = "new_answer";
/// An answer was accepted on a question you follow.
pub const ACCEPTED: &str = "accepted";
/// The accepted answer of a question you follow was edited.
pub const ACCEPTED_EDITED: &str = "accepted_edited";
/// A question was asked with a tag you follow.
pub const NEW_QUESTION: &str = "new_question";
/// Someone commented on a question you follow (or on one of its answers).
pub const FOLLOWED_COMMENT: &str = "followed_comment";
/// Your answer was accepted.
pub const ANSWER_ACCEPTED: &str = "answer_accepted";
/// A staff member accepted an answer on your question.
pub const STAFF_ACCEPTED: &str = "staff_accepted";
/// Someone commented on your question or answer.
pub const NEW_COMMENT: &str = "new_comment";
/// Someone mentioned you (`@name`) in a comment.
pub const MENTIONED: &str = "mentioned";
/// Your question has answers but none accepted: was it solved? (sent by
/// the site, no actor; once per question).
pub const SOLVED_NUDGE: &str = "solved_nudge";
/// A known issue you follow has a new update or status (about the issue,
/// not a question).
pub const KNOWN_ISSUE_UPDATE: &str = "known_issue_update";

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
    /// The question concerned (`None` for a known issue's update).
    pub question_id: Option<QuestionId>,
    /// The answer concerned.
    pub answer_id: Option<AnswerId>,
    /// Who caused it.
    pub actor_id: Option<UserId>,
    /// Unix seconds.
    pub created_at: i64,
    /// When it was seen.
    pub read_at: Option<i64>,
    /// The comment concerned (its anchor is where the notification leads).
    pub comment_id: Option<CommentId>,
    /// The known issue concerned (its updates).
    pub known_issue_id: Option<KnownIssueId>,
}

/// What a notification is about: its question, and the answer and comment
/// where it applies; or a known issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct About {
    /// The question concerned.
    pub question_id: Option<QuestionId>,
    /// The answer concerned.
    pub answer_id: Option<AnswerId>,
    /// The comment concerned.
    pub comment_id: Option<CommentId>,
    /// The known issue concerned.
    pub known_issue_id: Option<KnownIssueId>,
}

impl About {
    /// A question (and an answer on it).
    pub fn post(question_id: QuestionId, answer_id: Option<AnswerId>) -> About {
        About {
            question_id: Some(question_id),
            answer_id,
            comment_id: None,
            known_issue_id: None,
        }
    }

    /// A known issue (its newest update).
    pub fn issue(known_issue_id: KnownIssueId) -> About {
        About {
            question_id: None,
            answer_id: None,
            comment_id: None,
            known_issue_id: Some(known_issue_id),
        }
    }
}

/// Adds a notification (not to the actor themselves) and routes it to
/// mail: at once, into the daily digest, or not, as the recipient chose.
/// Returns whether one was added.
pub fn notify(
    conn: &mut Conn,
    user_id: UserId,
    kind: &str,
    about: About,
    actor_id: UserId,
    now: i64,
) -> QueryResult<bool> {
    if user_id == actor_id {
        return Ok(false);
    }
    let id = insert(conn, user_id, kind, about, Some(actor_id), now)?;
    super::mail::route_notification(conn, user_id, id, now)?;
    Ok(true)
}

/// Adds a notification the site itself sends (no one acted, e.g. the
/// "was your question solved?" question) and routes it to mail like
/// [`notify`].
pub fn notify_from_site(
    conn: &mut Conn,
    user_id: UserId,
    kind: &str,
    about: About,
    now: i64,
) -> QueryResult<NotificationId> {
    let id = insert(conn, user_id, kind, about, None, now)?;
    super::mail::route_notification(conn, user_id, id, now)?;
    Ok(id)
}

/// [`notify`] (or, without an actor, [`notify_from_site`]) for a caller
/// that already loaded the user's address row (`mail`; `None`: they have
/// none), so telling many people costs no lookup per person.
pub fn notify_with_mail(
    conn: &mut Conn,
    user_id: UserId,
    kind: &str,
    about: About,
    actor_id: Option<UserId>,
    mail: Option<&super::mail::UserMail>,
    now: i64,
) -> QueryResult<bool> {
    if Some(user_id) == actor_id {
        return Ok(false);
    }
    let id = insert(conn, user_id, kind, about, actor_id, now)?;
    super::mail::route_notification_by(conn, mail, user_id, id, now)?;
    Ok(true)
}

/// Inserts one notification row (the callers route it to mail).
fn insert(
    conn: &mut Conn,
    user_id: UserId,
    kind: &str,
    about: About,
    actor_id: Option<UserId>,
    now: i64,
) -> QueryResult<NotificationId> {
    diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(user_id),
            notifications::kind.eq(kind),
            notifications::question_id.eq(about.question_id),
            notifications::answer_id.eq(about.answer_id),
            notifications::comment_id.eq(about.comment_id),
            notifications::known_issue_id.eq(about.known_issue_id),
            notifications::actor_id.eq(actor_id),
            notifications::created_at.eq(now),
        ))
        .returning(notifications::id)
        .get_result(conn)
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

/// Who was already notified about a comment.
pub fn recipients_of_comment(conn: &mut Conn, comment_id: CommentId) -> QueryResult<Vec<UserId>> {
    notifications::table
        .filter(notifications::comment_id.eq(comment_id))
        .select(notifications::user_id)
        .load(conn)
}
