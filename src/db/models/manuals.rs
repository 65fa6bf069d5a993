//! Manuals: named, ordered groups of articles.

use diesel::prelude::*;

use crate::db::schema::{articles, manuals};
use crate::db::Conn;
use crate::ids::ManualId;

/// A manual row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = manuals)]
pub struct Manual {
    /// Primary key.
    pub id: ManualId,
    /// URL segment, unique.
    pub slug: String,
    /// Display title.
    pub title: String,
    /// One-sentence summary.
    pub description: String,
    /// Rendered, sanitized introduction shown above the table of contents.
    pub intro_html: String,
    /// Sort order among manuals (lower first).
    pub weight: i32,
    /// The `_index.md` file it came from, if any.
    pub source_path: Option<String>,
    /// Hash of the source file, to skip unchanged files at sync.
    pub content_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// Values to insert or overwrite a manual with.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = manuals)]
pub struct NewManual<'a> {
    /// URL segment.
    pub slug: &'a str,
    /// Display title.
    pub title: &'a str,
    /// Summary.
    pub description: &'a str,
    /// Rendered introduction.
    pub intro_html: &'a str,
    /// Sort order.
    pub weight: i32,
    /// Source file.
    pub source_path: Option<&'a str>,
    /// Source hash.
    pub content_hash: &'a str,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A manual with the number of published articles it holds.
#[derive(Debug, Clone)]
pub struct ManualSummary {
    /// The manual.
    pub manual: Manual,
    /// Published articles in it.
    pub article_count: i64,
}

/// All manuals in display order.
pub fn list(conn: &mut Conn) -> QueryResult<Vec<Manual>> {
    manuals::table
        .order((manuals::weight.asc(), manuals::title.asc()))
        .select(Manual::as_select())
        .load(conn)
}

/// All manuals in display order, with their published article counts.
pub fn list_with_counts(conn: &mut Conn) -> QueryResult<Vec<ManualSummary>> {
    let all = list(conn)?;
    let counts: Vec<(ManualId, i64)> = articles::table
        .filter(articles::status.ne("draft"))
        .group_by(articles::manual_id)
        .select((articles::manual_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|manual| {
            let article_count = counts
                .iter()
                .find(|(id, _)| *id == manual.id)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            ManualSummary {
                manual,
                article_count,
            }
        })
        .collect())
}

/// The manual with this slug, if any.
pub fn find_by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<Manual>> {
    manuals::table
        .filter(manuals::slug.eq(slug))
        .select(Manual::as_select())
        .first(conn)
        .optional()
}

/// Inserts the manual, or overwrites the one with the same slug; returns its id.
pub fn upsert(conn: &mut Conn, new: &NewManual<'_>, now: i64) -> QueryResult<ManualId> {
    match find_by_slug(conn, new.slug)? {
        Some(existing) => {
            diesel::update(manuals::table.find(existing.id))
                .set(new)
                .execute(conn)?;
            Ok(existing.id)
        }
        None => diesel::insert_into(manuals::table)
            .values((new, manuals::created_at.eq(now)))
            .returning(manuals::id)
            .get_result(conn),
    }
}

/// Deletes a manual (its articles go with it).
pub fn delete(conn: &mut Conn, id: ManualId) -> QueryResult<usize> {
    diesel::delete(manuals::table.find(id)).execute(conn)
}
