//! Site-wide announcements: the checks on what staff write, creating,
//! editing and ending them, the per-browser dismissals (a cookie listing
//! `id.revision` pairs) and [`Board`], each node's copy of the announcements
//! that have not ended, so the banner on every page costs no query.
//!
//! The board is reloaded by the write that changes it on this node, and
//! otherwise at most [`Board::REFRESH`] old (changes made on another node
//! show within that time). Whether a banner shows is decided at each
//! request from the clock, so a start or end time takes effect to the second.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::db::models::announcements::{self, Announcement, AnnouncementFields};
use crate::db::models::page_changes::{self, PageScope};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{AnnouncementId, UserId};
use crate::kinds::Severity;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest body, in characters.
pub const MAX_BODY_CHARS: usize = 1000;
/// Most dismissals one browser's cookie keeps (the newest win).
pub const MAX_DISMISSED: usize = 30;
/// The name of the dismissal cookie.
pub const DISMISSED_COOKIE: &str = "sp_dismissed";

/// The form as staff typed it (times as `YYYY-MM-DDTHH:MM`, UTC).
#[derive(Debug, Clone, Default)]
pub struct AnnouncementInput {
    /// Title.
    pub title: String,
    /// Inline markdown.
    pub body: String,
    /// `info`, `warning` or `outage`.
    pub severity: String,
    /// Start, UTC; empty means now.
    pub starts: String,
    /// End, UTC; empty means until ended by hand.
    pub ends: String,
}

/// Checks `input`; every problem in one message each.
pub fn validate(input: &AnnouncementInput, now: i64) -> Result<AnnouncementFields, Vec<String>> {
    let mut problems = Vec::new();
    let title = input.title.trim().to_string();
    if title.is_empty() {
        problems.push("Give the announcement a title.".to_string());
    } else if title.chars().count() > MAX_TITLE_CHARS {
        problems.push(format!(
            "The title is too long: at most {MAX_TITLE_CHARS} characters."
        ));
    }
    let body = input.body.trim().to_string();
    if body.chars().count() > MAX_BODY_CHARS {
        problems.push(format!(
            "The text is too long: at most {MAX_BODY_CHARS} characters (a banner is read at a glance; link to details)."
        ));
    }
    let severity = match input.severity.parse::<Severity>() {
        Ok(s) => Some(s),
        Err(_) => {
            problems.push("Choose a severity: info, warning or outage.".to_string());
            None
        }
    };
    let starts_at = match input.starts.trim() {
        "" => Some(now),
        text => match parse_utc(text) {
            Some(t) => Some(t),
            None => {
                problems.push(format!(
                    "The start time \u{201c}{text}\u{201d} is not a date and time like 2026-12-01T09:30 (UTC)."
                ));
                None
            }
        },
    };
    let ends_at = match input.ends.trim() {
        "" => None,
        text => match parse_utc(text) {
            Some(t) => Some(t),
            None => {
                problems.push(format!(
                    "The end time \u{201c}{text}\u{201d} is not a date and time like 2026-12-01T17:00 (UTC)."
                ));
                None
            }
        },
    };
    if let (Some(start), Some(end)) = (starts_at, ends_at) {
        if end <= start {
            problems.push("The end time must be after the start time.".to_string());
        } else if end <= now {
            problems.push(
                "The end time has already passed: an announcement must still show at some point."
                    .to_string(),
            );
        }
    }
    match (severity, starts_at, problems.is_empty()) {
        (Some(severity), Some(starts_at), true) => Ok(AnnouncementFields {
            title,
            body,
            severity,
            starts_at,
            ends_at,
        }),
        _ => Err(problems),
    }
}

/// Reads `2026-12-01T09:30` (also with seconds, or a space for the `T`) as
/// UTC unix seconds.
pub fn parse_utc(text: &str) -> Option<i64> {
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
    .map(|t| t.and_utc().timestamp())
}

/// Unix seconds as the form's `YYYY-MM-DDTHH:MM` (UTC).
pub fn format_utc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// Unix seconds as a day and UTC time for readers, e.g. `1 Dec 2026 17:00 UTC`.
pub fn format_when(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%-d %b %Y %H:%M UTC").to_string())
        .unwrap_or_else(|| "an unknown time".into())
}

/// Creates an announcement and reloads `board`.
pub fn create(
    conn: &mut Conn,
    board: &Board,
    fields: &AnnouncementFields,
    author: UserId,
    now: i64,
) -> AppResult<Announcement> {
    let row = conn.immediate_transaction(|conn| {
        page_changes::record(conn, PageScope::Announcements, now)?;
        Ok::<_, AppError>(announcements::insert(conn, fields, author, now)?)
    })?;
    board.reload(conn, now)?;
    Ok(row)
}

/// Replaces announcement `id`'s fields (a new revision) and reloads `board`.
pub fn edit(
    conn: &mut Conn,
    board: &Board,
    id: AnnouncementId,
    fields: &AnnouncementFields,
    now: i64,
) -> AppResult<Announcement> {
    let row = conn
        .immediate_transaction(|conn| {
            page_changes::record(conn, PageScope::Announcements, now)?;
            Ok::<_, AppError>(announcements::update(conn, id, fields, now)?)
        })?
        .ok_or_else(not_found)?;
    board.reload(conn, now)?;
    Ok(row)
}

