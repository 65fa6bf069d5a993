//! Two real `signpost serve` processes on one database, each with its own
//! data dir and search index, as behind a load balancer: a post made through
//! one node is found by search on the other; a session, a sign-in lockout
//! and the periodic jobs are shared; a job one node holds is not run by the
//! other until its lease ends; and killing one node in the middle of a
//! stream of posts loses nothing it acknowledged, which the survivor finds.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use signpost::config::{Config, PoolSettings};
use signpost::db::models::{jobs as job_rows, sessions};
use signpost::db::schema::jobs as jobs_table;
use signpost::jobs::site::{CLEAN_SESSIONS, PERIODIC};

use crate::harness::TestApp;
use crate::process::{
    assert_stored, create_user, free_port, shared_database, spawn, Http, PostStream, Server,
};

const PASSWORD: &str = "harbor lantern quiet 9";

/// One node: its config (own data dir, shared database), port and process.
struct Node {
    config: Config,
    port: u16,
    server: Server,
}

impl Node {
    fn start(dir: &std::path::Path, base: &Config, name: &str) -> Node {
        let config = Config {
            data_dir: dir.join(name).join("data"),
            ..base.clone()
        };
        let port = free_port();
        let server = spawn(dir, &config, port, &[("SIGNPOST_BEHIND_PROXY", "true")]);
        Node {
            config,
            port,
            server,
        }
    }

    fn restart(&mut self, dir: &std::path::Path) {
        self.server = spawn(
            dir,
            &self.config,
            self.port,
            &[("SIGNPOST_BEHIND_PROXY", "true")],
        );
    }

    /// An anonymous client of this node from `address`.
    fn client(&self, address: &str) -> Http {
        Http::new(self.port).forwarded_for(address)
    }

    /// The node's name, from its health check.
    fn name(&self) -> String {
        let health = self
            .client("198.51.100.1")
            .request("GET", "/healthz", None)
            .expect("health");
        let json: serde_json::Value = serde_json::from_str(&health.body).expect("json");
        json["node"].as_str().expect("node name").to_string()
    }
}

