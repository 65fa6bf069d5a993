//! Query-time synonyms: groups of equivalent words or phrases kept by staff
//! (`content/synonyms.toml`, read by `crate::content`).
//!
//! A group is symmetric: any member typed in a query also looks for every
//! other member. Members are analyzed like query text, so `wi-fi` is the
//! phrase `wi fi`, and compared by their English stems, so another form of
//! a member ("backups", "backed up", "passwords") finds the group too; the
//! longest member starting at a query word wins.

use std::collections::HashMap;

/// Synonym groups, analyzed and indexed by the stem of their first term.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    /// Each group: its members, each a sequence of terms.
    groups: Vec<Vec<Vec<String>>>,
    /// The same, each term replaced by its stem.
    stemmed: Vec<Vec<Vec<String>>>,
    /// Stem of the first term of a member -> (group, member) pairs.
    by_first_stem: HashMap<String, Vec<(usize, usize)>>,
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
    /// fewer than two members (two forms of one word are one member).
    pub fn new(groups: &[Vec<String>]) -> Synonyms {
        let mut out = Synonyms::default();
        for group in groups {
            let mut members: Vec<Vec<String>> = Vec::new();
            let mut stemmed: Vec<Vec<String>> = Vec::new();
            for member in group {
                let terms = super::query::analyze(member);
                let stems = stems_of(&terms);
                if !terms.is_empty() && !stemmed.contains(&stems) {
                    members.push(terms);
                    stemmed.push(stems);
                }
            }
            if members.len() < 2 {
                continue;
            }
            let g = out.groups.len();
            for (m, member) in stemmed.iter().enumerate() {
                out.by_first_stem
                    .entry(member[0].clone())
                    .or_default()
                    .push((g, m));
            }
            out.groups.push(members);
            out.stemmed.push(stemmed);
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

    /// The longest member that the query words starting at `at` spell out,
    /// `stems` being the stems of the query words (see [`stems_of`]).
    pub fn match_at(&self, stems: &[String], at: usize) -> Option<SynonymMatch<'_>> {
        let first = stems.get(at)?;
        let candidates = self.by_first_stem.get(first)?;
        let mut best: Option<(usize, usize, usize)> = None;
        for &(g, m) in candidates {
            let member = &self.stemmed[g][m];
            let fits = stems.len() - at >= member.len()
                && member.iter().zip(&stems[at..]).all(|(a, b)| a == b);
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

/// The English stem of each term, as synonyms are compared.
pub fn stems_of(terms: &[String]) -> Vec<String> {
    terms.iter().map(|t| super::schema::stem(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        stems_of(&text.split(' ').map(String::from).collect::<Vec<_>>())
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
    fn other_forms_of_a_member_find_its_group() {
        let table = Synonyms::new(&[
            vec!["backup".to_string(), "back up".to_string()],
            vec!["password".to_string(), "passphrase".to_string()],
        ]);
        let found = table
            .match_at(&words("why are backups slow"), 2)
            .expect("plural");
        assert_eq!(found.len, 1);
        assert_eq!(
            found.alternatives,
            vec![&["back".to_string(), "up".to_string()][..]]
        );
        let found = table.match_at(&words("backed up"), 0).expect("verb form");
        assert_eq!(found.len, 2);
        assert_eq!(found.alternatives, vec![&["backup".to_string()][..]]);
        assert!(table.match_at(&words("passwords"), 0).is_some());
        assert!(table.match_at(&words("pass"), 0).is_none());
    }

    /// The span and the alternatives (joined by spaces) of the member found
    /// at `at` of `text`, if any.
    fn found_at(table: &Synonyms, text: &str, at: usize) -> Option<(usize, Vec<String>)> {
        let found = table.match_at(&words(text), at)?;
        let alternatives = found.alternatives.iter().map(|a| a.join(" ")).collect();
        Some((found.len, alternatives))
    }

    #[test]
    fn a_phrase_member_matches_other_forms_of_its_words() {
        let table = Synonyms::new(&[
            vec![
                "revision".to_string(),
                "older version".to_string(),
                "previous version".to_string(),
            ],
            vec!["timer".to_string(), "cron job".to_string()],
        ]);
        assert_eq!(
            found_at(&table, "see older versions of a page", 1),
            Some((
                2,
                vec!["revision".to_string(), "previous version".to_string()]
            ))
        );
        assert_eq!(
            found_at(&table, "nightly cron jobs", 1),
            Some((2, vec!["timer".to_string()]))
        );
        assert_eq!(
            found_at(&table, "restore a revisions", 2),
            Some((
                1,
                vec!["older version".to_string(), "previous version".to_string()]
            ))
        );
        // One word of a phrase member is not the member.
        assert_eq!(found_at(&table, "older releases", 0), None);
        assert_eq!(found_at(&table, "a version", 1), None);
    }

    #[test]
    fn empty_members_and_lonely_groups_are_dropped() {
        let table = Synonyms::new(&[
            vec!["printer".to_string(), "---".to_string()],
            vec!["a".to_string(), "a".to_string()],
            vec!["printer".to_string(), "printers".to_string()],
        ]);
        assert!(table.is_empty());
    }
}
