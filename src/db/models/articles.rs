//! Articles: markdown pages of a manual, stored with their rendered HTML, the
//! plain text for search and the table of contents.

use diesel::prelude::*;

use crate::db::schema::{articles, manuals};
use crate::db::Conn;
use crate::ids::{ArticleId, ManualId, QuestionId};

/// Status of an article that customers can read.
pub const STATUS_PUBLISHED: &str = "published";
/// Status of an article visible to staff only.
pub const STATUS_DRAFT: &str = "draft";

/// An article row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = articles)]
pub struct Article {
    /// Primary key.
    pub id: ArticleId,
    /// The manual it belongs to.
    pub manual_id: ManualId,
    /// URL segment, unique within the manual.
    pub slug: String,
    /// Display title.
    pub title: String,
    /// One-sentence summary.
    pub description: String,
    /// Tags, comma separated.
    pub tags: String,
    /// Sort order within the manual (lower first).
    pub weight: i32,
    /// Markdown source.
    pub body_md: String,
    /// Rendered, sanitized HTML.
    pub body_html: String,
    /// Plain text, for search.
    pub body_text: String,
    /// Table of contents as JSON (`[{"level":2,"id":"..","title":".."}]`).
    pub toc_json: String,
    /// Set when the article is out of date: the reason shown to customers.
    pub outdated_reason: Option<String>,
    /// `published` or `draft`.
    pub status: String,
    /// The content file it came from; `None` for articles made in the browser.
    pub source_path: Option<String>,
    /// Hash of the source file, to skip unchanged files at sync.
    pub content_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds: the "last updated" date.
    pub updated_at: i64,
    /// The file this article came from before a browser edit detached it.
    pub detached_path: Option<String>,
    /// The question this article was made from.
    pub source_question_id: Option<QuestionId>,
}

impl Article {
    /// Tags as a list.
    pub fn tag_list(&self) -> Vec<String> {
        split_tags(&self.tags)
    }

    /// Whether customers may see it.
    pub fn is_published(&self) -> bool {
        self.status != STATUS_DRAFT
    }
}

/// Splits the stored comma-separated tag list.
pub fn split_tags(tags: &str) -> Vec<String> {
    tags.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

/// Values to insert or overwrite an article with.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct NewArticle<'a> {
    /// Owning manual.
    pub manual_id: ManualId,
    /// URL segment.
    pub slug: &'a str,
    /// Title.
    pub title: &'a str,
    /// Summary.
    pub description: &'a str,
    /// Comma-separated tags.
    pub tags: &'a str,
    /// Sort order.
    pub weight: i32,
    /// Markdown.
    pub body_md: &'a str,
    /// Rendered HTML.
    pub body_html: &'a str,
    /// Plain text.
    pub body_text: &'a str,
    /// Table of contents JSON.
    pub toc_json: &'a str,
    /// Outdated notice.
    pub outdated_reason: Option<&'a str>,
    /// Status.
    pub status: &'a str,
    /// Source file.
    pub source_path: Option<&'a str>,
    /// Source hash.
    pub content_hash: &'a str,
    /// Unix seconds.
    pub updated_at: i64,
}

/// An article together with the slug and title of its manual.
#[derive(Debug, Clone)]
pub struct ArticleInManual {
    /// The article.
    pub article: Article,
    /// Its manual's slug.
    pub manual_slug: String,
    /// Its manual's title.
    pub manual_title: String,
}

/// The few columns lists and previous/next links need (no bodies).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct ArticleHead {
    /// Primary key.
    pub id: ArticleId,
    /// URL segment.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Outdated notice.
    pub outdated_reason: Option<String>,
    /// `published` or `draft`.
    pub status: String,
}

/// Heads of a manual's articles in reading order; drafts only when asked.
pub fn heads_for_manual(
    conn: &mut Conn,
    manual_id: ManualId,
    include_drafts: bool,
) -> QueryResult<Vec<ArticleHead>> {
    let mut query = articles::table
        .filter(articles::manual_id.eq(manual_id))
        .order((
            articles::weight.asc(),
            articles::title.asc(),
            articles::id.asc(),
        ))
        .select(ArticleHead::as_select())
        .into_boxed();
    if !include_drafts {
        query = query.filter(articles::status.ne(STATUS_DRAFT));
    }
    query.load(conn)
}

/// Articles of a manual in reading order; drafts only when `include_drafts`.
pub fn list_for_manual(
    conn: &mut Conn,
    manual_id: ManualId,
    include_drafts: bool,
) -> QueryResult<Vec<Article>> {
    let mut query = articles::table
        .filter(articles::manual_id.eq(manual_id))
        .order((
            articles::weight.asc(),
            articles::title.asc(),
            articles::id.asc(),
        ))
        .select(Article::as_select())
        .into_boxed();
    if !include_drafts {
        query = query.filter(articles::status.ne(STATUS_DRAFT));
    }
    query.load(conn)
}

