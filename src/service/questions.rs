//! The Q&A board's rules: asking, answering, voting, accepting, editing with
//! revisions, moderation (close, lock, pin, soft delete), flags and
//! notifications. Every change that affects search enqueues an outbox row in
//! the same transaction.

use crate::auth::policy::{can, sees_hidden, Action, Target};
use crate::db::models::answers::{self, Answer, NewAnswer};
use crate::db::models::questions::{self, NewQuestion, Question};
use crate::db::models::revisions::{self, NewRevision, Revision};
use crate::db::models::{flags, notifications, outbox, tags, votes};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnswerId, QuestionId, RevisionId, UserId};
use crate::kinds::{DocKind, PostKind};
use crate::markdown::{self, Rendered};
use crate::paths;

/// Shortest title (characters).
pub const TITLE_MIN: usize = 10;
/// Longest title (characters).
pub const TITLE_MAX: usize = 150;
/// Shortest question or answer body (characters).
pub const BODY_MIN: usize = 20;
/// Longest body (characters).
pub const BODY_MAX: usize = 30_000;
/// Most tags on a question.
pub const TAGS_MAX: usize = 5;
/// Longest tag (characters).
pub const TAG_MAX_CHARS: usize = 25;

pub use crate::auth::policy::Actor;

/// A question that passed validation.
#[derive(Debug, Clone)]
pub struct QuestionDraft {
    /// Trimmed title.
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Rendered body.
    pub rendered: Rendered,
    /// Normalized tags.
    pub tags: Vec<String>,
}

/// Normalizes a tag list typed as text (commas or spaces): lowercase, `a-z
/// 0-9 - . + #`, no duplicates; 1 to 5 tags of at most 25 characters.
pub fn normalize_tags(raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let tag: String = part
            .to_lowercase()
            .chars()
            .map(|c| if c == '_' { '-' } else { c })
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | '#'))
            .collect();
        let tag = tag.trim_matches(['-', '.']).to_string();
        if tag.is_empty() {
            return Err(format!("The tag {part:?} has no letters or digits left after cleaning; use a-z, 0-9 and dashes."));
        }
        if tag.chars().count() > TAG_MAX_CHARS {
            return Err(format!(
                "The tag {tag:?} is longer than {TAG_MAX_CHARS} characters."
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.is_empty() {
        return Err(
            "Add at least one tag, such as the product or feature the question is about.".into(),
        );
    }
    if out.len() > TAGS_MAX {
        return Err(format!(
            "Use at most {TAGS_MAX} tags; you gave {}.",
            out.len()
        ));
    }
    Ok(out)
}

/// Checks a body's length without rendering it (cheap: runs before rate
/// limits and before any markdown work).
pub fn check_body(body: &str) -> Result<(), String> {
    let chars = body.trim().chars().count();
    if chars < BODY_MIN {
        return Err(format!("The text needs at least {BODY_MIN} characters; describe what you did and what you saw."));
    }
    body_too_long(body).map_or(Ok(()), Err)
}

/// The message for a body over [`BODY_MAX`] characters, if it is.
pub fn body_too_long(body: &str) -> Option<String> {
    let chars = body.trim().chars().count();
    (chars > BODY_MAX)
        .then(|| format!("The text can have at most {BODY_MAX} characters; yours has {chars}."))
}

/// The message for a title over [`TITLE_MAX`] characters, if it is.
pub fn title_too_long(title: &str) -> Option<String> {
    let chars = title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .count();
    (chars > TITLE_MAX)
        .then(|| format!("The title can have at most {TITLE_MAX} characters; yours has {chars}."))
}

/// Checks a body's length and renders it with the strict profile.
pub fn validate_body(body: &str) -> Result<Rendered, String> {
    check_body(body)?;
    Ok(markdown::render_post(body))
}

/// A question's fields that passed validation, not rendered yet.
#[derive(Debug, Clone)]
pub struct QuestionFields {
    /// Trimmed title.
    pub title: String,
    /// Trimmed markdown body.
    pub body: String,
    /// Normalized tags.
    pub tags: Vec<String>,
}

impl QuestionFields {
    /// Renders the body: the expensive step, run after the rate limit.
    pub fn render(self) -> QuestionDraft {
        let rendered = markdown::render_post(&self.body);
        QuestionDraft {
            title: self.title,
            body: self.body,
            rendered,
            tags: self.tags,
        }
    }
}

/// Checks a question's title, body length and tags without rendering;
/// every problem is reported at once.
pub fn check_question(
    title: &str,
    body: &str,
    raw_tags: &str,
) -> Result<QuestionFields, Vec<String>> {
    let mut errors = Vec::new();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.chars().count() < TITLE_MIN {
        errors.push(format!("The title needs at least {TITLE_MIN} characters: say what goes wrong, e.g. \u{201c}Search finds nothing after upgrade\u{201d}."));
    } else if let Some(e) = title_too_long(&title) {
        errors.push(e);
    }
    if let Err(e) = check_body(body) {
        errors.push(e);
    }
    let tags = normalize_tags(raw_tags).map_err(|e| errors.push(e)).ok();
    match tags {
        Some(tags) if errors.is_empty() => Ok(QuestionFields {
            title,
            body: body.trim().to_string(),
            tags,
        }),
        _ => Err(errors),
    }
}

/// Validates a question and renders its body; every problem is reported at once.
pub fn validate_question(
    title: &str,
    body: &str,
    raw_tags: &str,
) -> Result<QuestionDraft, Vec<String>> {
    check_question(title, body, raw_tags).map(QuestionFields::render)
}

/// URL slug of a title.
pub fn title_slug(title: &str) -> String {
    let slug = markdown::slugify(title);
    let mut cut: String = slug.chars().take(80).collect();
    while cut.ends_with('-') {
        cut.pop();
    }
    if cut.is_empty() {
        "question".into()
    } else {
        cut
    }
}

fn enqueue(conn: &mut Conn, question_id: QuestionId, now: i64) -> AppResult<()> {
    outbox::enqueue(conn, DocKind::Question, question_id.into(), now)?;
    Ok(())
}

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
        tags::set_for_question(conn, question.id, &draft.tags, now)?;
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

/// A visible question or 404.
pub fn visible_question(
    conn: &mut Conn,
    id: QuestionId,
    viewer_is_staff: bool,
) -> AppResult<Question> {
    match questions::find(conn, id)? {
        Some(q) if q.deleted_at.is_none() || viewer_is_staff => Ok(q),
        _ => Err(AppError::NotFound(
            "This question does not exist or was deleted.".into(),
        )),
    }
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
        notifications::notify(
            conn,
            question.author_id,
            notifications::NEW_ANSWER,
            question_id,
            Some(answer.id),
            author.id,
            now,
        )?;
        enqueue(conn, question_id, now)?;
        Ok(PostedAnswer {
            url: paths::answer(question.id, &question.slug, answer.id),
            answer,
        })
    })
}

