//! Picks up changes to `content/` while the server runs, without a restart.
//! A background task looks at the modification time and size of every file
//! under `manuals/`, `troubleshooting/` and `known-issues/` every [`RELOAD_INTERVAL`], and
//! reloads when any changed, appeared or went away (unless `watch_content`
//! is off); [`ReloadTrigger::reload`]
//! (sent on SIGHUP) reloads at once, whatever the files look like.
//!
//! A reload runs the same validation as the start: the whole folder is read
//! with [`content::load`]. Valid content is synced to the database by
//! [`content_sync::sync`] (by slug and content hash, so it is idempotent and
//! several nodes reloading the same files write once) and reindexed through
//! the outbox; the synonyms of the set are applied too. Invalid content
//! changes nothing: the version in use stays, each problem is logged with
//! `file:line` and kept for the staff dashboard until the files are fixed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use crate::background::{Background, Wake};
use crate::content;
use crate::db::{self, Pool};
use crate::error::AppResult;
use crate::search::SearchIndex;
use crate::service::content_sync;
use crate::service::search_feed::IndexerSignal;

/// How often the content files are looked at.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// Folders under the content folder whose files are watched
/// (`synonyms.toml` has its own watcher, `service::synonyms_reload`).
const WATCHED: [&str; 3] = ["manuals", "troubleshooting", "known-issues"];

/// Deepest folder level looked at under a watched folder (manuals are
/// `manuals/<manual>/<file>`); bounds the walk even through symlink loops.
const MAX_DEPTH: usize = 4;

/// What was seen of one file: modification time and size, or nothing when
/// it cannot be read.
pub(crate) type Stamp = Option<(SystemTime, u64)>;

/// Modification time and size of `path`, or `None` when it cannot be read.
pub(crate) fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// A list of problems (`file:line: message`) of files on disk, shared
/// between a reload task and the request handlers; empty when the files
/// in use are the ones on disk.
#[derive(Debug, Clone, Default)]
pub struct FileProblems(Arc<RwLock<Vec<String>>>);

impl FileProblems {
    /// The problems of the files as they are on disk, each `file:line: message`.
    pub fn problems(&self) -> Vec<String> {
        self.0.read().map(|p| p.clone()).unwrap_or_default()
    }

    /// Replaces the list.
    pub(crate) fn set(&self, problems: Vec<String>) {
        if let Ok(mut current) = self.0.write() {
            *current = problems;
        }
    }
}

/// Asks the reload task to reload now (SIGHUP); cheap to clone.
#[derive(Debug, Clone)]
pub struct ReloadTrigger {
    forced: Arc<AtomicBool>,
    wake: Wake,
}

impl ReloadTrigger {
    /// Reloads the content at once, even when no file looks changed.
    pub fn reload(&self) {
        self.forced.store(true, Ordering::SeqCst);
        self.wake.notify();
    }
}

/// The running reload task; stops and joins when dropped.
pub struct ContentReload {
    problems: FileProblems,
    trigger: ReloadTrigger,
    _thread: Background,
}

/// What the reload task needs besides the content folder.
pub struct ReloadOptions {
    /// Look at the files every [`RELOAD_INTERVAL`]; when false, only
    /// [`ReloadTrigger::reload`] reloads.
    pub watch_files: bool,
    /// Where valid content is synced.
    pub db: Pool,
    /// Where the synonyms of valid content are applied.
    pub search: SearchIndex,
    /// Woken after a sync, to reindex what changed.
    pub indexer: IndexerSignal,
    /// Trees deeper than this are refused, as at start.
    pub max_tree_depth: usize,
}

impl ContentReload {
    /// Starts watching `content_dir`, whose files as they were in `loaded`
    /// are the content in use.
    pub fn start(
        content_dir: &Path,
        loaded: Snapshot,
        options: ReloadOptions,
    ) -> AppResult<ContentReload> {
        let forced = Arc::new(AtomicBool::new(false));
        let mut watcher = Watcher {
            content_dir: content_dir.to_path_buf(),
            seen: loaded.0,
            options,
            problems: FileProblems::default(),
            forced: forced.clone(),
            retry: false,
        };
        let problems = watcher.problems.clone();
        let thread = Background::every("content-reload", RELOAD_INTERVAL, move || watcher.check())?;
        Ok(ContentReload {
            problems,
            trigger: ReloadTrigger {
                forced,
                wake: thread.wake(),
            },
            _thread: thread,
        })
    }

