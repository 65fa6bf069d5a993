//! Known issues: the staff lifecycle (create, banners where the customer
//! is, timeline updates, fix, grace period, askers notified), files under
//! `content/known-issues/` and their validation, who may write them,
//! escaping of every field, search ranking, the ask form and the staff
//! dashboard.

use diesel::prelude::*;
use signpost::db::models::{known_issues, notifications, questions};
use signpost::db::schema;
use signpost::kinds::IssueStatus;
use signpost::search::SearchRequest;

use crate::fixtures::{article, link_to_issue, router_tree, BODY};
use crate::harness::{result_urls, Client, Page, TestApp};

const DAY: i64 = 86_400;

fn app() -> TestApp {
    let app = TestApp::guide()
        .article(
            "guide/print",
            &article(
                "Print a page",
                1,
                "Choose **Print** in the menu and pick the printer.",
            ),
        )
        .article(
            "guide/scan",
            &article("Scan a page", 2, "Put the page on the glass."),
        )
        .tree("router", &router_tree())
        .start();
    app.wait_indexed();
    app
}

/// The fields of a typical issue, overridden by `extra`.
fn issue_fields<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("title", "Printing fails after firmware 4.2"),
        (
            "symptoms",
            "The print job stays **queued** and the printer shows error 0x42.",
        ),
        ("workaround", "Turn off *eco mode* in the printer settings."),
        ("status", "identified"),
        ("versions", "4.2, 4.2.1"),
        ("platforms", "Windows 11\nmacOS 14"),
        ("tags", "printing"),
        ("articles", "guide/print"),
        ("trees", "router"),
        ("terms", "print fails\nerror 0x42"),
    ];
    for (k, v) in extra {
        match fields.iter_mut().find(|(name, _)| name == k) {
            Some(field) => field.1 = v,
            None => fields.push((k, v)),
        }
    }
    fields
}

