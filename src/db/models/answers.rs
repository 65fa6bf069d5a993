//! Answers to questions.

use diesel::prelude::*;

use crate::db::models::questions::Question;
use crate::db::schema::{answers, questions};
use crate::db::Conn;
use crate::ids::{AnswerId, QuestionId, UserId};

/// An answer row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = answers)]
pub struct Answer {
    /// Primary key.
    pub id: AnswerId,
    /// The question.
    pub question_id: QuestionId,
    /// Who wrote it.
    pub author_id: UserId,
    /// Markdown.
    pub body_md: String,
    /// Sanitized HTML.
    pub body_html: String,
    /// Plain text.
    pub body_text: String,
    /// Sum of votes.
    pub score: i32,
    /// Soft deletion.
    pub deleted_at: Option<i64>,
    /// Who deleted it.
    pub deleted_by: Option<UserId>,
    /// Idempotency key.
    pub submit_key: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// Values for a new answer.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = answers)]
pub struct NewAnswer<'a> {
    /// The question.
    pub question_id: QuestionId,
    /// Author.
    pub author_id: UserId,
    /// Markdown.
    pub body_md: &'a str,
    /// HTML.
    pub body_html: &'a str,
    /// Text.
    pub body_text: &'a str,
    /// Idempotency key.
    pub submit_key: Option<&'a str>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// Inserts an answer.
pub fn insert(conn: &mut Conn, new: &NewAnswer<'_>) -> QueryResult<Answer> {
    diesel::insert_into(answers::table)
        .values(new)
        .returning(crate::db::row_columns::<Answer>())
        .get_result(conn)
}

/// One answer.
pub fn find(conn: &mut Conn, id: AnswerId) -> QueryResult<Option<Answer>> {
    answers::table
        .find(id)
        .select(Answer::as_select())
        .first(conn)
        .optional()
}

/// The answer `author` created with the form carrying this idempotency
/// The answers with these ids (deleted ones included) with their
/// questions, in one query; ids without an answer are left out.
pub fn find_many_with_questions(
    conn: &mut Conn,
    ids: &[AnswerId],
) -> QueryResult<Vec<(Answer, Question)>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    answers::table
        .inner_join(questions::table)
        .filter(answers::id.eq_any(ids))
        .select((Answer::as_select(), Question::as_select()))
        .load(conn)
}

/// The answer with this id and its question, in one query.
pub fn find_with_question(
    conn: &mut Conn,
    id: AnswerId,
) -> QueryResult<Option<(Answer, Question)>> {
    answers::table
        .inner_join(questions::table)
        .filter(answers::id.eq(id))
        .select((Answer::as_select(), Question::as_select()))
        .first(conn)
        .optional()
}

/// key. Keys are scoped to their author: another user's key finds nothing.
pub fn find_by_submit_key(
    conn: &mut Conn,
    author: UserId,
    key: &str,
) -> QueryResult<Option<Answer>> {
    answers::table
        .filter(answers::author_id.eq(author))
        .filter(answers::submit_key.eq(key))
        .select(Answer::as_select())
        .first(conn)
        .optional()
}

/// Whether any answer (by anyone) was created with this idempotency key.
pub fn submit_key_in_use(conn: &mut Conn, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        answers::table.filter(answers::submit_key.eq(key)),
    ))
    .get_result(conn)
}

/// Answers of a question by score (deleted ones only when asked for).
pub fn for_question(
    conn: &mut Conn,
    question_id: QuestionId,
    include_deleted: bool,
) -> QueryResult<Vec<Answer>> {
    let mut query = answers::table
        .filter(answers::question_id.eq(question_id))
        .order((answers::score.desc(), answers::id.asc()))
        .select(Answer::as_select())
        .into_boxed();
    if !include_deleted {
        query = query.filter(answers::deleted_at.is_null());
    }
    query.load(conn)
}

/// Visible answers of several questions, by question and then by score as
/// [`for_question`] orders them.
pub fn for_questions(conn: &mut Conn, question_ids: &[QuestionId]) -> QueryResult<Vec<Answer>> {
    if question_ids.is_empty() {
        return Ok(Vec::new());
    }
    answers::table
        .filter(answers::question_id.eq_any(question_ids))
        .filter(answers::deleted_at.is_null())
        .order((
            answers::question_id.asc(),
            answers::score.desc(),
            answers::id.asc(),
        ))
        .select(Answer::as_select())
        .load(conn)
}

/// Recounts a question's visible answers.
pub fn recount(conn: &mut Conn, question_id: QuestionId) -> QueryResult<i32> {
    let n: i64 = answers::table
        .filter(answers::question_id.eq(question_id))
        .filter(answers::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    diesel::update(questions::table.find(question_id))
        .set(questions::answer_count.eq(n))
        .execute(conn)?;
    Ok(n)
}

/// Visible answers by a user.
pub fn count_by_author(conn: &mut Conn, author: UserId) -> QueryResult<i64> {
    answers::table
        .filter(answers::author_id.eq(author))
        .filter(answers::deleted_at.is_null())
        .count()
        .get_result(conn)
}

/// Visible answers by a user that were accepted.
pub fn count_accepted_by_author(conn: &mut Conn, author: UserId) -> QueryResult<i64> {
    answers::table
        .inner_join(questions::table)
        .filter(answers::author_id.eq(author))
        .filter(answers::deleted_at.is_null())
        .filter(questions::accepted_answer_id.eq(answers::id.nullable()))
        .count()
        .get_result(conn)
}

/// A user's newest visible answers with their questions' ids and titles.
pub fn by_author(
    conn: &mut Conn,
    author: UserId,
    limit: i64,
) -> QueryResult<Vec<(Answer, String, String)>> {
    answers::table
        .inner_join(questions::table)
        .filter(answers::author_id.eq(author))
        .filter(answers::deleted_at.is_null())
        .filter(questions::deleted_at.is_null())
        .order(answers::id.desc())
        .limit(limit)
        .select((Answer::as_select(), questions::title, questions::slug))
        .load(conn)
}
