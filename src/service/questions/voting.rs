//! Voting on posts and flagging them for staff.

use super::{enqueue, visible_question, Actor};
use crate::auth::policy::{can, Action, Target};
use crate::db::models::answers;
use crate::db::models::questions::Question;
use crate::db::models::{flags, votes};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, UserId};
use crate::kinds::PostKind;
use crate::paths;

/// The post a vote or flag is about: its author and its question.
fn post_owner(conn: &mut Conn, kind: PostKind, id: i32) -> AppResult<(UserId, Question)> {
    match kind {
        PostKind::Question => {
            let q = visible_question(conn, QuestionId(id), false)?;
            Ok((q.author_id, q))
        }
        PostKind::Answer => match answers::find(conn, AnswerId(id))? {
            Some(a) if a.deleted_at.is_none() => {
                let q = visible_question(conn, a.question_id, false)?;
                Ok((a.author_id, q))
            }
            _ => Err(AppError::NotFound(
                "This answer does not exist or was deleted.".into(),
            )),
        },
    }
}

/// A vote as counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voted {
    /// The post's new score.
    pub score: i32,
    /// The post on its question's page.
    pub url: String,
}

/// Votes `value` (-1, 0, 1) on a post; returns the new score and where the
/// post is shown. One vote per user and post, changeable; never on your own
/// posts.
pub fn vote(
    conn: &mut Conn,
    voter: Actor,
    kind: PostKind,
    post_id: i32,
    value: i32,
    now: i64,
) -> AppResult<Voted> {
    use crate::db::schema::{answers as a, questions as q};
    use diesel::prelude::*;
    conn.immediate_transaction(|conn| {
        let (author, question) = post_owner(conn, kind, post_id)?;
        can(Some(&voter), Action::Vote, &Target::post(author, false))?;
        let delta = votes::set(conn, voter.id, kind, post_id, value.clamp(-1, 1), now)?;
        let score = if kind == PostKind::Question {
            diesel::update(q::table.find(post_id))
                .set(q::score.eq(q::score + delta))
                .returning(q::score)
                .get_result(conn)?
        } else {
            diesel::update(a::table.find(post_id))
                .set(a::score.eq(a::score + delta))
                .returning(a::score)
                .get_result(conn)?
        };
        if delta != 0 {
            enqueue(conn, question.id, now)?;
        }
        let url = if kind == PostKind::Question {
            question.path()
        } else {
            paths::answer_on(&question.path(), AnswerId(post_id))
        };
        Ok(Voted { score, url })
    })
}

/// Reasons a post can be flagged for.
pub const FLAG_REASONS: &[(&str, &str)] = &[
    ("spam", "Spam or advertising"),
    ("rude", "Rude or abusive"),
    ("wrong", "Wrong or dangerous advice"),
    ("other", "Something else (explain below)"),
];

/// Checks a flag's reason and returns its details as stored (trimmed, at
/// most 500 characters; required for `other`).
pub(super) fn flag_details(reason: &str, details: &str) -> AppResult<String> {
    if !FLAG_REASONS.iter().any(|(r, _)| *r == reason) {
        return Err(AppError::BadRequest(
            "Choose why you flag this post.".into(),
        ));
    }
    let details: String = details.trim().chars().take(500).collect();
    if reason == "other" && details.is_empty() {
        return Err(AppError::BadRequest(
            "Please say what is wrong with this post.".into(),
        ));
    }
    Ok(details)
}

/// Flags a post for staff; returns its question. A second open flag by
/// the same user on the same post is a no-op.
pub fn flag(
    conn: &mut Conn,
    reporter: Actor,
    kind: PostKind,
    post_id: i32,
    reason: &str,
    details: &str,
    now: i64,
) -> AppResult<Question> {
    let details = flag_details(reason, details)?;
    let (_, question) = post_owner(conn, kind, post_id)?;
    flags::insert(
        conn,
        kind.into(),
        post_id,
        reporter.id,
        reason,
        &details,
        now,
    )?;
    Ok(question)
}
