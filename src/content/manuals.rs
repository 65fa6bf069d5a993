//! Manuals on disk: `manuals/<manual>/_index.md` plus one `<article>.md` per
//! article. Two passes: read every file's front matter (so links can be
//! resolved to slugs), then render and check every link and anchor.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::frontmatter::{self, key_line};
use super::{content_hash, is_valid_slug, nesting_diagnostic, read_bounded, Diagnostic, LineIndex};
use crate::markdown::{self, Profile, Rendered};

/// Front matter of a manual's `_index.md`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualFront {
    title: String,
    #[serde(default)]
    weight: i32,
    #[serde(default)]
    description: String,
}

/// Front matter of an article.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArticleFront {
    title: String,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    weight: i32,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    outdated: Option<String>,
    #[serde(default)]
    updated: Option<toml::value::Datetime>,
}

/// A manual as read from disk.
#[derive(Debug, Clone)]
pub struct ManualSource {
    /// URL segment (the folder name).
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Sort order.
    pub weight: i32,
    /// Rendered introduction (the body of `_index.md`).
    pub intro: Rendered,
    /// Path of `_index.md`.
    pub path: PathBuf,
    /// Hash of `_index.md`.
    pub hash: String,
    /// Articles in reading order.
    pub articles: Vec<ArticleSource>,
}

/// An article as read from disk.
#[derive(Debug, Clone)]
pub struct ArticleSource {
    /// URL segment (file name, or `slug` from the front matter).
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Sort order.
    pub weight: i32,
    /// Tags, lowercased.
    pub tags: Vec<String>,
    /// Outdated notice, if any.
    pub outdated: Option<String>,
    /// Explicit "last updated" date as unix seconds.
    pub updated: Option<i64>,
    /// Markdown body.
    pub body_md: String,
    /// Rendered body.
    pub rendered: Rendered,
    /// The file.
    pub path: PathBuf,
    /// Lines of the file before the markdown body.
    pub body_line_offset: usize,
    /// Hash of the file.
    pub hash: String,
}

/// First pass: one markdown file's metadata and body.
struct ParsedFile {
    path: PathBuf,
    file_stem: String,
    slug: String,
    front_text: String,
    body: String,
    body_line_offset: usize,
    hash: String,
}

struct ParsedManual {
    slug: String,
    index: Option<(ParsedFile, ManualFront)>,
    articles: Vec<(ParsedFile, ArticleFront)>,
}

