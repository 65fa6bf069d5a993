//! The search outbox: one row per change that the search index must follow,
//! written in the same transaction as the change itself.

use diesel::prelude::*;

use crate::db::schema::{search_outbox, search_outbox_state};
use crate::db::{per_backend, Conn};
use crate::kinds::{DocKind, UnknownKind};

/// One pending change: "document `doc_kind`/`doc_id` must be re-read".
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = search_outbox)]
pub struct OutboxEntry {
    /// Monotonic id; the index remembers the last one it applied.
    pub id: i32,
    /// What kind of source row changed, as stored (see [`OutboxEntry::kind`]).
    pub doc_kind: String,
    /// Its id.
    pub doc_id: i32,
    /// Unix seconds.
    pub created_at: i64,
}

impl OutboxEntry {
    /// The kind of the changed row; an unknown name (a row written by a newer
    /// version) is an error the indexer logs and skips instead of stopping.
    pub fn kind(&self) -> Result<DocKind, UnknownKind> {
        DocKind::from_stored(&self.doc_kind)
    }
}

/// Records that `doc_kind`/`doc_id` changed. Call inside the writing
/// transaction ([`Conn::immediate_transaction`]).
pub fn enqueue(conn: &mut Conn, doc_kind: DocKind, doc_id: i32, now: i64) -> QueryResult<i32> {
    diesel::insert_into(search_outbox::table)
        .values((
            search_outbox::doc_kind.eq(doc_kind),
            search_outbox::doc_id.eq(doc_id),
            search_outbox::created_at.eq(now),
        ))
        .returning(search_outbox::id)
        .get_result(conn)
}

/// Records that every row in `doc_ids` (of one kind) changed, in one
/// statement per thousand rows (bulk writers: imports, demo data). Call inside
/// the writing transaction, like [`enqueue`].
pub fn enqueue_many(
    conn: &mut Conn,
    doc_kind: DocKind,
    doc_ids: impl IntoIterator<Item = i32>,
    now: i64,
) -> QueryResult<()> {
    let rows: Vec<_> = doc_ids
        .into_iter()
        .map(|id| {
            (
                search_outbox::doc_kind.eq(doc_kind),
                search_outbox::doc_id.eq(id),
                search_outbox::created_at.eq(now),
            )
        })
        .collect();
    for chunk in rows.chunks(1000) {
        per_backend!(conn, |c| diesel::insert_into(search_outbox::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Up to `limit` entries after `after_id`, oldest first.
pub fn pending_after(conn: &mut Conn, after_id: i32, limit: i64) -> QueryResult<Vec<OutboxEntry>> {
    search_outbox::table
        .filter(search_outbox::id.gt(after_id))
        .order(search_outbox::id.asc())
        .limit(limit)
        .select(OutboxEntry::as_select())
        .load(conn)
}

/// The newest entry id (0 when empty).
pub fn max_id(conn: &mut Conn) -> QueryResult<i32> {
    search_outbox::table
        .select(diesel::dsl::max(search_outbox::id))
        .first::<Option<i32>>(conn)
        .map(|id| id.unwrap_or(0))
}

/// The entries among `ids` that exist (ids the indexer saw skipped, which
/// a transaction still open at the time may have committed since).
pub fn with_ids(conn: &mut Conn, ids: &[i32]) -> QueryResult<Vec<OutboxEntry>> {
    search_outbox::table
        .filter(search_outbox::id.eq_any(ids))
        .order(search_outbox::id.asc())
        .select(OutboxEntry::as_select())
        .load(conn)
}

/// The ids of the entries after `after` up to `up_to`, ascending.
pub fn ids_between(conn: &mut Conn, after: i32, up_to: i32) -> QueryResult<Vec<i32>> {
    search_outbox::table
        .filter(search_outbox::id.gt(after))
        .filter(search_outbox::id.le(up_to))
        .order(search_outbox::id.asc())
        .select(search_outbox::id)
        .load(conn)
}

/// The highest entry id pruned so far: an index whose watermark is below it
/// missed changes.
pub fn pruned_through(conn: &mut Conn) -> QueryResult<i32> {
    search_outbox_state::table
        .find(1)
        .select(search_outbox_state::pruned_through)
        .first(conn)
}

/// Writes the prune mark's row without changing it and returns the mark.
/// The first statement of both pruning and a node's registration: on
/// PostgreSQL the row lock orders the two, so a node registering while a
/// prune runs either holds the prune back or sees that it missed entries.
pub fn hold_prune_mark(conn: &mut Conn) -> QueryResult<i32> {
    diesel::update(search_outbox_state::table.find(1))
        .set(search_outbox_state::pruned_through.eq(search_outbox_state::pruned_through))
        .returning(search_outbox_state::pruned_through)
        .get_result(conn)
}

/// Deletes the oldest entries, at most `batch` of them, up to `bound` (the
/// lowest watermark of the live nodes) that were written before `before`,
/// and raises the prune mark to the highest id deleted. Call in a
/// transaction after [`hold_prune_mark`]. Returns the number of entries
/// deleted: fewer than `batch` when none that may go are left.
pub fn prune_batch(conn: &mut Conn, bound: i32, before: i64, batch: i64) -> QueryResult<usize> {
    let last: Option<i32> = search_outbox::table
        .filter(search_outbox::id.le(bound))
        .filter(search_outbox::created_at.lt(before))
        .select(diesel::dsl::max(search_outbox::id))
        .first(conn)?;
    let Some(last) = last else {
        return Ok(0);
    };
    // The batch's highest id: entries are deleted in id order, so the
    // ones left stay the newest and the mark stays exact.
    let ids: Vec<i32> = search_outbox::table
        .filter(search_outbox::id.le(last))
        .order(search_outbox::id.asc())
        .select(search_outbox::id)
        .limit(batch.max(1))
        .load(conn)?;
    let Some(&end) = ids.last() else {
        return Ok(0);
    };
    let deleted =
        diesel::delete(search_outbox::table.filter(search_outbox::id.le(end))).execute(conn)?;
    diesel::update(
        search_outbox_state::table
            .find(1)
            .filter(search_outbox_state::pruned_through.lt(end)),
    )
    .set(search_outbox_state::pruned_through.eq(end))
    .execute(conn)?;
    Ok(deleted)
}
