//! Checks on a parsed tree: its graph (reachability, unmarked cycles, ways
//! out, depth; filling in the steps left from every node), and its links to
//! the rest of the content set.

use std::collections::HashMap;
use std::path::Path;

use super::parse::TreeFile;
use super::{KnownTargets, NodeKind, Tree, TreeSource};
use crate::content::{Diagnostic, LineIndex};
use crate::markdown::{self, Profile};

/// Outgoing edges by node index: `(target, is_loop)`.
type Edges = Vec<Vec<(usize, bool)>>;

/// Where graph problems go, each placed on the line of the node it is about.
struct Report<'a> {
    path: &'a Path,
    lines: &'a HashMap<String, usize>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Report<'_> {
    /// Records a problem on the line where node `id` is defined.
    fn push(&mut self, id: &str, message: String) {
        let line = self.lines.get(id).copied().unwrap_or(1);
        self.diags.push(Diagnostic::new(self.path, line, message));
    }
}

/// Reachability, cycles, ways out and depth; fills in `min_left`/`max_left`.
pub(super) fn check_graph(
    path: &Path,
    tree: &mut Tree,
    lines: &HashMap<String, usize>,
    max_depth: usize,
    diags: &mut Vec<Diagnostic>,
) {
    let mut report = Report { path, lines, diags };
    let (start, edges) = edges(tree);
    let reachable = reachable_from(start, &edges);
    for (node, _) in tree.nodes.iter().zip(&reachable).filter(|(_, r)| !**r) {
        report.push(
            &node.id,
            format!(
                "node {:?} is unreachable from the start node {:?}",
                node.id, tree.start
            ),
        );
    }
    // Marked loops are left out from here on.
    let forward: Vec<Vec<usize>> = edges
        .iter()
        .map(|out| out.iter().filter(|(_, l)| !l).map(|&(to, _)| to).collect())
        .collect();
    let Some(order) = post_order(tree, &forward, &mut report) else {
        return;
    };
    let (min_left, max_left) = steps_left(tree, &forward, &order);
    for (node, _) in tree
        .nodes
        .iter()
        .zip(&min_left)
        .filter(|(_, m)| **m == usize::MAX)
    {
        report.push(
            &node.id,
            format!(
                "node {:?} has no way out: no fix or escalate node can be reached from it",
                node.id
            ),
        );
    }
    if let Some(start) = start {
        if max_left[start] > max_depth {
            report.push(&tree.start, format!(
                "the longest path has {} steps, more than the maximum of {max_depth}: split the tree or shorten it",
                max_left[start]
            ));
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

/// The index of the start node, and every node's outgoing edges, built once.
/// A fix without `next` leads to the tree's first escalate node.
fn edges(tree: &Tree) -> (Option<usize>, Edges) {
    let index: HashMap<&str, usize> = tree
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let first_escalate = tree.nodes.iter().position(|n| n.kind == NodeKind::Escalate);
    let edges = tree
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
    (index.get(tree.start.as_str()).copied(), edges)
}

/// Which nodes can be reached from `start`, loops included.
fn reachable_from(start: Option<usize>, edges: &Edges) -> Vec<bool> {
    let mut reachable = vec![false; edges.len()];
    let mut stack: Vec<usize> = start.into_iter().collect();
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
    reachable
}

/// A post-order of the forward edges (every node after the nodes it leads
/// to), by depth-first search with colours; `None` when a cycle was reported.
fn post_order(tree: &Tree, forward: &[Vec<usize>], report: &mut Report<'_>) -> Option<Vec<usize>> {
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let mut colour = vec![WHITE; forward.len()];
    let mut order = Vec::new();
    let mut cyclic = false;
    for root in 0..forward.len() {
        if colour[root] != WHITE {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        colour[root] = GREY;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(&to) = forward[node].get(*next) else {
                colour[node] = BLACK;
                order.push(node);
                stack.pop();
                continue;
            };
            *next += 1;
            match colour[to] {
                WHITE => {
                    colour[to] = GREY;
                    stack.push((to, 0));
                }
                GREY => {
                    cyclic = true;
                    let from = &tree.nodes[node].id;
                    report.push(from, format!(
                        "cycle: {from:?} leads back to {:?}; if going back is deliberate, mark that option with loop = true",
                        tree.nodes[to].id
                    ));
                }
                _ => {}
            }
        }
    }
    (!cyclic).then_some(order)
}

/// Fewest and most steps from each node to an end (`usize::MAX` fewest: no
/// way out), walking `order` so that every target is done first.
fn steps_left(tree: &Tree, forward: &[Vec<usize>], order: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let mut min_left = vec![usize::MAX; tree.nodes.len()];
    let mut max_left = vec![0usize; tree.nodes.len()];
    for &i in order {
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
    (min_left, max_left)
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
            if is_broken_link(&link.dest, known) {
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

/// A site link to an article or tree that the content set does not have.
fn is_broken_link(dest: &str, known: &KnownTargets<'_>) -> bool {
    let dest = dest.split('#').next().unwrap_or("").trim_end_matches('/');
    if let Some(rest) = dest.strip_prefix("/docs/") {
        rest.contains('/') && !known.articles.contains(rest)
    } else if let Some(slug) = dest.strip_prefix("/troubleshoot/") {
        !known.trees.contains(slug)
    } else {
        false
    }
}
