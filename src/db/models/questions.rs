//! Questions of the community board, with keyset-paginated lists.

use diesel::prelude::*;

use crate::db::schema::{question_tags, questions};
use crate::db::Conn;
use crate::ids::{AnswerId, ArticleId, QuestionId, TagId, UserId};

/// A question row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = questions)]
pub struct Question {
    /// Primary key.
    pub id: QuestionId,
    /// Asker.
    pub author_id: UserId,
    /// Title.
    pub title: String,
    /// URL slug of the title.
    pub slug: String,
    /// Markdown.
    pub body_md: String,
    /// Sanitized HTML.
    pub body_html: String,
    /// Plain text.
    pub body_text: String,
    /// Tags, comma separated (also in `question_tags`).
    pub tags: String,
    /// Sum of votes.
    pub score: i32,
    /// Answers not deleted.
    pub answer_count: i32,
    /// The accepted answer.
    pub accepted_answer_id: Option<AnswerId>,
    /// Who accepted it.
    pub accepted_by: Option<UserId>,
    /// When (unix seconds).
    pub accepted_at: Option<i64>,
    /// Set while closed: `duplicate`, `off-topic` or `resolved-elsewhere`.
    pub closed_reason: Option<String>,
    /// The question this duplicates.
    pub duplicate_of: Option<QuestionId>,
    /// Who closed it.
    pub closed_by: Option<UserId>,
    /// When.
    pub closed_at: Option<i64>,
    /// No new answers or edits by members.
    pub locked: bool,
    /// Shown first in lists.
    pub pinned: bool,
    /// Soft deletion (unix seconds).
    pub deleted_at: Option<i64>,
    /// Who deleted it.
    pub deleted_by: Option<UserId>,
    /// The article made from it, if any.
    pub article_id: Option<ArticleId>,
    /// Idempotency key of the form that created it.
    pub submit_key: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Last answer, edit or accept (unix seconds).
    pub last_activity_at: i64,
    /// When the asker was asked "was your question solved?" (once).
    pub nudged_at: Option<i64>,
    /// When the asker answered "still not solved" (until an answer is accepted).
    pub unsolved_at: Option<i64>,
}

impl Question {
    /// Canonical path.
    pub fn path(&self) -> String {
        crate::paths::question(self.id, &self.slug)
    }

    /// Tags as a list.
    pub fn tag_list(&self) -> Vec<String> {
        crate::db::models::articles::split_tags(&self.tags)
    }
}

/// Values for a new question.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = questions)]
pub struct NewQuestion<'a> {
    /// Asker.
    pub author_id: UserId,
    /// Title.
    pub title: &'a str,
    /// Slug.
    pub slug: &'a str,
    /// Markdown.
    pub body_md: &'a str,
    /// HTML.
    pub body_html: &'a str,
    /// Text.
    pub body_text: &'a str,
    /// Tags.
    pub tags: &'a str,
    /// Idempotency key.
    pub submit_key: Option<&'a str>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// Unix seconds.
    pub last_activity_at: i64,
}

/// The list tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Newest first.
    Newest,
    /// Most recent activity first.
    Active,
    /// No answers yet, newest first.
    Unanswered,
    /// No accepted answer, newest first.
    Unsolved,
    /// Highest score first.
    Top,
}

impl Tab {
    /// Every tab with its URL name and label.
    pub const ALL: [(Tab, &'static str, &'static str); 5] = [
        (Tab::Newest, "newest", "Newest"),
        (Tab::Active, "active", "Active"),
        (Tab::Unanswered, "unanswered", "Unanswered"),
        (Tab::Unsolved, "unsolved", "Unsolved"),
        (Tab::Top, "top", "Top"),
    ];

    /// Parses a URL name (unknown: newest).
    pub fn parse(name: &str) -> Tab {
        Tab::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(t, _, _)| *t)
            .unwrap_or(Tab::Newest)
    }

    /// The URL name.
    pub fn name(self) -> &'static str {
        Tab::ALL
            .iter()
            .find(|(t, _, _)| *t == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("newest")
    }

    /// The sort value of a question in this tab (first part of the cursor).
    pub fn sort_value(self, q: &Question) -> i64 {
        match self {
            Tab::Active => q.last_activity_at,
            Tab::Top => i64::from(q.score),
            _ => q.created_at,
        }
    }
}

/// Where a page starts: after `(value, id)` in the tab's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Sort value of the last row of the previous page.
    pub value: i64,
    /// Its id.
    pub id: QuestionId,
}

impl Cursor {
    /// `value.id`
    pub fn encode(&self) -> String {
        format!("{}_{}", self.value, self.id)
    }

