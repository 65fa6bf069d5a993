//! Troubleshooting trees through HTTP: walking, back-navigation, outcomes,
//! escalation pre-fill, tampered URLs and search landing on a step.

use signpost::content;
use signpost::db::models::trees;

use crate::fixtures::{article, choice, field_value, tree, PRINTER};
use crate::harness::TestApp;

fn app() -> TestApp {
    let app = TestApp::guide()
        .article(
            "guide/paper",
            &article("Loading paper", 1, "Fan the stack first."),
        )
        .tree("printer", PRINTER)
        .start();
    app.wait_indexed();
    app
}

fn links(body: &str, class: &str) -> Vec<(String, String)> {
    let marker = format!("class=\"{class}\" href=\"");
    body.match_indices(&marker)
        .filter_map(|(at, _)| {
            let rest = &body[at + marker.len()..];
            let end = rest.find('"')?;
            let label_start = rest.find('>')? + 1;
            let label_end = rest[label_start..].find('<')? + label_start;
            Some((
                rest[label_start..label_end].to_string(),
                rest[..end].replace("&amp;", "&"),
            ))
        })
        .collect()
}

fn hidden(body: &str, name: &str) -> String {
    field_value(body, name)
        .unwrap_or_else(|| panic!("no {name} field"))
        .replace("&amp;", "&")
}

#[actix_web::test]
async fn list_and_start() {
    let app = app();
    let page = app.get("/troubleshoot").await;
    assert_eq!(page.status, 200);
    page.assert_contains("Printer prints nothing");
    page.assert_contains("href=\"/troubleshoot/printer\"");
    let start = app.get("/troubleshoot/printer").await;
    assert_eq!(start.status, 200);
    start.assert_contains("Is the power light on?");
    start.assert_contains("<strong>front panel</strong>");
    start.assert_contains("Usually 2\u{2013}4 steps to go.");
    assert_eq!(links(&start.body, "choice").len(), 2);
    assert!(!start.body.contains("Your answers"));
    assert_eq!(app.get("/troubleshoot/no-such-tree").await.status, 404);
    app.get("/").await.assert_contains("Printer prints nothing");
}