#[test]
fn two_nodes_share_one_database_and_each_keeps_its_own_index() {
    let (dir, mut base) = TestApp::guide().prepare();
    base.database_url = shared_database(dir.path(), &base);
    create_user(dir.path(), &base, "nodes_staff", "staff", PASSWORD);
    create_user(dir.path(), &base, "lock_owner", "member", PASSWORD);
    let mut a = Node::start(dir.path(), &base, "a");
    let b = Node::start(dir.path(), &base, "b");
    a.client("198.51.100.1").wait_healthy();
    b.client("198.51.100.1").wait_healthy();
    let (name_a, name_b) = (a.name(), b.name());
    assert_ne!(name_a, name_b, "each node has its own name");
    let database = signpost::db::open(&base.database(), PoolSettings::sized(2)).expect("db");
    let mut conn = database.get().expect("conn");

    // Both nodes schedule the periodic tasks at start; each runs once.
    let deadline = Instant::now() + Duration::from_secs(30);
    let ran = |conn: &mut signpost::db::Conn| {
        PERIODIC.iter().all(|task| {
            job_rows::periodic(conn, &task.unique_key())
                .ok()
                .flatten()
                .is_some_and(|row| row.runs >= 1)
        })
    };
    while !ran(&mut conn) {
        assert!(Instant::now() < deadline, "periodic tasks did not run");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Past two polls of both workers: a second run would show now.
    std::thread::sleep(Duration::from_millis(2500));
    for task in PERIODIC {
        let row = job_rows::periodic(&mut conn, &task.unique_key())
            .expect("row")
            .expect("scheduled");
        assert_eq!(row.runs, 1, "{} ran once for the cluster", task.kind);
        let by = row.last_run_by.unwrap_or_default();
        assert!(by == name_a || by == name_b, "{}: run by {by}", task.kind);
    }

    // Written through a, found by search on b; the session works on b too.
    let staff = a.client("198.51.100.10");
    assert_eq!(staff.login("nodes_staff", PASSWORD).status, 303);
    let csrf = staff.csrf("/questions/ask");
    let posted = staff
        .request(
            "POST",
            "/questions/ask",
            Some(&[
                ("csrf", csrf.as_str()),
                ("title", "Router loses the mesh link nodemarkalpha"),
                ("body", "Posted through node a and searched on node b."),
                ("tags", "router"),
                ("action", "post"),
            ]),
        )
        .expect("post");
    assert_eq!(posted.status, 303, "{}", posted.body);
    let written = Instant::now();
    let reader_b = b.client("198.51.100.11");
    assert!(
        reader_b.finds_within("nodemarkalpha", Duration::from_secs(10)),
        "node b never found the post made through node a"
    );
    eprintln!(
        "post through node a found on node b after {:.0?}",
        written.elapsed()
    );
    let on_b = staff.on(b.port);
    let page = on_b.request("GET", "/account", None).expect("account");
    assert_eq!(page.status, 200, "the session of node a is valid on node b");

    // Failed sign-ins count on every node.
    let attacker = a.client("198.51.100.66");
    let attacker_on_b = attacker.on(b.port);
    for i in 0..8 {
        let node = if i % 2 == 0 {
            &attacker
        } else {
            &attacker_on_b
        };
        assert_eq!(node.login("lock_owner", "not the password").status, 401);
    }
    for node in [&attacker, &attacker_on_b] {
        assert_eq!(
            node.login("lock_owner", PASSWORD).status,
            429,
            "locked out after failures on both nodes"
        );
    }
    assert_eq!(
        b.client("198.51.100.67")
            .login("lock_owner", PASSWORD)
            .status,
        303,
        "the owner from elsewhere still gets in"
    );

    // A job held by someone else is run by neither node until its lease ends.
    let owner = signpost::db::models::users::find_by_key(&mut conn, "lock_owner")
        .expect("query")
        .expect("user");
    let now = signpost::db::unix_now();
    sessions::create(
        &mut conn,
        &sessions::NewSession {
            token_hash: "expired-session-for-the-lease-test",
            user_id: owner.id,
            csrf_token: "unused",
            created_at: now - 90 * 24 * 3600,
            last_seen_at: now - 90 * 24 * 3600,
            expires_at: now - 1,
        },
    )
    .expect("expired session");
    let before = sessions::count_for_user(&mut conn, owner.id).expect("count");
    let lease = 5;
    let claimed_at = Instant::now();
    let held = conn
        .immediate_transaction(|conn| {
            let now = signpost::db::unix_now();
            diesel::update(
                jobs_table::table.filter(jobs_table::unique_key.eq(CLEAN_SESSIONS.unique_key())),
            )
            .set(jobs_table::run_at.eq(now))
            .execute(conn)?;
            signpost::jobs::claim(conn, &[CLEAN_SESSIONS.kind], "test-node", lease, now)
        })
        .expect("claim")
        .expect("due");
    // Both workers poll every second: past two polls, neither ran it.
    std::thread::sleep(Duration::from_millis(2200));
    if claimed_at.elapsed() < Duration::from_secs(lease as u64 - 1) {
        assert_eq!(
            sessions::count_for_user(&mut conn, owner.id).expect("count"),
            before,
            "no node ran the job while it was held"
        );
        let row = job_rows::periodic(&mut conn, &CLEAN_SESSIONS.unique_key())
            .expect("row")
            .expect("scheduled");
        assert_eq!(row.claimed_by.as_deref(), Some("test-node"));
    } else {
        eprintln!("machine too slow to observe the held lease; checking the takeover only");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let row = loop {
        let row = job_rows::periodic(&mut conn, &CLEAN_SESSIONS.unique_key())
            .expect("row")
            .expect("scheduled");
        if row.runs == 2 {
            break row;
        }
        assert!(
            Instant::now() < deadline,
            "the job was not taken over: {row:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let by = row.last_run_by.clone().unwrap_or_default();
    assert!(by == name_a || by == name_b, "taken over by {by}");
    assert_eq!(
        sessions::count_for_user(&mut conn, owner.id).expect("count"),
        before - 1,
        "the node that took over deleted the expired session"
    );
    assert!(
        !signpost::jobs::complete(
            &mut conn,
            &held,
            "test-node",
            Some(CLEAN_SESSIONS.every_secs),
            signpost::db::unix_now()
        )
        .expect("complete"),
        "the late holder cannot finish it"
    );

    // Node a dies in the middle of a stream of posts; b has every one.
    let csrf = staff.csrf("/questions/ask");
    let stream = PostStream::start(&staff, &csrf, 2, "nodecrash");
    stream.wait_for(30);
    a.server.kill();
    let acknowledged = stream.stop();
    assert!(acknowledged.len() >= 30, "posted {}", acknowledged.len());
    assert_stored(&database, "nodecrash", &acknowledged);
    for (i, _) in &acknowledged {
        let marker = PostStream::marker("nodecrash", *i);
        assert!(reader_b.findable(&marker), "{marker} not found on node b");
    }

    // Node b keeps taking posts; node a comes back and catches up from the
    // outbox, its own last posts and b's included.
    let after = on_b
        .request(
            "POST",
            "/questions/ask",
            Some(&[
                ("csrf", csrf.as_str()),
                (
                    "title",
                    "Printer pairs again after the outage nodemarkomega",
                ),
                ("body", "Posted through node b while node a was down."),
                ("tags", "printer"),
                ("action", "post"),
            ]),
        )
        .expect("post on b");
    assert_eq!(after.status, 303, "{}", after.body);
    a.restart(dir.path());
    let reader_a = a.client("198.51.100.12");
    reader_a.wait_healthy();
    assert!(reader_a.findable("nodemarkomega"), "a caught up with b");
    let (last, _) = acknowledged.last().expect("one post");
    assert!(reader_a.findable(&PostStream::marker("nodecrash", *last)));
    drop(b);
}
