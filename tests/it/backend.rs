//! Which database the tests run on. The suite runs on SQLite (a file in each
//! test's temp dir); with `SIGNPOST_TEST_BACKEND=postgres` (set by
//! `postgres::whole_suite_on_postgres`, which runs this binary again) every
//! test gets its own fresh PostgreSQL database instead, created on the cluster
//! named by `SIGNPOST_TEST_DATABASE` and dropped when the test ends.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::Connection;

/// The PostgreSQL cluster for tests: a URL whose role may create databases.
pub const TEST_DATABASE_ENV: &str = "SIGNPOST_TEST_DATABASE";
/// `postgres` runs every test on PostgreSQL.
pub const BACKEND_ENV: &str = "SIGNPOST_TEST_BACKEND";
/// Set (to anything but `0`) to make a missing PostgreSQL a failure; `CI` does the same.
pub const REQUIRE_ENV: &str = "SIGNPOST_REQUIRE_POSTGRES";

/// Whether this process runs the suite on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var(BACKEND_ENV).is_ok_and(|v| v == "postgres")
}

/// The cluster's URL, when one is configured.
pub fn cluster_url() -> Option<String> {
    std::env::var(TEST_DATABASE_ENV)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether a missing PostgreSQL fails the run (in CI) instead of skipping.
pub fn postgres_required() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0");
    set("CI") || set(REQUIRE_ENV)
}

/// The cluster URL for a PostgreSQL-only test; without one, prints a skip
/// (past the test harness's capture, so it shows) and returns `None`, or
/// fails when PostgreSQL is required.
pub fn cluster_or_skip(test: &str) -> Option<String> {
    if let Some(url) = cluster_url() {
        return Some(url);
    }
    assert!(
        !postgres_required(),
        "{test}: {TEST_DATABASE_ENV} is not set, and PostgreSQL is required here \
         (CI or {REQUIRE_ENV}); .ci/run starts a cluster and sets it"
    );
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: set {TEST_DATABASE_ENV}=postgres://USER:PASSWORD@HOST:PORT/postgres to run it"
    );
    None
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let mut parsed =
        url::Url::parse(url).unwrap_or_else(|e| panic!("{TEST_DATABASE_ENV} is not a URL ({e})"));
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// The prefix of every database this process creates; the parent run drops
/// whatever a crashed child left behind by it.
pub fn database_prefix(pid: u32) -> String {
    format!("signpost_t{pid}_")
}

/// A fresh database on the test cluster, dropped (with its connections) when
/// this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    cluster: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

impl TestDatabase {
    /// Creates a database with a new name on the cluster.
    pub fn create() -> TestDatabase {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let cluster = cluster_url().unwrap_or_else(|| {
            panic!("{BACKEND_ENV}=postgres needs {TEST_DATABASE_ENV}=postgres://…")
        });
        let name = format!(
            "{}{}",
            database_prefix(std::process::id()),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin(&cluster)
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        TestDatabase {
            url: with_database(&cluster, &name),
            cluster,
            name,
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cluster's URL (its maintenance database).
    pub fn cluster(&self) -> &str {
        &self.cluster
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.cluster) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A connection to the cluster's maintenance database.
pub fn admin(cluster: &str) -> PgConnection {
    PgConnection::establish(cluster)
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL ({TEST_DATABASE_ENV}): {e}"))
}

/// Drops every database whose name starts with `prefix`.
pub fn drop_databases(cluster: &str, prefix: &str) -> usize {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        datname: String,
    }
    let mut conn = admin(cluster);
    let names: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind::<Text, _>(prefix)
            .load(&mut conn)
            .unwrap_or_default();
    for name in &names {
        let _ = conn.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            name.datname
        ));
    }
    names.len()
}
