//! User accounts.

use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::Conn;
use crate::ids::UserId;

/// A user row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    /// Primary key.
    pub id: UserId,
    /// Shown username (NFKC, case kept).
    pub username: String,
    /// Unique lowercase key.
    pub username_key: String,
    /// Free-form display name.
    pub display_name: String,
    /// argon2id PHC string; `None` for accounts that cannot sign in.
    pub password_hash: Option<String>,
    /// `member`, `staff` or `admin`.
    pub role: String,
    /// Set while suspended (unix seconds).
    pub suspended_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl User {
    /// The role; unknown stored values count as member.
    pub fn role(&self) -> crate::auth::Role {
        crate::auth::Role::parse(&self.role).unwrap_or(crate::auth::Role::Member)
    }

    /// Whether the account is suspended.
    pub fn is_suspended(&self) -> bool {
        self.suspended_at.is_some()
    }
}

/// Values for a new user.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Shown username.
    pub username: &'a str,
    /// Unique key.
    pub username_key: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Password hash.
    pub password_hash: Option<&'a str>,
    /// Role name.
    pub role: &'a str,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// Inserts a user; `Ok(None)` when the username (any case) is taken (the
/// caller's transaction stays usable, see [`crate::db::unless_taken`]).
pub fn create(conn: &mut Conn, new: &NewUser<'_>) -> QueryResult<Option<User>> {
    crate::db::unless_taken(conn, |conn| {
        diesel::insert_into(users::table)
            .values(new)
            .returning(crate::db::row_columns::<User>())
            .get_result(conn)
    })
}

/// The user with this unique key.
pub fn find_by_key(conn: &mut Conn, key: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username_key.eq(key))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The user with this id.
pub fn find(conn: &mut Conn, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Whether any admin exists.
pub fn admin_exists(conn: &mut Conn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::role.eq("admin")),
    ))
    .get_result(conn)
}

/// Users whose name contains `search` (case-insensitive), newest first, with paging.
pub fn search(conn: &mut Conn, search: &str, limit: i64, offset: i64) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .select(User::as_select())
        .order(users::id.desc())
        .limit(limit)
        .offset(offset)
        .into_boxed();
    let needle = search.trim().to_lowercase();
    if !needle.is_empty() {
        let pattern = format!(
            "%{}%",
            needle
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        query = query.filter(
            users::username_key
                .like(pattern.clone())
                .escape('\\')
                .or(crate::db::lower(users::display_name)
                    .like(pattern)
                    .escape('\\')),
        );
    }
    query.load(conn)
}

/// Sets the role.
pub fn set_role(conn: &mut Conn, id: UserId, role: &str, now: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::role.eq(role), users::updated_at.eq(now)))
        .execute(conn)
        .and_then(|n| shown_on_pages(conn, n, now))
}

/// Suspends (`Some(now)`) or unsuspends (`None`).
pub fn set_suspended(conn: &mut Conn, id: UserId, at: Option<i64>, now: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::suspended_at.eq(at), users::updated_at.eq(now)))
        .execute(conn)
        .and_then(|n| shown_on_pages(conn, n, now))
}

/// Replaces the password hash.
pub fn set_password_hash(conn: &mut Conn, id: UserId, hash: &str, now: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Replaces the display name.
pub fn set_display_name(conn: &mut Conn, id: UserId, name: &str, now: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::display_name.eq(name), users::updated_at.eq(now)))
        .execute(conn)
        .and_then(|n| shown_on_pages(conn, n, now))
}

/// Several users by id (for showing authors next to posts).
pub fn find_many(conn: &mut Conn, ids: &[UserId]) -> QueryResult<Vec<User>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(conn)
}

/// Names and standing show on pages: a changed user makes cached pages stale.
fn shown_on_pages(conn: &mut Conn, changed: usize, now: i64) -> QueryResult<usize> {
    if changed > 0 {
        super::page_changes::record(conn, super::page_changes::PageScope::Everything, now)?;
    }
    Ok(changed)
}
