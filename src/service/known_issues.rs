//! Known issues: creating and editing them (staff, or content files at
//! sync), their timeline of updates, status changes (a fix notifies the
//! askers of linked questions), which issues show a banner where, and the
//! questions linked to them. Every write enqueues the issue for search.

use crate::content::known_issues::{CheckedIssue, IssueSource};
use crate::db::models::known_issues::{self as rows, IssueFields, IssueUpdate, KnownIssue};
use crate::db::models::{notifications, outbox, questions};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{KnownIssueId, QuestionId, UserId};
use crate::kinds::{DocKind, IssueStatus};
use crate::service::known_issue_follow;

/// The notification an asker gets when the issue linked to their question is fixed.
pub const FIXED_NOTIFICATION: &str = "known_issue_fixed";

/// Seconds in a day.
const DAY: i64 = 86_400;

/// Markdown of staff-written issue text, rendered and sanitized like posts.
fn render(md: &str) -> crate::markdown::Rendered {
    crate::markdown::render_post(md)
}

/// The slug for a new issue titled `title`: its words, made unique.
fn free_slug(conn: &mut Conn, title: &str) -> AppResult<String> {
    // ASCII like the slugs of issue files (a path and a Location header
    // need no encoding), at most 80 characters, and never `new`, which is
    // the path of the form for a new issue.
    let base: String = crate::markdown::slugify(title)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(80)
        .collect();
    let base = base.trim_matches('-').to_string();
    let base = if base.is_empty() || base == "new" {
        "issue".to_string()
    } else {
        base
    };
    for n in 1..1000 {
        let slug = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if rows::find_by_slug(conn, &slug)?.is_none() {
            return Ok(slug);
        }
    }
    Err(AppError::Conflict(
        "Too many known issues share this title.".into(),
    ))
}