    /// Parses `value_id`; anything else is `None` (first page).
    pub fn decode(text: &str) -> Option<Cursor> {
        let (value, id) = text.rsplit_once('_')?;
        Some(Cursor {
            value: value.parse().ok()?,
            id: QuestionId(id.parse().ok()?),
        })
    }
}

/// The links of `tag` to the question of the outer query.
type TagLink = diesel::dsl::Filter<
    diesel::dsl::Filter<
        question_tags::table,
        diesel::dsl::Eq<question_tags::question_id, questions::id>,
    >,
    diesel::dsl::Eq<question_tags::tag_id, TagId>,
>;

/// Whether the question of the outer query has `tag`: a probe of the link's
/// key per question. `id IN (the tag's links)` made SQLite build a table of
/// every link of the tag first: 37 ms of CPU per page for a tag on a third
/// of 250,000 questions, against 0.15 ms probing.
fn tagged(tag: TagId) -> diesel::dsl::exists<TagLink> {
    diesel::dsl::exists(
        question_tags::table
            .filter(question_tags::question_id.eq(questions::id))
            .filter(question_tags::tag_id.eq(tag)),
    )
}

/// One page of a tab: visible questions after `cursor`, optionally with `tag_id`.
/// Keyset pagination: each page costs the same however deep it is.
pub fn list_page(
    conn: &mut Conn,
    tab: Tab,
    tag_id: Option<TagId>,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<Question>> {
    use crate::db::schema::questions::dsl as q;
    if let (Some(tag), Tab::Newest | Tab::Unanswered | Tab::Unsolved) = (tag_id, tab) {
        return tagged_newest_page(conn, tab, tag, cursor, limit);
    }
    if let (Some(tag), Tab::Active | Tab::Top) = (tag_id, tab) {
        if let Some(page) = rare_tag_page(conn, tab, tag, cursor, limit)? {
            return Ok(page);
        }
    }
    let mut query = q::questions
        .filter(q::deleted_at.is_null())
        .select(Question::as_select())
        .into_boxed();
    if let Some(tag) = tag_id {
        query = query.filter(tagged(tag));
    }
    match tab {
        Tab::Unanswered => query = query.filter(q::answer_count.eq(0)),
        Tab::Unsolved => query = query.filter(q::accepted_answer_id.is_null()),
        _ => {}
    }
    // `col <= v AND (col < v OR id < last)`: the first part bounds the index
    // range, so a deep page costs as much as the first one.
    query = match (tab, cursor) {
        (Tab::Active, Some(c)) => query
            .filter(q::last_activity_at.le(c.value))
            .filter(q::last_activity_at.lt(c.value).or(q::id.lt(c.id))),
        (Tab::Top, Some(c)) => {
            let v = i32::try_from(c.value).unwrap_or(if c.value < 0 { i32::MIN } else { i32::MAX });
            query
                .filter(q::score.le(v))
                .filter(q::score.lt(v).or(q::id.lt(c.id)))
        }
        (_, Some(c)) => query
            .filter(q::created_at.le(c.value))
            .filter(q::created_at.lt(c.value).or(q::id.lt(c.id))),
        (_, None) => query,
    };
    // Every order leads with `deleted_at`, NULL in every row here: the
    // tabs' indexes start with it, and PostgreSQL reads such an index in
    // order only when the order names it too (it does not take
    // `deleted_at IS NULL` as fixing the column). Without it, every page
    // sorted all visible questions: about 1 s a page at 250,000 under load.
    // SQLite reads the same index either way.
    query = match tab {
        Tab::Active => query.order((
            q::deleted_at.asc(),
            q::last_activity_at.desc(),
            q::id.desc(),
        )),
        Tab::Top => query.order((q::deleted_at.asc(), q::score.desc(), q::id.desc())),
        Tab::Unsolved => query.order((
            q::deleted_at.asc(),
            q::accepted_answer_id.asc(),
            q::created_at.desc(),
            q::id.desc(),
        )),
        Tab::Newest | Tab::Unanswered => {
            query.order((q::deleted_at.asc(), q::created_at.desc(), q::id.desc()))
        }
    };
    query.limit(limit).load(conn)
}

/// A page of a newest-first tab (newest, unanswered, unsolved) of one tag,
/// driven by the tag's rows: `question_tags_tag` holds them newest first
/// (each link carries its question's `created_at`), so a page reads the
/// tag's next rows and joins each question by its key, as cheap for a rare
/// tag as for a common one. Starting from the questions instead probes the
/// tag for every question in date order until a page is full: ~1,600
/// probes for a tag on 1 question in 60 (18-22 ms on PostgreSQL at
/// 100,000 questions).
fn tagged_newest_page(
    conn: &mut Conn,
    tab: Tab,
    tag: TagId,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Vec<Question>> {
    use crate::db::schema::question_tags::dsl as t;
    use crate::db::schema::questions::dsl as q;
    let mut query = t::question_tags
        .inner_join(q::questions)
        .filter(t::tag_id.eq(tag))
        .filter(q::deleted_at.is_null())
        .select(Question::as_select())
        .into_boxed();
    match tab {
        Tab::Unanswered => query = query.filter(q::answer_count.eq(0)),
        Tab::Unsolved => query = query.filter(q::accepted_answer_id.is_null()),
        _ => {}
    }
    if let Some(c) = cursor {
        query = query
            .filter(t::created_at.le(c.value))
            .filter(t::created_at.lt(c.value).or(t::question_id.lt(c.id)));
    }
    query
        .order((t::tag_id.asc(), t::created_at.desc(), t::question_id.desc()))
        .limit(limit)
        .load(conn)
}

/// Most questions a tag may have for [`rare_tag_page`] to order them itself.
const RARE_TAG: i32 = 1_000;

/// A page of the active or top tab of a tag on at most [`RARE_TAG`]
/// questions, `None` for a more common tag. Such a tab's order is not in
/// the tag's rows, and reading the questions in that order probes the tag
/// for every question until a page is full: for a tag on a handful of
/// questions that is every question of the site (27 ms of CPU on SQLite at
/// 250,000 questions, against 0.1 ms here). Instead the tag's visible
/// questions' sort keys are read through the tag's rows (one index range)
/// and the page is picked here, then loaded by key. A common tag fills its
/// page after a few probes per row, which costs less than reading all its
/// rows.
fn rare_tag_page(
    conn: &mut Conn,
    tab: Tab,
    tag: TagId,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Option<Vec<Question>>> {
    use crate::db::schema::question_tags::dsl as t;
    use crate::db::schema::questions::dsl as q;
    use crate::db::schema::tags;
    let count: Option<i32> = tags::table
        .find(tag)
        .select(tags::question_count)
        .first(conn)
        .optional()?;
    if count.is_none_or(|n| n > RARE_TAG) {
        return Ok(None);
    }
    let rows = t::question_tags
        .inner_join(q::questions)
        .filter(t::tag_id.eq(tag))
        .filter(q::deleted_at.is_null());
    // The stored count may lag a moment behind the rows: past twice the
    // bound the tag is not rare any more, whatever it says.
    let cap = i64::from(RARE_TAG) * 2 + 1;
    let mut keys: Vec<(i64, QuestionId)> = match tab {
        Tab::Top => rows
            .select((q::score, q::id))
            .limit(cap)
            .load::<(i32, QuestionId)>(conn)?
            .into_iter()
            .map(|(score, id)| (i64::from(score), id))
            .collect(),
        _ => rows
            .select((q::last_activity_at, q::id))
            .limit(cap)
            .load(conn)?,
    };
    if keys.len() as i64 >= cap {
        return Ok(None);
    }
    // Highest key first, then highest id: the order of `list_page`.
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let page: Vec<QuestionId> = keys
        .into_iter()
        .filter(|key| cursor.is_none_or(|c| *key < (c.value, c.id)))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|(_, id)| id)
        .collect();
    let mut found = find_many(conn, &page)?;
    found.sort_by_key(|question| page.iter().position(|id| *id == question.id));
    Ok(Some(found))
}

/// Pinned, visible questions (shown above the first page).
pub fn pinned(conn: &mut Conn, tag_id: Option<TagId>) -> QueryResult<Vec<Question>> {
    use crate::db::schema::questions::dsl as q;
    let mut query = q::questions
        .filter(q::deleted_at.is_null())
        .filter(q::pinned.eq(true))
        // `deleted_at` first, as in `list_page`: PostgreSQL then reads the index.
        .order((q::deleted_at.asc(), q::created_at.desc()))
        .select(Question::as_select())
        .limit(10)
        .into_boxed();
    if let Some(tag) = tag_id {
        query = query.filter(tagged(tag));
    }
    query.load(conn)
}

/// One question by id (deleted ones included).
pub fn find(conn: &mut Conn, id: QuestionId) -> QueryResult<Option<Question>> {
    questions::table
        .find(id)
        .select(Question::as_select())
        .first(conn)
        .optional()
}

/// The questions with these ids (deleted ones included), in one query;
/// ids without a question are left out.
pub fn find_many(conn: &mut Conn, ids: &[QuestionId]) -> QueryResult<Vec<Question>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    questions::table
        .filter(questions::id.eq_any(ids))
        .select(Question::as_select())
        .load(conn)
}

/// The question `author` created with the form carrying this idempotency
/// key. Keys are scoped to their author: another user's key finds nothing.
pub fn find_by_submit_key(
    conn: &mut Conn,
    author: UserId,
    key: &str,
) -> QueryResult<Option<Question>> {
    questions::table
        .filter(questions::author_id.eq(author))
        .filter(questions::submit_key.eq(key))
        .select(Question::as_select())
        .first(conn)
        .optional()
}

/// Whether any question (by anyone) was created with this idempotency key.
pub fn submit_key_in_use(conn: &mut Conn, key: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        questions::table.filter(questions::submit_key.eq(key)),
    ))
    .get_result(conn)
}

