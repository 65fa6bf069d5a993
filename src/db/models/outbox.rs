//! The search outbox: one row per change that the search index must follow,
//! written in the same transaction as the change itself.

use diesel::prelude::*;

use crate::db::schema::search_outbox;
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
/// transaction ([`Conn::immediate_transaction`]): it holds the write lock, so
/// outbox ids become visible in id order and the indexer, which reads past
/// the last id it applied, never skips one.
pub fn enqueue(conn: &mut Conn, doc_kind: DocKind, doc_id: i32, now: i64) -> QueryResult<i32> {
    crate::db::lock_writes(conn)?;
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
    crate::db::lock_writes(conn)?;
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

/// Deletes entries older than `before` (unix seconds) that every index has
/// applied (`applied_id`), keeping the table small.
pub fn prune(conn: &mut Conn, applied_id: i32, before: i64) -> QueryResult<usize> {
    diesel::delete(
        search_outbox::table
            .filter(search_outbox::id.le(applied_id))
            .filter(search_outbox::created_at.lt(before)),
    )
    .execute(conn)
}