/// Writes `fields` for a checked issue (rendering its markdown) and calls `write`.
fn with_fields<T>(
    checked: &CheckedIssue,
    slug: &str,
    closed_at: Option<i64>,
    source: Option<(&str, &str)>,
    now: i64,
    write: impl FnOnce(&IssueFields<'_>) -> AppResult<T>,
) -> AppResult<T> {
    let d = &checked.draft;
    let symptoms = render(&d.symptoms);
    let workaround = render(&d.workaround);
    let fields = IssueFields {
        slug,
        title: &d.title,
        symptoms_md: &d.symptoms,
        symptoms_html: &symptoms.html,
        symptoms_text: &symptoms.text,
        workaround_md: &d.workaround,
        workaround_html: &workaround.html,
        versions: rows::join_lines(&d.versions),
        platforms: rows::join_lines(&d.platforms),
        tags: rows::join_lines(&d.tags),
        articles: rows::join_lines(&d.articles),
        trees: rows::join_lines(&d.trees),
        terms: rows::join_lines(&d.terms),
        status: checked.status,
        status_reason: if checked.status == IssueStatus::Wontfix {
            &d.reason
        } else {
            ""
        },
        fixed_in: if checked.status == IssueStatus::Fixed {
            &d.fixed_in
        } else {
            ""
        },
        closed_at,
        source_path: source.map(|(path, _)| path),
        content_hash: source.map_or("", |(_, hash)| hash),
        updated_at: now,
    };
    write(&fields)
}

/// Creates an issue from the staff form; its first timeline entry says
/// it was opened with its status.
pub fn create(
    conn: &mut Conn,
    author: UserId,
    checked: &CheckedIssue,
    now: i64,
) -> AppResult<KnownIssue> {
    conn.immediate_transaction(|conn| {
        let slug = free_slug(conn, &checked.draft.title)?;
        let closed_at = (!checked.status.is_open()).then_some(now);
        let id = with_fields(checked, &slug, closed_at, None, now, |fields| {
            rows::insert(conn, fields, now)?
                .ok_or_else(|| AppError::Conflict("That known issue already exists.".into()))
        })?;
        let note = format!("Reported: {}.", checked.status.label().to_lowercase());
        let html = render(&note).html;
        rows::add_update(
            conn,
            id,
            &note,
            &html,
            Some(checked.status),
            Some(author),
            now,
        )?;
        outbox::enqueue(conn, DocKind::Issue, id.into(), now)?;
        rows::find(conn, id)?.ok_or_else(|| AppError::internal("known issue vanished"))
    })
}

/// The linked questions whose askers hear of a fix: an asker who follows
/// the issue hears of it as a follower instead (one notification, not two).
fn askers_to_tell(conn: &mut Conn, issue: KnownIssueId) -> AppResult<Vec<(QuestionId, UserId)>> {
    let mut askers = Vec::new();
    for (question, asker) in rows::linked_questions(conn, issue)? {
        if !known_issue_follow::is_following(conn, issue, asker)? {
            askers.push((question, asker));
        }
    }
    Ok(askers)
}

/// What happens when an issue's status moves from `before` to `after`:
/// when it closes, `closed_at` is set; when it becomes fixed, every asker
/// of a linked question is notified (mailed as they chose).
fn on_status_change(
    conn: &mut Conn,
    issue: &KnownIssue,
    after: IssueStatus,
    actor: UserId,
    now: i64,
) -> AppResult<Option<i64>> {
    let before = issue.status;
    let closed_at = if after.is_open() {
        None
    } else if before.is_open() {
        Some(now)
    } else {
        issue.closed_at.or(Some(now))
    };
    if after == IssueStatus::Fixed && before != IssueStatus::Fixed {
        for (question, asker) in askers_to_tell(conn, issue.id)? {
            let about = notifications::About::post(question, None);
            notifications::notify(conn, asker, FIXED_NOTIFICATION, about, actor, now)?;
        }
    }
    Ok(closed_at)
}

/// Saves the staff form over an existing issue. A status change is
/// recorded on the timeline (and a fix notifies the askers of linked
/// questions). An issue read from a file is kept in the database from
/// then on (its file no longer overwrites it).
pub fn edit(
    conn: &mut Conn,
    editor: UserId,
    id: KnownIssueId,
    checked: &CheckedIssue,
    now: i64,
) -> AppResult<KnownIssue> {
    conn.immediate_transaction(|conn| {
        let issue = rows::find(conn, id)?
            .ok_or_else(|| AppError::NotFound("There is no such known issue.".into()))?;
        let closed_at = on_status_change(conn, &issue, checked.status, editor, now)?;
        with_fields(checked, &issue.slug, closed_at, None, now, |fields| {
            rows::update(conn, id, fields)?;
            Ok(())
        })?;
        if checked.status != issue.status {
            let note = format!("Status: {}.", checked.status.label().to_lowercase());
            let html = render(&note).html;
            let update = rows::add_update(
                conn,
                id,
                &note,
                &html,
                Some(checked.status),
                Some(editor),
                now,
            )?;
            known_issue_follow::tell_followers(conn, id, update, Some(editor), now)?;
        }
        outbox::enqueue(conn, DocKind::Issue, id.into(), now)?;
        rows::find(conn, id)?.ok_or_else(|| AppError::internal("known issue vanished"))
    })
}

/// A timeline update as staff write it.
#[derive(Debug, Clone, Default)]
pub struct UpdateInput {
    /// Markdown.
    pub text: String,
    /// The status it moves the issue to (`None`: unchanged).
    pub status: Option<IssueStatus>,
    /// The version that fixes it (needed when the update fixes it and the
    /// issue does not say yet).
    pub fixed_in: String,
    /// Why it will not be fixed (needed when the update says so and the
    /// issue does not say yet).
    pub reason: String,
}

/// Checks an update: text required, a fix names its version, a won't-fix
/// its reason. Returns the problems in words.
pub fn check_update(issue: &KnownIssue, input: &UpdateInput) -> Vec<String> {
    let mut problems = Vec::new();
    let text = input.text.trim();
    if text.is_empty() {
        problems.push("Write what changed (the update text is required).".to_string());
    } else if text.chars().count() > crate::content::known_issues::TEXT_MAX {
        problems.push(format!(
            "The update can have at most {} characters.",
            crate::content::known_issues::TEXT_MAX
        ));
    }
    let note_max = crate::content::known_issues::NOTE_MAX;
    if input.fixed_in.trim().chars().count() > note_max
        || input.reason.trim().chars().count() > note_max
    {
        problems.push(format!(
            "\u{201c}Fixed in\u{201d} and the reason can have at most {note_max} characters."
        ));
    }
    if input.status == Some(IssueStatus::Fixed)
        && input.fixed_in.trim().is_empty()
        && issue.fixed_in.is_empty()
    {
        problems.push("Say which version fixes it (\u{201c}Fixed in\u{201d}).".to_string());
    }
    if input.status == Some(IssueStatus::Wontfix)
        && input.reason.trim().is_empty()
        && issue.status_reason.is_empty()
    {
        problems.push("Say why it will not be fixed.".to_string());
    }
    problems
}

/// Adds a dated update (with an optional status change) to an issue's
/// timeline. Call after [`check_update`] came back empty.
pub fn add_update(
    conn: &mut Conn,
    author: UserId,
    id: KnownIssueId,
    input: &UpdateInput,
    now: i64,
) -> AppResult<KnownIssue> {
    conn.immediate_transaction(|conn| {
        let issue = rows::find(conn, id)?
            .ok_or_else(|| AppError::NotFound("There is no such known issue.".into()))?;
        let problems = check_update(&issue, input);
        if !problems.is_empty() {
            return Err(AppError::BadRequest(problems.join(" ")));
        }
        let text = input.text.trim();
        let html = render(text).html;
        let update = rows::add_update(conn, id, text, &html, input.status, Some(author), now)?;
        let status = input.status.unwrap_or(issue.status);
        let closed_at = on_status_change(conn, &issue, status, author, now)?;
        let fixed_in = match (status, input.fixed_in.trim()) {
            (IssueStatus::Fixed, "") => issue.fixed_in.clone(),
            (IssueStatus::Fixed, given) => given.to_string(),
            _ => String::new(),
        };
        let reason = match (status, input.reason.trim()) {
            (IssueStatus::Wontfix, "") => issue.status_reason.clone(),
            (IssueStatus::Wontfix, given) => given.to_string(),
            _ => String::new(),
        };
        rows::set_status(conn, id, status, closed_at, &fixed_in, &reason, now)?;
        // After the status is saved: the followers' mail says the new one.
        known_issue_follow::tell_followers(conn, id, update, Some(author), now)?;
        outbox::enqueue(conn, DocKind::Issue, id.into(), now)?;
        rows::find(conn, id)?.ok_or_else(|| AppError::internal("known issue vanished"))
    })
}

/// Known-issue updates over every issue, newest first (for feeds): the
/// issue, the update's text and status, and its time.
pub fn recent_updates(conn: &mut Conn, limit: i64) -> AppResult<Vec<(KnownIssue, IssueUpdate)>> {
    Ok(rows::recent_updates(conn, limit)?
        .into_iter()
        .map(|(update, issue)| (issue, update))
        .collect())
}

/// An issue's page: the issue and its timeline, newest first.
pub fn page(conn: &mut Conn, slug: &str) -> AppResult<(KnownIssue, Vec<IssueUpdate>)> {
    let issue = rows::find_by_slug(conn, slug)?
        .ok_or_else(|| AppError::NotFound("There is no such known issue.".into()))?;
    let updates = rows::updates_of(conn, issue.id)?;
    Ok((issue, updates))
}

/// Every issue for the list page: open ones first (newest change first),
/// then closed ones, most recently closed first.
pub fn list(conn: &mut Conn) -> AppResult<Vec<KnownIssue>> {
    let mut all = rows::all(conn)?;
    all.sort_by_key(|i| {
        (
            !i.status.is_open(),
            std::cmp::Reverse(if i.status.is_open() {
                i.updated_at
            } else {
                i.closed_at.unwrap_or(i.updated_at)
            }),
        )
    });
    Ok(all)
}

/// Where a page is, for choosing its banners.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    /// An article, by manual and article slug.
    Article {
        /// The manual's slug.
        manual: &'a str,
        /// The article's slug.
        slug: &'a str,
    },
    /// A step of a troubleshooting tree (by the tree's slug).
    Tree(&'a str),
    /// A tag page, or a question with these tags.
    Tags(&'a [String]),
    /// Search results for this query.
    Query(&'a str),
}

/// The words of a text, lowercased, separated by single spaces and padded
/// with one space each side (so a phrase matches whole words only).
fn padded_words(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    format!(" {} ", words.join(" "))
}

/// Whether a search query matches one of an issue's terms: the term's
/// words appear in the query in that order, or a query of two words or
/// more appears in a term.
pub fn query_matches(query: &str, terms: &[String]) -> bool {
    let q = padded_words(query);
    if q.trim().is_empty() {
        return false;
    }
    let query_words = q.split_whitespace().count();
    terms.iter().any(|term| {
        let t = padded_words(term);
        !t.trim().is_empty() && (q.contains(&t) || (query_words >= 2 && t.contains(&q)))
    })
}

/// Whether `issue` is linked to `place`.
fn linked(issue: &KnownIssue, place: Place<'_>) -> bool {
    match place {
        Place::Article { manual, slug } => issue
            .article_list()
            .iter()
            .any(|a| a.split_once('/') == Some((manual, slug))),
        Place::Tree(slug) => issue.tree_list().iter().any(|t| t == slug),
        Place::Tags(tags) => {
            let mine = issue.tag_list();
            tags.iter().any(|t| mine.contains(&t.to_lowercase()))
        }
        Place::Query(q) => query_matches(q, &issue.term_list()),
    }
}

/// The issues whose banner shows at `place` at `now`: open ones, and
/// closed ones for `grace_days` after they closed. Open ones first.
pub fn banners(
    conn: &mut Conn,
    place: Place<'_>,
    now: i64,
    grace_days: u64,
) -> AppResult<Vec<KnownIssue>> {
    Ok(Showing::read(conn, now, grace_days)?.at(place))
}

/// The issues whose banner shows somewhere: open ones, and closed ones
/// for the grace days after they closed; the same until the database
/// changes or [`Showing::until`].
#[derive(Debug, Clone)]
pub struct Showing {
    issues: Vec<KnownIssue>,
    /// When the first closed issue's banner stops showing (unix seconds;
    /// `i64::MAX` when none does).
    pub until: i64,
}

impl Showing {
    /// The issues showing at `now`.
    pub fn read(conn: &mut Conn, now: i64, grace_days: u64) -> AppResult<Showing> {
        let grace = i64::try_from(grace_days).unwrap_or(i64::MAX / DAY) * DAY;
        let issues = rows::showing(conn, now.saturating_sub(grace))?;
        let until = issues
            .iter()
            .filter_map(|i| i.closed_at)
            .map(|closed| closed.saturating_add(grace))
            .min()
            .unwrap_or(i64::MAX);
        Ok(Showing { issues, until })
    }

    /// Those whose banner shows at `place`, open ones first.
    pub fn at(&self, place: Place<'_>) -> Vec<KnownIssue> {
        let mut shown: Vec<KnownIssue> = self
            .issues
            .iter()
            .filter(|i| linked(i, place))
            .cloned()
            .collect();
        shown.sort_by_key(|i| !i.status.is_open());
        shown
    }
}

/// When the first banner of an issue closed within the grace period stops
/// showing (pages showing it are stale from then on), if any shows now.
pub fn next_banner_end(conn: &mut Conn, now: i64, grace_days: u64) -> AppResult<Option<i64>> {
    let grace = i64::try_from(grace_days).unwrap_or(i64::MAX / DAY) * DAY;
    Ok(rows::first_closed_since(conn, now.saturating_sub(grace))?
        .map(|closed| closed.saturating_add(grace)))
}

/// The open issues, newest change first.
pub fn open_issues(conn: &mut Conn) -> AppResult<Vec<KnownIssue>> {
    Ok(rows::showing(conn, i64::MAX)?)
}

/// Links a question to the issue `slug` (or unlinks it when `slug` is empty).
pub fn link_question(
    conn: &mut Conn,
    staff: UserId,
    question_id: QuestionId,
    slug: &str,
    now: i64,
) -> AppResult<Option<KnownIssue>> {
    conn.immediate_transaction(|conn| {
        questions::find(conn, question_id)?
            .filter(|q| q.deleted_at.is_none())
            .ok_or_else(|| AppError::NotFound("There is no such question.".into()))?;
        let slug = slug.trim().trim_start_matches("/known-issues/");
        if slug.is_empty() {
            rows::unlink_question(conn, question_id)?;
            return Ok(None);
        }
        let issue = rows::find_by_slug(conn, slug)?
            .ok_or_else(|| AppError::BadRequest(format!("There is no known issue {slug:?}.")))?;
        rows::link_question(conn, question_id, issue.id, staff, now)?;
        Ok(Some(issue))
    })
}

/// The issue a question is linked to.
pub fn issue_of_question(conn: &mut Conn, id: QuestionId) -> AppResult<Option<KnownIssue>> {
    Ok(rows::issue_of_question(conn, id)?)
}

/// What a content sync did with known-issue files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueSyncReport {
    /// Issues written from their file (new or changed).
    pub changed: usize,
    /// File-based issues removed because their file is gone.
    pub removed: usize,
    /// Files whose issue is kept in the browser now, so the file was not loaded.
    pub detached: Vec<String>,
}

/// Syncs the known-issue files into the database (inside the content
/// sync's transaction): by slug, skipping unchanged files and issues kept
/// in the browser; issues whose file is gone are removed.
pub fn sync_files(
    conn: &mut Conn,
    sources: &[IssueSource],
    now: i64,
) -> AppResult<IssueSyncReport> {
    let mut report = IssueSyncReport::default();
    let mut kept = Vec::new();
    for source in sources {
        let existing = rows::find_by_slug(conn, &source.slug)?;
        if let Some(current) = &existing {
            kept.push(current.id);
            if current.source_path.is_none() {
                report.detached.push(format!(
                    "{} was not loaded: the known issue /known-issues/{} is kept in the browser",
                    source.path.display(),
                    source.slug
                ));
                continue;
            }
            if current.content_hash == source.hash {
                continue;
            }
        }
        let status = source.issue.status;
        let closed_at = (!status.is_open()).then(|| {
            source
                .updates
                .iter()
                .filter(|u| u.status == Some(status))
                .map(|u| u.at)
                .max()
                .or(existing.as_ref().and_then(|e| e.closed_at))
                .unwrap_or(now)
        });
        let path = source.path.to_string_lossy();
        let latest = source.updates.iter().map(|u| u.at).max().unwrap_or(now);
        let id = with_fields(
            &source.issue,
            &source.slug,
            closed_at,
            Some((&path, &source.hash)),
            latest,
            |fields| match &existing {
                Some(current) => {
                    rows::update(conn, current.id, fields)?;
                    Ok(current.id)
                }
                None => rows::insert(conn, fields, now)?.ok_or_else(|| {
                    AppError::Conflict(format!("known issue {} exists twice", source.slug))
                }),
            },
        )?;
        let before = match &existing {
            Some(current) => rows::updates_of(conn, current.id)?,
            None => Vec::new(),
        };
        rows::clear_updates(conn, id)?;
        // The file's entries that were not on the timeline before, newest last.
        let mut added = Vec::new();
        for update in &source.updates {
            let html = render(&update.text).html;
            let new_id = rows::add_update(
                conn,
                id,
                &update.text,
                &html,
                update.status,
                None,
                update.at,
            )?;
            let known = before.iter().any(|b| {
                b.created_at == update.at && b.body_md == update.text && b.status == update.status
            });
            if !known {
                added.push((update.at, new_id));
            }
        }
        if let Some(current) = &existing {
            tell_of_file_change(conn, current, status, &added, now)?;
        }
        outbox::enqueue(conn, DocKind::Issue, id.into(), now)?;
        if !kept.contains(&id) {
            kept.push(id);
        }
        report.changed += 1;
    }
    for issue in rows::all(conn)? {
        if issue.source_path.is_some() && !kept.contains(&issue.id) {
            rows::delete(conn, issue.id)?;
            outbox::enqueue(conn, DocKind::Issue, issue.id.into(), now)?;
            report.removed += 1;
        }
    }
    Ok(report)
}

/// After a file rewrote issue `before` (now with `status`, and `added`
/// timeline entries that are new): followers hear of the newest new entry
/// (or, for a status change alone, of the newest entry), and a fix
/// notifies the askers of linked questions. Sent by the site: no actor.
/// A sync skips unchanged files by hash, so each change tells them once.
fn tell_of_file_change(
    conn: &mut Conn,
    before: &KnownIssue,
    status: IssueStatus,
    added: &[(i64, crate::ids::KnownIssueUpdateId)],
    now: i64,
) -> AppResult<()> {
    let newest_added = added
        .iter()
        .max_by_key(|(at, id)| (*at, *id))
        .map(|(_, id)| *id);
    let told = match newest_added {
        Some(update) => Some(update),
        None if status != before.status => rows::updates_of(conn, before.id)?.first().map(|u| u.id),
        None => None,
    };
    if let Some(update) = told {
        known_issue_follow::tell_followers(conn, before.id, update, None, now)?;
    }
    if status == IssueStatus::Fixed && before.status != IssueStatus::Fixed {
        for (question, asker) in askers_to_tell(conn, before.id)? {
            let about = notifications::About::post(question, None);
            notifications::notify_from_site(conn, asker, FIXED_NOTIFICATION, about, now)?;
        }
    }
    Ok(())
}

/// A row of the staff dashboard: an open issue and how many questions are linked to it.
#[derive(Debug, Clone)]
pub struct OpenIssueRow {
    /// The issue.
    pub issue: KnownIssue,
    /// Linked questions that are not deleted.
    pub linked_questions: i64,
    /// Confirmed followers: members and e-mail addresses.
    pub followers: i64,
}

/// A question asked since the window began that matches an open issue's
/// terms or tags but is linked to no issue.
#[derive(Debug, Clone)]
pub struct UnlinkedMatch {
    /// The question.
    pub question: questions::Question,
    /// The issue it matches.
    pub issue: KnownIssue,
}

/// The staff dashboard's known-issue part: open issues with their linked
/// question counts, and questions asked since `since` that match an open
/// issue's terms (title or body) or tags but are not linked.
pub fn dashboard(
    conn: &mut Conn,
    since: i64,
) -> AppResult<(Vec<OpenIssueRow>, Vec<UnlinkedMatch>)> {
    let counts = rows::linked_counts(conn)?;
    let followers = known_issue_follow::follower_counts(conn)?;
    let open: Vec<KnownIssue> = list(conn)?
        .into_iter()
        .filter(|i| i.status.is_open())
        .collect();
    let rows_out = open
        .iter()
        .map(|issue| OpenIssueRow {
            linked_questions: counts
                .iter()
                .find(|(id, _)| *id == issue.id)
                .map_or(0, |(_, n)| *n),
            followers: followers
                .iter()
                .find(|(id, _)| *id == issue.id)
                .map_or(0, |(_, n)| *n),
            issue: issue.clone(),
        })
        .collect();
    let recent = questions::created_since(conn, since, 500)?;
    // Each issue's terms as padded words, once, not once per question.
    let open_terms: Vec<(&KnownIssue, Vec<String>)> = open
        .iter()
        .map(|issue| {
            (
                issue,
                issue.term_list().iter().map(|t| padded_words(t)).collect(),
            )
        })
        .collect();
    let ids: Vec<QuestionId> = recent.iter().map(|q| q.id).collect();
    let already = rows::linked_among(conn, &ids)?;
    let mut matches = Vec::new();
    for q in recent {
        if already.contains(&q.id) {
            continue;
        }
        let text = padded_words(&format!("{} {}", q.title, q.body_text));
        let tags = q.tag_list();
        let hit = open_terms.iter().find_map(|(issue, terms)| {
            let by_terms = terms.iter().any(|t| text.contains(t.as_str()));
            (by_terms || linked(issue, Place::Tags(&tags))).then_some(*issue)
        });
        if let Some(issue) = hit {
            matches.push(UnlinkedMatch {
                issue: issue.clone(),
                question: q,
            });
        }
    }
    Ok((rows_out, matches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_match_whole_words_in_order() {
        let terms = vec!["print fails".to_string(), "error 0x42".to_string()];
        assert!(query_matches("why print fails today", &terms));
        assert!(query_matches(
            "Printer says error 0x42 on every job",
            &terms
        ));
        assert!(!query_matches("printer fails", &terms));
        assert!(!query_matches("fails print", &terms));
        // A query of two words or more inside a term matches too.
        assert!(
            !query_matches("0x42", &["error 0x42".to_string()]),
            "one word inside a term is too little"
        );
        assert!(query_matches(
            "Print FAILS",
            &["the print fails often".to_string()]
        ));
        assert!(!query_matches("", &terms));
    }
}
