//! The worker thread every node runs: it makes sure the periodic tasks have
//! their rows, then claims due jobs one at a time, runs them and records
//! the outcome. Idle, it polls with one read every [`WorkerOptions::poll`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::{Claimed, Periodic};
use crate::background::{Background, Control};
use crate::db::{unix_now, Pool};
use crate::error::{AppError, AppResult};

/// What a node knows how to run.
pub trait Runner: Send + Sync + 'static {
    /// The job kinds this node runs; it never claims others (a newer node's
    /// kinds wait for a node that knows them).
    fn kinds(&self) -> Vec<&'static str>;
    /// The periodic tasks (their kinds are among [`Runner::kinds`]).
    fn periodic(&self) -> Vec<Periodic>;
    /// Runs one job. An error schedules a retry with backoff.
    fn run(&self, job: &Claimed) -> Result<(), String>;
}

/// How a worker claims.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// This node's name (recorded on claims and runs).
    pub node: String,
    /// Time between two looks at the queue when it is idle.
    pub poll: Duration,
    /// How long a claim holds (seconds); a job still running then may be
    /// claimed by another node.
    pub lease_secs: i64,
}

impl WorkerOptions {
    /// One-second polls and five-minute leases.
    pub fn new(node: &str) -> Self {
        WorkerOptions {
            node: node.to_string(),
            poll: Duration::from_secs(1),
            lease_secs: 300,
        }
    }
}

/// A running worker; stops (after the job in hand) and joins when dropped.
pub struct JobWorker {
    /// The worker's thread, held for its stop-and-join on drop.
    _thread: Background,
}

impl JobWorker {
    /// Starts the worker thread.
    pub fn start(pool: Pool, runner: Arc<dyn Runner>, options: WorkerOptions) -> AppResult<Self> {
        let worker = Worker {
            pool,
            runner,
            options,
        };
        Background::spawn("job-worker", move |control| worker.run(&control))
            .map(|thread| JobWorker { _thread: thread })
    }
}

struct Worker {
    pool: Pool,
    runner: Arc<dyn Runner>,
    options: WorkerOptions,
}

impl Worker {
    fn run(self, control: &Control) {
        let kinds = self.runner.kinds();
        let periodic = self.runner.periodic();
        let mut scheduled = false;
        while !control.stopping() {
            if !scheduled {
                scheduled = self.schedule(&periodic);
            }
            match self.step(&kinds, &periodic) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => log::warn!("jobs: {e} (retrying)"),
            }
            control.wait(self.options.poll);
        }
    }

    /// Creates the rows of the periodic tasks; false when the database did
    /// not answer (tried again on the next round).
    fn schedule(&self, periodic: &[Periodic]) -> bool {
        let done = self
            .pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut conn| super::ensure_periodic(&mut conn, periodic, unix_now()));
        match done {
            Ok(()) => true,
            Err(e) => {
                log::warn!("jobs: cannot schedule the periodic tasks: {e}");
                false
            }
        }
    }

    /// Claims and runs one job; false when none was due.
    fn step(&self, kinds: &[&str], periodic: &[Periodic]) -> AppResult<bool> {
        let node = &self.options.node;
        let claimed = {
            let mut conn = self.pool.get()?;
            super::claim(&mut conn, kinds, node, self.options.lease_secs, unix_now())?
        };
        let Some(job) = claimed else {
            return Ok(false);
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| self.runner.run(&job)))
            .unwrap_or_else(|_| Err("the job panicked".into()));
        let every = periodic
            .iter()
            .find(|p| p.kind == job.kind)
            .map(|p| p.every_secs);
        let mut conn = self.pool.get()?;
        let kept = match &outcome {
            Ok(()) => super::complete(&mut conn, &job, node, every, unix_now())?,
            Err(e) => {
                log::warn!(
                    "job {} ({}) attempt {} failed: {e}",
                    job.id,
                    job.kind,
                    job.attempt
                );
                super::fail(&mut conn, &job, e, every, unix_now())?
            }
        };
        if !kept {
            log::warn!(
                "job {} ({}) outlived its lease and was taken over by another node",
                job.id,
                job.kind
            );
        }
        Ok(true)
    }
}
