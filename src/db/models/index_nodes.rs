//! The nodes that keep a search index fed from the shared outbox, each with
//! its watermark: the outbox id up to which its index applied every change.
//! The outbox is pruned only below the lowest watermark of recently seen
//! nodes (see [`crate::db::models::outbox::prune_through`]).

use diesel::prelude::*;

use crate::db::schema::index_nodes;
use crate::db::Conn;

/// One node's row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = index_nodes)]
pub struct IndexNode {
    /// The node's name (`node_name` in its config).
    pub node: String,
    /// Every outbox entry up to this id is in its index.
    pub applied_id: i32,
    /// Last report (unix seconds).
    pub seen_at: i64,
}

/// Records `node`'s watermark (creating its row the first time).
pub fn record(conn: &mut Conn, node: &str, applied_id: i32, now: i64) -> QueryResult<()> {
    let updated = diesel::update(index_nodes::table.find(node))
        .set((
            index_nodes::applied_id.eq(applied_id),
            index_nodes::seen_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(index_nodes::table)
            .values((
                index_nodes::node.eq(node),
                index_nodes::applied_id.eq(applied_id),
                index_nodes::seen_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The lowest watermark of the nodes seen at or after `seen_since`
/// (`None` when no node was).
pub fn min_applied_since(conn: &mut Conn, seen_since: i64) -> QueryResult<Option<i32>> {
    index_nodes::table
        .filter(index_nodes::seen_at.ge(seen_since))
        .select(diesel::dsl::min(index_nodes::applied_id))
        .first(conn)
}

/// Forgets nodes not seen since `before` (decommissioned ones).
pub fn forget_unseen(conn: &mut Conn, before: i64) -> QueryResult<usize> {
    diesel::delete(index_nodes::table.filter(index_nodes::seen_at.lt(before))).execute(conn)
}

/// Every node, by name.
pub fn all(conn: &mut Conn) -> QueryResult<Vec<IndexNode>> {
    index_nodes::table
        .order(index_nodes::node.asc())
        .select(IndexNode::as_select())
        .load(conn)
}