fn touch(conn: &mut Conn, question_id: QuestionId, now: i64) -> AppResult<()> {
    use crate::db::schema::questions::dsl as q;
    use diesel::prelude::*;
    diesel::update(q::questions.find(question_id))
        .set(q::last_activity_at.eq(now))
        .execute(conn)?;
    Ok(())
}

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
        notifications::notify(
            conn,
            answer.author_id,
            notifications::ANSWER_ACCEPTED,
            question_id,
            Some(answer_id),
            actor.id,
            now,
        )?;
        if actor.id != question.author_id {
            notifications::notify(
                conn,
                question.author_id,
                notifications::STAFF_ACCEPTED,
                question_id,
                Some(answer_id),
                actor.id,
                now,
            )?;
        }
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
        tags::set_for_question(conn, question_id, &draft.tags, now)?;
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

/// Why a question was closed.
pub const CLOSE_REASONS: &[(&str, &str)] = &[
    ("duplicate", "Duplicate of another question"),
    ("off-topic", "Off-topic"),
    ("resolved-elsewhere", "Resolved elsewhere"),
];

/// A staff moderation action on a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderation {
    /// Close with a reason (and the duplicate's id).
    Close {
        reason: String,
        duplicate_of: Option<QuestionId>,
    },
    /// Reopen.
    Reopen,
    /// Lock or unlock.
    Lock(bool),
    /// Pin or unpin.
    Pin(bool),
    /// Soft delete.
    Delete,
    /// Restore from soft delete.
    Restore,
}

/// Checks a close reason; returns the question a duplicate points to
/// (`None` for other reasons).
fn close_target(
    conn: &mut Conn,
    question_id: QuestionId,
    reason: &str,
    duplicate_of: Option<QuestionId>,
) -> AppResult<Option<QuestionId>> {
    if !CLOSE_REASONS.iter().any(|(r, _)| *r == reason) {
        return Err(AppError::BadRequest(
            "Choose a reason: duplicate, off-topic or resolved elsewhere.".into(),
        ));
    }
    if reason != "duplicate" {
        return Ok(None);
    }
    let id = duplicate_of.ok_or_else(|| {
        AppError::BadRequest("Give the number of the question this duplicates.".into())
    })?;
    if id == question_id {
        return Err(AppError::BadRequest(
            "A question cannot duplicate itself.".into(),
        ));
    }
    visible_question(conn, id, false)
        .map_err(|_| AppError::BadRequest(format!("There is no question #{id} to point to.")))?;
    Ok(Some(id))
}

