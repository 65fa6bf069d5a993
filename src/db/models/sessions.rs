//! Sign-in sessions, stored by the hash of their token.

use diesel::prelude::*;

use crate::db::models::users::User;
use crate::db::schema::{sessions, users};
use crate::db::Conn;
use crate::ids::{SessionId, UserId};

/// A session row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = sessions)]
pub struct Session {
    /// Primary key.
    pub id: SessionId,
    /// SHA-256 of the cookie token.
    pub token_hash: String,
    /// Whose session.
    pub user_id: UserId,
    /// CSRF token bound to this session.
    pub csrf_token: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Last request (unix seconds), for idle expiry.
    pub last_seen_at: i64,
    /// Absolute expiry (unix seconds).
    pub expires_at: i64,
}

/// Values for a new session.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    /// Token hash.
    pub token_hash: &'a str,
    /// Owner.
    pub user_id: UserId,
    /// CSRF token.
    pub csrf_token: &'a str,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub last_seen_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Stores a new session.
pub fn create(conn: &mut Conn, new: &NewSession<'_>) -> QueryResult<Session> {
    diesel::insert_into(sessions::table)
        .values(new)
        .returning(crate::db::row_columns::<Session>())
        .get_result(conn)
}

/// The session with this token hash and its user.
pub fn find_with_user(conn: &mut Conn, token_hash: &str) -> QueryResult<Option<(Session, User)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(token_hash))
        .select((Session::as_select(), User::as_select()))
        .first(conn)
        .optional()
}

/// Records activity.
pub fn touch(conn: &mut Conn, id: SessionId, now: i64) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

/// Ends one session.
pub fn delete(conn: &mut Conn, id: SessionId) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
}

/// Ends every session of a user, except `keep` if given.
pub fn delete_for_user(
    conn: &mut Conn,
    user_id: UserId,
    keep: Option<SessionId>,
) -> QueryResult<usize> {
    let mut query = diesel::delete(sessions::table)
        .filter(sessions::user_id.eq(user_id))
        .into_boxed();
    if let Some(keep) = keep {
        query = query.filter(sessions::id.ne(keep));
    }
    query.execute(conn)
}

/// Deletes expired sessions.
pub fn delete_expired(conn: &mut Conn, now: i64, idle_secs: i64) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .lt(now)
                .or(sessions::last_seen_at.lt(now - idle_secs)),
        ),
    )
    .execute(conn)
}

/// Number of sessions a user has.
pub fn count_for_user(conn: &mut Conn, user_id: UserId) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .count()
        .get_result(conn)
}
