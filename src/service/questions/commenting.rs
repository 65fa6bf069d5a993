//! Comments under questions and answers: adding (with `@name` mentions of
//! the thread's people), editing, soft deleting (and restoring, by staff)
//! and flagging. Every change
//! reindexes the thread (a comment is searchable only as part of its post)
//! and notifies the post's author and the people mentioned, each once.

use super::voting::flag_details;
use super::{enqueue, visible_question, Actor};
use crate::auth::policy::{can, Action, PostFacts, Target};
use crate::auth::username;
use crate::db::models::answers::{self, Answer};
use crate::db::models::comments::{self, Comment, NewComment};
use crate::db::models::questions::Question;
use crate::db::models::{flags, users};
use crate::db::models::{follows, notifications};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, CommentId, QuestionId, UserId};
use crate::kinds::FlagKind;
use crate::markdown::{render_comment, RenderedComment};
use crate::paths;
use crate::service::follows::{tell_followers, Event};

/// Longest comment, in characters after trimming.
pub const COMMENT_MAX: usize = 600;

/// Checks a typed comment: its trimmed text, or the message to show.
pub fn check_comment(body: &str) -> Result<&str, String> {
    if body.contains('\0') {
        return Err("The comment contains a NUL character (\\0), which this site cannot store. Remove it and try again.".into());
    }
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Err("Write something first: the comment is empty.".into());
    }
    let count = trimmed.chars().count();
    if count > COMMENT_MAX {
        return Err(format!(
            "Comments can have at most {COMMENT_MAX} characters; this one has {count}. Shorten it, or write an answer instead."
        ));
    }
    Ok(trimmed)
}

/// The post a comment goes under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentOn {
    /// A question.
    Question(QuestionId),
    /// An answer.
    Answer(AnswerId),
}

/// A comment as saved, and where it is shown.
#[derive(Debug, Clone)]
pub struct PostedComment {
    /// The comment row.
    pub comment: Comment,
    /// Its anchor on the question page.
    pub url: String,
}

/// The question a post is on, and the answer when it is one; 404 when
/// either is gone or deleted (staff see deleted ones).
fn post_of(conn: &mut Conn, on: CommentOn, staff: bool) -> AppResult<(Question, Option<Answer>)> {
    match on {
        CommentOn::Question(id) => Ok((visible_question(conn, id, staff)?, None)),
        CommentOn::Answer(id) => {
            let answer = answers::find(conn, id)?
                .filter(|a| a.deleted_at.is_none() || staff)
                .ok_or_else(|| {
                    AppError::NotFound("This answer does not exist or was deleted.".into())
                })?;
            let question = visible_question(conn, answer.question_id, staff)?;
            Ok((question, Some(answer)))
        }
    }
}

/// The facts the policy needs about the post `question`/`answer`, as
/// written by `author`.
fn facts(question: &Question, author: UserId) -> Target {
    Target::Post(PostFacts {
        author,
        locked: question.locked,
        deleted: question.deleted_at.is_some(),
    })
}

/// Refuses a suspended account (its sessions end at suspension; this
/// holds even for a request already under way).
fn refuse_suspended(conn: &mut Conn, who: UserId) -> AppResult<()> {
    match users::find(conn, who)? {
        Some(user) if !user.is_suspended() => Ok(()),
        Some(_) => Err(AppError::Forbidden(
            "This account is suspended and cannot comment.".into(),
        )),
        None => Err(AppError::Forbidden("This account no longer exists.".into())),
    }
}

/// Who may be mentioned in a thread: the asker, the authors of its
/// visible answers and of its visible comments before `before` (all when
/// `None`).
fn thread_people(
    conn: &mut Conn,
    question: &Question,
    before: Option<CommentId>,
) -> AppResult<Vec<users::User>> {
    let mut ids = vec![question.author_id];
    ids.extend(
        answers::for_question(conn, question.id, false)?
            .iter()
            .map(|a| a.author_id),
    );
    ids.extend(
        comments::for_question(conn, question.id, false)?
            .iter()
            .filter(|c| before.is_none_or(|b| c.id < b))
            .map(|c| c.author_id),
    );
    ids.sort();
    ids.dedup();
    Ok(users::find_many(conn, &ids)?)
}

