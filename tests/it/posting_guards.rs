//! Posting, previews, edits and revision history under abuse: length limits
//! on every preview, rate limits on previews and edits, bounded history
//! pages, stale saves refused, and idempotency keys scoped to their author.

use signpost::auth::Role;
use signpost::db::models::{answers, questions, revisions};
use signpost::service::questions::{self as qa_service, Actor, EditOutcome};

use crate::fixtures::{id_of, plain_article, save_from_form, Post, BODY};
use crate::harness::{csrf_of, Page, TestApp};
use crate::qa::app;

/// A `href` as the browser reads it (tera escapes `/` in attributes).
fn unescape(href: &str) -> String {
    href.replace("&#x2F;", "/").replace("&amp;", "&")
}

/// The target of the first link whose text is `label`.
fn link_labelled(page: &Page, label: &str) -> Option<String> {
    let end = page.body.find(&format!("\">{label}</a>"))?;
    let start = page.body[..end].rfind("href=\"")? + "href=\"".len();
    Some(unescape(&page.body[start..end]))
}

/// `Retry-After` in seconds, when present and positive.
fn retry_after(page: &Page) -> Option<u64> {
    page.header("retry-after")
        .parse::<u64>()
        .ok()
        .filter(|s| *s > 0)
}

#[actix_web::test]
async fn previews_refuse_texts_over_the_posting_limits_before_rendering() {
    let app = app();
    let member = app.member("long_lena").await;
    let huge = "**bold** ".repeat(3_400);
    assert!(huge.trim().chars().count() > 30_000);
    let page = member
        .previews_question("A preview of a huge body", &huge, "limits")
        .await;
    assert_eq!(page.status, 422, "an over-long preview is refused");
    page.assert_contains("at most 30000 characters");
    assert!(
        !page.body.contains("<strong>bold</strong>"),
        "nothing was rendered"
    );
    assert!(
        page.body.contains(huge.trim_end()),
        "the typed text is kept"
    );
    let long_title = "t".repeat(151);
    let page = member
        .previews_question(&long_title, "**short** body that is fine", "limits")
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("at most 150 characters");
    assert!(!page.body.contains("<strong>short</strong>"));
    // The JSON preview has the same body limit, answered as JSON.
    let token = member.csrf("/questions/ask").await;
    let json = member
        .post("/api/preview", &[("csrf", &token), ("body", &huge)])
        .await;
    assert_eq!(json.status, 400);
    assert!(json.header("content-type").starts_with("application/json"));
    let value: serde_json::Value = serde_json::from_str(&json.body).expect("json error");
    assert!(
        value["error"]
            .as_str()
            .is_some_and(|e| e.contains("at most 30000 characters")),
        "{value}"
    );
}

#[actix_web::test]
async fn previews_have_their_own_rate_limit() {
    let app = app();
    let member = app.member("preview_pete").await;
    let token = member.csrf("/questions/ask").await;
    for i in 0..120 {
        let page = member
            .post(
                "/api/preview",
                &[("csrf", &token), ("body", &format!("*preview {i}*"))],
            )
            .await;
        assert_eq!(page.status, 200, "preview {i}: {}", page.body);
    }
    let refused = member
        .post("/api/preview", &[("csrf", &token), ("body", "*one more*")])
        .await;
    assert_eq!(refused.status, 429);
    assert!(retry_after(&refused).is_some(), "Retry-After is set");
    assert!(refused
        .header("content-type")
        .starts_with("application/json"));
    assert!(!refused.body.contains("<em>one more</em>"));
    // The Preview button of the ask form draws on the same budget, and keeps
    // what was typed.
    let page = member
        .previews_question(
            "Previewing far too often",
            "*emphasis* in a body long enough",
            "limits",
        )
        .await;
    assert_eq!(page.status, 429);
    assert!(retry_after(&page).is_some());
    page.assert_contains("Too many attempts");
    page.assert_contains("value=\"Previewing far too often\"");
    assert!(!page.body.contains("<em>emphasis</em>"));
    // Another member is not affected.
    let other = app.member("preview_polly").await;
    let token = other.csrf("/questions/ask").await;
    let page = other
        .post("/api/preview", &[("csrf", &token), ("body", "*fine*")])
        .await;
    assert_eq!(page.status, 200);
}

