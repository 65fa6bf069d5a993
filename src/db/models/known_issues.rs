//! Known issues (a problem customers may hit, with its workaround and where
//! it shows), their timeline of dated updates, and the questions staff
//! linked to one.

use diesel::prelude::*;

use crate::db::schema::{known_issue_updates, known_issues, question_known_issues, questions};
use crate::db::Conn;
use crate::ids::{KnownIssueId, KnownIssueUpdateId, QuestionId, UserId};
use crate::kinds::IssueStatus;

/// A known issue row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = known_issues)]
pub struct KnownIssue {
    /// Primary key.
    pub id: KnownIssueId,
    /// URL segment: `/known-issues/<slug>`.
    pub slug: String,
    /// What goes wrong, in one line.
    pub title: String,
    /// What customers see, markdown.
    pub symptoms_md: String,
    /// The same, rendered and sanitized.
    pub symptoms_html: String,
    /// The same, plain text (search).
    pub symptoms_text: String,
    /// What to do meanwhile, markdown (may be empty).
    pub workaround_md: String,
    /// The same, rendered and sanitized.
    pub workaround_html: String,
    /// Affected product versions, one a line.
    pub versions: String,
    /// Affected platforms, one a line.
    pub platforms: String,
    /// Tags whose pages (and questions) show the banner, one a line.
    pub tags: String,
    /// Articles (`manual/article`) that show the banner, one a line.
    pub articles: String,
    /// Troubleshooting tree slugs whose steps show the banner, one a line.
    pub trees: String,
    /// Search terms (words or phrases) whose results show the banner, one a line.
    pub terms: String,
    /// Stored [`IssueStatus`] name.
    pub status: IssueStatus,
    /// Why it will not be fixed (won't fix only).
    pub status_reason: String,
    /// The version that fixes it (fixed only).
    pub fixed_in: String,
    /// When it became fixed or won't fix.
    pub closed_at: Option<i64>,
    /// The content file it came from; `None` when kept in the browser.
    pub source_path: Option<String>,
    /// Hash of the source file.
    pub content_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: the last change or update.
    pub updated_at: i64,
}

/// Splits a stored list (one entry a line).
pub fn lines(list: &str) -> Vec<String> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Joins a list for storage (one entry a line).
pub fn join_lines(list: &[String]) -> String {
    list.join("\n")
}

impl KnownIssue {
    /// Affected versions.
    pub fn version_list(&self) -> Vec<String> {
        lines(&self.versions)
    }
    /// Affected platforms.
    pub fn platform_list(&self) -> Vec<String> {
        lines(&self.platforms)
    }
    /// Linked tags.
    pub fn tag_list(&self) -> Vec<String> {
        lines(&self.tags)
    }
    /// Linked articles, as `manual/article`.
    pub fn article_list(&self) -> Vec<String> {
        lines(&self.articles)
    }
    /// Linked tree slugs.
    pub fn tree_list(&self) -> Vec<String> {
        lines(&self.trees)
    }
    /// Search terms.
    pub fn term_list(&self) -> Vec<String> {
        lines(&self.terms)
    }
}

/// Every field of a known issue that is written at once (create, edit, file sync).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = known_issues, treat_none_as_null = true)]
pub struct IssueFields<'a> {
    /// See [`KnownIssue::slug`].
    pub slug: &'a str,
    /// See [`KnownIssue::title`].
    pub title: &'a str,
    /// See [`KnownIssue::symptoms_md`].
    pub symptoms_md: &'a str,
    /// See [`KnownIssue::symptoms_html`].
    pub symptoms_html: &'a str,
    /// See [`KnownIssue::symptoms_text`].
    pub symptoms_text: &'a str,
    /// See [`KnownIssue::workaround_md`].
    pub workaround_md: &'a str,
    /// See [`KnownIssue::workaround_html`].
    pub workaround_html: &'a str,
    /// See [`KnownIssue::versions`].
    pub versions: String,
    /// See [`KnownIssue::platforms`].
    pub platforms: String,
    /// See [`KnownIssue::tags`].
    pub tags: String,
    /// See [`KnownIssue::articles`].
    pub articles: String,
    /// See [`KnownIssue::trees`].
    pub trees: String,
    /// See [`KnownIssue::terms`].
    pub terms: String,
    /// See [`KnownIssue::status`].
    pub status: IssueStatus,
    /// See [`KnownIssue::status_reason`].
    pub status_reason: &'a str,
    /// See [`KnownIssue::fixed_in`].
    pub fixed_in: &'a str,
    /// See [`KnownIssue::closed_at`].
    pub closed_at: Option<i64>,
    /// See [`KnownIssue::source_path`].
    pub source_path: Option<&'a str>,
    /// See [`KnownIssue::content_hash`].
    pub content_hash: &'a str,
    /// See [`KnownIssue::updated_at`].
    pub updated_at: i64,
}

