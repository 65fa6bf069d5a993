//! Followers of a known issue ("tell me when it's fixed"): members, and
//! e-mail addresses without an account, which follow once confirmed.

use diesel::prelude::*;

use crate::db::schema::known_issue_followers as f;
use crate::db::Conn;
use crate::ids::{KnownIssueFollowerId, KnownIssueId, UserId};

/// A follower row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = f)]
pub struct Follower {
    /// Primary key (what a mailed unsubscribe link names).
    pub id: KnownIssueFollowerId,
    /// The issue followed.
    pub issue_id: KnownIssueId,
    /// A member who follows (else `address` is set).
    pub user_id: Option<UserId>,
    /// An address that follows without an account, as typed.
    pub address: Option<String>,
    /// The address compared case-insensitively.
    pub address_key: Option<String>,
    /// SHA-256 of the unused confirmation link.
    pub confirm_hash: Option<String>,
    /// When the confirmation link stops working.
    pub confirm_expires: Option<i64>,
    /// When the address was confirmed (members: when they followed).
    pub confirmed_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
}

/// The member's row for `issue`.
pub fn member(conn: &mut Conn, issue: KnownIssueId, user: UserId) -> QueryResult<Option<Follower>> {
    f::table
        .filter(f::issue_id.eq(issue))
        .filter(f::user_id.eq(user))
        .select(Follower::as_select())
        .first(conn)
        .optional()
}

/// Adds a member as a follower (nothing when they already follow); whether
/// one was added. One `INSERT ... ON CONFLICT DO NOTHING`, so two follows at
/// once never trip the unique index.
pub fn add_member(
    conn: &mut Conn,
    issue: KnownIssueId,
    user: UserId,
    now: i64,
) -> QueryResult<bool> {
    let row = (
        f::issue_id.eq(issue),
        f::user_id.eq(Some(user)),
        f::confirmed_at.eq(Some(now)),
        f::created_at.eq(now),
    );
    let added = crate::db::per_backend!(conn, |c| diesel::insert_into(f::table)
        .values(&row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(added > 0)
}

/// Removes a member's follow; whether there was one.
pub fn remove_member(conn: &mut Conn, issue: KnownIssueId, user: UserId) -> QueryResult<bool> {
    let n = diesel::delete(
        f::table
            .filter(f::issue_id.eq(issue))
            .filter(f::user_id.eq(user)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// The row of an address (by its key) for `issue`.
pub fn address(conn: &mut Conn, issue: KnownIssueId, key: &str) -> QueryResult<Option<Follower>> {
    f::table
        .filter(f::issue_id.eq(issue))
        .filter(f::address_key.eq(key))
        .select(Follower::as_select())
        .first(conn)
        .optional()
}

/// Adds an unconfirmed address (or renews the link of an unconfirmed one)
/// with the hash of its confirmation link.
pub fn add_pending_address(
    conn: &mut Conn,
    issue: KnownIssueId,
    address: &str,
    key: &str,
    confirm_hash: &str,
    expires: i64,
    now: i64,
) -> QueryResult<()> {
    diesel::delete(
        f::table
            .filter(f::issue_id.eq(issue))
            .filter(f::address_key.eq(key))
            .filter(f::confirmed_at.is_null()),
    )
    .execute(conn)?;
    diesel::insert_into(f::table)
        .values((
            f::issue_id.eq(issue),
            f::address.eq(Some(address)),
            f::address_key.eq(Some(key)),
            f::confirm_hash.eq(Some(confirm_hash)),
            f::confirm_expires.eq(Some(expires)),
            f::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Uses a confirmation link: the pending row with this hash, unexpired,
/// becomes a follower and its link is spent. The row, or `None` for an
/// unknown, used or expired link.
pub fn confirm(conn: &mut Conn, confirm_hash: &str, now: i64) -> QueryResult<Option<Follower>> {
    let Some(row) = f::table
        .filter(f::confirm_hash.eq(confirm_hash))
        .filter(f::confirmed_at.is_null())
        .filter(f::confirm_expires.gt(now))
        .select(Follower::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    diesel::update(f::table.find(row.id))
        .set((
            f::confirm_hash.eq(None::<String>),
            f::confirm_expires.eq(None::<i64>),
            f::confirmed_at.eq(Some(now)),
        ))
        .execute(conn)?;
    find(conn, row.id)
}

/// One row by id.
pub fn find(conn: &mut Conn, id: KnownIssueFollowerId) -> QueryResult<Option<Follower>> {
    f::table
        .find(id)
        .select(Follower::as_select())
        .first(conn)
        .optional()
}

/// Removes one row (an unsubscribe); whether it was there.
pub fn remove(conn: &mut Conn, id: KnownIssueFollowerId) -> QueryResult<bool> {
    Ok(diesel::delete(f::table.find(id)).execute(conn)? > 0)
}

/// The confirmed followers of an issue, oldest first.
pub fn confirmed_of(conn: &mut Conn, issue: KnownIssueId) -> QueryResult<Vec<Follower>> {
    f::table
        .filter(f::issue_id.eq(issue))
        .filter(f::confirmed_at.is_not_null())
        .order(f::id)
        .select(Follower::as_select())
        .load(conn)
}

/// Confirmed followers per issue (members and addresses).
pub fn counts(conn: &mut Conn) -> QueryResult<Vec<(KnownIssueId, i64)>> {
    f::table
        .filter(f::confirmed_at.is_not_null())
        .group_by(f::issue_id)
        .select((f::issue_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Deletes confirmation links that expired before `before` and were never used.
pub fn delete_expired_pending(conn: &mut Conn, before: i64) -> QueryResult<usize> {
    diesel::delete(
        f::table
            .filter(f::confirmed_at.is_null())
            .filter(f::confirm_expires.lt(before)),
    )
    .execute(conn)
}