/// Creates an issue through the staff form; returns its page path.
async fn create_issue(staff: &Client<'_>, extra: &[(&str, &str)]) -> String {
    let page = staff
        .submit(
            "/known-issues/new",
            "/known-issues/new",
            &issue_fields(extra),
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    page.header("location").to_string()
}

async fn post_update(staff: &Client<'_>, issue: &str, fields: &[(&str, &str)]) -> Page {
    staff
        .submit(issue, &format!("{issue}/updates"), fields)
        .await
}

/// Closes the issue as fixed in 4.3 through the staff form.
async fn fix_in_4_3(staff: &Client<'_>, issue: &str) {
    let fixed = post_update(
        staff,
        issue,
        &[
            ("text", "Firmware 4.3 fixes it."),
            ("status", "fixed"),
            ("fixed_in", "4.3"),
        ],
    )
    .await;
    assert_eq!(fixed.status, 303, "{}", fixed.body);
}

fn banner_count(page: &Page) -> usize {
    page.body.matches("<strong>Known issue:</strong>").count()
}

/// Moves every closed issue's closing time back by `days`.
fn age_closed_issues(app: &TestApp, days: i64) {
    let mut conn = app.started().state.db.get().expect("db");
    diesel::update(
        schema::known_issues::table.filter(schema::known_issues::closed_at.is_not_null()),
    )
    .set(schema::known_issues::closed_at.eq(schema::known_issues::closed_at - days * DAY))
    .execute(&mut *conn)
    .expect("age");
}

fn issue_by_slug(app: &TestApp, slug: &str) -> known_issues::KnownIssue {
    let mut conn = app.started().state.db.get().expect("db");
    known_issues::find_by_slug(&mut conn, slug)
        .expect("query")
        .expect("issue")
}

#[actix_web::test]
async fn a_known_issue_shows_where_the_customer_is_until_its_fix_has_aged() {
    let app = app();
    let staff = app.staff("support_sam").await;
    let asker = app.member("printing_pat").await;
    let question = asker
        .asks("Printer says error 0x42", BODY, "printing")
        .await;
    let issue = create_issue(&staff, &[]).await;
    assert_eq!(issue, "/known-issues/printing-fails-after-firmware-42");
    let linked = link_to_issue(&staff, &question, "printing-fails-after-firmware-42").await;
    assert_eq!(linked.status, 303, "{}", linked.body);

    let guest = app.client();
    let banner = "Printing fails after firmware 4.2</a> — workaround inside — updated just now";
    for path in [
        "/docs/guide/print",
        "/troubleshoot/router",
        "/tags/printing",
        question.path.as_str(),
        "/search?q=why+print+fails+today",
    ] {
        let page = guest.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        page.assert_contains(banner);
        assert_eq!(banner_count(&page), 1, "{path}");
    }
    // A tree step further in shows it too; pages not linked do not.
    let steps = guest.get("/troubleshoot/router").await;
    let step_link = steps
        .body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|href| href.starts_with("/troubleshoot/router?"))
        .expect("a step link")
        .replace("&amp;", "&");
    assert_eq!(banner_count(&guest.get(&step_link).await), 1, "{step_link}");
    for path in ["/docs/guide/scan", "/search?q=scan+a+page", "/questions"] {
        assert_eq!(banner_count(&guest.get(path).await), 0, "{path}");
    }
    guest
        .get(&question.path)
        .await
        .assert_contains("This question is about a known issue");

    // The issue's page: who is affected, the workaround, the timeline.
    let page = guest.get(&issue).await;
    for needle in [
        "<strong>queued</strong>",
        "<em>eco mode</em>",
        "Windows 11",
        "macOS 14",
        "4.2.1",
        "Identified",
        "Reported: identified.",
    ] {
        page.assert_contains(needle);
    }

    // An update with a status change goes on the timeline.
    let updated = post_update(
        &staff,
        &issue,
        &[
            ("text", "A firmware fix is being tested."),
            ("status", "fixing"),
        ],
    )
    .await;
    assert_eq!(updated.status, 303, "{}", updated.body);
    let page = guest.get(&issue).await;
    page.assert_contains("A firmware fix is being tested.");
    page.assert_contains("Fix in progress");
    assert!(
        page.body.find("A firmware fix").unwrap()
            < page.body.find("Reported: identified.").unwrap(),
        "timeline is newest first"
    );
    let asker_id = {
        let mut conn = app.started().state.db.get().expect("db");
        questions::find(&mut conn, question.id)
            .expect("q")
            .expect("question")
            .author_id
    };
    let fixed_notes = |app: &TestApp| {
        let mut conn = app.started().state.db.get().expect("db");
        notifications::recent(&mut conn, asker_id, 20)
            .expect("notifications")
            .into_iter()
            .filter(|n| n.kind == "known_issue_fixed")
            .collect::<Vec<_>>()
    };
    assert!(fixed_notes(&app).is_empty(), "not fixed yet");

    // Fixed without a version is refused; with one, the asker hears of it.
    let refused = post_update(&staff, &issue, &[("text", "Fixed."), ("status", "fixed")]).await;
    assert_eq!(refused.status, 422);
    refused.assert_contains("Say which version fixes it");
    fix_in_4_3(&staff, &issue).await;
    let notes = fixed_notes(&app);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].question_id, Some(question.id));
    guest.get(&issue).await.assert_contains("Fixed in 4.3");
    let article_page = guest.get("/docs/guide/print").await;
    article_page.assert_contains("Printing fails after firmware 4.2</a> — fixed in 4.3");
    asker
        .get("/notifications")
        .await
        .assert_contains("The known issue behind your question");
    // A second update on a fixed issue notifies nobody again.
    post_update(&staff, &issue, &[("text", "Rolled out to everyone.")]).await;
    assert_eq!(fixed_notes(&app).len(), 1);

    // Within the grace period (default 7 days) the banners stay; after it, gone.
    age_closed_issues(&app, 6);
    assert_eq!(banner_count(&guest.get("/docs/guide/print").await), 1);
    age_closed_issues(&app, 2);
    for path in [
        "/docs/guide/print",
        "/troubleshoot/router",
        "/tags/printing",
        question.path.as_str(),
        "/search?q=print+fails",
    ] {
        assert_eq!(banner_count(&guest.get(path).await), 0, "{path}");
    }
    // The issue's page stays, and the question still points to it.
    guest.get(&issue).await.assert_contains("Fixed in 4.3");
    guest
        .get(&question.path)
        .await
        .assert_contains("fixed in 4.3");
}