    /// The problems of the content on disk, shared with the handlers.
    pub fn problems(&self) -> FileProblems {
        self.problems.clone()
    }

    /// A handle that makes the task reload at once.
    pub fn trigger(&self) -> ReloadTrigger {
        self.trigger.clone()
    }
}

/// Every watched file with its stamp.
type Stamps = BTreeMap<PathBuf, Stamp>;

/// What the watched files looked like at one moment: taken before the
/// start loads the content, so a file changed while the site starts is
/// reloaded at the first look.
#[derive(Debug, Clone, Default)]
pub struct Snapshot(Stamps);

/// The stamps of the watched files of `content_dir` now.
pub fn snapshot(content_dir: &Path) -> Snapshot {
    Snapshot(stamps(content_dir))
}

/// The stamps of every file under the watched folders of `content_dir`.
fn stamps(content_dir: &Path) -> Stamps {
    let mut found = Stamps::new();
    for folder in WATCHED {
        collect_stamps(&content_dir.join(folder), 0, &mut found);
    }
    found
}

/// Adds the stamps of the files under `dir` (down to [`MAX_DEPTH`]).
fn collect_stamps(dir: &Path, depth: usize, found: &mut Stamps) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth < MAX_DEPTH {
                collect_stamps(&path, depth + 1, found);
            }
        } else {
            let seen = stamp(&path);
            found.insert(path, seen);
        }
    }
}

/// The task's state: the folder, what was last seen of it, where a reload goes.
struct Watcher {
    content_dir: PathBuf,
    seen: Stamps,
    options: ReloadOptions,
    problems: FileProblems,
    forced: Arc<AtomicBool>,
    /// The last reload could not be saved.
    retry: bool,
}

impl Watcher {
    /// Reloads when a file changed since the last look, or when forced.
    fn check(&mut self) {
        let forced = self.forced.swap(false, Ordering::SeqCst) || self.retry;
        if !forced && !self.options.watch_files {
            return;
        }
        let now = stamps(&self.content_dir);
        if now == self.seen && !forced {
            return;
        }
        self.seen = now;
        // Not saved (the database is away): try again at the next look.
        self.retry = !self.reload();
    }

    /// Loads, validates and syncs the content; false when it could not be
    /// saved and should be tried again.
    fn reload(&mut self) -> bool {
        let set = match content::load(&self.content_dir, self.options.max_tree_depth) {
            Ok(set) => set,
            Err(diags) => {
                let problems: Vec<String> = diags.iter().map(ToString::to_string).collect();
                for problem in &problems {
                    log::error!("{problem}");
                }
                log::error!(
                    "content has {} problem(s); the site keeps the content it had (run `signpost check`)",
                    problems.len()
                );
                self.problems.set(problems);
                return true;
            }
        };
        let synced = self
            .options
            .db
            .get()
            .map_err(crate::error::AppError::from)
            .and_then(|mut conn| content_sync::sync(&mut conn, &set, db::unix_now()));
        match synced {
            Ok(report) => {
                self.options.search.set_synonyms(&set.synonym_groups());
                self.options.indexer.notify();
                self.problems.set(Vec::new());
                log::info!(
                    "content reloaded: {} added, {} updated, {} removed, {} unchanged, {} trees changed, {} trees removed",
                    report.added,
                    report.updated,
                    report.removed,
                    report.unchanged,
                    report.trees_changed,
                    report.trees_removed
                );
                for warning in &report.detached {
                    log::warn!("{warning}");
                }
                true
            }
            Err(e) => {
                log::error!("content reload could not be saved, trying again: {e}");
                false
            }
        }
    }
}
