//! Votes on questions and answers: one per user and post, changeable.

use diesel::prelude::*;

use crate::db::schema::votes;
use crate::db::Conn;
use crate::ids::UserId;
use crate::kinds::PostKind;

/// The vote `user_id` gave a post (0 when none).
pub fn current(
    conn: &mut Conn,
    user_id: UserId,
    post_kind: PostKind,
    post_id: i32,
) -> QueryResult<i32> {
    votes::table
        .filter(votes::user_id.eq(user_id))
        .filter(votes::post_kind.eq(post_kind))
        .filter(votes::post_id.eq(post_id))
        .select(votes::value)
        .first(conn)
        .optional()
        .map(|v| v.unwrap_or(0))
}

/// Sets the vote (`-1`, `0` to remove, `1`); returns the change to the score.
pub fn set(
    conn: &mut Conn,
    user_id: UserId,
    post_kind: PostKind,
    post_id: i32,
    value: i32,
    now: i64,
) -> QueryResult<i32> {
    let old = current(conn, user_id, post_kind, post_id)?;
    let mine = votes::table
        .filter(votes::user_id.eq(user_id))
        .filter(votes::post_kind.eq(post_kind))
        .filter(votes::post_id.eq(post_id));
    match (old, value) {
        (o, v) if o == v => {}
        (_, 0) => {
            diesel::delete(mine).execute(conn)?;
        }
        (0, v) => {
            diesel::insert_into(votes::table)
                .values((
                    votes::user_id.eq(user_id),
                    votes::post_kind.eq(post_kind),
                    votes::post_id.eq(post_id),
                    votes::value.eq(v),
                    votes::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        (_, v) => {
            diesel::update(mine)
                .set((votes::value.eq(v), votes::created_at.eq(now)))
                .execute(conn)?;
        }
    }
    Ok(value - old)
}

/// A user's votes on several posts of one kind: `(post_id, value)`.
pub fn for_posts(
    conn: &mut Conn,
    user_id: UserId,
    post_kind: PostKind,
    ids: &[i32],
) -> QueryResult<Vec<(i32, i32)>> {
    votes::table
        .filter(votes::user_id.eq(user_id))
        .filter(votes::post_kind.eq(post_kind))
        .filter(votes::post_id.eq_any(ids))
        .select((votes::post_id, votes::value))
        .load(conn)
}
