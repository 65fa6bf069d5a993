//! First pass over the manuals: every folder and markdown file read, its
//! front matter parsed and its slug checked, so that links can be resolved
//! to slugs before anything is rendered.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::content::frontmatter::{self, key_line};
use crate::content::{
    content_hash, is_valid_slug, nesting_diagnostic, read_bounded, utf8_text, Diagnostic,
};
use crate::markdown;

/// Front matter of a manual's `_index.md`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ManualFront {
    pub(super) title: String,
    #[serde(default)]
    pub(super) weight: i32,
    #[serde(default)]
    pub(super) description: String,
}

/// Front matter of an article.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ArticleFront {
    pub(super) title: String,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    pub(super) weight: i32,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    #[serde(default)]
    pub(super) outdated: Option<String>,
    #[serde(default)]
    pub(super) updated: Option<toml::value::Datetime>,
}

/// First pass: one markdown file's metadata and body.
pub(super) struct ParsedFile {
    pub(super) path: PathBuf,
    pub(super) file_stem: String,
    pub(super) slug: String,
    pub(super) front_text: String,
    pub(super) body: String,
    pub(super) body_line_offset: usize,
    pub(super) hash: String,
}

/// First pass: one manual folder, its `_index.md` (if it read) and articles.
pub(super) struct ParsedManual {
    pub(super) slug: String,
    pub(super) index: Option<(ParsedFile, ManualFront)>,
    pub(super) articles: Vec<(ParsedFile, ArticleFront)>,
}

/// Reads every manual folder under `dir`; other files there are reported.
pub(super) fn read_manuals(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<ParsedManual> {
    let mut parsed = Vec::new();
    for entry in sorted_entries(dir, diags) {
        if entry.is_dir() {
            let slug = file_name(&entry);
            if !is_valid_slug(&slug) {
                diags.push(Diagnostic::new(&entry, 1, format!("manual folder name {slug:?} is not a valid slug (use lowercase letters, digits and dashes)")));
                continue;
            }
            parsed.push(read_manual(&entry, slug, diags));
        } else if !is_hidden(&entry) {
            diags.push(Diagnostic::new(
                &entry,
                1,
                "files directly under manuals/ are not read: put articles in a manual folder",
            ));
        }
    }
    parsed
}

/// Reads one manual folder: `_index.md` and the `.md` articles beside it.
fn read_manual(dir: &Path, slug: String, diags: &mut Vec<Diagnostic>) -> ParsedManual {
    let mut manual = ParsedManual {
        slug,
        index: None,
        articles: Vec::new(),
    };
    let mut seen_slugs: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in sorted_entries(dir, diags) {
        if is_hidden(&path) {
            continue;
        }
        if path.is_dir() {
            diags.push(Diagnostic::new(&path, 1, "nested folders inside a manual are not supported: move the files up or make a separate manual"));
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue; // images and other assets sit beside the articles
        }
        let Some(file) = read_file(&path, diags) else {
            continue;
        };
        if file.file_stem == "_index" {
            if let Some(front) = read_index_front(&file, diags) {
                manual.index = Some((file, front));
            }
        } else if let Some(article) = read_article_front(file, &mut seen_slugs, diags) {
            manual.articles.push(article);
        }
    }
    if manual.index.is_none() && !diags.iter().any(|d| d.file == dir.join("_index.md")) {
        diags.push(Diagnostic::new(
            &dir.join("_index.md"),
            1,
            "manual has no _index.md: create it with +++ title = \"...\" +++",
        ));
    }
    manual
}

/// The front matter of `_index.md`; its title must not be empty.
fn read_index_front(file: &ParsedFile, diags: &mut Vec<Diagnostic>) -> Option<ManualFront> {
    match frontmatter::parse::<ManualFront>(&file.path, &file.front_text) {
        Ok(front) => {
            if front.title.trim().is_empty() {
                diags.push(Diagnostic::new(
                    &file.path,
                    key_line(&file.front_text, "title"),
                    "title must not be empty",
                ));
            }
            Some(front)
        }
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// The front matter of an article and its slug (the file name, or `slug`),
/// which must be valid and unique in the manual.
fn read_article_front(
    mut file: ParsedFile,
    seen_slugs: &mut BTreeMap<String, PathBuf>,
    diags: &mut Vec<Diagnostic>,
) -> Option<(ParsedFile, ArticleFront)> {
    let front = match frontmatter::parse::<ArticleFront>(&file.path, &file.front_text) {
        Ok(front) => front,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    if front.title.trim().is_empty() {
        diags.push(Diagnostic::new(
            &file.path,
            key_line(&file.front_text, "title"),
            "title must not be empty",
        ));
    }
    if let Some(slug) = &front.slug {
        file.slug = slug.clone();
    }
    let slug_line = if front.slug.is_some() {
        key_line(&file.front_text, "slug")
    } else {
        1
    };
    if !is_valid_slug(&file.slug) {
        diags.push(Diagnostic::new(
            &file.path,
            slug_line,
            format!(
                "{:?} is not a valid slug (use lowercase letters, digits and dashes)",
                file.slug
            ),
        ));
        return None;
    }
    if let Some(first) = seen_slugs.get(&file.slug) {
        diags.push(Diagnostic::new(
            &file.path,
            slug_line,
            format!(
                "duplicate slug {:?}: {} already uses it",
                file.slug,
                first.display()
            ),
        ));
        return None;
    }
    seen_slugs.insert(file.slug.clone(), file.path.clone());
    Some((file, front))
}

/// Reads one markdown file: bounded, UTF-8, front matter split from the
/// body, and the body's nesting checked.
fn read_file(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<ParsedFile> {
    let bytes = match read_bounded(path) {
        Ok(b) => b,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let hash = content_hash(&bytes);
    let text = match utf8_text(path, bytes) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let split = match frontmatter::split(path, &text) {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    if let Some((line, depth)) = markdown::nesting_problem(split.body) {
        diags.push(nesting_diagnostic(
            path,
            split.body_line_offset + line,
            depth,
            "the text",
        ));
    }
    let file_stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    Some(ParsedFile {
        path: path.to_path_buf(),
        slug: file_stem.clone(),
        file_stem,
        front_text: split.front.to_string(),
        body: split.body.to_string(),
        body_line_offset: split.body_line_offset,
        hash,
    })
}

/// The entries of `dir`, sorted; an unreadable folder is a diagnostic.
fn sorted_entries(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            v
        }
        Err(e) => {
            diags.push(Diagnostic::new(dir, 1, format!("cannot read folder: {e}")));
            Vec::new()
        }
    }
}

/// The last part of `path`.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// A dot file or folder.
fn is_hidden(path: &Path) -> bool {
    file_name(path).starts_with('.')
}
