//! The indexer task: the one place that reads the search outbox and feeds the
//! search index. It turns database rows into [`SearchDoc`]s, applies outbox
//! entries in batches (at most one commit every [`COMMIT_INTERVAL`]), and
//! rebuilds the whole index from the database when asked or when the index
//! was missing at start.
//!
//! Several nodes can share one database, each with its own index fed from
//! the same outbox: [`cursor`] tracks one index's progress (entries may
//! become visible out of id order on PostgreSQL), [`nodes`] records every
//! node's watermark so the outbox is pruned only below the slowest live
//! node, and a node that comes back after its entries were pruned rebuilds.

pub mod cursor;
pub mod nodes;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::background::{Background, Control, Wake};
use crate::content::trees::{NodeKind, Tree};
use crate::db::models::{answers, articles, comments, known_issues, outbox, questions, trees};
use crate::db::{Conn, Pool};
use crate::error::{AppError, AppResult};
use crate::ids::{ArticleId, KnownIssueId, QuestionId, TreeId};
use crate::kinds::DocKind;
use crate::search::indexer::GroupUpdate;
use crate::search::{IndexFeed, SearchDoc, SearchIndex};
pub use cursor::FeedCursor;
use nodes::IndexStanding;

/// Articles with at least this much text are also indexed per section.
pub const SECTIONED_ARTICLE_CHARS: usize = 1500;

/// Minimum time between two commits of the index.
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(500);
/// How often the outbox is polled when nobody signals: other nodes' writes
/// become searchable here within this plus [`COMMIT_INTERVAL`].
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Outbox entries read per batch.
const BATCH: i64 = 2000;
/// How often the node's watermark is written to `index_nodes` at least.
const REPORT_INTERVAL: Duration = Duration::from_secs(30);
/// How often at most (a moving watermark is reported this often).
const REPORT_MIN_INTERVAL: Duration = Duration::from_secs(5);
/// How far below the newest entry a rebuild looks for ids of transactions
/// still open (see [`cursor`]).
const REBUILD_HOLE_WINDOW: i32 = 10_000;
/// When the heap freed by a rebuild is handed back again (besides at once):
/// its segment merges run on after the last commit, longer on a busy
/// machine. Each trim costs a few milliseconds.
const TRIMS_AFTER_REBUILD: [Duration; 3] = [
    Duration::from_secs(20),
    Duration::from_secs(60),
    Duration::from_secs(180),
];

/// The search documents of one outbox subject; empty when it is gone or hidden.
pub fn documents_for(conn: &mut Conn, kind: DocKind, id: i32) -> AppResult<Vec<SearchDoc>> {
    match kind {
        DocKind::Article => {
            let Some(found) = articles::find_with_manual(conn, ArticleId(id))? else {
                return Ok(Vec::new());
            };
            if !found.article.is_published() {
                return Ok(Vec::new());
            }
            Ok(article_documents(
                &found.article,
                &found.manual_slug,
                &found.manual_title,
                &group_key(kind, id),
            ))
        }
        DocKind::Step => {
            let Some(row) = trees::find(conn, TreeId(id))? else {
                return Ok(Vec::new());
            };
            let tree: Tree = row.tree().map_err(AppError::internal)?;
            Ok(tree_documents(&tree, &group_key(kind, id)))
        }
        DocKind::Question => {
            let Some(q) = questions::find(conn, QuestionId(id))? else {
                return Ok(Vec::new());
            };
            if q.deleted_at.is_some() {
                return Ok(Vec::new());
            }
            let listed = answers::for_question(conn, QuestionId(id), false)?;
            let remarks = comments::for_question(conn, QuestionId(id), false)?;
            Ok(question_documents(
                &q,
                &listed,
                &remarks,
                &group_key(kind, id),
            ))
        }
        DocKind::Issue => {
            let Some(issue) = known_issues::find(conn, KnownIssueId(id))? else {
                return Ok(Vec::new());
            };
            Ok(vec![issue_document(&issue, &group_key(kind, id))])
        }
    }
}

/// Ranking multiplier of an open known issue: above every other kind, so
/// an issue whose symptoms match a query is the first result.
pub const OPEN_ISSUE_BOOST: f64 = 8.0;

/// Ranking multiplier of a fixed or won't-fix issue: below other results
/// that match as well (its page still says what happened).
pub const CLOSED_ISSUE_BOOST: f64 = 0.3;

