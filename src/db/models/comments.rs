//! Comments: short clarifying notes under a question or an answer. A
//! comment always names its thread (`question_id`); `answer_id` is set when
//! it is under an answer. Deleting is soft (`deleted_at`).

use diesel::prelude::*;

use crate::db::schema::comments;
use crate::db::Conn;
use crate::ids::{AnswerId, CommentId, QuestionId, UserId};

/// A comment row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = comments)]
pub struct Comment {
    /// Primary key.
    pub id: CommentId,
    /// The thread.
    pub question_id: QuestionId,
    /// The answer it is under; `None`: under the question.
    pub answer_id: Option<AnswerId>,
    /// Who wrote it.
    pub author_id: UserId,
    /// Markdown as typed (trimmed).
    pub body_md: String,
    /// Sanitized inline HTML.
    pub body_html: String,
    /// Plain text (search).
    pub body_text: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Last edit (unix seconds), if any.
    pub edited_at: Option<i64>,
    /// Soft deletion.
    pub deleted_at: Option<i64>,
    /// Who deleted it.
    pub deleted_by: Option<UserId>,
}

/// Values for a new comment.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = comments)]
pub struct NewComment<'a> {
    /// The thread.
    pub question_id: QuestionId,
    /// The answer, or `None` for the question.
    pub answer_id: Option<AnswerId>,
    /// Author.
    pub author_id: UserId,
    /// Markdown.
    pub body_md: &'a str,
    /// HTML.
    pub body_html: &'a str,
    /// Text.
    pub body_text: &'a str,
    /// Unix seconds.
    pub created_at: i64,
}

/// Inserts a comment.
pub fn insert(conn: &mut Conn, new: &NewComment<'_>) -> QueryResult<Comment> {
    diesel::insert_into(comments::table)
        .values(new)
        .returning(crate::db::row_columns::<Comment>())
        .get_result(conn)
}

/// One comment (deleted ones included).
pub fn find(conn: &mut Conn, id: CommentId) -> QueryResult<Option<Comment>> {
    comments::table
        .find(id)
        .select(Comment::as_select())
        .first(conn)
        .optional()
}

/// Every comment of a thread, oldest first; deleted ones only when
/// `with_deleted`.
pub fn for_question(
    conn: &mut Conn,
    question_id: QuestionId,
    with_deleted: bool,
) -> QueryResult<Vec<Comment>> {
    let mut query = comments::table
        .filter(comments::question_id.eq(question_id))
        .order(comments::id.asc())
        .select(Comment::as_select())
        .into_boxed();
    if !with_deleted {
        query = query.filter(comments::deleted_at.is_null());
    }
    query.load(conn)
}

/// Replaces a comment's text and marks it edited.
pub fn update_body(
    conn: &mut Conn,
    id: CommentId,
    body_md: &str,
    body_html: &str,
    body_text: &str,
    now: i64,
) -> QueryResult<usize> {
    diesel::update(comments::table.find(id))
        .set((
            comments::body_md.eq(body_md),
            comments::body_html.eq(body_html),
            comments::body_text.eq(body_text),
            comments::edited_at.eq(Some(now)),
        ))
        .execute(conn)
}

/// Soft-deletes (`by: Some`) or restores (`by: None`) a comment.
pub fn set_deleted(
    conn: &mut Conn,
    id: CommentId,
    by: Option<UserId>,
    now: i64,
) -> QueryResult<usize> {
    diesel::update(comments::table.find(id))
        .set((
            comments::deleted_at.eq(by.map(|_| now)),
            comments::deleted_by.eq(by),
        ))
        .execute(conn)
}

/// The comments with these ids (deleted ones included).
pub fn find_many(conn: &mut Conn, ids: &[CommentId]) -> QueryResult<Vec<Comment>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    comments::table
        .filter(comments::id.eq_any(ids))
        .select(Comment::as_select())
        .load(conn)
}
