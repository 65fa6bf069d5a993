//! The community Q&A board through HTTP.

use signpost::auth::Role;
use signpost::db::models::{notifications, questions, revisions};
use signpost::search::SearchRequest;

use crate::fixtures::{plain_article, Post, Question, BODY};
use crate::harness::{csrf_of, TestApp};

/// The board with one empty manual.
pub(crate) fn app() -> TestApp {
    TestApp::guide().start()
}

#[actix_web::test]
async fn ask_answer_vote_accept_by_the_asker() {
    let app = app();
    let asker = app.member("asker").await;
    let helper = app.member("helper").await;
    let q = asker
        .asks("Printer prints nothing at all", BODY, "printer, Hardware")
        .await;
    let (path, id) = (&q.path, q.id);
    assert!(path.ends_with("/printer-prints-nothing-at-all"), "{path}");
    let page = app.client().get(path).await;
    assert_eq!(page.status, 200);
    page.assert_contains("<h1>Printer prints nothing at all</h1>");
    page.assert_contains("href=\"/tags/hardware\"");

    let a = helper
        .answers(&q, "Hold the reset button for ten seconds, then try again.")
        .await;
    // Votes: not on your own post, once per post, changeable.
    assert_eq!(asker.votes(&a, "up").await.status, 303);
    assert_eq!(asker.votes(&a, "up").await.status, 303);
    assert_eq!(helper.votes(&a, "up").await.status, 403);
    helper.votes(&q, "down").await;
    helper.votes(&q, "up").await;
    let page = app.client().get(path).await;
    page.assert_contains("<span class=\"score\" title=\"Score\">1</span>");
    let mut conn = app.started().state.db.get().expect("db");
    assert_eq!(
        questions::find(&mut conn, id)
            .expect("q")
            .expect("question")
            .score,
        1,
        "changed vote counts once"
    );
    drop(conn);

    assert_eq!(asker.accepts(&a).await.status, 303);
    let page = app.client().get(path).await;
    page.assert_contains("Accepted by the asker on");
    page.assert_contains("✓ Accepted answer");
    // The helper hears about it.
    let inbox = helper.get("/notifications").await;
    inbox.assert_contains(
        "Your answer on \u{201c}Printer prints nothing at all\u{201d} was accepted",
    );
    let list = app.client().get("/questions").await;
    list.assert_contains("✓ solved");
    // Profile counts.
    let profile = app.client().get("/users/helper").await;
    profile.assert_contains("<strong>1</strong> answer</li>");
    profile.assert_contains("<strong>1</strong> accepted answer</li>");
}

#[actix_web::test]
async fn staff_accept_shows_the_staff_banner_and_notifies_the_asker() {
    let app = app();
    let asker = app.member("asker2").await;
    let helper = app.member("helper2").await;
    let staff = app.staff("support_sam").await;
    let q = asker
        .asks("Wireless setup keeps failing", BODY, "network")
        .await;
    let a = helper
        .answers(
            &q,
            "Move the printer closer to the router and retry the wizard.",
        )
        .await;
    assert_eq!(staff.accepts(&a).await.status, 303);
    let page = app.client().get(&q.path).await;
    page.assert_contains("Accepted by staff member <a class=\"user\" href=\"/users/support_sam\">support_sam</a> <span class=\"badge badge-staff\"");
    let home = asker.get("/").await;
    home.assert_contains("<span class=\"count\">2</span>");
    let inbox = asker.get("/notifications").await;
    inbox.assert_contains("A staff member accepted an answer on your question");
    inbox.assert_contains("New answer on your question");
    let mut conn = app.started().state.db.get().expect("db");
    let user = signpost::db::models::users::find_by_key(&mut conn, "asker2")
        .expect("q")
        .expect("u");
    assert_eq!(
        notifications::unread_count(&mut conn, user.id).expect("count"),
        0,
        "viewing marks read"
    );
}

