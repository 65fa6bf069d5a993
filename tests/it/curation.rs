//! Staff curation: browser editing, revisions, conflicts, the file rule,
//! promoting answers, feedback and the dashboard.

use signpost::db::models::{article_revisions, articles, feedback, manuals, search_log};
use signpost::search::SearchRequest;

use crate::fixtures::{article, field_value, router_tree, save_from_form, submit_edit};
use crate::harness::{csrf_of, result_urls, Client, TestApp};

fn reset_article() -> String {
    article(
        "Reset the router",
        1,
        "Hold the reset button for ten seconds.",
    )
}

fn app() -> TestApp {
    let app = TestApp::guide()
        .article("guide/reset", &reset_article())
        .start();
    app.wait_indexed();
    app
}

fn manual_id(app: &TestApp) -> String {
    let mut conn = app.started().state.db.get().expect("db");
    manuals::find_by_slug(&mut conn, "guide")
        .expect("q")
        .expect("manual")
        .id
        .to_string()
}

fn hidden(body: &str, name: &str) -> String {
    field_value(body, name).unwrap_or_else(|| panic!("no {name}"))
}

async fn save_new(
    staff: &Client<'_>,
    manual: &str,
    title: &str,
    status: &str,
    body: &str,
) -> String {
    let page = staff
        .submit(
            "/staff/articles/new",
            "/staff/articles/new",
            &[
                ("manual_id", manual),
                ("title", title),
                ("status", status),
                ("body", body),
                ("weight", "5"),
                ("tags", "wifi"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    page.header("location").to_string()
}

#[actix_web::test]
async fn drafts_are_staff_only_until_published() {
    let app = app();
    let staff = app.staff("writer_wes").await;
    let manual = manual_id(&app);
    let path = save_new(
        &staff,
        &manual,
        "Pair a phone over bluetooth",
        "draft",
        "Open the **pairing** menu and choose the phone.",
    )
    .await;
    assert_eq!(path, "/docs/guide/pair-a-phone-over-bluetooth");
    assert_eq!(app.client().get(&path).await.status, 404);
    let member = app.member("curious_cat").await;
    assert_eq!(member.get(&path).await.status, 404);
    let page = staff.get(&path).await;
    assert_eq!(page.status, 200);
    page.assert_contains("<strong>Draft.</strong>");
    page.assert_contains("<strong>pairing</strong>");
    assert!(!app
        .client()
        .get("/docs/guide")
        .await
        .body
        .contains("Pair a phone"));
    staff
        .get("/docs/guide")
        .await
        .assert_contains("Pair a phone over bluetooth</a> <span class=\"badge\">draft</span>");
    app.wait_indexed();
    let search = |app: &TestApp| {
        app.started()
            .state
            .search
            .search(&SearchRequest {
                text: "bluetooth",
                kind: None,
                limit: 5,
                offset: 0,
            })
            .expect("s")
            .total
    };
    assert_eq!(search(&app), 0, "drafts are not searchable");
    // Publish.
    let page = submit_edit(
        &staff,
        &format!("{path}/edit"),
        &[
            ("manual_id", &manual),
            ("title", "Pair a phone over bluetooth"),
            ("status", "published"),
            ("body", "Open the **pairing** menu and choose the phone."),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(page.status, 303);
    assert_eq!(app.client().get(&path).await.status, 200);
    app.wait_indexed();
    assert_eq!(search(&app), 1);
    // Outdated needs a reason, which customers then see.
    let edit_path = format!("{path}/edit");
    let edit = staff.get(&edit_path).await;
    let outdated = |reason| {
        [
            ("manual_id", manual.as_str()),
            ("title", "Pair a phone over bluetooth"),
            ("status", "outdated"),
            ("outdated_reason", reason),
            ("body", "x"),
            ("action", "save"),
        ]
    };
    let page = save_from_form(&staff, &edit_path, &edit, &outdated("")).await;
    assert_eq!(page.status, 422);
    page.assert_contains("Say why the article is outdated");
    save_from_form(
        &staff,
        &edit_path,
        &edit,
        &outdated("Newer phones pair with NFC."),
    )
    .await;
    app.client()
        .get(&path)
        .await
        .assert_contains("This article is out of date.</strong> Newer phones pair with NFC.");
}

#[actix_web::test]
async fn revisions_list_diff_and_restore() {
    let app = app();
    let staff = app.staff("rev_rita").await;
    let manual = manual_id(&app);
    let path = save_new(
        &staff,
        &manual,
        "Update the firmware",
        "published",
        "Step one.\nStep two.\n",
    )
    .await;
    for body in [
        "Step one.\nStep two, carefully.\n",
        "Step one.\nStep two, carefully.\nStep three.\n",
    ] {
        let page = submit_edit(
            &staff,
            &format!("{path}/edit"),
            &[
                ("manual_id", &manual),
                ("title", "Update the firmware"),
                ("status", "published"),
                ("body", body),
                ("note", "clarify"),
                ("action", "save"),
            ],
        )
        .await;
        assert_eq!(page.status, 303, "{}", page.body);
    }
    let history = staff.get(&format!("{path}/revisions")).await;
    assert_eq!(history.status, 200);
    history.assert_contains("#3");
    history.assert_contains("clarify");
    history.assert_contains("<a class=\"user\" href=\"/users/rev_rita\">rev_rita</a>");
    let id = {
        let mut conn = app.started().state.db.get().expect("db");
        let article = articles::find_in_manual(
            &mut conn,
            signpost::ids::ManualId(manual.parse().expect("id")),
            "update-the-firmware",
        )
        .expect("q")
        .expect("a");
        article_revisions::for_article(&mut conn, article.id)
            .expect("revs")
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    let (newest, oldest) = (id[0], id[2]);
    let diff = staff
        .get(&format!("{path}/diff?from={oldest}&to={newest}"))
        .await;
    diff.assert_contains("<span class=\"diff-removed\">- Step two.</span>");
    diff.assert_contains("<span class=\"diff-added\">+ Step two, carefully.</span>");
    diff.assert_contains("<span class=\"diff-added\">+ Step three.</span>");
    assert_eq!(
        staff
            .get(&format!("{path}/diff?from=x&to={newest}"))
            .await
            .status,
        400
    );
    assert_eq!(
        staff.get(&format!("{path}/revisions/999999")).await.status,
        404
    );
    let view = staff.get(&format!("{path}/revisions/{oldest}")).await;
    view.assert_contains("Restore this revision");
    let page = staff
        .submit(
            &format!("{path}/revisions/{oldest}"),
            &format!("{path}/revisions/{oldest}/restore"),
            &[],
        )
        .await;
    assert_eq!(page.status, 303);
    let article = app.client().get(&path).await;
    assert!(article.body.contains("Step two.") && !article.body.contains("Step three"));
    staff
        .get(&format!("{path}/revisions"))
        .await
        .assert_contains(&format!("Restored revision {oldest}"));
}

async fn save_edit(
    client: &Client<'_>,
    path: &str,
    manual: &str,
    form: &crate::harness::Page,
    body: &str,
) -> crate::harness::Page {
    save_from_form(
        client,
        &format!("{path}/edit"),
        form,
        &[
            ("manual_id", manual),
            ("title", "Reset the router"),
            ("status", "published"),
            ("body", body),
            ("action", "save"),
        ],
    )
    .await
}

#[actix_web::test]
async fn a_stale_save_is_refused_with_both_versions() {
    let app = app();
    let anna = app.staff("anna_staff").await;
    let ben = app.staff("ben_staff").await;
    let manual = manual_id(&app);
    let path = "/docs/guide/reset";
    let anna_form = anna.get(&format!("{path}/edit")).await;
    let ben_form = ben.get(&format!("{path}/edit")).await;
    assert_eq!(
        save_edit(
            &anna,
            path,
            &manual,
            &anna_form,
            "Anna: hold reset for 30 seconds."
        )
        .await
        .status,
        303
    );
    let conflict = save_edit(
        &ben,
        path,
        &manual,
        &ben_form,
        "Ben: unplug the router first.",
    )
    .await;
    assert_eq!(conflict.status, 409);
    conflict.assert_contains("Someone saved a newer version");
    conflict.assert_contains("anna_staff");
    conflict.assert_contains("Anna: hold reset for 30 seconds.");
    conflict.assert_contains("Ben: unplug the router first.</textarea>");
    // Nothing was lost: Anna's text is live; Ben can now save on top of it deliberately.
    app.client()
        .get(path)
        .await
        .assert_contains("Anna: hold reset for 30 seconds.");
    let merged = save_edit(
        &ben,
        path,
        &manual,
        &conflict,
        "Unplug the router first, then hold reset for 30 seconds.",
    )
    .await;
    assert_eq!(merged.status, 303);
    app.client()
        .get(path)
        .await
        .assert_contains("Unplug the router first, then hold reset");
}

#[actix_web::test]
async fn browser_edits_detach_file_backed_articles_and_can_be_reattached() {
    let mut app = app();
    let staff = app.staff("file_fran").await;
    let manual = manual_id(&app);
    let edit = staff.get("/docs/guide/reset/edit").await;
    edit.assert_contains("This article comes from the file");
    let page = save_edit(
        &staff,
        "/docs/guide/reset",
        &manual,
        &edit,
        "Browser text: use a paperclip.",
    )
    .await;
    assert_eq!(page.status, 303);
    // The file changes too; the next start keeps the browser version and says so.
    app.write_content(
        "manuals/guide/reset.md",
        &reset_article().replace("ten seconds", "twenty seconds"),
    );
    app.restart().expect("restart");
    let sync = &app.started().sync;
    assert_eq!(sync.detached.len(), 1, "{:?}", sync.detached);
    assert!(
        sync.detached[0].contains("reset.md differs from the article edited in the browser"),
        "{}",
        sync.detached[0]
    );
    let staff = app.client();
    staff
        .login("file_fran", crate::harness::TEST_PASSWORD)
        .await;
    app.client()
        .get("/docs/guide/reset")
        .await
        .assert_contains("Browser text: use a paperclip.");
    // Removing the file does not remove a browser-owned article either.
    let edit = staff.get("/docs/guide/reset/edit").await;
    edit.assert_contains("the file <code>");
    let page = staff
        .submit("/docs/guide/reset/edit", "/docs/guide/reset/reattach", &[])
        .await;
    assert_eq!(page.status, 303);
    app.restart().expect("restart");
    app.wait_indexed();
    app.client()
        .get("/docs/guide/reset")
        .await
        .assert_contains("twenty seconds");
    let mut conn = app.started().state.db.get().expect("db");
    let m = manuals::find_by_slug(&mut conn, "guide")
        .expect("q")
        .expect("m");
    let article = articles::find_in_manual(&mut conn, m.id, "reset")
        .expect("q")
        .expect("a");
    assert!(article.source_path.is_some() && article.detached_path.is_none());
    let notes: Vec<String> = article_revisions::for_article(&mut conn, article.id)
        .expect("revs")
        .into_iter()
        .map(|r| r.note)
        .collect();
    assert!(
        notes.iter().any(|n| n.starts_with("From ")),
        "file versions are revisions too: {notes:?}"
    );
}

#[actix_web::test]
async fn an_accepted_answer_becomes_an_article_with_credit() {
    let app = app();
    let asker = app.member("ask_amy").await;
    let helper = app.member("help_hal").await;
    let staff = app.staff("promo_pat").await;
    let q = asker
        .asks(
            "Router drops wifi every night",
            "Every night at 2am the wifi goes away for ten minutes.",
            "wifi",
        )
        .await;
    let (question, qid) = (&q.path, q.id);
    let a = helper
        .answers(&q, "Turn off the nightly channel scan in the admin panel.")
        .await;
    // No article from an unsolved question.
    assert_eq!(
        staff
            .get(&format!("/staff/articles/new?from_question={qid}"))
            .await
            .status,
        409
    );
    asker.accepts(&a).await;
    staff.get(question).await.assert_contains(&format!(
        "href=\"/staff/articles/new?from_question={qid}\">Turn into article</a>"
    ));
    assert!(!asker.get(question).await.body.contains("Turn into article"));
    let form = staff
        .get(&format!("/staff/articles/new?from_question={qid}"))
        .await;
    form.assert_contains("value=\"Router drops wifi every night\"");
    form.assert_contains("Turn off the nightly channel scan in the admin panel.");
    form.assert_contains("[help_hal](/users/help_hal)");
    form.assert_contains(&format!("name=\"from_question\" value=\"{qid}\""));
    let page = staff
        .post(
            "/staff/articles/new",
            &[
                ("csrf", &csrf_of(&form.body).expect("csrf")),
                ("from_question", &qid.to_string()),
                ("manual_id", &manual_id(&app)),
                ("title", "Stop nightly wifi drops"),
                ("status", "published"),
                ("body", &hidden_textarea(&form.body)),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let article_path = page.header("location").to_string();
    let article = app.client().get(&article_path).await;
    article.assert_contains("Based on the accepted answer by <a href=\"/users/help_hal\" rel=\"noopener noreferrer\">help_hal</a>");
    article.assert_contains(&format!(
        "href=\"{question}\">a question answered by the community</a>"
    ));
    app.client().get(question).await.assert_contains(&format!(
        "This question became an article: <a href=\"{article_path}\">"
    ));
    assert!(!staff.get(question).await.body.contains("Turn into article"));
}

fn hidden_textarea(body: &str) -> String {
    let start = body
        .find("<textarea id=\"body\" name=\"body\" rows=\"22\">")
        .expect("textarea")
        + "<textarea id=\"body\" name=\"body\" rows=\"22\">".len();
    let end = start + body[start..].find("</textarea>").expect("end");
    body[start..end]
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[actix_web::test]
async fn helpful_votes_count_once_per_visitor_with_comments() {
    let app = app();
    let reader = app.client();
    let page = reader.get("/docs/guide/reset").await;
    page.assert_contains("Was this helpful?");
    let target = hidden(&page.body, "target");
    let token = csrf_of(&page.body).expect("anonymous readers get a form token");
    let vote = |helpful: &'static str| {
        let token = token.clone();
        let target = target.clone();
        let reader = &reader;
        async move {
            reader
                .post(
                    "/feedback",
                    &[
                        ("csrf", &token),
                        ("kind", "article"),
                        ("target", &target),
                        ("helpful", helpful),
                        ("back", "/docs/guide/reset"),
                    ],
                )
                .await
        }
    };
    let first = vote("yes").await;
    assert_eq!(first.status, 303);
    assert_eq!(
        first.header("location"),
        "/docs/guide/reset?feedback=thanks#feedback"
    );
    reader
        .get("/docs/guide/reset?feedback=thanks")
        .await
        .assert_contains("Thank you for your feedback.");
    vote("yes").await;
    let no = vote("no").await;
    let location = no.header("location").to_string();
    assert!(
        location.starts_with("/docs/guide/reset?feedback=more&fb="),
        "{location}"
    );
    let form = reader.get(location.split('#').next().unwrap_or("")).await;
    form.assert_contains("What was missing or wrong?");
    let fb = location
        .split("fb=")
        .nth(1)
        .and_then(|s| s.split('#').next())
        .expect("fb")
        .to_string();
    let page = reader
        .post(
            &format!("/feedback/{fb}/comment"),
            &[
                ("csrf", &token),
                ("comment", "Which button? There are two."),
                ("back", "/docs/guide/reset"),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    // Someone else cannot attach a comment to this vote.
    let stranger = app.client();
    let other_token = csrf_of(&stranger.get("/docs/guide/reset").await.body).expect("csrf");
    assert_eq!(
        stranger
            .post(
                &format!("/feedback/{fb}/comment"),
                &[("csrf", &other_token), ("comment", "spam"), ("back", "/")]
            )
            .await
            .status,
        404
    );
    stranger
        .post(
            "/feedback",
            &[
                ("csrf", &other_token),
                ("kind", "article"),
                ("target", &target),
                ("helpful", "no"),
                ("back", "/docs/guide/reset"),
            ],
        )
        .await;
    let mut conn = app.started().state.db.get().expect("db");
    let totals = feedback::totals(&mut conn, signpost::kinds::DocKind::Article).expect("totals");
    assert_eq!(
        totals,
        vec![(target.parse::<i32>().expect("id"), 0, 2)],
        "one vote per visitor, changeable"
    );
    assert_eq!(
        feedback::comments(
            &mut conn,
            signpost::kinds::DocKind::Article,
            target.parse().expect("id"),
            5
        )
        .expect("c"),
        vec!["Which button? There are two.".to_string()]
    );
    drop(conn);
    // Bad input gets a clear answer, not a 500.
    assert_eq!(
        reader
            .post(
                "/feedback",
                &[
                    ("csrf", &token),
                    ("kind", "article"),
                    ("target", "99999"),
                    ("helpful", "yes"),
                    ("back", "/")
                ]
            )
            .await
            .status,
        404
    );
    assert_eq!(
        reader
            .post(
                "/feedback",
                &[
                    ("csrf", &token),
                    ("kind", "poem"),
                    ("target", &target),
                    ("helpful", "yes")
                ]
            )
            .await
            .status,
        400
    );
    assert_eq!(
        reader
            .post(
                "/feedback",
                &[("kind", "article"), ("target", &target), ("helpful", "yes")]
            )
            .await
            .status,
        403
    );
    let offsite = reader
        .post(
            "/feedback",
            &[
                ("csrf", &token),
                ("kind", "article"),
                ("target", &target),
                ("helpful", "yes"),
                ("back", "https://evil.example/"),
            ],
        )
        .await;
    assert!(
        offsite.header("location").starts_with("/?feedback="),
        "{}",
        offsite.header("location")
    );
}

#[actix_web::test]
async fn dashboard_numbers_match_the_seeded_data() {
    let app = TestApp::guide()
        .article("guide/reset", &reset_article())
        .article(
            "guide/cables",
            "+++\ntitle = \"Cables\"\noutdated = \"Old connectors.\"\n+++\nUse the grey cable.\n",
        )
        .tree("router", &router_tree())
        .start();
    app.wait_indexed();
    // Searches: one that finds nothing (twice), one with a click, one without.
    for q in ["flux capacitor", "Flux Capacitor", "reset", "cable"] {
        app.client()
            .get(&format!("/search?q={}", q.replace(' ', "+")))
            .await;
    }
    let results = app.client().get("/search?q=reset").await;
    let click = results
        .body
        .split("href=\"/search/click?")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("click link")
        .replace("&amp;", "&");
    let clicked = app.client().get(&format!("/search/click?{click}")).await;
    assert_eq!(clicked.status, 303);
    assert_eq!(clicked.header("location"), result_urls(&results.body)[0]);
    let off_site = app
        .client()
        .get("/search/click?s=1&p=1&u=https%3A%2F%2Fevil.example")
        .await;
    assert_eq!(off_site.status, 400, "an off-site result link is refused");
    assert_eq!(off_site.header("location"), "");
    // Feedback: "Cables" gets a no with a comment, "reset" a yes.
    let reader = app.client();
    for (slug, helpful) in [("cables", "no"), ("reset", "yes")] {
        let page = reader.get(&format!("/docs/guide/{slug}")).await;
        let r = reader
            .post(
                "/feedback",
                &[
                    ("csrf", &csrf_of(&page.body).expect("csrf")),
                    ("kind", "article"),
                    ("target", &hidden(&page.body, "target")),
                    ("helpful", helpful),
                    ("back", "/"),
                ],
            )
            .await;
        if helpful == "no" {
            let fb = r
                .header("location")
                .split("fb=")
                .nth(1)
                .and_then(|s| s.split('#').next())
                .expect("fb")
                .to_string();
            reader
                .post(
                    &format!("/feedback/{fb}/comment"),
                    &[
                        ("csrf", &csrf_of(&page.body).expect("csrf")),
                        ("comment", "Which connector is grey?"),
                        ("back", "/"),
                    ],
                )
                .await;
        }
    }
    // Walks: two browsers stop at the question, one reaches the fix and says it worked.
    for _ in 0..2 {
        app.client().get("/troubleshoot/router").await;
    }
    let walker = app.client();
    let fix = walker.get("/troubleshoot/router?lights=yes").await;
    walker
        .post(
            "/troubleshoot/router/outcome",
            &[
                ("csrf", &csrf_of(&fix.body).expect("csrf")),
                ("outcome", "resolved"),
                ("answers", "lights=yes"),
            ],
        )
        .await;
    // Walks without an outcome count as abandoned once they are old.
    {
        use diesel::prelude::*;
        use signpost::db::schema::tree_walks::dsl as w;
        let mut conn = app.started().state.db.get().expect("db");
        diesel::update(w::tree_walks.filter(w::outcome.is_null()))
            .set(w::updated_at.eq(1))
            .execute(&mut conn)
            .expect("age walks");
    }
    let staff = app.staff("dash_dora").await;
    let page = staff.get("/staff").await;
    assert_eq!(page.status, 200);
    page.assert_contains(
        "<a href=\"/search?q=flux+capacitor\">flux capacitor</a> <span class=\"meta\">× 2</span>",
    );
    page.assert_contains("<a href=\"/search?q=cable\">cable</a>");
    page.assert_contains("Cables</a> <span class=\"meta\">100% unhelpful (1 no, 0 yes)</span>");
    page.assert_contains("“Which connector is grey?”");
    assert!(
        !page
            .body
            .contains("Reset the router</a> <span class=\"meta\">"),
        "a helpful article is not on the worst list"
    );
    page.assert_contains("Old connectors.");
    page.assert_contains("<td><a href=\"/troubleshoot/router\">Router is down</a></td><td>3</td><td>1 (33%)</td><td>0</td><td>2</td><td>Are the lights on? <span class=\"meta\">(2)</span></td>");
    page.assert_contains("<svg class=\"chart\"");
    let mut conn = app.started().state.db.get().expect("db");
    let (zero, no_click) = search_log::content_gaps(&mut conn, 0, 10).expect("gaps");
    assert_eq!(zero[0].query, "flux capacitor");
    assert_eq!(zero[0].count, 2);
    assert!(
        no_click.iter().any(|q| q.query == "cable")
            && !no_click.iter().any(|q| q.query == "reset" && q.count > 1)
    );
}
