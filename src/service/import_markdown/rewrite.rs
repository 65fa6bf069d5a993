//! Rewriting the links of imported pages: a link to another page becomes
//! its `/docs/` URL (anchors checked, near spellings mended), a linked local
//! file is stored as an asset and linked at its URL, and every link that
//! cannot be resolved is reported with its file line.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use super::pages::{is_markdown, Page};
use super::{links, MarkdownImport};
use crate::content::Diagnostic;
use crate::db::Conn;
use crate::error::AppResult;
use crate::markdown;
use crate::service::assets;

/// What the link rewriting needs to know about the whole import.
pub(super) struct Context<'a> {
    /// The imported folder, canonical.
    pub(super) root: &'a Path,
    /// The folder as given, for reports.
    pub(super) shown_root: &'a Path,
    /// The manual's slug.
    pub(super) manual: &'a str,
    /// Pages by path relative to the root.
    pub(super) by_path: HashMap<PathBuf, usize>,
    /// Markdown files that could not be read (already reported).
    pub(super) unreadable: HashSet<PathBuf>,
    /// Linked files already handled: URL, or why not.
    pub(super) stored: HashMap<PathBuf, Result<String, String>>,
    /// The import's time.
    pub(super) now: i64,
}

/// What becomes of one link.
#[derive(Debug, Default)]
struct Outcome {
    /// The new destination, if it changes.
    url: Option<String>,
    /// What is wrong with it, if anything.
    problem: Option<String>,
}

/// Rewrites the links and images of `page`; reports the ones that cannot
/// be resolved.
pub(super) fn rewrite_links(
    conn: &mut Conn,
    context: &mut Context<'_>,
    pages: &[Page],
    page: &Page,
    report: &mut MarkdownImport,
) -> AppResult<String> {
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    for found in links::destinations(&page.text) {
        let outcome = resolve(conn, context, pages, page, &found.dest, report)?;
        let line = page.file_line(found.offset);
        if let Some(problem) = outcome.problem.filter(|_| found.report) {
            let what = if found.image { "image" } else { "link" };
            report.problems.push(Diagnostic::new(
                &page.shown,
                line,
                format!("{what} {:?}: {problem}", found.dest),
            ));
        }
        if let Some(url) = outcome.url {
            match found.range {
                Some(range) => edits.push((range, url)),
                None if found.report && !found.by_reference => {
                    report.problems.push(Diagnostic::new(
                        &page.shown,
                        line,
                        format!(
                            "link {:?} could not be rewritten (it uses escapes or entities): write it as plain text",
                            found.dest
                        ),
                    ))
                }
                None => {}
            }
        }
    }
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(page.text.len());
    let mut at = 0;
    for (range, url) in edits {
        if range.start < at {
            continue; // overlapping (the same text found twice): keep the first
        }
        out.push_str(&page.text[at..range.start]);
        out.push_str(&url);
        at = range.end;
    }
    out.push_str(&page.text[at..]);
    Ok(out)
}

/// What becomes of one link destination of `page`: another page, an
/// anchor, a stored file, or a problem; external and site links stay.
fn resolve(
    conn: &mut Conn,
    context: &mut Context<'_>,
    pages: &[Page],
    page: &Page,
    dest: &str,
    report: &mut MarkdownImport,
) -> AppResult<Outcome> {
    let dest = dest.trim();
    if dest.is_empty() || markdown::is_external_link(dest) || dest.starts_with('/') {
        return Ok(Outcome::default());
    }
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (dest, None),
    };
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() {
        return Ok(anchor_here(page, anchor.unwrap_or("")));
    }
    let decoded = markdown::percent_decode(path).replace('\\', "/");
    let base = page.rel.parent().unwrap_or(Path::new(""));
    let Some(rel) = normalize(&base.join(&decoded)) else {
        return Ok(Outcome::problem(
            "it points outside the imported folder".into(),
        ));
    };
    if let Some(target) = find_page(context, &rel) {
        return Ok(link_to_page(context, &pages[target], anchor));
    }
    if is_markdown(&rel) {
        return Ok(Outcome::problem(missing_page(context, &rel)));
    }
    let result = match context.stored.get(&rel) {
        Some(done) => done.clone(),
        None => {
            let done = store_file(conn, context, &rel, report)?;
            context.stored.insert(rel.clone(), done.clone());
            done
        }
    };
    Ok(match result {
        Ok(url) => Outcome {
            url: Some(url),
            problem: None,
        },
        Err(problem) => Outcome::problem(problem),
    })
}

impl Outcome {
    /// The link stays as written, and this is wrong with it.
    fn problem(problem: String) -> Self {
        Outcome {
            url: None,
            problem: Some(problem),
        }
    }
}

/// A link to an anchor of the same page.
fn anchor_here(page: &Page, anchor: &str) -> Outcome {
    match find_anchor(&page.anchors, anchor) {
        AnchorMatch::Exact => Outcome::default(),
        AnchorMatch::Near(id) => Outcome {
            url: Some(format!("#{id}")),
            problem: None,
        },
        AnchorMatch::Missing => Outcome::problem(format!(
            "there is no heading with anchor #{anchor} in this file"
        )),
    }
}