#[actix_web::test]
async fn the_list_puts_open_issues_first_then_recently_fixed_ones() {
    let app = app();
    let staff = app.staff("support_sam").await;
    let fixed = create_issue(
        &staff,
        &[
            ("title", "Scanner stops at page two"),
            ("status", "fixed"),
            ("fixed_in", "2.1"),
        ],
    )
    .await;
    let open = create_issue(&staff, &[("title", "Fax tone missing")]).await;
    let page = app.client().get("/known-issues").await;
    let at = |path: &str| page.body.find(&format!("href=\"{path}\"")).expect(path);
    assert!(at(&open) < at(&fixed));
    page.assert_contains("Fixed in 2.1");
    // A grace period of 0 stops the banner of a fixed issue at once.
    let mut conn = app.started().state.db.get().expect("db");
    let now = signpost::db::unix_now();
    let shown = signpost::service::known_issues::banners(
        &mut conn,
        signpost::service::known_issues::Place::Tags(&["printing".to_string()]),
        now,
        0,
    )
    .expect("banners");
    let titles: Vec<_> = shown.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["Fax tone missing"]);
}

const GOOD_FILE: &str = r#"+++
title = "Sync stops on metered networks"
status = "fix in progress"
versions = ["3.0"]
platforms = ["Android"]
tags = ["sync"]
articles = ["guide/print"]
terms = ["sync stopped"]
workaround = "Mark the network as **not metered**."

[[updates]]
date = "2026-11-20"
text = "We can reproduce it."
status = "identified"

[[updates]]
date = "2026-11-25 10:00"
text = "A fix is on its way."
status = "fix in progress"
+++
Sync pauses whenever the phone is on a metered network.
"#;

#[actix_web::test]
async fn known_issue_files_are_synced_at_start_and_shown() {
    let app = TestApp::guide()
        .article("guide/print", &article("Print a page", 1, "Print it."))
        .file("known-issues/sync-metered.md", GOOD_FILE)
        .start();
    app.wait_indexed();
    let guest = app.client();
    let page = guest.get("/known-issues/sync-metered").await;
    assert_eq!(page.status, 200);
    for needle in [
        "Sync stops on metered networks",
        "<strong>not metered</strong>",
        "We can reproduce it.",
        "A fix is on its way.",
        "Fix in progress",
        "Android",
    ] {
        page.assert_contains(needle);
    }
    assert_eq!(banner_count(&guest.get("/docs/guide/print").await), 1);
    let issue = issue_by_slug(&app, "sync-metered");
    assert_eq!(issue.status, IssueStatus::Fixing);
    assert!(issue.source_path.is_some());
    // The newest update's date is the issue's "updated" time.
    assert_eq!(
        issue.updated_at,
        signpost::content::known_issues::parse_date("2026-11-25 10:00").unwrap()
    );
    let hits = app
        .started()
        .state
        .search
        .search(&SearchRequest {
            text: "sync pauses metered network",
            kind: Some("issue"),
            limit: 5,
            offset: 0,
        })
        .expect("search");
    assert_eq!(
        hits.hits.first().map(|h| h.url.as_str()),
        Some("/known-issues/sync-metered")
    );
}

