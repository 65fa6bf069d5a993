//! Revisions of posts: every edit keeps the previous and new text.

use diesel::prelude::*;

use crate::db::schema::revisions;
use crate::db::Conn;
use crate::ids::{RevisionId, UserId};
use crate::kinds::PostKind;

/// A revision row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = revisions)]
pub struct Revision {
    /// Primary key.
    pub id: RevisionId,
    /// `question` or `answer`.
    pub post_kind: PostKind,
    /// The post.
    pub post_id: i32,
    /// Who saved it.
    pub editor_id: UserId,
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
    pub post_kind: PostKind,
    /// Post.
    pub post_id: i32,
    /// Editor.
    pub editor_id: UserId,
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
pub fn for_post(conn: &mut Conn, post_kind: PostKind, post_id: i32) -> QueryResult<Vec<Revision>> {
    revisions::table
        .filter(revisions::post_kind.eq(post_kind))
        .filter(revisions::post_id.eq(post_id))
        .order(revisions::id.asc())
        .select(Revision::as_select())
        .load(conn)
}

/// The newest revision of a post, if it has any.
pub fn latest(conn: &mut Conn, post_kind: PostKind, post_id: i32) -> QueryResult<Option<Revision>> {
    revisions::table
        .filter(revisions::post_kind.eq(post_kind))
        .filter(revisions::post_id.eq(post_id))
        .order(revisions::id.desc())
        .select(Revision::as_select())
        .first(conn)
        .optional()
}

/// The id of a post's newest revision (`RevisionId(0)`, which no row has,
/// when it has none, e.g. imported posts).
pub fn latest_id(conn: &mut Conn, post_kind: PostKind, post_id: i32) -> QueryResult<RevisionId> {
    revisions::table
        .filter(revisions::post_kind.eq(post_kind))
        .filter(revisions::post_id.eq(post_id))
        .select(diesel::dsl::max(revisions::id))
        .first::<Option<RevisionId>>(conn)
        .map(|id| id.unwrap_or(RevisionId(0)))
}

/// One revision of a post.
pub fn find(
    conn: &mut Conn,
    post_kind: PostKind,
    post_id: i32,
    id: RevisionId,
) -> QueryResult<Option<Revision>> {
    revisions::table
        .filter(revisions::post_kind.eq(post_kind))
        .filter(revisions::post_id.eq(post_id))
        .filter(revisions::id.eq(id))
        .select(Revision::as_select())
        .first(conn)
        .optional()
}

/// Where a page of history starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryCursor {
    /// The newest revisions.
    Newest,
    /// Revisions older than this id.
    Before(i32),
    /// Revisions newer than this id.
    After(i32),
}

/// One page of a post's history, newest first.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    /// At most `limit` revisions, newest first.
    pub rows: Vec<Revision>,
    /// The revision just before the oldest row (what it is compared with).
    pub previous: Option<Revision>,
    /// Whether newer revisions exist than the first row.
    pub has_newer: bool,
    /// The 1-based number of the first (newest) row in the whole history.
    pub first_number: i64,
}

/// A page of `limit` revisions of a post from `cursor`. Keyset pagination on
/// the `(post_kind, post_id, id)` index: every page costs the same, however
/// long the history.
pub fn history_page(
    conn: &mut Conn,
    post_kind: PostKind,
    post_id: i32,
    cursor: HistoryCursor,
    limit: i64,
) -> QueryResult<HistoryPage> {
    let of_post = || {
        revisions::table
            .filter(revisions::post_kind.eq(post_kind))
            .filter(revisions::post_id.eq(post_id))
            .select(Revision::as_select())
            .into_boxed()
    };
    let (rows, previous) = match cursor {
        HistoryCursor::Newest | HistoryCursor::Before(_) => {
            let mut query = of_post().order(revisions::id.desc()).limit(limit + 1);
            if let HistoryCursor::Before(id) = cursor {
                query = query.filter(revisions::id.lt(id));
            }
            let mut rows = query.load(conn)?;
            let previous = if rows.len() as i64 > limit {
                rows.pop()
            } else {
                None
            };
            (rows, previous)
        }
        HistoryCursor::After(id) => {
            let mut rows = of_post()
                .filter(revisions::id.gt(id))
                .order(revisions::id.asc())
                .limit(limit)
                .load(conn)?;
            rows.reverse();
            let oldest = rows.last().map_or(id.saturating_add(1), |r| r.id.0);
            let previous = of_post()
                .filter(revisions::id.lt(oldest))
                .order(revisions::id.desc())
                .first(conn)
                .optional()?;
            (rows, previous)
        }
    };
    let (has_newer, first_number) = match rows.first() {
        Some(first) => {
            let newer: Option<i32> = revisions::table
                .filter(revisions::post_kind.eq(post_kind))
                .filter(revisions::post_id.eq(post_id))
                .filter(revisions::id.gt(first.id))
                .select(revisions::id)
                .first(conn)
                .optional()?;
            let up_to: i64 = revisions::table
                .filter(revisions::post_kind.eq(post_kind))
                .filter(revisions::post_id.eq(post_id))
                .filter(revisions::id.le(first.id))
                .count()
                .get_result(conn)?;
            (newer.is_some(), up_to)
        }
        None => (false, 0),
    };
    Ok(HistoryPage {
        rows,
        previous,
        has_newer,
        first_number,
    })
}
