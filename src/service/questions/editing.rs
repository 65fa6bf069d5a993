//! Editing questions and answers with revisions; a save made from an older
//! revision than the newest is refused, never silently overwriting.

use super::{enqueue, title_slug, touch, visible_question, Actor, QuestionDraft};
use crate::auth::policy::{can, sees_hidden, Action, Target};
use crate::db::models::revisions::{self, NewRevision, Revision};
use crate::db::models::tags;
use crate::db::models::{answers, notifications};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, RevisionId, UserId};
use crate::kinds::PostKind;
use crate::markdown::Rendered;
use crate::paths;
use crate::service::follows::{tell_followers, Event};

/// What saving an edit did.
#[derive(Debug, Clone)]
pub enum EditOutcome {
    /// Saved as a new revision; where the post is shown now (its question's
    /// page, at the answer for an answer).
    Saved(String),
    /// Someone saved a newer revision after the form was opened: nothing was
    /// written, and here is that newer revision.
    Conflict(Box<Revision>),
}

/// `Some(newer)` when the post's newest revision is not `base_revision`
/// (the revision the editor's form was made from).
fn newer_revision(
    conn: &mut Conn,
    kind: PostKind,
    post_id: i32,
    base_revision: RevisionId,
) -> AppResult<Option<Revision>> {
    Ok(revisions::latest(conn, kind, post_id)?.filter(|latest| latest.id != base_revision))
}

/// Edits a question (its author while not locked, or staff), keeping a
/// revision. The edit was made from `base_revision`; if someone saved since,
/// nothing is written (no lost update).
pub fn edit_question(
    conn: &mut Conn,
    actor: Actor,
    question_id: QuestionId,
    draft: &QuestionDraft,
    note: &str,
    base_revision: RevisionId,
    now: i64,
) -> AppResult<EditOutcome> {
    use crate::db::schema::questions::dsl as q;
    use diesel::prelude::*;
    conn.immediate_transaction(|conn| {
        let question = visible_question(conn, question_id, sees_hidden(Some(&actor)))?;
        may_edit(actor, question.author_id, question.locked)?;
        if let Some(newer) =
            newer_revision(conn, PostKind::Question, question_id.into(), base_revision)?
        {
            return Ok(EditOutcome::Conflict(Box::new(newer)));
        }
        let tag_text = draft.tags.join(",");
        diesel::update(q::questions.find(question_id))
            .set((
                q::title.eq(&draft.title),
                q::slug.eq(title_slug(&draft.title)),
                q::body_md.eq(&draft.body),
                q::body_html.eq(&draft.rendered.html),
                q::body_text.eq(&draft.rendered.text),
                q::tags.eq(&tag_text),
                q::updated_at.eq(now),
                q::last_activity_at.eq(now),
            ))
            .execute(conn)?;
        tags::set_for_question(conn, question_id, &draft.tags)?;
        revisions::insert(
            conn,
            &NewRevision {
                post_kind: PostKind::Question,
                post_id: question_id.into(),
                editor_id: actor.id,
                title: Some(&draft.title),
                body_md: &draft.body,
                tags: Some(&tag_text),
                note,
                created_at: now,
            },
        )?;
        enqueue(conn, question_id, now)?;
        Ok(EditOutcome::Saved(paths::question(
            question_id,
            &title_slug(&draft.title),
        )))
    })
}

/// An edit of an answer as submitted.
#[derive(Debug, Clone, Copy)]
pub struct AnswerEdit<'a> {
    /// The new text (Markdown).
    pub body: &'a str,
    /// `body` rendered.
    pub rendered: &'a Rendered,
    /// The edit note.
    pub note: &'a str,
    /// The revision the editor started from.
    pub base_revision: RevisionId,
}

/// Edits an answer (its author while the question is not locked, or staff),
/// made from `edit.base_revision`; a stale save is refused as in
/// [`edit_question`].
pub fn edit_answer(
    conn: &mut Conn,
    actor: Actor,
    answer_id: AnswerId,
    edit: &AnswerEdit<'_>,
    now: i64,
) -> AppResult<EditOutcome> {
    let AnswerEdit {
        body,
        rendered,
        note,
        base_revision,
    } = *edit;
    use crate::db::schema::answers::dsl as a;
    use diesel::prelude::*;
    conn.immediate_transaction(|conn| {
        let answer = answers::find(conn, answer_id)?
            .filter(|x| x.deleted_at.is_none() || sees_hidden(Some(&actor)))
            .ok_or_else(|| {
                AppError::NotFound("This answer does not exist or was deleted.".into())
            })?;
        let question = visible_question(conn, answer.question_id, sees_hidden(Some(&actor)))?;
        may_edit(actor, answer.author_id, question.locked)?;
        if let Some(newer) =
            newer_revision(conn, PostKind::Answer, answer_id.into(), base_revision)?
        {
            return Ok(EditOutcome::Conflict(Box::new(newer)));
        }
        diesel::update(a::answers.find(answer_id))
            .set((
                a::body_md.eq(body.trim()),
                a::body_html.eq(&rendered.html),
                a::body_text.eq(&rendered.text),
                a::updated_at.eq(now),
            ))
            .execute(conn)?;
        revisions::insert(
            conn,
            &NewRevision {
                post_kind: PostKind::Answer,
                post_id: answer_id.into(),
                editor_id: actor.id,
                title: None,
                body_md: body.trim(),
                tags: None,
                note,
                created_at: now,
            },
        )?;
        touch(conn, question.id, now)?;
        if question.accepted_answer_id == Some(answer_id) && answer.deleted_at.is_none() {
            tell_followers(
                conn,
                &Event::new(
                    notifications::ACCEPTED_EDITED,
                    question.id,
                    Some(answer_id),
                    actor.id,
                ),
                now,
            )?;
        }
        enqueue(conn, question.id, now)?;
        Ok(EditOutcome::Saved(paths::answer_on(
            &question.path(),
            answer_id,
        )))
    })
}

fn may_edit(actor: Actor, author: UserId, locked: bool) -> AppResult<()> {
    Ok(can(
        Some(&actor),
        Action::EditPost,
        &Target::post(author, locked),
    )?)
}