/// A link to another imported page, with its anchor checked.
fn link_to_page(context: &Context<'_>, target: &Page, anchor: Option<&str>) -> Outcome {
    let mut url = crate::paths::article(context.manual, &target.slug);
    let mut problem = None;
    if let Some(anchor) = anchor.filter(|a| !a.is_empty()) {
        match find_anchor(&target.anchors, anchor) {
            AnchorMatch::Exact => url.push_str(&format!("#{anchor}")),
            AnchorMatch::Near(id) => url.push_str(&format!("#{id}")),
            AnchorMatch::Missing => {
                url.push_str(&format!("#{anchor}"));
                problem = Some(format!(
                    "{} has no heading with anchor #{anchor}",
                    target.shown.display()
                ));
            }
        }
    }
    Outcome {
        url: Some(url),
        problem,
    }
}

/// Why a link to a markdown file that is not a page does not resolve.
fn missing_page(context: &Context<'_>, rel: &Path) -> String {
    if context.unreadable.contains(rel) {
        format!(
            "{} was not imported (see its own problem)",
            context.shown_root.join(rel).display()
        )
    } else {
        format!(
            "there is no file {} in the imported folder",
            context.shown_root.join(rel).display()
        )
    }
}

/// The page a relative path names: the `.md` file itself, `x.md` for a
/// link to `x`, a folder's `index.md`/`README.md`/`_index.md`, or the same
/// path in other letter case (files written on case-insensitive systems).
fn find_page(context: &Context<'_>, rel: &Path) -> Option<usize> {
    let candidates: Vec<PathBuf> = if is_markdown(rel) {
        vec![rel.to_path_buf()]
    } else if rel.extension().is_none() {
        ["index.md", "README.md", "_index.md"]
            .iter()
            .map(|index| rel.join(index))
            .chain(std::iter::once(rel.with_extension("md")))
            .collect()
    } else {
        Vec::new()
    };
    if let Some(found) = candidates.iter().find_map(|c| context.by_path.get(c)) {
        return Some(*found);
    }
    candidates.iter().find_map(|candidate| {
        let lower = candidate.to_string_lossy().to_lowercase();
        context
            .by_path
            .iter()
            .find(|(path, _)| path.to_string_lossy().to_lowercase() == lower)
            .map(|(_, i)| *i)
    })
}

/// Stores one linked file; returns its URL or why it was not stored.
fn store_file(
    conn: &mut Conn,
    context: &Context<'_>,
    rel: &Path,
    report: &mut MarkdownImport,
) -> AppResult<Result<String, String>> {
    let shown = context.shown_root.join(rel);
    let full = context.root.join(rel);
    let inside = full
        .canonicalize()
        .map(|real| real.starts_with(context.root))
        .unwrap_or(false);
    if !full.exists() {
        return Ok(Err(format!("missing file {}", shown.display())));
    }
    if !inside {
        return Ok(Err(format!(
            "{} leads outside the imported folder (a symbolic link): not imported",
            shown.display()
        )));
    }
    if full.is_dir() {
        return Ok(Err(format!(
            "{} is a folder without an index.md or README.md",
            shown.display()
        )));
    }
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let shown_name = shown.display().to_string();
    let size = std::fs::metadata(&full).map(|m| m.len()).unwrap_or(0);
    if let Err(message) = assets::check_size(&shown_name, size) {
        return Ok(Err(message));
    }
    let bytes = match std::fs::read(&full) {
        Ok(b) => b,
        Err(e) => return Ok(Err(format!("cannot read {}: {e}", shown.display()))),
    };
    let kind = match assets::accept(&name, &bytes) {
        Ok(kind) => kind,
        Err(message) => {
            return Ok(Err(message.replacen(&name, &shown_name, 1)));
        }
    };
    let (head, new) = assets::store(conn, &name, kind, &bytes, &shown_name, context.now)?;
    if new {
        report.assets_stored += 1;
    } else {
        report.assets_reused += 1;
    }
    Ok(Ok(head.url()))
}

/// How an anchor matches a page's heading ids.
pub(super) enum AnchorMatch {
    /// The anchor is a heading id of the page (or empty).
    Exact,
    /// Another spelling of the same heading (GitHub-style ids keep runs of
    /// dashes: `a---b`; ours collapse them: `a-b`).
    Near(String),
    /// No heading has it.
    Missing,
}

/// How `anchor` (percent-encoded as written) matches `anchors`.
pub(super) fn find_anchor(anchors: &[String], anchor: &str) -> AnchorMatch {
    let anchor = markdown::percent_decode(anchor);
    if anchor.is_empty() || anchors.contains(&anchor) {
        return AnchorMatch::Exact;
    }
    let squash = |s: &str| {
        let mut out = String::new();
        for c in s.to_lowercase().chars() {
            if c == '-' && out.ends_with('-') {
                continue;
            }
            out.push(c);
        }
        out.trim_matches('-').to_string()
    };
    let wanted = squash(&anchor);
    match anchors.iter().find(|a| squash(a) == wanted) {
        Some(found) => AnchorMatch::Near(found.clone()),
        None => AnchorMatch::Missing,
    }
}

/// Resolves `.` and `..`; `None` when the path climbs above the root.
pub(super) fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}
