//! Flags: members report posts and comments to staff.

use diesel::prelude::*;

use crate::db::schema::flags;
use crate::db::Conn;
use crate::ids::{FlagId, UserId};
use crate::kinds::FlagKind;

/// A flag row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = flags)]
pub struct Flag {
    /// Primary key.
    pub id: FlagId,
    /// `question`, `answer` or `comment`.
    pub post_kind: FlagKind,
    /// The post or comment.
    pub post_id: i32,
    /// Who flagged.
    pub reporter_id: UserId,
    /// `spam`, `rude`, `wrong`, `other`.
    pub reason: String,
    /// Free text.
    pub details: String,
    /// `open`, `resolved`, `dismissed`.
    pub status: String,
    /// Staff member who handled it.
    pub resolved_by: Option<UserId>,
    /// When.
    pub resolved_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Files a flag; `false` when this user already has an open flag on the post.
pub fn insert(
    conn: &mut Conn,
    post_kind: FlagKind,
    post_id: i32,
    reporter: UserId,
    reason: &str,
    details: &str,
    now: i64,
) -> QueryResult<bool> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        flags::table
            .filter(flags::post_kind.eq(post_kind))
            .filter(flags::post_id.eq(post_id))
            .filter(flags::reporter_id.eq(reporter))
            .filter(flags::status.eq("open")),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(flags::table)
        .values((
            flags::post_kind.eq(post_kind),
            flags::post_id.eq(post_id),
            flags::reporter_id.eq(reporter),
            flags::reason.eq(reason),
            flags::details.eq(details),
            flags::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Open flags, oldest first.
pub fn open(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Flag>> {
    flags::table
        .filter(flags::status.eq("open"))
        .order(flags::id.asc())
        .limit(limit)
        .select(Flag::as_select())
        .load(conn)
}

/// Number of open flags.
pub fn open_count(conn: &mut Conn) -> QueryResult<i64> {
    flags::table
        .filter(flags::status.eq("open"))
        .count()
        .get_result(conn)
}

/// Resolves or dismisses an open flag; false if it was not open.
pub fn close(
    conn: &mut Conn,
    id: FlagId,
    status: &str,
    staff: UserId,
    now: i64,
) -> QueryResult<bool> {
    let n = diesel::update(flags::table.find(id).filter(flags::status.eq("open")))
        .set((
            flags::status.eq(status),
            flags::resolved_by.eq(Some(staff)),
            flags::resolved_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
