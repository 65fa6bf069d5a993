//! Links in manuals: sorting a destination (external, same page, manual,
//! article), resolving relative `.md` links to URLs, and checking that every
//! link and anchor hits something.

use std::collections::{HashMap, HashSet};

use super::read::ParsedFile;
use super::{ArticleSource, ManualSource};
use crate::content::{Diagnostic, LineIndex};
use crate::markdown::Rendered;

/// Where a link points, once classified.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum LinkTarget {
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

/// Sorts a link destination written in `current_manual`.
pub(super) fn classify(current_manual: &str, dest: &str) -> LinkTarget {
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
        LinkTarget::Manual(m) if !dest.starts_with('/') => Some(crate::paths::manual(&m)),
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
            Some(crate::paths::article(&manual, &slug) + &anchor)
        }
        _ => None,
    }
}

/// First-pass link checks within one article: links that cannot be
/// resolved, and anchors missing from the article itself.
pub(super) fn check_links(
    file: &ParsedFile,
    manual: &str,
    rendered: &Rendered,
    diags: &mut Vec<Diagnostic>,
) {
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

/// Every article by `(manual, slug)`, with its anchors.
type Targets<'a> = HashMap<(&'a str, &'a str), (&'a ArticleSource, HashSet<&'a str>)>;

/// Second pass: every link to another manual or article must hit something.
pub(super) fn check_all_link_targets(
    manuals: &[ManualSource],
    slugs: &HashMap<(String, String), String>,
    diags: &mut Vec<Diagnostic>,
) {
    let targets: Targets<'_> = manuals
        .iter()
        .flat_map(|m| {
            m.articles.iter().map(move |a| {
                let anchors = a.rendered.anchors.iter().map(String::as_str).collect();
                ((m.slug.as_str(), a.slug.as_str()), (a, anchors))
            })
        })
        .collect();
    for manual in manuals {
        for page in manual.pages() {
            for (line, link) in page.link_lines() {
                let problem = match classify(&manual.slug, &link.dest) {
                    LinkTarget::Manual(m) if !manuals.iter().any(|x| x.slug == m) => Some(format!(
                        "broken link {:?}: there is no manual {m:?}",
                        link.dest
                    )),
                    LinkTarget::Article {
                        manual: m,
                        stem_or_slug,
                        anchor,
                        by_slug,
                    } => {
                        let to = ArticleLink {
                            dest: &link.dest,
                            manual: &m,
                            stem_or_slug: &stem_or_slug,
                            anchor: anchor.as_deref(),
                            by_slug,
                        };
                        article_link_problem(&to, slugs, &targets)
                    }
                    _ => None,
                };
                if let Some(problem) = problem {
                    diags.push(Diagnostic::new(page.path, line, problem));
                }
            }
        }
    }
}

/// A link to an article, as classified.
struct ArticleLink<'a> {
    /// The link as written.
    dest: &'a str,
    manual: &'a str,
    stem_or_slug: &'a str,
    anchor: Option<&'a str>,
    /// Written as `/docs/manual/slug` rather than as a file path.
    by_slug: bool,
}

/// What is wrong with a link to an article: no such file, no such article,
/// or no such heading in it.
fn article_link_problem(
    link: &ArticleLink<'_>,
    slugs: &HashMap<(String, String), String>,
    targets: &Targets<'_>,
) -> Option<String> {
    let (m, stem_or_slug) = (link.manual, link.stem_or_slug);
    let slug = if link.by_slug {
        stem_or_slug.to_string()
    } else {
        match slugs.get(&(m.to_string(), stem_or_slug.to_string())) {
            Some(s) => s.clone(),
            None => {
                return Some(format!(
                    "broken link {:?}: no article file {stem_or_slug}.md in manual {m:?}",
                    link.dest
                ))
            }
        }
    };
    match (targets.get(&(m, slug.as_str())), link.anchor) {
        (None, _) => Some(format!(
            "broken link {:?}: no article {slug:?} in manual {m:?}",
            link.dest
        )),
        (Some((t, anchors)), Some(anchor)) if !anchor.is_empty() && !anchors.contains(anchor) => {
            Some(format!(
                "broken link {:?}: {} has no heading with anchor #{anchor}",
                link.dest,
                t.path.display()
            ))
        }
        _ => None,
    }
}
