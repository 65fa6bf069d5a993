//! Writes a validated [`ContentSet`] into the database: manuals and articles
//! are matched by slug and skipped when their content hash is unchanged; every
//! change enqueues a search outbox row in the same transaction.
//!
//! Rule for file-backed articles: the file is the source. An article whose
//! file disappeared is removed. Articles created in the browser (no source
//! file) are never touched by the sync.

use crate::content::{ArticleSource, ContentSet, ManualSource};
use crate::db::models::{articles, manuals, outbox, trees};
use crate::db::Conn;
use crate::error::AppResult;
use crate::ids::{ArticleId, ManualId};
use crate::kinds::DocKind;

/// What a sync changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Articles inserted.
    pub added: usize,
    /// Articles rewritten because their file changed.
    pub updated: usize,
    /// File-backed articles removed because their file is gone.
    pub removed: usize,
    /// Articles whose file did not change.
    pub unchanged: usize,
    /// Trees inserted or rewritten.
    pub trees_changed: usize,
    /// Trees removed because their file is gone.
    pub trees_removed: usize,
    /// Known issues inserted or rewritten from their file.
    pub issues_changed: usize,
    /// File-based known issues removed because their file is gone.
    pub issues_removed: usize,
    /// Files whose article (or known issue) was edited in the browser, so
    /// the file was not loaded.
    pub detached: Vec<String>,
}

/// Syncs `content` into the database in one transaction.
pub fn sync(conn: &mut Conn, content: &ContentSet, now: i64) -> AppResult<SyncReport> {
    conn.immediate_transaction(|conn| sync_in_transaction(conn, content, now))
}

/// The steps of a sync: manuals and their articles, articles whose file is
/// gone, trees, file-backed manuals left empty, then known issues.
fn sync_in_transaction(conn: &mut Conn, content: &ContentSet, now: i64) -> AppResult<SyncReport> {
    let mut report = SyncReport::default();
    let mut kept_article_ids = Vec::new();
    let mut kept_manual_ids = Vec::new();
    for manual in &content.manuals {
        let existing = manuals::find_by_slug(conn, &manual.slug)?;
        let manual_id = sync_manual(conn, manual, existing.as_ref(), now)?;
        kept_manual_ids.push(manual_id);
        let title_changed = existing.as_ref().is_some_and(|m| m.title != manual.title);
        for article in &manual.articles {
            let kept = sync_article(
                conn,
                ArticleInManual {
                    manual,
                    manual_id,
                    title_changed,
                    article,
                },
                now,
                &mut report,
            )?;
            kept_article_ids.push(kept);
        }
    }
    remove_missing_articles(conn, &kept_article_ids, now, &mut report)?;
    sync_trees(conn, content, now, &mut report)?;
    remove_empty_manuals(conn, &kept_manual_ids)?;
    let issues = crate::service::known_issues::sync_files(conn, &content.known_issues, now)?;
    report.issues_changed = issues.changed;
    report.issues_removed = issues.removed;
    report.detached.extend(issues.detached);
    Ok(report)
}

/// Writes the manual's row when it is new or its hash changed; returns its id.
fn sync_manual(
    conn: &mut Conn,
    manual: &ManualSource,
    existing: Option<&manuals::Manual>,
    now: i64,
) -> AppResult<ManualId> {
    if let Some(existing) = existing.filter(|m| m.content_hash == manual.hash) {
        return Ok(existing.id);
    }
    let source_path = manual.path.to_string_lossy();
    Ok(manuals::upsert(
        conn,
        &manuals::NewManual {
            slug: &manual.slug,
            title: &manual.title,
            description: &manual.description,
            intro_html: &manual.intro.html,
            weight: manual.weight,
            source_path: Some(&source_path),
            content_hash: &manual.hash,
            updated_at: now,
        },
        now,
    )?)
}

/// One article file and the manual it belongs to.
struct ArticleInManual<'a> {
    manual: &'a ManualSource,
    manual_id: ManualId,
    /// The manual's title changed, so unchanged articles are reindexed too.
    title_changed: bool,
    article: &'a ArticleSource,
}