#[test]
fn check_names_the_file_and_field_of_every_problem() {
    let dir = tempfile::tempdir().expect("dir");
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("manuals/guide/_index.md", "+++\ntitle = \"Guide\"\n+++\n");
    write(
        "manuals/guide/print.md",
        &article("Print a page", 1, "Print it."),
    );
    write(
        "known-issues/fixed-no-version.md",
        "+++\ntitle = \"Broken\"\nstatus = \"fixed\"\n+++\nIt breaks.\n",
    );
    write(
        "known-issues/bad-status.md",
        "+++\ntitle = \"Broken\"\nstatus = \"done\"\n+++\nIt breaks.\n",
    );
    write(
        "known-issues/no-symptoms.md",
        "+++\ntitle = \"Broken\"\nstatus = \"identified\"\n+++\n\n",
    );
    write(
        "known-issues/unknown-key.md",
        "+++\ntitle = \"Broken\"\nstatus = \"identified\"\nseverity = \"high\"\n+++\nIt breaks.\n",
    );
    write(
        "known-issues/bad-date.md",
        "+++\ntitle = \"Broken\"\nstatus = \"identified\"\n[[updates]]\ndate = \"last week\"\ntext = \"Seen.\"\n+++\nIt breaks.\n",
    );
    write(
        "known-issues/Bad Name.md",
        "+++\ntitle = \"Broken\"\nstatus = \"identified\"\n+++\nIt breaks.\n",
    );
    let diags = signpost::content::load(dir.path(), 12).expect_err("invalid");
    let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    let has = |file: &str, words: &str| {
        assert!(
            text.iter().any(|t| t.contains(file) && t.contains(words)),
            "no {words:?} for {file} in {text:#?}"
        );
    };
    has(
        "fixed-no-version.md:3",
        "fixed_in: a fixed issue says which version fixes it",
    );
    has("bad-status.md:3", "status: unknown status \"done\"");
    has("no-symptoms.md", "symptoms: describe what customers see");
    has("unknown-key.md:4", "unknown field `severity`");
    has(
        "bad-date.md",
        "updates[0].date: \"last week\" is not a date",
    );
    has("Bad Name.md", "is not a valid slug");

    // Links to articles and trees the content folder does not have.
    let dir2 = tempfile::tempdir().expect("dir");
    let path = dir2.path().join("known-issues/links.md");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "+++\ntitle = \"Broken\"\nstatus = \"identified\"\narticles = [\"guide/gone\"]\ntrees = [\"nope\"]\n+++\nIt breaks.\n",
    )
    .unwrap();
    let diags = signpost::content::load(dir2.path(), 12).expect_err("invalid");
    let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("links.md:4") && t.contains("no article \"guide/gone\"")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("links.md:5") && t.contains("no troubleshooting tree \"nope\"")),
        "{text:#?}"
    );
}

#[test]
fn the_shipped_sample_issues_are_valid() {
    let content = signpost::content::load(&crate::harness::shipped_content(), 12)
        .expect("shipped content loads");
    assert!(
        !content.known_issues.is_empty(),
        "content/known-issues ships samples"
    );
}

#[actix_web::test]
async fn only_staff_create_or_update_known_issues() {
    let app = app();
    let staff = app.staff("support_sam").await;
    let issue = create_issue(&staff, &[]).await;
    let member = app.member("curious_cat").await;
    let guest = app.client();
    assert_eq!(member.get("/known-issues/new").await.status, 403);
    let guest_page = guest.get("/known-issues/new").await;
    assert_eq!(guest_page.status, 303);
    assert!(guest_page.header("location").starts_with("/login"));
    // A member with a valid CSRF token is still refused, on every form.
    let token = member.csrf("/questions/ask").await;
    let with_token = |mut fields: Vec<(&'static str, &'static str)>| {
        fields.push(("csrf", Box::leak(token.clone().into_boxed_str())));
        fields
    };
    let fields = with_token(issue_fields(&[("title", "Member issue")]));
    assert_eq!(member.post("/known-issues/new", &fields).await.status, 403);
    assert_eq!(
        member.post(&format!("{issue}/edit"), &fields).await.status,
        403
    );
    let update = with_token(vec![
        ("text", "Hijacked"),
        ("status", "fixed"),
        ("fixed_in", "1"),
    ]);
    assert_eq!(
        member
            .post(&format!("{issue}/updates"), &update)
            .await
            .status,
        403
    );
    // Staff without the CSRF token are refused too.
    let no_token = staff
        .post("/known-issues/new", &issue_fields(&[("title", "No token")]))
        .await;
    assert!(matches!(no_token.status, 400 | 403), "{}", no_token.status);
    let page = guest.get(&issue).await;
    assert!(!page.body.contains("Hijacked"));
    assert!(
        !page.body.contains("/updates\""),
        "no update form for guests"
    );
    let mut conn = app.started().state.db.get().expect("db");
    assert_eq!(known_issues::all(&mut conn).expect("all").len(), 1);
    assert_eq!(
        known_issues::all(&mut conn).expect("all")[0].status,
        IssueStatus::Identified
    );
}

