//! "Was your question solved?": a periodic job asks the asker of every
//! question answered N days ago with no answer accepted, once, through a
//! notification (mailed as they chose). The asker answers "Yes, this answer
//! solved it" (the answer is accepted as by the accept button) or "No, still
//! not solved" (the question leads the staff dashboard's waiting list and the
//! most-active list), in the site or by a signed link in the mail.

use std::collections::HashMap;

use super::{accept, visible_question, Actor};
use crate::auth::tokens::SolvedLink;
use crate::db::models::notifications::{self, About, SOLVED_NUDGE};
use crate::db::models::questions::{self, Question};
use crate::db::models::{answers, users};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, UserId};

/// Questions asked about per transaction by one run of the job.
const NUDGE_BATCH: i64 = 100;
/// How many answers (the best by score) the asker is offered.
pub const NUDGE_ANSWERS: usize = 3;
/// Characters of an answer shown as its excerpt.
pub const EXCERPT_CHARS: usize = 200;
/// Seconds in a day.
const DAY_SECS: i64 = 86_400;

/// Asks the asker of every question whose first answer is `days` days old
/// at `now`, with no answer accepted, "was it solved?" — once per question,
/// however many runs or nodes: the question is marked in the transaction
/// that notifies, and only the run that marks it notifies. `days` 0 turns
/// it off. Returns how many askers were asked.
pub fn send_nudges(conn: &mut Conn, days: u32, now: i64) -> AppResult<usize> {
    if days == 0 {
        return Ok(0);
    }
    let answered_before = now - i64::from(days) * DAY_SECS;
    let mut asked = 0;
    let mut after = QuestionId(0);
    loop {
        let due = questions::nudge_due(conn, answered_before, after, NUDGE_BATCH)?;
        let Some(&last) = due.last() else {
            return Ok(asked);
        };
        after = last;
        asked += conn.immediate_transaction(|conn| -> AppResult<usize> {
            let mut asked = 0;
            for id in &due {
                // Changed since the query (accepted, deleted, locked,
                // closed)? Then the next query leaves it out too.
                let Some(question) = questions::find(conn, *id)?.filter(|q| {
                    q.accepted_answer_id.is_none()
                        && q.deleted_at.is_none()
                        && !q.locked
                        && q.closed_reason.is_none()
                }) else {
                    continue;
                };
                // Only the run that records it asks (another node may have).
                if !questions::mark_nudged(conn, *id, now)? {
                    continue;
                }
                notifications::notify_from_site(
                    conn,
                    question.author_id,
                    SOLVED_NUDGE,
                    About::post(*id, None),
                    now,
                )?;
                asked += 1;
            }
            Ok(asked)
        })?;
    }
}

/// An answer the asker may mark as the one that solved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NudgeAnswer {
    /// The answer.
    pub id: AnswerId,
    /// Display name of who wrote it.
    pub author: String,
    /// Its first words (plain text).
    pub excerpt: String,
}

/// The first [`EXCERPT_CHARS`] characters of `text` on one line, with "…"
/// when cut.
pub fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// The best [`NUDGE_ANSWERS`] visible answers of a question, by score.
pub fn nudge_answers(conn: &mut Conn, question_id: QuestionId) -> AppResult<Vec<NudgeAnswer>> {
    Ok(nudge_answers_for(conn, &[question_id])?
        .remove(&question_id)
        .unwrap_or_default())
}

/// [`nudge_answers`] of several questions in two queries, whatever their
/// number: the questions without a visible answer are left out.
pub fn nudge_answers_for(
    conn: &mut Conn,
    question_ids: &[QuestionId],
) -> AppResult<HashMap<QuestionId, Vec<NudgeAnswer>>> {
    let mut best: HashMap<QuestionId, Vec<answers::Answer>> = HashMap::new();
    // By question, then as `for_question` orders them: the first ones of
    // each question are its best.
    for answer in answers::for_questions(conn, question_ids)? {
        let of_question = best.entry(answer.question_id).or_default();
        if of_question.len() < NUDGE_ANSWERS {
            of_question.push(answer);
        }
    }
    let author_ids: Vec<UserId> = best.values().flatten().map(|a| a.author_id).collect();
    let authors: HashMap<UserId, String> = users::find_many(conn, &author_ids)?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(best
        .into_iter()
        .map(|(question, answers)| {
            let choices = answers
                .into_iter()
                .map(|a| NudgeAnswer {
                    id: a.id,
                    author: authors.get(&a.author_id).cloned().unwrap_or_default(),
                    excerpt: excerpt(&a.body_text),
                })
                .collect();
            (question, choices)
        })
        .collect())
}

/// Why a "was it solved?" choice can no longer be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The question is gone (deleted, or never existed).
    Deleted,
    /// The link was made for someone who is not (or no longer may act as)
    /// the asker.
    NotAsker,
    /// An answer is accepted already.
    Accepted,
    /// The answer is deleted or not on the question.
    AnswerGone,
    /// The question is locked or closed.
    Locked,
}

