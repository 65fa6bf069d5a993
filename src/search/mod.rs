//! Full-text search over manuals, troubleshooting steps and questions: the
//! index schema and analyzers, the single writer, query-time synonyms, and
//! typo-tolerant, stemmed, re-ranked queries.
//!
//! The index is derived from the database and can always be rebuilt. This
//! module knows nothing of the database or the content folder: callers hand
//! it [`SearchDoc`]s and synonym groups.

mod cache;
mod directory;
pub mod gate;
pub mod indexer;
pub mod negation;
pub mod query;
pub mod schema;
pub mod spelling;
pub mod synonyms;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use directory::IndexDirectory;
use serde::{Deserialize, Serialize};
use tantivy::directory::{Directory, INDEX_WRITER_LOCK};
use tantivy::{Index, IndexReader, ReloadPolicy};

pub use gate::SearchGate;
pub use indexer::IndexFeed;
pub use query::{SearchHit, SearchRequest, SearchResults};
pub use schema::Fields;
pub use synonyms::Synonyms;

/// Bytes of stored text compressed together (tantivy's default is
/// 16 KiB). A result's snippet decompresses its document's whole block, a
/// dozen posts at 16 KiB for the one it shows. Counted by callgrind at
/// 1,000,000 posts (the short query list, results not cached): 50,500
/// instructions a document read at 16 KiB, 19,800 at 4 KiB; a page of
/// snippets 19 % and a whole short search 7 % fewer. The stored text
/// takes a third more disk (132 to 177 MB), read by position, not held
/// in memory (see `directory`).
const STORED_BLOCK_BYTES: usize = 4096;

/// A document handed to the index. Several documents may share a `group`
/// (e.g. all steps of one tree, a question and each of its answers, an
/// article and each of its sections); a group is always replaced as a whole.
/// A document whose `url` has a `#fragment` is a part of its group's page.
/// Results collapse per group: one per question thread, two per article.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchDoc {
    /// `article`, `step` or `question`.
    pub kind: String,
    /// Replacement unit, e.g. `article:12`.
    pub group: String,
    /// Where the result links to.
    pub url: String,
    /// Title (ranks above the body).
    pub title: String,
    /// More words that describe the document, ranked like the title but
    /// not shown (e.g. what leads to a troubleshooting step).
    pub context: Vec<String>,
    /// Plain text body.
    pub body: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Where it lives, e.g. the manual's title.
    pub breadcrumb: String,
    /// Ranking multiplier (1.0 is neutral).
    pub boost: f64,
    /// Whether this is a solved question.
    pub solved: bool,
}

/// What the index remembers in its commit payload.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct CommitPayload {
    /// The last outbox id whose change is in the index.
    pub outbox: i64,
    /// The schema version the index was built with.
    pub schema: u32,
    /// False while a rebuild is under way.
    pub complete: bool,
}

/// Errors of the search layer.
pub type SearchResult<T> = Result<T, tantivy::TantivyError>;

struct Inner {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    dir: PathBuf,
    applied: Mutex<i64>,
    applied_changed: Condvar,
    rebuilding: AtomicBool,
    synonyms: RwLock<Arc<Synonyms>>,
    /// Bumped after each change of `synonyms`.
    synonyms_version: AtomicU64,
    results: cache::ResultCache,
    plans: Mutex<query::PlanCache>,
    columns: query::ColumnCache,
    gate: SearchGate,
}