/// Renders a comment, linking the mentions of `people`; also returns the
/// ids of the people mentioned.
fn render_with_mentions(body: &str, people: &[users::User]) -> (RenderedComment, Vec<UserId>) {
    let find = |name: &str| {
        let key = username::key_of(name);
        people.iter().find(|u| u.username_key == key)
    };
    let rendered = render_comment(body, &|name| find(name).map(|u| paths::user(&u.username)));
    let mut mentioned: Vec<UserId> = rendered
        .mentioned
        .iter()
        .filter_map(|name| find(name).map(|u| u.id))
        .collect();
    mentioned.dedup();
    (rendered, mentioned)
}

/// Tells of a comment: for a new one (`author_of_post` given), the
/// question's followers and the post's author; in both cases the people
/// `mentioned`. Each at most once per comment, never the commenter, nobody
/// already told about this comment. A new comment's author follows the
/// question (unless they unfollowed it).
fn notify_comment(
    conn: &mut Conn,
    comment: &Comment,
    author_of_post: Option<UserId>,
    mentioned: &[UserId],
    now: i64,
) -> AppResult<()> {
    let told = notifications::recipients_of_comment(conn, comment.id)?;
    // The post's author hears "on your post" even when also mentioned.
    let always: Vec<(UserId, &'static str)> = mentioned
        .iter()
        .map(|m| (*m, notifications::MENTIONED))
        .chain(author_of_post.map(|a| (a, notifications::NEW_COMMENT)))
        .collect();
    tell_followers(
        conn,
        &Event {
            comment: Some(comment.id),
            to_followers: author_of_post.is_some(),
            always: &always,
            told: &told,
            ..Event::new(
                notifications::FOLLOWED_COMMENT,
                comment.question_id,
                comment.answer_id,
                comment.author_id,
            )
        },
        now,
    )?;
    if author_of_post.is_some() {
        follows::auto_follow(conn, comment.author_id, comment.question_id, now)?;
    }
    Ok(())
}

/// Adds a comment under a question or answer (not on a locked question
/// unless staff, never on a deleted post, never by a suspended account).
pub fn add_comment(
    conn: &mut Conn,
    author: Actor,
    on: CommentOn,
    body: &str,
    now: i64,
) -> AppResult<PostedComment> {
    let body = check_comment(body).map_err(AppError::BadRequest)?;
    conn.immediate_transaction(|conn| {
        refuse_suspended(conn, author.id)?;
        let (question, answer) = post_of(conn, on, false)?;
        let post_author = answer.as_ref().map_or(question.author_id, |a| a.author_id);
        can(
            Some(&author),
            Action::Comment,
            &facts(&question, post_author),
        )?;
        let people = thread_people(conn, &question, None)?;
        let (rendered, mentioned) = render_with_mentions(body, &people);
        let comment = comments::insert(
            conn,
            &NewComment {
                question_id: question.id,
                answer_id: answer.as_ref().map(|a| a.id),
                author_id: author.id,
                body_md: body,
                body_html: &rendered.html,
                body_text: &rendered.text,
                created_at: now,
            },
        )?;
        notify_comment(conn, &comment, Some(post_author), &mentioned, now)?;
        enqueue(conn, question.id, now)?;
        Ok(PostedComment {
            url: paths::comment_on(&question.path(), comment.id),
            comment,
        })
    })
}

/// A comment that is not deleted, on a post the actor sees, with its
/// question.
fn live_comment(conn: &mut Conn, id: CommentId, staff: bool) -> AppResult<(Comment, Question)> {
    let comment = comments::find(conn, id)?
        .filter(|c| c.deleted_at.is_none())
        .ok_or_else(|| AppError::NotFound("This comment does not exist or was deleted.".into()))?;
    let on = match comment.answer_id {
        Some(a) => CommentOn::Answer(a),
        None => CommentOn::Question(comment.question_id),
    };
    let (question, _) = post_of(conn, on, staff)?;
    Ok((comment, question))
}

/// Replaces a comment's text (its author while the question is not
/// locked, or staff); people newly mentioned are notified.
pub fn edit_comment(
    conn: &mut Conn,
    editor: Actor,
    id: CommentId,
    body: &str,
    now: i64,
) -> AppResult<PostedComment> {
    let body = check_comment(body).map_err(AppError::BadRequest)?;
    conn.immediate_transaction(|conn| {
        refuse_suspended(conn, editor.id)?;
        let (comment, question) = live_comment(conn, id, editor.is_staff())?;
        can(
            Some(&editor),
            Action::ChangeComment,
            &facts(&question, comment.author_id),
        )?;
        let people = thread_people(conn, &question, Some(comment.id))?;
        let (rendered, mentioned) = render_with_mentions(body, &people);
        comments::update_body(conn, id, body, &rendered.html, &rendered.text, now)?;
        notify_comment(conn, &comment, None, &mentioned, now)?;
        enqueue(conn, question.id, now)?;
        let comment = comments::find(conn, id)?.unwrap_or(comment);
        Ok(PostedComment {
            url: paths::comment_on(&question.path(), comment.id),
            comment,
        })
    })
}

/// Soft-deletes a comment (its author while the question is not locked, or
/// staff); returns the post it was under. Deleting a deleted comment
/// changes nothing.
pub fn delete_comment(conn: &mut Conn, actor: Actor, id: CommentId, now: i64) -> AppResult<String> {
    conn.immediate_transaction(|conn| {
        let Some(comment) = comments::find(conn, id)? else {
            return Err(AppError::NotFound("This comment does not exist.".into()));
        };
        let staff = actor.is_staff();
        let question = visible_question(conn, comment.question_id, staff)?;
        if comment.deleted_at.is_some() && !staff {
            return Err(AppError::NotFound(
                "This comment does not exist or was deleted.".into(),
            ));
        }
        can(
            Some(&actor),
            Action::ChangeComment,
            &facts(&question, comment.author_id),
        )?;
        if comment.deleted_at.is_none() {
            comments::set_deleted(conn, id, Some(actor.id), now)?;
            enqueue(conn, question.id, now)?;
        }
        Ok(post_url(&question, &comment))
    })
}

/// Brings back a deleted comment (staff); returns the comment's anchor.
pub fn restore_comment(
    conn: &mut Conn,
    actor: Actor,
    id: CommentId,
    now: i64,
) -> AppResult<String> {
    conn.immediate_transaction(|conn| {
        can(Some(&actor), Action::Moderate, &Target::Site)?;
        let comment = comments::find(conn, id)?
            .ok_or_else(|| AppError::NotFound("This comment does not exist.".into()))?;
        let question = visible_question(conn, comment.question_id, true)?;
        if comment.deleted_at.is_some() {
            comments::set_deleted(conn, id, None, now)?;
            enqueue(conn, question.id, now)?;
        }
        Ok(paths::comment_on(&question.path(), comment.id))
    })
}

/// The post a comment is under, on its question's page.
fn post_url(question: &Question, comment: &Comment) -> String {
    match comment.answer_id {
        Some(a) => paths::answer_on(&question.path(), a),
        None => format!("{}#question", question.path()),
    }
}

/// Flags a comment for staff; returns where it is shown. A second open flag
/// by the same user on the same comment is a no-op.
pub fn flag_comment(
    conn: &mut Conn,
    reporter: Actor,
    id: CommentId,
    reason: &str,
    details: &str,
    now: i64,
) -> AppResult<String> {
    let details = flag_details(reason, details)?;
    let (comment, question) = live_comment(conn, id, false)?;
    flags::insert(
        conn,
        FlagKind::Comment,
        comment.id.into(),
        reporter.id,
        reason,
        &details,
        now,
    )?;
    Ok(paths::comment_on(&question.path(), comment.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_checked_after_trimming() {
        assert_eq!(check_comment("  which firmware?  "), Ok("which firmware?"));
        assert!(check_comment(" \n ").unwrap_err().contains("empty"));
        let longest = "é".repeat(COMMENT_MAX);
        assert_eq!(
            check_comment(&format!("  {longest}\n")),
            Ok(longest.as_str())
        );
        let too_long = "a".repeat(COMMENT_MAX + 1);
        assert!(check_comment(&too_long).unwrap_err().contains("601"));
        assert!(check_comment("a\0b").unwrap_err().contains("NUL"));
    }
}