#[actix_web::test]
async fn every_field_of_a_known_issue_is_escaped() {
    let app = app();
    let staff = app.staff("support_sam").await;
    let evil = "<script>alert(1)</script>";
    let issue = create_issue(
        &staff,
        &[
            ("title", "Evil <script>alert(1)</script> title"),
            (
                "symptoms",
                "Click [here](javascript:alert(1)) <img src=x onerror=alert(1)> <script>alert(1)</script>",
            ),
            ("workaround", "<iframe src=\"https://evil.example\"></iframe> ok"),
            ("versions", "<script>alert(1)</script>"),
            ("platforms", "<b onmouseover=alert(1)>x</b>"),
            ("tags", "printing, <script>alert(1)</script>"),
            ("terms", "print fails"),
            ("status", "wontfix"),
            ("reason", "<script>alert(1)</script> reason"),
        ],
    )
    .await;
    let guest = app.client();
    let mut pages = vec![guest.get(&issue).await, guest.get("/known-issues").await];
    for path in [
        "/docs/guide/print",
        "/search?q=print+fails",
        "/tags/printing",
    ] {
        let page = guest.get(path).await;
        if path != "/tags/printing" {
            assert_eq!(banner_count(&page), 1, "{path}");
        }
        pages.push(page);
    }
    // The editor shows the markdown source as text (escaped).
    let editor = staff.get(&format!("{issue}/edit")).await;
    editor.assert_contains("Click [here](javascript:alert(1)) &lt;img src=x onerror=alert(1)&gt;");
    for raw in [evil, "<img", "<iframe", "<b onmouseover"] {
        assert!(!editor.body.contains(raw), "{raw} in {}", editor.body);
    }
    for page in &pages {
        assert!(!page.body.contains(evil), "{}", page.body);
        assert!(!page.body.contains("javascript:"), "{}", page.body);
        assert!(!page.body.contains("onerror=alert"), "{}", page.body);
        assert!(!page.body.contains("<b onmouseover"), "{}", page.body);
        assert!(!page.body.contains("<iframe"), "{}", page.body);
    }
    pages[0].assert_contains("<h1>Evil &lt;script&gt;alert(1)&lt;/script&gt; title</h1>");
    pages[0]
        .assert_contains("<span class=\"tag\">&lt;b onmouseover=alert(1)&gt;x&lt;/b&gt;</span>");
    pages[0].assert_contains("&lt;script&gt;alert(1)&lt;/script&gt; reason");
}

#[actix_web::test]
async fn an_open_known_issue_ranks_first_when_its_symptoms_match() {
    let app = TestApp::guide()
        .article(
            "guide/print",
            &article(
                "Printer error 0x42",
                1,
                "When the printer shows error 0x42 the print job stays queued. Restart the printer.",
            ),
        )
        .start();
    app.wait_indexed();
    let staff = app.staff("support_sam").await;
    let issue = create_issue(
        &staff,
        &[
            ("title", "Print jobs stay queued"),
            (
                "symptoms",
                "The print job stays queued and the printer shows error 0x42.",
            ),
            ("articles", ""),
            ("trees", ""),
        ],
    )
    .await;
    app.wait_indexed();
    let page = app
        .client()
        .get("/search?q=print+job+queued+error+0x42")
        .await;
    let urls = result_urls(&page.body);
    assert_eq!(urls.first(), Some(&issue), "{urls:?}");
    assert!(urls.contains(&"/docs/guide/print".to_string()), "{urls:?}");
    page.assert_contains("Known issue");
    // Fixed, it says so in its breadcrumb.
    post_update(
        &staff,
        &issue,
        &[("text", "Fixed."), ("status", "fixed"), ("fixed_in", "4.3")],
    )
    .await;
    app.wait_indexed();
    app.client()
        .get("/search?q=print+job+queued+error+0x42")
        .await
        .assert_contains("Known issues › Fixed");
}

