//! Tree TOML to [`Tree`], as a short chain of named steps: read the TOML,
//! check the header, read each node and its options, check that every target
//! exists, assemble the tree, then check its graph. Every problem is reported
//! with its file and line.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::check::check_graph;
use super::{Choice, Node, NodeKind, Tree, MAX_NODES, MAX_OPTIONS};
use crate::content::{is_valid_slug, nesting_diagnostic, Diagnostic, LineIndex};
use crate::markdown::{self, Profile};

/// A tree file as written, with the byte spans of the values reported on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TreeFile {
    #[serde(default)]
    slug: Option<Spanned<String>>,
    title: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: Vec<String>,
    start: Spanned<String>,
    #[serde(default)]
    pub(super) related: Vec<Spanned<String>>,
    #[serde(default, rename = "node")]
    pub(super) nodes: Vec<NodeFile>,
}

/// One `[[node]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NodeFile {
    pub(super) id: Spanned<String>,
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

/// One `[[node.option]]` table as written.
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

/// Where the problems of one file go, each placed on its line.
struct Report<'a> {
    path: &'a Path,
    lines: LineIndex,
    diags: &'a mut Vec<Diagnostic>,
}

impl Report<'_> {
    /// The line where `span` starts.
    fn line(&self, span: Range<usize>) -> usize {
        self.lines.line(span.start)
    }

    /// Records a problem on `line`.
    fn push(&mut self, line: usize, message: impl Into<String>) {
        self.diags.push(Diagnostic::new(self.path, line, message));
    }
}

/// A link from one node to another, kept with its line until every id is known.
struct Target {
    from: String,
    to: String,
    line: usize,
}

/// The nodes read from a file, the line of each id, and every link between them.
struct ReadNodes {
    nodes: Vec<Node>,
    lines: HashMap<String, usize>,
    targets: Vec<Target>,
}

