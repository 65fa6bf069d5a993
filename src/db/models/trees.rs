//! Troubleshooting trees (the parsed definition as JSON, read back with
//! [`TreeRow::tree`]) and the walks customers take through them.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::content::trees::Tree;
use crate::db::schema::{tree_walks, trees};
use crate::db::Conn;
use crate::ids::TreeId;

/// Seconds without a step after which a walk without outcome counts as abandoned.
pub const ABANDONED_AFTER_SECS: i64 = 30 * 60;

/// A tree row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = trees)]
pub struct TreeRow {
    /// Primary key.
    pub id: TreeId,
    /// URL segment.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Comma-separated tags.
    pub tags: String,
    /// JSON of `content::trees::Tree`.
    pub definition: String,
    /// Source file.
    pub source_path: Option<String>,
    /// Hash of the source file.
    pub content_hash: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl TreeRow {
    /// The tree itself, parsed from [`TreeRow::definition`] (written by the
    /// content sync from a validated file, so an error means the row was
    /// changed by hand or by an incompatible version).
    pub fn tree(&self) -> Result<Tree, serde_json::Error> {
        serde_json::from_str(&self.definition)
    }
}

/// Values to insert or overwrite a tree with.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = trees)]
pub struct NewTree<'a> {
    /// URL segment.
    pub slug: &'a str,
    /// Title.
    pub title: &'a str,
    /// Summary.
    pub description: &'a str,
    /// Tags.
    pub tags: &'a str,
    /// JSON definition.
    pub definition: &'a str,
    /// Source file.
    pub source_path: Option<&'a str>,
    /// Source hash.
    pub content_hash: &'a str,
    /// Unix seconds.
    pub updated_at: i64,
}

/// All trees by title.
pub fn list(conn: &mut Conn) -> QueryResult<Vec<TreeRow>> {
    trees::table
        .order(trees::title.asc())
        .select(TreeRow::as_select())
        .load(conn)
}

/// The tree with this slug.
pub fn find_by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<TreeRow>> {
    trees::table
        .filter(trees::slug.eq(slug))
        .select(TreeRow::as_select())
        .first(conn)
        .optional()
}

/// The tree with this id.
pub fn find(conn: &mut Conn, id: TreeId) -> QueryResult<Option<TreeRow>> {
    trees::table
        .find(id)
        .select(TreeRow::as_select())
        .first(conn)
        .optional()
}

/// Every tree id.
pub fn all_ids(conn: &mut Conn) -> QueryResult<Vec<TreeId>> {
    trees::table
        .select(trees::id)
        .order(trees::id.asc())
        .load(conn)
}

/// Inserts or overwrites by slug; returns the id.
pub fn upsert(conn: &mut Conn, new: &NewTree<'_>, now: i64) -> QueryResult<TreeId> {
    match find_by_slug(conn, new.slug)? {
        Some(existing) => {
            diesel::update(trees::table.find(existing.id))
                .set(new)
                .execute(conn)?;
            Ok(existing.id)
        }
        None => diesel::insert_into(trees::table)
            .values((new, trees::created_at.eq(now)))
            .returning(trees::id)
            .get_result(conn),
    }
}

/// Deletes a tree and its walks.
pub fn delete(conn: &mut Conn, id: TreeId) -> QueryResult<usize> {
    diesel::delete(trees::table.find(id)).execute(conn)
}