/// A known issue is one document: its symptoms and workaround as the body,
/// its search terms ranked like its title, its tags as tags. An open one is
/// ranked first among equal matches; a closed one below other results.
fn issue_document(issue: &known_issues::KnownIssue, group: &str) -> SearchDoc {
    let workaround = crate::markdown::render_post(&issue.workaround_md).text;
    let mut body = issue.symptoms_text.clone();
    for extra in [
        workaround,
        issue.version_list().join(" "),
        issue.platform_list().join(" "),
    ] {
        if !extra.is_empty() {
            body.push('\n');
            body.push_str(&extra);
        }
    }
    let open = issue.status.is_open();
    SearchDoc {
        kind: DocKind::Issue.to_string(),
        group: group.to_string(),
        url: crate::paths::known_issue(&issue.slug),
        title: issue.title.clone(),
        context: issue.term_list(),
        body,
        tags: issue.tag_list(),
        breadcrumb: format!("Known issues \u{203a} {}", issue.status.label()),
        boost: if open {
            OPEN_ISSUE_BOOST
        } else {
            CLOSED_ISSUE_BOOST
        },
        solved: false,
    }
}

/// An article is searchable as a whole, its description ranked like its
/// title; a long one also section by section (each linked by its heading
/// anchor), so a query for one error message lands on the section that
/// explains it.
fn article_documents(
    a: &articles::Article,
    manual_slug: &str,
    manual_title: &str,
    group: &str,
) -> Vec<SearchDoc> {
    let url = crate::paths::article(manual_slug, &a.slug);
    let boost = if a.outdated_reason.is_some() {
        0.6
    } else {
        1.0
    };
    let mut docs = vec![SearchDoc {
        kind: DocKind::Article.to_string(),
        group: group.to_string(),
        url: url.clone(),
        title: a.title.clone(),
        // The description says in one sentence what the page is for.
        context: vec![a.description.clone()],
        body: a.body_text.clone(),
        tags: a.tag_list(),
        breadcrumb: manual_title.to_string(),
        boost,
        solved: false,
    }];
    if a.body_text.chars().count() < SECTIONED_ARTICLE_CHARS {
        return docs;
    }
    let (_, sections) = crate::markdown::html_sections(&a.body_html);
    if sections.len() < 2 {
        return docs;
    }
    // The heading path: the article, the current h2, then the h3.
    let mut h2: Option<&str> = None;
    for section in &sections {
        let path = match (section.level, h2) {
            (3, Some(parent)) => {
                format!("{} \u{203a} {parent} \u{203a} {}", a.title, section.title)
            }
            _ => format!("{} \u{203a} {}", a.title, section.title),
        };
        if section.level == 2 {
            h2 = Some(&section.title);
        }
        if section.text.is_empty() {
            continue;
        }
        docs.push(SearchDoc {
            kind: DocKind::Article.to_string(),
            group: group.to_string(),
            url: crate::paths::article_section(&url, &section.id),
            title: path,
            context: Vec::new(),
            body: section.text.clone(),
            tags: Vec::new(),
            breadcrumb: manual_title.to_string(),
            boost,
            solved: false,
        });
    }
    docs
}

