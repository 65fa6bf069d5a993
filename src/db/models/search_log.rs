//! The search log: every query with its result count and time, for the
//! staff's content-gap report.

use diesel::prelude::*;

use crate::db::schema::search_log;
use crate::db::Conn;

/// A logged search.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = search_log)]
pub struct SearchLogEntry {
    /// Primary key.
    pub id: i32,
    /// The query as typed (truncated).
    pub query: String,
    /// The kind filter, if any.
    pub kind: Option<String>,
    /// How many results were found.
    pub result_count: i32,
    /// How long the search took, in microseconds.
    pub took_us: i64,
    /// Unix seconds.
    pub created_at: i64,
}

/// Values for a new log entry.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = search_log)]
pub struct NewSearchLogEntry<'a> {
    /// The query.
    pub query: &'a str,
    /// The kind filter.
    pub kind: Option<&'a str>,
    /// Result count.
    pub result_count: i32,
    /// Microseconds.
    pub took_us: i64,
    /// Unix seconds.
    pub created_at: i64,
}

/// Appends one entry.
pub fn insert(conn: &mut Conn, entry: &NewSearchLogEntry<'_>) -> QueryResult<usize> {
    diesel::insert_into(search_log::table).values(entry).execute(conn)
}

/// The newest entries first.
pub fn recent(conn: &mut Conn, limit: i64) -> QueryResult<Vec<SearchLogEntry>> {
    search_log::table
        .order(search_log::id.desc())
        .limit(limit)
        .select(SearchLogEntry::as_select())
        .load(conn)
}
