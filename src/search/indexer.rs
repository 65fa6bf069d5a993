//! The one `IndexWriter`: applies groups of documents and commits them with the
//! last applied outbox id in the commit payload.

use tantivy::indexer::{DefaultMergePolicy, NoMergePolicy};
use tantivy::schema::TantivyDocument;
use tantivy::{IndexWriter, Term};

use super::{schema, CommitPayload, SearchDoc, SearchIndex, SearchResult};

/// Memory budget of the writer (shared by its threads).
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// Exclusive write access to the index.
pub struct IndexFeed {
    search: SearchIndex,
    writer: IndexWriter<TantivyDocument>,
}

/// One replacement: every document of `group` is replaced by `docs`
/// (an empty `docs` deletes the group).
#[derive(Debug, Clone)]
pub struct GroupUpdate {
    /// The group key, e.g. `article:12`.
    pub group: String,
    /// Its current documents.
    pub docs: Vec<SearchDoc>,
}

impl IndexFeed {
    pub(super) fn new(search: SearchIndex) -> SearchResult<IndexFeed> {
        let writer = search.index().writer_with_num_threads(1, WRITER_MEMORY)?;
        Ok(IndexFeed { search, writer })
    }

    /// Waits for the segment merges the commits started, then lets go of
    /// the index. A command that rebuilt the index calls it before it exits:
    /// dropped, the writer abandons them, and a 1,000,000-post reindex left
    /// 13 segments where the merges make 6 (each search walks every one).
    pub fn finish(self) -> SearchResult<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }

    /// Stages group replacements (visible after [`IndexFeed::commit`]).
    pub fn stage(&mut self, updates: &[GroupUpdate]) -> SearchResult<()> {
        let fields = *self.search.fields();
        for update in updates {
            self.writer
                .delete_term(Term::from_field_text(fields.group, &update.group));
            for doc in &update.docs {
                self.writer.add_document(to_tantivy(&fields, doc))?;
            }
        }
        Ok(())
    }

    /// Commits what is staged, records `outbox_id` in the payload and makes it
    /// visible to searches.
    pub fn commit(&mut self, outbox_id: i64) -> SearchResult<()> {
        self.commit_progress(outbox_id, outbox_id)
    }

    /// Commits what is staged and makes it visible to searches. The payload
    /// records `watermark` (every outbox entry up to it is applied: a restart
    /// resumes there); searches report `read`, the newest entry applied
    /// (above the watermark when an older id may still appear).
    pub fn commit_progress(&mut self, watermark: i64, read: i64) -> SearchResult<()> {
        self.commit_with(
            CommitPayload {
                outbox: watermark,
                schema: schema::VERSION,
                complete: true,
            },
            read,
        )
    }

    fn commit_with(&mut self, payload: CommitPayload, read: i64) -> SearchResult<()> {
        let text = serde_json::to_string(&payload)
            .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&text);
        prepared.commit()?;
        self.search.reader().reload()?;
        if payload.complete {
            self.search.set_applied(read);
        }
        Ok(())
    }

    /// Starts a full rebuild: drops every document. Searches say the index is
    /// being rebuilt until [`IndexFeed::finish_rebuild`].
    ///
    /// The rebuild's commits leave their segments unmerged until it ends
    /// (see [`IndexFeed::finish_rebuild`]).
    pub fn begin_rebuild(&mut self) -> SearchResult<()> {
        self.search.set_rebuilding(true);
        self.writer.set_merge_policy(Box::new(NoMergePolicy));
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Commits a part of a rebuild so searches see progress; a crash now
    /// leaves an index marked incomplete, which is rebuilt at the next start.
    pub fn commit_partial(&mut self) -> SearchResult<()> {
        self.commit_with(
            CommitPayload {
                outbox: 0,
                schema: schema::VERSION,
                complete: false,
            },
            0,
        )
    }

    /// Ends a rebuild that covered every change up to `watermark` and the
    /// later ones up to `read` (see [`IndexFeed::commit`]).
    ///
    /// The rebuilt index is then merged into one segment: each search
    /// walks the posting lists of every segment, and at 1,000,000 posts one
    /// segment searched 8 % faster than the five that merges left (a merge
    /// keeps the commit payload). A merge that fails leaves the segments as
    /// they are, which only costs speed.
    pub fn finish_rebuild(&mut self, watermark: i64, read: i64) -> SearchResult<()> {
        self.commit_progress(watermark, read)?;
        let segments = self.search.index().searchable_segment_ids()?;
        let merged = segments.len() > 1
            && match self.writer.merge(&segments).wait() {
                Ok(_) => true,
                Err(e) => {
                    log::warn!(
                        "the rebuilt search index stays in {} segments: {e}",
                        segments.len()
                    );
                    false
                }
            };
        self.writer
            .set_merge_policy(Box::new(DefaultMergePolicy::default()));
        self.search.set_rebuilding(false);
        if merged {
            self.search.reader().reload()?;
        }
        Ok(())
    }

    /// The index this feed writes to.
    pub fn search(&self) -> &SearchIndex {
        &self.search
    }
}

