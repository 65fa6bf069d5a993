//! Revisions of articles: one per save in the browser or per changed file.

use diesel::prelude::*;

use crate::db::models::revisions::HistoryCursor;
use crate::db::schema::article_revisions;
use crate::db::Conn;
use crate::ids::{ArticleId, ArticleRevisionId, ManualId, UserId};

/// An article revision row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_revisions)]
pub struct ArticleRevision {
    /// Primary key (increasing: the newest revision is the current text).
    pub id: ArticleRevisionId,
    /// The article.
    pub article_id: ArticleId,
    /// Who saved it; `None` when it came from a content file.
    pub editor_id: Option<UserId>,
    /// Manual at this revision.
    pub manual_id: ManualId,
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
    pub article_id: ArticleId,
    /// Editor.
    pub editor_id: Option<UserId>,
    /// Manual.
    pub manual_id: ManualId,
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
pub fn insert(conn: &mut Conn, new: &NewArticleRevision<'_>) -> QueryResult<ArticleRevisionId> {
    diesel::insert_into(article_revisions::table)
        .values(new)
        .returning(article_revisions::id)
        .get_result(conn)
}

/// Revisions of an article, newest first.
pub fn for_article(conn: &mut Conn, article_id: ArticleId) -> QueryResult<Vec<ArticleRevision>> {
    article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .order(article_revisions::id.desc())
        .select(ArticleRevision::as_select())
        .load(conn)
}

/// The newest revision id of an article (`ArticleRevisionId(0)`, which no
/// row has, when none).
pub fn latest_id(conn: &mut Conn, article_id: ArticleId) -> QueryResult<ArticleRevisionId> {
    article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .select(diesel::dsl::max(article_revisions::id))
        .first::<Option<ArticleRevisionId>>(conn)
        .map(|id| id.unwrap_or(ArticleRevisionId(0)))
}

/// One revision of an article.
pub fn find(
    conn: &mut Conn,
    article_id: ArticleId,
    id: ArticleRevisionId,
) -> QueryResult<Option<ArticleRevision>> {
    article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .filter(article_revisions::id.eq(id))
        .select(ArticleRevision::as_select())
        .first(conn)
        .optional()
}

/// An article revision without its text (history lists).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = article_revisions)]
pub struct ArticleRevisionHead {
    /// Primary key.
    pub id: ArticleRevisionId,
    /// Who saved it; `None` when it came from a content file.
    pub editor_id: Option<UserId>,
    /// Title.
    pub title: String,
    /// `published` or `draft`.
    pub status: String,
    /// Outdated notice.
    pub outdated_reason: Option<String>,
    /// Edit note.
    pub note: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// One page of an article's history, newest first.
#[derive(Debug, Clone)]
pub struct ArticleHistoryPage {
    /// At most `limit` revisions, newest first.
    pub rows: Vec<ArticleRevisionHead>,
    /// Whether newer revisions exist than the first row.
    pub has_newer: bool,
    /// Whether older revisions exist than the last row.
    pub has_older: bool,
    /// The 1-based number of the first (newest) row in the whole history.
    pub first_number: i64,
}

/// A page of `limit` revisions of an article from `cursor` (keyset on the
/// `(article_id, id)` index; texts are not loaded).
pub fn history_page(
    conn: &mut Conn,
    article_id: ArticleId,
    cursor: HistoryCursor,
    limit: i64,
) -> QueryResult<ArticleHistoryPage> {
    let of_article = || {
        article_revisions::table
            .filter(article_revisions::article_id.eq(article_id))
            .select(ArticleRevisionHead::as_select())
            .into_boxed()
    };
    let mut rows = match cursor {
        HistoryCursor::Newest => of_article()
            .order(article_revisions::id.desc())
            .limit(limit + 1)
            .load(conn)?,
        HistoryCursor::Before(id) => of_article()
            .filter(article_revisions::id.lt(id))
            .order(article_revisions::id.desc())
            .limit(limit + 1)
            .load(conn)?,
        HistoryCursor::After(id) => {
            let mut rows = of_article()
                .filter(article_revisions::id.gt(id))
                .order(article_revisions::id.asc())
                .limit(limit)
                .load(conn)?;
            rows.reverse();
            rows
        }
    };
    let mut has_older = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let count = |conn: &mut Conn, newer: bool, id: ArticleRevisionId| -> QueryResult<i64> {
        let query = article_revisions::table
            .filter(article_revisions::article_id.eq(article_id))
            .into_boxed();
        let query = if newer {
            query.filter(article_revisions::id.gt(id))
        } else {
            query.filter(article_revisions::id.le(id))
        };
        query.count().get_result(conn)
    };
    let (has_newer, first_number) = match rows.first() {
        Some(first) => (
            count(conn, true, first.id)? > 0,
            count(conn, false, first.id)?,
        ),
        None => (false, 0),
    };
    if let (HistoryCursor::After(_), Some(last)) = (cursor, rows.last()) {
        has_older = count(conn, false, last.id)? > 1;
    }
    Ok(ArticleHistoryPage {
        rows,
        has_newer,
        has_older,
        first_number,
    })
}
