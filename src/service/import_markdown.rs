//! Import of a folder of markdown files as a manual. Front matter (`+++`
//! TOML with title, weight, description, tags) is optional: without it the
//! title comes from the first `# heading` or the file name. Imported articles
//! live in the database (editable in the browser, with revisions). A file
//! whose article already exists in the manual is skipped, so re-running the
//! import adds nothing twice.

use std::path::Path;

use serde::Deserialize;

use crate::db::models::{articles, manuals};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::service::articles::{self as editing, ArticleInput, Publication};

/// What the import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkdownImport {
    /// The manual's slug.
    pub manual: String,
    /// Articles created.
    pub created: usize,
    /// Files whose article already existed.
    pub skipped: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Front {
    title: Option<String>,
    weight: i32,
    tags: Vec<String>,
}

/// Splits optional `+++` front matter from the body.
fn split(text: &str) -> (Option<&str>, &str) {
    let Some(rest) = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
    else {
        return (None, text);
    };
    match rest.find("\n+++") {
        Some(end) => {
            let after = &rest[end + 4..];
            (
                Some(&rest[..end]),
                after
                    .strip_prefix('\n')
                    .or_else(|| after.strip_prefix("\r\n"))
                    .unwrap_or(after),
            )
        }
        None => (None, text),
    }
}

/// Imports every `.md` file of `dir` (sorted by name) into manual `name`.
pub fn import(conn: &mut Conn, dir: &Path, name: &str, now: i64) -> AppResult<MarkdownImport> {
    let slug = crate::markdown::slugify(name);
    if !crate::content::is_valid_slug(&slug) {
        return Err(AppError::BadRequest(format!(
            "{name:?} does not make a usable manual name"
        )));
    }
    let manual_id = match manuals::find_by_slug(conn, &slug)? {
        Some(m) => m.id,
        None => manuals::upsert(
            conn,
            &manuals::NewManual {
                slug: &slug,
                title: name.trim(),
                description: "",
                intro_html: "",
                weight: 100,
                source_path: None,
                content_hash: "",
                updated_at: now,
            },
            now,
        )?,
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| AppError::BadRequest(format!("{}: cannot read folder: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("md"))
        .collect();
    files.sort();
    let mut report = MarkdownImport {
        manual: slug.clone(),
        ..Default::default()
    };
    for (position, path) in files.iter().enumerate() {
        let text = std::fs::read_to_string(path)
            .map_err(|e| AppError::BadRequest(format!("{}: {e}", path.display())))?;
        let (front, body) = split(&text);
        let front: Front = match front {
            Some(f) => toml::from_str(f).map_err(|e| {
                AppError::BadRequest(format!(
                    "{}: bad front matter: {}",
                    path.display(),
                    e.message()
                ))
            })?,
            None => Front::default(),
        };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let heading = body
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .map(|h| h.trim().to_string());
        let title = front
            .title
            .clone()
            .or(heading.clone())
            .unwrap_or_else(|| stem.replace(['-', '_'], " "));
        let body = match &heading {
            Some(h) if front.title.is_none() => body
                .replacen(&format!("# {h}"), "", 1)
                .trim_start()
                .to_string(),
            _ => body.to_string(),
        };
        let article_slug = crate::markdown::slugify(&title);
        if articles::find_in_manual(conn, manual_id, &article_slug)?.is_some() {
            report.skipped.push(path.display().to_string());
            continue;
        }
        let input = ArticleInput {
            manual_id,
            title: title.chars().take(150).collect(),
            weight: if front.weight != 0 {
                front.weight
            } else {
                position as i32 + 1
            },
            tags: front.tags.iter().map(|t| t.to_lowercase()).collect(),
            publication: Publication::Published,
            body_md: if body.trim().is_empty() {
                format!("{title}\n")
            } else {
                body
            },
            note: format!("Imported from {}", path.display()),
        };
        editing::create(conn, None, &input, None, now)?;
        report.created += 1;
    }
    Ok(report)
}
