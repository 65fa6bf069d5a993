//! Known issues kept as files under `content/known-issues/` (one markdown
//! file each: TOML front matter, then the symptoms), and the field rules
//! every known issue follows, from a file or from the staff form.
//!
//! ```text
//! +++
//! title = "Printing fails after firmware 4.2"
//! status = "identified"          # investigating, identified, fix in progress, fixed, won't fix
//! fixed_in = ""                  # required when fixed
//! reason = ""                    # required when won't fix
//! versions = ["4.2"]
//! platforms = ["Windows 11"]
//! tags = ["printing"]
//! articles = ["guide/print"]     # manual/article
//! trees = ["printer-offline"]
//! terms = ["print fails"]
//! workaround = """markdown"""
//! [[updates]]
//! date = "2026-11-28 09:30"      # UTC; or just the day
//! text = "markdown"
//! status = "identified"          # optional
//! +++
//! What customers see (markdown).
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::frontmatter;
use super::Diagnostic;
use crate::kinds::IssueStatus;

/// Longest title.
pub const TITLE_MAX: usize = 150;
/// Longest symptoms, workaround or update text.
pub const TEXT_MAX: usize = 20_000;
/// Longest list entry (version, platform, tag, link, term).
pub const ENTRY_MAX: usize = 100;
/// Most entries in one list.
pub const LIST_MAX: usize = 30;
/// Longest "fixed in" version or won't-fix reason.
pub const NOTE_MAX: usize = 500;

/// The fields of a known issue as written (a file or the staff form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueDraft {
    /// What goes wrong, in one line.
    pub title: String,
    /// What customers see, markdown.
    pub symptoms: String,
    /// What to do meanwhile, markdown.
    pub workaround: String,
    /// The status as written.
    pub status: String,
    /// Why it will not be fixed.
    pub reason: String,
    /// The version that fixes it.
    pub fixed_in: String,
    /// Affected versions.
    pub versions: Vec<String>,
    /// Affected platforms.
    pub platforms: Vec<String>,
    /// Tags (lowercased when checked).
    pub tags: Vec<String>,
    /// Articles as `manual/article`.
    pub articles: Vec<String>,
    /// Tree slugs.
    pub trees: Vec<String>,
    /// Search terms.
    pub terms: Vec<String>,
}

/// A draft that passed [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedIssue {
    /// The fields, trimmed, tags lowercased.
    pub draft: IssueDraft,
    /// The parsed status.
    pub status: IssueStatus,
}

/// One problem with a field: the field's name and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field (`title`, `status`, `fixed_in`, …), as in the file.
    pub field: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field,
        message: message.into(),
    }
}

fn clean_list(
    field: &'static str,
    list: &[String],
    lowercase: bool,
    problems: &mut Vec<FieldProblem>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in list {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        if entry.chars().count() > ENTRY_MAX || entry.contains(['\n', '\r', '\0']) {
            problems.push(problem(
                field,
                format!("{entry:?} is not one line of at most {ENTRY_MAX} characters"),
            ));
            continue;
        }
        let entry = if lowercase {
            entry.to_lowercase()
        } else {
            entry.to_string()
        };
        if !out.contains(&entry) {
            out.push(entry);
        }
    }
    if out.len() > LIST_MAX {
        problems.push(problem(
            field,
            format!("at most {LIST_MAX} entries; there are {}", out.len()),
        ));
    }
    out
}

