//! The shipped content folder: manuals (folders of markdown files with TOML
//! front matter) read, rendered and validated as one [`ContentSet`].
//!
//! Loading either returns the whole set or every problem found, each as a
//! [`Diagnostic`] with `file:line`, so the server never half-loads content.

mod frontmatter;
pub mod manuals;

use std::fmt;
use std::path::{Path, PathBuf};

pub use manuals::{ArticleSource, ManualSource};

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
        Diagnostic { file: file.to_path_buf(), line: line.max(1), message: message.into() }
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
}

impl ContentSet {
    /// Number of articles over all manuals.
    pub fn article_count(&self) -> usize {
        self.manuals.iter().map(|m| m.articles.len()).sum()
    }
}

/// Reads and validates the content folder. A missing folder is an empty set;
/// any problem makes the whole load fail with every diagnostic found.
pub fn load(content_dir: &Path) -> Result<ContentSet, Vec<Diagnostic>> {
    let manuals_dir = content_dir.join("manuals");
    let manuals = if manuals_dir.is_dir() { manuals::load_all(&manuals_dir)? } else { Vec::new() };
    Ok(ContentSet { manuals })
}

/// Whether `s` is a valid slug: lowercase ascii letters, digits and inner dashes.
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Hex SHA-256 of a file's bytes: the content hash used to skip unchanged files.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
