//! Unfinished questions and answers kept across a detour (sign-in,
//! registration, an expired session): one row per draft, owned by a user or
//! by the hash of a guest's pre-session cookie. An answer draft names its
//! question (one per owner and question); a question draft does not.

use diesel::prelude::*;

use crate::db::schema::drafts;
use crate::db::Conn;
use crate::ids::{DraftId, QuestionId, UserId};

/// Who a draft belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A signed-in user (or one whose session lapsed).
    User(UserId),
    /// A guest: the hash of the browser's pre-session cookie.
    Guest(String),
}

/// A draft row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = drafts)]
pub struct Draft {
    /// Primary key.
    pub id: DraftId,
    /// The owning user, if any.
    pub user_id: Option<UserId>,
    /// The owning guest's cookie hash, if any.
    pub guest_key: Option<String>,
    /// For an answer draft: the question it answers.
    pub question_id: Option<QuestionId>,
    /// Question title (empty for answers).
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Comma-separated tags (empty for answers).
    pub tags: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Deleted by the cleanup job after this (unix seconds).
    pub expires_at: i64,
}

/// The text of a draft.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftText<'a> {
    /// Question title (empty for answers).
    pub title: &'a str,
    /// Markdown body.
    pub body: &'a str,
    /// Comma-separated tags (empty for answers).
    pub tags: &'a str,
}

type Boxed<'a> = drafts::BoxedQuery<'a, crate::db::Backend>;

/// Drafts of `owner`.
fn owned_by(owner: &Owner) -> Boxed<'_> {
    match owner {
        Owner::User(id) => drafts::table.filter(drafts::user_id.eq(*id)).into_boxed(),
        Owner::Guest(key) => drafts::table
            .filter(drafts::guest_key.eq(key.as_str()))
            .filter(drafts::user_id.is_null())
            .into_boxed(),
    }
}

/// Ids of `owner`'s drafts of one kind: answers to `question`, or questions.
fn ids_of(
    conn: &mut Conn,
    owner: &Owner,
    question: Option<QuestionId>,
) -> QueryResult<Vec<DraftId>> {
    let query = owned_by(owner).select(drafts::id);
    match question {
        Some(q) => query.filter(drafts::question_id.eq(q)).load(conn),
        None => query
            .filter(drafts::question_id.is_null())
            .order(drafts::updated_at.desc())
            .then_order_by(drafts::id.desc())
            .load(conn),
    }
}

/// Stores a new draft for `owner` (an answer draft when `question` is
/// given) and returns its id; expires `ttl_secs` from `now`.
pub fn insert(
    conn: &mut Conn,
    owner: &Owner,
    question: Option<QuestionId>,
    text: &DraftText<'_>,
    now: i64,
    ttl_secs: i64,
) -> QueryResult<DraftId> {
    let (user_id, guest_key) = match owner {
        Owner::User(id) => (Some(*id), None),
        Owner::Guest(key) => (None, Some(key.as_str())),
    };
    diesel::insert_into(drafts::table)
        .values((
            drafts::user_id.eq(user_id),
            drafts::guest_key.eq(guest_key),
            drafts::question_id.eq(question),
            drafts::title.eq(text.title),
            drafts::body.eq(text.body),
            drafts::tags.eq(text.tags),
            drafts::created_at.eq(now),
            drafts::updated_at.eq(now),
            drafts::expires_at.eq(now + ttl_secs),
        ))
        .returning(drafts::id)
        .get_result(conn)
}

/// Replaces the text of `owner`'s draft `id`; false when it is not theirs
/// (or gone).
pub fn update(
    conn: &mut Conn,
    id: DraftId,
    owner: &Owner,
    text: &DraftText<'_>,
    now: i64,
    ttl_secs: i64,
) -> QueryResult<bool> {
    let Some(found) = find(conn, id, owner)? else {
        return Ok(false);
    };
    diesel::update(drafts::table.find(found.id))
        .set((
            drafts::title.eq(text.title),
            drafts::body.eq(text.body),
            drafts::tags.eq(text.tags),
            drafts::updated_at.eq(now),
            drafts::expires_at.eq(now + ttl_secs),
        ))
        .execute(conn)
        .map(|n| n > 0)
}

/// `owner`'s draft `id`, if it is theirs.
pub fn find(conn: &mut Conn, id: DraftId, owner: &Owner) -> QueryResult<Option<Draft>> {
    owned_by(owner)
        .filter(drafts::id.eq(id))
        .select(Draft::as_select())
        .first(conn)
        .optional()
}