/// Most results shown per group of this kind (0: no limit): one per
/// question thread, two per article (the page or its sections).
fn group_limit(kind: &str) -> u64 {
    match kind {
        "question" => 1,
        "article" => 2,
        _ => 0,
    }
}

fn to_tantivy(fields: &super::Fields, doc: &SearchDoc) -> TantivyDocument {
    let mut out = TantivyDocument::default();
    out.add_text(fields.group, &doc.group);
    out.add_text(fields.kind, &doc.kind);
    out.add_text(fields.url, &doc.url);
    // A link into a page (an answer, a section) marks a part of the group.
    let part = doc.url.contains('#');
    // An answer repeats its thread's title: the selection finds the thread
    // by its question and the answer by its own words.
    let selects_by_title = !(part && doc.kind == "question");
    // The displayed title is the first value of the title fields; the
    // context follows as further values (ranked alike, never shown).
    for title in std::iter::once(&doc.title).chain(&doc.context) {
        out.add_text(fields.title, title);
        out.add_text(fields.title_stem, title);
        if selects_by_title {
            out.add_text(fields.title_select, title);
        }
    }
    out.add_text(fields.body, &doc.body);
    out.add_text(fields.body_stem, &doc.body);
    out.add_text(fields.tags, doc.tags.join(" "));
    out.add_text(fields.breadcrumb, &doc.breadcrumb);
    out.add_u64(fields.boost, schema::boost_value(doc.boost));
    out.add_u64(fields.solved, u64::from(doc.solved));
    out.add_u64(fields.group_hash, schema::group_key(&doc.group));
    out.add_u64(fields.group_limit, group_limit(&doc.kind));
    out.add_u64(fields.part, u64::from(part));
    let title_words = super::query::analyze(&doc.title).join(" ");
    out.add_u64(fields.title_hash, schema::title_key(&title_words));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(search: &SearchIndex) -> usize {
        search
            .index()
            .searchable_segment_ids()
            .map(|ids| ids.len())
            .unwrap_or(0)
    }

    /// An index another process writes (a server of another version) is
    /// not wiped by an open that finds it needs a rebuild.
    #[test]
    fn an_index_in_use_is_not_cleared_for_a_rebuild() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (search, _) = SearchIndex::open(dir.path()).expect("open");
        let mut feed = search.feed().expect("feed");
        feed.stage(&[GroupUpdate {
            group: "question:1".into(),
            docs: vec![SearchDoc {
                kind: "question".into(),
                group: "question:1".into(),
                url: "/questions/1".into(),
                title: "Printer offline".into(),
                body: "The printer goes offline every morning.".into(),
                boost: 1.0,
                ..Default::default()
            }],
        }])
        .expect("stage");
        feed.commit(1).expect("commit");
        // Another version's index: its payload names an older schema.
        let meta = dir.path().join("meta.json");
        let text = std::fs::read_to_string(&meta).expect("meta.json");
        let version = format!("\\\"schema\\\":{}", schema::VERSION);
        assert!(text.contains(&version), "{text}");
        let older = format!("\\\"schema\\\":{}", schema::VERSION - 1);
        std::fs::write(&meta, text.replace(&version, &older)).expect("write meta.json");

        let refused = SearchIndex::open(dir.path());
        let Err(error) = refused else {
            panic!("an index held by another writer was opened for a rebuild");
        };
        assert!(error.to_string().contains("stop it first"), "{error}");
        let files = std::fs::read_dir(dir.path()).expect("dir").count();
        assert!(files > 3, "the index files were removed ({files} left)");
        drop(feed);
        let (_, needs_rebuild) = SearchIndex::open(dir.path()).expect("open once free");
        assert!(needs_rebuild);
    }

    /// Question `id` as the one document of its group.
    fn question(id: u32, body: &str) -> GroupUpdate {
        GroupUpdate {
            group: format!("question:{id}"),
            docs: vec![SearchDoc {
                kind: "question".into(),
                group: format!("question:{id}"),
                url: format!("/questions/{id}"),
                title: format!("Printer error {id}"),
                body: body.to_string(),
                boost: 1.0,
                ..Default::default()
            }],
        }
    }

    /// A rebuild's partial commits each leave a segment; the rebuild ends
    /// in one, which keeps the commit payload, and later commits merge as
    /// before.
    #[test]
    fn a_rebuild_ends_in_one_segment() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (search, _) = SearchIndex::open(dir.path()).expect("open");
        let mut feed = search.feed().expect("feed");
        let update = |id: u32| question(id, "The printer shows an error after the update.");
        feed.stage(&[update(99_999)]).expect("stage");
        feed.commit(1).expect("commit");
        feed.begin_rebuild().expect("begin");
        for batch in 0..5 {
            let updates: Vec<GroupUpdate> = (0..50).map(|n| update(batch * 100 + n)).collect();
            feed.stage(&updates).expect("stage");
            feed.commit_partial().expect("partial commit");
        }
        assert_eq!(segments(&search), 5, "no merge during the rebuild");
        feed.finish_rebuild(7, 7).expect("finish");
        assert_eq!(segments(&search), 1);
        assert_eq!(search.num_docs(), 250, "the document from before is gone");
        for n in 0..3 {
            feed.stage(&[update(1000 + n)]).expect("stage");
            feed.commit(8 + i64::from(n)).expect("commit");
        }
        feed.finish().expect("finish");
        let (reopened, needs_rebuild) = SearchIndex::open(dir.path()).expect("reopen");
        assert!(
            !needs_rebuild,
            "the merge kept the payload of a complete index"
        );
        assert_eq!(reopened.num_docs(), 253);
        assert!(segments(&reopened) <= 4);
    }

    /// Commits of a bulk write each leave a segment; `finish` waits for
    /// the merges they start, so the index is left in few segments.
    #[test]
    fn finishing_waits_for_the_merges_of_a_rebuild() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (search, _) = SearchIndex::open(dir.path()).expect("open");
        let mut feed = search.feed().expect("feed");
        let batches = 8;
        for batch in 0..batches {
            let body = "The printer shows an error after the update. ".repeat(20);
            let updates: Vec<GroupUpdate> = (0..200)
                .map(|n| question(batch * 1000 + n, &body))
                .collect();
            feed.stage(&updates).expect("stage");
            feed.commit(i64::from(batch + 1)).expect("commit");
        }
        feed.finish().expect("finish");
        let (reopened, needs_rebuild) = SearchIndex::open(dir.path()).expect("reopen");
        assert!(!needs_rebuild);
        assert_eq!(reopened.num_docs(), 1600);
        let left = segments(&reopened);
        assert!(left < 8, "{batches} commits left {left} segments");
    }
}
