//! Revisions of articles: one per save in the browser or per changed file.

use diesel::prelude::*;

use crate::db::schema::article_revisions;
use crate::db::Conn;

/// An article revision row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_revisions)]
pub struct ArticleRevision {
    /// Primary key (increasing: the newest revision is the current text).
    pub id: i32,
    /// The article.
    pub article_id: i32,
    /// Who saved it; `None` when it came from a content file.
    pub editor_id: Option<i32>,
    /// Manual at this revision.
    pub manual_id: i32,
    /// Title.
    pub title: String,
    /// Order.
    pub weight: i32,
    /// Tags.
    pub tags: String,
    /// `published` or `draft`.
    pub status: String,
    /// Outdated notice.
    pub outdated_reason: Option<String>,
    /// Markdown.
    pub body_md: String,
    /// Edit note.
    pub note: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Values for a new revision.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = article_revisions)]
pub struct NewArticleRevision<'a> {
    /// The article.
    pub article_id: i32,
    /// Editor.
    pub editor_id: Option<i32>,
    /// Manual.
    pub manual_id: i32,
    /// Title.
    pub title: &'a str,
    /// Order.
    pub weight: i32,
    /// Tags.
    pub tags: &'a str,
    /// Status.
    pub status: &'a str,
    /// Outdated notice.
    pub outdated_reason: Option<&'a str>,
    /// Markdown.
    pub body_md: &'a str,
    /// Note.
    pub note: &'a str,
    /// Unix seconds.
    pub created_at: i64,
}

/// Appends a revision; returns its id.
pub fn insert(conn: &mut Conn, new: &NewArticleRevision<'_>) -> QueryResult<i32> {
    diesel::insert_into(article_revisions::table)
        .values(new)
        .returning(article_revisions::id)
        .get_result(conn)
}

/// Revisions of an article, newest first.
pub fn for_article(conn: &mut Conn, article_id: i32) -> QueryResult<Vec<ArticleRevision>> {
    article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .order(article_revisions::id.desc())
        .select(ArticleRevision::as_select())
        .load(conn)
}

/// The newest revision id of an article (0 when none).
pub fn latest_id(conn: &mut Conn, article_id: i32) -> QueryResult<i32> {
    article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .select(diesel::dsl::max(article_revisions::id))
        .first::<Option<i32>>(conn)
        .map(|id| id.unwrap_or(0))
}

/// One revision of an article.
pub fn find(conn: &mut Conn, article_id: i32, id: i32) -> QueryResult<Option<ArticleRevision>> {
    article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .filter(article_revisions::id.eq(id))
        .select(ArticleRevision::as_select())
        .first(conn)
        .optional()
}
