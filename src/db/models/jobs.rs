//! The durable job queue: rows that a worker on any node claims, runs and
//! completes. A claim is one `UPDATE … WHERE id = (the first due job) AND
//! (still claimable) RETURNING …`, so two nodes never hold the same job; it
//! carries a lease (`claimed_until`) after which a crashed node's job can be
//! claimed again, and a random token that the claimer's `complete`, `fail`
//! and `reschedule` must present, so a node whose lease ran out cannot
//! finish a job another node took over.

use diesel::prelude::*;

use crate::db::schema::jobs;
use crate::db::Conn;
use crate::ids::JobId;

/// One job row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    /// Primary key.
    pub id: JobId,
    /// What to do (the worker's name for it).
    pub kind: String,
    /// Its arguments, as JSON.
    pub payload: String,
    /// Set on periodic tasks: one row per task for the whole cluster.
    pub unique_key: Option<String>,
    /// Not before (unix seconds).
    pub run_at: i64,
    /// Claims of the current run (the first claim is attempt 1).
    pub attempts: i32,
    /// The node holding the claim.
    pub claimed_by: Option<String>,
    /// The claim's secret; finishing the job requires it.
    pub claim_token: Option<String>,
    /// The claim's lease ends (unix seconds).
    pub claimed_until: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Successful runs (periodic tasks).
    pub runs: i32,
    /// When the last successful run finished (unix seconds).
    pub last_run_at: Option<i64>,
    /// Which node ran it.
    pub last_run_by: Option<String>,
    /// Given up after too many failures (unix seconds).
    pub dead_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Adds a job; call inside the transaction of the change that causes it.
pub fn enqueue(
    conn: &mut Conn,
    kind: &str,
    payload: &str,
    run_at: i64,
    now: i64,
) -> QueryResult<JobId> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(kind),
            jobs::payload.eq(payload),
            jobs::run_at.eq(run_at),
            jobs::created_at.eq(now),
        ))
        .returning(jobs::id)
        .get_result(conn)
}

/// Creates the row of a periodic task unless it exists; true when created.
pub fn ensure_periodic(
    conn: &mut Conn,
    kind: &str,
    unique_key: &str,
    run_at: i64,
    now: i64,
) -> QueryResult<bool> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        jobs::table.filter(jobs::unique_key.eq(unique_key)),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(false);
    }
    // `None`: another node created it in between.
    let inserted = crate::db::unless_taken(conn, |conn| {
        diesel::insert_into(jobs::table)
            .values((
                jobs::kind.eq(kind),
                jobs::unique_key.eq(unique_key),
                jobs::run_at.eq(run_at),
                jobs::created_at.eq(now),
            ))
            .execute(conn)
    })?;
    Ok(inserted == Some(1))
}

/// Whether a job of one of `kinds` is due and unclaimed at `now` (a read,
/// so idle workers poll without writing).
pub fn any_due(conn: &mut Conn, kinds: &[&str], now: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        jobs::table
            .filter(jobs::dead_at.is_null())
            .filter(jobs::run_at.le(now))
            .filter(jobs::kind.eq_any(kinds))
            .filter(
                jobs::claimed_until
                    .is_null()
                    .or(jobs::claimed_until.lt(now)),
            ),
    ))
    .get_result(conn)
}

/// Who claims, for how long, with which token.
#[derive(Debug, Clone, Copy)]
pub struct ClaimBy<'a> {
    /// The claiming node.
    pub node: &'a str,
    /// A fresh random token for this claim.
    pub token: &'a str,
    /// The lease ends (unix seconds).
    pub until: i64,
}

