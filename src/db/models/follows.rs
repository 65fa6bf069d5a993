//! Follows: who follows which question or tag. One row per person and
//! question (or tag); `following = false` remembers an explicit unfollow, so
//! that the person's own later answer or comment does not follow the
//! question again ([`auto_follow`] leaves any existing row alone), while
//! following by hand ([`set`]) always wins.

use diesel::prelude::*;

use crate::db::schema::{follows, questions, tags};
use crate::db::{unless_taken, Conn};
use crate::ids::{QuestionId, TagId, UserId};

/// What is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// A question: its answers, comments, acceptance, edits of the accepted answer.
    Question(QuestionId),
    /// A tag: new questions with it.
    Tag(TagId),
}

type Boxed<'a> = follows::BoxedQuery<'a, crate::db::Backend>;

/// The row of `user` for `target`, as a query.
fn row_of<'a>(user: UserId, target: Followed) -> Boxed<'a> {
    let query = follows::table
        .filter(follows::user_id.eq(user))
        .into_boxed();
    match target {
        Followed::Question(q) => query.filter(follows::question_id.eq(q)),
        Followed::Tag(t) => query.filter(follows::tag_id.eq(t)),
    }
}

/// `Some(following)` when `user` has a row for `target` (followed, or
/// unfollowed on purpose); `None` when they never had one.
fn state(conn: &mut Conn, user: UserId, target: Followed) -> QueryResult<Option<bool>> {
    row_of(user, target)
        .select(follows::following)
        .first(conn)
        .optional()
}

/// Inserts the row of `user` for `target`; `false` when one exists already
/// (made by a concurrent request in between).
fn insert(
    conn: &mut Conn,
    user: UserId,
    target: Followed,
    following: bool,
    now: i64,
) -> QueryResult<bool> {
    let (question_id, tag_id) = match target {
        Followed::Question(q) => (Some(q), None),
        Followed::Tag(t) => (None, Some(t)),
    };
    let inserted = unless_taken(conn, |conn| {
        diesel::insert_into(follows::table)
            .values((
                follows::user_id.eq(user),
                follows::question_id.eq(question_id),
                follows::tag_id.eq(tag_id),
                follows::following.eq(following),
                follows::created_at.eq(now),
                follows::updated_at.eq(now),
            ))
            .execute(conn)
    })?;
    Ok(inserted.is_some())
}

/// Follows (`following = true`) or unfollows `target` for `user` by their
/// own choice; an unfollow is remembered (see [`auto_follow`]).
pub fn set(
    conn: &mut Conn,
    user: UserId,
    target: Followed,
    following: bool,
    now: i64,
) -> QueryResult<()> {
    if state(conn, user, target)?.is_none() && insert(conn, user, target, following, now)? {
        return Ok(());
    }
    let mine = follows::table.filter(follows::user_id.eq(user));
    let change = (
        follows::following.eq(following),
        follows::updated_at.eq(now),
    );
    match target {
        Followed::Question(q) => {
            diesel::update(mine.filter(follows::question_id.eq(q)))
                .set(change)
                .execute(conn)?;
        }
        Followed::Tag(t) => {
            diesel::update(mine.filter(follows::tag_id.eq(t)))
                .set(change)
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Makes `user` follow `question` because they took part (asked, answered,
/// commented), unless they already have a row for it: a follower stays
/// one, and someone who unfollowed stays unfollowed. Returns whether a
/// follow was added.
pub fn auto_follow(
    conn: &mut Conn,
    user: UserId,
    question: QuestionId,
    now: i64,
) -> QueryResult<bool> {
    let target = Followed::Question(question);
    if state(conn, user, target)?.is_some() {
        return Ok(false);
    }
    insert(conn, user, target, true, now)
}

/// Whether `user` follows `target`.
pub fn is_following(conn: &mut Conn, user: UserId, target: Followed) -> QueryResult<bool> {
    Ok(state(conn, user, target)? == Some(true))
}

/// Who follows `question`, in id order.
pub fn question_followers(conn: &mut Conn, question: QuestionId) -> QueryResult<Vec<UserId>> {
    follows::table
        .filter(follows::question_id.eq(question))
        .filter(follows::following.eq(true))
        .select(follows::user_id)
        .order(follows::user_id.asc())
        .load(conn)
}

/// Who follows at least one of `tags`, each once, in id order.
pub fn tag_followers(conn: &mut Conn, tags: &[TagId]) -> QueryResult<Vec<UserId>> {
    if tags.is_empty() {
        return Ok(Vec::new());
    }
    follows::table
        .filter(follows::tag_id.eq_any(tags.to_vec()))
        .filter(follows::following.eq(true))
        .select(follows::user_id)
        .distinct()
        .order(follows::user_id.asc())
        .load(conn)
}

/// A followed question, for the list of what someone follows.
#[derive(Debug, Clone, Queryable)]
pub struct FollowedQuestion {
    /// The question.
    pub id: QuestionId,
    /// Its title.
    pub title: String,
    /// Its URL slug.
    pub slug: String,
}

/// The visible questions `user` follows, most recently followed first (at
/// most `limit`).
pub fn questions_of(
    conn: &mut Conn,
    user: UserId,
    limit: i64,
) -> QueryResult<Vec<FollowedQuestion>> {
    follows::table
        .inner_join(questions::table)
        .filter(follows::user_id.eq(user))
        .filter(follows::following.eq(true))
        .filter(questions::deleted_at.is_null())
        .order((follows::updated_at.desc(), follows::id.desc()))
        .limit(limit)
        .select((questions::id, questions::title, questions::slug))
        .load(conn)
}

/// The names of the tags `user` follows, by name.
pub fn tags_of(conn: &mut Conn, user: UserId) -> QueryResult<Vec<String>> {
    follows::table
        .inner_join(tags::table)
        .filter(follows::user_id.eq(user))
        .filter(follows::following.eq(true))
        .order(tags::name.asc())
        .select(tags::name)
        .load(conn)
}