#[actix_web::test]
async fn members_cannot_accept_on_others_questions_and_the_mark_moves() {
    let app = app();
    let asker = app.member("asker3").await;
    let other = app.member("other3").await;
    let q = asker
        .asks("Toner light stays on after refill", BODY, "toner")
        .await;
    let first = other
        .answers(&q, "Reset the toner counter from the maintenance menu.")
        .await;
    let second = asker
        .answers(&q, "Update: the chip on the cartridge needed replacing.")
        .await;
    let page = other.accepts(&first).await;
    assert_eq!(page.status, 403);
    page.assert_contains("Only the person who asked");
    assert_eq!(other.unaccepts(&q).await.status, 403);
    asker.accepts(&first).await;
    asker.accepts(&second).await;
    let mut conn = app.started().state.db.get().expect("db");
    let stored = questions::find(&mut conn, q.id)
        .expect("q")
        .expect("question");
    assert_eq!(stored.accepted_answer_id, Some(second.id));
    drop(conn);
    let page = app.client().get(&q.path).await;
    let second_at = page
        .body
        .find(&format!("id=\"answer-{}\"", second.id))
        .expect("second");
    let first_at = page
        .body
        .find(&format!("id=\"answer-{}\"", first.id))
        .expect("first");
    assert!(second_at < first_at, "accepted answer comes first");
    asker.unaccepts(&q).await;
    let mut conn = app.started().state.db.get().expect("db");
    assert_eq!(
        questions::find(&mut conn, q.id)
            .expect("q")
            .expect("question")
            .accepted_answer_id,
        None
    );
    // An answer id from another question is refused.
    drop(conn);
    let other_q = other
        .asks("Scanner shows a blank page", BODY, "scanner")
        .await;
    let foreign = asker
        .answers(&other_q, "Clean the glass with a dry cloth and retry.")
        .await;
    assert_eq!(asker.accepts_id(&q, foreign.id).await.status, 404);
}