/// Claims the most overdue job of one of `kinds` that is due at `now` and
/// not held by a live claim, in one statement: of two nodes claiming at
/// once, at most one gets a given job. The claim counts as an attempt.
pub fn claim(
    conn: &mut Conn,
    kinds: &[&str],
    by: ClaimBy<'_>,
    now: i64,
) -> QueryResult<Option<Job>> {
    let due = diesel::alias!(jobs as due);
    let first_due = due
        .filter(due.field(jobs::dead_at).is_null())
        .filter(due.field(jobs::run_at).le(now))
        .filter(due.field(jobs::kind).eq_any(kinds))
        .filter(
            due.field(jobs::claimed_until)
                .is_null()
                .or(due.field(jobs::claimed_until).lt(now)),
        )
        .order((due.field(jobs::run_at).asc(), due.field(jobs::id).asc()))
        .select(due.field(jobs::id))
        .limit(1);
    // The outer conditions repeat the inner ones: a row another node
    // claimed after our subquery read it no longer matches (PostgreSQL
    // re-checks them on the locked row), so it is not claimed twice.
    diesel::update(
        jobs::table
            .filter(jobs::id.eq_any(first_due))
            .filter(jobs::dead_at.is_null())
            .filter(jobs::run_at.le(now))
            .filter(
                jobs::claimed_until
                    .is_null()
                    .or(jobs::claimed_until.lt(now)),
            ),
    )
    .set((
        jobs::claimed_by.eq(by.node),
        jobs::claim_token.eq(by.token),
        jobs::claimed_until.eq(by.until),
        jobs::attempts.eq(jobs::attempts + 1),
    ))
    .returning(crate::db::row_columns::<Job>())
    .get_result(conn)
    .optional()
}

/// Finishes a one-off job: its row is deleted. False when the claim is no
/// longer ours (the lease ran out and another node took the job).
pub fn complete(conn: &mut Conn, id: JobId, token: &str) -> QueryResult<bool> {
    let n =
        diesel::delete(jobs::table.find(id).filter(jobs::claim_token.eq(token))).execute(conn)?;
    Ok(n == 1)
}

/// Finishes a run of a periodic task: counts it, records who ran it and
/// when, and schedules the next run at `next_run`. False when the claim is
/// no longer ours.
pub fn reschedule(
    conn: &mut Conn,
    id: JobId,
    token: &str,
    node: &str,
    next_run: i64,
    now: i64,
) -> QueryResult<bool> {
    let n = diesel::update(jobs::table.find(id).filter(jobs::claim_token.eq(token)))
        .set((
            jobs::run_at.eq(next_run),
            jobs::attempts.eq(0),
            jobs::claimed_by.eq(None::<String>),
            jobs::claim_token.eq(None::<String>),
            jobs::claimed_until.eq(None::<i64>),
            jobs::last_error.eq(None::<String>),
            jobs::runs.eq(jobs::runs + 1),
            jobs::last_run_at.eq(Some(now)),
            jobs::last_run_by.eq(Some(node)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Records a failed attempt: the job runs again at `retry_at`, or, when
/// `None`, is given up (kept with `dead_at` for staff to see). False when
/// the claim is no longer ours.
pub fn fail(
    conn: &mut Conn,
    id: JobId,
    token: &str,
    error: &str,
    retry_at: Option<i64>,
    now: i64,
) -> QueryResult<bool> {
    let target = jobs::table.find(id).filter(jobs::claim_token.eq(token));
    let release = (
        jobs::claimed_by.eq(None::<String>),
        jobs::claim_token.eq(None::<String>),
        jobs::claimed_until.eq(None::<i64>),
        jobs::last_error.eq(Some(error)),
    );
    let n = match retry_at {
        Some(at) => diesel::update(target)
            .set((release, jobs::run_at.eq(at)))
            .execute(conn)?,
        None => diesel::update(target)
            .set((release, jobs::dead_at.eq(Some(now))))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// One job by id.
pub fn find(conn: &mut Conn, id: JobId) -> QueryResult<Option<Job>> {
    jobs::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .optional()
}

/// The row of a periodic task.
pub fn periodic(conn: &mut Conn, unique_key: &str) -> QueryResult<Option<Job>> {
    jobs::table
        .filter(jobs::unique_key.eq(unique_key))
        .select(Job::as_select())
        .first(conn)
        .optional()
}

/// Deletes jobs given up before `before`.
pub fn delete_dead_before(conn: &mut Conn, before: i64) -> QueryResult<usize> {
    diesel::delete(jobs::table.filter(jobs::dead_at.lt(before))).execute(conn)
}