#[actix_web::test]
async fn answers_over_the_limit_are_refused_with_retry_after_and_the_text_kept() {
    let app = app();
    let asker = app.member("limit_asker").await;
    let helper = app.member("eager_helper").await;
    let q = asker
        .asks("Answers from a brand new account", BODY, "limits")
        .await;
    for i in 0..10 {
        helper
            .answers(&q, &format!("Answer number {i} with enough text."))
            .await;
    }
    let page = helper
        .tries_to_answer(&q, "The eleventh answer within the hour.")
        .await;
    assert_eq!(page.status, 429);
    assert!(retry_after(&page).is_some(), "Retry-After is set");
    page.assert_contains("Too many attempts");
    page.assert_contains("The eleventh answer within the hour.</textarea>");
}

#[actix_web::test]
async fn edits_are_rate_limited_and_staff_are_exempt() {
    let app = app();
    let member = app.member("busy_editor").await;
    let q = member
        .asks("A question edited far too often", BODY, "limits")
        .await;
    let mut saved = 0;
    let mut refused = 0;
    for i in 0..120 {
        let body = format!("{BODY} Edit number {i}.");
        let page = member
            .edits(
                &q,
                &[
                    ("title", "A question edited far too often"),
                    ("body", &body),
                    ("tags", "limits"),
                ],
            )
            .await;
        match page.status {
            303 => {
                assert_eq!(refused, 0, "edit {i} saved after a refusal");
                saved += 1;
            }
            429 => {
                assert!(retry_after(&page).is_some(), "Retry-After is set");
                assert!(page.body.contains(&body), "the typed text is kept");
                refused += 1;
            }
            other => panic!("edit {i}: unexpected {other}: {}", page.body),
        }
    }
    assert_eq!(
        (saved, refused),
        (10, 110),
        "new accounts: 10 edits an hour"
    );
    let mut conn = app.started().state.db.get().expect("db");
    let stored = revisions::for_post(&mut conn, signpost::kinds::PostKind::Question, q.id.into())
        .expect("revisions");
    assert_eq!(stored.len(), 11, "the question and its 10 allowed edits");
    drop(conn);
    // Answers share the edit budget.
    let staff = app.staff("tireless_staff").await;
    let a = member.answers(&q, "An answer from the busy editor.").await;
    let page = member
        .edits(&a, &[("body", "An answer from the busy editor, edited.")])
        .await;
    assert_eq!(page.status, 429);
    // Staff edit on behalf of the site.
    for i in 0..15 {
        let body = format!("{BODY} Tidied by staff, pass {i}.");
        let page = staff
            .edits(
                &q,
                &[
                    ("title", "A question edited far too often"),
                    ("body", &body),
                    ("tags", "limits"),
                ],
            )
            .await;
        assert_eq!(page.status, 303, "staff edit {i}: {}", page.body);
    }
}

