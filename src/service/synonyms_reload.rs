//! Keeps the search synonyms in step with `content/synonyms.toml` while the
//! server runs: a background task looks at the file's modification time and
//! size every [`RELOAD_INTERVAL`] and reloads it when either changed (or the
//! file appeared or went away), so staff edit the file and the next searches
//! use it, without a restart. A file with problems keeps the synonyms in use;
//! its problems are logged with `file:line` and kept for the staff dashboard
//! until the file is fixed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::background::Background;
use crate::content::synonyms::{self, SynonymGroup};
use crate::error::AppResult;
use crate::search::SearchIndex;
use crate::service::content_reload::{stamp, FileProblems, Stamp};

/// How often the synonyms file is looked at.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// The problems of the synonyms file as it is now (empty when it was
/// loaded), shared with the request handlers.
pub type SynonymsStatus = FileProblems;

/// The running reload task; stops and joins when dropped.
pub struct SynonymsReload {
    status: SynonymsStatus,
    _thread: Background,
}

impl SynonymsReload {
    /// Starts watching `synonyms.toml` in `content_dir`; `search` already
    /// uses the groups read at start.
    pub fn start(content_dir: &Path, search: SearchIndex) -> AppResult<SynonymsReload> {
        let mut watcher = Watcher {
            content_dir: content_dir.to_path_buf(),
            seen: stamp(&content_dir.join(synonyms::FILE_NAME)),
            search,
            status: SynonymsStatus::default(),
        };
        let status = watcher.status.clone();
        let thread =
            Background::every("synonyms-reload", RELOAD_INTERVAL, move || watcher.check())?;
        Ok(SynonymsReload {
            status,
            _thread: thread,
        })
    }

    /// The problems of the file on disk, shared with the handlers.
    pub fn status(&self) -> SynonymsStatus {
        self.status.clone()
    }
}

/// The task's state: where the file is and what was last seen of it.
struct Watcher {
    content_dir: PathBuf,
    seen: Stamp,
    search: SearchIndex,
    status: SynonymsStatus,
}

impl Watcher {
    /// Reloads the file when it changed since it was last looked at.
    fn check(&mut self) {
        let now = stamp(&self.content_dir.join(synonyms::FILE_NAME));
        if now == self.seen {
            return;
        }
        self.seen = now;
        match synonyms::load(&self.content_dir) {
            Ok(groups) => {
                let members: Vec<Vec<String>> = groups.iter().map(SynonymGroup::members).collect();
                self.search.set_synonyms(&members);
                self.status.set(Vec::new());
                log::info!(
                    "search synonyms reloaded: {} group{}",
                    groups.len(),
                    if groups.len() == 1 { "" } else { "s" }
                );
            }
            Err(diags) => {
                let problems: Vec<String> = diags.iter().map(ToString::to_string).collect();
                for problem in &problems {
                    log::error!("{problem}");
                }
                log::error!(
                    "{} has problems; search keeps the synonyms it had (run `signpost check`)",
                    synonyms::FILE_NAME
                );
                self.status.set(problems);
            }
        }
    }
}
