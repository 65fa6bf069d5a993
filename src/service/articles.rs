//! Articles edited in the browser by staff: create, edit with revisions and
//! stale-save detection, restore, promote an accepted answer, and the rule
//! for file-backed articles.
//!
//! The rule: saving a file-backed article in the browser detaches it from its
//! file (`source_path` moves to `detached_path`). From then on the start-up
//! sync leaves it alone and logs a warning whenever the file differs, so no
//! browser edit is ever silently overwritten. "Return to the file version"
//! re-attaches it; the next start loads the file again.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::models::article_revisions::{self, ArticleRevision, NewArticleRevision};
use crate::db::models::articles::{self, Article, NewArticle, STATUS_DRAFT, STATUS_PUBLISHED};
use crate::db::models::{answers, manuals, outbox, questions, users};
use crate::db::schema::articles as articles_table;
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{ArticleId, ArticleRevisionId, ManualId, QuestionId, UserId};
use crate::kinds::DocKind;
use crate::markdown::{self, Profile, Rendered};

/// Longest article body (characters).
pub const BODY_MAX: usize = 200_000;

/// Publication state chosen in the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publication {
    /// Staff only.
    Draft,
    /// Visible to everyone.
    Published,
    /// Visible, with this notice at the top.
    Outdated(String),
}

/// Validated editor input.
#[derive(Debug, Clone)]
pub struct ArticleInput {
    /// Manual.
    pub manual_id: ManualId,
    /// Title.
    pub title: String,
    /// Order within the manual.
    pub weight: i32,
    /// Normalized tags.
    pub tags: Vec<String>,
    /// State.
    pub publication: Publication,
    /// Markdown.
    pub body_md: String,
    /// Edit note.
    pub note: String,
}

impl ArticleInput {
    fn status(&self) -> &'static str {
        if self.publication == Publication::Draft {
            STATUS_DRAFT
        } else {
            STATUS_PUBLISHED
        }
    }

    fn outdated_reason(&self) -> Option<&str> {
        match &self.publication {
            Publication::Outdated(reason) => Some(reason),
            _ => None,
        }
    }
}

/// The editor's fields as typed, before [`validate`].
#[derive(Debug, Clone, Copy)]
pub struct EditorFields<'a> {
    /// Manual.
    pub manual_id: ManualId,
    /// Title.
    pub title: &'a str,
    /// Order within the manual, as typed.
    pub weight: &'a str,
    /// Tags, separated by commas or spaces.
    pub tags: &'a str,
    /// `draft`, `published` or `outdated`.
    pub status: &'a str,
    /// Why it is outdated (with `outdated`).
    pub outdated_reason: &'a str,
    /// Markdown.
    pub body: &'a str,
    /// Edit note.
    pub note: &'a str,
}

/// Checks editor fields; every problem at once.
pub fn validate(fields: &EditorFields<'_>) -> Result<ArticleInput, Vec<String>> {
    let EditorFields {
        manual_id,
        title,
        weight,
        tags,
        status,
        outdated_reason: reason,
        body,
        note,
    } = *fields;
    let mut errors = Vec::new();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() || title.chars().count() > 150 {
        errors.push("The title needs 1 to 150 characters.".into());
    }
    let weight = if weight.trim().is_empty() {
        0
    } else {
        weight.trim().parse::<i32>().unwrap_or_else(|_| {
            errors.push(format!(
                "Order must be a whole number, not {:?}.",
                weight.trim()
            ));
            0
        })
    };
    let tags: Vec<String> = tags
        .split([',', ' '])
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .fold(Vec::new(), |mut acc, t| {
            if !acc.contains(&t) {
                acc.push(t);
            }
            acc
        });
    if tags.len() > 10 {
        errors.push("Use at most 10 tags.".into());
    }
    let publication = match status {
        "draft" => Publication::Draft,
        "published" => Publication::Published,
        "outdated" => {
            let reason = reason.trim();
            if reason.is_empty() {
                errors.push(
                    "Say why the article is outdated; customers see the reason at the top.".into(),
                );
            }
            Publication::Outdated(reason.chars().take(300).collect())
        }
        _ => {
            errors.push("Choose draft, published or outdated.".into());
            Publication::Draft
        }
    };
    if body.trim().is_empty() {
        errors.push("The article needs some text.".into());
    }
    if body.chars().count() > BODY_MAX {
        errors.push(format!("The text can have at most {BODY_MAX} characters."));
    }
    if errors.is_empty() {
        Ok(ArticleInput {
            manual_id,
            title,
            weight,
            tags,
            publication,
            body_md: body.to_string(),
            note: note.trim().chars().take(200).collect(),
        })
    } else {
        Err(errors)
    }
}