/// A long body (about 27 000 characters on 450 lines) that differs on every
/// line from the one of any other `edit`.
fn long_body(edit: usize) -> String {
    (0..450)
        .map(|line| format!("edit {edit} line {line}: the quick brown fox jumps over the dog"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[actix_web::test]
async fn revision_history_is_paginated_and_each_page_is_bounded() {
    let app = app();
    let author = Actor {
        id: app.create_user("long_historian", Role::Member),
        role: Role::Member,
    };
    let staff = Actor {
        id: app.create_user("history_staff", Role::Staff),
        role: Role::Staff,
    };
    let title = "A question with a very long history";
    let mut conn = app.started().state.db.get().expect("db");
    let now = signpost::db::unix_now();
    let draft = qa_service::validate_question(title, &long_body(1), "history").expect("valid");
    let id = qa_service::ask(&mut conn, author, &draft, None, now)
        .expect("ask")
        .id;
    for edit in 2..=60 {
        let draft =
            qa_service::validate_question(title, &long_body(edit), "history").expect("valid");
        let base = revisions::latest_id(&mut conn, signpost::kinds::PostKind::Question, id.into())
            .expect("latest");
        let outcome =
            qa_service::edit_question(&mut conn, staff, id, &draft, "", base, now).expect("edit");
        assert!(matches!(outcome, EditOutcome::Saved(_)));
    }
    drop(conn);
    let anonymous = app.client();
    let first = anonymous.get(&format!("/questions/{id}/revisions")).await;
    assert_eq!(first.status, 200);
    assert!(
        first.body.len() < 500_000,
        "a history page is bounded, got {} bytes",
        first.body.len()
    );
    first.assert_contains("<h2>Revision 60</h2>");
    first.assert_contains("<h2>Revision 41</h2>");
    assert!(!first.body.contains("<h2>Revision 40</h2>"));
    first.assert_contains("diff-added\">+ edit 60 line 0:");
    first.assert_contains("Too large to diff");
    assert!(link_labelled(&first, "Newer revisions").is_none());
    // A revision too large to diff links to its full text.
    let full = link_labelled(&first, "view the full revision").expect("full text link");
    let page = anonymous.get(&full).await;
    assert_eq!(page.status, 200, "{full}");
    page.assert_contains("line 449: the quick brown fox");

    let older = link_labelled(&first, "Older revisions").expect("older link");
    let second = anonymous.get(&older).await;
    assert_eq!(second.status, 200, "{older}");
    assert!(second.body.len() < 500_000);
    second.assert_contains("<h2>Revision 40</h2>");
    second.assert_contains("<h2>Revision 21</h2>");
    assert!(!second.body.contains("<h2>Revision 41</h2>"));
    assert!(!second.body.contains("<h2>Revision 20</h2>"));
    let third = anonymous
        .get(&link_labelled(&second, "Older revisions").expect("older again"))
        .await;
    third.assert_contains("<h2>Revision 1</h2>");
    third.assert_contains("<h2>Revision 20</h2>");
    assert!(
        link_labelled(&third, "Older revisions").is_none(),
        "the end"
    );
    // Going back to newer pages shows the same revisions.
    let back = anonymous
        .get(&link_labelled(&third, "Newer revisions").expect("newer link"))
        .await;
    back.assert_contains("<h2>Revision 40</h2>");
    back.assert_contains("<h2>Revision 21</h2>");
    assert!(!back.body.contains("<h2>Revision 41</h2>"));
    // Junk cursors fall back to the newest page.
    let junk = anonymous
        .get(&format!("/questions/{id}/revisions?before=abc"))
        .await;
    assert_eq!(junk.status, 200);
    junk.assert_contains("<h2>Revision 60</h2>");
}

#[actix_web::test]
async fn answer_history_is_paginated_too() {
    let app = app();
    let asker = app.member("answer_history_asker").await;
    let q = asker
        .asks("A question whose answer changes", BODY, "history")
        .await;
    let helper = Actor {
        id: app.create_user("answer_historian", Role::Staff),
        role: Role::Staff,
    };
    let mut conn = app.started().state.db.get().expect("db");
    let now = signpost::db::unix_now();
    let first = "The first version of this answer.";
    let answer_id = qa_service::answer(
        &mut conn,
        q.id,
        helper,
        first,
        &signpost::markdown::render_post(first),
        None,
        now,
    )
    .expect("answer")
    .answer
    .id;
    for edit in 2..=25 {
        let body = format!("Version {edit} of this answer.");
        let base = revisions::latest_id(
            &mut conn,
            signpost::kinds::PostKind::Answer,
            answer_id.into(),
        )
        .expect("latest");
        let rendered = signpost::markdown::render_post(&body);
        let edit = qa_service::AnswerEdit {
            body: &body,
            rendered: &rendered,
            note: "",
            base_revision: base,
        };
        qa_service::edit_answer(&mut conn, helper, answer_id, &edit, now).expect("edit");
    }
    drop(conn);
    let page = app
        .client()
        .get(&format!("/answers/{answer_id}/revisions"))
        .await;
    page.assert_contains("<h2>Revision 25</h2>");
    page.assert_contains("<h2>Revision 6</h2>");
    assert!(!page.body.contains("<h2>Revision 5</h2>"));
    let older = app
        .client()
        .get(&link_labelled(&page, "Older revisions").expect("older link"))
        .await;
    older.assert_contains("<h2>Revision 1</h2>");
    older.assert_contains("+ The first version of this answer.");
}

/// A stale save came back as 409 showing the newer version (and who saved
/// it), with the editor's own text still in the form.
#[track_caller]
fn assert_refused_as_stale(page: &Page, their_editor: &str, theirs: &str, mine: &str) {
    assert_eq!(page.status, 409, "{}", page.body);
    page.assert_contains("Someone saved a newer version");
    page.assert_contains(their_editor);
    page.assert_contains(theirs);
    page.assert_contains(&format!("{mine}</textarea>"));
}

#[actix_web::test]
async fn a_stale_question_edit_is_refused_with_both_versions() {
    let app = app();
    let asker = app.member("slow_asker").await;
    let staff = app.staff("quick_staff").await;
    let q = asker
        .asks("Scanner skips every other page", BODY, "scanner")
        .await;
    let id = q.id;
    let edit = q.action("edit");
    // The asker opens the editor; staff saves first.
    let old_form = asker.get(&edit).await;
    let saved = staff
        .edits(
            &q,
            &[
                ("title", "Scanner skips every other page"),
                ("body", "Staff: the duplex scanner skips every other page."),
                ("tags", "scanner"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let stale = save_from_form(
        &asker,
        &edit,
        &old_form,
        &[
            ("title", "Scanner skips every other page"),
            ("body", "Asker: it skips pages only in duplex mode."),
            ("tags", "scanner"),
        ],
    )
    .await;
    assert_refused_as_stale(
        &stale,
        "quick_staff",
        "Staff: the duplex scanner skips every other page.",
        "Asker: it skips pages only in duplex mode.",
    );
    let mut conn = app.started().state.db.get().expect("db");
    let q = questions::find(&mut conn, id)
        .expect("q")
        .expect("question");
    assert_eq!(
        q.body_md, "Staff: the duplex scanner skips every other page.",
        "the newer save was not overwritten"
    );
    drop(conn);
    // Saving again from the conflict page is a deliberate choice and works.
    let merged = save_from_form(
        &asker,
        &edit,
        &stale,
        &[
            ("title", "Scanner skips every other page"),
            ("body", "Asker: it skips pages only in duplex mode."),
            ("tags", "scanner"),
        ],
    )
    .await;
    assert_eq!(merged.status, 303, "{}", merged.body);
    let mut conn = app.started().state.db.get().expect("db");
    let q = questions::find(&mut conn, id)
        .expect("q")
        .expect("question");
    assert_eq!(q.body_md, "Asker: it skips pages only in duplex mode.");
}

#[actix_web::test]
async fn a_stale_answer_edit_is_refused_with_both_versions() {
    let app = app();
    let asker = app.member("answer_asker").await;
    let helper = app.member("slow_helper").await;
    let staff = app.staff("answer_staff").await;
    let q = asker
        .asks("Fax line drops after one page", BODY, "fax")
        .await;
    let a = helper
        .answers(&q, "Helper: lower the fax speed to 9600.")
        .await;
    let edit = a.action("edit");
    let old_form = helper.get(&edit).await;
    let saved = staff
        .edits(
            &a,
            &[(
                "body",
                "Staff: lower the fax speed to 9600 baud in settings.",
            )],
        )
        .await;
    assert_eq!(saved.status, 303);
    let stale = save_from_form(
        &helper,
        &edit,
        &old_form,
        &[("body", "Helper: also turn off error correction mode.")],
    )
    .await;
    assert_refused_as_stale(
        &stale,
        "answer_staff",
        "Staff: lower the fax speed to 9600 baud in settings.",
        "Helper: also turn off error correction mode.",
    );
    let mut conn = app.started().state.db.get().expect("db");
    let a = answers::find(&mut conn, a.id).expect("a").expect("answer");
    assert_eq!(
        a.body_md,
        "Staff: lower the fax speed to 9600 baud in settings."
    );
    drop(conn);
    // A form without a base revision (an old tab) cannot overwrite either.
    let token = csrf_of(&stale.body).expect("csrf");
    let blind = helper
        .post(
            &edit,
            &[
                ("csrf", &token),
                ("body", "Helper: a blind overwrite attempt."),
            ],
        )
        .await;
    assert_eq!(blind.status, 409);
}

/// The hidden submit key of the form on a page (the last one: the answer
/// form on a question page).
fn submit_key(page: &Page) -> String {
    let marker = "name=\"submit_key\" value=\"";
    let at = page.body.rfind(marker).expect("submit key") + marker.len();
    page.body[at..at + 64].to_string()
}

#[actix_web::test]
async fn a_replayed_submit_key_never_leads_to_someone_elses_post() {
    let app = app();
    let alice = app.member("key_alice").await;
    let mallory = app.member("key_mallory").await;
    let form = alice.get("/questions/ask").await;
    let key = submit_key(&form);
    let token = csrf_of(&form.body).expect("csrf");
    let first = alice
        .post(
            "/questions/ask",
            &[
                ("csrf", &token),
                ("submit_key", &key),
                ("title", "Alice's private printer question"),
                ("body", BODY),
                ("tags", "printer"),
                ("action", "post"),
            ],
        )
        .await;
    assert_eq!(first.status, 303);
    let alice_path = first.header("location").to_string();
    // Mallory replays Alice's key with her own session.
    let token = mallory.csrf("/questions/ask").await;
    let replay = mallory
        .post(
            "/questions/ask",
            &[
                ("csrf", &token),
                ("submit_key", &key),
                ("title", "Mallory's own question here"),
                ("body", BODY),
                ("tags", "printer"),
                ("action", "post"),
            ],
        )
        .await;
    assert_eq!(replay.status, 303, "{}", replay.body);
    let mallory_path = replay.header("location").to_string();
    assert_ne!(mallory_path, alice_path, "not led to Alice's question");
    let mut conn = app.started().state.db.get().expect("db");
    let mine = questions::find(&mut conn, id_of(&mallory_path))
        .expect("q")
        .expect("Mallory's question exists");
    assert_eq!(mine.title, "Mallory's own question here");
    assert_ne!(
        mine.author_id,
        questions::find(&mut conn, id_of(&alice_path))
            .expect("q")
            .expect("q")
            .author_id
    );
    drop(conn);
    // Alice's own double submit still returns her question.
    let again = alice
        .post(
            "/questions/ask",
            &[
                ("csrf", &csrf_of(&form.body).expect("csrf")),
                ("submit_key", &key),
                ("title", "Alice's private printer question"),
                ("body", BODY),
                ("tags", "printer"),
                ("action", "post"),
            ],
        )
        .await;
    assert_eq!(again.header("location"), alice_path);

    // The same for answers.
    let page = alice.get(&alice_path).await;
    let answer_key = submit_key(&page);
    let token = csrf_of(&page.body).expect("csrf");
    let answers_url = format!("/questions/{}/answers", id_of(&alice_path));
    let first = alice
        .post(
            &answers_url,
            &[
                ("csrf", &token),
                ("submit_key", &answer_key),
                ("body", "Alice answers herself: it was the cable."),
            ],
        )
        .await;
    assert_eq!(first.status, 303);
    let token = mallory.csrf(&alice_path).await;
    let replay = mallory
        .post(
            &answers_url,
            &[
                ("csrf", &token),
                ("submit_key", &answer_key),
                ("body", "Mallory's own answer: try another port."),
            ],
        )
        .await;
    assert_eq!(replay.status, 303, "{}", replay.body);
    assert_ne!(replay.header("location"), first.header("location"));
    let mut conn = app.started().state.db.get().expect("db");
    let q = questions::find(&mut conn, id_of(&alice_path))
        .expect("q")
        .expect("question");
    assert_eq!(q.answer_count, 2, "Mallory's answer is her own");
    let listed = answers::for_question(&mut conn, q.id, false).expect("answers");
    assert!(listed
        .iter()
        .any(|a| a.body_md == "Mallory's own answer: try another port."));
}

#[actix_web::test]
async fn staff_article_history_is_paginated_and_previews_keep_the_article_limit() {
    use signpost::db::models::article_revisions::{self, NewArticleRevision};
    use signpost::db::models::{articles, manuals};
    let app = TestApp::guide()
        .article(
            "guide/reset",
            &plain_article("Reset the router", "Hold reset for ten seconds."),
        )
        .start();
    let staff = app.staff("history_curator").await;
    let mut conn = app.started().state.db.get().expect("db");
    let manual = manuals::find_by_slug(&mut conn, "guide")
        .expect("q")
        .expect("manual");
    let article = articles::find_in_manual(&mut conn, manual.id, "reset")
        .expect("q")
        .expect("article");
    for n in 0..119 {
        let body = format!("Hold reset for {n} seconds.");
        let note = format!("note {n}");
        article_revisions::insert(
            &mut conn,
            &NewArticleRevision {
                article_id: article.id,
                editor_id: None,
                manual_id: manual.id,
                title: "Reset the router",
                weight: 0,
                tags: "",
                status: "published",
                outdated_reason: None,
                body_md: &body,
                note: &note,
                created_at: signpost::db::unix_now(),
            },
        )
        .expect("revision");
    }
    let total = article_revisions::for_article(&mut conn, article.id)
        .expect("revisions")
        .len();
    drop(conn);
    let first = staff.get("/docs/guide/reset/revisions").await;
    assert_eq!(first.status, 200);
    first.assert_contains(&format!(">#{total}</a>"));
    first.assert_contains(&format!(">#{}</a>", total - 49));
    assert!(!first.body.contains(&format!(">#{}</a>", total - 50)));
    let older = link_labelled(&first, "Older revisions").expect("older link");
    let second = staff.get(&older).await;
    second.assert_contains(&format!(">#{}</a>", total - 50));
    assert!(!second.body.contains(&format!(">#{total}</a>")));
    assert!(link_labelled(&second, "Newer revisions").is_some());

    // The editor's preview keeps the article limit and renders nothing over it.
    let huge = "**b** ".repeat(33_334);
    let page = staff
        .submit(
            "/docs/guide/reset/edit",
            "/docs/guide/reset/edit",
            &[
                ("manual_id", &manual.id.to_string()),
                ("title", "Reset the router"),
                ("status", "published"),
                ("body", &huge),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("at most 200000 characters");
    assert!(!page.body.contains("<strong>b</strong>"));
}
