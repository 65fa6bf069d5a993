//! `content/synonyms.toml`: words customers use for the same thing, kept by
//! staff and applied to search queries. One line per group:
//!
//! ```toml
//! wifi = ["wi-fi", "wireless"]
//! "sign in" = ["log in", "login"]
//! ```
//!
//! A group is symmetric: searching any of its words also finds the others.
//! Checked like every content file, each problem reported with `file:line`:
//! bad TOML, a duplicate key, an empty list, a word with no letters or
//! digits, a word that is already in another group.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use toml::Spanned;

use super::{read_bounded, utf8_text, Diagnostic, LineIndex};

/// The file name, at the top of the content folder.
pub const FILE_NAME: &str = "synonyms.toml";

/// One group of equivalent words or phrases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynonymGroup {
    /// The key as written.
    pub key: String,
    /// The listed words or phrases as written.
    pub words: Vec<String>,
    /// Line of the group in the file.
    pub line: usize,
}

impl SynonymGroup {
    /// The key followed by its words: every member of the group.
    pub fn members(&self) -> Vec<String> {
        std::iter::once(self.key.clone())
            .chain(self.words.iter().cloned())
            .collect()
    }
}

/// Reads `synonyms.toml` in `content_dir`; a missing file is no synonyms.
pub fn load(content_dir: &Path) -> Result<Vec<SynonymGroup>, Vec<Diagnostic>> {
    let path = content_dir.join(FILE_NAME);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let bytes = read_bounded(&path).map_err(|d| vec![d])?;
    let text = utf8_text(&path, bytes).map_err(|d| vec![d])?;
    parse_str(&path, &text)
}

/// The words of a member as search compares them: lowercase letters and
/// digits, other characters separating words.
fn normalized(member: &str) -> String {
    member
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses and checks the text of a synonyms file.
pub fn parse_str(path: &Path, text: &str) -> Result<Vec<SynonymGroup>, Vec<Diagnostic>> {
    let lines = LineIndex::new(text);
    let table: BTreeMap<String, Spanned<Vec<Spanned<String>>>> = match toml::from_str(text) {
        Ok(table) => table,
        Err(e) => {
            let line = e.span().map(|s| lines.line(s.start)).unwrap_or(1);
            return Err(vec![Diagnostic::new(
                path,
                line,
                format!(
                    "bad synonyms file: {} (write one group a line: wifi = [\"wi-fi\", \"wireless\"])",
                    e.message().trim()
                ),
            )]);
        }
    };
    let mut groups: Vec<SynonymGroup> = table
        .into_iter()
        .map(|(key, list)| SynonymGroup {
            key,
            line: lines.line(list.span().start),
            words: list
                .into_inner()
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
        })
        .collect();
    groups.sort_by_key(|g| g.line);
    let mut diags = Vec::new();
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    for group in &groups {
        if group.words.is_empty() {
            diags.push(Diagnostic::new(
                path,
                group.line,
                format!(
                    "{:?} lists no synonyms: add the words customers use for it, or remove the line",
                    group.key
                ),
            ));
        }
        for member in group.members() {
            let words = normalized(&member);
            if words.is_empty() {
                diags.push(Diagnostic::new(
                    path,
                    group.line,
                    format!("{member:?} has no letters or digits: search cannot match it"),
                ));
                continue;
            }
            match seen.get(&words) {
                Some((key, line)) if *key == group.key => diags.push(Diagnostic::new(
                    path,
                    group.line,
                    format!("{member:?} is listed twice in the group of {key:?}"),
                )),
                Some((key, line)) => diags.push(Diagnostic::new(
                    path,
                    group.line,
                    format!(
                        "{member:?} is already in the group of {key:?} (line {line}): merge the two groups into one line"
                    ),
                )),
                None => {
                    seen.insert(words, (group.key.clone(), group.line));
                }
            }
        }
    }
    if diags.is_empty() {
        Ok(groups)
    } else {
        Err(diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Vec<SynonymGroup>, Vec<String>> {
        parse_str(Path::new("synonyms.toml"), text)
            .map_err(|d| d.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn groups_keep_file_order_and_lines() {
        let groups =
            check("# words\nwifi = [\"wi-fi\", \"wireless\"]\n\"sign in\" = [\"log in\"]\n")
                .expect("valid");
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].members(), ["wifi", "wi-fi", "wireless"]);
        assert_eq!(groups[0].line, 2);
        assert_eq!(groups[1].members(), ["sign in", "log in"]);
        assert_eq!(groups[1].line, 3);
    }

    #[test]
    fn problems_have_file_line_and_a_way_forward() {
        let bad = check("wifi = [\"wi-fi\"\n").expect_err("bad toml");
        assert!(bad[0].starts_with("synonyms.toml:"), "{bad:?}");
        assert!(bad[0].contains("bad synonyms file"), "{bad:?}");
        let dup = check("wifi = [\"a\"]\nprinter = [\"b\"]\nwifi = [\"c\"]\n").expect_err("dup");
        assert!(dup[0].starts_with("synonyms.toml:3:"), "{dup:?}");
        let empty = check("ok = [\"fine\"]\nwifi = []\n").expect_err("empty");
        assert_eq!(
            empty,
            ["synonyms.toml:2: \"wifi\" lists no synonyms: add the words customers use for it, or remove the line"]
        );
        let shared = check("wifi = [\"wireless\"]\nradio = [\"Wireless\"]\n").expect_err("shared");
        assert!(shared[0].starts_with("synonyms.toml:2:"), "{shared:?}");
        assert!(
            shared[0].contains("already in the group of \"wifi\" (line 1)"),
            "{shared:?}"
        );
        let blank = check("wifi = [\"--\"]\n").expect_err("blank");
        assert!(blank[0].contains("no letters or digits"), "{blank:?}");
        let not_a_list = check("wifi = \"wireless\"\n").expect_err("type");
        assert!(
            not_a_list[0].starts_with("synonyms.toml:1:"),
            "{not_a_list:?}"
        );
    }
}
