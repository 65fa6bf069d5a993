//! The durable job queue: claims that two nodes never share, leases that
//! let another node retry a crashed node's job, fencing of a late finisher,
//! backoff and giving up, and one row per periodic task for the cluster.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use signpost::config::PoolSettings;
use signpost::db::models::jobs as rows;
use signpost::db::Pool;
use signpost::jobs::{self, Claimed, JobWorker, Periodic, Runner, WorkerOptions, MAX_ATTEMPTS};

use crate::harness::{TestApp, TestDir};

/// A database (the test's SQLite file or PostgreSQL database) and a pool on
/// it per "node".
fn database(nodes: usize) -> (TestDir, Vec<Pool>) {
    let (dir, config) = TestApp::builder().prepare();
    let pools = (0..nodes)
        .map(|_| signpost::db::open(&config.database(), PoolSettings::sized(4)).expect("database"))
        .collect();
    (dir, pools)
}

/// Records which node ran which job.
struct Recorder {
    node: &'static str,
    runs: Arc<Mutex<Vec<(&'static str, u32)>>>,
}

#[derive(serde::Deserialize)]
struct Numbered {
    n: u32,
}

impl Runner for Recorder {
    fn kinds(&self) -> Vec<&'static str> {
        vec!["test-record"]
    }

    fn periodic(&self) -> Vec<Periodic> {
        Vec::new()
    }

    fn run(&self, job: &Claimed) -> Result<(), String> {
        let Numbered { n } = job.payload()?;
        std::thread::sleep(Duration::from_millis(3));
        self.runs
            .lock()
            .map_err(|e| e.to_string())?
            .push((self.node, n));
        Ok(())
    }
}

