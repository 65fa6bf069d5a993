//! The one-time setup tokens that let the operator create the first admin.
//! Every node prints its own at start (until an admin exists); the first
//! one used spends them all.

use diesel::prelude::*;

use crate::db::schema::setup_tokens;
use crate::db::Conn;

/// Replaces `node`'s unused token by a new one (its hash). Other nodes'
/// tokens stay valid: each node printed its own link.
pub fn replace(conn: &mut Conn, node: &str, token_hash: &str, now: i64) -> QueryResult<()> {
    diesel::delete(
        setup_tokens::table
            .filter(setup_tokens::used_at.is_null())
            .filter(setup_tokens::node.eq(node)),
    )
    .execute(conn)?;
    diesel::insert_into(setup_tokens::table)
        .values((
            setup_tokens::token_hash.eq(token_hash),
            setup_tokens::created_at.eq(now),
            setup_tokens::node.eq(node),
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

/// Spends every unused token, provided the one with this hash is among
/// them, in one statement; false when it was not (already used, unknown,
/// or spent by another node a moment before). Of two nodes using two
/// different tokens at once, one spends both and the other finds its token
/// used: there is one first admin.
pub fn consume(conn: &mut Conn, token_hash: &str, now: i64) -> QueryResult<bool> {
    let mine = diesel::alias!(setup_tokens as mine);
    let spent: Vec<String> = diesel::update(
        setup_tokens::table
            .filter(setup_tokens::used_at.is_null())
            .filter(diesel::dsl::exists(
                mine.filter(mine.field(setup_tokens::token_hash).eq(token_hash))
                    .filter(mine.field(setup_tokens::used_at).is_null()),
            )),
    )
    .set(setup_tokens::used_at.eq(Some(now)))
    .returning(setup_tokens::token_hash)
    .get_results(conn)?;
    Ok(spent.iter().any(|hash| hash == token_hash))
}
