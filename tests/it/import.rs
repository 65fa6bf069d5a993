//! Importers and generated data: Stack Exchange dumps, markdown folders,
//! deterministic demo data.

use std::path::{Path, PathBuf};

use diesel::prelude::*;
use signpost::config::PoolSettings;
use signpost::db::models::{answers, questions, users};
use signpost::service::demo_data::{self, DemoOptions};
use signpost::service::{import_markdown, import_stackexchange};

use crate::harness::{run_cli, TestApp};

fn fixtures(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[actix_web::test]
async fn stackexchange_dump_imports_safely_and_idempotently() {
    let mut app = TestApp::builder().start();
    let report = {
        let mut conn = app.started().state.db.get().expect("db");
        import_stackexchange::import(&mut conn, &fixtures("stackexchange"), &|_, _, _| {})
            .expect("import")
    };
    assert_eq!(
        (report.users, report.questions, report.answers),
        (3, 2, 2),
        "{report:?}"
    );
    let skipped = report.skipped.join("\n");
    assert!(skipped.contains("Id=abc"), "{skipped}");
    assert!(
        skipped.contains("Id=6: a question without a Title"),
        "{skipped}"
    );
    assert!(
        skipped.contains("Id=7: an answer whose question"),
        "{skipped}"
    );
    assert!(
        skipped.contains("Users.xml row without a numeric Id"),
        "{skipped}"
    );

    let mut conn = app.started().state.db.get().expect("db");
    let list = questions::newest(&mut conn, 10).expect("list");
    let wifi = list
        .iter()
        .find(|q| q.title.starts_with("Wifi"))
        .expect("wifi question");
    assert_eq!(wifi.tags, "wifi,router");
    assert_eq!(wifi.score, 42);
    assert_eq!(wifi.answer_count, 2);
    assert_eq!(wifi.created_at, 1_280_343_861);
    let accepted = answers::find(&mut conn, wifi.accepted_answer_id.expect("accepted"))
        .expect("q")
        .expect("answer");
    assert!(accepted.body_text.contains("Update the router firmware"));
    assert!(
        !accepted.body_html.contains("javascript"),
        "{}",
        accepted.body_html
    );
    assert!(!wifi.body_html.contains("<script"), "{}", wifi.body_html);
    assert!(
        wifi.body_html
            .contains("<pre><code>ping 192.168.1.1\n\ntimeout</code></pre>"),
        "{}",
        wifi.body_html
    );
    let printer = list
        .iter()
        .find(|q| q.title.starts_with("Phantom"))
        .expect("printer question");
    assert_eq!(printer.tags, "printer,paper-jam");
    // Placeholder accounts cannot sign in; the unknown author became a ghost.
    let ada = users::find_by_key(&mut conn, "se-5")
        .expect("q")
        .expect("ada");
    assert!(ada.password_hash.is_none());
    assert_eq!(ada.display_name, "Ada <script>alert(1)</script>");
    let ghost = users::find(&mut conn, accepted.author_id)
        .expect("q")
        .expect("u");
    assert_eq!(ghost.username, "se-ghost");
    drop(conn);

    // The page renders, escaped and safe.
    app.wait_indexed();
    let page = app.client().get(&wifi.path()).await;
    assert_eq!(page.status, 200);
    page.assert_contains("<b>dropping</b>");
    page.assert_contains("Ada &lt;script&gt;alert(1)&lt;/script&gt;");
    assert!(!page.body.contains("<script>alert"));
    let search = app.client().get("/search?q=firmware&kind=question").await;
    assert!(crate::harness::result_urls(&search.body).contains(&wifi.path()));
    assert!(
        app.client()
            .login("se-5", "anything at all here")
            .await
            .status
            == 401
    );

    // A second run adds nothing.
    let again = {
        let mut conn = app.started().state.db.get().expect("db");
        import_stackexchange::import(&mut conn, &fixtures("stackexchange"), &|_, _, _| {})
            .expect("import")
    };
    assert_eq!((again.users, again.questions, again.answers), (0, 0, 0));
    assert!(again.already >= 7, "{again:?}");
    let mut conn = app.started().state.db.get().expect("db");
    assert_eq!(questions::newest(&mut conn, 10).expect("list").len(), 2);
    drop(conn);
    app.restart().expect("restart");
}

#[test]
fn broken_dump_files_give_clear_errors() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::copy(
        fixtures("stackexchange/Users.xml"),
        dir.path().join("Users.xml"),
    )
    .expect("copy");
    let (_data, config) = TestApp::builder().prepare();
    let pool = signpost::db::open(&config.database(), PoolSettings::sized(1)).expect("db");
    let mut conn = pool.get().expect("conn");
    let cases: [(&str, &str); 3] = [
        ("<posts>\n  <row Id=\"1\" PostTypeId=\"1\" Title=\"A title here\" Body=\"x\" />\n  <row Id=\"2\" PostTy", "ends early"),
        ("this is not xml at all", "not a Stack Exchange dump"),
        ("<posts><row Id=\"1\" Body=\"unterminated /></posts>", "Posts.xml"),
    ];
    for (posts, expected) in cases {
        std::fs::write(dir.path().join("Posts.xml"), posts).expect("write");
        let err = import_stackexchange::import(&mut conn, dir.path(), &|_, _, _| {})
            .expect_err("should fail");
        assert!(err.to_string().contains(expected), "{err}");
    }
    std::fs::remove_file(dir.path().join("Posts.xml")).expect("rm");
    let err = import_stackexchange::import(&mut conn, dir.path(), &|_, _, _| {})
        .expect_err("missing file");
    assert!(err.to_string().contains("Posts.xml is missing"), "{err}");
}

