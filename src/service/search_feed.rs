//! The indexer task: the one place that reads the search outbox and feeds the
//! search index. It turns database rows into [`SearchDoc`]s, applies outbox
//! entries in batches (at most one commit every [`COMMIT_INTERVAL`]), and
//! rebuilds the whole index from the database when asked or when the index
//! was missing at start.

use std::collections::BTreeSet;
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use crate::content::trees::{NodeKind, Tree};
use crate::db::models::{answers, articles, outbox, questions, trees};
use crate::db::{Conn, Pool};
use crate::error::{AppError, AppResult};
use crate::ids::{ArticleId, QuestionId, TreeId};
use crate::kinds::DocKind;
use crate::search::indexer::GroupUpdate;
use crate::search::{IndexFeed, SearchDoc, SearchIndex};
use crate::service::background::{BackgroundThread, Control};

/// Articles with at least this much text are also indexed per section.
pub const SECTIONED_ARTICLE_CHARS: usize = 1500;

/// Minimum time between two commits of the index.
pub const COMMIT_INTERVAL: Duration = Duration::from_millis(500);
/// How often the outbox is polled when nobody signals (other nodes' writes).
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Outbox entries read per batch.
const BATCH: i64 = 2000;
/// Applied outbox entries older than this are pruned.
const OUTBOX_RETENTION_SECS: i64 = 7 * 24 * 3600;

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
            Ok(question_documents(&q, &listed, &group_key(kind, id)))
        }
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
/// per thread.
fn question_documents(
    q: &questions::Question,
    listed: &[answers::Answer],
    group: &str,
) -> Vec<SearchDoc> {
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
    let mut body = q.body_text.clone();
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
            body: answer.body_text.clone(),
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

/// One document for the tree (its start page, which asks the first
/// question) and one per later question or fix node. A step is also found
/// by what leads to it: the tree's title and the summaries of the answers
/// that point to it rank like its title, and their labels (often the
/// message the customer sees) like its body.
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
    Ok(subjects)
}

/// Rebuilds the whole index from the database. `progress(done, total)` is
/// called as it goes. Returns the number of documents written.
pub fn rebuild(pool: &Pool, feed: &mut IndexFeed, progress: &dyn Fn(u64, u64)) -> AppResult<u64> {
    let mut conn = pool.get()?;
    // Everything up to this id is covered by reading the rows below;
    // later entries are applied afterwards (re-applying is harmless).
    let covered = outbox::max_id(&mut conn)?;
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
    feed.finish_rebuild(i64::from(covered))?;
    progress(total, total);
    Ok(written)
}

/// Applies outbox entries after the index's last applied id; returns how many
/// entries were applied (0 when up to date).
pub fn apply_pending(pool: &Pool, feed: &mut IndexFeed) -> AppResult<usize> {
    let mut conn = pool.get()?;
    let applied = feed.search().applied_id();
    let after = i32::try_from(applied).unwrap_or(i32::MAX);
    let entries = outbox::pending_after(&mut conn, after, BATCH)?;
    let Some(last) = entries.last().map(|e| e.id) else {
        return Ok(0);
    };
    let subjects: BTreeSet<(DocKind, i32)> = entries
        .iter()
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
    feed.commit(i64::from(last))?;
    Ok(entries.len())
}

/// Wakes the indexer task after a write (cheap; never blocks).
#[derive(Clone, Debug)]
pub struct IndexerSignal(Sender<()>);

impl IndexerSignal {
    /// Tells the indexer there is something in the outbox.
    pub fn notify(&self) {
        let _ = self.0.send(());
    }
}

/// The running indexer task; stops and joins when dropped.
pub struct IndexerTask {
    signal: IndexerSignal,
    // Dropped last: stops and joins the thread.
    _thread: BackgroundThread,
}

impl IndexerTask {
    /// Takes the index writer and starts the task. When `needs_rebuild`, it
    /// first rebuilds the index from the database (searches meanwhile say so).
    pub fn start(pool: Pool, search: SearchIndex, needs_rebuild: bool) -> AppResult<IndexerTask> {
        let mut feed = search.feed().map_err(|e| {
            AppError::Internal(format!("cannot open the search index for writing ({e}); is another signpost process using this data dir?"))
        })?;
        if needs_rebuild {
            feed.begin_rebuild()?;
        }
        let thread = BackgroundThread::spawn("search-indexer", move |control| {
            run(pool, feed, control, needs_rebuild)
        })?;
        Ok(IndexerTask {
            signal: IndexerSignal(thread.waker()),
            _thread: thread,
        })
    }

    /// A handle to wake the task.
    pub fn signal(&self) -> IndexerSignal {
        self.signal.clone()
    }
}

fn run(pool: Pool, mut feed: IndexFeed, control: Control, needs_rebuild: bool) {
    if needs_rebuild {
        let started = Instant::now();
        match rebuild(&pool, &mut feed, &|_, _| {}) {
            Ok(n) => log::info!(
                "search index rebuilt: {n} documents in {:.1?}",
                started.elapsed()
            ),
            Err(e) => log::error!("search index rebuild failed: {e}"),
        }
    }
    let mut last_commit = Instant::now() - COMMIT_INTERVAL;
    let mut last_prune = Instant::now();
    let mut failures = 0u32;
    while !control.stopping() {
        let since = last_commit.elapsed();
        if since < COMMIT_INTERVAL {
            std::thread::sleep(COMMIT_INTERVAL - since);
        }
        match apply_pending(&pool, &mut feed) {
            Ok(0) => {
                failures = 0;
                match control.wake.recv_timeout(POLL_INTERVAL) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => break,
                }
                while control.wake.try_recv().is_ok() {}
            }
            Ok(_) => {
                failures = 0;
                last_commit = Instant::now();
            }
            Err(e) => {
                failures += 1;
                log::error!("search indexer: {e} (retrying)");
                std::thread::sleep(Duration::from_millis(200 * u64::from(failures.min(25))));
            }
        }
        if last_prune.elapsed() > Duration::from_secs(3600) {
            last_prune = Instant::now();
            let applied = i32::try_from(feed.search().applied_id()).unwrap_or(i32::MAX);
            let before = crate::db::unix_now() - OUTBOX_RETENTION_SECS;
            if let Ok(mut conn) = pool.get() {
                if let Err(e) = outbox::prune(&mut conn, applied, before) {
                    log::warn!("search outbox prune failed: {e}");
                }
            }
        }
    }
}
