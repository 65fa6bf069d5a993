//! The entries of the site's updates feed (`/feed/updates.atom`): every
//! source (announcements, known-issue updates) turned into
//! one [`FeedEntry`] shape, merged newest first. Adding a source is one
//! function returning entries and one line in [`recent`].

use crate::db::models::announcements;
use crate::db::Conn;
use crate::error::AppResult;
use crate::paths;
use crate::service::announcements::format_when;

/// One entry of the updates feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The site path the entry's `<id>` and `<link>` are made from (unique
    /// per entry, stable across edits).
    pub path: String,
    /// Plain-text title.
    pub title: String,
    /// When it last changed (unix seconds): the feed's order and `<updated>`.
    pub updated: i64,
    /// Sanitized HTML of the entry's text (escaped again as Atom `html` content).
    pub content_html: String,
}

/// The `limit` newest entries of every source at `now`, newest first.
pub fn recent(conn: &mut Conn, now: i64, limit: i64) -> AppResult<Vec<FeedEntry>> {
    let mut entries = announcement_entries(conn, now, limit)?;
    entries.extend(known_issue_entries(conn, limit)?);
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.path.cmp(&b.path)));
    entries.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(entries)
}

/// Announcements that have started (live or ended), as feed entries.
fn announcement_entries(conn: &mut Conn, now: i64, limit: i64) -> AppResult<Vec<FeedEntry>> {
    Ok(announcements::started(conn, now, limit)?
        .into_iter()
        // One cancelled before it started (ended at its start) was withdrawn.
        .filter(|a| a.ends_at.is_none_or(|end| end > a.starts_at))
        .map(|a| {
            let mut when = format!("From {}", format_when(a.starts_at));
            match a.ends_at {
                Some(end) if end <= now => when = format!("{when}, ended {}", format_when(end)),
                Some(end) => when = format!("{when} until {}", format_when(end)),
                None => {}
            }
            FeedEntry {
                path: paths::announcement(a.id),
                title: format!("{} ({})", a.title, a.severity),
                updated: a.published_at(),
                content_html: format!(
                    "<p>{}</p><p>{when}.</p>",
                    crate::markdown::render_inline(&a.body)
                ),
            }
        })
        .collect())
}

/// Known-issue timeline updates, as feed entries: "<issue>: <new status>"
/// when the update moved the status, else "<issue>: update".
fn known_issue_entries(conn: &mut Conn, limit: i64) -> AppResult<Vec<FeedEntry>> {
    Ok(crate::service::known_issues::recent_updates(conn, limit)?
        .into_iter()
        .map(|(issue, update)| FeedEntry {
            path: format!("{}#update-{}", paths::known_issue(&issue.slug), update.id),
            title: match update.status {
                Some(status) => format!("{}: {}", issue.title, status.label()),
                None => format!("{}: update", issue.title),
            },
            updated: update.created_at,
            content_html: update.body_html,
        })
        .collect())
}
