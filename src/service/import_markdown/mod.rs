//! Import of a folder of markdown files (nested folders included) as one
//! manual, the way mdBook or a help-centre importer would: every `.md` file
//! becomes an article whose slug is its file name (as in `content/`), every
//! relative link between the files is rewritten to the article it names
//! (anchors checked), and every linked local file (images, PDFs, archives) is
//! stored in the database and linked at its fingerprinted `/assets/` URL.
//!
//! Front matter is optional: `+++` TOML or `---` YAML (see [`front_matter`]).
//! Without a title there, the first `# heading` or the file name gives it.
//! DocFX `:::image:::` blocks become markdown images (see [`docfx`]).
//!
//! Nothing the importer cannot carry over is dropped silently: every
//! unresolved link, missing, oversized or mistyped file, malformed front
//! matter line and unsupported syntax is reported as `file:line: message`.
//! Imported articles live in the database (editable in the browser, with
//! revisions). A file whose slug already exists in the manual is skipped,
//! so re-running the import adds nothing twice.

pub mod docfx;
pub mod front_matter;
pub mod links;

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

use crate::content::{is_valid_slug, Diagnostic};
use crate::db::models::{articles, manuals};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::markdown::{self, Profile};
use crate::service::articles::{self as editing, ArticleInput, Publication};
use crate::service::assets;

use docfx::SourceLine;
use front_matter::Front;

/// Deepest folder nesting walked.
const MAX_DEPTH: usize = 16;

/// What the import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkdownImport {
    /// The manual's slug.
    pub manual: String,
    /// Articles created.
    pub created: usize,
    /// Files whose article already existed.
    pub skipped: Vec<String>,
    /// Linked files stored for the first time.
    pub assets_stored: usize,
    /// Linked files whose content was stored already (by an earlier import
    /// or another file with the same bytes).
    pub assets_reused: usize,
    /// Everything that could not be carried over, as `file:line: message`.
    pub problems: Vec<Diagnostic>,
}

/// One markdown file, read and converted, before its links are rewritten.
struct Page {
    /// Path relative to the imported folder.
    rel: PathBuf,
    /// Path as given (folder joined with `rel`), for reports.
    shown: PathBuf,
    front: Front,
    title: String,
    slug: String,
    /// Markdown after front matter, title heading and DocFX conversion.
    text: String,
    /// File line of each line of `text`.
    origin: Vec<usize>,
    /// Byte offset where each line of `text` starts.
    line_starts: Vec<usize>,
    /// Heading anchors of the rendered text.
    anchors: Vec<String>,
}

impl Page {
    fn file_line(&self, offset: usize) -> usize {
        let index = self.line_starts.partition_point(|s| *s <= offset).max(1) - 1;
        self.origin.get(index).copied().unwrap_or(1)
    }
}