#[actix_web::test]
async fn the_ask_form_offers_matching_open_issues_only() {
    let app = app();
    let staff = app.staff("support_sam").await;
    let asker = app.member("printing_pat").await;
    let open = create_issue(&staff, &[]).await;
    let closed = create_issue(
        &staff,
        &[
            ("title", "Printing fails on old drivers"),
            ("status", "fixed"),
            ("fixed_in", "4.0"),
        ],
    )
    .await;
    app.wait_indexed();
    // Matched by its search terms ("print fails") even where its words rank low.
    let preview = asker
        .previews_question("Why print fails since Monday", BODY, "printing")
        .await;
    let similar = &preview.body[preview.body.find("id=\"similar\"").expect("similar")..];
    assert!(similar.contains(&format!("href=\"{open}\"")), "{similar}");
    assert!(
        !similar.contains(&format!("href=\"{closed}\"")),
        "{similar}"
    );
    assert!(similar.contains("Known issue"), "{similar}");
    // The JSON suggestions behind the form agree.
    let json = asker.get("/api/suggest?q=print+fails+firmware").await;
    assert_eq!(json.status, 200);
    let first_issue = json.body.find(&open).expect("open issue suggested");
    assert!(!json.body.contains(&closed), "{}", json.body);
    assert!(first_issue < json.body.find("/docs/").unwrap_or(usize::MAX));
}

/// The known-issue section of the staff dashboard.
fn dashboard_section(page: &Page) -> &str {
    let start = page.body.find("Open known issues").expect("section");
    let len = page.body[start..].find("</section>").expect("section end");
    &page.body[start..start + len]
}

#[actix_web::test]
async fn the_dashboard_counts_linked_questions_and_finds_unlinked_ones() {
    let app = app();
    let staff = app.staff("support_sam").await;
    let asker = app.member("printing_pat").await;
    let issue = create_issue(&staff, &[]).await;
    let linked = asker
        .asks("Printer says error 0x42 on every job", BODY, "printers")
        .await;
    // New members may ask a few questions an hour: one asker each.
    let unlinked = app
        .member("office_olga")
        .await
        .asks("Since yesterday my print fails completely", BODY, "office")
        .await;
    let unrelated = app
        .member("scanning_sid")
        .await
        .asks("Scanner glass is scratched", BODY, "scanner")
        .await;
    let by_tag = app
        .member("tray_tess")
        .await
        .asks("Blank pages from the tray", BODY, "printing")
        .await;
    link_to_issue(&staff, &linked, &issue).await;
    let page = staff.get("/staff").await;
    assert_eq!(page.status, 200);
    let section = dashboard_section(&page);
    section
        .find("Printing fails after firmware 4.2")
        .expect("open issue row");
    assert!(
        section.contains("<td>Identified</td><td>1</td>"),
        "one linked question: {section}"
    );
    let unlinked_part = &section[section.find("not linked").expect("unlinked")..];
    assert!(unlinked_part.contains(&unlinked.path), "{unlinked_part}");
    assert!(unlinked_part.contains(&by_tag.path), "{unlinked_part}");
    assert!(!unlinked_part.contains(&linked.path), "{unlinked_part}");
    assert!(!unlinked_part.contains(&unrelated.path), "{unlinked_part}");
    // Unlinking puts it back on the list.
    let unlinking = link_to_issue(&staff, &linked, "").await;
    assert_eq!(unlinking.status, 303, "{}", unlinking.body);
    let page = staff.get("/staff").await;
    let section = dashboard_section(&page);
    let unlinked_part = &section[section.find("not linked").expect("unlinked")..];
    assert!(unlinked_part.contains(&linked.path), "{unlinked_part}");
    assert_eq!(
        app.member("nosy_nick").await.get("/staff").await.status,
        403
    );
}