/// A question thread: the question (with its accepted answer) and every
/// answer on its own, linked by its anchor, so that an answer's own words
/// find it however many answers the thread has. Results show one document
/// per thread. Comments are searched as part of the post they are under
/// (never on their own).
fn question_documents(
    q: &questions::Question,
    listed: &[answers::Answer],
    remarks: &[comments::Comment],
    group: &str,
) -> Vec<SearchDoc> {
    let with_comments = |mut body: String, on: Option<crate::ids::AnswerId>| {
        for c in remarks.iter().filter(|c| c.answer_id == on) {
            body.push('\n');
            body.push_str(&c.body_text);
        }
        body
    };
    let solved = q.accepted_answer_id.is_some();
    // Equal text relevance: solved first, then higher scores.
    let score_factor = 1.0 + (f64::from(q.score.max(0)) + 1.0).ln() * 0.15;
    let mut boost = score_factor * if solved { 1.5 } else { 1.0 };
    if q.score < 0 {
        boost *= 0.7;
    }
    if q.closed_reason.is_some() {
        boost *= 0.7;
    }
    let breadcrumb = match (&q.closed_reason, solved) {
        (Some(_), _) => "Questions \u{203a} closed".to_string(),
        (None, true) => "Questions".to_string(),
        (None, false) => format!(
            "Questions \u{203a} {} answer{}",
            q.answer_count,
            if q.answer_count == 1 { "" } else { "s" }
        ),
    };
    let mut body = with_comments(q.body_text.clone(), None);
    if let Some(accepted) = listed.iter().find(|a| Some(a.id) == q.accepted_answer_id) {
        body.push('\n');
        body.push_str(&accepted.body_text);
    }
    let mut docs = vec![SearchDoc {
        kind: DocKind::Question.to_string(),
        group: group.to_string(),
        url: q.path(),
        title: q.title.clone(),
        context: Vec::new(),
        body,
        tags: q.tag_list(),
        breadcrumb: breadcrumb.clone(),
        boost,
        solved,
    }];
    for answer in listed {
        let accepted = Some(answer.id) == q.accepted_answer_id;
        let votes = 1.0 + (f64::from(answer.score.max(0)) + 1.0).ln() * 0.1;
        let answer_boost = if accepted {
            1.2
        } else if answer.score < 0 {
            0.7
        } else {
            votes
        };
        docs.push(SearchDoc {
            kind: DocKind::Question.to_string(),
            group: group.to_string(),
            url: crate::paths::answer_on(&q.path(), answer.id),
            title: q.title.clone(),
            context: Vec::new(),
            body: with_comments(answer.body_text.clone(), Some(answer.id)),
            tags: Vec::new(),
            breadcrumb: breadcrumb.clone(),
            boost: boost * answer_boost,
            solved,
        });
    }
    docs
}

/// The URL of a tree step: the answers that lead there, in the query string.
pub fn step_url(tree: &Tree, node: &str) -> Option<String> {
    let path = tree.path_to(node)?;
    if path.is_empty() {
        return Some(crate::paths::tree(&tree.slug));
    }
    let pairs = path.iter().map(|(node, key)| (node.as_str(), key.as_str()));
    Some(crate::paths::tree_step(&tree.slug, pairs))
}

/// The summaries of the answers on the way to `node` (along the path its
/// link encodes), except the last one.
fn earlier_summaries(tree: &Tree, node: &str) -> Vec<String> {
    let path = tree.path_to(node).unwrap_or_default();
    let earlier = path.len().saturating_sub(1);
    path.iter()
        .take(earlier)
        .filter_map(|(from, key)| {
            let option = tree.node(from)?.options.iter().find(|o| &o.key == key)?;
            Some(option.summary.clone())
        })
        .collect()
}

/// One document for the tree (its start page, which asks the first
/// question) and one per later question or fix node. A step is also found
/// by what leads to it: the tree's title, the summaries of the answers
/// that point to it and of the answers given on the way there rank like its
/// title, and the labels of the answers that point to it (often the message
/// the customer sees) like its body.
fn tree_documents(tree: &Tree, group: &str) -> Vec<SearchDoc> {
    let breadcrumb = format!("Troubleshooting \u{203a} {}", tree.title);
    let mut root = SearchDoc {
        kind: DocKind::Step.to_string(),
        group: group.to_string(),
        url: crate::paths::tree(&tree.slug),
        title: tree.title.clone(),
        context: Vec::new(),
        body: tree.description.clone(),
        tags: tree.tags.clone(),
        breadcrumb: "Troubleshooting".into(),
        boost: 1.1,
        solved: false,
    };
    let mut docs = Vec::new();
    for node in &tree.nodes {
        if node.kind == NodeKind::Escalate {
            continue;
        }
        let mut body = node.text_plain.clone();
        for option in &node.options {
            body.push('\n');
            body.push_str(&option.label);
        }
        if node.id == tree.start {
            // The tree's page asks the first question: one document, one link.
            root.context.push(node.title.clone());
            root.body = format!("{}\n{body}", root.body);
            continue;
        }
        let Some(url) = step_url(tree, &node.id) else {
            continue;
        };
        let mut context = vec![tree.title.clone()];
        for from in &tree.nodes {
            for option in from.options.iter().filter(|o| o.goto == node.id) {
                context.push(option.summary.clone());
                body.push('\n');
                body.push_str(&option.label);
            }
        }
        // The answers given on the way (the first path, the one its link
        // encodes): a step deep in a tree is told from its siblings by the
        // branch that leads to it, not only by its last answer.
        for summary in earlier_summaries(tree, &node.id) {
            if !context.contains(&summary) {
                context.push(summary);
            }
        }
        docs.push(SearchDoc {
            kind: DocKind::Step.to_string(),
            group: group.to_string(),
            url,
            title: node.title.clone(),
            context,
            body,
            tags: tree.tags.clone(),
            breadcrumb: breadcrumb.clone(),
            boost: if node.kind == NodeKind::Fix { 1.0 } else { 0.8 },
            solved: false,
        });
    }
    docs.insert(0, root);
    docs
}