/// Ends announcement `id` now and reloads `board`.
pub fn end(
    conn: &mut Conn,
    board: &Board,
    id: AnnouncementId,
    now: i64,
) -> AppResult<Announcement> {
    let row = conn
        .immediate_transaction(|conn| {
            page_changes::record(conn, PageScope::Announcements, now)?;
            Ok::<_, AppError>(announcements::end(conn, id, now)?)
        })?
        .ok_or_else(not_found)?;
    board.reload(conn, now)?;
    Ok(row)
}

/// Announcement `id`, or 404.
pub fn find(conn: &mut Conn, id: AnnouncementId) -> AppResult<Announcement> {
    announcements::find(conn, id)?.ok_or_else(not_found)
}

fn not_found() -> AppError {
    AppError::NotFound("There is no such announcement. It may have been removed.".into())
}

/// An announcement ready for the banner: its body rendered once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// Row id.
    pub id: AnnouncementId,
    /// Edit count (what a dismissal names).
    pub revision: i32,
    /// Plain-text title.
    pub title: String,
    /// Sanitized HTML of the inline markdown body.
    pub body_html: String,
    /// How serious it is.
    pub severity: Severity,
    /// Start (unix seconds).
    pub starts_at: i64,
    /// End (unix seconds), if set.
    pub ends_at: Option<i64>,
    /// Last edit (unix seconds).
    pub updated_at: i64,
}

impl Banner {
    /// Renders `row`'s body.
    pub fn of(row: &Announcement) -> Banner {
        Banner {
            id: row.id,
            revision: row.revision,
            title: row.title.clone(),
            body_html: crate::markdown::render_inline(&row.body),
            severity: row.severity,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            updated_at: row.updated_at,
        }
    }

    /// Whether it shows at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.starts_at <= now && self.ends_at.is_none_or(|end| now < end)
    }
}

/// The announcements one browser dismissed: `(id, revision)` pairs, as the
/// cookie `3.2-7.1` lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dismissed(Vec<(AnnouncementId, i32)>);

impl Dismissed {
    /// Reads the cookie leniently: entries that do not parse are skipped,
    /// at most [`MAX_DISMISSED`] kept.
    pub fn parse(cookie: &str) -> Dismissed {
        let pairs = cookie
            .split('-')
            .filter_map(|entry| {
                let (id, revision) = entry.split_once('.')?;
                let id = id.parse::<i32>().ok().filter(|id| *id > 0)?;
                let revision = revision.parse::<i32>().ok().filter(|r| *r > 0)?;
                Some((AnnouncementId(id), revision))
            })
            .take(MAX_DISMISSED)
            .collect();
        Dismissed(pairs)
    }

    /// The cookie value.
    pub fn to_cookie(&self) -> String {
        self.0
            .iter()
            .map(|(id, revision)| format!("{id}.{revision}"))
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Whether `banner` (this revision of it) was dismissed.
    pub fn hides(&self, banner: &Banner) -> bool {
        self.0.contains(&(banner.id, banner.revision))
    }

    /// These dismissals plus revision `revision` of announcement `id`,
    /// dropping entries for announcements no longer on the board (ended) or
    /// no longer current, and other revisions of the same one.
    pub fn with(&self, id: AnnouncementId, revision: i32, board: &[Banner]) -> Dismissed {
        let mut pairs: Vec<(AnnouncementId, i32)> = self
            .0
            .iter()
            .copied()
            .filter(|(kept, kept_revision)| {
                *kept != id
                    && board
                        .iter()
                        .any(|b| b.id == *kept && b.revision == *kept_revision)
            })
            .collect();
        pairs.push((id, revision));
        let excess = pairs.len().saturating_sub(MAX_DISMISSED);
        pairs.drain(..excess);
        Dismissed(pairs)
    }
}

/// This node's copy of the announcements that have not ended.
#[derive(Debug, Default)]
pub struct Board {
    state: Mutex<BoardState>,
    refreshing: AtomicBool,
    /// Counts reloads that changed the banners (pages cached before are stale).
    generation: AtomicU64,
    /// Held through a whole reload, so an older read never replaces a newer one.
    reloading: Mutex<()>,
}

#[derive(Debug, Default)]
struct BoardState {
    loaded: Option<Instant>,
    banners: Arc<Vec<Banner>>,
    /// The latest end time already past at the last reload.
    last_ended: Option<i64>,
}

impl Board {
    /// How old the copy may get before a request reloads it.
    pub const REFRESH: Duration = Duration::from_secs(10);

    /// Reads the announcements that have not ended at `now`.
    pub fn reload(&self, conn: &mut Conn, now: i64) -> AppResult<()> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let banners: Vec<Banner> = announcements::not_ended(conn, now)?
            .iter()
            .map(Banner::of)
            .collect();
        let last_ended = announcements::ended(conn, now, 1)?
            .first()
            .and_then(|a| a.ends_at);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if *state.banners != banners || state.last_ended != last_ended {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        state.banners = Arc::new(banners);
        state.last_ended = last_ended;
        state.loaded = Some(Instant::now());
        Ok(())
    }