/// Parses and validates tree TOML text; problems go to `diags` with lines.
pub fn parse_str(
    path: &Path,
    text: &str,
    max_depth: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Tree> {
    let mut report = Report {
        path,
        lines: LineIndex::new(text),
        diags,
    };
    let file = read_toml(&mut report, text)?;
    let before = report.diags.len();
    if !within_node_limit(&mut report, &file) {
        return None;
    }
    let slug = read_slug_and_title(&mut report, &file);
    let ReadNodes {
        nodes,
        lines,
        targets,
    } = read_nodes(&mut report, &file.nodes);
    if nodes.is_empty() {
        report.push(1, "a tree needs nodes: add [[node]] tables");
        return None;
    }
    let start = file.start.get_ref().trim().to_string();
    check_targets(&mut report, &file, &start, &nodes, &targets);
    if report.diags.len() > before {
        return None;
    }
    let mut tree = assemble(&file, slug, start, nodes);
    check_graph(path, &mut tree, &lines, max_depth, report.diags);
    if report.diags.len() > before {
        None
    } else {
        Some(tree)
    }
}

/// Step 1: the TOML itself, against the file's shape.
fn read_toml(report: &mut Report<'_>, text: &str) -> Option<TreeFile> {
    match toml::from_str(text) {
        Ok(file) => Some(file),
        Err(e) => {
            let line = e.span().map(|s| report.line(s)).unwrap_or(1);
            report.push(line, format!("bad tree file: {}", e.message().trim()));
            None
        }
    }
}

/// Step 2: a tree over the node limit is not read further.
fn within_node_limit(report: &mut Report<'_>, file: &TreeFile) -> bool {
    let Some(extra) = file.nodes.get(MAX_NODES) else {
        return true;
    };
    let line = report.line(extra.id.span());
    report.push(
        line,
        format!(
            "the tree has {} nodes, more than the limit of {MAX_NODES}: split it into several trees that link to each other",
            file.nodes.len()
        ),
    );
    false
}

/// Step 3: the slug (given, or the file name) and the title.
fn read_slug_and_title(report: &mut Report<'_>, file: &TreeFile) -> String {
    let (slug, slug_line) = match &file.slug {
        Some(s) => (s.get_ref().clone(), report.line(s.span())),
        None => {
            let stem = report
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            (stem, 1)
        }
    };
    if !is_valid_slug(&slug) {
        report.push(
            slug_line,
            format!("{slug:?} is not a valid tree slug (lowercase letters, digits, dashes)"),
        );
    }
    if file.title.get_ref().trim().is_empty() {
        let line = report.line(file.title.span());
        report.push(line, "title must not be empty");
    }
    slug
}

/// Step 4: every node, in file order; duplicates and unknown kinds are skipped.
fn read_nodes(report: &mut Report<'_>, raw: &[NodeFile]) -> ReadNodes {
    let mut read = ReadNodes {
        nodes: Vec::new(),
        lines: HashMap::new(),
        targets: Vec::new(),
    };
    for node in raw {
        let id = node.id.get_ref().trim().to_string();
        let line = report.line(node.id.span());
        if !is_valid_slug(&id) {
            report.push(
                line,
                format!("node id {id:?} must use lowercase letters, digits and dashes"),
            );
        }
        if let Some(first) = read.lines.get(&id) {
            report.push(
                line,
                format!("duplicate node id {id:?} (first defined on line {first})"),
            );
            continue;
        }
        read.lines.insert(id.clone(), line);
        let Some(kind) = node_kind(report, node) else {
            continue;
        };
        let node = read_node(report, node, id, line, kind, &mut read.targets);
        read.nodes.push(node);
    }
    read
}

/// The kind a node names (`dead-end` is an older name for `escalate`).
fn node_kind(report: &mut Report<'_>, node: &NodeFile) -> Option<NodeKind> {
    match node.kind.get_ref().as_str() {
        "question" => Some(NodeKind::Question),
        "fix" => Some(NodeKind::Fix),
        "escalate" | "dead-end" => Some(NodeKind::Escalate),
        other => {
            let line = report.line(node.kind.span());
            report.push(
                line,
                format!("unknown node kind {other:?}: use question, fix or escalate"),
            );
            None
        }
    }
}

/// One node with a known id and kind: its options, `next`, and rendered text.
fn read_node(
    report: &mut Report<'_>,
    node: &NodeFile,
    id: String,
    line: usize,
    kind: NodeKind,
    targets: &mut Vec<Target>,
) -> Node {
    if node.text.trim().is_empty() && node.title.trim().is_empty() {
        report.push(line, format!("node {id:?} needs a title or a text"));
    }
    let options = match kind {
        NodeKind::Question => read_options(report, node, &id, line, targets),
        NodeKind::Fix | NodeKind::Escalate => {
            check_end_node(report, node, &id, line, kind);
            Vec::new()
        }
    };
    if let Some(next) = &node.next {
        targets.push(Target {
            from: id.clone(),
            to: next.get_ref().trim().to_string(),
            line: report.line(next.span()),
        });
    }
    if let Some((_, depth)) = markdown::nesting_problem(&node.text) {
        let what = format!("the text of node {id:?}");
        report
            .diags
            .push(nesting_diagnostic(report.path, line, depth, &what));
    }
    let rendered = markdown::render(&node.text, Profile::Trusted, &|_| None);
    Node {
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
    }
}

/// The options of a question: how many, distinct keys, a summary each.
fn read_options(
    report: &mut Report<'_>,
    node: &NodeFile,
    id: &str,
    line: usize,
    targets: &mut Vec<Target>,
) -> Vec<Choice> {
    if node.options.len() < 2 {
        report.push(line, format!("question {id:?} needs at least 2 options ([[node.option]] with label, goto, summary)"));
    }
    if let Some(extra) = node.options.get(MAX_OPTIONS) {
        let line = report.line(extra.label.span());
        report.push(line, format!("question {id:?} has {} options, more than the limit of {MAX_OPTIONS}: ask a narrower question first", node.options.len()));
    }
    let mut keys = HashSet::new();
    let mut options = Vec::new();
    for option in &node.options {
        options.push(read_option(report, option, id, &mut keys, targets));
    }
    if node.next.is_some() {
        report.push(line, "only fix nodes have `next`");
    }
    options
}

/// One option; its key defaults to the slug of its label.
fn read_option(
    report: &mut Report<'_>,
    option: &OptionFile,
    id: &str,
    keys: &mut HashSet<String>,
    targets: &mut Vec<Target>,
) -> Choice {
    let label = option.label.get_ref().trim().to_string();
    let key = option
        .key
        .clone()
        .unwrap_or_else(|| markdown::slugify(&label));
    let label_line = report.line(option.label.span());
    if !keys.insert(key.clone()) {
        report.push(
            label_line,
            format!("two options of {id:?} have the key {key:?}: give one a distinct `key`"),
        );
    }
    if option.summary.trim().is_empty() {
        report.push(
            label_line,
            format!("option {label:?} needs a summary (one sentence for the escalation report)"),
        );
    }
    let goto = option.goto.get_ref().trim().to_string();
    targets.push(Target {
        from: id.to_string(),
        to: goto.clone(),
        line: report.line(option.goto.span()),
    });
    Choice {
        key,
        label,
        goto,
        summary: option.summary.trim().to_string(),
        is_loop: option.is_loop,
    }
}

/// Fix and escalate nodes have no options; escalate nodes have no `next`.
fn check_end_node(report: &mut Report<'_>, node: &NodeFile, id: &str, line: usize, kind: NodeKind) {
    if !node.options.is_empty() {
        report.push(
            line,
            format!(
                "only questions have options; {id:?} is a {}",
                node.kind.get_ref()
            ),
        );
    }
    if kind == NodeKind::Escalate && node.next.is_some() {
        report.push(line, "an escalate node ends the tree; it has no `next`");
    }
}

/// Step 5: the start node and every target exist.
fn check_targets(
    report: &mut Report<'_>,
    file: &TreeFile,
    start: &str,
    nodes: &[Node],
    targets: &[Target],
) {
    let ids: HashSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    if !ids.contains(start) {
        let line = report.line(file.start.span());
        report.push(line, format!("start node {start:?} does not exist"));
    }
    for target in targets {
        if !ids.contains(target.to.as_str()) {
            report.push(
                target.line,
                format!(
                    "node {:?} points to unknown node {:?}",
                    target.from, target.to
                ),
            );
        }
    }
}

/// Step 6: the tree, with tags lowercased and `.md` dropped from related articles.
fn assemble(file: &TreeFile, slug: String, start: String, nodes: Vec<Node>) -> Tree {
    Tree {
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
    }
}

/// The first line of a text, cut at 80 characters: a title for untitled nodes.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let short: String = line.chars().take(80).collect();
    if short.len() < line.len() {
        format!("{short}…")
    } else {
        short
    }
}
