//! Manuals on disk: `manuals/<manual>/_index.md` plus one `<article>.md` per
//! article. Two passes: read every file's front matter (so links can be
//! resolved to slugs; `read`), then render and check every link and anchor
//! (`links`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::frontmatter::key_line;
use super::Diagnostic;
use crate::markdown::{self, Profile, Rendered};

mod links;
mod read;

pub use links::resolve_relative;
use links::{check_all_link_targets, check_links};
#[cfg(test)]
use links::{classify, LinkTarget};
use read::{read_manuals, ArticleFront, ParsedFile, ParsedManual};

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
    /// Markdown introduction.
    pub intro_md: String,
    /// Lines of `_index.md` before the introduction.
    pub intro_line_offset: usize,
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

/// One markdown page of a manual (its introduction or an article), as its
/// links are checked: where each link is written and where it points.
#[derive(Debug, Clone, Copy)]
pub struct PageText<'a> {
    /// The file.
    pub path: &'a Path,
    /// Markdown body.
    pub body_md: &'a str,
    /// Lines of the file before the body.
    pub body_line_offset: usize,
    /// Rendered body, with its links and anchors.
    pub rendered: &'a Rendered,
}

impl PageText<'_> {
    /// The 1-based line in the file of every link, with the link.
    pub fn link_lines(&self) -> impl Iterator<Item = (usize, &markdown::LinkRef)> {
        let lines = super::LineIndex::new(self.body_md);
        let offset = self.body_line_offset;
        self.rendered
            .links
            .iter()
            .map(move |link| (offset + lines.line(link.offset), link))
    }
}

impl ManualSource {
    /// The introduction, then every article: every page whose links are checked.
    pub fn pages(&self) -> impl Iterator<Item = PageText<'_>> {
        let intro = PageText {
            path: &self.path,
            body_md: &self.intro_md,
            body_line_offset: self.intro_line_offset,
            rendered: &self.intro,
        };
        std::iter::once(intro).chain(self.articles.iter().map(ArticleSource::page))
    }
}

impl ArticleSource {
    /// The article as a page whose links are checked.
    pub fn page(&self) -> PageText<'_> {
        PageText {
            path: &self.path,
            body_md: &self.body_md,
            body_line_offset: self.body_line_offset,
            rendered: &self.rendered,
        }
    }
}

/// `(manual, file stem)` to article slug, where front matter renamed it.
type Slugs = HashMap<(String, String), String>;

/// Loads every manual under `dir`.
pub fn load_all(dir: &Path) -> Result<Vec<ManualSource>, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let parsed = read_manuals(dir, &mut diags);
    let slugs = slugs_by_stem(&parsed);
    let mut manuals: Vec<ManualSource> = parsed
        .into_iter()
        .filter_map(|manual| render_manual(manual, &slugs, &mut diags))
        .collect();
    check_all_link_targets(&manuals, &slugs, &mut diags);
    if !diags.is_empty() {
        diags.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        diags.dedup();
        return Err(diags);
    }
    manuals.sort_by(|a, b| (a.weight, &a.title).cmp(&(b.weight, &b.title)));
    Ok(manuals)
}

/// Slugs by (manual, file stem), for link resolution.
fn slugs_by_stem(parsed: &[ParsedManual]) -> Slugs {
    let mut slugs = Slugs::new();
    for manual in parsed {
        for (file, _) in &manual.articles {
            slugs.insert(
                (manual.slug.clone(), file.file_stem.clone()),
                file.slug.clone(),
            );
        }
    }
    slugs
}

/// Second pass over one manual: its introduction and articles rendered with
/// relative links resolved, in reading order (`None`: no `_index.md` read).
fn render_manual(
    manual: ParsedManual,
    slugs: &Slugs,
    diags: &mut Vec<Diagnostic>,
) -> Option<ManualSource> {
    let resolver = |dest: &str| resolve_relative(&manual.slug, dest, slugs);
    let (index_file, front) = manual.index?;
    let intro = markdown::render(&index_file.body, Profile::Trusted, &resolver);
    check_links(&index_file, &manual.slug, &intro, diags);
    let mut articles: Vec<ArticleSource> = manual
        .articles
        .into_iter()
        .map(|(file, front)| render_article(file, front, &manual.slug, &resolver, diags))
        .collect();
    articles.sort_by(|a, b| (a.weight, &a.title).cmp(&(b.weight, &b.title)));
    Some(ManualSource {
        slug: manual.slug,
        title: front.title.trim().to_string(),
        description: front.description.trim().to_string(),
        weight: front.weight,
        intro,
        intro_md: index_file.body,
        intro_line_offset: index_file.body_line_offset,
        path: index_file.path,
        hash: index_file.hash,
        articles,
    })
}

/// One article rendered, its `updated` date and its links checked.
fn render_article(
    file: ParsedFile,
    front: ArticleFront,
    manual_slug: &str,
    resolver: &dyn Fn(&str) -> Option<String>,
    diags: &mut Vec<Diagnostic>,
) -> ArticleSource {
    let rendered = markdown::render(&file.body, Profile::Trusted, resolver);
    let updated = front.updated.as_ref().and_then(datetime_to_unix);
    if front.updated.is_some() && updated.is_none() {
        diags.push(Diagnostic::new(
            &file.path,
            key_line(&file.front_text, "updated"),
            "updated must be a date like 2026-11-20",
        ));
    }
    check_links(&file, manual_slug, &rendered, diags);
    ArticleSource {
        slug: file.slug,
        title: front.title.trim().to_string(),
        description: front.description.trim().to_string(),
        weight: front.weight,
        tags: front
            .tags
            .iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect(),
        outdated: front
            .outdated
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        updated,
        body_md: file.body,
        rendered,
        path: file.path,
        body_line_offset: file.body_line_offset,
        hash: file.hash,
    }
}

/// A TOML date (time ignored) as unix seconds.
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