#[actix_web::test]
async fn walk_to_a_fix_that_works_records_resolved() {
    let app = app();
    let client = app.client();
    let start = client.get("/troubleshoot/printer").await;
    let (_, no) = links(&start.body, "choice")
        .into_iter()
        .find(|(l, _)| l == "No")
        .expect("No option");
    assert_eq!(no, "/troubleshoot/printer?power=no");
    let fix = client.get(&no).await;
    fix.assert_contains("Reseat the power cable");
    fix.assert_contains("Did this solve it?");
    fix.assert_contains("<strong>No</strong>");
    let page = client
        .post(
            "/troubleshoot/printer/outcome",
            &[
                ("csrf", &hidden(&fix.body, "csrf")),
                ("outcome", "resolved"),
                ("answers", &hidden(&fix.body, "answers")),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    let thanks = client.get(page.header("location")).await;
    assert_eq!(thanks.status, 200);
    thanks.assert_contains("Glad that worked");
    thanks.assert_contains("<strong>Reseat the power cable</strong> solved it.");
    thanks.assert_contains("href=\"/docs/guide/paper\"");
    let mut conn = app.started().state.db.get().expect("db");
    let tree = trees::find_by_slug(&mut conn, "printer")
        .expect("q")
        .expect("tree");
    let stats = trees::stats(&mut conn, tree.id, signpost::db::unix_now()).expect("stats");
    assert_eq!((stats.starts, stats.resolved, stats.escalated), (1, 1, 0));
    drop(conn);
    app.get("/troubleshoot")
        .await
        .assert_contains("Solved 1 problem");
}

#[actix_web::test]
async fn dead_end_escalates_with_the_path_pre_filled() {
    let app = app();
    let client = app.client();
    let page = client.get("/troubleshoot/printer?power=yes&queue=no").await;
    page.assert_contains("We could not fix it here");
    page.assert_contains("<li>The power light is on</li>");
    page.assert_contains("<li>The queue is empty</li>");
    let post = client
        .post(
            "/troubleshoot/printer/outcome",
            &[
                ("csrf", &hidden(&page.body, "csrf")),
                ("outcome", "escalated"),
                ("answers", &hidden(&page.body, "answers")),
            ],
        )
        .await;
    assert_eq!(post.status, 303);
    let location = post.header("location");
    assert!(location.starts_with("/questions/ask?"), "{location}");
    let params: Vec<(String, String)> =
        form_urlencoded::parse(location.split_once('?').expect("query").1.as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        get("title"),
        "Printer prints nothing: the troubleshooter did not solve it"
    );
    let body = get("body");
    assert!(
        body.contains("troubleshooter \u{201c}Printer prints nothing\u{201d}"),
        "{body}"
    );
    assert!(
        body.contains("1. The power light is on\n2. The queue is empty\n"),
        "{body}"
    );
    assert_eq!(get("tags"), "printer");
    // Signed in, the ask form opens with all of it filled in.
    app.create_user("stuck_user", signpost::auth::Role::Member);
    let member = app.client();
    member
        .login("stuck_user", crate::harness::TEST_PASSWORD)
        .await;
    let form = member.get(location).await;
    assert_eq!(form.status, 200);
    form.assert_contains("value=\"Printer prints nothing: the troubleshooter did not solve it\"");
    form.assert_contains("1. The power light is on\n2. The queue is empty\n");
    form.assert_contains("name=\"tags\" value=\"printer\"");
    // A fix that did not help goes on to the dead end and says so in the report.
    let page = client
        .get("/troubleshoot/printer?power=yes&queue=yes&clear-queue=no")
        .await;
    page.assert_contains("<li>Tried \u{201c}Clear the queue\u{201d}: it did not help</li>");
    let mut conn = app.started().state.db.get().expect("db");
    let tree = trees::find_by_slug(&mut conn, "printer")
        .expect("q")
        .expect("tree");
    assert_eq!(
        trees::stats(&mut conn, tree.id, signpost::db::unix_now())
            .expect("s")
            .escalated,
        1
    );
}

#[actix_web::test]
async fn back_navigation_by_url_changes_an_earlier_answer() {
    let app = app();
    let page = app.get("/troubleshoot/printer?power=yes&queue=yes").await;
    page.assert_contains("Clear the queue");
    page.assert_contains("Start over");
    // Each earlier answer links to the state before it was given.
    page.assert_contains("<a href=\"/troubleshoot/printer\" aria-label=\"Change the answer to: Is the power light on?\">change</a>");
    page.assert_contains("<a href=\"/troubleshoot/printer?power=yes\" aria-label=\"Change the answer to: Is a job stuck in the queue?\">change</a>");
    let back = app.get("/troubleshoot/printer?power=yes").await;
    back.assert_contains("Is a job stuck in the queue?");
    // Choosing differently replaces the later answers.
    let other = app.get("/troubleshoot/printer?power=no").await;
    other.assert_contains("Reseat the power cable");
}

#[actix_web::test]
async fn tampered_urls_get_a_helpful_page() {
    let app = app();
    let huge = format!("power=yes&{}", "x=1&".repeat(15_000));
    let cases = [
        (
            "/troubleshoot/printer?ghost=yes",
            "Is the power light on?",
            true,
        ),
        (
            "/troubleshoot/printer?power=banana",
            "Is the power light on?",
            true,
        ),
        (
            "/troubleshoot/printer?power=no&power=yes",
            "Reseat the power cable",
            false,
        ),
        (
            "/troubleshoot/printer?power=yes&queue=yes&queue=no&clear-queue=maybe",
            "Clear the queue",
            true,
        ),
        (
            "/troubleshoot/printer?%FF%FE=%00",
            "Is the power light on?",
            true,
        ),
        (
            "/troubleshoot/printer?power",
            "Is the power light on?",
            true,
        ),
        (
            "/troubleshoot/printer?_solved=plug",
            "Is the power light on?",
            false,
        ),
    ];
    for (url, expect, notice) in cases {
        let page = app.get(url).await;
        assert_eq!(page.status, 200, "{url}");
        page.assert_contains(expect);
        assert_eq!(page.body.contains("no longer match"), notice, "{url}");
    }
    let page = app.get(&format!("/troubleshoot/printer?{huge}")).await;
    assert_eq!(page.status, 200);
    page.assert_contains("Is a job stuck in the queue?");
    page.assert_contains("no longer match");
    // Outcomes that do not fit the step are refused with a way back.
    let client = app.client();
    let token = client.csrf("/troubleshoot/printer?power=no").await;
    let page = client
        .post(
            "/troubleshoot/printer/outcome",
            &[
                ("csrf", &token),
                ("outcome", "resolved"),
                ("answers", "power=yes"),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    page.assert_contains("does not fit this step");
    let page = client
        .post(
            "/troubleshoot/printer/outcome",
            &[("outcome", "resolved"), ("answers", "power=no")],
        )
        .await;
    assert_eq!(page.status, 403, "CSRF still applies");
    let page = app.get("/troubleshoot/printer/solved?_solved=%FF").await;
    assert_eq!(page.status, 200);
}

#[actix_web::test]
async fn abandoned_walks_show_where_customers_stop() {
    let app = app();
    for path in ["/troubleshoot/printer", "/troubleshoot/printer?power=yes"] {
        app.client().get(path).await;
    }
    let mut conn = app.started().state.db.get().expect("db");
    let tree = trees::find_by_slug(&mut conn, "printer")
        .expect("q")
        .expect("tree");
    let later = signpost::db::unix_now() + trees::ABANDONED_AFTER_SECS + 60;
    let stats = trees::stats(&mut conn, tree.id, later).expect("stats");
    assert_eq!(stats.starts, 2);
    assert_eq!(stats.abandoned, 2);
    let (node, count) = stats.top_stop.expect("a stop node");
    assert_eq!(count, 1);
    assert!(node == "power" || node == "queue", "{node}");
    // The same browser walking on updates its one walk instead of starting another.
    let client = app.client();
    client.get("/troubleshoot/printer").await;
    client.get("/troubleshoot/printer?power=yes").await;
    client.get("/troubleshoot/printer?power=yes&queue=no").await;
    let stats = trees::stats(&mut conn, tree.id, later).expect("stats");
    assert_eq!(stats.starts, 3);
    let walks: Vec<String> = {
        use diesel::prelude::*;
        signpost::db::schema::tree_walks::table
            .select(signpost::db::schema::tree_walks::last_node)
            .load(&mut conn)
            .expect("walks")
    };
    assert!(walks.contains(&"ask".to_string()), "{walks:?}");
}

#[actix_web::test]
async fn search_lands_on_a_fix_node_with_its_path() {
    let app = app();
    let page = app.get("/search?q=zebracable").await;
    page.assert_contains("<span class=\"kind\">Troubleshooting step</span>");
    assert!(crate::harness::result_urls(&page.body)
        .contains(&"/troubleshoot/printer?power=no".to_string()));
    page.assert_contains("Troubleshooting \u{203a} Printer prints nothing");
    let landed = app.get("/troubleshoot/printer?power=no").await;
    landed.assert_contains("Reseat the power cable");
    let page = app.get("/search?q=queue&kind=step").await;
    assert!(crate::harness::result_urls(&page.body)
        .contains(&"/troubleshoot/printer?power=yes&queue=yes".to_string()));
    let page = app.get("/search?q=zebracable&kind=article").await;
    assert!(!page.body.contains("result-step"));
    page.assert_contains("Nothing matched");
}

#[actix_web::test]
async fn a_step_is_found_by_the_answer_that_leads_to_it() {
    let app = app();
    // "off" is in no step's own text: only in the answer leading to "plug".
    let page = app.get("/search?q=power+light+off").await;
    let urls = crate::harness::result_urls(&page.body);
    assert_eq!(
        urls.first().map(String::as_str),
        Some("/troubleshoot/printer?power=no"),
        "{urls:?}"
    );
    // The tree's page asks the first question: one result stands for both.
    let page = app.get("/search?q=printer+power").await;
    let urls = crate::harness::result_urls(&page.body);
    assert_eq!(
        urls.iter()
            .filter(|u| *u == "/troubleshoot/printer")
            .count(),
        1,
        "{urls:?}"
    );
}

#[actix_web::test]
async fn invalid_trees_stop_the_start_with_file_and_line() {
    let broken = PRINTER.replace("goto = \"plug\"", "goto = \"plugg\"");
    let result = TestApp::guide()
        .article("guide/paper", &article("Loading paper", 1, "x"))
        .tree("printer", &broken)
        .try_start();
    let Err((_dir, signpost::app::StartError::Content(diags))) = result else {
        panic!("start should fail")
    };
    assert!(
        diags.iter().any(|d| d
            .to_string()
            .ends_with("printer.toml:19: node \"power\" points to unknown node \"plugg\"")),
        "{diags:#?}"
    );
    let bad_link = PRINTER
        .replace("/docs/guide/paper", "/docs/guide/missing")
        .replace("related = [\"guide/paper\"]", "related = [\"guide/gone\"]");
    let (_dir, config) = TestApp::guide()
        .article("guide/paper", &article("Loading paper", 1, "x"))
        .tree("printer", &bad_link)
        .prepare();
    let diags = content::load(&config.content_dir, 12).expect_err("invalid");
    assert!(
        diags
            .iter()
            .any(|d| d.line == 6 && d.message.contains("related article \"guide/gone\"")),
        "{diags:#?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d.line == 23 && d.message.contains("/docs/guide/missing")),
        "{diags:#?}"
    );
}

#[actix_web::test]
async fn tree_changes_follow_into_the_database_and_search() {
    let mut app = app();
    app.write_content(
        "troubleshooting/printer.toml",
        &PRINTER.replace("zebracable", "giraffecord"),
    );
    app.restart().expect("restart");
    assert_eq!(app.started().sync.trees_changed, 1);
    app.wait_indexed();
    assert!(app
        .get("/search?q=zebracable")
        .await
        .body
        .contains("Nothing matched"));
    assert!(
        crate::harness::result_urls(&app.get("/search?q=giraffecord").await.body)
            .contains(&"/troubleshoot/printer?power=no".to_string())
    );
    std::fs::remove_file(app.content_path("troubleshooting/printer.toml")).expect("rm");
    app.restart().expect("restart");
    assert_eq!(app.started().sync.trees_removed, 1);
    app.wait_indexed();
    assert_eq!(app.get("/troubleshoot/printer").await.status, 404);
    assert!(app
        .get("/search?q=giraffecord")
        .await
        .body
        .contains("Nothing matched"));
}

#[actix_web::test]
async fn a_marked_loop_asks_the_earlier_question_again() {
    let tree = tree("Router keeps dropping", "lights")
        .question(
            "lights",
            "Are all lights green?",
            &[
                choice("Yes", "cable", "All lights are green"),
                choice("No", "ask", "Some light is not green"),
            ],
        )
        .question(
            "cable",
            "Did you swap the cable?",
            &[
                choice(
                    "Swapped it, check the lights again",
                    "lights",
                    "Swapped the cable",
                )
                .looping("recheck"),
                choice("Cannot swap it", "ask", "No spare cable"),
            ],
        )
        .escalate("ask", "Ask us")
        .to_string();
    let app = TestApp::builder().tree("router", &tree).start();
    let page = app.get("/troubleshoot/router?lights=yes").await;
    let options = links(&page.body, "choice");
    let (_, recheck) = options
        .iter()
        .find(|(l, _)| l.starts_with("Swapped"))
        .expect("loop option");
    assert_eq!(
        recheck, "/troubleshoot/router",
        "the loop goes back to the earlier question"
    );
    let again = app.get(recheck).await;
    again.assert_contains("Are all lights green?");
    // Answering differently this time moves on.
    let (_, no) = links(&again.body, "choice")
        .into_iter()
        .find(|(l, _)| l == "No")
        .expect("No");
    app.get(&no).await.assert_contains("Ask us");
}

#[actix_web::test]
async fn dashboard_counts_for_all_trees_match_each_tree() {
    let app = app();
    for path in [
        "/troubleshoot/printer",
        "/troubleshoot/printer?power=yes",
        "/troubleshoot/printer?power=yes&queue=no",
    ] {
        app.client().get(path).await;
    }
    let mut conn = app.started().state.db.get().expect("db");
    let tree = trees::find_by_slug(&mut conn, "printer")
        .expect("q")
        .expect("tree");
    let later = signpost::db::unix_now() + trees::ABANDONED_AFTER_SECS + 60;
    let one = trees::stats(&mut conn, tree.id, later).expect("stats");
    assert_eq!((one.starts, one.abandoned), (3, 3));
    let all = trees::all_stats(&mut conn, later).expect("all stats");
    assert_eq!(all.get(&tree.id), Some(&one));
    assert_eq!(all.len(), 1, "trees without walks are left out");
    assert_eq!(
        trees::stats(&mut conn, signpost::ids::TreeId(tree.id.0 + 1000), later).expect("stats"),
        trees::TreeStats::default()
    );
    // The stored definition reads back as the tree itself.
    let parsed = tree.tree().expect("definition parses");
    assert_eq!(parsed.slug, "printer");
    assert!(parsed.node(&parsed.start).is_some());
    let mut broken = tree.clone();
    broken.definition = "{not json".into();
    assert!(
        broken.tree().is_err(),
        "a damaged row is an error, not a panic"
    );
}
