//! Reading the imported folder: the markdown files found (walk), each read
//! into a [`Page`] (front matter, title, DocFX conversion, anchors), and the
//! slug each page gets.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::docfx::{self, SourceLine};
use super::front_matter::{self, Front};
use crate::content::{is_valid_slug, Diagnostic};
use crate::error::{AppError, AppResult};
use crate::markdown::{self, Profile};

/// Deepest folder nesting walked.
const MAX_DEPTH: usize = 16;

/// One markdown file, read and converted, before its links are rewritten.
pub(super) struct Page {
    /// Path relative to the imported folder.
    pub(super) rel: PathBuf,
    /// Path as given (folder joined with `rel`), for reports.
    pub(super) shown: PathBuf,
    pub(super) front: Front,
    pub(super) title: String,
    pub(super) slug: String,
    /// Markdown after front matter, title heading and DocFX conversion.
    pub(super) text: String,
    /// File line of each line of `text`.
    origin: Vec<usize>,
    /// Byte offset where each line of `text` starts.
    line_starts: Vec<usize>,
    /// Heading anchors of the rendered text.
    pub(super) anchors: Vec<String>,
}

impl Page {
    /// The file line holding byte `offset` of `text`.
    pub(super) fn file_line(&self, offset: usize) -> usize {
        let index = self.line_starts.partition_point(|s| *s <= offset).max(1) - 1;
        self.origin.get(index).copied().unwrap_or(1)
    }
}

/// Reads every markdown file under `root` in reading order (the folder's
/// own files first, then each subfolder's) and gives each its slug; also
/// returns the files that could not be read (already reported).
pub(super) fn read_all(
    shown_root: &Path,
    root: &Path,
    problems: &mut Vec<Diagnostic>,
) -> AppResult<(Vec<Page>, HashSet<PathBuf>)> {
    let mut files = Vec::new();
    walk(root, Path::new(""), 0, &mut files, shown_root, problems)?;
    files.sort_by(|a, b| (a.components().count(), a).cmp(&(b.components().count(), b)));
    let mut pages = Vec::new();
    let mut unreadable = HashSet::new();
    for rel in files {
        match read_page(shown_root, root, &rel, problems) {
            Some(page) => pages.push(page),
            None => {
                unreadable.insert(rel);
            }
        }
    }
    assign_slugs(&mut pages);
    Ok((pages, unreadable))
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

/// A `.md` or `.markdown` file name.
pub(super) fn is_markdown(path: &Path) -> bool {
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
    let text = read_text(&shown, &root.join(rel), problems)?;
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
    let title = page_title(&mut lines, &front, rel);
    let (lines, docfx_problems) = docfx::convert(lines);
    for (line, message) in docfx_problems {
        problems.push(Diagnostic::new(&shown, line, message));
    }
    let (text, origin, line_starts) = join_lines(lines);
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

/// The text of one file, read and checked as UTF-8.
fn read_text(shown: &Path, full: &Path, problems: &mut Vec<Diagnostic>) -> Option<String> {
    let bytes = match std::fs::read(full) {
        Ok(b) => b,
        Err(e) => {
            problems.push(Diagnostic::new(shown, 1, format!("cannot read file: {e}")));
            return None;
        }
    };
    match crate::content::utf8_text(shown, bytes) {
        Ok(t) => Some(t),
        Err(d) => {
            problems.push(d);
            None
        }
    }
}

/// The title: front matter, else the first `# heading` (taken out of the
/// body when it is the title), else the file name.
fn page_title(lines: &mut Vec<SourceLine>, front: &Front, rel: &Path) -> String {
    let heading = take_title_heading(lines, front.title.as_deref());
    let stem = rel
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    front
        .title
        .clone()
        .map(|t| t.trim().to_string())
        .or(heading)
        .unwrap_or_else(|| title_from_stem(&stem))
}

/// The lines as one text, with the file line of each line and the byte
/// offset where each starts.
fn join_lines(lines: Vec<SourceLine>) -> (String, Vec<usize>, Vec<usize>) {
    let mut text = String::new();
    let mut origin = Vec::with_capacity(lines.len());
    let mut line_starts = Vec::with_capacity(lines.len());
    for line in lines {
        line_starts.push(text.len());
        origin.push(line.line);
        text.push_str(&line.text);
        text.push('\n');
    }
    (text, origin, line_starts)
}

/// `getting_started` -> `Getting started`.
pub(super) fn title_from_stem(stem: &str) -> String {
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

/// The slug a file name gives.
pub(super) fn file_slug(rel: &Path) -> String {
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

/// The slug a whole relative path gives, for clashes.
pub(super) fn path_slug(rel: &Path) -> String {
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
pub(super) fn ascii_slug(text: &str) -> String {
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