/// Imports every `.md` file under `dir` into manual `name`: files of the
/// folder itself first, then those of subfolders, each level by name.
pub fn import(conn: &mut Conn, dir: &Path, name: &str, now: i64) -> AppResult<MarkdownImport> {
    let slug = markdown::slugify(name);
    if !is_valid_slug(&slug) {
        return Err(AppError::BadRequest(format!(
            "{name:?} does not make a usable manual name"
        )));
    }
    let root = dir
        .canonicalize()
        .map_err(|e| AppError::BadRequest(format!("{}: cannot read folder: {e}", dir.display())))?;
    let mut report = MarkdownImport {
        manual: slug.clone(),
        ..Default::default()
    };
    let mut files = Vec::new();
    walk(
        &root,
        Path::new(""),
        0,
        &mut files,
        dir,
        &mut report.problems,
    )?;
    // Reading order: the folder's own files first, then each subfolder's.
    files.sort_by(|a, b| (a.components().count(), a).cmp(&(b.components().count(), b)));
    let mut pages = Vec::new();
    let mut unreadable = HashSet::new();
    for rel in files {
        match read_page(dir, &root, &rel, &mut report.problems) {
            Some(page) => pages.push(page),
            None => {
                unreadable.insert(rel);
            }
        }
    }
    assign_slugs(&mut pages);
    let manual_id = match manuals::find_by_slug(conn, &slug)? {
        Some(m) => m.id,
        None => manuals::upsert(
            conn,
            &manuals::NewManual {
                slug: &slug,
                title: name.trim(),
                description: "",
                intro_html: "",
                weight: 100,
                source_path: None,
                content_hash: "",
                updated_at: now,
            },
            now,
        )?,
    };
    let mut context = Context {
        root: &root,
        shown_root: dir,
        manual: &slug,
        by_path: pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.rel.clone(), i))
            .collect(),
        unreadable,
        stored: HashMap::new(),
        now,
    };
    for (position, page) in pages.iter().enumerate() {
        if articles::find_in_manual(conn, manual_id, &page.slug)?.is_some() {
            report.skipped.push(format!(
                "{} (an article /docs/{slug}/{} exists)",
                page.shown.display(),
                page.slug
            ));
            continue;
        }
        let body = rewrite_links(conn, &mut context, &pages, page, &mut report)?;
        let body = body.trim_start_matches(['\n', ' ']).to_string();
        let input = ArticleInput {
            manual_id,
            title: page.title.chars().take(150).collect(),
            weight: page.front.weight.unwrap_or(position as i32 + 1),
            tags: page
                .front
                .tags
                .iter()
                .map(|t| t.trim().to_lowercase())
                .filter(|t| !t.is_empty())
                .collect(),
            publication: Publication::Published,
            body_md: if body.trim().is_empty() {
                format!("{}\n", page.title)
            } else {
                body
            },
            note: format!("Imported from {}", page.shown.display()),
        };
        let description: String = page
            .front
            .description
            .as_deref()
            .unwrap_or("")
            .trim()
            .chars()
            .take(300)
            .collect();
        editing::create_at_slug(conn, None, &input, &page.slug, &description, now)?;
        report.created += 1;
    }
    report
        .problems
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(report)
}

/// Collects the markdown files under `root` as paths relative to it, skipping
/// hidden entries and symbolic links to folders (no cycles).
fn walk(
    root: &Path,
    rel: &Path,
    depth: usize,
    files: &mut Vec<PathBuf>,
    shown_root: &Path,
    problems: &mut Vec<Diagnostic>,
) -> AppResult<()> {
    let here = root.join(rel);
    let entries = std::fs::read_dir(&here).map_err(|e| {
        AppError::BadRequest(format!(
            "{}: cannot read folder: {e}",
            shown_root.join(rel).display()
        ))
    })?;
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        let child = rel.join(&name);
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let linked_file_inside = || {
            kind.is_symlink()
                && root
                    .join(&child)
                    .canonicalize()
                    .is_ok_and(|real| real.starts_with(root) && real.is_file())
        };
        if kind.is_dir() {
            if depth + 1 >= MAX_DEPTH {
                problems.push(Diagnostic::new(
                    &shown_root.join(&child),
                    1,
                    format!("folder nested deeper than {MAX_DEPTH} levels: not imported"),
                ));
                continue;
            }
            walk(root, &child, depth + 1, files, shown_root, problems)?;
        } else if is_markdown(&child) && (kind.is_file() || linked_file_inside()) {
            files.push(child);
        }
    }
    Ok(())
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

