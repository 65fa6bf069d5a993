//! Troubleshooting trees: one TOML file per tree under `troubleshooting/`,
//! parsed, rendered and validated here, and walked from the answers a
//! customer gave (kept in the URL, keyed by node id).
//!
//! A tree has question nodes (two or more options, each with a target and a
//! one-line `summary` of what the answer means), fix nodes ("did this solve
//! it?": yes ends resolved, no goes to `next` or the tree's dead end) and
//! escalate nodes (we could not fix it here: ask the community with the path
//! pre-filled). Cycles must be marked with `loop = true` on the option that
//! goes back, and every node must still lead to a fix or a dead end.
//!
//! This module holds the model and the public entry points; `parse` turns
//! TOML into a tree, `check` checks its graph and links, `walk` replays answers.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{content_hash, read_bounded, Diagnostic};

mod check;
mod parse;
#[cfg(test)]
mod tests;
mod walk;

pub use check::check_links;
pub use parse::parse_str;
pub use walk::{Answered, Position, Walk, MAX_ANSWERS};

/// Default maximum depth of a tree (steps along the longest path).
pub const DEFAULT_MAX_DEPTH: usize = 12;
/// Most nodes in one tree.
pub const MAX_NODES: usize = 500;
/// Most options of one question.
pub const MAX_OPTIONS: usize = 12;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// A question with options.
    Question,
    /// Instructions, then "did this solve it?".
    Fix,
    /// We could not fix it here: the way forward.
    Escalate,
}

/// One option of a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Key in the URL (`?node=key`).
    pub key: String,
    /// Button text.
    pub label: String,
    /// Target node id.
    pub goto: String,
    /// What choosing it says about the problem, for the escalation report.
    pub summary: String,
    /// A deliberate jump back to an earlier node.
    pub is_loop: bool,
}

/// A node, rendered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Stable id (URL key).
    pub id: String,
    /// Kind.
    pub kind: NodeKind,
    /// Short heading.
    pub title: String,
    /// Markdown source.
    pub text_md: String,
    /// Sanitized HTML.
    pub text_html: String,
    /// Plain text, for search.
    pub text_plain: String,
    /// Options (questions only).
    pub options: Vec<Choice>,
    /// Fix nodes: where "no, not solved" goes (`None`: the dead end).
    pub next: Option<String>,
    /// Fewest steps from here to an end (this one included).
    pub min_left: usize,
    /// Most steps from here to an end, loops not followed.
    pub max_left: usize,
}

/// A whole tree, as stored in the database (JSON) and walked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// URL segment.
    pub slug: String,
    /// Title.
    pub title: String,
    /// What problem it diagnoses.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// First node.
    pub start: String,
    /// Articles to read afterwards, as `manual/article`.
    pub related: Vec<String>,
    /// Nodes in file order.
    pub nodes: Vec<Node>,
}

/// A tree as read from disk.
#[derive(Debug, Clone)]
pub struct TreeSource {
    /// The parsed, validated tree.
    pub tree: Tree,
    /// The file.
    pub path: PathBuf,
    /// Hash of the file.
    pub hash: String,
}

/// Names that exist elsewhere in the content set, for link checks.
pub struct KnownTargets<'a> {
    /// `manual/article` pairs.
    pub articles: &'a HashSet<String>,
    /// Slugs of every tree.
    pub trees: &'a HashSet<String>,
}

/// Reads every `*.toml` under `dir` (first pass: parse; links checked later).
pub fn load_all(dir: &Path, max_depth: usize) -> Result<Vec<TreeSource>, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut trees = Vec::new();
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            return Err(vec![Diagnostic::new(
                dir,
                1,
                format!("cannot read folder: {e}"),
            )])
        }
    };
    entries.sort();
    let mut slugs: HashMap<String, PathBuf> = HashMap::new();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if name.starts_with('.') || path.is_dir() {
            continue;
        }
        if !name.ends_with(".toml") {
            diags.push(Diagnostic::new(
                &path,
                1,
                "troubleshooting trees are .toml files; this file is not read",
            ));
            continue;
        }
        let Some(source) = parse_file(&path, max_depth, &mut diags) else {
            continue;
        };
        if let Some(first) = slugs.get(&source.tree.slug) {
            diags.push(Diagnostic::new(
                &path,
                1,
                format!(
                    "duplicate tree slug {:?}: {} already uses it",
                    source.tree.slug,
                    first.display()
                ),
            ));
            continue;
        }
        slugs.insert(source.tree.slug.clone(), path.clone());
        trees.push(source);
    }
    if diags.is_empty() {
        Ok(trees)
    } else {
        Err(diags)
    }
}

/// Parses and validates one tree file (everything but cross-file links).
pub fn parse_file(
    path: &Path,
    max_depth: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<TreeSource> {
    let bytes = match read_bounded(path) {
        Ok(b) => b,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let hash = content_hash(&bytes);
    let Ok(text) = String::from_utf8(bytes) else {
        diags.push(Diagnostic::new(path, 1, "file is not valid UTF-8"));
        return None;
    };
    parse_str(path, &text, max_depth, diags).map(|tree| TreeSource {
        tree,
        path: path.to_path_buf(),
        hash,
    })
}

impl Tree {
    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// Where "no, that did not solve it" goes from a fix node: its `next`, or
    /// the tree's first escalate node (`None`: the built-in dead end).
    pub fn after_fix(&self, fix: &Node) -> Option<&Node> {
        match &fix.next {
            Some(next) => self.node(next),
            None => self.nodes.iter().find(|n| n.kind == NodeKind::Escalate),
        }
    }

    /// Shortest list of answers from the start to `target`, as `(node, key)`.
    pub fn path_to(&self, target: &str) -> Option<Vec<(String, String)>> {
        let mut previous: HashMap<&str, (&str, &str)> = HashMap::new();
        let mut queue = VecDeque::from([self.start.as_str()]);
        let mut seen: HashSet<&str> = HashSet::from([self.start.as_str()]);
        while let Some(id) = queue.pop_front() {
            if id == target {
                let mut path = Vec::new();
                let mut at = id;
                while let Some((from, key)) = previous.get(at) {
                    path.push((from.to_string(), key.to_string()));
                    at = from;
                }
                path.reverse();
                return Some(path);
            }
            let Some(node) = self.node(id) else { continue };
            let steps: Vec<(&str, &str)> = match node.kind {
                NodeKind::Question => node
                    .options
                    .iter()
                    .map(|o| (o.goto.as_str(), o.key.as_str()))
                    .collect(),
                NodeKind::Fix => self
                    .after_fix(node)
                    .map(|n| vec![(n.id.as_str(), "no")])
                    .unwrap_or_default(),
                NodeKind::Escalate => Vec::new(),
            };
            for (to, key) in steps {
                if seen.insert(to) {
                    previous.insert(to, (id, key));
                    queue.push_back(to);
                }
            }
        }
        None
    }
}