/// The group key of an outbox subject.
pub fn group_key(kind: DocKind, id: i32) -> String {
    format!("{kind}:{id}")
}

/// Every outbox subject that exists now, for a full rebuild.
pub fn all_subjects(conn: &mut Conn) -> AppResult<Vec<(DocKind, i32)>> {
    let mut subjects: Vec<(DocKind, i32)> = articles::all_ids(conn)?
        .into_iter()
        .map(|id| (DocKind::Article, id.into()))
        .collect();
    subjects.extend(
        trees::all_ids(conn)?
            .into_iter()
            .map(|id| (DocKind::Step, id.into())),
    );
    subjects.extend(
        questions::all_ids(conn)?
            .into_iter()
            .map(|id| (DocKind::Question, id.into())),
    );
    subjects.extend(
        known_issues::all_ids(conn)?
            .into_iter()
            .map(|id| (DocKind::Issue, id.into())),
    );
    Ok(subjects)
}

/// Rebuilds the whole index from the database. `progress(done, total)` is
/// called as it goes. Returns the number of documents written.
pub fn rebuild(pool: &Pool, feed: &mut IndexFeed, progress: &dyn Fn(u64, u64)) -> AppResult<u64> {
    rebuild_from(pool, feed, progress).map(|(written, _)| written)
}

/// [`rebuild`], also returning where the outbox feed resumes: after the
/// newest entry when the rebuild began, with the ids missing below it then
/// (on PostgreSQL, transactions still open) as holes to watch.
fn rebuild_from(
    pool: &Pool,
    feed: &mut IndexFeed,
    progress: &dyn Fn(u64, u64),
) -> AppResult<(u64, FeedCursor)> {
    let mut conn = pool.get()?;
    let started = Instant::now();
    // Everything up to this id is covered by reading the rows below;
    // later entries are applied afterwards (re-applying is harmless). Pruned
    // entries are covered too: with the outbox pruned empty, the newest id
    // is the prune mark, else the rebuilt index would count as behind it.
    let pruned = outbox::pruned_through(&mut conn)?;
    let covered = outbox::max_id(&mut conn)?.max(pruned);
    let floor = pruned.max(covered - REBUILD_HOLE_WINDOW);
    let present = outbox::ids_between(&mut conn, floor, covered)?;
    let missing = missing_ids(floor, covered, &present);
    let cursor = FeedCursor::with_holes(covered, &missing, started);
    let subjects = all_subjects(&mut conn)?;
    let total = subjects.len() as u64;
    feed.begin_rebuild()?;
    let mut written = 0;
    for (i, chunk) in subjects.chunks(500).enumerate() {
        let mut updates = Vec::with_capacity(chunk.len());
        for (kind, id) in chunk {
            let docs = documents_for(&mut conn, *kind, *id)?;
            written += docs.len() as u64;
            updates.push(GroupUpdate {
                group: group_key(*kind, *id),
                docs,
            });
        }
        feed.stage(&updates)?;
        if i % 20 == 19 {
            feed.commit_partial()?;
        }
        progress(((i * 500) + chunk.len()) as u64, total);
    }
    feed.finish_rebuild(i64::from(cursor.watermark()), i64::from(cursor.read()))?;
    progress(total, total);
    Ok((written, cursor))
}

/// The ids in `floor + 1 ..= covered` that are not in `present` (ascending).
fn missing_ids(floor: i32, covered: i32, present: &[i32]) -> Vec<i32> {
    let mut present = present.iter().peekable();
    let mut missing = Vec::new();
    for id in floor.saturating_add(1)..=covered {
        while present.next_if(|p| **p < id).is_some() {}
        if present.next_if_eq(&&id).is_none() {
            missing.push(id);
        }
    }
    missing
}