/// Inserts a question.
pub fn insert(conn: &mut Conn, new: &NewQuestion<'_>) -> QueryResult<Question> {
    diesel::insert_into(questions::table)
        .values(new)
        .returning(crate::db::row_columns::<Question>())
        .get_result(conn)
}

/// Newest visible questions (feeds, sitemap).
pub fn newest(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Question>> {
    list_page(conn, Tab::Newest, None, None, limit)
}

/// Ids and slugs of visible questions after `after_id`, for the sitemap.
pub fn visible_paths(
    conn: &mut Conn,
    after_id: QuestionId,
    limit: i64,
) -> QueryResult<Vec<(QuestionId, String, i64)>> {
    questions::table
        .filter(questions::deleted_at.is_null())
        .filter(questions::id.gt(after_id))
        .order(questions::id.asc())
        .limit(limit)
        .select((questions::id, questions::slug, questions::last_activity_at))
        .load(conn)
}

/// Every question id (for a full reindex).
pub fn all_ids(conn: &mut Conn) -> QueryResult<Vec<QuestionId>> {
    questions::table
        .select(questions::id)
        .order(questions::id.asc())
        .load(conn)
}

/// Counts for a profile: questions asked (visible).
pub fn count_by_author(conn: &mut Conn, author: UserId) -> QueryResult<i64> {
    questions::table
        .filter(questions::author_id.eq(author))
        .filter(questions::deleted_at.is_null())
        .count()
        .get_result(conn)
}

/// A user's newest visible questions.
pub fn by_author(conn: &mut Conn, author: UserId, limit: i64) -> QueryResult<Vec<Question>> {
    questions::table
        .filter(questions::author_id.eq(author))
        .filter(questions::deleted_at.is_null())
        .order(questions::id.desc())
        .limit(limit)
        .select(Question::as_select())
        .load(conn)
}

/// The newest visible questions with an accepted answer.
pub fn recent_solved(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Question>> {
    questions::table
        .filter(questions::deleted_at.is_null())
        .filter(questions::accepted_at.is_not_null())
        .filter(questions::accepted_answer_id.is_not_null())
        // `deleted_at` first, as in `list_page`: PostgreSQL then reads the index.
        .order((questions::deleted_at.asc(), questions::accepted_at.desc()))
        .limit(limit)
        .select(Question::as_select())
        .load(conn)
}

/// Visible questions waiting longest: without answers (`unanswered`), or
/// without an accepted answer.
pub fn oldest_waiting(conn: &mut Conn, unanswered: bool, limit: i64) -> QueryResult<Vec<Question>> {
    let query = questions::table
        .filter(questions::deleted_at.is_null())
        .filter(questions::closed_reason.is_null())
        .limit(limit)
        .select(Question::as_select())
        .into_boxed();
    // Oldest first is `questions_unanswered` or `questions_unsolved` read
    // backwards, which PostgreSQL does only when the order names the
    // leading columns that `IS NULL` fixes, in the backward direction (as
    // in `list_page`). Without them it read and sorted every waiting
    // question: 180-390 ms at 100,000 questions, against under 0.1 ms.
    if unanswered {
        query
            .filter(questions::answer_count.eq(0))
            .order((
                questions::deleted_at.desc(),
                questions::created_at.asc(),
                questions::id.asc(),
            ))
            .load(conn)
    } else {
        query
            .filter(questions::accepted_answer_id.is_null())
            .filter(questions::answer_count.gt(0))
            .order((
                questions::deleted_at.desc(),
                questions::accepted_answer_id.desc(),
                questions::created_at.asc(),
                questions::id.asc(),
            ))
            .load(conn)
    }
}

/// Visible questions created at or after `since`, newest first, at most `limit`.
pub fn created_since(conn: &mut Conn, since: i64, limit: i64) -> QueryResult<Vec<Question>> {
    questions::table
        .filter(questions::deleted_at.is_null())
        .filter(questions::created_at.ge(since))
        .order((questions::deleted_at.asc(), questions::id.desc()))
        .limit(limit)
        .select(Question::as_select())
        .load(conn)
}

/// Visible, open, unlocked questions without an accepted answer whose asker
/// was never asked "was it solved?" and whose first visible answer was
/// posted at or before `answered_before`; at most `limit` of those after
/// question `after`, oldest first. A sweep passes the last id of its
/// previous batch: starting from the first question every time read the
/// questions already asked about again for every batch, and a site of
/// 250,000 questions kept a core busy for minutes.
pub fn nudge_due(
    conn: &mut Conn,
    answered_before: i64,
    after: QuestionId,
    limit: i64,
) -> QueryResult<Vec<QuestionId>> {
    use crate::db::schema::answers;
    questions::table
        .filter(questions::id.gt(after))
        .filter(questions::deleted_at.is_null())
        .filter(questions::accepted_answer_id.is_null())
        .filter(questions::answer_count.gt(0))
        .filter(questions::nudged_at.is_null())
        .filter(questions::locked.eq(false))
        .filter(questions::closed_reason.is_null())
        .filter(diesel::dsl::exists(
            answers::table
                .filter(answers::question_id.eq(questions::id))
                .filter(answers::deleted_at.is_null())
                .filter(answers::created_at.le(answered_before)),
        ))
        .order(questions::id.asc())
        .limit(limit)
        .select(questions::id)
        .load(conn)
}

/// Records that the asker of `id` was asked "was it solved?"; false when
/// that was already recorded (by another run or node): ask only on true.
pub fn mark_nudged(conn: &mut Conn, id: QuestionId, now: i64) -> QueryResult<bool> {
    let changed = diesel::update(
        questions::table
            .filter(questions::id.eq(id))
            .filter(questions::nudged_at.is_null()),
    )
    .set(questions::nudged_at.eq(Some(now)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// The asker said "still not solved": the question leads the staff
/// dashboard's waiting list and the most-active list from `now`.
pub fn mark_unsolved(conn: &mut Conn, id: QuestionId, now: i64) -> QueryResult<usize> {
    let changed = diesel::update(questions::table.find(id))
        .set((
            questions::unsolved_at.eq(Some(now)),
            questions::last_activity_at.eq(now),
        ))
        .execute(conn)?;
    if changed > 0 {
        // Search does not follow the lists' order; the page caches do.
        super::page_changes::record(
            conn,
            super::page_changes::PageScope::Question(id.into()),
            now,
        )?;
    }
    Ok(changed)
}

/// Visible questions still without an accepted answer whose asker said
/// "still not solved", most recently said first.
pub fn said_unsolved(conn: &mut Conn, limit: i64) -> QueryResult<Vec<Question>> {
    questions::table
        .filter(questions::deleted_at.is_null())
        .filter(questions::unsolved_at.is_not_null())
        .filter(questions::accepted_answer_id.is_null())
        // `deleted_at` first: PostgreSQL then reads `questions_still_unsolved` in order.
        .order((
            questions::deleted_at.asc(),
            questions::unsolved_at.desc(),
            questions::id.desc(),
        ))
        .limit(limit)
        .select(Question::as_select())
        .load(conn)
}

/// How many visible questions are solved, waiting and stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SolvedCounts {
    /// With an accepted answer.
    pub solved: i64,
    /// Answered, no answer accepted.
    pub waiting: i64,
    /// Not solved and either said "still not solved" by the asker, or
    /// without any answer since before `unanswered_before`.
    pub stale: i64,
}

/// The staff dashboard's counts line (see [`SolvedCounts`]).
pub fn solved_counts(conn: &mut Conn, unanswered_before: i64) -> QueryResult<SolvedCounts> {
    let visible = || questions::table.filter(questions::deleted_at.is_null());
    let solved = visible()
        .filter(questions::accepted_answer_id.is_not_null())
        .count()
        .get_result(conn)?;
    let waiting = visible()
        .filter(questions::accepted_answer_id.is_null())
        .filter(questions::answer_count.gt(0))
        .count()
        .get_result(conn)?;
    let stale = visible()
        .filter(questions::accepted_answer_id.is_null())
        .filter(questions::closed_reason.is_null())
        .filter(
            questions::unsolved_at
                .is_not_null()
                .or(questions::answer_count
                    .eq(0)
                    .and(questions::created_at.le(unanswered_before))),
        )
        .count()
        .get_result(conn)?;
    Ok(SolvedCounts {
        solved,
        waiting,
        stale,
    })
}