/// Loads every manual under `dir`.
pub fn load_all(dir: &Path) -> Result<Vec<ManualSource>, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut parsed = Vec::new();
    for entry in sorted_entries(dir, &mut diags) {
        if entry.is_dir() {
            let slug = file_name(&entry);
            if !is_valid_slug(&slug) {
                diags.push(Diagnostic::new(&entry, 1, format!("manual folder name {slug:?} is not a valid slug (use lowercase letters, digits and dashes)")));
                continue;
            }
            parsed.push(read_manual(&entry, slug, &mut diags));
        } else if !is_hidden(&entry) {
            diags.push(Diagnostic::new(
                &entry,
                1,
                "files directly under manuals/ are not read: put articles in a manual folder",
            ));
        }
    }
    // Slugs by (manual, file stem), for link resolution.
    let mut slugs: HashMap<(String, String), String> = HashMap::new();
    for manual in &parsed {
        for (file, _) in &manual.articles {
            slugs.insert(
                (manual.slug.clone(), file.file_stem.clone()),
                file.slug.clone(),
            );
        }
    }
    let mut manuals = Vec::new();
    for manual in parsed {
        let resolver = |dest: &str| resolve_relative(&manual.slug, dest, &slugs);
        let Some((index_file, front)) = manual.index else {
            continue;
        };
        let intro = markdown::render(&index_file.body, Profile::Trusted, &resolver);
        let mut articles = Vec::new();
        for (file, front) in manual.articles {
            let rendered = markdown::render(&file.body, Profile::Trusted, &resolver);
            let tags = front
                .tags
                .iter()
                .map(|t| t.trim().to_lowercase())
                .filter(|t| !t.is_empty())
                .collect();
            articles.push(ArticleSource {
                slug: file.slug.clone(),
                title: front.title.trim().to_string(),
                description: front.description.trim().to_string(),
                weight: front.weight,
                tags,
                outdated: front
                    .outdated
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
                updated: front.updated.as_ref().and_then(datetime_to_unix),
                body_md: file.body.clone(),
                rendered,
                path: file.path.clone(),
                body_line_offset: file.body_line_offset,
                hash: file.hash.clone(),
            });
            if front.updated.is_some() && articles.last().is_some_and(|a| a.updated.is_none()) {
                diags.push(Diagnostic::new(
                    &file.path,
                    key_line(&file.front_text, "updated"),
                    "updated must be a date like 2026-11-20",
                ));
            }
            check_links(
                &file,
                &manual.slug,
                articles.last().map(|a| &a.rendered),
                &mut diags,
            );
        }
        articles.sort_by(|a, b| (a.weight, &a.title).cmp(&(b.weight, &b.title)));
        manuals.push(ManualSource {
            slug: manual.slug,
            title: front.title.trim().to_string(),
            description: front.description.trim().to_string(),
            weight: front.weight,
            intro,
            path: index_file.path,
            hash: index_file.hash,
            articles,
        });
    }
    check_all_link_targets(&manuals, &slugs, &mut diags);
    if !diags.is_empty() {
        diags.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        diags.dedup();
        return Err(diags);
    }
    manuals.sort_by(|a, b| (a.weight, &a.title).cmp(&(b.weight, &b.title)));
    Ok(manuals)
}

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
            match frontmatter::parse::<ManualFront>(&path, &file.front_text) {
                Ok(front) => {
                    if front.title.trim().is_empty() {
                        diags.push(Diagnostic::new(
                            &path,
                            key_line(&file.front_text, "title"),
                            "title must not be empty",
                        ));
                    }
                    manual.index = Some((file, front));
                }
                Err(d) => diags.push(d),
            }
            continue;
        }
        let front = match frontmatter::parse::<ArticleFront>(&path, &file.front_text) {
            Ok(front) => front,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let mut file = file;
        if front.title.trim().is_empty() {
            diags.push(Diagnostic::new(
                &path,
                key_line(&file.front_text, "title"),
                "title must not be empty",
            ));
        }
        if let Some(slug) = &front.slug {
            file.slug = slug.clone();
        }
        if !is_valid_slug(&file.slug) {
            let line = if front.slug.is_some() {
                key_line(&file.front_text, "slug")
            } else {
                1
            };
            diags.push(Diagnostic::new(
                &path,
                line,
                format!(
                    "{:?} is not a valid slug (use lowercase letters, digits and dashes)",
                    file.slug
                ),
            ));
            continue;
        }
        if let Some(first) = seen_slugs.get(&file.slug) {
            let line = if front.slug.is_some() {
                key_line(&file.front_text, "slug")
            } else {
                1
            };
            diags.push(Diagnostic::new(
                &path,
                line,
                format!(
                    "duplicate slug {:?}: {} already uses it",
                    file.slug,
                    first.display()
                ),
            ));
            continue;
        }
        seen_slugs.insert(file.slug.clone(), path.clone());
        manual.articles.push((file, front));
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

fn read_file(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<ParsedFile> {
    let bytes = match read_bounded(path) {
        Ok(b) => b,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let hash = content_hash(&bytes);
    let text = match super::utf8_text(path, bytes) {
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

/// Where a link points, once classified.
#[derive(Debug, PartialEq, Eq)]
enum LinkTarget {
    /// Not ours to check (other sites, other pages of the app, mail).
    External,
    /// An anchor in the same article.
    SamePage(String),
    /// A manual's table of contents.
    Manual(String),
    /// An article, with an optional anchor.
    Article {
        manual: String,
        stem_or_slug: String,
        anchor: Option<String>,
        by_slug: bool,
    },
    /// A relative link we cannot make sense of.
    Unresolvable,
}

fn classify(current_manual: &str, dest: &str) -> LinkTarget {
    let dest = dest.trim();
    if dest.is_empty() {
        return LinkTarget::Unresolvable;
    }
    if let Some(anchor) = dest.strip_prefix('#') {
        return LinkTarget::SamePage(anchor.to_string());
    }
    let has_scheme = dest
        .split(['/', '#', '?'])
        .next()
        .is_some_and(|first| first.contains(':'));
    if has_scheme || dest.starts_with("//") {
        return LinkTarget::External;
    }
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a.to_string())),
        None => (dest, None),
    };
    if let Some(rest) = path.strip_prefix("/docs/") {
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        return match parts.as_slice() {
            [manual] => LinkTarget::Manual((*manual).to_string()),
            [manual, article] => LinkTarget::Article {
                manual: (*manual).into(),
                stem_or_slug: (*article).into(),
                anchor,
                by_slug: true,
            },
            _ => LinkTarget::Unresolvable,
        };
    }
    if path.starts_with('/') {
        return LinkTarget::External;
    }
    let mut segments: Vec<&str> = vec![current_manual];
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if segments.pop().is_none() {
                    return LinkTarget::Unresolvable;
                }
            }
            other => segments.push(other),
        }
    }
    match segments.as_slice() {
        [manual] => LinkTarget::Manual((*manual).to_string()),
        [manual, "_index.md"] => LinkTarget::Manual((*manual).to_string()),
        [manual, file] if file.ends_with(".md") => LinkTarget::Article {
            manual: (*manual).to_string(),
            stem_or_slug: file.trim_end_matches(".md").to_string(),
            anchor,
            by_slug: false,
        },
        _ => LinkTarget::Unresolvable,
    }
}

