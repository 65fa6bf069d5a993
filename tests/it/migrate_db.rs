//! `signpost migrate-db`: a seeded SQLite site copied to PostgreSQL (when a
//! test cluster is configured) and to another SQLite file, with exact counts
//! per table, the question page served from the copy, fresh ids after the
//! copy, refusal of a non-empty target and bad input.
//!
//! These tests pick their backends themselves, so the PostgreSQL re-run of
//! the suite skips them.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use signpost::config::{Database, PoolSettings};
use signpost::db::{catalog, copy, Conn};

use crate::backend::{self, TestDatabase};
use crate::fixtures::{article, Question};
use crate::harness::TestApp;

/// A site with a bit of everything: users, questions, answers, comments,
/// votes, an accepted answer, an edit (revisions), a flag, an article with
/// feedback, searches (search log) and notifications.
async fn seeded_site() -> (TestApp, Question) {
    let app = TestApp::guide()
        .article(
            "guide/reset",
            &article(
                "Reset the router",
                1,
                "Hold the reset button for ten seconds.",
            ),
        )
        .start();
    app.wait_indexed();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.staff("cat").await;
    let q = ann
        .asks(
            "Printer drops off the Wi-Fi every night",
            "Since the update the printer loses its connection at night. It's odd.",
            "printer, wifi",
        )
        .await;
    let a = bob
        .answers(&q, "Turn off the power saving mode of the printer.")
        .await;
    cat.answers(&q, "Also give it a fixed address in the router.")
        .await;
    let commented = ann
        .submit(
            &q.path,
            &format!("/answers/{}/comments", a.id),
            &[("body", "@bob which menu is power saving in?")],
        )
        .await;
    assert_eq!(commented.status, 303, "{}", commented.body);
    assert_eq!(ann.accepts(&a).await.status, 303);
    assert_eq!(cat.votes(&a, "up").await.status, 303);
    assert_eq!(bob.votes(&q, "up").await.status, 303);
    let edited = ann
        .edits(
            &q,
            &[
                ("title", "Printer drops off the Wi-Fi every night"),
                (
                    "body",
                    "Since the update the printer loses its connection at night, \"every\" night.",
                ),
                ("tags", "printer, wifi"),
                ("note", "clearer"),
            ],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let other = bob
        .asks(
            "Scanner makes a grinding noise",
            "The scanner grinds when it starts a scan.",
            "scanner",
        )
        .await;
    assert_eq!(ann.flags(&other, "spam").await.status, 303);
    let page = app.get("/docs/guide/reset").await;
    let target = field(&page.body, "target");
    let reader = app.client();
    let token = reader.csrf("/docs/guide/reset").await;
    let voted = reader
        .post(
            "/feedback",
            &[
                ("csrf", &token),
                ("kind", "article"),
                ("target", &target),
                ("helpful", "yes"),
                ("back", "/docs/guide/reset"),
            ],
        )
        .await;
    assert_eq!(voted.status, 303);
    // A guest's half-typed answer, kept while they go to sign in.
    let guest_token = reader.csrf(&q.path).await;
    let kept = reader
        .post(
            &format!("/questions/{}/answers", q.id.0),
            &[
                ("csrf", &guest_token),
                ("body", "Half-typed: try a fixed channel"),
            ],
        )
        .await;
    assert_eq!(kept.status, 303);
    assert_eq!(app.get("/search?q=printer+wifi").await.status, 200);
    assert_eq!(app.get("/search?q=router+reset").await.status, 200);
    app.wait_indexed();
    bulk_rows(&app.config.database());
    let url = q.path.clone();
    (app, Question::at(&url))
}

/// Rows the forms do not make: an import map spanning several batches with
/// a three-column text key (mixed case, accents), and files (blobs, each a
/// different length, over several of their smaller batches).
fn bulk_rows(database: &Database) {
    let pool = signpost::db::open(database, PoolSettings::sized(1)).expect("open");
    let mut conn = pool.get().expect("conn");
    conn.batch_execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4500) \
         INSERT INTO import_map (source, kind, source_id, local_id) \
         SELECT CASE i % 3 WHEN 0 THEN 'Zeta' WHEN 1 THEN 'alpha' ELSE 'élan' END, \
                CASE i % 2 WHEN 0 THEN 'user' ELSE 'Post' END, i * 7919 % 100003, i FROM n;",
    )
    .expect("import map");
    for i in 0..20 {
        conn.batch_execute(&format!(
            "INSERT INTO assets (sha256, fingerprint, name, content_type, size, bytes, source, created_at) \
             VALUES ('sha{i}', 'fp{i}', 'file {i}.bin', 'application/octet-stream', {i}, \
                     substr(X'00FF10C3A9275C0A2200FF10C3A9275C0A22', 1, {i}), 'test', 1700000000)"
        ))
        .expect("asset");
    }
    // E-mail: a confirmed address on the daily digest with a notification
    // waiting for it, an unconfirmed one, and a pending confirmation link.
    conn.batch_execute(
        "INSERT INTO user_mail (user_id, address, address_key, verified_at, delivery, updated_at) \
         SELECT id, 'Ann@Example.com', 'ann@example.com', 1700000000, 'daily', 1700000000 \
         FROM users WHERE username_key = 'ann'; \
         INSERT INTO user_mail (user_id, address, address_key, updated_at) \
         SELECT id, 'bob@example.com', 'bob@example.com', 1700000000 \
         FROM users WHERE username_key = 'bob'; \
         INSERT INTO mail_digest_items (notification_id, user_id, created_at) \
         SELECT id, user_id, created_at FROM notifications WHERE id = (SELECT min(id) FROM notifications); \
         INSERT INTO mail_tokens (token_hash, user_id, purpose, address, created_at, expires_at) \
         SELECT 'hash-of-a-link', id, 'verify', 'bob@example.com', 1700000000, 4000000000 \
         FROM users WHERE username_key = 'bob';",
    )
    .expect("mail rows");
}

