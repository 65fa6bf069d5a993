//! Revisions of posts: every edit keeps the previous and new text.

use diesel::prelude::*;

use crate::db::schema::revisions;
use crate::db::Conn;

/// A revision row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = revisions)]
pub struct Revision {
    /// Primary key.
    pub id: i32,
    /// `question` or `answer`.
    pub post_kind: String,
    /// The post.
    pub post_id: i32,
    /// Who saved it.
    pub editor_id: i32,
    /// Title at this revision (questions).
    pub title: Option<String>,
    /// Markdown at this revision.
    pub body_md: String,
    /// Tags at this revision (questions).
    pub tags: Option<String>,
    /// Edit note.
    pub note: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Values for a new revision.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = revisions)]
pub struct NewRevision<'a> {
    /// Kind.
    pub post_kind: &'a str,
    /// Post.
    pub post_id: i32,
    /// Editor.
    pub editor_id: i32,
    /// Title.
    pub title: Option<&'a str>,
    /// Markdown.
    pub body_md: &'a str,
    /// Tags.
    pub tags: Option<&'a str>,
    /// Note.
    pub note: &'a str,
    /// Unix seconds.
    pub created_at: i64,
}

/// Appends a revision.
pub fn insert(conn: &mut Conn, new: &NewRevision<'_>) -> QueryResult<usize> {
    diesel::insert_into(revisions::table)
        .values(new)
        .execute(conn)
}

/// Revisions of a post, oldest first.
pub fn for_post(conn: &mut Conn, post_kind: &str, post_id: i32) -> QueryResult<Vec<Revision>> {
    revisions::table
        .filter(revisions::post_kind.eq(post_kind))
        .filter(revisions::post_id.eq(post_id))
        .order(revisions::id.asc())
        .select(Revision::as_select())
        .load(conn)
}