/// `owner`'s answer draft for `question`.
pub fn find_answer(
    conn: &mut Conn,
    owner: &Owner,
    question: QuestionId,
) -> QueryResult<Option<Draft>> {
    owned_by(owner)
        .filter(drafts::question_id.eq(question))
        .order(drafts::updated_at.desc())
        .then_order_by(drafts::id.desc())
        .select(Draft::as_select())
        .first(conn)
        .optional()
}

/// `owner`'s question drafts, newest first.
pub fn questions_of(conn: &mut Conn, owner: &Owner, limit: i64) -> QueryResult<Vec<Draft>> {
    owned_by(owner)
        .filter(drafts::question_id.is_null())
        .order(drafts::updated_at.desc())
        .then_order_by(drafts::id.desc())
        .limit(limit)
        .select(Draft::as_select())
        .load(conn)
}

/// Deletes `owner`'s draft `id`.
pub fn delete(conn: &mut Conn, id: DraftId, owner: &Owner) -> QueryResult<usize> {
    let ids: Vec<DraftId> = owned_by(owner)
        .filter(drafts::id.eq(id))
        .select(drafts::id)
        .load(conn)?;
    diesel::delete(drafts::table.filter(drafts::id.eq_any(ids))).execute(conn)
}

/// Deletes `owner`'s answer drafts for `question`.
pub fn delete_answers(conn: &mut Conn, owner: &Owner, question: QuestionId) -> QueryResult<usize> {
    let ids = ids_of(conn, owner, Some(question))?;
    diesel::delete(drafts::table.filter(drafts::id.eq_any(ids))).execute(conn)
}

/// Keeps only `owner`'s newest `keep` question drafts.
pub fn trim_questions(conn: &mut Conn, owner: &Owner, keep: usize) -> QueryResult<usize> {
    let ids = ids_of(conn, owner, None)?;
    delete_beyond(conn, ids, keep)
}

/// Keeps only `owner`'s `keep` most recently changed answer drafts (over
/// every question).
pub fn trim_answers(conn: &mut Conn, owner: &Owner, keep: usize) -> QueryResult<usize> {
    let ids: Vec<DraftId> = owned_by(owner)
        .select(drafts::id)
        .filter(drafts::question_id.is_not_null())
        .order(drafts::updated_at.desc())
        .then_order_by(drafts::id.desc())
        .load(conn)?;
    delete_beyond(conn, ids, keep)
}

/// Deletes the drafts of `ids` (newest first) after the first `keep`.
fn delete_beyond(conn: &mut Conn, ids: Vec<DraftId>, keep: usize) -> QueryResult<usize> {
    if ids.len() <= keep {
        return Ok(0);
    }
    diesel::delete(drafts::table.filter(drafts::id.eq_any(ids[keep..].to_vec()))).execute(conn)
}

/// Hands every draft of the guest `guest_key` to `user`; the guest's answer
/// draft replaces the user's older one for the same question.
pub fn move_to_user(conn: &mut Conn, guest_key: &str, user: UserId) -> QueryResult<usize> {
    let guest = Owner::Guest(guest_key.to_string());
    let answered: Vec<Option<QuestionId>> = owned_by(&guest)
        .filter(drafts::question_id.is_not_null())
        .select(drafts::question_id)
        .load(conn)?;
    for question in answered.into_iter().flatten() {
        delete_answers(conn, &Owner::User(user), question)?;
    }
    diesel::update(
        drafts::table
            .filter(drafts::guest_key.eq(guest_key))
            .filter(drafts::user_id.is_null()),
    )
    .set((
        drafts::user_id.eq(Some(user)),
        drafts::guest_key.eq(None::<String>),
    ))
    .execute(conn)
}

/// Deletes drafts that expired before `now`.
pub fn delete_expired(conn: &mut Conn, now: i64) -> QueryResult<usize> {
    diesel::delete(drafts::table.filter(drafts::expires_at.lt(now))).execute(conn)
}

/// Whether `owner` has an answer draft.
pub fn has_answers(conn: &mut Conn, owner: &Owner) -> QueryResult<bool> {
    owned_by(owner)
        .filter(drafts::question_id.is_not_null())
        .select(drafts::id)
        .first::<DraftId>(conn)
        .optional()
        .map(|found| found.is_some())
}
