//! "Was this helpful?" votes and comments on articles and troubleshooting fixes.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::feedback;
use crate::db::Conn;
use crate::ids::{FeedbackId, UserId};
use crate::kinds::DocKind;

/// A feedback row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = feedback)]
pub struct Feedback {
    /// Primary key.
    pub id: FeedbackId,
    /// `article` or `step`.
    pub target_kind: DocKind,
    /// Article id or tree id.
    pub target_id: i32,
    /// Tree node (steps only).
    pub node: String,
    /// Hash of the visitor's random cookie.
    pub visitor_key: String,
    /// The signed-in user, if any.
    pub user_id: Option<UserId>,
    /// Yes or no.
    pub helpful: bool,
    /// "What was missing?"
    pub comment: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// A vote to record.
#[derive(Debug, Clone, Copy)]
pub struct NewFeedback<'a> {
    /// `article` or `step`.
    pub kind: DocKind,
    /// Article id or tree id.
    pub target: i32,
    /// Tree node (steps only; empty for articles).
    pub node: &'a str,
    /// Hash of the visitor's random cookie.
    pub visitor_key: &'a str,
    /// The signed-in user, if any.
    pub user_id: Option<UserId>,
    /// Yes or no.
    pub helpful: bool,
}

/// Records a vote; a visitor's second vote on the same page changes the
/// first instead of adding one. Returns the row id.
pub fn record(conn: &mut Conn, vote: &NewFeedback<'_>, now: i64) -> QueryResult<FeedbackId> {
    let existing: Option<FeedbackId> = feedback::table
        .filter(feedback::target_kind.eq(vote.kind))
        .filter(feedback::target_id.eq(vote.target))
        .filter(feedback::node.eq(vote.node))
        .filter(feedback::visitor_key.eq(vote.visitor_key))
        .select(feedback::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) => {
            diesel::update(feedback::table.find(id))
                .set((
                    feedback::helpful.eq(vote.helpful),
                    feedback::created_at.eq(now),
                ))
                .execute(conn)?;
            Ok(id)
        }
        None => diesel::insert_into(feedback::table)
            .values((
                feedback::target_kind.eq(vote.kind),
                feedback::target_id.eq(vote.target),
                feedback::node.eq(vote.node),
                feedback::visitor_key.eq(vote.visitor_key),
                feedback::user_id.eq(vote.user_id),
                feedback::helpful.eq(vote.helpful),
                feedback::created_at.eq(now),
            ))
            .returning(feedback::id)
            .get_result(conn),
    }
}

/// Adds the comment to this visitor's vote (only their own row).
pub fn comment(
    conn: &mut Conn,
    id: FeedbackId,
    visitor_key: &str,
    text: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        feedback::table
            .find(id)
            .filter(feedback::visitor_key.eq(visitor_key)),
    )
    .set(feedback::comment.eq(Some(text)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Yes and no counts per target of a kind: `(target_id, yes, no)`.
pub fn totals(conn: &mut Conn, kind: DocKind) -> QueryResult<Vec<(i32, i64, i64)>> {
    let rows: Vec<(i32, bool)> = feedback::table
        .filter(feedback::target_kind.eq(kind))
        .select((feedback::target_id, feedback::helpful))
        .load(conn)?;
    let mut out: Vec<(i32, i64, i64)> = Vec::new();
    for (target, helpful) in rows {
        let index = match out.iter().position(|(t, _, _)| *t == target) {
            Some(i) => i,
            None => {
                out.push((target, 0, 0));
                out.len() - 1
            }
        };
        if helpful {
            out[index].1 += 1;
        } else {
            out[index].2 += 1;
        }
    }
    Ok(out)
}

/// Recent comments on each of `targets`, newest first, at most `per_target`
/// each, in one query: `(target_id, comments)` for the targets that have any.
pub fn comments_for(
    conn: &mut Conn,
    kind: DocKind,
    targets: &[i32],
    per_target: usize,
) -> QueryResult<HashMap<i32, Vec<String>>> {
    let rows: Vec<(i32, Option<String>)> = feedback::table
        .filter(feedback::target_kind.eq(kind))
        .filter(feedback::target_id.eq_any(targets))
        .filter(feedback::comment.is_not_null())
        .order(feedback::id.desc())
        .select((feedback::target_id, feedback::comment))
        .load(conn)?;
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    for (target, comment) in rows {
        let list = out.entry(target).or_default();
        if list.len() < per_target {
            list.extend(comment);
        }
    }
    Ok(out)
}

/// Recent comments on a target, newest first.
pub fn comments(
    conn: &mut Conn,
    kind: DocKind,
    target: i32,
    limit: i64,
) -> QueryResult<Vec<String>> {
    feedback::table
        .filter(feedback::target_kind.eq(kind))
        .filter(feedback::target_id.eq(target))
        .filter(feedback::comment.is_not_null())
        .order(feedback::id.desc())
        .limit(limit)
        .select(feedback::comment)
        .load::<Option<String>>(conn)
        .map(|v| v.into_iter().flatten().collect())
}