/// Checks the fields of a known issue: a title, symptoms, a known status,
/// "fixed in" when fixed, a reason when won't fix, lists of short one-line
/// entries, articles written `manual/article`, tree slugs.
pub fn check(draft: &IssueDraft) -> Result<CheckedIssue, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let title = draft.title.trim().to_string();
    if title.is_empty() {
        problems.push(problem("title", "a title is required"));
    } else if title.chars().count() > TITLE_MAX {
        problems.push(problem("title", format!("at most {TITLE_MAX} characters")));
    }
    let symptoms = draft.symptoms.trim().to_string();
    if symptoms.is_empty() {
        problems.push(problem(
            "symptoms",
            "describe what customers see (the symptoms are required)",
        ));
    }
    for (field, text) in [("symptoms", &symptoms), ("workaround", &draft.workaround)] {
        if text.chars().count() > TEXT_MAX {
            problems.push(problem(field, format!("at most {TEXT_MAX} characters")));
        }
    }
    let status = IssueStatus::from_words(draft.status.trim());
    if status.is_err() {
        problems.push(problem(
            "status",
            format!(
                "unknown status {:?}: use investigating, identified, fix in progress, fixed or won't fix",
                draft.status
            ),
        ));
    }
    let fixed_in = draft.fixed_in.trim().to_string();
    let reason = draft.reason.trim().to_string();
    if status == Ok(IssueStatus::Fixed) && fixed_in.is_empty() {
        problems.push(problem(
            "fixed_in",
            "a fixed issue says which version fixes it",
        ));
    }
    if status == Ok(IssueStatus::Wontfix) && reason.is_empty() {
        problems.push(problem("reason", "a won't-fix issue says why"));
    }
    for (field, text) in [("fixed_in", &fixed_in), ("reason", &reason)] {
        if text.chars().count() > NOTE_MAX {
            problems.push(problem(field, format!("at most {NOTE_MAX} characters")));
        }
    }
    let versions = clean_list("versions", &draft.versions, false, &mut problems);
    let platforms = clean_list("platforms", &draft.platforms, false, &mut problems);
    let tags = clean_list("tags", &draft.tags, true, &mut problems);
    let articles = clean_list("articles", &draft.articles, false, &mut problems);
    for a in &articles {
        let ok = a
            .split_once('/')
            .is_some_and(|(m, s)| super::is_valid_slug(m) && super::is_valid_slug(s));
        if !ok {
            problems.push(problem(
                "articles",
                format!(
                    "{a:?} is not an article: write manual/article, as in /docs/manual/article"
                ),
            ));
        }
    }
    let trees = clean_list("trees", &draft.trees, false, &mut problems);
    for t in &trees {
        if !super::is_valid_slug(t) {
            problems.push(problem(
                "trees",
                format!("{t:?} is not a tree slug (as in /troubleshoot/<slug>)"),
            ));
        }
    }
    let terms = clean_list("terms", &draft.terms, true, &mut problems);
    match status {
        Ok(status) if problems.is_empty() => Ok(CheckedIssue {
            draft: IssueDraft {
                title,
                symptoms,
                workaround: draft.workaround.trim().to_string(),
                status: status.as_str().to_string(),
                reason,
                fixed_in,
                versions,
                platforms,
                tags,
                articles,
                trees,
                terms,
            },
            status,
        }),
        _ => Err(problems),
    }
}

/// One dated update of a file-based issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSource {
    /// Unix seconds (UTC).
    pub at: i64,
    /// Markdown.
    pub text: String,
    /// The status it moved the issue to.
    pub status: Option<IssueStatus>,
}

/// A known issue read from a file.
#[derive(Debug, Clone)]
pub struct IssueSource {
    /// The file.
    pub path: PathBuf,
    /// From the file name.
    pub slug: String,
    /// Hash of the file's bytes.
    pub hash: String,
    /// The checked fields.
    pub issue: CheckedIssue,
    /// The timeline, as in the file.
    pub updates: Vec<UpdateSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Front {
    title: String,
    status: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    fixed_in: String,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    platforms: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    articles: Vec<String>,
    #[serde(default)]
    trees: Vec<String>,
    #[serde(default)]
    terms: Vec<String>,
    #[serde(default)]
    workaround: String,
    #[serde(default)]
    updates: Vec<FrontUpdate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontUpdate {
    date: String,
    text: String,
    #[serde(default)]
    status: Option<String>,
}

/// Reads a date written `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or RFC 3339 as
/// unix seconds (UTC).
pub fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M") {
        return Some(t.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// Reads one file.
fn read_one(path: &Path) -> Result<IssueSource, Vec<Diagnostic>> {
    let one = |d: Diagnostic| vec![d];
    let bytes = super::read_bounded(path).map_err(one)?;
    let hash = super::content_hash(&bytes);
    let text = super::utf8_text(path, bytes).map_err(one)?;
    let split = frontmatter::split(path, &text).map_err(one)?;
    let front: Front = frontmatter::parse(path, split.front).map_err(one)?;
    let slug = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_string();
    let mut diags = Vec::new();
    if !super::is_valid_slug(&slug) {
        diags.push(Diagnostic::new(
            path,
            1,
            format!(
                "file name {slug:?} is not a valid slug: use lowercase letters, digits and dashes (it becomes /known-issues/<name>)"
            ),
        ));
    }
    let draft = IssueDraft {
        title: front.title,
        symptoms: split.body.to_string(),
        workaround: front.workaround,
        status: front.status,
        reason: front.reason,
        fixed_in: front.fixed_in,
        versions: front.versions,
        platforms: front.platforms,
        tags: front.tags,
        articles: front.articles,
        trees: front.trees,
        terms: front.terms,
    };
    let checked = check(&draft).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| {
                // The symptoms are the body after the front matter.
                let line = match p.field {
                    "symptoms" => split.body_line_offset,
                    // A missing "fixed in" or reason belongs to the status.
                    "fixed_in" | "reason" if frontmatter::key_line(split.front, p.field) == 1 => {
                        frontmatter::key_line(split.front, "status")
                    }
                    field => frontmatter::key_line(split.front, field),
                };
                Diagnostic::new(path, line, format!("{}: {}", p.field, p.message))
            })
            .collect::<Vec<_>>()
    });
    let checked = match checked {
        Ok(c) => Some(c),
        Err(d) => {
            diags.extend(d);
            None
        }
    };
    let mut updates = Vec::new();
    let updates_line = frontmatter::key_line(split.front, "date");
    for (n, u) in front.updates.iter().enumerate() {
        let at = parse_date(&u.date);
        if at.is_none() {
            diags.push(Diagnostic::new(
                path,
                updates_line,
                format!(
                    "updates[{n}].date: {:?} is not a date: write 2026-11-28 or 2026-11-28 09:30 (UTC)",
                    u.date
                ),
            ));
        }
        let status = match u.status.as_deref().map(IssueStatus::from_words) {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(_)) => {
                diags.push(Diagnostic::new(
                    path,
                    updates_line,
                    format!(
                        "updates[{n}].status: unknown status {:?}: use investigating, identified, fix in progress, fixed or won't fix",
                        u.status.as_deref().unwrap_or("")
                    ),
                ));
                None
            }
        };
        if u.text.trim().is_empty() {
            diags.push(Diagnostic::new(
                path,
                updates_line,
                format!("updates[{n}].text: an update needs text"),
            ));
        } else if u.text.chars().count() > TEXT_MAX {
            diags.push(Diagnostic::new(
                path,
                updates_line,
                format!("updates[{n}].text: at most {TEXT_MAX} characters"),
            ));
        }
        if let Some(at) = at {
            updates.push(UpdateSource {
                at,
                text: u.text.trim().to_string(),
                status,
            });
        }
    }
    match checked {
        Some(issue) if diags.is_empty() => Ok(IssueSource {
            path: path.to_path_buf(),
            slug,
            hash,
            issue,
            updates,
        }),
        _ => Err(diags),
    }
}

