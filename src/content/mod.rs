//! The shipped content folder: manuals (folders of markdown files with TOML
//! front matter), troubleshooting trees and search synonyms, read, rendered
//! and validated as one [`ContentSet`].
//!
//! Loading either returns the whole set or every problem found, each as a
//! [`Diagnostic`] with `file:line`, so the server never half-loads content.
//!
//! Content is bounded so that checking it takes time linear in its size:
//! files of at most [`MAX_FILE_BYTES`], markdown nested at most
//! [`crate::markdown::MAX_NESTING`] levels deep, trees of at most
//! [`trees::MAX_NODES`] nodes and questions of at most [`trees::MAX_OPTIONS`]
//! options.

mod frontmatter;
pub mod known_issues;
pub mod manuals;
pub mod synonyms;
pub mod trees;

use std::fmt;
use std::path::{Path, PathBuf};

pub use manuals::{ArticleSource, ManualSource, PageText};
pub use synonyms::SynonymGroup;
pub use trees::{Tree, TreeSource};

/// Largest article, manual introduction or tree file read.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Reads a content file within [`MAX_FILE_BYTES`]; a larger or unreadable
/// file is a diagnostic.
fn read_bounded(path: &Path) -> Result<Vec<u8>, Diagnostic> {
    let too_large = |size: u64| {
        Diagnostic::new(
            path,
            1,
            format!(
                "the file has {size} bytes, more than the limit of {MAX_FILE_BYTES} (1 MiB): split it into several"
            ),
        )
    };
    let file = std::fs::File::open(path)
        .map_err(|e| Diagnostic::new(path, 1, format!("cannot read file: {e}")))?;
    if let Ok(meta) = file.metadata() {
        if meta.len() > MAX_FILE_BYTES {
            return Err(too_large(meta.len()));
        }
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(|e| Diagnostic::new(path, 1, format!("cannot read file: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The diagnostic for markdown nested too deeply; `line` is in the file.
fn nesting_diagnostic(path: &Path, line: usize, depth: usize, what: &str) -> Diagnostic {
    Diagnostic::new(
        path,
        line,
        format!(
            "{what} is nested {depth} levels deep (quotes, lists, emphasis, links or HTML inside each other); the limit is {}: flatten it",
            crate::markdown::MAX_NESTING
        ),
    )
}

/// Byte offsets to 1-based line numbers in one text, in logarithmic time.
pub(crate) struct LineIndex {
    /// Offset where each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the lines of `text`.
    pub(crate) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        LineIndex { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

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
    /// Search synonym groups (`synonyms.toml`), in file order.
    pub synonyms: Vec<SynonymGroup>,
    /// Known issues (`known-issues/`), by file name.
    pub known_issues: Vec<known_issues::IssueSource>,
}

impl ContentSet {
    /// Every synonym group as its list of members (key first).
    pub fn synonym_groups(&self) -> Vec<Vec<String>> {
        self.synonyms.iter().map(SynonymGroup::members).collect()
    }

    /// Number of articles over all manuals.
    pub fn article_count(&self) -> usize {
        self.manuals.iter().map(|m| m.articles.len()).sum()
    }
}

/// Reads and validates the content folder: `manuals/`, `troubleshooting/`,
/// `known-issues/` and `synonyms.toml`.
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
    let synonyms = synonyms::load(content_dir).unwrap_or_else(|d| {
        diags.extend(d);
        Vec::new()
    });
    let issues_dir = content_dir.join("known-issues");
    let known_issues = if issues_dir.is_dir() {
        known_issues::load_all(&issues_dir).unwrap_or_else(|d| {
            diags.extend(d);
            Vec::new()
        })
    } else {
        Vec::new()
    };
    if diags.is_empty() {
        check_cross_links(&manuals, &trees, &known_issues, &mut diags);
    }
    if !diags.is_empty() {
        diags.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
        diags.dedup();
        return Err(diags);
    }
    Ok(ContentSet {
        manuals,
        trees,
        synonyms,
        known_issues,
    })
}

/// Links between manuals and trees, both ways, and from known issues to both.
fn check_cross_links(
    manuals: &[ManualSource],
    trees: &[TreeSource],
    issues: &[known_issues::IssueSource],
    diags: &mut Vec<Diagnostic>,
) {
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
    known_issues::check_links(issues, &articles, &tree_slugs, diags);
    let known = trees::KnownTargets {
        articles: &articles,
        trees: &tree_slugs,
    };
    for source in trees {
        if let Ok(text) = std::fs::read_to_string(&source.path) {
            trees::check_links(source, &text, &known, diags);
        }
    }
    for page in manuals.iter().flat_map(ManualSource::pages) {
        for (line, link) in page.link_lines() {
            let dest = link
                .dest
                .split(['#', '?'])
                .next()
                .unwrap_or("")
                .trim_end_matches('/');
            if let Some(slug) = dest.strip_prefix("/troubleshoot/") {
                if !tree_slugs.contains(slug) {
                    diags.push(Diagnostic::new(
                        page.path,
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