/// Reads one file: front matter, title, DocFX conversion, anchors.
fn read_page(
    shown_root: &Path,
    root: &Path,
    rel: &Path,
    problems: &mut Vec<Diagnostic>,
) -> Option<Page> {
    let shown = shown_root.join(rel);
    let bytes = match std::fs::read(root.join(rel)) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Diagnostic::new(&shown, 1, format!("cannot read file: {e}")));
            return None;
        }
    };
    let text = match crate::content::utf8_text(&shown, bytes) {
        Ok(t) => t,
        Err(d) => {
            problems.push(d);
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let parsed = match front_matter::parse(text) {
        Ok(p) => p,
        Err((line, message)) => {
            problems.push(Diagnostic::new(&shown, line, message));
            return None;
        }
    };
    for (line, message) in &parsed.problems {
        problems.push(Diagnostic::new(&shown, *line, message.clone()));
    }
    let mut lines: Vec<SourceLine> = parsed
        .body
        .lines()
        .enumerate()
        .map(|(i, t)| SourceLine {
            line: parsed.body_first_line + i,
            text: t.to_string(),
        })
        .collect();
    let front = parsed.front;
    if let Some(slug) = front.slug.as_deref().filter(|s| !is_valid_slug(s.trim())) {
        problems.push(Diagnostic::new(
            &shown,
            1,
            format!("front matter slug {slug:?} is not a valid slug (use lowercase letters, digits and dashes); the file name is used"),
        ));
    }
    let heading = take_title_heading(&mut lines, front.title.as_deref());
    let stem = rel
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let title = front
        .title
        .clone()
        .map(|t| t.trim().to_string())
        .or(heading)
        .unwrap_or_else(|| title_from_stem(&stem));
    let (lines, docfx_problems) = docfx::convert(lines);
    for (line, message) in docfx_problems {
        problems.push(Diagnostic::new(&shown, line, message));
    }
    let mut text = String::new();
    let mut origin = Vec::with_capacity(lines.len());
    let mut line_starts = Vec::with_capacity(lines.len());
    for line in lines {
        line_starts.push(text.len());
        origin.push(line.line);
        text.push_str(&line.text);
        text.push('\n');
    }
    let anchors = markdown::render(&text, Profile::Trusted, &|_| None).anchors;
    Some(Page {
        rel: rel.to_path_buf(),
        shown,
        front,
        title,
        slug: String::new(),
        text,
        origin,
        line_starts,
        anchors,
    })
}

/// `getting_started` -> `Getting started`.
fn title_from_stem(stem: &str) -> String {
    let words = stem.replace(['-', '_'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Untitled".into(),
    }
}

/// Removes a leading `# Title` line when it is the title (no front matter
/// title, or the same text) and returns its text.
fn take_title_heading(lines: &mut Vec<SourceLine>, front_title: Option<&str>) -> Option<String> {
    let index = lines.iter().position(|l| !l.text.trim().is_empty())?;
    let heading = lines[index]
        .text
        .strip_prefix("# ")
        .map(|h| h.trim().trim_end_matches('#').trim().to_string())
        .filter(|h| !h.is_empty())?;
    let same = front_title.is_none_or(|t| t.trim().eq_ignore_ascii_case(&heading));
    if same {
        lines.remove(index);
    }
    Some(heading)
}

/// File-name slugs (`install-manual.md` -> `install-manual`), as `content/`
/// uses; a front matter `slug` wins; `index.md`/`README.md` in a folder take
/// the folder's name. Clashes (the same name in two folders) keep the first
/// file's slug and give the others their path (`guides/setup.md` ->
/// `guides-setup`).
fn assign_slugs(pages: &mut [Page]) {
    let mut taken: HashSet<String> = HashSet::new();
    for page in pages.iter_mut() {
        let base = page
            .front
            .slug
            .as_deref()
            .map(str::trim)
            .filter(|s| is_valid_slug(s))
            .map(String::from)
            .unwrap_or_else(|| file_slug(&page.rel));
        let mut slug = base.clone();
        if taken.contains(&slug) {
            let with_path = path_slug(&page.rel);
            slug = with_path.clone();
            let mut n = 2;
            while taken.contains(&slug) {
                slug = format!("{with_path}-{n}");
                n += 1;
            }
        }
        taken.insert(slug.clone());
        page.slug = slug;
    }
}

fn file_slug(rel: &Path) -> String {
    let stem = rel
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let folder = rel
        .parent()
        .and_then(|p| p.file_name())
        .map(|s| s.to_string_lossy().to_string());
    match folder {
        Some(folder) if matches!(stem.as_str(), "index" | "_index" | "readme") => {
            ascii_slug(&folder)
        }
        _ => ascii_slug(&stem),
    }
}

fn path_slug(rel: &Path) -> String {
    let joined = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect::<Vec<_>>()
        .join("-");
    ascii_slug(&joined)
}

/// A slug of ASCII letters, digits and dashes (at most 80 characters);
/// accents are dropped (`Überblick` -> `uberblick`).
fn ascii_slug(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = text.nfd().filter(char::is_ascii).collect();
    if !folded.chars().any(|c| c.is_ascii_alphanumeric()) {
        return "article".into();
    }
    let slug = markdown::slugify(&folded);
    let ascii: String = slug
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(80)
        .collect();
    let ascii = ascii.trim_matches('-').to_string();
    if is_valid_slug(&ascii) {
        ascii
    } else {
        "article".into()
    }
}

/// What the link rewriting needs to know about the whole import.
struct Context<'a> {
    root: &'a Path,
    shown_root: &'a Path,
    manual: &'a str,
    /// Pages by path relative to the root.
    by_path: HashMap<PathBuf, usize>,
    /// Markdown files that could not be read (already reported).
    unreadable: HashSet<PathBuf>,
    /// Linked files already handled: URL, or why not.
    stored: HashMap<PathBuf, Result<String, String>>,
    now: i64,
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
fn rewrite_links(
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
        let anchor = anchor.unwrap_or("");
        return Ok(match find_anchor(&page.anchors, anchor) {
            AnchorMatch::Exact => Outcome::default(),
            AnchorMatch::Near(id) => Outcome {
                url: Some(format!("#{id}")),
                problem: None,
            },
            AnchorMatch::Missing => Outcome {
                url: None,
                problem: Some(format!(
                    "there is no heading with anchor #{anchor} in this file"
                )),
            },
        });
    }
    let decoded = markdown::percent_decode(path).replace('\\', "/");
    let base = page.rel.parent().unwrap_or(Path::new(""));
    let Some(rel) = normalize(&base.join(&decoded)) else {
        return Ok(Outcome {
            url: None,
            problem: Some("it points outside the imported folder".into()),
        });
    };
    if let Some(target) = find_page(context, &rel) {
        let target = &pages[target];
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
        return Ok(Outcome {
            url: Some(url),
            problem,
        });
    }
    if is_markdown(&rel) {
        let problem = if context.unreadable.contains(&rel) {
            format!(
                "{} was not imported (see its own problem)",
                context.shown_root.join(&rel).display()
            )
        } else {
            format!(
                "there is no file {} in the imported folder",
                context.shown_root.join(&rel).display()
            )
        };
        return Ok(Outcome {
            url: None,
            problem: Some(problem),
        });
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
        Err(problem) => Outcome {
            url: None,
            problem: Some(problem),
        },
    })
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
enum AnchorMatch {
    Exact,
    /// Another spelling of the same heading (GitHub-style ids keep runs of
    /// dashes: `a---b`; ours collapse them: `a-b`).
    Near(String),
    Missing,
}

fn find_anchor(anchors: &[String], anchor: &str) -> AnchorMatch {
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
fn normalize(path: &Path) -> Option<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_escapes() {
        assert_eq!(
            normalize(Path::new("guides/../media/./a.png")),
            Some(PathBuf::from("media/a.png"))
        );
        assert_eq!(normalize(Path::new("../x.md")), None);
    }

    #[test]
    fn slugs_come_from_file_names() {
        assert_eq!(file_slug(Path::new("Install_Manual.md")), "install-manual");
        assert_eq!(file_slug(Path::new("guides/README.md")), "guides");
        assert_eq!(file_slug(Path::new("index.md")), "index");
        assert_eq!(path_slug(Path::new("guides/setup.md")), "guides-setup");
        assert_eq!(ascii_slug("Überblick"), "uberblick");
        assert_eq!(ascii_slug("日本"), "article");
        assert_eq!(
            title_from_stem("getting_started-now"),
            "Getting started now"
        );
    }

    #[test]
    fn near_anchors_match() {
        let anchors = vec!["step-1-enable-wsl".to_string()];
        assert!(matches!(
            find_anchor(&anchors, "step-1---enable-wsl"),
            AnchorMatch::Near(_)
        ));
        assert!(matches!(
            find_anchor(&anchors, "step-1-enable-wsl"),
            AnchorMatch::Exact
        ));
        assert!(matches!(
            find_anchor(&anchors, "nope"),
            AnchorMatch::Missing
        ));
    }
}