/// A walk row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tree_walks)]
pub struct Walk {
    /// Primary key.
    pub id: i32,
    /// Hash identifying the walk.
    pub walk_key: String,
    /// Tree.
    pub tree_id: TreeId,
    /// Node last shown.
    pub last_node: String,
    /// Steps answered.
    pub steps: i32,
    /// `resolved`, `escalated` or `None`.
    pub outcome: Option<String>,
    /// Unix seconds.
    pub started_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// The walk with this key.
pub fn find_walk(conn: &mut Conn, key: &str) -> QueryResult<Option<Walk>> {
    tree_walks::table
        .filter(tree_walks::walk_key.eq(key))
        .select(Walk::as_select())
        .first(conn)
        .optional()
}

/// Records that a walk is at `node` after `steps` answers (starting it if new).
pub fn record_step(
    conn: &mut Conn,
    key: &str,
    tree_id: TreeId,
    node: &str,
    steps: i32,
    now: i64,
) -> QueryResult<()> {
    let updated = diesel::update(
        tree_walks::table
            .filter(tree_walks::walk_key.eq(key))
            .filter(tree_walks::outcome.is_null()),
    )
    .set((
        tree_walks::last_node.eq(node),
        tree_walks::steps.eq(steps),
        tree_walks::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 && find_walk(conn, key)?.is_none() {
        diesel::insert_into(tree_walks::table)
            .values((
                tree_walks::walk_key.eq(key),
                tree_walks::tree_id.eq(tree_id),
                tree_walks::last_node.eq(node),
                tree_walks::steps.eq(steps),
                tree_walks::started_at.eq(now),
                tree_walks::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Records how a walk ended (`resolved` or `escalated`) at `node`.
pub fn record_outcome(
    conn: &mut Conn,
    key: &str,
    tree_id: TreeId,
    node: &str,
    steps: i32,
    outcome: &str,
    now: i64,
) -> QueryResult<()> {
    record_step(conn, key, tree_id, node, steps, now)?;
    diesel::update(
        tree_walks::table
            .filter(tree_walks::walk_key.eq(key))
            .filter(tree_walks::outcome.is_null()),
    )
    .set((
        tree_walks::outcome.eq(outcome),
        tree_walks::last_node.eq(node),
        tree_walks::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Per-tree counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeStats {
    /// Walks started.
    pub starts: i64,
    /// Walks that ended at a fix that worked.
    pub resolved: i64,
    /// Walks that went to the community.
    pub escalated: i64,
    /// Walks that stopped without an outcome.
    pub abandoned: i64,
    /// The node where most abandoned walks stopped, with how many.
    pub top_stop: Option<(String, i64)>,
}

/// Counts for one tree as of `now`.
pub fn stats(conn: &mut Conn, tree_id: TreeId, now: i64) -> QueryResult<TreeStats> {
    Ok(stats_of(conn, Some(tree_id), now)?
        .remove(&tree_id)
        .unwrap_or_default())
}

/// Counts for every tree that has walks, as of `now` (two queries however
/// many trees there are).
pub fn all_stats(conn: &mut Conn, now: i64) -> QueryResult<HashMap<TreeId, TreeStats>> {
    stats_of(conn, None, now)
}

/// Counts per tree (`only` one tree, or all): walks by outcome, then the
/// abandoned walks by the node they stopped at.
fn stats_of(
    conn: &mut Conn,
    only: Option<TreeId>,
    now: i64,
) -> QueryResult<HashMap<TreeId, TreeStats>> {
    let mut by_outcome = tree_walks::table
        .group_by((tree_walks::tree_id, tree_walks::outcome))
        .select((
            tree_walks::tree_id,
            tree_walks::outcome,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    let mut stops = tree_walks::table
        .filter(tree_walks::outcome.is_null())
        .filter(tree_walks::updated_at.lt(now - ABANDONED_AFTER_SECS))
        .group_by((tree_walks::tree_id, tree_walks::last_node))
        .select((
            tree_walks::tree_id,
            tree_walks::last_node,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    if let Some(id) = only {
        by_outcome = by_outcome.filter(tree_walks::tree_id.eq(id));
        stops = stops.filter(tree_walks::tree_id.eq(id));
    }
    let mut out: HashMap<TreeId, TreeStats> = HashMap::new();
    for (tree, outcome, n) in by_outcome.load::<(TreeId, Option<String>, i64)>(conn)? {
        let stats = out.entry(tree).or_default();
        stats.starts += n;
        match outcome.as_deref() {
            Some("resolved") => stats.resolved += n,
            Some("escalated") => stats.escalated += n,
            _ => {}
        }
    }
    for (tree, node, n) in stops.load::<(TreeId, String, i64)>(conn)? {
        let stats = out.entry(tree).or_default();
        stats.abandoned += n;
        // Most stops first; on a tie, the node that sorts first.
        let better = match &stats.top_stop {
            Some((top, count)) => n > *count || (n == *count && node < *top),
            None => true,
        };
        if better {
            stats.top_stop = Some((node, n));
        }
    }
    Ok(out)
}

/// Resolved counts for every tree: `(tree_id, resolved)`.
pub fn resolved_counts(conn: &mut Conn) -> QueryResult<Vec<(TreeId, i64)>> {
    tree_walks::table
        .filter(tree_walks::outcome.eq("resolved"))
        .group_by(tree_walks::tree_id)
        .select((tree_walks::tree_id, diesel::dsl::count_star()))
        .load(conn)
}
