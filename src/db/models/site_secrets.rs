//! Secrets every node of a site shares (the key that signs unsubscribe
//! links): kept in the database so all nodes agree, created once.

use diesel::prelude::*;

use crate::db::schema::site_secrets;
use crate::db::Conn;

/// The secret called `name`, stored as `candidate` when it does not exist
/// yet (of two nodes creating it at once, both get the first one stored).
pub fn get_or_insert(
    conn: &mut Conn,
    name: &str,
    candidate: &str,
    now: i64,
) -> QueryResult<String> {
    if let Some(value) = find(conn, name)? {
        return Ok(value);
    }
    crate::db::unless_taken(conn, |conn| {
        diesel::insert_into(site_secrets::table)
            .values((
                site_secrets::name.eq(name),
                site_secrets::value.eq(candidate),
                site_secrets::created_at.eq(now),
            ))
            .execute(conn)
    })?;
    find(conn, name)?.ok_or(diesel::result::Error::NotFound)
}

fn find(conn: &mut Conn, name: &str) -> QueryResult<Option<String>> {
    site_secrets::table
        .find(name)
        .select(site_secrets::value)
        .first(conn)
        .optional()
}
