//! Following questions and tags, and telling followers what happened.
//!
//! The asker and everyone who answers or comments follow a question
//! automatically through [`auto_follow`]; anyone signed in can follow or
//! unfollow any question or tag by hand. An explicit unfollow is remembered:
//! the person's own later answer or comment does not follow the question
//! again (Discourse's rule: posting raises the notification level of a topic
//! only while the person never chose one).
//!
//! Every event on a question goes out through [`tell_followers`]: each
//! person is told once per event (whether they follow the question, one of
//! its tags, or both), never the person who acted, and always through
//! [`notifications::notify`].

use std::collections::BTreeMap;

use crate::db::models::follows::{self, Followed};
use crate::db::models::notifications::{self, About};
use crate::db::models::questions::Question;
use crate::db::models::tags::{self, Tag};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, CommentId, QuestionId, TagId, UserId};
use crate::service::questions::visible_question;

pub use crate::db::models::follows::{
    auto_follow, is_following, question_followers, FollowedQuestion,
};

/// Follows (`following = true`) or unfollows the question `id` for `user`;
/// a question that does not exist or was deleted is a 404.
pub fn set_question(
    conn: &mut Conn,
    user: UserId,
    id: QuestionId,
    following: bool,
    now: i64,
) -> AppResult<Question> {
    conn.immediate_transaction(|conn| {
        let question = visible_question(conn, id, false)?;
        follows::set(conn, user, Followed::Question(id), following, now)?;
        Ok(question)
    })
}

/// The tag called `name`, or a 404 that says so.
pub fn existing_tag(conn: &mut Conn, name: &str) -> AppResult<Tag> {
    tags::find(conn, name)?.ok_or_else(|| {
        AppError::NotFound(format!(
            "There is no tag \u{201c}{name}\u{201d}. See all tags, or search."
        ))
    })
}

/// Follows or unfollows the tag `name` for `user`; an unknown tag is a 404.
pub fn set_tag(
    conn: &mut Conn,
    user: UserId,
    name: &str,
    following: bool,
    now: i64,
) -> AppResult<Tag> {
    conn.immediate_transaction(|conn| {
        let tag = existing_tag(conn, name)?;
        follows::set(conn, user, Followed::Tag(tag.id), following, now)?;
        Ok(tag)
    })
}

/// Something that happened on a question, for the people who follow it.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// The question concerned.
    pub question: QuestionId,
    /// The answer concerned, if any.
    pub answer: Option<AnswerId>,
    /// The comment concerned, if any.
    pub comment: Option<CommentId>,
    /// Whether the question's (and the tags') followers are told; `false`
    /// when only `always` is (a comment edited to mention someone new).
    pub to_followers: bool,
    /// Who did it: never told about their own doing.
    pub actor: UserId,
    /// What a follower is told (a [`notifications`] kind).
    pub kind: &'static str,
    /// Followers of these tags are told too (a new question with them).
    pub tags: &'a [TagId],
    /// Followers told something more precise instead (the asker when staff
    /// accepted an answer on their question).
    pub instead: &'a [(UserId, &'static str)],
    /// People told with their own kind whether or not they follow (the
    /// author of the answer just accepted); the last entry for a person wins.
    pub always: &'a [(UserId, &'static str)],
    /// People already told of this event (an edited comment's first
    /// readers): not told again.
    pub told: &'a [UserId],
}

impl Event<'_> {
    /// `kind` by `actor` on `question` (and `answer`), for its followers.
    pub fn new(
        kind: &'static str,
        question: QuestionId,
        answer: Option<AnswerId>,
        actor: UserId,
    ) -> Self {
        Event {
            question,
            answer,
            comment: None,
            to_followers: true,
            actor,
            kind,
            tags: &[],
            instead: &[],
            always: &[],
            told: &[],
        }
    }
}

/// Who hears of `event`, each once, with what they are told: followers of
/// the question and of the event's tags, then the more precise kinds. The
/// actor and those already told are left out.
pub fn recipients(conn: &mut Conn, event: &Event<'_>) -> AppResult<BTreeMap<UserId, &'static str>> {
    let mut told: BTreeMap<UserId, &'static str> = BTreeMap::new();
    if event.to_followers {
        let question = question_followers(conn, event.question)?;
        let tagged = follows::tag_followers(conn, event.tags)?;
        for user in question.into_iter().chain(tagged) {
            told.insert(user, event.kind);
        }
    }
    for (user, kind) in event.instead {
        if let Some(told_kind) = told.get_mut(user) {
            *told_kind = kind;
        }
    }
    for (user, kind) in event.always {
        told.insert(*user, kind);
    }
    told.remove(&event.actor);
    for user in event.told {
        told.remove(user);
    }
    Ok(told)
}

/// Tells everyone [`recipients`] names about `event`, once each; returns
/// how many were told.
pub fn tell_followers(conn: &mut Conn, event: &Event<'_>, now: i64) -> AppResult<usize> {
    let told = recipients(conn, event)?;
    let about = About {
        comment_id: event.comment,
        ..About::post(event.question, event.answer)
    };
    for (user, kind) in &told {
        notifications::notify(conn, *user, kind, about, event.actor, now)?;
    }
    Ok(told.len())
}

/// What `user` follows, for their account page: questions (most recently
/// followed first, at most `limit`) and tag names.
pub fn followed_by(
    conn: &mut Conn,
    user: UserId,
    limit: i64,
) -> AppResult<(Vec<FollowedQuestion>, Vec<String>)> {
    Ok((
        follows::questions_of(conn, user, limit)?,
        follows::tags_of(conn, user)?,
    ))
}
