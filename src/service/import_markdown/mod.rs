//! Import of a folder of markdown files (nested folders included) as one
//! manual, the way mdBook or a help-centre importer would: every `.md` file
//! becomes an article whose slug is its file name (as in `content/`), every
//! relative link between the files is rewritten to the article it names
//! (anchors checked), and every linked local file (images, PDFs, archives) is
//! stored in the database and linked at its fingerprinted `/assets/` URL.
//!
//! Front matter is optional: `+++` TOML or `---` YAML (see [`front_matter`]).
//! Without a title there, the first `# heading` or the file name gives it.
//! DocFX `:::image:::` blocks become markdown images (see [`docfx`]).
//!
//! Nothing the importer cannot carry over is dropped silently: every
//! unresolved link, missing, oversized or mistyped file, malformed front
//! matter line and unsupported syntax is reported as `file:line: message`.
//! Imported articles live in the database (editable in the browser, with
//! revisions). A file whose slug already exists in the manual is skipped,
//! so re-running the import adds nothing twice.

pub mod docfx;
pub mod front_matter;
pub mod links;
mod pages;
mod rewrite;

use std::collections::HashMap;
use std::path::Path;

use crate::content::{is_valid_slug, Diagnostic};
use crate::db::models::{articles, manuals};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::ManualId;
use crate::markdown;
use crate::service::articles::{self as editing, ArticleInput, Publication};

use pages::Page;
#[cfg(test)]
use pages::{ascii_slug, file_slug, path_slug, title_from_stem};
#[cfg(test)]
use rewrite::{find_anchor, normalize, AnchorMatch};
use rewrite::{rewrite_links, Context};
#[cfg(test)]
use std::path::PathBuf;

/// What the import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkdownImport {
    /// The manual's slug.
    pub manual: String,
    /// Articles created.
    pub created: usize,
    /// Files whose article already existed.
    pub skipped: Vec<String>,
    /// Linked files stored for the first time.
    pub assets_stored: usize,
    /// Linked files whose content was stored already (by an earlier import
    /// or another file with the same bytes).
    pub assets_reused: usize,
    /// Everything that could not be carried over, as `file:line: message`.
    pub problems: Vec<Diagnostic>,
}

/// Imports every `.md` file under `dir` into manual `name`: files of the
/// folder itself first, then those of subfolders, each level by name.
pub fn import(conn: &mut Conn, dir: &Path, name: &str, now: i64) -> AppResult<MarkdownImport> {
    let slug = markdown::slugify(name);
    if !is_valid_slug(&slug) {
        return Err(AppError::BadRequest(format!(
            "{name:?} does not make a usable manual name"
        )));
    }
    let root = dir
        .canonicalize()
        .map_err(|e| AppError::BadRequest(format!("{}: cannot read folder: {e}", dir.display())))?;
    let mut report = MarkdownImport {
        manual: slug.clone(),
        ..Default::default()
    };
    let (pages, unreadable) = pages::read_all(dir, &root, &mut report.problems)?;
    let manual_id = find_or_create_manual(conn, &slug, name, now)?;
    let mut context = Context {
        root: &root,
        shown_root: dir,
        manual: &slug,
        by_path: pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.rel.clone(), i))
            .collect(),
        unreadable,
        stored: HashMap::new(),
        now,
    };
    for (position, page) in pages.iter().enumerate() {
        if articles::find_in_manual(conn, manual_id, &page.slug)?.is_some() {
            report.skipped.push(format!(
                "{} (an article /docs/{slug}/{} exists)",
                page.shown.display(),
                page.slug
            ));
            continue;
        }
        let body = rewrite_links(conn, &mut context, &pages, page, &mut report)?;
        create_article(conn, manual_id, page, position, &body, now)?;
        report.created += 1;
    }
    report
        .problems
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(report)
}

/// The id of manual `slug`, created (titled `name`) when it does not exist.
fn find_or_create_manual(conn: &mut Conn, slug: &str, name: &str, now: i64) -> AppResult<ManualId> {
    Ok(match manuals::find_by_slug(conn, slug)? {
        Some(m) => m.id,
        None => manuals::upsert(
            conn,
            &manuals::NewManual {
                slug,
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
    })
}

/// Creates the article of one page at its slug, with its links rewritten
/// (`body`); it is weighted by its reading order unless front matter says.
fn create_article(
    conn: &mut Conn,
    manual_id: ManualId,
    page: &Page,
    position: usize,
    body: &str,
    now: i64,
) -> AppResult<()> {
    let body = body.trim_start_matches(['\n', ' ']).to_string();
    let input = ArticleInput {
        manual_id,
        title: page.title.chars().take(150).collect(),
        weight: page.front.weight.unwrap_or(position as i32 + 1),
        tags: page
            .front
            .tags
            .iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect(),
        publication: Publication::Published,
        body_md: if body.trim().is_empty() {
            format!("{}\n", page.title)
        } else {
            body
        },
        note: format!("Imported from {}", page.shown.display()),
    };
    let description: String = page
        .front
        .description
        .as_deref()
        .unwrap_or("")
        .trim()
        .chars()
        .take(300)
        .collect();
    editing::create_at_slug(conn, None, &input, &page.slug, &description, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_escapes() {
        assert_eq!(
            normalize(Path::new("guides/../media/./a.png")),
            Some(PathBuf::from("media/a.png"))
        );
        assert_eq!(normalize(Path::new("../x.md")), None);
    }

    #[test]
    fn slugs_come_from_file_names() {
        assert_eq!(file_slug(Path::new("Install_Manual.md")), "install-manual");
        assert_eq!(file_slug(Path::new("guides/README.md")), "guides");
        assert_eq!(file_slug(Path::new("index.md")), "index");
        assert_eq!(path_slug(Path::new("guides/setup.md")), "guides-setup");
        assert_eq!(ascii_slug("Überblick"), "uberblick");
        assert_eq!(ascii_slug("日本"), "article");
        assert_eq!(
            title_from_stem("getting_started-now"),
            "Getting started now"
        );
    }

    #[test]
    fn near_anchors_match() {
        let anchors = vec!["step-1-enable-wsl".to_string()];
        assert!(matches!(
            find_anchor(&anchors, "step-1---enable-wsl"),
            AnchorMatch::Near(_)
        ));
        assert!(matches!(
            find_anchor(&anchors, "step-1-enable-wsl"),
            AnchorMatch::Exact
        ));
        assert!(matches!(
            find_anchor(&anchors, "nope"),
            AnchorMatch::Missing
        ));
    }
}
