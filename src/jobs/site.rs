//! This site's job kinds and what running each one does. Every periodic
//! task is idempotent, so a run repeated after a lost lease does no harm.
//!
//! A new kind is a name here, listed in [`SiteJobs::kinds`] (and in
//! [`PERIODIC`] when it repeats), an arm in `SiteJobs::run_job` that reads
//! its arguments with [`Claimed::payload`], and [`crate::jobs::enqueue`]
//! in the transaction that causes it.

use super::{Claimed, Periodic, Runner, DEAD_RETENTION_SECS};
use crate::auth::SESSION_IDLE_SECS;
use crate::db::models::{jobs, rate_limits, sessions};
use crate::db::{unix_now, Pool};
use crate::error::AppResult;
use crate::service::search_feed::nodes;

/// Deletes search outbox entries every live node applied ([`nodes::prune_outbox`]).
pub const PRUNE_OUTBOX: Periodic = Periodic {
    kind: "search-outbox-prune",
    every_secs: 3600,
};
/// Deletes sessions that expired more than [`LAPSED_SESSION_KEPT_SECS`] ago.
pub const CLEAN_SESSIONS: Periodic = Periodic {
    kind: "session-cleanup",
    every_secs: 3600,
};
/// Deletes drafts past their expiry.
pub const CLEAN_DRAFTS: Periodic = Periodic {
    kind: "draft-cleanup",
    every_secs: 3600,
};
/// Deletes ended rate-limit windows.
pub const CLEAN_RATE_LIMITS: Periodic = Periodic {
    kind: "rate-limit-cleanup",
    every_secs: 600,
};
/// Deletes jobs given up more than [`DEAD_RETENTION_SECS`] ago.
pub const CLEAN_JOBS: Periodic = Periodic {
    kind: "job-cleanup",
    every_secs: 24 * 3600,
};

/// An expired session's row is kept this long (it can no longer sign
/// anyone in), so a form sent from one of its pages is recognised and kept
/// as the user's draft rather than refused.
pub const LAPSED_SESSION_KEPT_SECS: i64 = 7 * 24 * 3600;

/// Every periodic task of the site.
pub const PERIODIC: [Periodic; 5] = [
    PRUNE_OUTBOX,
    CLEAN_SESSIONS,
    CLEAN_DRAFTS,
    CLEAN_RATE_LIMITS,
    CLEAN_JOBS,
];

/// Runs the site's jobs against its database.
pub struct SiteJobs {
    pool: Pool,
}

impl SiteJobs {
    /// Jobs on `pool`.
    pub fn new(pool: Pool) -> Self {
        SiteJobs { pool }
    }

    /// Runs one claimed job; returns what it did, for the log.
    fn run_job(&self, job: &Claimed) -> AppResult<String> {
        let mut conn = self.pool.get()?;
        let now = unix_now();
        Ok(match job.kind.as_str() {
            k if k == PRUNE_OUTBOX.kind => {
                let report = nodes::prune_outbox(&mut conn, now)?;
                format!(
                    "{} outbox entries pruned in {} batches, {} nodes forgotten",
                    report.deleted, report.batches, report.forgotten
                )
            }
            k if k == CLEAN_SESSIONS.kind => format!(
                "{} expired sessions deleted",
                sessions::delete_expired(
                    &mut conn,
                    now - LAPSED_SESSION_KEPT_SECS,
                    SESSION_IDLE_SECS
                )?
            ),
            k if k == CLEAN_DRAFTS.kind => format!(
                "{} expired drafts deleted",
                crate::service::drafts::delete_expired(&mut conn, now)?
            ),
            k if k == CLEAN_RATE_LIMITS.kind => format!(
                "{} rate-limit windows deleted",
                rate_limits::delete_expired(&mut conn, now)?
            ),
            k if k == CLEAN_JOBS.kind => format!(
                "{} given-up jobs deleted",
                jobs::delete_dead_before(&mut conn, now - DEAD_RETENTION_SECS)?
            ),
            other => {
                return Err(crate::error::AppError::Internal(format!(
                    "unknown job kind {other:?}"
                )))
            }
        })
    }
}

impl Runner for SiteJobs {
    fn kinds(&self) -> Vec<&'static str> {
        PERIODIC.iter().map(|p| p.kind).collect()
    }

    fn periodic(&self) -> Vec<Periodic> {
        PERIODIC.to_vec()
    }

    fn run(&self, job: &Claimed) -> Result<(), String> {
        let summary = self.run_job(job).map_err(|e| e.to_string())?;
        log::debug!("job {} ({}): {summary}", job.id, job.kind);
        Ok(())
    }
}
