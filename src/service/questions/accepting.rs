//! Marking an answer as the accepted one, and removing the mark.

use super::{enqueue, visible_question, Actor};
use crate::auth::policy::{can, Action, Target};
use crate::db::models::{answers, notifications};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, UserId};
use crate::paths;
use crate::service::follows::{tell_followers, Event};

/// Marks `answer_id` accepted (the asker or staff); moving the mark is
/// allowed. Returns the answer on its question's page.
pub fn accept(
    conn: &mut Conn,
    actor: Actor,
    question_id: QuestionId,
    answer_id: AnswerId,
    now: i64,
) -> AppResult<String> {
    use crate::db::schema::questions::dsl as q;
    use diesel::prelude::*;
    conn.immediate_transaction(|conn| {
        let question = visible_question(conn, question_id, false)?;
        can(
            Some(&actor),
            Action::Accept,
            &Target::post(question.author_id, question.locked),
        )?;
        let answer = answers::find(conn, answer_id)?
            .filter(|a| a.question_id == question_id && a.deleted_at.is_none())
            .ok_or_else(|| AppError::NotFound("That answer is not on this question.".into()))?;
        let url = paths::answer_on(&question.path(), answer_id);
        if question.accepted_answer_id == Some(answer_id) {
            return Ok(url);
        }
        diesel::update(q::questions.find(question_id))
            .set((
                q::accepted_answer_id.eq(Some(answer_id)),
                q::accepted_by.eq(Some(actor.id)),
                q::accepted_at.eq(Some(now)),
                q::last_activity_at.eq(now),
            ))
            .execute(conn)?;
        // The answer's author hears of it whether or not they follow; the
        // asker, as a follower, hears that staff accepted on their behalf.
        tell_followers(
            conn,
            &Event {
                always: &[(answer.author_id, notifications::ANSWER_ACCEPTED)],
                instead: &[(question.author_id, notifications::STAFF_ACCEPTED)],
                ..Event::new(
                    notifications::ACCEPTED,
                    question_id,
                    Some(answer_id),
                    actor.id,
                )
            },
            now,
        )?;
        enqueue(conn, question_id, now)?;
        Ok(url)
    })
}

/// Removes the accepted mark (the asker or staff); returns the question's page.
pub fn unaccept(
    conn: &mut Conn,
    actor: Actor,
    question_id: QuestionId,
    now: i64,
) -> AppResult<String> {
    use crate::db::schema::questions::dsl as q;
    use diesel::prelude::*;
    conn.immediate_transaction(|conn| {
        let question = visible_question(conn, question_id, false)?;
        can(
            Some(&actor),
            Action::Unaccept,
            &Target::post(question.author_id, question.locked),
        )?;
        diesel::update(q::questions.find(question_id))
            .set((
                q::accepted_answer_id.eq(None::<AnswerId>),
                q::accepted_by.eq(None::<UserId>),
                q::accepted_at.eq(None::<i64>),
            ))
            .execute(conn)?;
        enqueue(conn, question_id, now)?;
        Ok(question.path())
    })
}