    /// Whether the copy is older than [`Board::REFRESH`] and nobody is
    /// reloading it yet; `true` claims the reload, which the caller must
    /// end with [`Board::refreshed`] whatever its outcome.
    pub fn claim_refresh(&self) -> bool {
        let stale = {
            let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.loaded.is_none_or(|at| at.elapsed() >= Self::REFRESH)
        };
        stale
            && self
                .refreshing
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Ends a reload claimed with [`Board::claim_refresh`]. A failed one
    /// keeps the old copy and is retried after [`Board::REFRESH`].
    pub fn refreshed(&self) {
        {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.loaded = Some(Instant::now());
        }
        self.refreshing.store(false, Ordering::Release);
    }

    /// Changes with every reload that changed the banners: a page rendered
    /// under another generation may show old ones.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Every announcement on the board (live and planned).
    pub fn all(&self) -> Arc<Vec<Banner>> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .banners
            .clone()
    }

    /// When the banners of pages last changed as of `now` (an edit, a start
    /// or an end), for `Last-Modified`: a page is as new as its banners.
    pub fn changed_at(&self, now: i64) -> i64 {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .banners
            .iter()
            .flat_map(|b| [Some(b.updated_at), Some(b.starts_at), b.ends_at])
            .flatten()
            .filter(|t| *t <= now)
            .chain(state.last_ended)
            .max()
            .unwrap_or(0)
    }

    /// The first start or end of a banner after `now`: pages showing the
    /// banners as of `now` are stale from then on.
    pub fn next_change_after(&self, now: i64) -> Option<i64> {
        self.all()
            .iter()
            .flat_map(|b| [Some(b.starts_at), b.ends_at])
            .flatten()
            .filter(|t| *t > now)
            .min()
    }

    /// The banners a browser with `dismissed` sees at `now`, most serious
    /// first, then newest.
    pub fn shown(&self, now: i64, dismissed: &Dismissed) -> Vec<Banner> {
        let mut shown: Vec<Banner> = self
            .all()
            .iter()
            .filter(|b| b.is_live(now) && !dismissed.hides(b))
            .cloned()
            .collect();
        shown.sort_by_key(|b| {
            (
                std::cmp::Reverse(b.severity),
                std::cmp::Reverse(b.starts_at),
            )
        });
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str, starts: &str, ends: &str) -> AnnouncementInput {
        AnnouncementInput {
            title: title.into(),
            body: "Body".into(),
            severity: "warning".into(),
            starts: starts.into(),
            ends: ends.into(),
        }
    }

    #[test]
    fn times_are_checked() {
        let now = parse_utc("2026-11-30T10:00").expect("time");
        let ok = validate(
            &input("Upgrade", "2026-12-01T09:30", "2026-12-01T10:30"),
            now,
        )
        .expect("valid");
        assert_eq!(ok.ends_at.map(|e| e - ok.starts_at), Some(3600));
        assert_eq!(format_utc(ok.starts_at), "2026-12-01T09:30");
        assert_eq!(
            validate(&input("Now", "", ""), now)
                .expect("valid")
                .starts_at,
            now
        );
        let errs = validate(&input("", "tomorrow", "2026-12-01T08:00"), now).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[1].contains("tomorrow"), "{errs:?}");
        let errs = validate(&input("x", "2026-12-01T09:30", "2026-12-01T09:00"), now).unwrap_err();
        assert!(errs[0].contains("after the start"), "{errs:?}");
        let errs = validate(&input("x", "2026-11-01T09:30", "2026-11-02T09:00"), now).unwrap_err();
        assert!(errs[0].contains("already passed"), "{errs:?}");
        let mut bad = input(&"t".repeat(MAX_TITLE_CHARS + 1), "", "");
        bad.severity = "panic".into();
        assert_eq!(validate(&bad, now).unwrap_err().len(), 2);
    }

    #[test]
    fn dismissals_round_trip_and_name_a_revision() {
        let banner = |id: i32, revision: i32| Banner {
            id: AnnouncementId(id),
            revision,
            title: String::new(),
            body_html: String::new(),
            severity: Severity::Info,
            starts_at: 0,
            ends_at: None,
            updated_at: 0,
        };
        let d = Dismissed::parse("3.2-junk-7.1-0.1-5.x");
        assert_eq!(d.to_cookie(), "3.2-7.1");
        assert!(d.hides(&banner(3, 2)));
        assert!(
            !d.hides(&banner(3, 3)),
            "a changed announcement shows again"
        );
        let board = [banner(3, 3), banner(9, 1)];
        // 7 is gone from the board, 3.2 is an old revision: both dropped.
        assert_eq!(d.with(AnnouncementId(9), 1, &board).to_cookie(), "9.1");
        let many = Dismissed::parse(
            &(1..=40)
                .map(|i| format!("{i}.1"))
                .collect::<Vec<_>>()
                .join("-"),
        );
        assert_eq!(many.0.len(), MAX_DISMISSED);
    }
}