#[actix_web::test]
async fn markdown_folder_becomes_a_manual_once() {
    let app = TestApp::builder().start();
    let report = {
        let mut conn = app.started().state.db.get().expect("db");
        import_markdown::import(
            &mut conn,
            &fixtures("markdown"),
            "Quick Guide",
            signpost::db::unix_now(),
        )
        .expect("import")
    };
    assert_eq!((report.manual.as_str(), report.created), ("quick-guide", 2));
    app.wait_indexed();
    let page = app.client().get("/docs/quick-guide/first-steps").await;
    assert_eq!(page.status, 200);
    page.assert_contains("<strong>power cable</strong>");
    app.client()
        .get("/docs/quick-guide/advanced")
        .await
        .assert_contains("Open the admin panel.");
    let toc = app.client().get("/docs/quick-guide").await;
    assert!(
        toc.body.find("First steps").expect("first")
            < toc.body.find("Advanced settings").expect("second")
    );
    let again = {
        let mut conn = app.started().state.db.get().expect("db");
        import_markdown::import(
            &mut conn,
            &fixtures("markdown"),
            "Quick Guide",
            signpost::db::unix_now(),
        )
        .expect("import")
    };
    assert_eq!((again.created, again.skipped.len()), (0, 2));
}

/// A digest of everything generated, to compare runs.
fn digest(config: &signpost::config::Config) -> Vec<(String, String, i32)> {
    let pool = signpost::db::open(&config.database(), PoolSettings::sized(1)).expect("db");
    let mut conn = pool.get().expect("conn");
    use signpost::db::schema::questions::dsl as q;
    q::questions
        .order(q::id)
        .select((q::title, q::body_md, q::score))
        .load(&mut conn)
        .expect("rows")
}