/// Syncs one article file; returns the id of the article kept for it.
/// An article edited in the browser is kept and reported as detached; an
/// unchanged file is skipped; otherwise the file is written.
fn sync_article(
    conn: &mut Conn,
    at: ArticleInManual<'_>,
    now: i64,
    report: &mut SyncReport,
) -> AppResult<ArticleId> {
    let ArticleInManual {
        manual,
        manual_id,
        title_changed,
        article,
    } = at;
    let current = articles::find_in_manual(conn, manual_id, &article.slug)?;
    if let Some(current) = current.as_ref().filter(|c| c.source_path.is_none()) {
        // Edited (or created) in the browser: the database wins, never silently overwritten.
        if current.body_md != article.body_md || current.title != article.title {
            report.detached.push(format!(
                "{} differs from the article edited in the browser at /docs/{}/{}; the browser version is kept \
                 (open its editor and choose \"Return to the file version\" to load the file)",
                article.path.display(),
                manual.slug,
                article.slug
            ));
        }
        return Ok(current.id);
    }
    if let Some(current) = &current {
        if current.content_hash == article.hash && current.source_path.is_some() {
            report.unchanged += 1;
            if title_changed {
                outbox::enqueue(conn, DocKind::Article, current.id.into(), now)?;
            }
            return Ok(current.id);
        }
    }
    let id = write_article(conn, manual_id, article, now)?;
    if current.is_some() {
        report.updated += 1;
    } else {
        report.added += 1;
    }
    Ok(id)
}

/// Writes an article from its file, queues it for search and records the
/// file as a revision; returns its id.
fn write_article(
    conn: &mut Conn,
    manual_id: ManualId,
    article: &ArticleSource,
    now: i64,
) -> AppResult<ArticleId> {
    let tags = article.tags.join(",");
    let toc_json = serde_json::to_string(&article.rendered.toc).unwrap_or_else(|_| "[]".into());
    let path = article.path.to_string_lossy();
    let id = articles::upsert(
        conn,
        &articles::NewArticle {
            manual_id,
            slug: &article.slug,
            title: &article.title,
            description: &article.description,
            tags: &tags,
            weight: article.weight,
            body_md: &article.body_md,
            body_html: &article.rendered.html,
            body_text: &article.rendered.text,
            toc_json: &toc_json,
            outdated_reason: article.outdated.as_deref(),
            status: articles::STATUS_PUBLISHED,
            source_path: Some(&path),
            content_hash: &article.hash,
            updated_at: article.updated.unwrap_or(now),
        },
        now,
    )?;
    outbox::enqueue(conn, DocKind::Article, id.into(), now)?;
    crate::service::articles::record_file_revision(conn, id, &path, now)?;
    Ok(id)
}

/// Removes the file-backed articles whose file is gone.
fn remove_missing_articles(
    conn: &mut Conn,
    kept: &[ArticleId],
    now: i64,
    report: &mut SyncReport,
) -> AppResult<()> {
    for (id, _, _, _) in articles::file_backed(conn)? {
        if !kept.contains(&id) {
            articles::delete(conn, id)?;
            outbox::enqueue(conn, DocKind::Article, id.into(), now)?;
            report.removed += 1;
        }
    }
    Ok(())
}

/// Removes the file-backed manuals whose folder is gone and that hold no
/// article any more.
fn remove_empty_manuals(conn: &mut Conn, kept: &[ManualId]) -> AppResult<()> {
    for manual in manuals::list(conn)? {
        let file_backed = manual.source_path.is_some();
        if file_backed
            && !kept.contains(&manual.id)
            && articles::list_for_manual(conn, manual.id, true)?.is_empty()
        {
            manuals::delete(conn, manual.id)?;
        }
    }
    Ok(())
}

/// Writes every tree whose file is new or changed and removes the
/// file-backed trees whose file is gone.
fn sync_trees(
    conn: &mut Conn,
    content: &ContentSet,
    now: i64,
    report: &mut SyncReport,
) -> AppResult<()> {
    let mut kept = Vec::new();
    for source in &content.trees {
        let tree = &source.tree;
        if let Some(existing) = trees::find_by_slug(conn, &tree.slug)? {
            if existing.content_hash == source.hash {
                kept.push(existing.id);
                continue;
            }
        }
        let definition = serde_json::to_string(tree).map_err(crate::error::AppError::internal)?;
        let path = source.path.to_string_lossy();
        let tags = tree.tags.join(",");
        let id = trees::upsert(
            conn,
            &trees::NewTree {
                slug: &tree.slug,
                title: &tree.title,
                description: &tree.description,
                tags: &tags,
                definition: &definition,
                source_path: Some(&path),
                content_hash: &source.hash,
                updated_at: now,
            },
            now,
        )?;
        outbox::enqueue(conn, DocKind::Step, id.into(), now)?;
        kept.push(id);
        report.trees_changed += 1;
    }
    for row in trees::list(conn)? {
        if row.source_path.is_some() && !kept.contains(&row.id) {
            trees::delete(conn, row.id)?;
            outbox::enqueue(conn, DocKind::Step, row.id.into(), now)?;
            report.trees_removed += 1;
        }
    }
    Ok(())
}
