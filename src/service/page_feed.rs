//! What the anonymous page cache may still serve: per-scope change marks
//! ([`PageVersions`]) fed by the changes every write already records (the
//! search outbox, plus `page_changes` for writes search does not follow),
//! tailed by each node ([`PageFeed`]): at once after a write on this node,
//! and every [`POLL`] for writes on other nodes.
//!
//! Marks are fine-grained where writes are frequent: a vote, answer or
//! comment on a question marks that question and the lists (home, question
//! lists, tags, feeds, sitemap, known-issue pages), never the articles or
//! other questions' pages. Article and troubleshooter changes mark the docs
//! and the lists; known-issue, announcement and user changes (rare, shown
//! on many pages) mark everything.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::background::Background;
use crate::db::models::outbox;
use crate::db::models::page_changes::{self, PageScope};
use crate::db::{unix_now, Pool};
use crate::error::AppResult;
use crate::kinds::DocKind;
use crate::service::announcements::Board;
use crate::service::known_issues;
use crate::service::search_feed::FeedCursor;

/// How often each node reads the feed for writes made elsewhere.
pub const POLL: Duration = Duration::from_millis(300);
/// Entries read per query; past [`MAX_ROUNDS`] full batches in one catch-up
/// (an import) everything is marked and the rest skipped.
const BATCH: i64 = 2_000;
const MAX_ROUNDS: usize = 10;
/// Questions with their own mark; past it the marks are folded into one
/// floor (every page older than it is stale), keeping memory bounded.
const MAX_QUESTION_MARKS: usize = 100_000;

/// What a cached page shows, so which changes make it stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageKind {
    /// One question's page (its answers, comments, votes).
    Question(i32),
    /// Pages listing questions or issues: home, lists, tags, feeds, sitemap,
    /// known issues.
    Lists,
    /// Manuals and articles.
    Docs,
    /// A troubleshooter step (changes with the docs; each hit records the
    /// visitor's walk).
    Step,
}

/// A change: what it makes stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Question(i32),
    Lists,
    Docs,
    Everything,
}

#[derive(Debug, Default)]
struct Marks {
    /// Counts changes; a page rendered at `seq` s is current while every
    /// mark that applies to it is at most s.
    seq: u64,
    everything: u64,
    lists: u64,
    docs: u64,
    questions: HashMap<i32, u64>,
    /// Question marks folded away (see [`MAX_QUESTION_MARKS`]).
    question_floor: u64,
    /// When the first shown known-issue banner stops showing (unix seconds).
    issue_banner_end: Option<i64>,
}

/// The change marks of this node (see the module docs).
#[derive(Debug, Default)]
pub struct PageVersions {
    marks: Mutex<Marks>,
}

impl PageVersions {
    /// The version to remember with a page whose rendering starts now.
    pub fn snapshot(&self) -> u64 {
        self.lock().seq
    }

    /// Whether a page of `kind` rendered at `snapshot` still shows what
    /// the database holds (as far as this node has read the feed).
    pub fn is_current(&self, kind: PageKind, snapshot: u64) -> bool {
        let marks = self.lock();
        let own = match kind {
            PageKind::Question(id) => marks
                .questions
                .get(&id)
                .copied()
                .unwrap_or(0)
                .max(marks.question_floor),
            PageKind::Lists => marks.lists,
            PageKind::Docs | PageKind::Step => marks.docs,
        };
        marks.everything <= snapshot && own <= snapshot
    }

    /// When the first known-issue banner shown now stops showing.
    pub fn issue_banner_end(&self) -> Option<i64> {
        self.lock().issue_banner_end
    }

    fn mark(&self, changes: &[Mark]) {
        if changes.is_empty() {
            return;
        }
        let mut marks = self.lock();
        marks.seq += 1;
        let seq = marks.seq;
        for change in changes {
            match *change {
                Mark::Question(id) => {
                    marks.questions.insert(id, seq);
                }
                Mark::Lists => marks.lists = seq,
                Mark::Docs => marks.docs = seq,
                Mark::Everything => marks.everything = seq,
            }
        }
        if marks.questions.len() > MAX_QUESTION_MARKS {
            marks.questions.clear();
            marks.question_floor = seq;
        }
    }