#[actix_web::test]
async fn known_issue_updates_reach_the_updates_feed_among_announcements() {
    let app = app();
    let staff = app.staff("support_sam").await;
    let now = signpost::db::unix_now();
    let issue = create_issue(&staff, &[]).await;
    let updated = post_update(
        &staff,
        &issue,
        &[
            (
                "text",
                "A firmware fix is being tested.<script>alert(1)</script>",
            ),
            ("status", "fixing"),
        ],
    )
    .await;
    assert_eq!(updated.status, 303, "{}", updated.body);
    crate::announcements::announce_at(&app, "Maintenance", now - 3600, now - 3600);

    let feed = crate::announcements::parse_atom(&app.get("/feed/updates.atom").await.body);
    let titles: Vec<&str> = feed.entries.iter().map(|e| e["title"].as_str()).collect();
    let fixing = titles
        .iter()
        .position(|t| *t == "Printing fails after firmware 4.2: Fix in progress")
        .unwrap_or_else(|| panic!("no entry for the status update: {titles:?}"));
    let announcement = titles
        .iter()
        .position(|t| *t == "Maintenance (info)")
        .unwrap_or_else(|| panic!("no announcement: {titles:?}"));
    assert!(fixing < announcement, "newest first: {titles:?}");
    let entry = &feed.entries[fixing];
    assert!(
        entry["content"].contains("A firmware fix is being"),
        "{entry:?}"
    );
    assert!(
        !entry["content"].contains("<script"),
        "sanitized: {entry:?}"
    );
    let href = &entry["link.href"];
    let (page_url, anchor) = href
        .split_once('#')
        .unwrap_or_else(|| panic!("the link names the update: {href}"));
    assert!(page_url.ends_with(&issue), "{href} is on {issue}");
    assert!(anchor.starts_with("update-"), "{href}");
    let page = app.get(&issue).await;
    page.assert_contains(&format!("id=\"{anchor}\""));
    let ids: std::collections::BTreeSet<&str> =
        feed.entries.iter().map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), feed.entries.len(), "entry ids are unique");
}

#[actix_web::test]
async fn long_non_latin_titles_and_the_title_new_get_working_slugs() {
    let app = app();
    let staff = app.staff("support_sam").await;
    // 40 three-byte letters (a cut at byte 80 split one: a 500), and a
    // mixed title whose Latin words make the slug.
    let title = "印".repeat(40);
    let long = create_issue(&staff, &[("title", &title)]).await;
    let page = app.get(&long).await;
    assert_eq!(page.status, 200, "{long}: {}", page.body);
    page.assert_contains(&title);
    let mixed = create_issue(&staff, &[("title", &format!("{title} printer offline"))]).await;
    assert_eq!(mixed, "/known-issues/printer-offline");
    // "New" must not take the path of the new-issue form.
    let new = create_issue(&staff, &[("title", "New")]).await;
    assert_ne!(new, "/known-issues/new");
    let page = app.get(&new).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_contains("New");
}

#[actix_web::test]
async fn search_banners_follow_known_issue_changes_at_once() {
    let app = app();
    let staff = app.staff("support_sid").await;
    let guest = app.client();
    let search = "/search?q=print+fails";
    assert_eq!(banner_count(&guest.get(search).await), 0);
    // The issues showing banners are read once and kept...
    let now = signpost::db::unix_now();
    let cache = &app.started().state.page_cache;
    assert!(cache.kept_issues(now).is_some());
    assert_eq!(banner_count(&guest.get(search).await), 0);

    // ... until a known-issue change: the next search shows the new one.
    let issue = create_issue(&staff, &[]).await;
    let page = guest.get(search).await;
    assert_eq!(banner_count(&page), 1, "{}", page.body);
    page.assert_contains("Printing fails after firmware 4.2</a> — workaround inside");
    fix_in_4_3(&staff, &issue).await;
    guest
        .get(search)
        .await
        .assert_contains("Printing fails after firmware 4.2</a> — fixed in 4.3");
    // A fixed issue's banner ends with its grace period: the kept list is
    // not used past the first such end.
    let closed = issue_by_slug(&app, "printing-fails-after-firmware-42")
        .closed_at
        .expect("closed");
    assert!(cache.kept_issues(closed + 7 * DAY - 1).is_some());
    assert!(cache.kept_issues(closed + 7 * DAY).is_none());
}