/// The value of the hidden field `name`.
fn field(body: &str, name: &str) -> String {
    crate::fixtures::field_value(body, name).unwrap_or_else(|| panic!("no field {name}"))
}

fn migrate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_signpost"))
        .arg("migrate-db")
        .args(args)
        .current_dir(dir)
        .env_remove("SIGNPOST_DATABASE_URL")
        .output()
        .expect("run migrate-db")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Rows per table of a database.
fn counts(database: &Database) -> BTreeMap<String, i64> {
    let pool = signpost::db::open(database, PoolSettings::sized(1)).expect("open");
    let mut conn = pool.get().expect("conn");
    let schema = catalog::describe(&mut conn).expect("schema");
    schema
        .tables
        .keys()
        .map(|table| {
            let sql = format!("SELECT COUNT(*) AS n FROM {table}");
            let rows: Vec<Count> = match &mut *conn {
                Conn::Sqlite(c) => diesel::sql_query(sql).load(c),
                Conn::Postgres(c) => diesel::sql_query(sql).load(c),
            }
            .expect("count");
            (table.clone(), rows[0].n)
        })
        .collect()
}

/// A page with its form tokens blanked, to compare two sites' pages.
fn without_tokens(body: &str) -> String {
    let mut page = body.to_string();
    for field in ["csrf", "submit_key"] {
        let marker = format!("name=\"{field}\" value=\"");
        let mut out = String::new();
        let mut rest = page.as_str();
        while let Some(at) = rest.find(&marker) {
            let start = at + marker.len();
            out.push_str(&rest[..start]);
            rest = &rest[start..];
            rest = &rest[rest.find('"').unwrap_or(0)..];
        }
        out.push_str(rest);
        page = out;
    }
    page
}

