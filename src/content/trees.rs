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

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{content_hash, is_valid_slug, nesting_diagnostic, read_bounded, Diagnostic, LineIndex};
use crate::markdown::{self, Profile};

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TreeFile {
    #[serde(default)]
    slug: Option<Spanned<String>>,
    title: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: Vec<String>,
    start: Spanned<String>,
    #[serde(default)]
    related: Vec<Spanned<String>>,
    #[serde(default, rename = "node")]
    nodes: Vec<NodeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeFile {
    id: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default, rename = "option")]
    options: Vec<OptionFile>,
    #[serde(default)]
    next: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionFile {
    label: Spanned<String>,
    goto: Spanned<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default, rename = "loop")]
    is_loop: bool,
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

/// Parses and validates tree TOML text; problems go to `diags` with lines.
pub fn parse_str(
    path: &Path,
    text: &str,
    max_depth: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Tree> {
    let lines_of_text = LineIndex::new(text);
    let file: TreeFile = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let line = e.span().map(|s| lines_of_text.line(s.start)).unwrap_or(1);
            diags.push(Diagnostic::new(
                path,
                line,
                format!("bad tree file: {}", e.message().trim()),
            ));
            return None;
        }
    };
    let before = diags.len();
    let at = |span: std::ops::Range<usize>| lines_of_text.line(span.start);
    if let Some(extra) = file.nodes.get(MAX_NODES) {
        diags.push(Diagnostic::new(
            path,
            at(extra.id.span()),
            format!(
                "the tree has {} nodes, more than the limit of {MAX_NODES}: split it into several trees that link to each other",
                file.nodes.len()
            ),
        ));
        return None;
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let (slug, slug_line) = match &file.slug {
        Some(s) => (s.get_ref().clone(), at(s.span())),
        None => (stem, 1),
    };
    if !is_valid_slug(&slug) {
        diags.push(Diagnostic::new(
            path,
            slug_line,
            format!("{slug:?} is not a valid tree slug (lowercase letters, digits, dashes)"),
        ));
    }
    if file.title.get_ref().trim().is_empty() {
        diags.push(Diagnostic::new(
            path,
            at(file.title.span()),
            "title must not be empty",
        ));
    }
    // Nodes: ids, kinds, options.
    let mut lines: HashMap<String, usize> = HashMap::new();
    let mut target_lines: Vec<(String, String, usize)> = Vec::new();
    let mut nodes = Vec::new();
    for node in &file.nodes {
        let id = node.id.get_ref().trim().to_string();
        let line = at(node.id.span());
        if !is_valid_slug(&id) {
            diags.push(Diagnostic::new(
                path,
                line,
                format!("node id {id:?} must use lowercase letters, digits and dashes"),
            ));
        }
        if let Some(first) = lines.get(&id) {
            diags.push(Diagnostic::new(
                path,
                line,
                format!("duplicate node id {id:?} (first defined on line {first})"),
            ));
            continue;
        }
        lines.insert(id.clone(), line);
        let kind = match node.kind.get_ref().as_str() {
            "question" => NodeKind::Question,
            "fix" => NodeKind::Fix,
            "escalate" | "dead-end" => NodeKind::Escalate,
            other => {
                diags.push(Diagnostic::new(
                    path,
                    at(node.kind.span()),
                    format!("unknown node kind {other:?}: use question, fix or escalate"),
                ));
                continue;
            }
        };
        if node.text.trim().is_empty() && node.title.trim().is_empty() {
            diags.push(Diagnostic::new(
                path,
                line,
                format!("node {id:?} needs a title or a text"),
            ));
        }
        let mut options = Vec::new();
        match kind {
            NodeKind::Question => {
                if node.options.len() < 2 {
                    diags.push(Diagnostic::new(path, line, format!("question {id:?} needs at least 2 options ([[node.option]] with label, goto, summary)")));
                }
                if let Some(extra) = node.options.get(MAX_OPTIONS) {
                    diags.push(Diagnostic::new(path, at(extra.label.span()), format!("question {id:?} has {} options, more than the limit of {MAX_OPTIONS}: ask a narrower question first", node.options.len())));
                }
                let mut keys = HashSet::new();
                for option in &node.options {
                    let label = option.label.get_ref().trim().to_string();
                    let key = option
                        .key
                        .clone()
                        .unwrap_or_else(|| markdown::slugify(&label));
                    if !keys.insert(key.clone()) {
                        diags.push(Diagnostic::new(path, at(option.label.span()), format!("two options of {id:?} have the key {key:?}: give one a distinct `key`")));
                    }
                    if option.summary.trim().is_empty() {
                        diags.push(Diagnostic::new(path, at(option.label.span()), format!("option {label:?} needs a summary (one sentence for the escalation report)")));
                    }
                    target_lines.push((
                        id.clone(),
                        option.goto.get_ref().trim().to_string(),
                        at(option.goto.span()),
                    ));
                    options.push(Choice {
                        key,
                        label,
                        goto: option.goto.get_ref().trim().to_string(),
                        summary: option.summary.trim().to_string(),
                        is_loop: option.is_loop,
                    });
                }
                if node.next.is_some() {
                    diags.push(Diagnostic::new(path, line, "only fix nodes have `next`"));
                }
            }
            NodeKind::Fix | NodeKind::Escalate => {
                if !node.options.is_empty() {
                    diags.push(Diagnostic::new(
                        path,
                        line,
                        format!(
                            "only questions have options; {id:?} is a {}",
                            node.kind.get_ref()
                        ),
                    ));
                }
                if kind == NodeKind::Escalate && node.next.is_some() {
                    diags.push(Diagnostic::new(
                        path,
                        line,
                        "an escalate node ends the tree; it has no `next`",
                    ));
                }
            }
        }
        if let Some(next) = &node.next {
            target_lines.push((
                id.clone(),
                next.get_ref().trim().to_string(),
                at(next.span()),
            ));
        }
        if let Some((_, depth)) = markdown::nesting_problem(&node.text) {
            diags.push(nesting_diagnostic(
                path,
                line,
                depth,
                &format!("the text of node {id:?}"),
            ));
        }
        let rendered = markdown::render(&node.text, Profile::Trusted, &|_| None);
        nodes.push(Node {
            title: if node.title.trim().is_empty() {
                first_line(&rendered.text)
            } else {
                node.title.trim().to_string()
            },
            id,
            kind,
            text_md: node.text.clone(),
            text_html: rendered.html,
            text_plain: rendered.text,
            options,
            next: node.next.as_ref().map(|n| n.get_ref().trim().to_string()),
            min_left: 0,
            max_left: 0,
        });
    }
    if nodes.is_empty() {
        diags.push(Diagnostic::new(
            path,
            1,
            "a tree needs nodes: add [[node]] tables",
        ));
        return None;
    }
    // Targets exist.
    let ids: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let start = file.start.get_ref().trim().to_string();
    if !ids.contains(start.as_str()) {
        diags.push(Diagnostic::new(
            path,
            at(file.start.span()),
            format!("start node {start:?} does not exist"),
        ));
    }
    for (from, to, line) in &target_lines {
        if !ids.contains(to.as_str()) {
            diags.push(Diagnostic::new(
                path,
                *line,
                format!("node {from:?} points to unknown node {to:?}"),
            ));
        }
    }
    if diags.len() > before {
        return None;
    }
    let mut tree = Tree {
        slug,
        title: file.title.get_ref().trim().to_string(),
        description: file.description.trim().to_string(),
        tags: file
            .tags
            .iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect(),
        start,
        related: file
            .related
            .iter()
            .map(|r| r.get_ref().trim().trim_end_matches(".md").to_string())
            .collect(),
        nodes,
    };
    check_graph(path, &mut tree, &lines, max_depth, diags);
    if diags.len() > before {
        None
    } else {
        Some(tree)
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let short: String = line.chars().take(80).collect();
    if short.len() < line.len() {
        format!("{short}…")
    } else {
        short
    }
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

/// Reachability, cycles, ways out and depth; fills in `min_left`/`max_left`.
fn check_graph(
    path: &Path,
    tree: &mut Tree,
    lines: &HashMap<String, usize>,
    max_depth: usize,
    diags: &mut Vec<Diagnostic>,
) {
    let line = |id: &str| lines.get(id).copied().unwrap_or(1);
    // Edges by node index, built once: `(target, is_loop)`.
    let index: HashMap<&str, usize> = tree
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let first_escalate = tree.nodes.iter().position(|n| n.kind == NodeKind::Escalate);
    let edges: Vec<Vec<(usize, bool)>> = tree
        .nodes
        .iter()
        .map(|n| match n.kind {
            NodeKind::Question => n
                .options
                .iter()
                .filter_map(|o| index.get(o.goto.as_str()).map(|&to| (to, o.is_loop)))
                .collect(),
            NodeKind::Fix => match &n.next {
                Some(next) => index
                    .get(next.as_str())
                    .map(|&to| (to, false))
                    .into_iter()
                    .collect(),
                None => first_escalate.map(|to| (to, false)).into_iter().collect(),
            },
            NodeKind::Escalate => Vec::new(),
        })
        .collect();
    // Unreachable nodes.
    let mut reachable = vec![false; tree.nodes.len()];
    let mut stack: Vec<usize> = index
        .get(tree.start.as_str())
        .copied()
        .into_iter()
        .collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut reachable[i], true) {
            continue;
        }
        stack.extend(
            edges[i]
                .iter()
                .map(|&(to, _)| to)
                .filter(|&to| !reachable[to]),
        );
    }
    for (i, node) in tree.nodes.iter().enumerate() {
        if !reachable[i] {
            diags.push(Diagnostic::new(
                path,
                line(&node.id),
                format!(
                    "node {:?} is unreachable from the start node {:?}",
                    node.id, tree.start
                ),
            ));
        }
    }
    // Cycles through unmarked edges: depth-first search with colours.
    let forward: Vec<Vec<usize>> = edges
        .iter()
        .map(|out| out.iter().filter(|(_, l)| !l).map(|&(to, _)| to).collect())
        .collect();
    let mut colour = vec![0u8; tree.nodes.len()];
    let mut order = Vec::new();
    let mut cyclic = false;
    for root in 0..tree.nodes.len() {
        if colour[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        colour[root] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&to) = forward[node].get(*next) {
                *next += 1;
                match colour[to] {
                    0 => {
                        colour[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => {
                        cyclic = true;
                        let from = &tree.nodes[node].id;
                        diags.push(Diagnostic::new(path, line(from), format!(
                            "cycle: {from:?} leads back to {:?}; if going back is deliberate, mark that option with loop = true",
                            tree.nodes[to].id
                        )));
                    }
                    _ => {}
                }
            } else {
                colour[node] = 2;
                order.push(node);
                stack.pop();
            }
        }
    }
    if cyclic {
        return;
    }
    // `order` is a post-order: every node comes after the nodes it leads to.
    let mut min_left = vec![usize::MAX; tree.nodes.len()];
    let mut max_left = vec![0usize; tree.nodes.len()];
    for &i in &order {
        let node = &tree.nodes[i];
        let is_end = node.kind == NodeKind::Escalate
            || (node.kind == NodeKind::Fix && forward[i].is_empty());
        let (mut lo, mut hi) = if is_end { (1, 1) } else { (usize::MAX, 0) };
        if node.kind == NodeKind::Fix {
            lo = 1; // "yes, solved" ends here
            hi = hi.max(1);
        }
        for &to in &forward[i] {
            if min_left[to] != usize::MAX {
                lo = lo.min(min_left[to].saturating_add(1));
            }
            hi = hi.max(max_left[to] + 1);
        }
        min_left[i] = lo;
        max_left[i] = hi;
    }
    for (i, node) in tree.nodes.iter().enumerate() {
        if min_left[i] == usize::MAX {
            diags.push(Diagnostic::new(
                path,
                line(&node.id),
                format!(
                    "node {:?} has no way out: no fix or escalate node can be reached from it",
                    node.id
                ),
            ));
        }
    }
    if let Some(&start) = index.get(tree.start.as_str()) {
        if max_left[start] > max_depth {
            diags.push(Diagnostic::new(path, line(&tree.start), format!(
                "the longest path has {} steps, more than the maximum of {max_depth}: split the tree or shorten it",
                max_left[start]
            )));
        }
    }
    for (i, node) in tree.nodes.iter_mut().enumerate() {
        node.min_left = if min_left[i] == usize::MAX {
            0
        } else {
            min_left[i]
        };
        node.max_left = max_left[i];
    }
}

/// Checks links in node texts and `related` against the rest of the content.
pub fn check_links(
    source: &TreeSource,
    text: &str,
    known: &KnownTargets<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let file: Result<TreeFile, _> = toml::from_str(text);
    let Ok(file) = file else { return };
    let lines = LineIndex::new(text);
    for related in &file.related {
        let target = related.get_ref().trim().trim_end_matches(".md");
        if !known.articles.contains(target) {
            diags.push(Diagnostic::new(
                &source.path,
                lines.line(related.span().start),
                format!("related article {target:?} does not exist (write it as manual/article)"),
            ));
        }
    }
    for (node, raw) in source.tree.nodes.iter().zip(&file.nodes) {
        let rendered = markdown::render(&node.text_md, Profile::Trusted, &|_| None);
        for link in rendered.links {
            let dest = link
                .dest
                .split('#')
                .next()
                .unwrap_or("")
                .trim_end_matches('/');
            let broken = if let Some(rest) = dest.strip_prefix("/docs/") {
                rest.contains('/') && !known.articles.contains(rest)
            } else if let Some(slug) = dest.strip_prefix("/troubleshoot/") {
                !known.trees.contains(slug)
            } else {
                false
            };
            if broken {
                diags.push(Diagnostic::new(
                    &source.path,
                    lines.line(raw.id.span().start),
                    format!(
                        "node {:?} links to {:?}, which does not exist",
                        node.id, link.dest
                    ),
                ));
            }
        }
    }
}

/// One answered step of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// The node answered.
    pub node: String,
    /// The answer key.
    pub key: String,
    /// What the customer clicked.
    pub label: String,
    /// The node's title (the question).
    pub question: String,
    /// The summary sentence for the escalation report.
    pub summary: String,
}

