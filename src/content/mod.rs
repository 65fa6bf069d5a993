//! The shipped content folder: manuals (folders of markdown files with TOML
//! front matter) read, rendered and validated as one [`ContentSet`].
//!
//! Loading either returns the whole set or every problem found, each as a
//! [`Diagnostic`] with `file:line`, so the server never half-loads content.

mod frontmatter;
pub mod manuals;
pub mod trees;

use std::fmt;
use std::path::{Path, PathBuf};

pub use manuals::{ArticleSource, ManualSource};
pub use trees::{Tree, TreeSource};

/// One problem in a content file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as found under the content folder.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// What is wrong and, where possible, how to fix it.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic for `file` at `line`.
    pub fn new(file: &Path, line: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            line: line.max(1),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Everything loaded from the content folder, validated.
#[derive(Debug, Clone, Default)]
pub struct ContentSet {
    /// Manuals in display order, each with its articles in reading order.
    pub manuals: Vec<ManualSource>,
    /// Troubleshooting trees, by file name.
    pub trees: Vec<TreeSource>,
}

impl ContentSet {
    /// Number of articles over all manuals.
    pub fn article_count(&self) -> usize {
        self.manuals.iter().map(|m| m.articles.len()).sum()
    }
}

/// Reads and validates the content folder: `manuals/` and `troubleshooting/`.
/// A missing folder is an empty set; any problem makes the whole load fail
/// with every diagnostic found. Trees deeper than `max_tree_depth` are refused.
pub fn load(content_dir: &Path, max_tree_depth: usize) -> Result<ContentSet, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let manuals_dir = content_dir.join("manuals");
    let manuals = if manuals_dir.is_dir() {
        manuals::load_all(&manuals_dir).unwrap_or_else(|d| {
            diags.extend(d);
            Vec::new()
        })
    } else {
        Vec::new()
    };
    let trees_dir = content_dir.join("troubleshooting");
    let trees = if trees_dir.is_dir() {
        trees::load_all(&trees_dir, max_tree_depth).unwrap_or_else(|d| {
            diags.extend(d);
            Vec::new()
        })
    } else {
        Vec::new()
    };
    if diags.is_empty() {
        check_cross_links(&manuals, &trees, &mut diags);
    }
    if !diags.is_empty() {
        diags.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        diags.dedup();
        return Err(diags);
    }
    Ok(ContentSet { manuals, trees })
}

/// Links between manuals and trees, both ways.
fn check_cross_links(manuals: &[ManualSource], trees: &[TreeSource], diags: &mut Vec<Diagnostic>) {
    let articles: std::collections::HashSet<String> = manuals
        .iter()
        .flat_map(|m| {
            m.articles
                .iter()
                .map(move |a| format!("{}/{}", m.slug, a.slug))
        })
        .collect();
    let tree_slugs: std::collections::HashSet<String> =
        trees.iter().map(|t| t.tree.slug.clone()).collect();
    let known = trees::KnownTargets {
        articles: &articles,
        trees: &tree_slugs,
    };
    for source in trees {
        if let Ok(text) = std::fs::read_to_string(&source.path) {
            trees::check_links(source, &text, &known, diags);
        }
    }
    for manual in manuals {
        for article in &manual.articles {
            for link in &article.rendered.links {
                let dest = link
                    .dest
                    .split(['#', '?'])
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('/');
                if let Some(slug) = dest.strip_prefix("/troubleshoot/") {
                    if !tree_slugs.contains(slug) {
                        let line = article.body_line_offset
                            + article.body_md[..link.offset.min(article.body_md.len())]
                                .matches('\n')
                                .count()
                            + 1;
                        diags.push(Diagnostic::new(
                            &article.path,
                            line,
                            format!(
                                "broken link {:?}: there is no troubleshooting tree {slug:?}",
                                link.dest
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// Decodes a file's bytes as UTF-8; otherwise a diagnostic at the line of
/// the first invalid byte.
pub fn utf8_text(path: &Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    String::from_utf8(bytes).map_err(|e| {
        let line = e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        Diagnostic::new(path, line, "file is not valid UTF-8")
    })
}

/// Whether `s` is a valid slug: lowercase ascii letters, digits and inner dashes.
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Hex SHA-256 of a file's bytes: the content hash used to skip unchanged files.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
