//! Durable background jobs: work that may wait (maintenance, mail, nudges
//! and digests) goes into the `jobs` table, and a worker
//! thread on every node claims and runs it, off the request path.
//!
//! - [`enqueue`] adds a job (inside the transaction of the change that causes
//!   it, so a job exists exactly when its change does).
//! - [`claim`] takes the most overdue due job in one statement: two nodes
//!   never hold the same job. A claim is a lease: a node that crashes leaves
//!   its job to be claimed again once the lease ends.
//! - [`complete`] finishes it; [`fail`] schedules a retry with exponential
//!   backoff ([`retry_delay`]) and gives up after [`MAX_ATTEMPTS`].
//!
//! Delivery is at least once: a job that outlives its lease, or whose node
//! dies after the work but before [`complete`], runs again, so handlers are
//! written to be safe to repeat. Periodic tasks ([`Periodic`]) are rows with a
//! unique key, one per task for the whole cluster, rescheduled after each
//! run: however many nodes run, each task runs once per period.
//! [`worker`] is the thread; [`site`] has this site's job kinds.

pub mod site;
pub mod worker;

use crate::db::models::jobs as rows;
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::JobId;

pub use worker::{JobWorker, Runner, WorkerOptions};

/// A failing job is given up after this many attempts (about 4 hours of
/// retries with [`retry_delay`]); periodic tasks are never given up.
pub const MAX_ATTEMPTS: i32 = 10;
/// Given-up jobs are kept this long for staff to see (seconds).
pub const DEAD_RETENTION_SECS: i64 = 30 * 24 * 3600;

/// A task that runs once per `every_secs` for the whole cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periodic {
    /// The job kind.
    pub kind: &'static str,
    /// Seconds between two runs.
    pub every_secs: i64,
}

impl Periodic {
    /// The unique key of its row.
    pub fn unique_key(&self) -> String {
        format!("periodic:{}", self.kind)
    }
}

/// A job this node holds a claim on.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The job.
    pub id: JobId,
    /// Its kind.
    pub kind: String,
    /// Its arguments, as JSON text (see [`Claimed::payload`]).
    pub payload_json: String,
    /// This is attempt number…
    pub attempt: i32,
    /// Whether it is a periodic task (rescheduled, never deleted).
    pub periodic: bool,
    token: String,
}

impl Claimed {
    /// The arguments as `T`; a payload this version cannot read is the
    /// job's failure (retried, then given up), never the worker's.
    pub fn payload<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_str(&self.payload_json)
            .map_err(|e| format!("job {} ({}): unreadable payload: {e}", self.id, self.kind))
    }
}

/// Adds a job of `kind` with `payload`, due at `run_at` (unix seconds).
/// Call inside the transaction of the change that causes it.
pub fn enqueue(
    conn: &mut Conn,
    kind: &str,
    payload: &serde_json::Value,
    run_at: i64,
) -> AppResult<JobId> {
    Ok(rows::enqueue(
        conn,
        kind,
        &payload.to_string(),
        run_at,
        crate::db::unix_now(),
    )?)
}

/// Makes sure every periodic task has its row (first run at `now`).
pub fn ensure_periodic(conn: &mut Conn, tasks: &[Periodic], now: i64) -> AppResult<()> {
    for task in tasks {
        rows::ensure_periodic(conn, task.kind, &task.unique_key(), now, now)?;
    }
    Ok(())
}

/// Claims the most overdue due job of one of `kinds` for `node`, with a
/// lease of `lease_secs`; `None` when nothing is due.
pub fn claim(
    conn: &mut Conn,
    kinds: &[&str],
    node: &str,
    lease_secs: i64,
    now: i64,
) -> AppResult<Option<Claimed>> {
    if kinds.is_empty() || !rows::any_due(conn, kinds, now)? {
        return Ok(None);
    }
    let token = crate::auth::tokens::random_token().map_err(AppError::internal)?;
    let by = rows::ClaimBy {
        node,
        token: &token,
        until: now + lease_secs,
    };
    let Some(job) = rows::claim(conn, kinds, by, now)? else {
        return Ok(None);
    };
    Ok(Some(Claimed {
        id: job.id,
        kind: job.kind,
        payload_json: job.payload,
        attempt: job.attempts,
        periodic: job.unique_key.is_some(),
        token,
    }))
}

/// Finishes a claimed job: a one-off job is deleted; a periodic task is
/// counted and scheduled `every_secs` from now. False when the claim was
/// lost meanwhile (its lease ran out and another node took the job).
pub fn complete(
    conn: &mut Conn,
    job: &Claimed,
    node: &str,
    every_secs: Option<i64>,
    now: i64,
) -> AppResult<bool> {
    Ok(match (job.periodic, every_secs) {
        (true, Some(every)) => rows::reschedule(conn, job.id, &job.token, node, now + every, now)?,
        _ => rows::complete(conn, job.id, &job.token)?,
    })
}

/// Records a failed attempt: retried after [`retry_delay`] (a periodic task
/// at the latest at its next period), or given up after [`MAX_ATTEMPTS`].
/// False when the claim was lost meanwhile.
pub fn fail(
    conn: &mut Conn,
    job: &Claimed,
    error: &str,
    every_secs: Option<i64>,
    now: i64,
) -> AppResult<bool> {
    let delay = retry_delay(job.attempt);
    let retry_at = match (job.periodic, every_secs) {
        (true, Some(every)) => Some(now + delay.min(every)),
        _ if job.attempt >= MAX_ATTEMPTS => None,
        _ => Some(now + delay),
    };
    let error: String = error.chars().take(2000).collect();
    Ok(rows::fail(conn, job.id, &job.token, &error, retry_at, now)?)
}

/// Seconds before retrying after failed attempt number `attempt`: 30 s,
/// doubling each time, at most one hour.
pub fn retry_delay(attempt: i32) -> i64 {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(7);
    (30i64 << doublings).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(retry_delay(1), 30);
        assert_eq!(retry_delay(2), 60);
        assert_eq!(retry_delay(4), 240);
        assert_eq!(retry_delay(8), 3600);
        assert_eq!(retry_delay(100), 3600);
        assert_eq!(retry_delay(0), 30);
        let total: i64 = (1..MAX_ATTEMPTS).map(retry_delay).sum();
        assert!(
            (3 * 3600..6 * 3600).contains(&total),
            "about four hours of retries: {total} s"
        );
    }
}
