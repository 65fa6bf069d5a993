//! Walking a tree: replaying the answers a customer gave (kept in the URL,
//! keyed by node id) from the start node to where they stand now.

use std::collections::{BTreeMap, HashSet};

use super::{NodeKind, Tree};

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
