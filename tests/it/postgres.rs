//! PostgreSQL: the whole suite again on it, the schemas of both backends
//! compared, and what happens when the database is down or goes away.
//!
//! These tests need a cluster named by `SIGNPOST_TEST_DATABASE`
//! (`.ci/postgres start DIR` makes a throwaway one); without it they print a
//! skip, or fail in CI (`CI` or `SIGNPOST_REQUIRE_POSTGRES=1`).

use std::process::Command;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use signpost::config::{Database, PoolSettings};
use signpost::db::catalog;

use crate::backend::{self, TestDatabase};
use crate::harness::{result_urls, signpost_command, TestApp};

/// Runs this test binary again with `SIGNPOST_TEST_BACKEND=postgres`: every
/// other test, on a fresh PostgreSQL database each. Its failures are listed
/// in this test's output.
#[test]
fn whole_suite_on_postgres() {
    if backend::on_postgres() {
        return;
    }
    let Some(cluster) = backend::cluster_or_skip("postgres::whole_suite_on_postgres") else {
        return;
    };
    drop(backend::admin(&cluster));
    let exe = std::env::current_exe().expect("test binary path");
    // The same thread count as this run; every test but this module's.
    let args: Vec<String> = std::env::args().collect();
    let threads: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            a.starts_with("--test-threads") || (*i > 0 && args[i - 1] == "--test-threads")
        })
        .map(|(_, a)| a)
        .collect();
    let child = Command::new(exe)
        .env(backend::BACKEND_ENV, "postgres")
        .args(threads)
        .args(["--skip", "postgres::"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the suite on PostgreSQL");
    let prefix = backend::database_prefix(child.id());
    let out = child.wait_with_output().expect("suite output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let left = backend::drop_databases(&cluster, &prefix);
    let summary = stdout
        .lines()
        .filter(|l| l.starts_with("test result:"))
        .collect::<Vec<_>>()
        .join("\n");
    println!("on PostgreSQL: {summary}");
    assert!(
        out.status.success(),
        "the suite failed on PostgreSQL:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        summary.contains(" passed;"),
        "no test ran on PostgreSQL:\n{stdout}"
    );
    assert_eq!(left, 0, "tests left {left} database(s) behind");
}

/// Both backends' migrations make the same tables, columns (type,
/// nullability, default), primary keys, indexes and foreign keys.
#[test]
fn both_backends_have_the_same_schema() {
    if backend::cluster_or_skip("postgres::both_backends_have_the_same_schema").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = signpost::db::open(
        &Database::Sqlite(dir.path().join("signpost.db")),
        PoolSettings::sized(1),
    )
    .expect("sqlite");
    let pg_db = TestDatabase::create();
    let postgres = signpost::db::open(
        &Database::Postgres(pg_db.url.clone()),
        PoolSettings::sized(1),
    )
    .expect("postgres");
    let lite = catalog::describe(&mut sqlite.get().expect("conn")).expect("sqlite schema");
    let pg = catalog::describe(&mut postgres.get().expect("conn")).expect("pg schema");
    assert!(lite.tables.len() >= 20, "{:?}", lite.tables.keys());
    let names = |s: &catalog::Schema| s.tables.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&lite), names(&pg), "tables differ");
    for (name, table) in &lite.tables {
        let other = &pg.tables[name];
        assert_eq!(table.columns, other.columns, "columns of {name}");
        assert_eq!(
            table.primary_key, other.primary_key,
            "primary key of {name}"
        );
        assert_eq!(table.indexes, other.indexes, "indexes of {name}");
        assert_eq!(
            table.foreign_keys, other.foreign_keys,
            "foreign keys of {name}"
        );
    }
    let indexes: usize = lite.tables.values().map(|t| t.indexes.len()).sum();
    assert!(indexes >= 25, "{indexes} indexes");
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// `serve` with a PostgreSQL that is not there stops at once with a message
/// naming the URL, password redacted.
#[test]
fn a_database_down_at_start_is_named_without_its_password() {
    let (dir, mut config) = TestApp::builder().prepare();
    let port = closed_port();
    config.database_url = format!("postgres://site:Tr0ub4dor@127.0.0.1:{port}/signpost");
    let started = Instant::now();
    let out = signpost_command(&config)
        .args(["serve"])
        .env("SIGNPOST_LISTEN", format!("127.0.0.1:{}", closed_port()))
        .env("SIGNPOST_DATABASE_TIMEOUT", "2")
        .current_dir(dir.path())
        .output()
        .expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot connect to the database at postgres://site:***@127.0.0.1:{port}/signpost"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("Tr0ub4dor"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

/// Takes the database away: no new connections, existing ones ended (what a
/// restart or failover looks like to the site). `back` undoes it.
fn take_away(db: &TestDatabase, back: bool) {
    let mut admin = backend::admin(db.cluster());
    let name = db.name();
    if back {
        admin
            .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            .expect("allow");
    } else {
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {name} ALLOW_CONNECTIONS false;
                 SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = '{name}' AND pid <> pg_backend_pid();"
            ))
            .expect("take away");
    }
}

/// While PostgreSQL is gone, pages answer 503 with a way forward and search
/// still answers from the local index; when it is back, the site recovers by
/// itself and what was acknowledged before is still there.
#[actix_web::test]
async fn a_lost_database_gives_503_keeps_search_and_recovers() {
    if backend::cluster_or_skip("postgres::a_lost_database_gives_503_keeps_search_and_recovers")
        .is_none()
    {
        return;
    }
    let db = TestDatabase::create();
    let url = db.url.clone();
    let app = TestApp::guide()
        .configure(move |c| {
            c.database_url = url;
            c.database_timeout = 2;
        })
        .start();
    let ann = app.member("ann").await;
    let question = ann
        .asks(
            "Printer shows paper jam error",
            "The tray is empty but it still says paper jam.",
            "printer",
        )
        .await;
    app.wait_indexed();

    take_away(&db, false);
    let page = app.get(&question.path).await;
    assert_eq!(page.status, 503, "{}", page.body);
    page.assert_contains("Search still works");
    page.assert_contains("name=\"q\"");
    assert_eq!(page.header("retry-after"), "30");
    let search = app.get("/search?q=paper+jam").await;
    assert_eq!(search.status, 200, "{}", search.body);
    // Unlogged (the search log is in the database), so linked directly.
    search.assert_contains(&format!("<h2><a href=\"{}\">", question.path));
    let health = app.get("/healthz").await;
    assert_eq!(health.status, 503, "{}", health.body);
    assert!(
        health.body.contains("\"database\":\"unavailable\""),
        "{}",
        health.body
    );
    let list = ann.get("/questions").await;
    assert_eq!(list.status, 503, "{}", list.body);

    take_away(&db, true);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut page = app.get(&question.path).await;
    while page.status != 200 && Instant::now() < deadline {
        tokio_sleep(Duration::from_millis(200)).await;
        page = app.get(&question.path).await;
    }
    assert_eq!(page.status, 200, "did not recover: {}", page.body);
    page.assert_contains("The tray is empty");
    let health = app.get("/healthz").await;
    assert_eq!(health.status, 200, "{}", health.body);
    let again = ann
        .asks(
            "Scanner light blinks orange",
            "After the update the scanner light blinks orange twice.",
            "scanner",
        )
        .await;
    app.wait_indexed();
    let search = app.get("/search?q=scanner+orange").await;
    assert_eq!(result_urls(&search.body), [again.path.as_str()]);
}

/// Sleeps without blocking the test's executor.
async fn tokio_sleep(duration: Duration) {
    actix_web::rt::time::sleep(duration).await;
}