/// Inserts an issue; `None` when its slug is taken.
pub fn insert(
    conn: &mut Conn,
    fields: &IssueFields<'_>,
    now: i64,
) -> QueryResult<Option<KnownIssueId>> {
    crate::db::unless_taken(conn, |conn| {
        diesel::insert_into(known_issues::table)
            .values((fields.clone(), known_issues::created_at.eq(now)))
            .returning(known_issues::id)
            .get_result(conn)
    })
}

/// Overwrites an issue's fields; `None` when the new slug is taken.
pub fn update(
    conn: &mut Conn,
    id: KnownIssueId,
    fields: &IssueFields<'_>,
) -> QueryResult<Option<usize>> {
    crate::db::unless_taken(conn, |conn| {
        diesel::update(known_issues::table.find(id))
            .set(fields.clone())
            .execute(conn)
    })
}

/// Sets an issue's status (when it closed, the version that fixed it,
/// why it will not be fixed), touching `updated_at`; the issue is kept in
/// the database from then on (its file no longer overwrites it).
pub fn set_status(
    conn: &mut Conn,
    id: KnownIssueId,
    status: IssueStatus,
    closed_at: Option<i64>,
    fixed_in: &str,
    reason: &str,
    now: i64,
) -> QueryResult<usize> {
    diesel::update(known_issues::table.find(id))
        .set((
            known_issues::status.eq(status),
            known_issues::closed_at.eq(closed_at),
            known_issues::fixed_in.eq(fixed_in),
            known_issues::status_reason.eq(reason),
            known_issues::updated_at.eq(now),
            known_issues::source_path.eq(None::<String>),
        ))
        .execute(conn)
}

/// One issue by slug.
pub fn find_by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<KnownIssue>> {
    known_issues::table
        .filter(known_issues::slug.eq(slug))
        .select(KnownIssue::as_select())
        .first(conn)
        .optional()
}

/// One issue by id.
pub fn find(conn: &mut Conn, id: KnownIssueId) -> QueryResult<Option<KnownIssue>> {
    known_issues::table
        .find(id)
        .select(KnownIssue::as_select())
        .first(conn)
        .optional()
}

/// The issues with these ids (each once, any order).
pub fn find_many(conn: &mut Conn, ids: &[KnownIssueId]) -> QueryResult<Vec<KnownIssue>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    known_issues::table
        .filter(known_issues::id.eq_any(ids))
        .select(KnownIssue::as_select())
        .load(conn)
}

/// Every issue, newest change first.
pub fn all(conn: &mut Conn) -> QueryResult<Vec<KnownIssue>> {
    known_issues::table
        .order((known_issues::updated_at.desc(), known_issues::id.desc()))
        .select(KnownIssue::as_select())
        .load(conn)
}

/// The issues that may show a banner at `now`: open ones and those closed
/// after `closed_since`.
pub fn showing(conn: &mut Conn, closed_since: i64) -> QueryResult<Vec<KnownIssue>> {
    known_issues::table
        .filter(
            known_issues::closed_at
                .is_null()
                .or(known_issues::closed_at.gt(closed_since)),
        )
        .order((known_issues::updated_at.desc(), known_issues::id.desc()))
        .select(KnownIssue::as_select())
        .load(conn)
}

/// Ids of every issue (search rebuild).
pub fn all_ids(conn: &mut Conn) -> QueryResult<Vec<KnownIssueId>> {
    known_issues::table
        .select(known_issues::id)
        .order(known_issues::id.asc())
        .load(conn)
}

/// Deletes an issue (its file is gone).
pub fn delete(conn: &mut Conn, id: KnownIssueId) -> QueryResult<usize> {
    diesel::delete(known_issues::table.find(id)).execute(conn)
}

/// A dated update on an issue's timeline.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = known_issue_updates)]
pub struct IssueUpdate {
    /// Primary key.
    pub id: KnownIssueUpdateId,
    /// The issue.
    pub issue_id: KnownIssueId,
    /// Markdown.
    pub body_md: String,
    /// Rendered, sanitized.
    pub body_html: String,
    /// The status it moved the issue to, if it did.
    pub status: Option<IssueStatus>,
    /// Who wrote it (`None` for file-based updates).
    pub author_id: Option<UserId>,
    /// Unix seconds: the date shown.
    pub created_at: i64,
}

/// Adds an update to an issue's timeline.
pub fn add_update(
    conn: &mut Conn,
    issue_id: KnownIssueId,
    body_md: &str,
    body_html: &str,
    status: Option<IssueStatus>,
    author_id: Option<UserId>,
    at: i64,
) -> QueryResult<KnownIssueUpdateId> {
    diesel::insert_into(known_issue_updates::table)
        .values((
            known_issue_updates::issue_id.eq(issue_id),
            known_issue_updates::body_md.eq(body_md),
            known_issue_updates::body_html.eq(body_html),
            known_issue_updates::status.eq(status),
            known_issue_updates::author_id.eq(author_id),
            known_issue_updates::created_at.eq(at),
        ))
        .returning(known_issue_updates::id)
        .get_result(conn)
}

/// Removes every update of an issue (a file-based issue rewritten from its file).
pub fn clear_updates(conn: &mut Conn, issue_id: KnownIssueId) -> QueryResult<usize> {
    diesel::delete(known_issue_updates::table.filter(known_issue_updates::issue_id.eq(issue_id)))
        .execute(conn)
}

