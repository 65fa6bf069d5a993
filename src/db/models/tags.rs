//! Question tags and their counts.

use diesel::prelude::*;

use crate::db::schema::{question_tags, tags};
use crate::db::Conn;
use crate::ids::{QuestionId, TagId};

/// A tag row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tags)]
pub struct Tag {
    /// Primary key.
    pub id: TagId,
    /// Normalized name.
    pub name: String,
    /// Visible questions with it.
    pub question_count: i32,
}

/// The tag with this name.
pub fn find(conn: &mut Conn, name: &str) -> QueryResult<Option<Tag>> {
    tags::table
        .filter(tags::name.eq(name))
        .select(Tag::as_select())
        .first(conn)
        .optional()
}

/// Tags with at least one question, most used first.
pub fn list(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Tag>> {
    tags::table
        .filter(tags::question_count.gt(0))
        .order((tags::question_count.desc(), tags::name.asc()))
        .limit(limit)
        .select(Tag::as_select())
        .load(conn)
}

fn find_or_create(conn: &mut Conn, name: &str) -> QueryResult<TagId> {
    if let Some(tag) = find(conn, name)? {
        return Ok(tag.id);
    }
    diesel::insert_into(tags::table)
        .values(tags::name.eq(name))
        .returning(tags::id)
        .get_result(conn)
}

/// Replaces a question's tags and refreshes the counts of every tag touched.
/// Each link carries the question's `created_at`: the tag's index
/// (`question_tags_tag`) is then in the order of the newest-first lists.
pub fn set_for_question(
    conn: &mut Conn,
    question_id: QuestionId,
    names: &[String],
) -> QueryResult<()> {
    let asked_at: i64 = crate::db::schema::questions::table
        .find(question_id)
        .select(crate::db::schema::questions::created_at)
        .first(conn)?;
    let old: Vec<TagId> = question_tags::table
        .filter(question_tags::question_id.eq(question_id))
        .select(question_tags::tag_id)
        .load(conn)?;
    diesel::delete(question_tags::table.filter(question_tags::question_id.eq(question_id)))
        .execute(conn)?;
    let mut touched = old;
    for name in names {
        let id = find_or_create(conn, name)?;
        diesel::insert_into(question_tags::table)
            .values((
                question_tags::question_id.eq(question_id),
                question_tags::tag_id.eq(id),
                question_tags::created_at.eq(asked_at),
            ))
            .execute(conn)?;
        touched.push(id);
    }
    touched.sort_unstable();
    touched.dedup();
    refresh_counts(conn, &touched)
}

/// Recomputes the visible-question counts of these tags.
pub fn refresh_counts(conn: &mut Conn, tag_ids: &[TagId]) -> QueryResult<()> {
    use crate::db::schema::questions;
    for id in tag_ids {
        let n: i64 = question_tags::table
            .inner_join(questions::table)
            .filter(question_tags::tag_id.eq(id))
            .filter(questions::deleted_at.is_null())
            .count()
            .get_result(conn)?;
        diesel::update(tags::table.find(id))
            .set(tags::question_count.eq(i32::try_from(n).unwrap_or(i32::MAX)))
            .execute(conn)?;
    }
    Ok(())
}

/// The tag ids of a question.
pub fn ids_for_question(conn: &mut Conn, question_id: QuestionId) -> QueryResult<Vec<TagId>> {
    question_tags::table
        .filter(question_tags::question_id.eq(question_id))
        .select(question_tags::tag_id)
        .load(conn)
}