/// Maps a relative link to its URL (`other.md#x` -> `/docs/manual/other#x`);
/// `slugs` maps `(manual, file stem)` to slugs where front matter renamed them.
pub fn resolve_relative(
    current_manual: &str,
    dest: &str,
    slugs: &HashMap<(String, String), String>,
) -> Option<String> {
    match classify(current_manual, dest) {
        LinkTarget::Manual(m) if !dest.starts_with('/') => Some(format!("/docs/{m}")),
        LinkTarget::Article {
            manual,
            stem_or_slug,
            anchor,
            by_slug: false,
        } => {
            let slug = slugs
                .get(&(manual.clone(), stem_or_slug.clone()))
                .cloned()
                .unwrap_or(stem_or_slug);
            let anchor = anchor.map(|a| format!("#{a}")).unwrap_or_default();
            Some(format!("/docs/{manual}/{slug}{anchor}"))
        }
        _ => None,
    }
}

fn check_links(
    file: &ParsedFile,
    manual: &str,
    rendered: Option<&Rendered>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(rendered) = rendered else { return };
    let lines = LineIndex::new(&file.body);
    let anchors: HashSet<&str> = rendered.anchors.iter().map(String::as_str).collect();
    for link in &rendered.links {
        let line = file.body_line_offset + lines.line(link.offset);
        match classify(manual, &link.dest) {
            LinkTarget::Unresolvable => diags.push(Diagnostic::new(&file.path, line, format!("broken link {:?}: link to another article as a relative path ending in .md, e.g. other-article.md or ../other-manual/article.md", link.dest))),
            LinkTarget::SamePage(anchor) if !anchor.is_empty() && !anchors.contains(anchor.as_str()) => {
                diags.push(Diagnostic::new(&file.path, line, format!("broken link {:?}: no heading with anchor #{anchor} in this article", link.dest)))
            }
            _ => {}
        }
    }
}

/// Second pass: every link to another manual or article must hit something.
fn check_all_link_targets(
    manuals: &[ManualSource],
    slugs: &HashMap<(String, String), String>,
    diags: &mut Vec<Diagnostic>,
) {
    // Every article by (manual, slug), with its anchors.
    let targets: HashMap<(&str, &str), (&ArticleSource, HashSet<&str>)> = manuals
        .iter()
        .flat_map(|m| {
            m.articles.iter().map(move |a| {
                let anchors = a.rendered.anchors.iter().map(String::as_str).collect();
                ((m.slug.as_str(), a.slug.as_str()), (a, anchors))
            })
        })
        .collect();
    for manual in manuals {
        for article in &manual.articles {
            let lines = LineIndex::new(&article.body_md);
            for link in &article.rendered.links {
                let line = || article.body_line_offset + lines.line(link.offset);
                match classify(&manual.slug, &link.dest) {
                    LinkTarget::Manual(m) if !manuals.iter().any(|x| x.slug == m) => {
                        diags.push(Diagnostic::new(
                            &article.path,
                            line(),
                            format!("broken link {:?}: there is no manual {m:?}", link.dest),
                        ));
                    }
                    LinkTarget::Manual(_) => {}
                    LinkTarget::Article {
                        manual: m,
                        stem_or_slug,
                        anchor,
                        by_slug,
                    } => {
                        let slug = if by_slug {
                            stem_or_slug.clone()
                        } else {
                            match slugs.get(&(m.clone(), stem_or_slug.clone())) {
                                Some(s) => s.clone(),
                                None => {
                                    diags.push(Diagnostic::new(&article.path, line(), format!("broken link {:?}: no article file {stem_or_slug}.md in manual {m:?}", link.dest)));
                                    continue;
                                }
                            }
                        };
                        let target = targets.get(&(m.as_str(), slug.as_str()));
                        match (target, anchor) {
                            (None, _) => diags.push(Diagnostic::new(
                                &article.path,
                                line(),
                                format!(
                                    "broken link {:?}: no article {slug:?} in manual {m:?}",
                                    link.dest
                                ),
                            )),
                            (Some((t, anchors)), Some(anchor))
                                if !anchor.is_empty() && !anchors.contains(anchor.as_str()) =>
                            {
                                diags.push(Diagnostic::new(
                                    &article.path,
                                    line(),
                                    format!(
                                        "broken link {:?}: {} has no heading with anchor #{anchor}",
                                        link.dest,
                                        t.path.display()
                                    ),
                                ))
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

fn datetime_to_unix(dt: &toml::value::Datetime) -> Option<i64> {
    let date = dt.date?;
    let days = days_from_civil(
        i64::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    );
    Some(days * 86_400)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

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

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}

fn is_hidden(path: &Path) -> bool {
    file_name(path).starts_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_links() {
        assert_eq!(classify("m", "https://x.org"), LinkTarget::External);
        assert_eq!(classify("m", "mailto:a@b"), LinkTarget::External);
        assert_eq!(classify("m", "#top"), LinkTarget::SamePage("top".into()));
        assert_eq!(classify("m", "../n/"), LinkTarget::Manual("n".into()));
        assert_eq!(
            classify("m", "../n/a.md#x"),
            LinkTarget::Article {
                manual: "n".into(),
                stem_or_slug: "a".into(),
                anchor: Some("x".into()),
                by_slug: false
            }
        );
        assert_eq!(classify("m", "../../a.md"), LinkTarget::Unresolvable);
        assert_eq!(classify("m", "picture.png"), LinkTarget::Unresolvable);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 11, 22), 20_779);
    }
}