/// The article `article_slug` of the manual `manual_id`.
pub fn find_in_manual(
    conn: &mut Conn,
    manual_id: ManualId,
    article_slug: &str,
) -> QueryResult<Option<Article>> {
    articles::table
        .filter(articles::manual_id.eq(manual_id))
        .filter(articles::slug.eq(article_slug))
        .select(Article::as_select())
        .first(conn)
        .optional()
}

/// One article with its manual, by id.
pub fn find_with_manual(conn: &mut Conn, id: ArticleId) -> QueryResult<Option<ArticleInManual>> {
    Ok(find_many_with_manual(conn, &[id])?.pop())
}

/// The articles with these ids with their manuals, in one query; ids
/// without an article are left out.
pub fn find_many_with_manual(
    conn: &mut Conn,
    ids: &[ArticleId],
) -> QueryResult<Vec<ArticleInManual>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let rows: Vec<(Article, String, String)> = articles::table
        .inner_join(manuals::table)
        .filter(articles::id.eq_any(ids))
        .select((Article::as_select(), manuals::slug, manuals::title))
        .load(conn)?;
    Ok(rows.into_iter().map(ArticleInManual::from).collect())
}

impl From<(Article, String, String)> for ArticleInManual {
    /// An article joined with its manual's slug and title.
    fn from((article, manual_slug, manual_title): (Article, String, String)) -> Self {
        ArticleInManual {
            article,
            manual_slug,
            manual_title,
        }
    }
}

/// Ids of every article, in id order (for a full reindex).
pub fn all_ids(conn: &mut Conn) -> QueryResult<Vec<ArticleId>> {
    articles::table
        .select(articles::id)
        .order(articles::id.asc())
        .load(conn)
}

/// Every file-backed article: `(id, manual_id, slug, content_hash)`.
pub fn file_backed(conn: &mut Conn) -> QueryResult<Vec<(ArticleId, ManualId, String, String)>> {
    articles::table
        .filter(articles::source_path.is_not_null())
        .select((
            articles::id,
            articles::manual_id,
            articles::slug,
            articles::content_hash,
        ))
        .load(conn)
}

/// Inserts the article, or overwrites the one with the same manual and slug;
/// returns its id.
pub fn upsert(conn: &mut Conn, new: &NewArticle<'_>, now: i64) -> QueryResult<ArticleId> {
    match find_in_manual(conn, new.manual_id, new.slug)? {
        Some(existing) => {
            diesel::update(articles::table.find(existing.id))
                .set(new)
                .execute(conn)?;
            Ok(existing.id)
        }
        None => diesel::insert_into(articles::table)
            .values((new, articles::created_at.eq(now)))
            .returning(articles::id)
            .get_result(conn),
    }
}

/// Deletes one article.
pub fn delete(conn: &mut Conn, id: ArticleId) -> QueryResult<usize> {
    diesel::delete(articles::table.find(id)).execute(conn)
}

/// Every article of every manual with its manual, drafts included (staff list).
pub fn all_with_manuals(conn: &mut Conn) -> QueryResult<Vec<ArticleInManual>> {
    let rows: Vec<(Article, String, String)> = articles::table
        .inner_join(manuals::table)
        .order((
            manuals::weight.asc(),
            manuals::title.asc(),
            articles::weight.asc(),
            articles::title.asc(),
        ))
        .select((Article::as_select(), manuals::slug, manuals::title))
        .load(conn)?;
    Ok(rows.into_iter().map(ArticleInManual::from).collect())
}

/// Published articles marked outdated, with their manuals.
pub fn outdated(conn: &mut Conn) -> QueryResult<Vec<ArticleInManual>> {
    Ok(all_with_manuals(conn)?
        .into_iter()
        .filter(|a| a.article.is_published() && a.article.outdated_reason.is_some())
        .collect())
}

/// The article (if any) with this slug in this manual, other than `except`.
pub fn slug_taken(
    conn: &mut Conn,
    manual_id: ManualId,
    slug: &str,
    except: Option<ArticleId>,
) -> QueryResult<bool> {
    let mut query = articles::table
        .filter(articles::manual_id.eq(manual_id))
        .filter(articles::slug.eq(slug))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(articles::id.ne(id));
    }
    let found: Option<ArticleId> = query.select(articles::id).first(conn).optional()?;
    Ok(found.is_some())
}