#[test]
fn demo_data_is_deterministic() {
    let sites: Vec<_> = (0..3).map(|_| TestApp::builder().prepare()).collect();
    for ((_, config), seed) in sites.iter().zip([7, 7, 8]) {
        let pool = signpost::db::open(&config.database(), PoolSettings::sized(1)).expect("db");
        let mut conn = pool.get().expect("conn");
        let report = demo_data::generate(
            &mut conn,
            DemoOptions {
                questions: 300,
                answers_per_question: 2,
                seed,
                users: 20,
            },
            &|_, _| {},
        )
        .expect("generate");
        assert_eq!(
            (report.questions, report.answers, report.users),
            (300, 600, 20)
        );
        // Every fourth answered question has a clarifying exchange: the
        // answerer asks, the asker replies mentioning them (a link).
        use signpost::db::schema::comments as c;
        let stored: Vec<(String, String)> = c::table
            .order(c::id)
            .select((c::body_md, c::body_html))
            .load(&mut conn)
            .expect("comments");
        assert_eq!(stored.len(), report.comments);
        assert!(
            report.comments >= 2 && report.comments <= 2 * 75,
            "{}",
            report.comments
        );
        let (reply_md, reply_html) = &stored[1];
        assert!(reply_md.starts_with("@demo-"), "{reply_md}");
        assert!(
            reply_html.starts_with("<a href=\"/users/demo-"),
            "{reply_html}"
        );
        let again = demo_data::generate(
            &mut conn,
            DemoOptions {
                questions: 1,
                answers_per_question: 0,
                seed,
                users: 1,
            },
            &|_, _| {},
        );
        assert!(
            again.is_err(),
            "a second run on the same database is refused"
        );
    }
    let a = digest(&sites[0].1);
    let b = digest(&sites[1].1);
    let c = digest(&sites[2].1);
    assert_eq!(a, b, "same seed, same data");
    assert_ne!(a, c, "another seed, other data");
    let lengths: Vec<usize> = a
        .iter()
        .map(|(_, body, _)| body.split_whitespace().count())
        .collect();
    assert!(
        lengths.iter().min() < Some(&40) && lengths.iter().max() > Some(&120),
        "varied lengths"
    );
}