/// Reads every `*.md` file of the folder, in name order.
pub fn load_all(dir: &Path) -> Result<Vec<IssueSource>, Vec<Diagnostic>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| vec![Diagnostic::new(dir, 1, format!("cannot read folder: {e}"))])?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    paths.sort();
    let mut issues = Vec::new();
    let mut diags = Vec::new();
    for path in paths {
        match read_one(&path) {
            Ok(issue) => issues.push(issue),
            Err(d) => diags.extend(d),
        }
    }
    if diags.is_empty() {
        Ok(issues)
    } else {
        Err(diags)
    }
}

/// The links of file-based issues to articles and trees that the content
/// folder does not have.
pub fn check_links(
    issues: &[IssueSource],
    articles: &std::collections::HashSet<String>,
    trees: &std::collections::HashSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    for source in issues {
        let text = std::fs::read_to_string(&source.path).unwrap_or_default();
        let front = frontmatter::split(&source.path, &text).map_or("", |s| s.front);
        for a in &source.issue.draft.articles {
            if !articles.contains(a) {
                diags.push(Diagnostic::new(
                    &source.path,
                    frontmatter::key_line(front, "articles"),
                    format!("articles: there is no article {a:?} under content/manuals (write manual/article)"),
                ));
            }
        }
        for t in &source.issue.draft.trees {
            if !trees.contains(t) {
                diags.push(Diagnostic::new(
                    &source.path,
                    frontmatter::key_line(front, "trees"),
                    format!("trees: there is no troubleshooting tree {t:?}"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> IssueDraft {
        IssueDraft {
            title: "Printing fails".into(),
            symptoms: "The job stays queued.".into(),
            status: "identified".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_fixed_issue_needs_its_version_and_a_wont_fix_its_reason() {
        let fixed = IssueDraft {
            status: "fixed".into(),
            ..draft()
        };
        let problems = check(&fixed).unwrap_err();
        assert_eq!(problems[0].field, "fixed_in");
        let wont = IssueDraft {
            status: "won't fix".into(),
            ..draft()
        };
        assert_eq!(check(&wont).unwrap_err()[0].field, "reason");
        let ok = check(&IssueDraft {
            fixed_in: " 4.3 ".into(),
            ..fixed
        })
        .unwrap();
        assert_eq!(ok.status, IssueStatus::Fixed);
        assert_eq!(ok.draft.fixed_in, "4.3");
    }

    #[test]
    fn lists_are_trimmed_deduplicated_and_links_checked() {
        let checked = check(&IssueDraft {
            tags: vec![" Printing ".into(), "printing".into(), "".into()],
            articles: vec!["guide/print".into()],
            ..draft()
        })
        .unwrap();
        assert_eq!(checked.draft.tags, ["printing"]);
        let problems = check(&IssueDraft {
            articles: vec!["print".into()],
            trees: vec!["Bad Slug".into()],
            ..draft()
        })
        .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["articles", "trees"]);
    }

    #[test]
    fn dates_are_read_as_utc() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400));
        assert_eq!(parse_date("1970-01-01 01:30"), Some(5_400));
        assert_eq!(parse_date("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_date("yesterday"), None);
    }
}