/// Copies a seeded site into `target`, then checks counts, the served
/// question page and fresh ids on the copy.
async fn copies_a_site_to(target: Database) {
    let (source_app, q) = seeded_site().await;
    let source = source_app.config.database();
    // The newest outbox entries were pruned (applied by every node): the
    // copy's next entry must still come after the prune mark.
    {
        let pool = source_app.started().state.db.clone();
        let mut conn = pool.get().expect("conn");
        conn.batch_execute(
            "INSERT INTO search_outbox (doc_kind, doc_id, created_at) \
             SELECT doc_kind, doc_id, created_at FROM search_outbox ORDER BY id DESC LIMIT 3; \
             UPDATE search_outbox_state SET pruned_through = (SELECT MAX(id) FROM search_outbox); \
             DELETE FROM search_outbox WHERE id > (SELECT MAX(id) - 3 FROM search_outbox);",
        )
        .expect("prune the newest entries");
    }
    let dir = tempfile::tempdir().expect("dir");
    // The source site keeps serving while it is copied.
    let out = migrate(
        dir.path(),
        &[
            "--from",
            &format!("sqlite://{}", source.url()),
            "--to",
            &target.url(),
        ],
    );
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains("verified: every table has the same rows and checksum"),
        "{output}"
    );
    assert!(!output.contains("MISMATCH"), "{output}");
    if let Database::Postgres(url) = &target {
        let password = url::Url::parse(url)
            .ok()
            .and_then(|u| u.password().map(str::to_string))
            .unwrap_or_default();
        assert!(
            password.is_empty() || !output.contains(&password),
            "{output}"
        );
    }

    let before = counts(&source);
    let after = counts(&target);
    for table in copy::COPIED {
        assert_eq!(after[*table], before[*table], "rows of {table}\n{output}");
        let line = output
            .lines()
            .find(|l| l.split_whitespace().next() == Some(*table))
            .unwrap_or_else(|| panic!("{table} not reported\n{output}"));
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[1], before[*table].to_string(), "{line}");
        assert_eq!(cells[2], before[*table].to_string(), "{line}");
        assert_eq!(cells[4], "ok", "{line}");
    }
    for table in [
        "users",
        "questions",
        "answers",
        "comments",
        "votes",
        "revisions",
        "articles",
        "manuals",
        "feedback",
        "flags",
        "tags",
        "question_tags",
        "notifications",
        "search_log",
        "search_outbox",
        "import_map",
        "assets",
        "drafts",
        "follows",
        "user_mail",
        "mail_digest_items",
        "site_secrets",
    ] {
        assert!(before[table] > 0, "the seed has no {table}");
    }
    assert!(before["sessions"] > 0);
    assert_eq!(after["sessions"], 0, "sessions are not copied");
    assert!(before["mail_tokens"] > 0);
    assert_eq!(after["mail_tokens"], 0, "mailed links are not copied");

    // The copy serves the same question page.
    let source_page = source_app.get(&q.path).await;
    assert_eq!(source_page.status, 200);
    let mut target_app = TestApp::guide()
        .article(
            "guide/reset",
            &article(
                "Reset the router",
                1,
                "Hold the reset button for ten seconds.",
            ),
        )
        .configure({
            let url = target.url();
            move |config| config.database_url = url
        })
        .start();
    target_app.wait_indexed();
    let target_page = target_app.get(&q.path).await;
    assert_eq!(target_page.status, 200, "{}", target_page.body);
    assert_eq!(
        without_tokens(&target_page.body),
        without_tokens(&source_page.body)
    );
    target_page.assert_contains("Turn off the power saving mode of the printer.");

    // New rows on the copy get fresh ids.
    let largest = before["questions"];
    let dan = target_app.member("dan").await;
    let fresh = dan
        .asks(
            "Router reboots when the NAS backs up",
            "Every night the router restarts during the NAS backup.",
            "router",
        )
        .await;
    assert_eq!(fresh.id.0 as i64, largest + 1, "{}", fresh.path);
    let found = target_app.get(&fresh.path).await;
    found.assert_contains("Router reboots when the NAS backs up");
    // Its outbox entry comes after the prune mark, so the index applies it.
    target_app.wait_indexed();
    let results = target_app.get("/search?q=NAS+backup+reboots").await;
    results.assert_contains("router-reboots-when-the-nas-backs-up");
    target_app.stop();
}

#[actix_web::test]
async fn a_sqlite_site_moves_to_postgres() {
    if backend::on_postgres() {
        return;
    }
    if backend::cluster_or_skip("migrate_db::a_sqlite_site_moves_to_postgres").is_none() {
        return;
    }
    let target = TestDatabase::create();
    let postgres = Database::Postgres(target.url.clone());
    copies_a_site_to(postgres.clone()).await;

    // And back: the PostgreSQL site (with the question posted there) into a
    // new SQLite file, verified the same way.
    let dir = tempfile::tempdir().expect("dir");
    let back = dir.path().join("back.db");
    let out = migrate(
        dir.path(),
        &["--from", &target.url, "--to", &back.to_string_lossy()],
    );
    let output = text(&out);
    assert!(out.status.success(), "{output}");
    assert!(!output.contains("MISMATCH"), "{output}");
    let (there, here) = (counts(&postgres), counts(&Database::Sqlite(back)));
    for table in copy::COPIED {
        assert_eq!(here[*table], there[*table], "rows of {table}\n{output}");
    }
}

#[actix_web::test]
async fn a_sqlite_site_moves_to_another_sqlite_file() {
    if backend::on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    copies_a_site_to(Database::Sqlite(
        dir.path().join("copy").join("signpost.db"),
    ))
    .await;
}

/// The contents of the source's database file and its write-ahead log, to
/// check nothing was written to them. A reader of a WAL database may create
/// an empty `-wal` file (SQLite's own doing), so a missing log reads as empty.
fn fingerprint(db: &Path) -> (Vec<u8>, Vec<u8>) {
    let wal = std::fs::read(format!("{}-wal", db.display())).unwrap_or_default();
    (std::fs::read(db).expect("source file"), wal)
}