/// Renders an article body the way the content sync does (links relative to
/// its manual resolve to `/docs/...`).
pub fn render(body: &str, manual_slug: &str) -> Rendered {
    let none = HashMap::new();
    markdown::render(body, Profile::Trusted, &|dest| {
        crate::content::manuals::resolve_relative(manual_slug, dest, &none)
    })
}

/// A slug for `title` that is free in the manual.
fn free_slug(
    conn: &mut Conn,
    manual_id: ManualId,
    title: &str,
    except: Option<ArticleId>,
) -> AppResult<String> {
    let mut base = markdown::slugify(title)
        .chars()
        .take(80)
        .collect::<String>();
    base = base.trim_matches('-').to_string();
    if base.is_empty() || !crate::content::is_valid_slug(&base) {
        base = "article".into();
    }
    let mut slug = base.clone();
    let mut n = 2;
    while articles::slug_taken(conn, manual_id, &slug, except)? {
        slug = format!("{base}-{n}");
        n += 1;
    }
    Ok(slug)
}

fn add_revision(
    conn: &mut Conn,
    article_id: ArticleId,
    editor: Option<UserId>,
    input: &ArticleInput,
    now: i64,
) -> AppResult<ArticleRevisionId> {
    let tags = input.tags.join(",");
    Ok(article_revisions::insert(
        conn,
        &NewArticleRevision {
            article_id,
            editor_id: editor,
            manual_id: input.manual_id,
            title: &input.title,
            weight: input.weight,
            tags: &tags,
            status: input.status(),
            outdated_reason: input.outdated_reason(),
            body_md: &input.body_md,
            note: &input.note,
            created_at: now,
        },
    )?)
}

/// Creates an article (optionally made from a question, which then links to it).
pub fn create(
    conn: &mut Conn,
    editor: Option<UserId>,
    input: &ArticleInput,
    from_question: Option<QuestionId>,
    now: i64,
) -> AppResult<(Article, String)> {
    insert_new(conn, editor, input, from_question, None, "", now)
}

/// Creates an article at a chosen slug (an importer keeps the file name, so
/// links between the imported files resolve), with a summary. Fails with
/// a conflict when the slug is taken in the manual.
pub fn create_at_slug(
    conn: &mut Conn,
    editor: Option<UserId>,
    input: &ArticleInput,
    slug: &str,
    description: &str,
    now: i64,
) -> AppResult<(Article, String)> {
    insert_new(conn, editor, input, None, Some(slug), description, now)
}

fn insert_new(
    conn: &mut Conn,
    editor: Option<UserId>,
    input: &ArticleInput,
    from_question: Option<QuestionId>,
    slug: Option<&str>,
    description: &str,
    now: i64,
) -> AppResult<(Article, String)> {
    conn.immediate_transaction(|conn| {
        let manual = manuals_by_id(conn, input.manual_id)?;
        let slug = match slug {
            Some(slug) if !crate::content::is_valid_slug(slug) => {
                return Err(AppError::BadRequest(format!(
                    "{slug:?} is not a valid slug (use lowercase letters, digits and dashes)"
                )))
            }
            Some(slug) if articles::slug_taken(conn, manual.id, slug, None)? => {
                return Err(AppError::Conflict(format!(
                    "The manual already has an article at /docs/{}/{slug}.",
                    manual.slug
                )))
            }
            Some(slug) => slug.to_string(),
            None => free_slug(conn, manual.id, &input.title, None)?,
        };
        let rendered = render(&input.body_md, &manual.slug);
        let tags = input.tags.join(",");
        let toc = serde_json::to_string(&rendered.toc).unwrap_or_else(|_| "[]".into());
        let id = articles::upsert(
            conn,
            &NewArticle {
                manual_id: manual.id,
                slug: &slug,
                title: &input.title,
                description,
                tags: &tags,
                weight: input.weight,
                body_md: &input.body_md,
                body_html: &rendered.html,
                body_text: &rendered.text,
                toc_json: &toc,
                outdated_reason: input.outdated_reason(),
                status: input.status(),
                source_path: None,
                content_hash: "",
                updated_at: now,
            },
            now,
        )?;
        if let Some(question_id) = from_question {
            diesel::update(articles_table::table.find(id))
                .set(articles_table::source_question_id.eq(Some(question_id)))
                .execute(conn)?;
            diesel::update(crate::db::schema::questions::table.find(question_id))
                .set(crate::db::schema::questions::article_id.eq(Some(id)))
                .execute(conn)?;
            outbox::enqueue(conn, DocKind::Question, question_id.into(), now)?;
        }
        add_revision(conn, id, editor, input, now)?;
        outbox::enqueue(conn, DocKind::Article, id.into(), now)?;
        let article = articles::find_with_manual(conn, id)?
            .ok_or_else(|| AppError::internal("created article vanished"))?;
        Ok((article.article, article.manual_slug))
    })
}

