//! The search log: every query with its result count and time, for the
//! staff's content-gap report.

use diesel::prelude::*;

use crate::db::schema::{search_clicks, search_log};
use crate::db::Conn;
use crate::ids::SearchLogId;

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

/// Appends one entry; returns its id (used to log clicks on its results).
/// The query is logged as typed, less any NUL character (no backend's text
/// column stores one; PostgreSQL refuses the row).
pub fn insert(conn: &mut Conn, entry: &NewSearchLogEntry<'_>) -> QueryResult<SearchLogId> {
    let query = entry.query.replace('\0', "");
    diesel::insert_into(search_log::table)
        .values(&NewSearchLogEntry {
            query: &query,
            ..entry.clone()
        })
        .returning(search_log::id)
        .get_result(conn)
}

/// Records that result `position` (1-based) of search `search_id` was opened.
pub fn record_click(
    conn: &mut Conn,
    search_id: SearchLogId,
    url: &str,
    position: i32,
    now: i64,
) -> QueryResult<bool> {
    let exists: bool =
        diesel::select(diesel::dsl::exists(search_log::table.find(search_id))).get_result(conn)?;
    if !exists {
        return Ok(false);
    }
    diesel::insert_into(search_clicks::table)
        .values((
            search_clicks::search_id.eq(search_id),
            search_clicks::url.eq(url),
            search_clicks::position.eq(position),
            search_clicks::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// A query the site could not answer well, with how often it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryCount {
    /// The query, lowercased and trimmed.
    pub query: String,
    /// Times searched.
    pub count: i64,
}

/// Searches since `since` as `(query, result_count, clicked)`.
fn searches_since(conn: &mut Conn, since: i64) -> QueryResult<Vec<(String, i32, bool)>> {
    let rows: Vec<(i32, String, i32)> = search_log::table
        .filter(search_log::created_at.ge(since))
        .select((search_log::id, search_log::query, search_log::result_count))
        .load(conn)?;
    let clicked: std::collections::HashSet<i32> = search_clicks::table
        .inner_join(search_log::table)
        .filter(search_log::created_at.ge(since))
        .select(search_clicks::search_id)
        .load::<i32>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|(id, q, n)| (q.trim().to_lowercase(), n, clicked.contains(&id)))
        .collect())
}

fn top(mut counts: Vec<(String, i64)>, limit: usize) -> Vec<QueryCount> {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
        .into_iter()
        .take(limit)
        .map(|(query, count)| QueryCount { query, count })
        .collect()
}

fn tally<'a>(queries: impl Iterator<Item = &'a str>) -> Vec<(String, i64)> {
    let mut map: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for q in queries {
        *map.entry(q.to_string()).or_default() += 1;
    }
    map.into_iter().collect()
}

/// The most frequent queries since `since` that found nothing, and those
/// that found results nobody opened.
pub fn content_gaps(
    conn: &mut Conn,
    since: i64,
    limit: usize,
) -> QueryResult<(Vec<QueryCount>, Vec<QueryCount>)> {
    let rows = searches_since(conn, since)?;
    let zero = tally(
        rows.iter()
            .filter(|(_, n, _)| *n == 0)
            .map(|(q, _, _)| q.as_str()),
    );
    let no_click = tally(
        rows.iter()
            .filter(|(_, n, clicked)| *n > 0 && !clicked)
            .map(|(q, _, _)| q.as_str()),
    );
    Ok((top(zero, limit), top(no_click, limit)))
}

/// Per day since `since` (day start in unix seconds): searches and zero-result searches.
pub fn daily(conn: &mut Conn, since: i64) -> QueryResult<Vec<(i64, i64, i64)>> {
    let rows: Vec<(i64, i32)> = search_log::table
        .filter(search_log::created_at.ge(since))
        .select((search_log::created_at, search_log::result_count))
        .load(conn)?;
    let mut days: std::collections::BTreeMap<i64, (i64, i64)> = std::collections::BTreeMap::new();
    for (at, n) in rows {
        let day = at - at.rem_euclid(86_400);
        let entry = days.entry(day).or_default();
        entry.0 += 1;
        if n == 0 {
            entry.1 += 1;
        }
    }
    Ok(days
        .into_iter()
        .map(|(day, (all, zero))| (day, all, zero))
        .collect())
}

/// The newest entries first.
pub fn recent(conn: &mut Conn, limit: i64) -> QueryResult<Vec<SearchLogEntry>> {
    search_log::table
        .order(search_log::id.desc())
        .limit(limit)
        .select(SearchLogEntry::as_select())
        .load(conn)
}