impl Closed {
    /// What the page says.
    pub fn message(self) -> &'static str {
        match self {
            Closed::Deleted => "This question was deleted, so there is nothing to mark.",
            Closed::NotAsker => {
                "This link is not for the person who asked this question, or their account is suspended. Only the asker can answer \"was it solved?\"."
            }
            Closed::Accepted => {
                "An answer to this question is accepted already: nothing more to do. Thank you! To change which one, open the question and sign in."
            }
            Closed::AnswerGone => {
                "That answer was deleted. Open the question to mark another one as the solution."
            }
            Closed::Locked => "This question is locked or closed, so its answers cannot be marked any more.",
        }
    }
}

/// A choice that can still be made: the question, and the answer "yes" accepts.
#[derive(Debug, Clone)]
pub struct OpenChoice {
    /// The question.
    pub question: Question,
    /// The answer a "yes" accepts (with its excerpt); `None` for "no".
    pub answer: Option<NudgeAnswer>,
    /// The asker, as the accepting policy sees them.
    pub asker: Actor,
}

/// Whether `user_id` can still answer "was it solved?" on `question_id`
/// with `answer_id` (`None`: "no"); read only.
pub fn choice(
    conn: &mut Conn,
    user_id: UserId,
    question_id: QuestionId,
    answer_id: Option<AnswerId>,
) -> AppResult<Result<OpenChoice, Closed>> {
    let Some(question) = questions::find(conn, question_id)?.filter(|q| q.deleted_at.is_none())
    else {
        return Ok(Err(Closed::Deleted));
    };
    let asker = users::find(conn, question.author_id)?;
    let Some(asker) = asker.filter(|u| u.id == user_id && !u.is_suspended()) else {
        return Ok(Err(Closed::NotAsker));
    };
    if question.accepted_answer_id.is_some() {
        return Ok(Err(Closed::Accepted));
    }
    if question.locked || question.closed_reason.is_some() {
        return Ok(Err(Closed::Locked));
    }
    let answer = match answer_id {
        Some(id) => {
            let Some(found) = nudge_answers_by_id(conn, question_id, id)? else {
                return Ok(Err(Closed::AnswerGone));
            };
            Some(found)
        }
        None => None,
    };
    Ok(Ok(OpenChoice {
        question,
        answer,
        asker: Actor {
            id: asker.id,
            role: asker.role(),
        },
    }))
}

/// One visible answer of `question_id` as the choice shows it.
fn nudge_answers_by_id(
    conn: &mut Conn,
    question_id: QuestionId,
    id: AnswerId,
) -> AppResult<Option<NudgeAnswer>> {
    let Some(answer) =
        answers::find(conn, id)?.filter(|a| a.question_id == question_id && a.deleted_at.is_none())
    else {
        return Ok(None);
    };
    let author = users::find(conn, answer.author_id)?
        .map(|u| u.display_name)
        .unwrap_or_default();
    Ok(Some(NudgeAnswer {
        id,
        author,
        excerpt: excerpt(&answer.body_text),
    }))
}

/// Makes the choice of a signed link (or of the signed-in asker's form):
/// "yes" accepts the answer through [`accept`] (followers and the answer's
/// author are told as for any acceptance), "no" marks the question still
/// unsolved. Returns where to look next, or why nothing was done.
pub fn make_choice(
    conn: &mut Conn,
    link: SolvedLink,
    now: i64,
) -> AppResult<Result<String, Closed>> {
    let open = match choice(conn, link.user_id, link.question_id, link.answer_id)? {
        Ok(open) => open,
        Err(closed) => return Ok(Err(closed)),
    };
    match open.answer {
        Some(answer) => Ok(Ok(accept(
            conn,
            open.asker,
            link.question_id,
            answer.id,
            now,
        )?)),
        None => conn.immediate_transaction(|conn| {
            // Checked again inside the write lock: accepted meanwhile?
            let question = visible_question(conn, link.question_id, false)?;
            if question.accepted_answer_id.is_some() {
                return Ok(Err(Closed::Accepted));
            }
            questions::mark_unsolved(conn, link.question_id, now)?;
            Ok(Ok(question.path()))
        }),
    }
}

/// "No, still not solved" from the site: only the asker, while no answer
/// is accepted. Returns the question's page.
pub fn still_unsolved(
    conn: &mut Conn,
    actor: Actor,
    question_id: QuestionId,
    now: i64,
) -> AppResult<String> {
    let link = SolvedLink {
        user_id: actor.id,
        question_id,
        answer_id: None,
    };
    make_choice(conn, link, now)?.map_err(|closed| match closed {
        Closed::Deleted => AppError::NotFound(closed.message().into()),
        Closed::NotAsker => AppError::Forbidden(
            "Only the person who asked can say whether the question is solved.".into(),
        ),
        _ => AppError::Conflict(closed.message().into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_one_line_and_cut_at_a_character() {
        assert_eq!(excerpt("  Turn it\n off  and on. "), "Turn it off and on.");
        let long = "é".repeat(EXCERPT_CHARS + 5);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt(&"a".repeat(EXCERPT_CHARS)).len(), EXCERPT_CHARS);
    }
}