fn manuals_by_id(conn: &mut Conn, id: ManualId) -> AppResult<manuals::Manual> {
    manuals::list(conn)?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| AppError::BadRequest("Choose one of the manuals.".into()))
}

/// What a save did.
#[derive(Debug, Clone)]
pub enum SaveOutcome {
    /// Saved as a new revision; the article's current path.
    Saved(String),
    /// Someone saved a newer revision after the editor opened the form.
    Conflict(Box<ArticleRevision>),
}

/// Saves an edit made from revision `base_revision`. If someone saved since,
/// nothing is written and the newer revision comes back (no lost update).
pub fn update(
    conn: &mut Conn,
    editor: UserId,
    article_id: ArticleId,
    base_revision: ArticleRevisionId,
    input: &ArticleInput,
    now: i64,
) -> AppResult<SaveOutcome> {
    conn.immediate_transaction(|conn| {
        let current = articles::find_with_manual(conn, article_id)?
            .ok_or_else(|| AppError::NotFound("There is no such article.".into()))?;
        let latest = article_revisions::latest_id(conn, article_id)?;
        if latest != base_revision {
            let theirs = article_revisions::find(conn, article_id, latest)?
                .ok_or_else(|| AppError::internal("latest revision vanished"))?;
            return Ok(SaveOutcome::Conflict(Box::new(theirs)));
        }
        let manual = manuals_by_id(conn, input.manual_id)?;
        let slug = if manual.id == current.article.manual_id {
            current.article.slug.clone()
        } else {
            free_slug(conn, manual.id, &current.article.slug, Some(article_id))?
        };
        write(conn, &current.article, &manual, &slug, input, now)?;
        add_revision(conn, article_id, Some(editor), input, now)?;
        Ok(SaveOutcome::Saved(crate::paths::article(
            &manual.slug,
            &slug,
        )))
    })
}

/// Writes the article row from `input`, detaching it from its file.
fn write(
    conn: &mut Conn,
    article: &Article,
    manual: &manuals::Manual,
    slug: &str,
    input: &ArticleInput,
    now: i64,
) -> AppResult<()> {
    use articles_table::dsl as a;
    let rendered = render(&input.body_md, &manual.slug);
    let toc = serde_json::to_string(&rendered.toc).unwrap_or_else(|_| "[]".into());
    let detached = article
        .source_path
        .clone()
        .or_else(|| article.detached_path.clone());
    diesel::update(a::articles.find(article.id))
        .set((
            a::manual_id.eq(manual.id),
            a::slug.eq(slug),
            a::title.eq(&input.title),
            a::tags.eq(input.tags.join(",")),
            a::weight.eq(input.weight),
            a::body_md.eq(&input.body_md),
            a::body_html.eq(&rendered.html),
            a::body_text.eq(&rendered.text),
            a::toc_json.eq(&toc),
            a::outdated_reason.eq(input.outdated_reason()),
            a::status.eq(input.status()),
            a::source_path.eq(None::<String>),
            a::detached_path.eq(detached),
            a::updated_at.eq(now),
        ))
        .execute(conn)?;
    outbox::enqueue(conn, DocKind::Article, article.id.into(), now)?;
    Ok(())
}

