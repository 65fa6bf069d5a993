//! The page caches' change feed for writes the search outbox does not carry
//! (announcements, user names, roles, suspensions, a question's place in
//! the lists). Written in the writing
//! transaction; every node tails it (`service::page_feed`).

use diesel::prelude::*;

use crate::db::schema::page_changes;
use crate::db::Conn;

/// What a change makes stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageScope {
    /// The announcements changed: reload the board, then every page.
    Announcements,
    /// Something every page may show changed (a user's name or standing).
    Everything,
    /// One question changed in a way search does not follow (its place
    /// in the lists).
    Question(i32),
    /// A signed-in user wrote something (a vote, follow, draft, comment,
    /// setting...) or signed in: pages cached for that user are stale.
    User(i32),
}

impl PageScope {
    fn stored(self) -> String {
        match self {
            PageScope::Announcements => "announcements".into(),
            PageScope::Everything => "all".into(),
            PageScope::Question(id) => format!("question:{id}"),
            PageScope::User(id) => format!("user:{id}"),
        }
    }

    /// The scope stored as `text`; an unknown one (written by a newer
    /// version) counts as [`PageScope::Everything`].
    pub fn parse(text: &str) -> PageScope {
        match text.split_once(':') {
            None if text == "announcements" => PageScope::Announcements,
            Some(("question", id)) => id
                .parse()
                .map_or(PageScope::Everything, PageScope::Question),
            Some(("user", id)) => id.parse().map_or(PageScope::Everything, PageScope::User),
            _ => PageScope::Everything,
        }
    }
}

/// One change.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = page_changes)]
pub struct PageChange {
    /// Monotonic id.
    pub id: i32,
    /// What it makes stale, as stored (see [`PageScope::parse`]).
    pub scope: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Records a change; call inside the writing transaction.
pub fn record(conn: &mut Conn, scope: PageScope, now: i64) -> QueryResult<()> {
    diesel::insert_into(page_changes::table)
        .values((
            page_changes::scope.eq(scope.stored()),
            page_changes::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Up to `limit` changes after `after_id`, oldest first.
pub fn after(conn: &mut Conn, after_id: i32, limit: i64) -> QueryResult<Vec<PageChange>> {
    page_changes::table
        .filter(page_changes::id.gt(after_id))
        .order(page_changes::id.asc())
        .limit(limit)
        .select(PageChange::as_select())
        .load(conn)
}

/// The changes among `ids` that exist (ids skipped while their transaction
/// was still open).
pub fn with_ids(conn: &mut Conn, ids: &[i32]) -> QueryResult<Vec<PageChange>> {
    page_changes::table
        .filter(page_changes::id.eq_any(ids))
        .order(page_changes::id.asc())
        .select(PageChange::as_select())
        .load(conn)
}

/// How long a change is kept: far longer than any node takes to read it
/// (every 300 ms); a node that starts reads from the feed's end.
pub const KEPT_SECS: i64 = 3600;

/// Deletes the changes made more than [`KEPT_SECS`] before `now`; returns
/// how many.
pub fn prune(conn: &mut Conn, now: i64) -> QueryResult<usize> {
    diesel::delete(page_changes::table.filter(page_changes::created_at.lt(now - KEPT_SECS)))
        .execute(conn)
}

/// The newest change id (0 when empty).
pub fn max_id(conn: &mut Conn) -> QueryResult<i32> {
    page_changes::table
        .select(diesel::dsl::max(page_changes::id))
        .first::<Option<i32>>(conn)
        .map(|id| id.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::PageScope;

    #[test]
    fn scopes_read_back_as_written_and_unknown_ones_as_everything() {
        for scope in [
            PageScope::Announcements,
            PageScope::Everything,
            PageScope::Question(42),
            PageScope::User(7),
        ] {
            assert_eq!(PageScope::parse(&scope.stored()), scope);
        }
        assert_eq!(PageScope::parse("tag:x"), PageScope::Everything);
        assert_eq!(PageScope::parse("question:x"), PageScope::Everything);
        assert_eq!(PageScope::parse("user:x"), PageScope::Everything);
    }
}