/// Applies a staff action to a question; returns the question's page.
pub fn moderate_question(
    conn: &mut Conn,
    actor: Actor,
    question_id: QuestionId,
    action: &Moderation,
    now: i64,
) -> AppResult<String> {
    use crate::db::schema::questions::dsl as q;
    use diesel::prelude::*;
    can(Some(&actor), Action::Moderate, &Target::Site)?;
    conn.immediate_transaction(|conn| {
        let question = visible_question(conn, question_id, true)?;
        let target = q::questions.find(question_id);
        match action {
            Moderation::Close {
                reason,
                duplicate_of,
            } => {
                let duplicate_of = close_target(conn, question_id, reason, *duplicate_of)?;
                diesel::update(target)
                    .set((
                        q::closed_reason.eq(Some(reason)),
                        q::duplicate_of.eq(duplicate_of),
                        q::closed_by.eq(Some(actor.id)),
                        q::closed_at.eq(Some(now)),
                    ))
                    .execute(conn)?;
            }
            Moderation::Reopen => {
                diesel::update(target)
                    .set((
                        q::closed_reason.eq(None::<String>),
                        q::duplicate_of.eq(None::<QuestionId>),
                        q::closed_by.eq(None::<UserId>),
                        q::closed_at.eq(None::<i64>),
                    ))
                    .execute(conn)?;
            }
            Moderation::Lock(on) => {
                diesel::update(target)
                    .set(q::locked.eq(*on))
                    .execute(conn)?;
            }
            Moderation::Pin(on) => {
                diesel::update(target)
                    .set(q::pinned.eq(*on))
                    .execute(conn)?;
            }
            Moderation::Delete => {
                diesel::update(target)
                    .set((
                        q::deleted_at.eq(Some(now)),
                        q::deleted_by.eq(Some(actor.id)),
                    ))
                    .execute(conn)?;
            }
            Moderation::Restore => {
                diesel::update(target)
                    .set((
                        q::deleted_at.eq(None::<i64>),
                        q::deleted_by.eq(None::<UserId>),
                    ))
                    .execute(conn)?;
            }
        }
        if matches!(action, Moderation::Delete | Moderation::Restore) {
            let ids = tags::ids_for_question(conn, question.id)?;
            tags::refresh_counts(conn, &ids)?;
        }
        enqueue(conn, question_id, now)?;
        Ok(question.path())
    })
}

/// Soft-deletes or restores an answer (staff). Deleting the accepted answer
/// removes the mark. Returns the answer on its question's page.
pub fn set_answer_deleted(
    conn: &mut Conn,
    actor: Actor,
    answer_id: AnswerId,
    deleted: bool,
    now: i64,
) -> AppResult<String> {
    use crate::db::schema::answers::dsl as a;
    use crate::db::schema::questions::dsl as q;
    use diesel::prelude::*;
    can(Some(&actor), Action::Moderate, &Target::Site)?;
    conn.immediate_transaction(|conn| {
        let (answer, question) = answers::find_with_question(conn, answer_id)?
            .ok_or_else(|| AppError::NotFound("There is no such answer.".into()))?;
        let (at, by) = if deleted {
            (Some(now), Some(actor.id))
        } else {
            (None, None)
        };
        diesel::update(a::answers.find(answer_id))
            .set((a::deleted_at.eq(at), a::deleted_by.eq(by)))
            .execute(conn)?;
        if deleted {
            diesel::update(
                q::questions
                    .find(answer.question_id)
                    .filter(q::accepted_answer_id.eq(Some(answer_id))),
            )
            .set((
                q::accepted_answer_id.eq(None::<AnswerId>),
                q::accepted_by.eq(None::<UserId>),
                q::accepted_at.eq(None::<i64>),
            ))
            .execute(conn)?;
        }
        answers::recount(conn, answer.question_id)?;
        enqueue(conn, answer.question_id, now)?;
        Ok(paths::answer_on(&question.path(), answer_id))
    })
}

/// Reasons a post can be flagged for.
pub const FLAG_REASONS: &[(&str, &str)] = &[
    ("spam", "Spam or advertising"),
    ("rude", "Rude or abusive"),
    ("wrong", "Wrong or dangerous advice"),
    ("other", "Something else (explain below)"),
];

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
    let (_, question) = post_owner(conn, kind, post_id)?;
    flags::insert(conn, kind, post_id, reporter.id, reason, &details, now)?;
    Ok(question)
}