/// Applies the outbox entries after the cursor, and the skipped ones that
/// appeared since; returns how many entries were applied (0 when up to date).
pub fn apply_pending(
    pool: &Pool,
    feed: &mut IndexFeed,
    cursor: &mut FeedCursor,
) -> AppResult<usize> {
    let now = Instant::now();
    let mut conn = pool.get()?;
    let entries = outbox::pending_after(&mut conn, cursor.read(), BATCH)?;
    let holes = cursor.holes();
    let filled = if holes.is_empty() {
        Vec::new()
    } else {
        outbox::with_ids(&mut conn, &holes)?
    };
    if entries.is_empty() && filled.is_empty() {
        cursor.expire(now);
        return Ok(0);
    }
    let subjects: BTreeSet<(DocKind, i32)> = entries
        .iter()
        .chain(&filled)
        .filter_map(|e| match e.kind() {
            Ok(kind) => Some((kind, e.doc_id)),
            Err(err) => {
                log::warn!("search outbox: {err} (id {}) skipped", e.doc_id);
                None
            }
        })
        .collect();
    let mut updates = Vec::with_capacity(subjects.len());
    for (kind, id) in &subjects {
        updates.push(GroupUpdate {
            group: group_key(*kind, *id),
            docs: documents_for(&mut conn, *kind, *id)?,
        });
    }
    feed.stage(&updates)?;
    let batch: Vec<i32> = entries.iter().map(|e| e.id).collect();
    let appeared: Vec<i32> = filled.iter().map(|e| e.id).collect();
    cursor.advance(&batch, &appeared, now);
    cursor.expire(now);
    feed.commit_progress(i64::from(cursor.watermark()), i64::from(cursor.read()))?;
    Ok(entries.len() + filled.len())
}

/// Wakes the indexer task after a write (cheap; never blocks).
pub type IndexerSignal = Wake;

/// The running indexer task; stops and joins when dropped.
pub struct IndexerTask(Background);

impl IndexerTask {
    /// Takes the index writer, registers this node's index in the database
    /// (as `node`) and starts the task. The index is first rebuilt from the
    /// database when `needs_rebuild` (it was missing or unusable) or when
    /// registration finds it behind the pruned outbox or ahead of the
    /// database; searches meanwhile say so.
    pub fn start(
        pool: Pool,
        search: SearchIndex,
        needs_rebuild: bool,
        node: &str,
    ) -> AppResult<IndexerTask> {
        let mut feed = search.feed().map_err(|e| {
            AppError::Internal(format!("cannot open the search index for writing ({e}); is another signpost process using this data dir?"))
        })?;
        let watermark = i32::try_from(search.applied_id()).unwrap_or(i32::MAX);
        let standing = {
            let mut conn = pool.get()?;
            nodes::register(
                &mut conn,
                node,
                watermark,
                !needs_rebuild,
                crate::db::unix_now(),
            )?
        };
        match standing {
            IndexStanding::Behind { watermark, pruned } => log::warn!(
                "search index of node {node} applied the outbox up to {watermark}, but entries up to {pruned} were pruned while it was away; rebuilding it"
            ),
            IndexStanding::Ahead { watermark, newest } => log::warn!(
                "search index of node {node} is ahead of the database (outbox {watermark}, database {newest}; restored from a backup?); rebuilding it"
            ),
            IndexStanding::Current | IndexStanding::Unusable => {}
        }
        let needs_rebuild = standing.needs_rebuild();
        if needs_rebuild {
            feed.begin_rebuild()?;
        }
        let task = FeedTask {
            pool,
            node: node.to_string(),
        };
        let cursor = FeedCursor::at(watermark);
        Background::spawn("search-indexer", move |control| {
            task.run(&control, feed, cursor, needs_rebuild)
        })
        .map(IndexerTask)
    }

    /// A handle to wake the task.
    pub fn signal(&self) -> IndexerSignal {
        self.0.wake()
    }
}

/// What the indexer thread owns besides the index writer.
struct FeedTask {
    pool: Pool,
    node: String,
}

