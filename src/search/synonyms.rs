//! Query-time synonyms: groups of equivalent words or phrases kept by staff
//! (`content/synonyms.toml`, read by `crate::content`).
//!
//! A group is symmetric: any member typed in a query also looks for every
//! other member. Members are analyzed like query text, so `wi-fi` is the
//! phrase `wi fi`; the longest member starting at a query word wins.

use std::collections::HashMap;

/// Synonym groups, analyzed and indexed by their first term.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    /// Each group: its members, each a sequence of terms.
    groups: Vec<Vec<Vec<String>>>,
    /// First term of a member -> (group, member) pairs.
    by_first_term: HashMap<String, Vec<(usize, usize)>>,
}

/// A synonym found in a query: how many query words it spans, and the other
/// members of its group.
#[derive(Debug, Clone, PartialEq)]
pub struct SynonymMatch<'a> {
    /// Query words covered (1 for a single word).
    pub len: usize,
    /// The other members of the group, each a term sequence.
    pub alternatives: Vec<&'a [String]>,
}

impl Synonyms {
    /// Builds the table from groups of words or phrases as written. Members
    /// that analyze to nothing are dropped, and so are groups left with
    /// fewer than two members.
    pub fn new(groups: &[Vec<String>]) -> Synonyms {
        let mut out = Synonyms::default();
        for group in groups {
            let mut members: Vec<Vec<String>> = Vec::new();
            for member in group {
                let terms = super::query::analyze(member);
                if !terms.is_empty() && !members.contains(&terms) {
                    members.push(terms);
                }
            }
            if members.len() < 2 {
                continue;
            }
            let g = out.groups.len();
            for (m, member) in members.iter().enumerate() {
                out.by_first_term
                    .entry(member[0].clone())
                    .or_default()
                    .push((g, m));
            }
            out.groups.push(members);
        }
        out
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The longest member that the query words starting at `at` spell out.
    pub fn match_at(&self, words: &[String], at: usize) -> Option<SynonymMatch<'_>> {
        let first = words.get(at)?;
        let candidates = self.by_first_term.get(first)?;
        let mut best: Option<(usize, usize, usize)> = None;
        for &(g, m) in candidates {
            let member = &self.groups[g][m];
            let fits = words.len() - at >= member.len()
                && member.iter().zip(&words[at..]).all(|(a, b)| a == b);
            if fits && best.is_none_or(|(_, _, len)| member.len() > len) {
                best = Some((g, m, member.len()));
            }
        }
        let (g, m, len) = best?;
        Some(SynonymMatch {
            len,
            alternatives: self.groups[g]
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != m)
                .map(|(_, member)| member.as_slice())
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(String::from).collect()
    }

    #[test]
    fn groups_are_symmetric_and_phrases_match_whole() {
        let table = Synonyms::new(&[vec![
            "wifi".to_string(),
            "Wi-Fi".to_string(),
            "wireless".to_string(),
        ]]);
        assert_eq!(table.len(), 1);
        let found = table.match_at(&words("my wi fi drops"), 1).expect("phrase");
        assert_eq!(found.len, 2);
        assert_eq!(
            found.alternatives,
            vec![&["wifi".to_string()][..], &["wireless".to_string()][..]]
        );
        let found = table.match_at(&words("wireless"), 0).expect("word");
        assert_eq!(found.alternatives.len(), 2);
        // "wi" alone is not the phrase "wi fi".
        assert!(table.match_at(&words("wi"), 0).is_none());
        assert!(table.match_at(&words("my wifi"), 0).is_none());
    }

    #[test]
    fn empty_members_and_lonely_groups_are_dropped() {
        let table = Synonyms::new(&[
            vec!["printer".to_string(), "---".to_string()],
            vec!["a".to_string(), "a".to_string()],
        ]);
        assert!(table.is_empty());
    }
}