/// An issue's timeline, newest first.
pub fn updates_of(conn: &mut Conn, issue_id: KnownIssueId) -> QueryResult<Vec<IssueUpdate>> {
    known_issue_updates::table
        .filter(known_issue_updates::issue_id.eq(issue_id))
        .order((
            known_issue_updates::created_at.desc(),
            known_issue_updates::id.desc(),
        ))
        .select(IssueUpdate::as_select())
        .load(conn)
}

/// One update of an issue's timeline, by id.
pub fn update_of(
    conn: &mut Conn,
    issue_id: KnownIssueId,
    id: KnownIssueUpdateId,
) -> QueryResult<Option<IssueUpdate>> {
    known_issue_updates::table
        .filter(known_issue_updates::issue_id.eq(issue_id))
        .filter(known_issue_updates::id.eq(id))
        .select(IssueUpdate::as_select())
        .first(conn)
        .optional()
}

/// The newest update of an issue dated `at` or before (else its newest).
pub fn newest_update_until(
    conn: &mut Conn,
    issue_id: KnownIssueId,
    at: i64,
) -> QueryResult<Option<IssueUpdate>> {
    let newest = |conn: &mut Conn, until: Option<i64>| {
        let mut query = known_issue_updates::table
            .filter(known_issue_updates::issue_id.eq(issue_id))
            .order((
                known_issue_updates::created_at.desc(),
                known_issue_updates::id.desc(),
            ))
            .select(IssueUpdate::as_select())
            .into_boxed();
        if let Some(until) = until {
            query = query.filter(known_issue_updates::created_at.le(until));
        }
        query.first(conn).optional()
    };
    match newest(conn, Some(at))? {
        Some(update) => Ok(Some(update)),
        None => newest(conn, None),
    }
}

/// The newest updates over every issue, with their issue, newest first.
pub fn recent_updates(conn: &mut Conn, limit: i64) -> QueryResult<Vec<(IssueUpdate, KnownIssue)>> {
    known_issue_updates::table
        .inner_join(known_issues::table)
        .order((
            known_issue_updates::created_at.desc(),
            known_issue_updates::id.desc(),
        ))
        .limit(limit)
        .select((IssueUpdate::as_select(), KnownIssue::as_select()))
        .load(conn)
}

/// Links a question to an issue (replacing an earlier link).
pub fn link_question(
    conn: &mut Conn,
    question_id: QuestionId,
    issue_id: KnownIssueId,
    by: UserId,
    now: i64,
) -> QueryResult<()> {
    unlink_question(conn, question_id)?;
    diesel::insert_into(question_known_issues::table)
        .values((
            question_known_issues::question_id.eq(question_id),
            question_known_issues::issue_id.eq(issue_id),
            question_known_issues::linked_by.eq(Some(by)),
            question_known_issues::linked_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes a question's link.
pub fn unlink_question(conn: &mut Conn, question_id: QuestionId) -> QueryResult<usize> {
    diesel::delete(question_known_issues::table.find(question_id)).execute(conn)
}

/// The issue a question is linked to.
pub fn issue_of_question(
    conn: &mut Conn,
    question_id: QuestionId,
) -> QueryResult<Option<KnownIssue>> {
    question_known_issues::table
        .inner_join(known_issues::table)
        .filter(question_known_issues::question_id.eq(question_id))
        .select(KnownIssue::as_select())
        .first(conn)
        .optional()
}

/// The linked questions of an issue that are not deleted: (id, author).
pub fn linked_questions(
    conn: &mut Conn,
    issue_id: KnownIssueId,
) -> QueryResult<Vec<(QuestionId, UserId)>> {
    question_known_issues::table
        .inner_join(questions::table)
        .filter(question_known_issues::issue_id.eq(issue_id))
        .filter(questions::deleted_at.is_null())
        .order(questions::id.asc())
        .select((questions::id, questions::author_id))
        .load(conn)
}

/// How many visible questions are linked to each issue: (issue, count).
pub fn linked_counts(conn: &mut Conn) -> QueryResult<Vec<(KnownIssueId, i64)>> {
    question_known_issues::table
        .inner_join(questions::table)
        .filter(questions::deleted_at.is_null())
        .group_by(question_known_issues::issue_id)
        .select((question_known_issues::issue_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Ids of the questions linked to any issue, among `ids`.
pub fn linked_among(conn: &mut Conn, ids: &[QuestionId]) -> QueryResult<Vec<QuestionId>> {
    question_known_issues::table
        .filter(question_known_issues::question_id.eq_any(ids))
        .select(question_known_issues::question_id)
        .load(conn)
}

/// The earliest close time after `closed_since` (the banner that stops
/// showing first), if any issue closed since then.
pub fn first_closed_since(conn: &mut Conn, closed_since: i64) -> QueryResult<Option<i64>> {
    known_issues::table
        .filter(known_issues::closed_at.gt(closed_since))
        .select(diesel::dsl::min(known_issues::closed_at))
        .first(conn)
}