impl FeedTask {
    fn run(
        self,
        control: &Control,
        mut feed: IndexFeed,
        mut cursor: FeedCursor,
        mut needs_rebuild: bool,
    ) {
        let mut last_commit = Instant::now() - COMMIT_INTERVAL;
        let mut last_report: Option<(Instant, i32)> = None;
        let mut failures = 0u32;
        let mut trims: Vec<Instant> = Vec::new();
        while !control.stopping() {
            let due = trims.len();
            trims.retain(|at| *at > Instant::now());
            if trims.len() < due {
                crate::memory::return_freed_heap();
            }
            if needs_rebuild {
                let started = Instant::now();
                match rebuild_from(&self.pool, &mut feed, &|_, _| {}) {
                    Ok((n, resumed)) => {
                        log::info!(
                            "search index rebuilt: {n} documents in {:.1?}",
                            started.elapsed()
                        );
                        cursor = resumed;
                        needs_rebuild = false;
                        last_report = None;
                        // The writer's buffers of the rebuild are freed but
                        // kept by the allocator; its merges end later, so
                        // once now and again after them.
                        crate::memory::return_freed_heap();
                        let now = Instant::now();
                        trims = TRIMS_AFTER_REBUILD.iter().map(|d| now + *d).collect();
                    }
                    Err(e) => {
                        log::error!("search index rebuild failed: {e} (retrying)");
                        failures += 1;
                        self.pause(failures);
                        continue;
                    }
                }
            }
            let since = last_commit.elapsed();
            if since < COMMIT_INTERVAL {
                std::thread::sleep(COMMIT_INTERVAL - since);
            }
            match apply_pending(&self.pool, &mut feed, &mut cursor) {
                Ok(0) => {
                    failures = 0;
                    control.wait(POLL_INTERVAL);
                }
                Ok(_) => {
                    failures = 0;
                    last_commit = Instant::now();
                }
                Err(e) => {
                    failures += 1;
                    log::error!("search indexer: {e} (retrying)");
                    self.pause(failures);
                }
            }
            let watermark = cursor.watermark();
            let due = match last_report {
                None => true,
                Some((at, reported)) => {
                    at.elapsed() >= REPORT_INTERVAL
                        || (reported != watermark && at.elapsed() >= REPORT_MIN_INTERVAL)
                }
            };
            if due {
                match self.report(watermark) {
                    Ok(true) => {
                        log::warn!(
                            "search outbox entries after {watermark} were pruned before node {} applied them; rebuilding its index",
                            self.node
                        );
                        needs_rebuild = true;
                        if let Err(e) = feed.begin_rebuild() {
                            log::error!("search index: {e}");
                        }
                    }
                    Ok(false) => {}
                    Err(e) => log::warn!("search indexer: cannot report progress: {e}"),
                }
                last_report = Some((Instant::now(), watermark));
            }
        }
    }

    fn report(&self, watermark: i32) -> AppResult<bool> {
        let mut conn = self.pool.get()?;
        nodes::report(&mut conn, &self.node, watermark, crate::db::unix_now())
    }

    fn pause(&self, failures: u32) {
        std::thread::sleep(Duration::from_millis(200 * u64::from(failures.min(25))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_ids_between_a_floor_and_the_newest() {
        assert_eq!(missing_ids(0, 5, &[1, 2, 3, 4, 5]), Vec::<i32>::new());
        assert_eq!(missing_ids(0, 5, &[1, 3, 5]), vec![2, 4]);
        assert_eq!(missing_ids(10, 13, &[]), vec![11, 12, 13]);
        assert_eq!(missing_ids(2, 4, &[1, 2, 4, 9]), vec![3]);
    }

    #[test]
    fn a_step_is_found_by_the_answers_on_the_way_to_it() {
        let mut diags = Vec::new();
        let tree = crate::content::trees::parse_str(
            std::path::Path::new("cannot-sign-in.toml"),
            include_str!("../../content/troubleshooting/cannot-sign-in.toml"),
            crate::content::trees::DEFAULT_MAX_DEPTH,
            &mut diags,
        );
        assert!(diags.is_empty(), "{diags:?}");
        let tree = tree.expect("the tree parses");
        let summary = |node: &str, key: &str| {
            let node = tree.node(node).expect("node");
            let option = node.options.iter().find(|o| o.key == key).expect("option");
            option.summary.clone()
        };
        let docs = tree_documents(&tree, "tree:1");
        let context = |url: &str| {
            let doc = docs.iter().find(|d| d.url == url);
            doc.unwrap_or_else(|| panic!("no step at {url}: {docs:?}"))
                .context
                .clone()
        };
        // Two answers deep: the tree, the answer pointing to the step, then
        // the one given before it on the path its link encodes.
        assert_eq!(
            context("/troubleshoot/cannot-sign-in?login-message=form-expired&address-scheme=https"),
            vec![
                tree.title.clone(),
                summary("address-scheme", "https"),
                summary("login-message", "form-expired"),
            ]
        );
        // One answer deep: every answer pointing to it, nothing earlier.
        assert_eq!(
            context("/troubleshoot/cannot-sign-in?login-message=form-expired"),
            vec![
                tree.title.clone(),
                summary("login-message", "form-expired"),
                summary("login-message", "signed-out"),
            ]
        );
    }
}
