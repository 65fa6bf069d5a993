//! This node's index among several that share one database: registration at
//! start (which decides whether the index must be rebuilt), the periodic
//! report of its watermark, and pruning the outbox entries that every live
//! node has applied.

use crate::db::models::{index_nodes, outbox};
use crate::db::Conn;
use crate::error::AppResult;

/// Outbox entries are kept at least this long (seconds), and a node seen
/// within this long holds back pruning of what it has not applied.
pub const OUTBOX_RETENTION_SECS: i64 = 7 * 24 * 3600;
/// A node not seen for this long is forgotten (seconds).
pub const NODE_FORGET_SECS: i64 = 30 * 24 * 3600;

/// What registration found about this node's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexStanding {
    /// Resumes from its watermark.
    Current,
    /// Missing, unusable or incomplete: rebuilt anyway.
    Unusable,
    /// Entries after its watermark were pruned while the node was away:
    /// rebuilt, or it would silently miss those changes.
    Behind {
        /// The index's watermark.
        watermark: i32,
        /// The highest pruned id.
        pruned: i32,
    },
    /// Its watermark is past every entry the database ever had (the
    /// database was restored from an older backup): rebuilt.
    Ahead {
        /// The index's watermark.
        watermark: i32,
        /// The highest id the database knows.
        newest: i32,
    },
}

impl IndexStanding {
    /// Whether the index must be rebuilt from the database.
    pub fn needs_rebuild(self) -> bool {
        self != IndexStanding::Current
    }
}

/// Registers `node` with its index's `watermark` (`usable`: the index
/// opened complete) and tells whether the index can resume. One
/// transaction that first writes the prune mark's row, so a prune running
/// at the same time either counts this node or is seen by it.
pub fn register(
    conn: &mut Conn,
    node: &str,
    watermark: i32,
    usable: bool,
    now: i64,
) -> AppResult<IndexStanding> {
    conn.immediate_transaction(|conn| {
        let pruned = outbox::hold_prune_mark(conn)?;
        let newest = outbox::max_id(conn)?.max(pruned);
        let standing = if !usable {
            IndexStanding::Unusable
        } else if watermark < pruned {
            IndexStanding::Behind { watermark, pruned }
        } else if watermark > newest {
            IndexStanding::Ahead { watermark, newest }
        } else {
            IndexStanding::Current
        };
        // A node about to rebuild holds back every prune until it reports.
        let mark = if standing.needs_rebuild() {
            0
        } else {
            watermark
        };
        index_nodes::record(conn, node, mark, now)?;
        Ok(standing)
    })
}

/// Reports `node`'s watermark; true when entries it has not applied were
/// pruned meanwhile (it was counted as gone), so it must rebuild.
pub fn report(conn: &mut Conn, node: &str, watermark: i32, now: i64) -> AppResult<bool> {
    index_nodes::record(conn, node, watermark, now)?;
    Ok(outbox::pruned_through(conn)? > watermark)
}

/// Outbox entries deleted per transaction when pruning: each batch holds
/// the write lock briefly, so posts are not held up behind one long delete.
pub const PRUNE_BATCH: i64 = 5_000;

/// What one prune did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Outbox entries deleted.
    pub deleted: usize,
    /// Nodes forgotten (not seen for [`NODE_FORGET_SECS`]).
    pub forgotten: usize,
    /// Transactions that deleted entries.
    pub batches: usize,
}

/// Deletes the outbox entries older than [`OUTBOX_RETENTION_SECS`] that
/// every node seen within that time has applied, raising the prune mark;
/// forgets nodes gone for [`NODE_FORGET_SECS`]. Deletes [`PRUNE_BATCH`]
/// entries per transaction. Safe to run on several nodes at once (the prune
/// mark's row orders them), but meant to run once per cluster as a
/// periodic job.
pub fn prune_outbox(conn: &mut Conn, now: i64) -> AppResult<PruneReport> {
    prune_outbox_in_batches(conn, now, PRUNE_BATCH)
}

/// [`prune_outbox`] with `batch` entries per transaction. Each transaction
/// takes the prune mark's row first and looks at the nodes again, so a node
/// that registers between two batches holds back the ones after it.
pub fn prune_outbox_in_batches(conn: &mut Conn, now: i64, batch: i64) -> AppResult<PruneReport> {
    let before = now - OUTBOX_RETENTION_SECS;
    let mut report = PruneReport {
        forgotten: conn.immediate_transaction(|conn| -> AppResult<usize> {
            outbox::hold_prune_mark(conn)?;
            Ok(index_nodes::forget_unseen(conn, now - NODE_FORGET_SECS)?)
        })?,
        ..PruneReport::default()
    };
    loop {
        let deleted = conn.immediate_transaction(|conn| -> AppResult<usize> {
            outbox::hold_prune_mark(conn)?;
            match index_nodes::min_applied_since(conn, before)? {
                Some(bound) => Ok(outbox::prune_batch(conn, bound, before, batch)?),
                None => Ok(0),
            }
        })?;
        if deleted == 0 {
            return Ok(report);
        }
        report.deleted += deleted;
        report.batches += 1;
        if (deleted as i64) < batch {
            return Ok(report);
        }
    }
}