#[test]
fn two_workers_never_run_the_same_job() {
    let (_dir, pools) = database(2);
    let total = 200u32;
    {
        let mut conn = pools[0].get().expect("conn");
        for n in 0..total {
            jobs::enqueue(&mut conn, "test-record", &serde_json::json!({ "n": n }), 0)
                .expect("enqueue");
        }
    }
    let runs = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<JobWorker> = pools
        .iter()
        .zip(["node-a", "node-b"])
        .map(|(pool, node)| {
            let runner = Recorder {
                node,
                runs: runs.clone(),
            };
            let options = WorkerOptions {
                poll: Duration::from_millis(20),
                ..WorkerOptions::new(node)
            };
            JobWorker::start(pool.clone(), Arc::new(runner), options).expect("worker")
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while runs.lock().expect("runs").len() < total as usize && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Give a double run the chance to show up.
    std::thread::sleep(Duration::from_millis(300));
    drop(workers);
    let runs = runs.lock().expect("runs").clone();
    let mut per_job: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for (node, n) in &runs {
        per_job.entry(*n).or_default().push(node);
    }
    assert_eq!(per_job.len(), total as usize, "every job ran");
    let doubles: Vec<_> = per_job
        .iter()
        .filter(|(_, nodes)| nodes.len() > 1)
        .collect();
    assert!(doubles.is_empty(), "jobs run twice: {doubles:?}");
    for node in ["node-a", "node-b"] {
        assert!(
            runs.iter().any(|(n, _)| *n == node),
            "{node} ran none of {total} jobs"
        );
    }
    let mut conn = pools[1].get().expect("conn");
    assert!(
        jobs::claim(
            &mut conn,
            &["test-record"],
            "node-b",
            60,
            signpost::db::unix_now()
        )
        .expect("claim")
        .is_none(),
        "completed jobs are gone"
    );
}

#[test]
fn a_crashed_nodes_claim_is_retried_after_its_lease_and_the_late_finisher_is_refused() {
    let (_dir, pools) = database(1);
    let mut conn = pools[0].get().expect("conn");
    let now = 1_000_000;
    let id =
        jobs::enqueue(&mut conn, "mail", &serde_json::json!({"to": "ann"}), now).expect("enqueue");
    assert!(
        jobs::claim(&mut conn, &["mail"], "node-a", 30, now - 1)
            .expect("claim")
            .is_none(),
        "not due yet"
    );
    assert!(
        jobs::claim(&mut conn, &["digest"], "node-a", 30, now)
            .expect("claim")
            .is_none(),
        "a node claims only kinds it knows"
    );
    let first = jobs::claim(&mut conn, &["mail"], "node-a", 30, now)
        .expect("claim")
        .expect("due");
    assert_eq!((first.id, first.attempt), (id, 1));
    assert!(
        jobs::claim(&mut conn, &["mail"], "node-b", 30, now + 30)
            .expect("claim")
            .is_none(),
        "held while the lease runs"
    );
    // Node a died: after the lease, node b takes the job over.
    let second = jobs::claim(&mut conn, &["mail"], "node-b", 30, now + 31)
        .expect("claim")
        .expect("lease ran out");
    assert_eq!((second.id, second.attempt), (id, 2));
    assert!(
        !jobs::complete(&mut conn, &first, "node-a", None, now + 40).expect("complete"),
        "node a lost its claim"
    );
    assert!(!jobs::fail(&mut conn, &first, "late", None, now + 40).expect("fail"));
    let row = rows::find(&mut conn, id)
        .expect("find")
        .expect("still there");
    assert_eq!(row.claimed_by.as_deref(), Some("node-b"));
    assert!(jobs::complete(&mut conn, &second, "node-b", None, now + 41).expect("complete"));
    assert!(rows::find(&mut conn, id).expect("find").is_none());
}

#[test]
fn failures_back_off_then_give_up_but_periodic_tasks_never_do() {
    let (_dir, pools) = database(1);
    let mut conn = pools[0].get().expect("conn");
    let mut now = 2_000_000;
    let id = jobs::enqueue(&mut conn, "mail", &serde_json::json!("not an object"), now)
        .expect("enqueue");
    for attempt in 1..=MAX_ATTEMPTS {
        let job = jobs::claim(&mut conn, &["mail"], "node-a", 60, now)
            .expect("claim")
            .unwrap_or_else(|| panic!("attempt {attempt} is due"));
        assert_eq!(job.attempt, attempt);
        let error = job
            .payload::<Numbered>()
            .map(|_| ())
            .expect_err("bad payload");
        assert!(error.contains("unreadable payload"), "{error}");
        assert!(jobs::fail(&mut conn, &job, &error, None, now).expect("fail"));
        let row = rows::find(&mut conn, id).expect("find").expect("kept");
        if attempt < MAX_ATTEMPTS {
            assert_eq!(row.run_at, now + jobs::retry_delay(attempt));
            assert!(
                jobs::claim(&mut conn, &["mail"], "node-a", 60, row.run_at - 1)
                    .expect("claim")
                    .is_none(),
                "waits for its backoff"
            );
            now = row.run_at;
        } else {
            assert_eq!(row.dead_at, Some(now), "given up");
            assert!(row.last_error.is_some_and(|e| e.contains("unreadable")));
        }
    }
    assert!(
        jobs::claim(&mut conn, &["mail"], "node-a", 60, now + 100_000)
            .expect("claim")
            .is_none()
    );
    assert_eq!(
        rows::delete_dead_before(&mut conn, now + jobs::DEAD_RETENTION_SECS + 1).expect("cleanup"),
        1
    );

    // A periodic task: one row for every node that schedules it.
    let task = Periodic {
        kind: "digest",
        every_secs: 600,
    };
    for _ in 0..3 {
        jobs::ensure_periodic(&mut conn, &[task], now).expect("schedule");
    }
    for attempt in 1..=MAX_ATTEMPTS + 2 {
        let job = jobs::claim(&mut conn, &["digest"], "node-a", 60, now)
            .expect("claim")
            .expect("due");
        assert_eq!(job.attempt, attempt);
        assert!(job.periodic);
        assert!(
            jobs::fail(&mut conn, &job, "smtp down", Some(task.every_secs), now).expect("fail")
        );
        let row = rows::periodic(&mut conn, &task.unique_key())
            .expect("row")
            .expect("one row");
        assert!(row.dead_at.is_none(), "a periodic task is never given up");
        assert!(
            row.run_at <= now + task.every_secs,
            "retried by its next period"
        );
        now = row.run_at;
    }
    let job = jobs::claim(&mut conn, &["digest"], "node-b", 60, now)
        .expect("claim")
        .expect("due");
    assert!(jobs::complete(&mut conn, &job, "node-b", Some(task.every_secs), now).expect("done"));
    let row = rows::periodic(&mut conn, &task.unique_key())
        .expect("row")
        .expect("one row");
    assert_eq!(
        (
            row.runs,
            row.attempts,
            row.run_at,
            row.last_run_by.as_deref()
        ),
        (1, 0, now + task.every_secs, Some("node-b"))
    );
    assert!(row.last_error.is_none() && row.claimed_by.is_none());
}

#[test]
fn jobs_run_by_hand_include_the_periodic_tasks_no_worker_has_scheduled_yet() {
    let (_dir, pools) = database(1);
    let site = signpost::jobs::site::SiteJobs::new(pools[0].clone(), None);
    let now = 3_000_000;
    // Nothing was ever scheduled on this database: no worker ran on it.
    let mut conn = pools[0].get().expect("conn");
    for task in signpost::jobs::site::PERIODIC {
        assert!(rows::periodic(&mut conn, &task.unique_key())
            .expect("row")
            .is_none());
    }
    assert_eq!(
        site.run_due("by-hand", now).expect("run"),
        signpost::jobs::site::PERIODIC.len()
    );
    for task in signpost::jobs::site::PERIODIC {
        let row = rows::periodic(&mut conn, &task.unique_key())
            .expect("row")
            .unwrap_or_else(|| panic!("{} has its row", task.kind));
        assert_eq!(
            (row.runs, row.run_at, row.last_run_by.as_deref()),
            (1, now + task.every_secs, Some("by-hand")),
            "{}",
            task.kind
        );
    }
    // Run again at the same time: nothing is due.
    assert_eq!(site.run_due("by-hand", now).expect("run"), 0);
}