#[test]
fn import_and_demo_commands_report_and_index() {
    let (dir, config) = TestApp::builder().prepare();
    let run = |args: &[&str]| crate::harness::run_cli(dir.path(), &config, args);
    let out = run(&[
        "import",
        "stackexchange",
        fixtures("stackexchange").to_str().expect("path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("imported 3 users, 2 questions, 2 answers"),
        "{stdout}"
    );
    assert!(stdout.contains("search index rebuilt"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped: Posts.xml row Id=abc"));
    let out = run(&[
        "demo-data",
        "--questions",
        "50",
        "--answers-per-question",
        "1",
        "--users",
        "5",
    ]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("generated 5 users, 50 questions, 50 answers"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["import", "stackexchange", "/nonexistent"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Users.xml is missing"));
}

#[test]
fn oversized_and_hostile_rows_are_skipped_by_id_and_the_import_goes_on() {
    let (dir, config) = TestApp::builder().prepare();
    let dump = dir.path().join("dump");
    std::fs::create_dir_all(&dump).expect("dir");
    std::fs::copy(fixtures("stackexchange/Users.xml"), dump.join("Users.xml")).expect("copy");
    let row = |id: u32, kind: u32, extra: &str| {
        format!("  <row Id=\"{id}\" PostTypeId=\"{kind}\" CreationDate=\"2020-01-01T00:00:00.000\" {extra} />\n")
    };
    let huge_body = "&lt;p&gt;".to_string() + &"a".repeat(2 << 20) + "&lt;/p&gt;";
    let mut posts = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE posts [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<posts>\n",
    );
    posts += &row(1, 1, "Title=\"Router keeps rebooting\" Tags=\"&lt;router&gt;\" Body=\"&lt;p&gt;It reboots.&lt;/p&gt;\"");
    posts += &row(2, 1, &format!("Title=\"Huge\" Body=\"{huge_body}\""));
    posts += &row(3, 2, "ParentId=\"1\" Body=\"&lt;p&gt;&xxe;&lt;/p&gt;\"");
    posts += &row(
        4,
        2,
        "ParentId=\"1\" Body=\"&lt;p&gt;Replace the power supply.&lt;/p&gt;\"",
    );
    posts += &row(5, 1, &format!("Title=\"{}\" Body=\"x\"", "t".repeat(400)));
    posts += &row(
        6,
        1,
        "Title=\"Printer offline\" Body=\"&lt;p&gt;Offline again.&lt;/p&gt;\"",
    );
    posts += "</posts>\n";
    std::fs::write(dump.join("Posts.xml"), posts).expect("write");

    let out = run_cli(
        dir.path(),
        &config,
        &["import", "stackexchange", dump.to_str().expect("path")],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("imported 3 users, 2 questions, 1 answers"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("skipped: Posts.xml row Id=2: Body is larger than 256 KiB"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped: Posts.xml row Id=3: bad value of Body") && stderr.contains("xxe"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped: Posts.xml row Id=5: Title is larger than 300 characters"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("root:"),
        "no external entity is read: {stderr}"
    );

    let pool = signpost::db::open(&config.database(), PoolSettings::sized(1)).expect("db");
    let mut conn = pool.get().expect("conn");
    let list = questions::newest(&mut conn, 10).expect("list");
    let titles: Vec<&str> = list.iter().map(|q| q.title.as_str()).collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(titles.contains(&"Router keeps rebooting") && titles.contains(&"Printer offline"));
}

/// A dump of several write batches, read, sanitized and written on
/// different threads: every answer finds its question from an earlier
/// batch, accepted answers and counts match, and unreadable rows are
/// reported in file order.
#[actix_web::test]
async fn a_dump_of_many_batches_imports_in_file_order() {
    let app = TestApp::builder().start();
    let dump = tempfile::tempdir().expect("dir");
    std::fs::copy(
        fixtures("stackexchange/Users.xml"),
        dump.path().join("Users.xml"),
    )
    .expect("copy");
    const QUESTIONS: u32 = 2600;
    let mut posts = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<posts>\n");
    for q in 1..=QUESTIONS {
        let accepted = if q % 3 == 0 {
            format!(" AcceptedAnswerId=\"{}\"", 10_000 + q)
        } else {
            String::new()
        };
        posts += &format!(
            "  <row Id=\"{q}\" PostTypeId=\"1\"{accepted} OwnerUserId=\"9\" Title=\"Question number {q}\" Tags=\"&lt;t{}&gt;\" Body=\"&lt;p&gt;body of question {q}&lt;script&gt;alert({q})&lt;/script&gt;&lt;/p&gt;\" />\n",
            q % 7
        );
        if q % 1000 == 500 {
            posts += &format!(
                "  <row Id=\"{}\" PostTypeId=\"1\" Title=\"Broken\" Body=\"&amp;&unknown;\" />\n",
                90_000 + q
            );
        }
    }
    // Answers come after every question, so each lies in a later batch than
    // its question.
    for q in 1..=QUESTIONS {
        posts += &format!(
            "  <row Id=\"{}\" PostTypeId=\"2\" ParentId=\"{q}\" Body=\"&lt;p&gt;answer to question {q}&lt;/p&gt;\" />\n",
            10_000 + q
        );
    }
    posts += "</posts>\n";
    std::fs::write(dump.path().join("Posts.xml"), posts).expect("write");

    let mut conn = app.started().state.db.get().expect("db");
    let positions = std::cell::RefCell::new(Vec::new());
    let report = import_stackexchange::import(&mut conn, dump.path(), &|read, _, posts| {
        positions.borrow_mut().push((read, posts))
    })
    .expect("import");
    assert_eq!(
        (report.questions, report.answers),
        (QUESTIONS as usize, QUESTIONS as usize),
        "{report:?}"
    );
    let broken: Vec<&String> = report
        .skipped
        .iter()
        .filter(|s| s.contains("bad value of Body"))
        .collect();
    assert_eq!(broken.len(), 3, "{:?}", report.skipped);
    for (reason, q) in broken.iter().zip([500, 1500, 2500]) {
        assert!(
            reason.starts_with(&format!("Posts.xml row Id={}:", 90_000 + q)),
            "{reason}"
        );
    }
    // Progress is reported batch by batch, moving forward.
    let positions = positions.into_inner();
    assert!(positions.len() >= 3, "{positions:?}");
    assert!(positions.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
    assert_eq!(
        positions.last().map(|p| p.1),
        Some(2 * u64::from(QUESTIONS))
    );

    use signpost::db::schema::{answers as a, questions as q};
    let questions: Vec<(i32, String, String, i32, Option<i32>)> = q::table
        .select((
            q::id,
            q::title,
            q::body_html,
            q::answer_count,
            q::accepted_answer_id,
        ))
        .load(&mut conn)
        .expect("questions");
    let answer_text: std::collections::HashMap<i32, (i32, String)> = a::table
        .select((a::id, a::question_id, a::body_text))
        .load::<(i32, i32, String)>(&mut conn)
        .expect("answers")
        .into_iter()
        .map(|(id, question, text)| (id, (question, text)))
        .collect();
    assert_eq!(questions.len(), QUESTIONS as usize);
    let numbers: std::collections::HashMap<i32, u32> = questions
        .iter()
        .map(|(id, title, ..)| {
            let n = title
                .strip_prefix("Question number ")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("title {title}"));
            (*id, n)
        })
        .collect();
    // Each answer hangs under the question it answers.
    for (question, text) in answer_text.values() {
        assert_eq!(
            text,
            &format!("answer to question {}", numbers[question]),
            "answer under question {}",
            numbers[question]
        );
    }
    for (id, _, html, answer_count, accepted) in &questions {
        let n = numbers[id];
        assert_eq!(
            html,
            &format!("<p>body of question {n}</p>"),
            "sanitized body of {n}"
        );
        assert_eq!(*answer_count, 1, "answers of {n}");
        match accepted {
            Some(answer) => {
                assert_eq!(n % 3, 0, "question {n} has no accepted answer in the dump");
                let (_, text) = &answer_text[answer];
                assert_eq!(text, &format!("answer to question {n}"));
            }
            None => assert_ne!(n % 3, 0, "question {n} lost its accepted answer"),
        }
    }
}

/// Names of the indexes of the post tables, as the catalog reads them.
fn post_indexes(conn: &mut signpost::db::Conn) -> Vec<String> {
    let schema = signpost::db::catalog::describe(conn).expect("catalog");
    ["questions", "answers", "question_tags"]
        .iter()
        .flat_map(|t| schema.tables[*t].indexes.iter())
        .map(|i| format!("{:?} {:?}", i.name, i.columns))
        .collect()
}

/// A dump of `questions` questions with one answer each (answers right
/// after their question), cut off mid-row when `truncated`.
fn numbered_dump(dir: &Path, questions: u32, truncated: bool) {
    std::fs::copy(fixtures("stackexchange/Users.xml"), dir.join("Users.xml")).expect("copy");
    let mut posts = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<posts>\n");
    for q in 1..=questions {
        posts += &format!(
            "  <row Id=\"{q}\" PostTypeId=\"1\" AcceptedAnswerId=\"{}\" OwnerUserId=\"9\" Title=\"Question number {q}\" Tags=\"&lt;t{}&gt;\" Body=\"&lt;p&gt;body {q}&lt;/p&gt;\" />\n  <row Id=\"{}\" PostTypeId=\"2\" ParentId=\"{q}\" Body=\"&lt;p&gt;answer {q}&lt;/p&gt;\" />\n",
            100_000 + q,
            q % 5,
            100_000 + q
        );
    }
    if truncated {
        posts += "  <row Id=\"999999\" PostTy";
    } else {
        posts += "</posts>\n";
    }
    std::fs::write(dir.join("Posts.xml"), posts).expect("write");
}

/// An import that drops the post tables' indexes and then fails midway
/// builds them again: the site keeps every index, shows what was committed,
/// and a second run finishes the job with the counts right. An import
/// killed while they were dropped is healed by the next one.
#[actix_web::test]
async fn a_failed_import_without_indexes_leaves_them_rebuilt_and_the_site_usable() {
    use signpost::db::schema::{answers as a, questions as q};
    use signpost::service::import_stackexchange::Indexes;
    let app = TestApp::builder().start();
    let dump = tempfile::tempdir().expect("dir");
    let mut conn = app.started().state.db.get().expect("db");
    let before = post_indexes(&mut conn);
    assert!(before.len() >= 10, "{before:?}");

    // 2,100 questions and their answers: two full batches are written, then
    // the file ends early.
    numbered_dump(dump.path(), 2100, true);
    let err =
        import_stackexchange::import_using(&mut conn, dump.path(), Indexes::Drop, &|_, _, _| {})
            .expect_err("the file ends early");
    assert!(err.to_string().contains("ends early"), "{err}");
    assert_eq!(post_indexes(&mut conn), before);
    let written: i64 = q::table.count().get_result(&mut conn).expect("count");
    assert!(
        (1..2100).contains(&written),
        "{written} questions written before the error"
    );
    let answered: i64 = a::table.count().get_result(&mut conn).expect("count");
    drop(conn);
    let page = app.client().get("/questions").await;
    assert_eq!(page.status, 200);
    page.assert_contains("Question number ");

    // The whole dump: the rest comes in, nothing twice, counts settled.
    numbered_dump(dump.path(), 2100, false);
    let mut conn = app.started().state.db.get().expect("db");
    let report =
        import_stackexchange::import_using(&mut conn, dump.path(), Indexes::Drop, &|_, _, _| {})
            .expect("import");
    assert_eq!(post_indexes(&mut conn), before);
    assert_eq!(
        (report.questions as i64, report.answers as i64),
        (2100 - written, 2100 - answered),
        "{report:?}"
    );
    let totals: (i64, i64) = (
        q::table.count().get_result(&mut conn).expect("count"),
        a::table.count().get_result(&mut conn).expect("count"),
    );
    assert_eq!(totals, (2100, 2100));
    let unsettled: i64 = q::table
        .filter(q::answer_count.ne(1).or(q::accepted_answer_id.is_null()))
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(
        unsettled, 0,
        "every question has its answer counted and accepted"
    );

    // A killed import leaves its indexes dropped; the next import, however
    // small, builds them first.
    if let signpost::db::Conn::Sqlite(c) = &mut *conn {
        use diesel::connection::SimpleConnection;
        c.batch_execute("DROP INDEX questions_newest; DROP INDEX answers_question;")
            .expect("drop");
        assert_ne!(post_indexes(&mut conn), before);
    }
    import_stackexchange::import(&mut conn, &fixtures("stackexchange"), &|_, _, _| {})
        .expect("import");
    assert_eq!(post_indexes(&mut conn), before);
}

/// An import killed while its indexes were dropped leaves a site that the
/// next start heals, without waiting for another import.
#[actix_web::test]
async fn indexes_a_stopped_import_dropped_come_back_at_the_next_start() {
    let mut app = TestApp::builder().start();
    let before = {
        let mut conn = app.started().state.db.get().expect("db");
        let before = post_indexes(&mut conn);
        let signpost::db::Conn::Sqlite(c) = &mut *conn else {
            // PostgreSQL keeps its indexes through an import.
            return;
        };
        use diesel::connection::SimpleConnection;
        c.batch_execute("DROP INDEX questions_newest; DROP INDEX answers_question;")
            .expect("drop");
        assert_ne!(post_indexes(&mut conn), before);
        before
    };
    app.restart().expect("restart");
    let mut conn = app.started().state.db.get().expect("db");
    assert_eq!(post_indexes(&mut conn), before);
}
