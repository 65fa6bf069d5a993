//! Drafts that survive a detour: a guest who is sent to sign in or to
//! register, or a member whose session expired while typing, finds the
//! question or answer they wrote waiting in the form afterwards. Drafts are
//! private (a guest's belong to the hash of the browser's pre-session
//! cookie, a member's to the user), bounded by the posting limits and per
//! owner ([`QUESTION_DRAFTS_KEPT`], [`answer_drafts_kept`]), moved to
//! the user at sign-in, deleted once posted, and after [`DRAFT_TTL_SECS`]
//! by a periodic job.

use crate::auth::tokens;
use crate::db::models::drafts::{self, Draft, DraftText, Owner};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{DraftId, QuestionId, UserId};
use crate::service::questions;

/// A draft is kept this long after its last change (seconds).
pub const DRAFT_TTL_SECS: i64 = 30 * 24 * 3600;
/// At most this many question drafts per owner (older ones are dropped).
pub const QUESTION_DRAFTS_KEPT: usize = 10;
/// At most this many answer drafts (over all questions) per member: the
/// least recently changed are dropped.
pub const MEMBER_ANSWER_DRAFTS_KEPT: usize = 50;
/// At most this many answer drafts per guest cookie (a guest is one
/// browser, and anyone can be a guest).
pub const GUEST_ANSWER_DRAFTS_KEPT: usize = 10;

/// How many answer drafts `owner` may keep.
pub fn answer_drafts_kept(owner: &Owner) -> usize {
    match owner {
        Owner::User(_) => MEMBER_ANSWER_DRAFTS_KEPT,
        Owner::Guest(_) => GUEST_ANSWER_DRAFTS_KEPT,
    }
}
/// Longest tag list a draft keeps (characters), as the ask form reads it.
pub const TAGS_MAX_CHARS: usize = 200;

/// The owner key of a guest with pre-session cookie `cookie_token` (only a
/// hash is stored, so the table cannot be used to forge the cookie).
pub fn guest_owner(cookie_token: &str) -> Owner {
    Owner::Guest(tokens::hash_token(&format!("draft:{cookie_token}")))
}

/// Refuses text over the limits of a post (a draft holds nothing a post
/// could not).
fn check_size(text: &DraftText<'_>) -> AppResult<()> {
    let mut problems: Vec<String> = [
        questions::title_too_long(text.title),
        questions::body_too_long(text.body),
    ]
    .into_iter()
    .flatten()
    .collect();
    if [text.title, text.body, text.tags]
        .iter()
        .any(|part| part.contains('\0'))
    {
        // A link can carry what a form body cannot (see `web::extract`).
        problems.push("Text cannot contain NUL characters.".into());
    }
    if text.tags.chars().count() > TAGS_MAX_CHARS {
        problems.push(format!(
            "The tags can have at most {TAGS_MAX_CHARS} characters."
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "{} Go back, shorten it and send it again.",
            problems.join(" ")
        )))
    }
}

/// Keeps a question draft for `owner`: updates `existing` when it is
/// theirs, else stores a new one (keeping the newest
/// [`QUESTION_DRAFTS_KEPT`]). Returns its id.
pub fn keep_question(
    conn: &mut Conn,
    owner: &Owner,
    existing: Option<DraftId>,
    text: &DraftText<'_>,
    now: i64,
) -> AppResult<DraftId> {
    check_size(text)?;
    conn.immediate_transaction(|conn| {
        if let Some(id) = existing {
            if drafts::update(conn, id, owner, text, now, DRAFT_TTL_SECS)? {
                return Ok(id);
            }
        }
        let id = drafts::insert(conn, owner, None, text, now, DRAFT_TTL_SECS)?;
        drafts::trim_questions(conn, owner, QUESTION_DRAFTS_KEPT)?;
        Ok(id)
    })
}

/// Keeps `owner`'s answer draft for `question` (replacing an older one);
/// past [`answer_drafts_kept`], the least recently changed other one is
/// dropped.
pub fn keep_answer(
    conn: &mut Conn,
    owner: &Owner,
    question: QuestionId,
    body: &str,
    now: i64,
) -> AppResult<DraftId> {
    let text = DraftText {
        body,
        ..Default::default()
    };
    check_size(&text)?;
    conn.immediate_transaction(|conn| {
        drafts::delete_answers(conn, owner, question)?;
        let id = drafts::insert(conn, owner, Some(question), &text, now, DRAFT_TTL_SECS)?;
        drafts::trim_answers(conn, owner, answer_drafts_kept(owner))?;
        Ok(id)
    })
}

/// `owner`'s question draft `id`, if it is theirs.
pub fn question(conn: &mut Conn, owner: &Owner, id: DraftId) -> AppResult<Option<Draft>> {
    Ok(drafts::find(conn, id, owner)?.filter(|d| d.question_id.is_none()))
}

/// `owner`'s answer draft for `question`.
pub fn answer(conn: &mut Conn, owner: &Owner, question: QuestionId) -> AppResult<Option<Draft>> {
    Ok(drafts::find_answer(conn, owner, question)?)
}

/// `owner`'s question drafts, newest first.
pub fn questions_of(conn: &mut Conn, owner: &Owner) -> AppResult<Vec<Draft>> {
    Ok(drafts::questions_of(
        conn,
        owner,
        QUESTION_DRAFTS_KEPT as i64,
    )?)
}

/// Whether `owner` has any draft waiting.
pub fn any(conn: &mut Conn, owner: &Owner) -> AppResult<bool> {
    Ok(!drafts::questions_of(conn, owner, 1)?.is_empty() || drafts::has_answers(conn, owner)?)
}

/// Forgets a question draft (posted, or discarded).
pub fn forget(conn: &mut Conn, owner: &Owner, id: DraftId) -> AppResult<()> {
    drafts::delete(conn, id, owner)?;
    Ok(())
}

/// Forgets `owner`'s answer draft for `question` (posted).
pub fn forget_answer(conn: &mut Conn, owner: &Owner, question: QuestionId) -> AppResult<()> {
    drafts::delete_answers(conn, owner, question)?;
    Ok(())
}

/// At sign-in or registration: the guest's drafts become the user's.
pub fn hand_to_user(conn: &mut Conn, guest: &Owner, user: UserId) -> AppResult<usize> {
    let Owner::Guest(key) = guest else {
        return Ok(0);
    };
    conn.immediate_transaction(|conn| {
        let moved = drafts::move_to_user(conn, key, user)?;
        let member = Owner::User(user);
        drafts::trim_questions(conn, &member, QUESTION_DRAFTS_KEPT)?;
        drafts::trim_answers(conn, &member, MEMBER_ANSWER_DRAFTS_KEPT)?;
        Ok(moved)
    })
}

/// Deletes drafts past their expiry (the periodic cleanup).
pub fn delete_expired(conn: &mut Conn, now: i64) -> AppResult<usize> {
    Ok(drafts::delete_expired(conn, now)?)
}