/// A handle on the search index, cheap to clone and shared by every request.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.inner.dir)
            .finish()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`. A missing, corrupt, incomplete or
    /// old-schema index is replaced by an empty one and `needs_rebuild` is true.
    pub fn open(dir: &Path) -> SearchResult<(SearchIndex, bool)> {
        Self::open_with_gate(dir, SearchGate::for_this_machine())
    }

    /// [`SearchIndex::open`], with searches admitted through `gate`.
    pub fn open_with_gate(dir: &Path, gate: SearchGate) -> SearchResult<(SearchIndex, bool)> {
        std::fs::create_dir_all(dir)?;
        let (index, payload) = match Self::open_existing(dir) {
            Some(found) => found,
            None => {
                if dir.join("meta.json").exists() {
                    log::warn!(
                        "search index in {} is unusable; rebuilding it from the database",
                        dir.display()
                    );
                }
                // A server of another version may still search and write
                // this index: it is cleared only under its writer lock.
                let lock = IndexDirectory::open(dir)?
                    .acquire_lock(&INDEX_WRITER_LOCK)
                    .map_err(|e| {
                        tantivy::TantivyError::LockFailure(
                            e,
                            Some(format!(
                                "the search index in {} needs a rebuild but another process \
                                 holds it; stop it first",
                                dir.display()
                            )),
                        )
                    })?;
                clear_dir(dir)?;
                drop(lock);
                let index = Index::create(
                    IndexDirectory::open(dir)?,
                    schema::build(),
                    tantivy::IndexSettings {
                        docstore_blocksize: STORED_BLOCK_BYTES,
                        ..tantivy::IndexSettings::default()
                    },
                )?;
                (index, None)
            }
        };
        let needs_rebuild = payload.is_none();
        Self::from_index(
            index,
            dir,
            payload.map(|p| p.outbox).unwrap_or(0),
            needs_rebuild,
            gate,
        )
        .map(|s| (s, needs_rebuild))
    }

    fn open_existing(dir: &Path) -> Option<(Index, Option<CommitPayload>)> {
        if !dir.join("meta.json").exists() {
            return None;
        }
        let index = Index::open(IndexDirectory::open(dir).ok()?).ok()?;
        if index.schema() != schema::build() {
            return None;
        }
        let metas = index.load_metas().ok()?;
        let payload: CommitPayload = serde_json::from_str(metas.payload.as_deref()?).ok()?;
        if payload.schema != schema::VERSION || !payload.complete {
            return None;
        }
        // Make sure every segment file is readable before trusting it.
        let reader = index.reader().ok()?;
        let searcher = reader.searcher();
        for segment in searcher.segment_readers() {
            segment.get_store_reader(1).ok()?;
        }
        Some((index, Some(payload)))
    }

    fn from_index(
        index: Index,
        dir: &Path,
        applied: i64,
        rebuilding: bool,
        gate: SearchGate,
    ) -> SearchResult<SearchIndex> {
        schema::register_tokenizers(&index);
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            inner: Arc::new(Inner {
                index,
                reader,
                fields,
                dir: dir.to_path_buf(),
                applied: Mutex::new(applied),
                applied_changed: Condvar::new(),
                rebuilding: AtomicBool::new(rebuilding),
                synonyms: RwLock::new(Arc::new(Synonyms::default())),
                synonyms_version: AtomicU64::new(0),
                results: cache::ResultCache::default(),
                plans: Mutex::new(query::PlanCache::default()),
                columns: query::ColumnCache::default(),
                gate,
            }),
        })
    }

    /// Takes the index's one writer. Fails if another process holds it.
    pub fn feed(&self) -> SearchResult<IndexFeed> {
        IndexFeed::new(self.clone())
    }

    /// The last outbox id applied to the index.
    pub fn applied_id(&self) -> i64 {
        self.inner.applied.lock().map(|g| *g).unwrap_or(0)
    }

    fn set_applied(&self, id: i64) {
        if let Ok(mut guard) = self.inner.applied.lock() {
            *guard = id;
        }
        self.inner.applied_changed.notify_all();
    }

    /// Blocks until the outbox id `id` is applied, or `timeout` passes.
    pub fn wait_applied(&self, id: i64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let Ok(mut guard) = self.inner.applied.lock() else {
            return false;
        };
        while *guard < id || self.is_rebuilding() {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            match self
                .inner
                .applied_changed
                .wait_timeout(guard, deadline - now)
            {
                Ok((g, _)) => guard = g,
                Err(_) => return false,
            }
        }
        true
    }

    /// Whether a full rebuild is under way (results may be incomplete).
    pub fn is_rebuilding(&self) -> bool {
        self.inner.rebuilding.load(Ordering::SeqCst)
    }

    fn set_rebuilding(&self, on: bool) {
        self.inner.rebuilding.store(on, Ordering::SeqCst);
        self.inner.applied_changed.notify_all();
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Whether searches can run (for the health check).
    pub fn is_usable(&self) -> bool {
        let searcher = self.inner.reader.searcher();
        searcher
            .segment_readers()
            .iter()
            .all(|s| s.get_store_reader(1).is_ok())
    }

    /// Replaces the synonym groups applied to queries (each group: words or
    /// phrases as staff wrote them). Takes effect for the next search.
    pub fn set_synonyms(&self, groups: &[Vec<String>]) {
        let table = Arc::new(Synonyms::new(groups));
        if let Ok(mut current) = self.inner.synonyms.write() {
            *current = table;
        }
        // After the table: a search that saw the old version may have used
        // either table, and its results are not served (see `cache`).
        self.inner.synonyms_version.fetch_add(1, Ordering::AcqRel);
    }

    /// Keeps up to `bytes` of search results for repeated searches
    /// (`search_cache_mb`, see [`cache`]); 0, the default, keeps none:
    /// commands, the relevance evaluation and the engine benchmark always
    /// compute.
    pub fn set_result_cache_bytes(&self, bytes: usize) {
        self.inner.results.set_capacity(bytes);
    }

    /// What results computed now on `searcher` are valid for.
    fn result_stamp(&self, searcher: &tantivy::Searcher) -> cache::Stamp {
        cache::Stamp {
            generation: searcher.generation().generation_id(),
            synonyms: self.inner.synonyms_version.load(Ordering::Acquire),
        }
    }

    /// The synonym groups in use.
    pub fn synonyms(&self) -> Arc<Synonyms> {
        self.inner
            .synonyms
            .read()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// The gate every search passes (see [`gate`]).
    pub fn gate(&self) -> &SearchGate {
        &self.inner.gate
    }

    pub(crate) fn plan_cache(&self) -> &Mutex<query::PlanCache> {
        &self.inner.plans
    }

    /// The re-rank's fast-field columns of recent segments.
    pub(crate) fn columns(&self) -> &query::ColumnCache {
        &self.inner.columns
    }

    pub(crate) fn index(&self) -> &Index {
        &self.inner.index
    }

    pub(crate) fn reader(&self) -> &IndexReader {
        &self.inner.reader
    }

    pub(crate) fn fields(&self) -> &Fields {
        &self.inner.fields
    }
}

/// Removes everything inside `dir` (not `dir` itself).
fn clear_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
