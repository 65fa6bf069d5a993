//! The one-time setup token that lets the operator create the first admin.

use diesel::prelude::*;

use crate::db::schema::setup_tokens;
use crate::db::Conn;

/// Replaces every unused token by a new one (its hash).
pub fn replace(conn: &mut Conn, token_hash: &str, now: i64) -> QueryResult<()> {
    diesel::delete(setup_tokens::table.filter(setup_tokens::used_at.is_null())).execute(conn)?;
    diesel::insert_into(setup_tokens::table)
        .values((
            setup_tokens::token_hash.eq(token_hash),
            setup_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether an unused token has this hash.
pub fn is_valid(conn: &mut Conn, token_hash: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        setup_tokens::table
            .filter(setup_tokens::token_hash.eq(token_hash))
            .filter(setup_tokens::used_at.is_null()),
    ))
    .get_result(conn)
}

/// Marks the token used; false if it was not valid (already used or unknown).
pub fn consume(conn: &mut Conn, token_hash: &str, now: i64) -> QueryResult<bool> {
    let n = diesel::update(
        setup_tokens::table
            .filter(setup_tokens::token_hash.eq(token_hash))
            .filter(setup_tokens::used_at.is_null()),
    )
    .set(setup_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}
