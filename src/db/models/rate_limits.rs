//! Rate-limit windows kept in the database, so a limit holds across every
//! node that shares it: one row per counted key, a fixed window each. Every
//! counted action is one statement (an `UPDATE … RETURNING`, or an `INSERT`
//! for the first hit of a key); expired rows are deleted by a periodic job.

use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::result::Error;
use diesel::sql_types::{BigInt, Integer};

use crate::db::schema::rate_limits;
use crate::db::Conn;

/// The current window of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = rate_limits)]
pub struct Window {
    /// Hits counted in the window; one more than the limit at most.
    pub hits: i32,
    /// When the window started (unix seconds).
    pub window_start: i64,
    /// When it ends (unix seconds).
    pub expires_at: i64,
}

/// Counts a hit for `bucket` in a window of `window_secs` that allows `max`
/// hits, starting a new window when the last one expired. The count stops at
/// `max + 1`: the returned window is over the limit when `hits > max`.
pub fn hit(
    conn: &mut Conn,
    bucket: &str,
    window_secs: i64,
    max: i32,
    now: i64,
) -> QueryResult<Window> {
    let max = max.min(i32::MAX - 1);
    if let Some(window) = count_in_row(conn, bucket, window_secs, max, now)? {
        return Ok(window);
    }
    let inserted = crate::db::unless_taken(conn, |conn| {
        diesel::insert_into(rate_limits::table)
            .values((
                rate_limits::bucket.eq(bucket),
                rate_limits::window_start.eq(now),
                rate_limits::expires_at.eq(now + window_secs),
                rate_limits::hits.eq(1),
            ))
            .returning(crate::db::row_columns::<Window>())
            .get_result(conn)
    })?;
    match inserted {
        Some(window) => Ok(window),
        // Another node counted the first hit of this key in between.
        None => count_in_row(conn, bucket, window_secs, max, now)?.ok_or(Error::NotFound),
    }
}

/// The `UPDATE … RETURNING` of [`hit`]; `None` when the key has no row.
fn count_in_row(
    conn: &mut Conn,
    bucket: &str,
    window_secs: i64,
    max: i32,
    now: i64,
) -> QueryResult<Option<Window>> {
    let expired = rate_limits::expires_at.le(now);
    diesel::update(rate_limits::table.find(bucket))
        .set((
            rate_limits::hits.eq(case_when::<_, _, Integer>(expired, 1)
                .when(rate_limits::hits.le(max), rate_limits::hits + 1)
                .otherwise(rate_limits::hits)),
            rate_limits::window_start
                .eq(case_when::<_, _, BigInt>(expired, now).otherwise(rate_limits::window_start)),
            rate_limits::expires_at.eq(case_when::<_, _, BigInt>(expired, now + window_secs)
                .otherwise(rate_limits::expires_at)),
        ))
        .returning(crate::db::row_columns::<Window>())
        .get_result(conn)
        .optional()
}

/// The live window of `bucket`, without counting a hit.
pub fn peek(conn: &mut Conn, bucket: &str, now: i64) -> QueryResult<Option<Window>> {
    rate_limits::table
        .find(bucket)
        .filter(rate_limits::expires_at.gt(now))
        .select(Window::as_select())
        .first(conn)
        .optional()
}

/// Forgets `bucket` (e.g. failures after a successful sign-in).
pub fn clear(conn: &mut Conn, bucket: &str) -> QueryResult<usize> {
    diesel::delete(rate_limits::table.find(bucket)).execute(conn)
}

/// Deletes windows that ended before `now`.
pub fn delete_expired(conn: &mut Conn, now: i64) -> QueryResult<usize> {
    diesel::delete(rate_limits::table.filter(rate_limits::expires_at.le(now))).execute(conn)
}

/// Number of windows stored.
pub fn count(conn: &mut Conn) -> QueryResult<i64> {
    rate_limits::table.count().get_result(conn)
}