#[actix_web::test]
async fn edits_keep_revisions_with_a_diff() {
    let app = app();
    let asker = app.member("editor1").await;
    let q = asker
        .asks("Duplex printing jams the paper", BODY, "paper")
        .await;
    let (path, id) = (&q.path, q.id);
    let page = asker
        .edits(
            &q,
            &[
                ("title", "Duplex printing jams thick paper"),
                ("body", "Only thick paper jams when printing on both sides."),
                ("tags", "paper, duplex"),
                ("note", "narrowed it down"),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    assert!(page
        .header("location")
        .ends_with("/duplex-printing-jams-thick-paper"));
    // The old slug redirects to the new canonical one.
    let old = app.client().get(path).await;
    assert_eq!(old.status, 301);
    assert!(old
        .header("location")
        .ends_with("/duplex-printing-jams-thick-paper"));
    let history = app
        .client()
        .get(&format!("/questions/{id}/revisions"))
        .await;
    history.assert_contains("Revision 2");
    history.assert_contains("narrowed it down");
    history.assert_contains(
        "<del>Duplex printing jams the paper</del> → <ins>Duplex printing jams thick paper</ins>",
    );
    history.assert_contains(
        "<span class=\"diff-added\">+ Only thick paper jams when printing on both sides.</span>",
    );
    history
        .assert_contains("<span class=\"diff-removed\">- The printer shows a blinking amber light");
    // Someone else cannot edit; staff can.
    let other = app.member("stranger1").await;
    assert_eq!(
        other.get(&format!("/questions/{id}/edit")).await.status,
        403
    );
    let staff = app.staff("tidy_staff").await;
    let page = staff
        .edits(
            &q,
            &[
                ("title", "Duplex printing jams thick paper"),
                (
                    "body",
                    "Only thick paper (200 gsm) jams when printing on both sides.",
                ),
                ("tags", "paper, duplex"),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    let mut conn = app.started().state.db.get().expect("db");
    assert_eq!(
        revisions::for_post(&mut conn, signpost::kinds::PostKind::Question, id.into())
            .expect("revs")
            .len(),
        3
    );
    drop(conn);
    // Answers have their own history.
    let a = other
        .answers(
            &Question::at(page.header("location")),
            "Use the manual feed tray for thick paper.",
        )
        .await;
    other
        .edits(
            &a,
            &[(
                "body",
                "Use the manual feed tray for anything over 160 gsm.",
            )],
        )
        .await;
    app.client()
        .get(&a.action("revisions"))
        .await
        .assert_contains("Revision 2");
}

#[actix_web::test]
async fn close_as_duplicate_links_the_target_and_lock_stops_answers() {
    let app = app();
    let asker = app.member("dupe_asker").await;
    let staff = app.staff("mod_mia").await;
    let original = asker
        .asks("Printer offline after router change", BODY, "network")
        .await;
    let copy = asker
        .asks("Printer says offline after new router", BODY, "network")
        .await;
    let page = staff
        .moderates(
            &copy,
            &[
                ("action", "close"),
                ("reason", "duplicate"),
                ("duplicate_of", &format!("#{}", original.id)),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    let page = app.client().get(&copy.path).await;
    page.assert_contains("Closed: Duplicate of another question.");
    page.assert_contains(&format!(
        "The answer is in <a href=\"{}\">Printer offline after router change</a>",
        original.path
    ));
    let bad = staff
        .moderates(
            &copy,
            &[
                ("action", "close"),
                ("reason", "duplicate"),
                ("duplicate_of", "99999"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    // Members cannot moderate.
    assert_eq!(
        asker.moderates(&copy, &[("action", "reopen")]).await.status,
        403
    );
    staff.moderates(&copy, &[("action", "reopen")]).await;
    assert!(!app.client().get(&copy.path).await.body.contains("Closed:"));
    // Locked: answering is refused and the typed answer is kept.
    staff.moderates(&original, &[("action", "lock")]).await;
    let member = app.member("late_member").await;
    let typed = "I had the same problem and this is my long answer text.";
    let token = member.csrf("/account").await;
    let page = member
        .post(
            &original.action("answers"),
            &[("csrf", &token), ("body", typed)],
        )
        .await;
    assert_eq!(page.status, 409);
    page.assert_contains("locked");
    page.assert_contains(typed);
}

#[actix_web::test]
async fn soft_delete_hides_from_list_and_search_and_restore_brings_it_back() {
    let app = app();
    let asker = app.member("del_asker").await;
    let staff = app.staff("del_staff").await;
    let q = asker
        .asks("Magenta streaks across every page", BODY, "quality")
        .await;
    let path = &q.path;
    app.wait_indexed();
    let search = |app: &TestApp| {
        app.started()
            .state
            .search
            .search(&SearchRequest {
                text: "magenta streaks",
                kind: Some("question"),
                limit: 5,
                offset: 0,
            })
            .expect("search")
            .total
    };
    assert_eq!(search(&app), 1);
    staff.moderates(&q, &[("action", "delete")]).await;
    app.wait_indexed();
    assert_eq!(search(&app), 0);
    assert!(!app
        .client()
        .get("/questions")
        .await
        .body
        .contains("Magenta streaks"));
    assert!(!app
        .client()
        .get("/tags/quality")
        .await
        .body
        .contains("Magenta streaks"));
    assert_eq!(app.client().get(path).await.status, 404);
    staff
        .get(path)
        .await
        .assert_contains("This question is deleted.");
    staff.moderates(&q, &[("action", "restore")]).await;
    app.wait_indexed();
    assert_eq!(search(&app), 1);
    app.client()
        .get("/questions")
        .await
        .assert_contains("Magenta streaks");
}

#[actix_web::test]
async fn solved_questions_rank_above_unsolved_ones_with_the_same_text() {
    let app = app();
    let asker = app.member("rank_asker").await;
    let helper = app.member("rank_helper").await;
    let unsolved = asker
        .asks("Fuser error code 50 on startup", BODY, "errors")
        .await
        .path;
    let solved_question = asker
        .asks("Fuser error code 50 on startup", BODY, "errors")
        .await;
    // Created first, the unsolved one would win a tie; solving the second must flip that.
    let a = helper
        .answers(
            &solved_question,
            "Replace the fuser unit; code 50 means it failed its heat test.",
        )
        .await;
    asker.accepts(&a).await;
    let solved = solved_question.path;
    app.wait_indexed();
    let page = app
        .client()
        .get("/search?q=fuser+error&kind=question")
        .await;
    let urls = crate::harness::result_urls(&page.body);
    let first = urls
        .iter()
        .position(|u| *u == solved)
        .expect("solved listed");
    let second = urls
        .iter()
        .position(|u| *u == unsolved)
        .expect("unsolved listed");
    assert!(first < second, "solved ranks first");
    page.assert_contains("<span class=\"solved\">✓ solved</span>");
    // The accepted answer's text is searchable too.
    let page = app.client().get("/search?q=heat+test").await;
    assert!(crate::harness::result_urls(&page.body).contains(&solved));
}

#[actix_web::test]
async fn ask_form_is_pre_filled_from_the_url_and_keeps_input_on_errors() {
    let app = app();
    let anon = app
        .client()
        .get("/questions/ask?title=Search+finds+nothing&tags=search")
        .await;
    assert_eq!(anon.status, 303);
    // A guest's short pre-filled link rides along with sign-in as next:
    // nothing is stored on a GET.
    assert_eq!(
        anon.header("location"),
        "/login?next=%2Fquestions%2Fask%3Ftitle%3DSearch%2Bfinds%2Bnothing%26tags%3Dsearch"
    );
    // One too long for a sign-in link is kept as a draft, and sign-in
    // returns to it.
    let long_body = "The+index+is+fine+".repeat(120);
    let anon = app
        .client()
        .get(&format!(
            "/questions/ask?title=Search+finds+nothing&body={long_body}"
        ))
        .await;
    assert_eq!(anon.status, 303);
    let location = anon.header("location");
    assert!(
        location.starts_with("/login?next=%2Fquestions%2Fask%3Fdraft%3D")
            && location.ends_with("&kept=1"),
        "{location}"
    );
    assert_eq!(
        app.client().get("/questions/ask").await.header("location"),
        "/login?next=%2Fquestions%2Fask"
    );
    let member = app.member("prefill").await;
    let page = member.get("/questions/ask?title=Search+finds+nothing&body=1.+Index+is+ok%0A2.+No+typo&tags=search-finds-nothing").await;
    assert_eq!(page.status, 200);
    page.assert_contains("value=\"Search finds nothing\"");
    page.assert_contains(">1. Index is ok\n2. No typo</textarea>");
    page.assert_contains("value=\"search-finds-nothing\"");

    let long_title = "x".repeat(151);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("title", "Too short"), ("body", BODY), ("tags", "a")],
            "at least 10 characters",
        ),
        (
            vec![("title", &long_title), ("body", BODY), ("tags", "a")],
            "at most 150 characters",
        ),
        (
            vec![("title", "A fine title here"), ("body", ""), ("tags", "a")],
            "at least 20 characters",
        ),
        (
            vec![("title", "A fine title here"), ("body", BODY), ("tags", "")],
            "at least one tag",
        ),
        (
            vec![
                ("title", "A fine title here"),
                ("body", BODY),
                ("tags", "a,b,c,d,e,f"),
            ],
            "at most 5 tags",
        ),
        (
            vec![
                ("title", "A fine title here"),
                ("body", BODY),
                ("tags", "!!!"),
            ],
            "no letters or digits",
        ),
    ];
    for (fields, message) in cases {
        let mut all = fields.clone();
        all.push(("action", "post"));
        let page = member
            .submit("/questions/ask", "/questions/ask", &all)
            .await;
        assert_eq!(page.status, 422, "{message}");
        page.assert_contains(message);
        let typed_body = fields
            .iter()
            .find(|(k, _)| *k == "body")
            .map(|(_, v)| *v)
            .unwrap_or("");
        if !typed_body.is_empty() {
            page.assert_contains(typed_body);
        }
    }
    let huge = "y".repeat(30_001);
    let page = member.tries_to_ask("A fine title here", &huge, "a").await;
    page.assert_contains("at most 30000 characters");
    assert!(page.body.contains(&huge), "the typed body is kept");
}

#[actix_web::test]
async fn preview_and_suggestions_show_similar_questions_and_articles() {
    let app = TestApp::guide()
        .article(
            "guide/jam",
            &plain_article("Clearing a paper jam", "Open the rear tray."),
        )
        .start();
    let member = app.member("similar_sue").await;
    member
        .asks("Paper jam in the rear tray", BODY, "paper")
        .await;
    app.wait_indexed();
    let json = app.client().get("/api/suggest?q=paper+jam").await;
    assert_eq!(json.status, 200);
    let value: serde_json::Value = serde_json::from_str(&json.body).expect("json");
    let urls: Vec<&str> = value["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["url"].as_str())
        .collect();
    assert!(urls.contains(&"/docs/guide/jam"), "{urls:?}");
    assert!(
        urls.iter().any(|u| u.starts_with("/questions/")),
        "{urls:?}"
    );
    let kinds: Vec<&str> = value["results"]
        .as_array()
        .expect("r")
        .iter()
        .filter_map(|r| r["kind_label"].as_str())
        .collect();
    assert!(
        kinds.contains(&"Article") && kinds.contains(&"Question"),
        "{kinds:?}"
    );
    assert_eq!(app.client().get("/api/suggest?q=%FF%FE").await.status, 200);
    // The no-JS path: the Preview button shows the rendering and the similar list.
    let page = member
        .previews_question(
            "Paper jam again",
            "**bold** text that is long enough",
            "paper",
        )
        .await;
    assert_eq!(page.status, 200);
    page.assert_contains("<strong>bold</strong>");
    page.assert_contains("href=\"/docs/guide/jam\"");
    // The JSON preview uses the same renderer and CSRF rules.
    let token = member.csrf("/questions/ask").await;
    let preview = member
        .post(
            "/api/preview",
            &[("csrf", &token), ("body", "<script>x</script>\n\n*hi*")],
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(
        preview.body.contains("<em>hi</em>") && !preview.body.contains("<script"),
        "{}",
        preview.body
    );
    assert_eq!(
        member.post("/api/preview", &[("body", "x")]).await.status,
        403
    );
    let error = member.post("/api/preview", &[("body", "x")]).await;
    assert!(
        error.header("content-type").starts_with("application/json"),
        "API errors are JSON"
    );
}

#[actix_web::test]
async fn double_submit_creates_one_post() {
    let app = app();
    let member = app.member("double_dan").await;
    let form = member.get("/questions/ask").await;
    let token = csrf_of(&form.body).expect("csrf");
    let key_at = form
        .body
        .find("name=\"submit_key\" value=\"")
        .expect("submit key")
        + "name=\"submit_key\" value=\"".len();
    let key = form.body[key_at..key_at + 64].to_string();
    let fields = [
        ("csrf", token.as_str()),
        ("submit_key", key.as_str()),
        ("title", "Clicked post twice by accident"),
        ("body", BODY),
        ("tags", "misc"),
        ("action", "post"),
    ];
    let first = member.post("/questions/ask", &fields).await;
    let second = member.post("/questions/ask", &fields).await;
    assert_eq!(first.header("location"), second.header("location"));
    let path = first.header("location").to_string();
    let page = member.get(&path).await;
    let answer_token = csrf_of(&page.body).expect("csrf");
    let at = page
        .body
        .rfind("name=\"submit_key\" value=\"")
        .expect("answer key")
        + "name=\"submit_key\" value=\"".len();
    let answer_key = page.body[at..at + 64].to_string();
    let id = crate::fixtures::id_of(&path);
    let fields = [
        ("csrf", answer_token.as_str()),
        ("submit_key", answer_key.as_str()),
        ("body", "Self answer: it was the cable all along."),
    ];
    let a = member
        .post(&format!("/questions/{id}/answers"), &fields)
        .await;
    let b = member
        .post(&format!("/questions/{id}/answers"), &fields)
        .await;
    assert_eq!(a.header("location"), b.header("location"));
    let mut conn = app.started().state.db.get().expect("db");
    let q = questions::find(&mut conn, id)
        .expect("q")
        .expect("question");
    assert_eq!(q.answer_count, 1);
    let all = questions::newest(&mut conn, 10).expect("list");
    assert_eq!(all.len(), 1);
}

#[actix_web::test]
async fn xss_payloads_come_out_escaped_everywhere() {
    let app = app();
    let member = app.member("xss_xena").await;
    member
        .submit(
            "/account",
            "/account/profile",
            &[("display_name", "<img src=x onerror=alert(1)>")],
        )
        .await;
    let title = "<script>alert('title')</script> payload title";
    let body = "<script>alert('body')</script><img src=x onerror=alert(2)> [link](javascript:alert(3)) long enough";
    let q = member.asks(title, body, "<b>tag</b>, ok").await;
    let (path, id) = (q.path.clone(), q.id);
    let helper = app.member("helper_x").await;
    helper
        .answers(
            &q,
            "<iframe src=https://evil.example></iframe><a href=\"javascript:alert(4)\">x</a> text",
        )
        .await;
    app.wait_indexed();
    let pages = [
        path.clone(),
        "/questions".to_string(),
        "/tags".to_string(),
        "/tags/btagb".to_string(),
        "/users/xss_xena".to_string(),
        format!("/questions/{id}/revisions"),
        "/search?q=payload".to_string(),
        "/questions.atom".to_string(),
        "/notifications".to_string(),
    ];
    for url in pages {
        let page = member.get(&url).await;
        assert!(page.status == 200, "{url}: {}", page.status);
        let lower = page.body.to_lowercase();
        for bad in [
            "<script>alert",
            "<iframe",
            "href=\"javascript:",
            "<img src=x",
        ] {
            assert!(!lower.contains(bad), "{url} contains {bad}");
        }
        // No real tag carries an event handler (escaped text may mention one).
        for tag in lower.split('<').skip(1).filter_map(|t| t.split('>').next()) {
            assert!(
                !tag.contains("onerror") && !tag.contains("onclick"),
                "{url}: <{tag}>"
            );
        }
    }
    let page = member.get(&path).await;
    page.assert_contains("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; payload title");
    page.assert_contains("&lt;img src=x onerror=alert(1)&gt;");
    page.assert_contains("href=\"/tags/btagb\"");
    // JSON-LD cannot break out of its script element.
    let ld_start = page.body.find("application/ld+json\">").expect("json-ld");
    let ld = &page.body[ld_start..ld_start + page.body[ld_start..].find("</script>").expect("end")];
    assert!(!ld.contains("<script") && !ld.contains("</"), "{ld}");
}

#[actix_web::test]
async fn lists_paginate_by_keyset_and_filter_by_tag() {
    let app = app();
    let member = app.member("pager").await;
    {
        let mut conn = app.started().state.db.get().expect("db");
        let user = signpost::db::models::users::find_by_key(&mut conn, "pager")
            .expect("q")
            .expect("u");
        let actor = signpost::service::questions::Actor {
            id: user.id,
            role: Role::Member,
        };
        for i in 0..65 {
            let tags = if i % 2 == 0 { "even" } else { "odd" };
            let draft = signpost::service::questions::validate_question(
                &format!("Generated question number {i:03}"),
                BODY,
                tags,
            )
            .expect("valid");
            signpost::service::questions::ask(&mut conn, actor, &draft, None, 1_700_000_000 + i)
                .expect("ask");
        }
    }
    let mut seen = Vec::new();
    let mut url = "/questions?tab=newest".to_string();
    for _ in 0..5 {
        let page = member.get(&url).await;
        for part in page.body.split("Generated question number ").skip(1) {
            seen.push(part[..3].to_string());
        }
        let Some(at) = page.body.find("class=\"next\" href=\"") else {
            break;
        };
        let rest = &page.body[at + "class=\"next\" href=\"".len()..];
        url = rest[..rest.find('"').expect("end")].replace("&amp;", "&");
        assert!(url.contains("after="), "{url}");
    }
    assert_eq!(seen.len(), 65, "every question exactly once across pages");
    assert_eq!(seen.first().map(String::as_str), Some("064"));
    assert_eq!(seen.last().map(String::as_str), Some("000"));
    let tagged = member.get("/tags/odd").await;
    assert!(tagged.body.contains("number 063") && !tagged.body.contains("number 064"));
    tagged.assert_contains("32 questions");
    member
        .get("/tags")
        .await
        .assert_contains("href=\"/tags/even\">even</a> <span class=\"meta\">× 33</span>");
    assert_eq!(member.get("/tags/nope").await.status, 404);
    // Odd cursors and tabs fall back to the first page rather than failing.
    for odd in [
        "/questions?after=garbage",
        "/questions?tab=weird&after=1_x",
        "/questions?after=-9223372036854775808_1&tab=top",
    ] {
        assert_eq!(member.get(odd).await.status, 200, "{odd}");
    }
    let unanswered = member.get("/questions?tab=unanswered").await;
    unanswered.assert_contains("number 064");
}

/// The question titles of every page of a list, following its "next" links.
async fn walk_titles(member: &crate::harness::Client<'_>, first: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut url = first.to_string();
    for _ in 0..10 {
        let page = member.get(&url).await;
        assert_eq!(page.status, 200, "{url}");
        for part in page.body.split("Sorted question ").skip(1) {
            seen.push(part[..3].to_string());
        }
        let Some(at) = page.body.find("class=\"next\" href=\"") else {
            return seen;
        };
        let rest = &page.body[at + "class=\"next\" href=\"".len()..];
        url = rest[..rest.find('"').expect("end")].replace("&amp;", "&");
    }
    panic!("more pages than expected from {first}");
}

#[actix_web::test]
async fn a_rare_tags_active_and_top_tabs_match_the_scanned_order() {
    use diesel::prelude::*;
    use signpost::db::schema::{questions as q, tags};
    let app = app();
    let member = app.member("sorter").await;
    {
        let mut conn = app.started().state.db.get().expect("db");
        let user = signpost::db::models::users::find_by_key(&mut conn, "sorter")
            .expect("q")
            .expect("u");
        let actor = signpost::service::questions::Actor {
            id: user.id,
            role: Role::Member,
        };
        for i in 0..70 {
            let tags = if i % 10 == 3 {
                "common"
            } else {
                "rare, common"
            };
            let draft = signpost::service::questions::validate_question(
                &format!("Sorted question {i:03} about the tray"),
                BODY,
                tags,
            )
            .expect("valid");
            let question = signpost::service::questions::ask(
                &mut conn,
                actor,
                &draft,
                None,
                1_700_000_000 + i,
            )
            .expect("ask");
            // Scores and activity out of the asking order, with ties that
            // only the id decides.
            diesel::update(q::table.find(question.id))
                .set((
                    q::score.eq(i32::try_from((i * 7) % 5).expect("small") - 2),
                    q::last_activity_at.eq(1_800_000_000 + (i * 13) % 9),
                ))
                .execute(&mut conn)
                .expect("sort keys");
        }
    }
    let mut orders = Vec::new();
    for count in [None, Some(50_000)] {
        if let Some(count) = count {
            // The same tag, now said to be common: the scanning plan.
            let mut conn = app.started().state.db.get().expect("db");
            diesel::update(tags::table.filter(tags::name.eq("rare")))
                .set(tags::question_count.eq(count))
                .execute(&mut conn)
                .expect("count");
        }
        let top = walk_titles(&member, "/tags/rare?tab=top").await;
        let active = walk_titles(&member, "/tags/rare?tab=active").await;
        assert_eq!(top.len(), 63, "every rare question once: {top:?}");
        assert_eq!(active.len(), 63, "every rare question once: {active:?}");
        orders.push((top, active));
    }
    assert_eq!(orders[0], orders[1], "rare and scanned plans agree");
    // The expected order, worked out here: highest key, then newest id.
    let expect = |key: fn(i64) -> i64| {
        let mut rows: Vec<(i64, i64)> = (0..70)
            .filter(|i| i % 10 != 3)
            .map(|i| (key(i), i))
            .collect();
        rows.sort_by(|a, b| b.cmp(a));
        rows.into_iter()
            .map(|(_, i)| format!("{i:03}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(orders[0].0, expect(|i| (i * 7) % 5 - 2));
    assert_eq!(orders[0].1, expect(|i| (i * 13) % 9));
}

#[actix_web::test]
async fn canonical_urls_feeds_sitemap_and_json_ld() {
    let app = app();
    let member = app.member("feed_fay").await;
    let q = member
        .asks("Cannot find the scan to email option", BODY, "scanner")
        .await;
    let (path, id) = (&q.path, q.id);
    let short = app.client().get(&format!("/questions/{id}")).await;
    assert_eq!(short.status, 301);
    assert_eq!(short.header("location"), *path);
    let wrong = app
        .client()
        .get(&format!("/questions/{id}/wrong-slug"))
        .await;
    assert_eq!(wrong.status, 301);
    assert_eq!(wrong.header("location"), *path);
    for missing in [
        "/questions/99999",
        "/questions/99999/x",
        "/questions/abc/x",
        "/questions/-1",
    ] {
        assert_eq!(app.client().get(missing).await.status, 404, "{missing}");
    }
    let feed = app.client().get("/questions.atom").await;
    assert!(feed
        .header("content-type")
        .starts_with("application/atom+xml"));
    feed.assert_contains("<title>Cannot find the scan to email option</title>");
    let tag_feed = app.client().get("/tags/scanner.atom").await;
    tag_feed.assert_contains("questions tagged scanner");
    let sitemap = app.client().get("/sitemap.xml").await;
    sitemap.assert_contains(&format!("<loc>http://127.0.0.1:8080{path}</loc>"));
    sitemap.assert_contains("<loc>http://127.0.0.1:8080/docs/guide</loc>");
    let page = app.client().get(path).await;
    page.assert_contains("\"@type\":\"QAPage\"");
    page.assert_contains("\"name\":\"Cannot find the scan to email option\"");
}

#[actix_web::test]
async fn flags_reach_the_staff_queue() {
    let app = app();
    let member = app.member("flagger").await;
    let staff = app.staff("queue_staff").await;
    let q = member
        .asks("Buy cheap toner at my shop now", BODY, "spam")
        .await;
    let reporter = app.member("reporter").await;
    assert_eq!(reporter.flags(&q, "spam").await.status, 303);
    assert_eq!(reporter.flags(&q, "bogus").await.status, 400);
    assert_eq!(reporter.flags_id(&q, "99999", "spam").await.status, 404);
    assert_eq!(reporter.get("/staff/flags").await.status, 403);
    assert_eq!(app.client().get("/staff/flags").await.status, 303);
    let queue = staff.get("/staff/flags").await;
    queue.assert_contains("Buy cheap toner at my shop now");
    queue.assert_contains("Spam or advertising");
    let flag_at = queue
        .body
        .find("action=\"/staff/flags/")
        .expect("flag form")
        + "action=\"/staff/flags/".len();
    let flag_id: String = queue.body[flag_at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert_eq!(
        staff
            .submit(
                "/staff/flags",
                &format!("/staff/flags/{flag_id}"),
                &[("action", "resolve")]
            )
            .await
            .status,
        303
    );
    assert!(!staff
        .get("/staff/flags")
        .await
        .body
        .contains("Buy cheap toner"));
    assert_eq!(
        staff
            .submit(
                "/staff/flags",
                &format!("/staff/flags/{flag_id}"),
                &[("action", "resolve")]
            )
            .await
            .status,
        404
    );
}

#[actix_web::test]
async fn new_accounts_have_posting_limits() {
    let app = app();
    let member = app.member("eager_ed").await;
    for i in 0..3 {
        member
            .asks(&format!("Question from a new account {i}"), BODY, "limits")
            .await;
    }
    let page = member
        .tries_to_ask("One more question too many", BODY, "limits")
        .await;
    assert_eq!(page.status, 429);
    assert!(
        page.header("retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s > 0),
        "a refused post says when to retry"
    );
    page.assert_contains("Too many attempts");
    page.assert_contains("value=\"One more question too many\"");
}

#[actix_web::test]
async fn preview_of_deeply_nested_markdown_answers_fast() {
    let app = app();
    let member = app.signed_in("nesting_nell", Role::Member).await;
    let token = member.csrf("/questions/ask").await;
    // Each within the body limit; unbounded, each took 1 to 4 seconds.
    let n = 28_000;
    let bodies = [
        ("nested quotes", "> ".repeat(n / 2) + "deepest"),
        ("nested bullets", "- ".repeat(n / 2) + "deepest"),
        ("nested numbers", "1. ".repeat(n / 3) + "deepest"),
        ("mixed", "> - 1. ".repeat(n / 7) + "deepest"),
        ("raw html lists", "<ul><li>".repeat(n / 8) + "deepest"),
        (
            "nested emphasis",
            "*".repeat(n / 2 - 8) + "deepest" + &"*".repeat(n / 2 - 8),
        ),
    ];
    for (name, body) in bodies {
        let started = std::time::Instant::now();
        let preview = member
            .post("/api/preview", &[("csrf", &token), ("body", &body)])
            .await;
        let took = started.elapsed();
        assert_eq!(preview.status, 200, "{name}: {}", preview.body);
        assert!(
            took < std::time::Duration::from_secs(1),
            "{name} took {took:?}"
        );
        assert!(preview.body.contains("deepest"), "{name}: text lost");
    }
}

#[actix_web::test]
async fn the_flag_queue_links_flagged_questions_and_answers() {
    let app = app();
    let asker = app.member("queue_asker").await;
    let helper = app.member("queue_helper").await;
    let reporter = app.member("queue_reporter").await;
    let staff = app.staff("queue_reader").await;
    let first = asker
        .asks("Toner warning after a refill", BODY, "toner")
        .await;
    let second = asker
        .asks("Scanner lid sensor reports open", BODY, "scanner")
        .await;
    let answer = helper
        .answers(
            &second,
            "Visit my shop for a cheap replacement sensor today.",
        )
        .await;
    assert_eq!(reporter.flags(&first, "rude").await.status, 303);
    assert_eq!(reporter.flags(&answer, "spam").await.status, 303);
    let queue = staff.get("/staff/flags").await;
    assert_eq!(queue.status, 200);
    queue.assert_contains(&format!(
        "href=\"{}\">Toner warning after a refill</a>",
        first.path
    ));
    queue.assert_contains(&format!(
        "href=\"{}#answer-{}\">Visit my shop for a cheap replacement sensor today.</a>",
        second.path, answer.id
    ));
    queue.assert_contains("Rude or abusive");
    queue.assert_contains("Spam or advertising");
    assert_eq!(queue.body.matches("action=\"/staff/flags/").count(), 4);
}

#[actix_web::test]
async fn notifications_on_several_questions_list_each_with_its_link() {
    let app = app();
    let asker = app.member("busy_asker").await;
    let helper = app.member("busy_helper").await;
    let mut asked = Vec::new();
    for title in [
        "Duplex printing skips pages",
        "Fax tone never arrives",
        "Cartridge not recognised",
    ] {
        let q = asker.asks(title, BODY, "printer").await;
        let a = helper
            .answers(&q, "Turn it off and on again, then run the wizard.")
            .await;
        asked.push((title, a));
    }
    let inbox = asker.get("/notifications").await;
    assert_eq!(inbox.status, 200);
    let mut last_at = usize::MAX;
    for (title, a) in &asked {
        let link = format!("href=\"{}#answer-{}\"", a.question.path, a.id);
        inbox.assert_contains(&link);
        inbox.assert_contains(&format!(
            "New answer on your question \u{201c}{title}\u{201d}"
        ));
        // Newest first: each earlier question appears further down.
        let at = inbox.body.find(&link).expect("listed");
        assert!(at < last_at, "{title} is listed before the older ones");
        last_at = at;
    }
}

/// A tag's newest list is read from the tag's own rows, which must keep
/// their question's age: a question whose tags were edited later stays
/// where its date puts it, on every page of the tag and of the tab.
#[actix_web::test]
async fn a_tag_edit_keeps_the_question_in_its_place_in_the_tag_list() {
    use signpost::db::models::questions::{list_page, Cursor, Tab};
    use signpost::kinds::PostKind;
    let app = app();
    app.member("dated").await;
    let mut conn = app.started().state.db.get().expect("db");
    let actor = signpost::service::questions::Actor {
        id: app.user_id("dated"),
        role: Role::Member,
    };
    let asked: Vec<_> = (0..4)
        .map(|i| {
            let draft = signpost::service::questions::validate_question(
                &format!("Dated printer question number {i}"),
                BODY,
                "printer",
            )
            .expect("valid");
            signpost::service::questions::ask(&mut conn, actor, &draft, None, 1_700_000_000 + i)
                .expect("ask")
        })
        .collect();
    // The oldest one gets a second tag much later.
    let edited =
        signpost::service::questions::validate_question(&asked[0].title, BODY, "printer, wifi")
            .expect("valid");
    let base = revisions::latest_id(&mut conn, PostKind::Question, asked[0].id.0).expect("rev");
    signpost::service::questions::edit_question(
        &mut conn,
        actor,
        asked[0].id,
        &edited,
        "",
        base,
        1_700_500_000,
    )
    .expect("edit");
    let tag = signpost::db::models::tags::find(&mut conn, "printer")
        .expect("tag")
        .expect("printer")
        .id;
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = list_page(&mut conn, Tab::Newest, Some(tag), cursor, 2).expect("page");
        let Some(last) = page.last() else { break };
        cursor = Some(Cursor {
            value: Tab::Newest.sort_value(last),
            id: last.id,
        });
        seen.extend(page.iter().map(|q| q.id));
    }
    let newest_first: Vec<_> = asked.iter().rev().map(|q| q.id).collect();
    assert_eq!(seen, newest_first, "by asking date, the edited one last");
}