/// Where a walk stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// Showing this node.
    At(String),
    /// The built-in dead end (a fix said "no" and the tree has no escalate node).
    DeadEnd,
}

/// The result of replaying answers over a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// Answers that applied, in order.
    pub answered: Vec<Answered>,
    /// Where the customer is now.
    pub position: Position,
    /// Answers that were ignored (the tree changed, or the URL was edited).
    pub ignored: usize,
}

/// Most answers read from a URL.
pub const MAX_ANSWERS: usize = 64;

impl Tree {
    /// Replays `answers` (node id -> key, first value wins) from the start.
    /// Stops at the first node without a valid answer, or at a node reached
    /// a second time (a marked loop asks again).
    pub fn walk(&self, answers: &[(String, String)]) -> Walk {
        let mut given: BTreeMap<&str, &str> = BTreeMap::new();
        for (node, key) in answers.iter().take(MAX_ANSWERS) {
            given.entry(node.as_str()).or_insert(key.as_str());
        }
        let mut used: HashSet<&str> = HashSet::new();
        let mut answered = Vec::new();
        let mut at = self.start.as_str();
        let position = loop {
            let Some(node) = self.node(at) else {
                break Position::DeadEnd;
            };
            if used.contains(at) {
                break Position::At(at.to_string());
            }
            let Some(key) = given.get(at) else {
                break Position::At(at.to_string());
            };
            let next = match node.kind {
                NodeKind::Question => node
                    .options
                    .iter()
                    .find(|o| o.key == *key)
                    .map(|o| (Some(o.goto.as_str()), o.label.clone(), o.summary.clone())),
                NodeKind::Fix if *key == "no" => Some((
                    self.after_fix(node).map(|n| n.id.as_str()),
                    "No, that did not solve it".to_string(),
                    format!("Tried \u{201c}{}\u{201d}: it did not help", node.title),
                )),
                _ => None,
            };
            let Some((to, label, summary)) = next else {
                break Position::At(at.to_string());
            };
            used.insert(at);
            answered.push(Answered {
                node: at.to_string(),
                key: key.to_string(),
                label,
                question: node.title.clone(),
                summary,
            });
            match to {
                Some(to) => at = to,
                None => break Position::DeadEnd,
            }
        };
        let ignored = given.len().saturating_sub(answered.len());
        Walk {
            answered,
            position,
            ignored,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
title = "Printer prints nothing"
start = "power"

[[node]]
id = "power"
kind = "question"
title = "Is the power light on?"
  [[node.option]]
  label = "Yes"
  goto = "paper"
  summary = "Power light is on"
  [[node.option]]
  label = "No"
  goto = "plug"
  summary = "Power light is off"

[[node]]
id = "plug"
kind = "fix"
title = "Plug it in"
text = "Push the cable in firmly."

[[node]]
id = "paper"
kind = "question"
title = "Is there paper?"
  [[node.option]]
  label = "Yes"
  goto = "ask"
  summary = "There is paper"
  [[node.option]]
  label = "Not sure, check power again"
  key = "recheck"
  goto = "power"
  summary = "Unsure about the paper"
  loop = true

[[node]]
id = "ask"
kind = "escalate"
title = "We could not fix it here"
"#;

    fn parse(text: &str) -> (Option<Tree>, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let tree = parse_str(Path::new("t.toml"), text, DEFAULT_MAX_DEPTH, &mut diags);
        (tree, diags)
    }

    #[test]
    fn parses_and_computes_steps_left() {
        let (tree, diags) = parse(SAMPLE);
        assert!(diags.is_empty(), "{diags:?}");
        let tree = tree.unwrap();
        assert_eq!(tree.slug, "t");
        let power = tree.node("power").unwrap();
        assert_eq!((power.min_left, power.max_left), (2, 3));
        assert_eq!(tree.node("power").unwrap().options[0].key, "yes");
        assert_eq!(
            tree.path_to("ask").unwrap(),
            vec![
                ("power".to_string(), "yes".to_string()),
                ("paper".into(), "yes".into())
            ]
        );
    }

    #[test]
    fn walks_answers_and_stops_where_they_end() {
        let tree = parse(SAMPLE).0.unwrap();
        let a = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let walk = tree.walk(&a(&[("power", "no")]));
        assert_eq!(walk.position, Position::At("plug".into()));
        assert_eq!(walk.answered[0].summary, "Power light is off");
        // Fix says no, no `next`, the tree's escalate node takes over.
        let walk = tree.walk(&a(&[("power", "no"), ("plug", "no")]));
        assert_eq!(walk.position, Position::At("ask".into()));
        // Unknown keys and nodes are ignored; the valid prefix stands.
        let walk = tree.walk(&a(&[("power", "yes"), ("paper", "banana"), ("ghost", "x")]));
        assert_eq!(walk.position, Position::At("paper".into()));
        assert_eq!(walk.ignored, 2);
        // A marked loop asks the earlier question again.
        let walk = tree.walk(&a(&[("power", "yes"), ("paper", "recheck")]));
        assert_eq!(walk.position, Position::At("power".into()));
        assert_eq!(walk.answered.len(), 2);
        // Repeated parameters: the first value wins.
        let walk = tree.walk(&a(&[("power", "no"), ("power", "yes")]));
        assert_eq!(walk.position, Position::At("plug".into()));
    }

    #[test]
    fn every_rule_reports_file_and_line() {
        let (_, d) = parse("title = \"x\"\nstart = \"a\"\n[[node]]\nid = \"a\"\nkind = \"question\"\n  [[node.option]]\n  label = \"Only\"\n  goto = \"nowhere\"\n  summary = \"s\"\n");
        assert!(
            d.iter()
                .any(|d| d.line == 5 || d.line == 4 && d.message.contains("at least 2 options")),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|d| d.line == 8 && d.message.contains("unknown node \"nowhere\"")),
            "{d:?}"
        );

        let (_, d) = parse("title = \"x\"\nstart = \"a\"\n[[node]]\nid = \"a\"\nkind = \"fix\"\ntitle = \"A\"\n[[node]]\nid = \"a\"\nkind = \"fix\"\ntitle = \"A\"\n");
        assert!(
            d.iter()
                .any(|d| d.line == 8 && d.message.contains("duplicate node id")),
            "{d:?}"
        );

        let (_, d) = parse("title = \"x\"\nstart = \"a\"\n[[node]]\nid = \"a\"\nkind = \"fix\"\ntitle = \"A\"\n[[node]]\nid = \"lost\"\nkind = \"fix\"\ntitle = \"L\"\n");
        assert!(
            d.iter()
                .any(|d| d.line == 8 && d.message.contains("unreachable")),
            "{d:?}"
        );

        let cycle = "title = \"x\"\nstart = \"a\"\n[[node]]\nid = \"a\"\nkind = \"question\"\ntitle = \"A\"\n  [[node.option]]\n  label = \"1\"\n  goto = \"b\"\n  summary = \"s\"\n  [[node.option]]\n  label = \"2\"\n  goto = \"b\"\n  key = \"two\"\n  summary = \"s\"\n[[node]]\nid = \"b\"\nkind = \"question\"\ntitle = \"B\"\n  [[node.option]]\n  label = \"back\"\n  goto = \"a\"\n  summary = \"s\"\n  [[node.option]]\n  label = \"again\"\n  goto = \"a\"\n  summary = \"s\"\n";
        let (_, d) = parse(cycle);
        assert!(
            d.iter()
                .any(|d| d.line == 17 && d.message.contains("cycle")),
            "{d:?}"
        );
        let marked = cycle.replace("  goto = \"a\"\n", "  goto = \"a\"\n  loop = true\n");
        let (_, d) = parse(&marked);
        assert!(
            d.iter().any(|d| d.message.contains("no way out")),
            "a marked cycle that never reaches a fix: {d:?}"
        );

        let (_, d) =
            parse("title = \"x\"\nstart = \"zz\"\n[[node]]\nid = \"a\"\nkind = \"maybe\"\n");
        assert!(
            d.iter()
                .any(|d| d.line == 5 && d.message.contains("unknown node kind")),
            "{d:?}"
        );
        let (_, d) = parse("title = \"x\"\nstart = \"a\"\ncolour = 1\n");
        assert!(
            d.iter()
                .any(|d| d.line == 3 && d.message.contains("colour")),
            "{d:?}"
        );
    }

    #[test]
    fn depth_limit() {
        let mut text = String::from("title = \"deep\"\nstart = \"n0\"\n");
        for i in 0..14 {
            text.push_str(&format!(
                "[[node]]\nid = \"n{i}\"\nkind = \"fix\"\ntitle = \"Step {i}\"\nnext = \"n{}\"\n",
                i + 1
            ));
        }
        text.push_str("[[node]]\nid = \"n14\"\nkind = \"escalate\"\ntitle = \"end\"\n");
        let (_, d) = parse(&text);
        assert!(
            d.iter()
                .any(|d| d.line == 4 && d.message.contains("more than the maximum of 12")),
            "{d:?}"
        );
        let mut diags = Vec::new();
        assert!(
            parse_str(Path::new("t.toml"), &text, 20, &mut diags).is_some(),
            "{diags:?}"
        );
    }
}
