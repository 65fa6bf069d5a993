//! Broken links of the articles that live in the database (made in the
//! browser or imported): links to `/docs/...` manuals, articles and anchors
//! that do not exist, `/assets/...` files that are not stored, in-page
//! anchors without a heading, and relative links that lead nowhere.
//! `signpost check` and the staff dashboard both call [`broken_links`].
//!
//! It reads the rendered HTML (so relative links are judged where the site
//! sends readers). Articles backed by files in `content/` are left to the
//! content check, which knows their files and lines.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::db::models::{articles, assets, manuals};
use crate::db::Conn;
use crate::error::AppResult;

/// One broken link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// Manual slug of the article holding the link.
    pub manual: String,
    /// Article slug.
    pub article: String,
    /// Article title.
    pub title: String,
    /// What is wrong.
    pub message: String,
}

impl BrokenLink {
    /// The article's URL.
    pub fn article_url(&self) -> String {
        crate::paths::article(&self.manual, &self.article)
    }
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}: {}", self.manual, self.article, self.message)
    }
}

/// The result of a check.
#[derive(Debug, Clone, Default)]
pub struct LinkReport {
    /// Articles whose links were checked.
    pub checked: usize,
    /// Every broken link, in manual and article order.
    pub broken: Vec<BrokenLink>,
}

struct Target {
    anchors: HashSet<String>,
    published: bool,
}

/// Checks every link and image of every database-only article.
pub fn broken_links(conn: &mut Conn) -> AppResult<LinkReport> {
    let all = articles::all_with_manuals(conn)?;
    let manual_slugs: HashSet<String> = manuals::list(conn)?.into_iter().map(|m| m.slug).collect();
    let stored: HashSet<String> = assets::all_heads(conn)?
        .into_iter()
        .map(|a| a.url())
        .collect();
    let targets: HashMap<(String, String), Target> = all
        .iter()
        .map(|a| {
            (
                (a.manual_slug.clone(), a.article.slug.clone()),
                Target {
                    anchors: attribute_values(&a.article.body_html, "id")
                        .into_iter()
                        .collect(),
                    published: a.article.is_published(),
                },
            )
        })
        .collect();
    let mut report = LinkReport::default();
    for found in all.iter().filter(|a| a.article.source_path.is_none()) {
        let Some(own) = targets.get(&(found.manual_slug.clone(), found.article.slug.clone()))
        else {
            continue;
        };
        report.checked += 1;
        let html = &found.article.body_html;
        let links = attribute_values(html, "href")
            .into_iter()
            .map(|v| ("link", v))
            .chain(
                attribute_values(html, "src")
                    .into_iter()
                    .map(|v| ("image", v)),
            );
        let mut seen = HashSet::new();
        for (what, url) in links {
            if !seen.insert((what, url.clone())) {
                continue;
            }
            let problem = judge(
                &url,
                own,
                found.article.is_published(),
                &manual_slugs,
                &targets,
                &stored,
            );
            if let Some(problem) = problem {
                report.broken.push(BrokenLink {
                    manual: found.manual_slug.clone(),
                    article: found.article.slug.clone(),
                    title: found.article.title.clone(),
                    message: format!("broken {what} {url:?}: {problem}"),
                });
            }
        }
    }
    Ok(report)
}

/// What is wrong with one URL, if anything.
fn judge(
    url: &str,
    own: &Target,
    source_published: bool,
    manuals: &HashSet<String>,
    targets: &HashMap<(String, String), Target>,
    stored: &HashSet<String>,
) -> Option<String> {
    if url.is_empty() || crate::markdown::is_external_link(url) {
        return None;
    }
    let (path, anchor) = match url.split_once('#') {
        Some((p, a)) => (p, Some(crate::markdown::percent_decode(a))),
        None => (url, None),
    };
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() {
        let anchor = anchor.unwrap_or_default();
        return (!anchor.is_empty() && !own.anchors.contains(&anchor))
            .then(|| format!("there is no heading with anchor #{anchor} in this article"));
    }
    if let Some(rest) = path.strip_prefix("/docs/") {
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        return match parts.as_slice() {
            [manual] if !manuals.contains(*manual) => {
                Some(format!("there is no manual {manual:?}"))
            }
            [manual, article] => match targets.get(&(manual.to_string(), article.to_string())) {
                None => Some(format!(
                    "there is no article {article:?} in manual {manual:?}"
                )),
                Some(target) if source_published && !target.published => Some(format!(
                    "{manual}/{article} is a draft: customers get \u{201c}not found\u{201d}"
                )),
                Some(target) => anchor
                    .filter(|a| !a.is_empty() && !target.anchors.contains(a))
                    .map(|a| format!("{manual}/{article} has no heading with anchor #{a}")),
            },
            _ => None,
        };
    }
    if path.starts_with("/assets/") {
        return (!stored.contains(path)).then(|| "there is no such stored file".to_string());
    }
    if path.starts_with('/') {
        return None; // other pages of the site (questions, troubleshooters, search)
    }
    Some("a relative link leads nowhere from /docs/...: link to /docs/<manual>/<article> or an /assets/ file".into())
}

/// Every value of attribute `name` in sanitized HTML (always double-quoted,
/// entities escaped), decoded.
fn attribute_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = html[from..].find(&needle) {
        let start = from + pos + needle.len();
        let Some(len) = html[start..].find('"') else {
            break;
        };
        out.push(crate::markdown::strip_tags(&html[start..start + len]));
        from = start + len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_links() {
        let own = Target {
            anchors: ["here".to_string()].into(),
            published: true,
        };
        let manuals: HashSet<String> = ["m".to_string()].into();
        let mut targets = HashMap::new();
        targets.insert(
            ("m".to_string(), "a".to_string()),
            Target {
                anchors: ["step-1".to_string(), "café".to_string()].into(),
                published: true,
            },
        );
        targets.insert(
            ("m".to_string(), "d".to_string()),
            Target {
                anchors: HashSet::new(),
                published: false,
            },
        );
        let stored: HashSet<String> = ["/assets/abc/x.png".to_string()].into();
        let j = |url: &str| judge(url, &own, true, &manuals, &targets, &stored);
        assert_eq!(j("https://example.com/x"), None);
        assert_eq!(j("mailto:a@b.c"), None);
        assert_eq!(j("#here"), None);
        assert!(j("#gone").unwrap().contains("#gone"));
        assert_eq!(j("/docs/m"), None);
        assert!(j("/docs/n").unwrap().contains("no manual"));
        assert_eq!(j("/docs/m/a#step-1"), None);
        assert_eq!(j("/docs/m/a#caf%C3%A9"), None);
        assert!(j("/docs/m/a#step-2").unwrap().contains("#step-2"));
        assert!(j("/docs/m/zz").unwrap().contains("no article \"zz\""));
        assert!(j("/docs/m/d").unwrap().contains("draft"));
        assert_eq!(j("/assets/abc/x.png"), None);
        assert!(j("/assets/abc/y.png")
            .unwrap()
            .contains("no such stored file"));
        assert_eq!(j("/questions/1"), None);
        assert!(j("media/x.png").unwrap().contains("relative"));
    }

    #[test]
    fn reads_attributes_of_sanitized_html() {
        let html = "<p><a href=\"/docs/m/a?x=1&amp;y=2\">a</a> <img src=\"/assets/f/x.png\" alt=\"\"></p><h2 id=\"one\">";
        assert_eq!(attribute_values(html, "href"), ["/docs/m/a?x=1&y=2"]);
        assert_eq!(attribute_values(html, "src"), ["/assets/f/x.png"]);
        assert_eq!(attribute_values(html, "id"), ["one"]);
    }
}