/// Restores an old revision as a new one.
pub fn restore(
    conn: &mut Conn,
    editor: UserId,
    article_id: ArticleId,
    revision_id: ArticleRevisionId,
    now: i64,
) -> AppResult<String> {
    conn.immediate_transaction(|conn| {
        let old = article_revisions::find(conn, article_id, revision_id)?
            .ok_or_else(|| AppError::NotFound("There is no such revision.".into()))?;
        let current = articles::find_with_manual(conn, article_id)?
            .ok_or_else(|| AppError::NotFound("There is no such article.".into()))?;
        let publication = match (old.status.as_str(), &old.outdated_reason) {
            ("draft", _) => Publication::Draft,
            (_, Some(reason)) => Publication::Outdated(reason.clone()),
            _ => Publication::Published,
        };
        let manual = manuals_by_id(conn, old.manual_id)
            .or_else(|_| manuals_by_id(conn, current.article.manual_id))?;
        let input = ArticleInput {
            manual_id: manual.id,
            title: old.title.clone(),
            weight: old.weight,
            tags: articles::split_tags(&old.tags),
            publication,
            body_md: old.body_md.clone(),
            note: format!("Restored revision {revision_id}"),
        };
        let slug = if manual.id == current.article.manual_id {
            current.article.slug.clone()
        } else {
            free_slug(conn, manual.id, &current.article.slug, Some(article_id))?
        };
        write(conn, &current.article, &manual, &slug, &input, now)?;
        add_revision(conn, article_id, Some(editor), &input, now)?;
        Ok(crate::paths::article(&manual.slug, &slug))
    })
}

/// Hands a detached article back to its file: the next start loads the file.
pub fn reattach(conn: &mut Conn, article_id: ArticleId) -> AppResult<()> {
    use articles_table::dsl as a;
    let article = articles::find_with_manual(conn, article_id)?
        .ok_or_else(|| AppError::NotFound("There is no such article.".into()))?;
    let Some(path) = article.article.detached_path.clone() else {
        return Err(AppError::Conflict(
            "This article does not come from a file.".into(),
        ));
    };
    diesel::update(a::articles.find(article_id))
        .set((
            a::source_path.eq(Some(path)),
            a::detached_path.eq(None::<String>),
            a::content_hash.eq(""),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a content file's version of an article as a revision (no editor).
pub fn record_file_revision(
    conn: &mut Conn,
    article_id: ArticleId,
    path: &str,
    now: i64,
) -> AppResult<()> {
    let Some(found) = articles::find_with_manual(conn, article_id)? else {
        return Ok(());
    };
    let a = &found.article;
    let publication = match &a.outdated_reason {
        Some(reason) => Publication::Outdated(reason.clone()),
        None => Publication::Published,
    };
    let input = ArticleInput {
        manual_id: a.manual_id,
        title: a.title.clone(),
        weight: a.weight,
        tags: a.tag_list(),
        publication,
        body_md: a.body_md.clone(),
        note: format!("From {path}"),
    };
    add_revision(conn, article_id, None, &input, now)?;
    Ok(())
}

/// What the editor starts from when turning a solved question into an article.
#[derive(Debug, Clone)]
pub struct Promotion {
    /// The question.
    pub question_id: QuestionId,
    /// Suggested title.
    pub title: String,
    /// Suggested body: the accepted answer, with credit and a link back.
    pub body: String,
    /// The question's tags.
    pub tags: Vec<String>,
}

/// Drafts an article from a solved question's accepted answer.
pub fn promotion(conn: &mut Conn, question_id: QuestionId) -> AppResult<Promotion> {
    let q = questions::find(conn, question_id)?
        .filter(|q| q.deleted_at.is_none())
        .ok_or_else(|| AppError::NotFound("There is no such question.".into()))?;
    let answer = q
        .accepted_answer_id
        .and_then(|id| answers::find(conn, id).ok().flatten())
        .filter(|a| a.deleted_at.is_none())
        .ok_or_else(|| {
            AppError::Conflict(
                "Only a question with an accepted answer can become an article.".into(),
            )
        })?;
    let author = users::find(conn, answer.author_id)?;
    let credit = match author {
        Some(u) => format!(
            "[{}](/users/{})",
            u.display_name.replace(['[', ']'], ""),
            u.username
        ),
        None => "a community member".into(),
    };
    let body = format!(
        "{}\n\n---\n\n*Based on the accepted answer by {credit} to the community question [{}]({}).*\n",
        answer.body_md.trim(),
        q.title.replace(['[', ']'], ""),
        q.path()
    );
    Ok(Promotion {
        question_id,
        title: q.title.clone(),
        body,
        tags: q.tag_list(),
    })
}