    fn set_issue_banner_end(&self, end: Option<i64>) {
        self.lock().issue_banner_end = end;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Marks> {
        self.marks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where this node stands in the two feeds.
#[derive(Debug, Clone)]
struct Cursors {
    outbox: FeedCursor,
    changes: FeedCursor,
}

/// Reads the change feeds into [`PageVersions`].
pub struct PageFeed {
    pool: Pool,
    versions: Arc<PageVersions>,
    board: Arc<Board>,
    grace_days: u64,
    cursors: Mutex<Cursors>,
    /// Catch-ups started (counted under the cursor lock).
    started: AtomicU64,
    /// The number (in `started`) of the last catch-up that finished.
    finished: AtomicU64,
    /// Catch-ups run for a write request (not by the thread).
    after_writes: AtomicU64,
    /// Write requests waiting for a catch-up queue here without a thread:
    /// one runs, and the others find it covered them.
    gate: tokio::sync::Mutex<()>,
}

impl PageFeed {
    /// Starts at the feeds' current ends (the cache is empty).
    pub fn new(
        pool: Pool,
        versions: Arc<PageVersions>,
        board: Arc<Board>,
        grace_days: u64,
    ) -> AppResult<Arc<Self>> {
        let mut conn = pool.get()?;
        let now = unix_now();
        let cursors = Cursors {
            outbox: FeedCursor::at(outbox::max_id(&mut conn)?),
            changes: FeedCursor::at(page_changes::max_id(&mut conn)?),
        };
        versions.set_issue_banner_end(known_issues::next_banner_end(&mut conn, now, grace_days)?);
        drop(conn);
        Ok(Arc::new(PageFeed {
            pool,
            versions,
            board,
            grace_days,
            cursors: Mutex::new(cursors),
            started: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            after_writes: AtomicU64::new(0),
            gate: tokio::sync::Mutex::new(()),
        }))
    }

    /// Makes this node's pages show every write committed before the call:
    /// after a successful write request. Waiting costs no thread and no
    /// connection; a catch-up that started after the call covers it, so
    /// concurrent writers share one run and a flood of them runs the feed
    /// one query round at a time, not once each.
    pub async fn catch_up_after_write(self: &Arc<Self>) -> AppResult<()> {
        let ticket = self.started.load(Ordering::Acquire);
        let _turn = self.gate.lock().await;
        if self.covers(ticket) {
            return Ok(());
        }
        let feed = self.clone();
        crate::web::off_executor(move || {
            let cursors = feed.cursors.lock().unwrap_or_else(PoisonError::into_inner);
            // The thread may have run while this one waited for the lock.
            if feed.covers(ticket) {
                return Ok(());
            }
            feed.after_writes.fetch_add(1, Ordering::Relaxed);
            feed.catch_up_locked(cursors)
        })
        .await?
    }

    /// Whether a catch-up that started after `ticket` was read has finished.
    fn covers(&self, ticket: u64) -> bool {
        self.finished.load(Ordering::Acquire) > ticket
    }

    /// Catch-ups started so far (the thread's and the writes').
    pub fn runs(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// Catch-ups run for write requests so far (not the thread's).
    pub fn runs_after_writes(&self) -> u64 {
        self.after_writes.load(Ordering::Relaxed)
    }

    /// Reads what was written since the last call and marks it: every
    /// [`POLL`] by the thread.
    pub fn catch_up(&self) -> AppResult<()> {
        let cursors = self.cursors.lock().unwrap_or_else(PoisonError::into_inner);
        self.catch_up_locked(cursors)
    }

    fn catch_up_locked(&self, mut cursors: std::sync::MutexGuard<'_, Cursors>) -> AppResult<()> {
        let run = self.started.fetch_add(1, Ordering::AcqRel) + 1;
        let result = self.read_feeds(&mut cursors);
        // A failed run covers nobody: the next writer tries again.
        if result.is_ok() {
            self.finished.store(run, Ordering::Release);
        }
        result
    }

    /// Reads both feeds and marks what they name; the cursors move only
    /// once the changes they passed are marked. A read that fails half way
    /// (database busy, connection lost) moves nothing, and the next read
    /// reads the same changes again: none is lost, and no page it makes
    /// stale is served on until its refresh.
    fn read_feeds(&self, cursors: &mut Cursors) -> AppResult<()> {
        // The connection is taken only once the cursor lock is held.
        let mut conn = self.pool.get()?;
        let mut next = cursors.clone();
        let marks = self.read_changes(&mut conn, &mut next)?;
        self.versions.mark(&marks);
        *cursors = next;
        Ok(())
    }

    /// The marks of the changes after `cursors`, which it moves past them
    /// (the caller keeps them only when every read succeeded).
    fn read_changes(
        &self,
        conn: &mut crate::db::Conn,
        cursors: &mut Cursors,
    ) -> AppResult<Vec<Mark>> {
        let now = Instant::now();
        let mut marks = Vec::new();
        let mut reload_board = false;
        let mut issues_changed = false;
        let mut rounds = 0;
        loop {
            let holes = cursors.outbox.holes();
            let filled = if holes.is_empty() {
                Vec::new()
            } else {
                outbox::with_ids(conn, &holes)?
            };
            let batch = outbox::pending_after(conn, cursors.outbox.read(), BATCH)?;
            for entry in filled.iter().chain(&batch) {
                match entry.kind() {
                    Ok(DocKind::Question) => {
                        marks.push(Mark::Question(entry.doc_id));
                        marks.push(Mark::Lists);
                    }
                    Ok(DocKind::Article | DocKind::Step) => {
                        marks.push(Mark::Docs);
                        marks.push(Mark::Lists);
                    }
                    Ok(DocKind::Issue) => {
                        issues_changed = true;
                        marks.push(Mark::Everything);
                    }
                    Err(_) => marks.push(Mark::Everything),
                }
            }
            let ids: Vec<i32> = batch.iter().map(|e| e.id).collect();
            let filled: Vec<i32> = filled.iter().map(|e| e.id).collect();
            cursors.outbox.advance(&ids, &filled, now);
            rounds += 1;
            if (batch.len() as i64) < BATCH {
                break;
            }
            if rounds >= MAX_ROUNDS {
                marks.push(Mark::Everything);
                issues_changed = true;
                cursors.outbox = FeedCursor::at(outbox::max_id(conn)?);
                break;
            }
        }
        cursors.outbox.expire(now);
        let holes = cursors.changes.holes();
        let filled = if holes.is_empty() {
            Vec::new()
        } else {
            page_changes::with_ids(conn, &holes)?
        };
        let batch = page_changes::after(conn, cursors.changes.read(), BATCH)?;
        for change in filled.iter().chain(&batch) {
            match PageScope::parse(&change.scope) {
                PageScope::Announcements => {
                    reload_board = true;
                    marks.push(Mark::Everything);
                }
                PageScope::Everything => marks.push(Mark::Everything),
                PageScope::Question(id) => {
                    marks.push(Mark::Question(id));
                    marks.push(Mark::Lists);
                }
            }
        }
        let ids: Vec<i32> = batch.iter().map(|c| c.id).collect();
        let filled: Vec<i32> = filled.iter().map(|c| c.id).collect();
        cursors.changes.advance(&ids, &filled, now);
        cursors.changes.expire(now);
        let unix = unix_now();
        if reload_board {
            // Pages rendered after the mark must show the new banners.
            self.board.reload(conn, unix)?;
        }
        let banner_end_passed = self
            .versions
            .issue_banner_end()
            .is_some_and(|end| end <= unix);
        if issues_changed || banner_end_passed {
            self.versions
                .set_issue_banner_end(known_issues::next_banner_end(conn, unix, self.grace_days)?);
        }
        marks.dedup();
        Ok(marks)
    }

    /// Starts the thread that reads the feeds every [`POLL`].
    pub fn start(self: &Arc<Self>) -> AppResult<PageFeedTask> {
        let feed = self.clone();
        let thread = Background::spawn("page-feed", move |control| {
            while !control.stopping() {
                if let Err(e) = feed.catch_up() {
                    log::warn!("page cache feed: {e}");
                }
                control.wait(POLL);
            }
        })?;
        Ok(PageFeedTask { _thread: thread })
    }
}

/// The running feed reader; stopped when dropped.
pub struct PageFeedTask {
    _thread: Background,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_change_leaves_other_questions_and_docs_current() {
        let versions = PageVersions::default();
        let seen = versions.snapshot();
        versions.mark(&[Mark::Question(7), Mark::Lists]);
        assert!(!versions.is_current(PageKind::Question(7), seen));
        assert!(!versions.is_current(PageKind::Lists, seen));
        assert!(versions.is_current(PageKind::Question(8), seen));
        assert!(versions.is_current(PageKind::Docs, seen));
        let after = versions.snapshot();
        assert!(versions.is_current(PageKind::Question(7), after));
        versions.mark(&[Mark::Everything]);
        assert!(!versions.is_current(PageKind::Docs, after));
        assert!(!versions.is_current(PageKind::Question(8), after));
    }

    #[test]
    fn question_marks_stay_bounded() {
        let versions = PageVersions::default();
        let seen = versions.snapshot();
        for id in 0..=(MAX_QUESTION_MARKS as i32) {
            versions.mark(&[Mark::Question(id)]);
        }
        assert!(versions.lock().questions.len() <= MAX_QUESTION_MARKS);
        assert!(
            !versions.is_current(PageKind::Question(-1), seen),
            "folded marks make older pages of every question stale"
        );
        assert!(versions.is_current(PageKind::Question(-1), versions.snapshot()));
    }
}