#[actix_web::test]
async fn a_non_empty_target_is_refused_unless_overwritten() {
    if backend::on_postgres() {
        return;
    }
    let (mut app, _) = seeded_site().await;
    app.stop();
    let source = app.config.database();
    let dir = tempfile::tempdir().expect("dir");
    let target = dir.path().join("target.db");
    let target_arg = target.to_string_lossy().into_owned();
    let first = migrate(dir.path(), &["--from", &source.url(), "--to", &target_arg]);
    assert!(first.status.success(), "{}", text(&first));
    let copied = counts(&Database::Sqlite(target.clone()));

    // Something is added to the copy; a second copy must not wipe it silently.
    let pool = signpost::db::open(&Database::Sqlite(target.clone()), PoolSettings::sized(1))
        .expect("open");
    pool.get()
        .expect("conn")
        .batch_execute("INSERT INTO tags (name, question_count) VALUES ('extra', 0)")
        .expect("insert");
    drop(pool);
    let again = migrate(dir.path(), &["--from", &source.url(), "--to", &target_arg]);
    let message = text(&again);
    assert!(!again.status.success(), "{message}");
    assert!(message.contains("already holds data"), "{message}");
    assert!(message.contains("--overwrite-target"), "{message}");
    assert_eq!(
        counts(&Database::Sqlite(target.clone()))["tags"],
        copied["tags"] + 1,
        "a refused copy changes nothing"
    );

    let forced = migrate(
        dir.path(),
        &[
            "--from",
            &source.url(),
            "--to",
            &target_arg,
            "--overwrite-target",
        ],
    );
    let message = text(&forced);
    assert!(forced.status.success(), "{message}");
    assert!(message.contains("deleted"), "{message}");
    assert_eq!(counts(&Database::Sqlite(target)), copied);
}

#[actix_web::test]
async fn bad_input_is_refused_and_the_source_is_left_alone() {
    if backend::on_postgres() {
        return;
    }
    let (mut app, _) = seeded_site().await;
    app.stop();
    let source = app.config.database();
    let Database::Sqlite(source_path) = &source else {
        unreachable!("the seed is SQLite")
    };
    let before = fingerprint(source_path);
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let unreachable = format!("postgres://site:Sup3rSecret@127.0.0.1:{port}/signpost");
    let missing = dir.path().join("missing.db");
    let not_a_database = dir.path().join("notes.db");
    std::fs::write(&not_a_database, "shopping list\n").expect("write");
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").expect("write");
    let untouched = dir.path().join("untouched.db");
    let untouched_arg = untouched.to_string_lossy().into_owned();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--from".into(),
                missing.to_string_lossy().into(),
                "--to".into(),
                dir.path().join("t1.db").to_string_lossy().into(),
            ],
            "does not exist",
        ),
        (
            vec![
                "--from".into(),
                source.url(),
                "--to".into(),
                format!("sqlite://{}", source.url()),
            ],
            "the source and the target are the same database",
        ),
        (
            vec![
                "--from".into(),
                source.url(),
                "--to".into(),
                "mysql://site:Sup3rSecret@db/signpost".into(),
            ],
            "unknown database scheme",
        ),
        (
            vec![
                "--from".into(),
                source.url(),
                "--to".into(),
                unreachable.clone(),
            ],
            "cannot connect to the database at postgres://site:***@127.0.0.1",
        ),
        (
            vec![
                "--from".into(),
                unreachable.clone(),
                "--to".into(),
                dir.path().join("t2.db").to_string_lossy().into(),
            ],
            "cannot connect to the database at postgres://site:***@127.0.0.1",
        ),
        (
            vec![
                "--from".into(),
                not_a_database.to_string_lossy().into(),
                "--to".into(),
                untouched_arg.clone(),
            ],
            "file is not a database",
        ),
        (
            vec![
                "--from".into(),
                empty.to_string_lossy().into(),
                "--to".into(),
                untouched_arg.clone(),
            ],
            "holds no Signpost site",
        ),
        (
            vec![
                "--from".into(),
                dir.path().to_string_lossy().into(),
                "--to".into(),
                untouched_arg.clone(),
            ],
            "is not a file",
        ),
        (
            vec!["--from".into(), "".into(), "--to".into(), "x.db".into()],
            "--from needs a database",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = migrate(dir.path(), &args);
        let message = text(&out);
        assert!(!out.status.success(), "{args:?}: {message}");
        assert!(message.contains(expected), "{args:?}: {message}");
        assert!(!message.contains("Sup3rSecret"), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{args:?}: {message}");
    }
    assert!(!missing.exists(), "a missing source is not created");
    assert!(!untouched.exists(), "a bad source leaves the target alone");
    assert!(
        fingerprint(source_path) == before,
        "the source's files were written to"
    );
}
