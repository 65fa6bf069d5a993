//! Asking questions and answering them, with resubmit protection through
//! submit keys.

use super::{enqueue, title_slug, touch, visible_question, Actor, QuestionDraft};
use crate::auth::policy::{can, Action, Target};
use crate::db::models::answers::{self, Answer, NewAnswer};
use crate::db::models::questions::{self, NewQuestion, Question};
use crate::db::models::revisions::{self, NewRevision};
use crate::db::models::{follows, notifications, tags};
use crate::db::Conn;
use crate::error::AppResult;
use crate::ids::{QuestionId, UserId};
use crate::kinds::PostKind;
use crate::markdown::Rendered;
use crate::paths;
use crate::service::follows::{tell_followers, Event};

/// The idempotency key a new post by `author` stores: `Err(post)` when the
/// same author already posted with this key (a resubmitted form), `Ok(None)`
/// when another author's post carries it (keys are never shared, and never
/// lead to someone else's post).
fn claim_submit_key<'k, T>(
    conn: &mut Conn,
    author: UserId,
    key: Option<&'k str>,
    own_post: fn(&mut Conn, UserId, &str) -> diesel::QueryResult<Option<T>>,
    in_use: fn(&mut Conn, &str) -> diesel::QueryResult<bool>,
) -> AppResult<Result<Option<&'k str>, T>> {
    let Some(key) = key else {
        return Ok(Ok(None));
    };
    if let Some(existing) = own_post(conn, author, key)? {
        return Ok(Err(existing));
    }
    Ok(Ok((!in_use(conn, key)?).then_some(key)))
}

/// Posts a question. A repeated `submit_key` (double click, resubmitted form)
/// returns the question the same author's first submit created; a key that
/// another user's post already carries is not reused (a new question is made).
pub fn ask(
    conn: &mut Conn,
    author: Actor,
    draft: &QuestionDraft,
    submit_key: Option<&str>,
    now: i64,
) -> AppResult<Question> {
    conn.immediate_transaction(|conn| {
        let submit_key = match claim_submit_key(
            conn,
            author.id,
            submit_key,
            questions::find_by_submit_key,
            questions::submit_key_in_use,
        )? {
            Ok(key) => key,
            Err(existing) => return Ok(existing),
        };
        let tag_text = draft.tags.join(",");
        let question = questions::insert(
            conn,
            &NewQuestion {
                author_id: author.id,
                title: &draft.title,
                slug: &title_slug(&draft.title),
                body_md: &draft.body,
                body_html: &draft.rendered.html,
                body_text: &draft.rendered.text,
                tags: &tag_text,
                submit_key,
                created_at: now,
                updated_at: now,
                last_activity_at: now,
            },
        )?;
        tags::set_for_question(conn, question.id, &draft.tags)?;
        follows::auto_follow(conn, author.id, question.id, now)?;
        let tag_ids = tags::ids_for_question(conn, question.id)?;
        tell_followers(
            conn,
            &Event {
                tags: &tag_ids,
                ..Event::new(notifications::NEW_QUESTION, question.id, None, author.id)
            },
            now,
        )?;
        revisions::insert(
            conn,
            &NewRevision {
                post_kind: PostKind::Question,
                post_id: question.id.into(),
                editor_id: author.id,
                title: Some(&draft.title),
                body_md: &draft.body,
                tags: Some(&tag_text),
                note: "Asked",
                created_at: now,
            },
        )?;
        enqueue(conn, question.id, now)?;
        Ok(question)
    })
}

/// An answer as posted, and where it is shown.
#[derive(Debug, Clone)]
pub struct PostedAnswer {
    /// The answer row.
    pub answer: Answer,
    /// The answer on its question's page.
    pub url: String,
}

/// Posts an answer (refused on locked or deleted questions). A repeated
/// `submit_key` returns the same author's first answer; a key another user's
/// answer carries is not reused.
pub fn answer(
    conn: &mut Conn,
    question_id: QuestionId,
    author: Actor,
    body: &str,
    rendered: &Rendered,
    submit_key: Option<&str>,
    now: i64,
) -> AppResult<PostedAnswer> {
    conn.immediate_transaction(|conn| {
        let submit_key = match claim_submit_key(
            conn,
            author.id,
            submit_key,
            answers::find_by_submit_key,
            answers::submit_key_in_use,
        )? {
            Ok(key) => key,
            Err(existing) => {
                let question = visible_question(conn, existing.question_id, false)?;
                return Ok(PostedAnswer {
                    url: paths::answer(question.id, &question.slug, existing.id),
                    answer: existing,
                });
            }
        };
        let question = visible_question(conn, question_id, false)?;
        can(
            Some(&author),
            Action::Answer,
            &Target::post(question.author_id, question.locked),
        )?;
        let answer = answers::insert(
            conn,
            &NewAnswer {
                question_id,
                author_id: author.id,
                body_md: body.trim(),
                body_html: &rendered.html,
                body_text: &rendered.text,
                submit_key,
                created_at: now,
                updated_at: now,
            },
        )?;
        answers::recount(conn, question_id)?;
        touch(conn, question_id, now)?;
        revisions::insert(
            conn,
            &NewRevision {
                post_kind: PostKind::Answer,
                post_id: answer.id.into(),
                editor_id: author.id,
                title: None,
                body_md: body.trim(),
                tags: None,
                note: "Answered",
                created_at: now,
            },
        )?;
        tell_followers(
            conn,
            &Event::new(
                notifications::NEW_ANSWER,
                question_id,
                Some(answer.id),
                author.id,
            ),
            now,
        )?;
        follows::auto_follow(conn, author.id, question_id, now)?;
        enqueue(conn, question_id, now)?;
        Ok(PostedAnswer {
            url: paths::answer(question.id, &question.slug, answer.id),
            answer,
        })
    })
}
