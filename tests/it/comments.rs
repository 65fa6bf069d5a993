//! Comments under questions and answers: adding, inline-only rendering,
//! mentions and notifications, edit/delete rights, flags, limits, bad input
//! and search, on both backends.

use diesel::prelude::*;
use signpost::auth::policy::Actor;
use signpost::auth::Role;
use signpost::db::schema::{comments, notifications};
use signpost::error::AppError;
use signpost::ids::{CommentId, UserId};
use signpost::search::SearchRequest;
use signpost::service::questions::{self, CommentOn};

use crate::fixtures::{Answer, Person, Post, Question, BODY};
use crate::harness::{Page, TestApp};

fn app() -> TestApp {
    TestApp::guide().start()
}

/// Sends the "Add a comment" form of `post` (from its question page).
async fn comments_on(person: &Person<'_>, post: &impl Post, body: &str) -> Page {
    person
        .submit(post.page(), &post.action("comments"), &[("body", body)])
        .await
}

/// Adds a comment that must be accepted; returns its id.
pub(crate) async fn commented(person: &Person<'_>, post: &impl Post, body: &str) -> CommentId {
    let page = comments_on(person, post, body).await;
    assert_eq!(page.status, 303, "comment refused: {}", page.body);
    comment_id(&page)
}

/// The comment id in a redirect to `…#comment-N`.
fn comment_id(page: &Page) -> CommentId {
    page.header("location")
        .rsplit_once("#comment-")
        .and_then(|(_, id)| id.parse().ok())
        .map(CommentId)
        .unwrap_or_else(|| panic!("no comment anchor in {:?}", page.header("location")))
}

/// The HTML of comment `id` on a page (its `<li>`).
fn comment_html(page: &Page, id: CommentId) -> &str {
    let start = page
        .body
        .find(&format!("id=\"comment-{id}\""))
        .unwrap_or_else(|| panic!("comment {id} not on the page:\n{}", page.body));
    let end = page.body[start..].find("</li>").expect("end of comment") + start;
    &page.body[start..end]
}

/// (user, kind, comment) of every notification about a comment.
fn comment_notifications(app: &TestApp) -> Vec<(UserId, String, CommentId)> {
    let mut conn = app.started().state.db.get().expect("db");
    notifications::table
        .filter(notifications::comment_id.is_not_null())
        .order(notifications::id.asc())
        .select((
            notifications::user_id,
            notifications::kind,
            notifications::comment_id.assume_not_null(),
        ))
        .load::<(UserId, String, CommentId)>(&mut conn)
        .expect("notifications")
}

/// Thread: `ann` asks, `bob` answers.
async fn thread<'a>(app: &'a TestApp) -> (Person<'a>, Person<'a>, Question, Answer) {
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let q = ann
        .asks("Router drops Wi-Fi every hour", BODY, "router")
        .await;
    let a = bob
        .answers(&q, "Switch the 5 GHz band to a fixed channel.")
        .await;
    (ann, bob, q, a)
}

#[actix_web::test]
async fn comments_show_under_their_post_oldest_first_with_author_time_and_anchor() {
    let app = app();
    let (ann, bob, q, a) = thread(&app).await;
    let first = commented(&bob, &q, "Which firmware version is it running?").await;
    let second = commented(&ann, &q, "It says 2.4.1.").await;
    let on_answer = commented(&ann, &a, "Fixed channel 36 it is, thanks!").await;

    let page = app.client().get(&q.path).await;
    assert_eq!(page.status, 200);
    // Under the question, oldest first, before the answers; the answer's
    // comment under the answer.
    let at = |needle: &str| page.body.find(needle).expect(needle);
    let question_comments = at("id=\"comments-question\"");
    let answer_article = at(&format!("id=\"answer-{}\"", a.id));
    assert!(question_comments < at(&format!("id=\"comment-{first}\"")));
    assert!(at(&format!("id=\"comment-{first}\"")) < at(&format!("id=\"comment-{second}\"")));
    assert!(at(&format!("id=\"comment-{second}\"")) < answer_article);
    assert!(answer_article < at(&format!("id=\"comment-{on_answer}\"")));
    let html = comment_html(&page, first);
    assert!(
        html.contains("Which firmware version is it running?"),
        "{html}"
    );
    assert!(html.contains("href=\"/users/bob\""), "{html}");
    assert!(html.contains("<time datetime=\""), "{html}");
    assert!(
        html.contains(&format!("href=\"#comment-{first}\"")),
        "{html}"
    );
    assert!(!html.contains("(edited)"), "{html}");

    // Guests read comments and are offered to sign in, coming back to the post.
    page.assert_contains("Sign in to comment");
    page.assert_contains(&format!(
        "href=\"/login?next={}%23question\"",
        q.path.replace('/', "%2F")
    ));
    assert!(!page.body.contains("Add a comment"));
    // Members get the form (a plain form inside <details>, no script needed).
    let page = bob.get(&q.path).await;
    page.assert_contains("<summary>Add a comment</summary>");
    page.assert_contains(&format!("action=\"/answers/{}/comments\"", a.id));
    // A guest's post is sent to sign in, back to the post.
    let guest = app.client();
    let token = guest.csrf(&q.path).await;
    let sent = guest
        .post(
            &q.action("comments"),
            &[("csrf", token.as_str()), ("body", "me too")],
        )
        .await;
    assert_eq!(sent.status, 303);
    assert!(
        sent.header("location").starts_with("/login?next="),
        "{}",
        sent.header("location")
    );
    // Without the CSRF token nothing is saved.
    let forged = bob.post(&q.action("comments"), &[("body", "forged")]).await;
    assert_eq!(forged.status, 403);
    let mut conn = app.started().state.db.get().expect("db");
    let count: i64 = comments::table
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(count, 3);
}

#[actix_web::test]
async fn comment_text_is_escaped_and_block_markdown_stays_inline() {
    let app = app();
    let (ann, bob, q, _) = thread(&app).await;
    let hostile = commented(
        &bob,
        &q,
        "<script>alert('x')</script> <img src=x onerror=alert(1)> [link](javascript:alert(1)) `<b>code</b>` **bold**",
    )
    .await;
    let blocks = commented(&ann, &q, "# Not a heading\n\n- not a list\n> not a quote\n\n    not code\n![pic](https://example.com/p.png)").await;
    let page = app.client().get(&q.path).await;
    let html = comment_html(&page, hostile);
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("javascript:"), "{html}");
    assert!(html.contains("&lt;img src=x"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        html.contains("<code>&lt;b&gt;code&lt;/b&gt;</code>"),
        "{html}"
    );
    assert!(html.contains("<strong>bold</strong>"), "{html}");
    let html = comment_html(&page, blocks);
    for tag in ["<h1", "<ul", "<li>", "<blockquote", "<pre", "<img", "<p>"] {
        assert!(!html.contains(tag), "{tag} in {html}");
    }
    assert!(
        html.contains("# Not a heading - not a list &gt; not a quote not code"),
        "{html}"
    );
    assert!(
        html.contains("href=\"https://example.com/p.png\""),
        "{html}"
    );
}

#[actix_web::test]
async fn mentions_reach_only_people_in_the_thread_and_nobody_twice() {
    let app = app();
    let (ann, bob, q, a) = thread(&app).await;
    let _outsider = app.member("carl").await;
    let dave = app.member("dave").await;
    let (ann_id, bob_id, carl_id, dave_id) = (
        app.user_id("ann"),
        app.user_id("bob"),
        app.user_id("carl"),
        app.user_id("dave"),
    );
    // dave (no post in the thread yet) comments on the question: the asker
    // hears of it, bob (an answerer) is mentioned, carl is not in the thread,
    // and dave's own name tells nobody.
    let c1 = commented(
        &dave,
        &q,
        "@bob @carl @dave @Ann did the fixed channel help?",
    )
    .await;
    // ann mentions dave (an earlier commenter) under bob's answer: bob hears
    // of the comment on his answer once, although mentioned too.
    let c2 = commented(&ann, &a, "@dave yes, and @bob thanks").await;
    // dave, who follows the question since commenting, unfollows it; bob
    // comments on his own answer mentioning nobody known: only the
    // question's remaining follower hears, as a follower (ann asked).
    let unfollowed = dave.submit(&q.path, &q.action("unfollow"), &[]).await;
    assert_eq!(unfollowed.status, 303, "{}", unfollowed.body);
    let c3 = commented(&bob, &a, "@zed glad it works").await;
    let got = comment_notifications(&app);
    assert_eq!(
        got,
        vec![
            (ann_id, "new_comment".to_string(), c1),
            (bob_id, "mentioned".to_string(), c1),
            (bob_id, "new_comment".to_string(), c2),
            (dave_id, "mentioned".to_string(), c2),
            (ann_id, "followed_comment".to_string(), c3),
        ],
        "carl {carl_id:?} and the commenters themselves are never notified; c3 {c3} tells only the followers"
    );
    let page = app.client().get(&q.path).await;
    let html = comment_html(&page, c1);
    assert!(html.contains("<a href=\"/users/bob\""), "{html}");
    assert!(html.contains("<a href=\"/users/ann\""), "{html}");
    assert!(!html.contains("/users/carl"), "{html}");
    assert!(html.contains("@carl"), "{html}");

    // The notifications lead to the comment's anchor.
    let inbox = ann.get("/notifications").await;
    inbox.assert_contains(&format!("href=\"{}#comment-{c1}\"", q.path));
    inbox.assert_contains("New comment on your question");
    let inbox = bob.get("/notifications").await;
    inbox.assert_contains(&format!("href=\"{}#comment-{c2}\"", q.path));
    inbox.assert_contains("New comment on your answer to");
    inbox.assert_contains(&format!("href=\"{}#comment-{c1}\"", q.path));
    inbox.assert_contains("You were mentioned in a comment on");
    // The short link of a comment leads there too.
    let short = app.client().get(&format!("/comments/{c1}")).await;
    assert_eq!(short.status, 303);
    assert_eq!(short.header("location"), format!("{}#comment-{c1}", q.path));

    // An edit tells nobody twice about the same comment...
    let edit = dave
        .submit(
            &q.path,
            &format!("/comments/{c1}/edit"),
            &[("body", "@bob @Ann @dave did it help? (asked again)")],
        )
        .await;
    assert_eq!(edit.status, 303, "{}", edit.body);
    assert_eq!(comment_notifications(&app).len(), 5, "nobody is told twice");
    // ...but a person it newly mentions hears of it, once (a mention reaches
    // someone who unfollowed the question).
    for _ in 0..2 {
        let edit = bob
            .submit(
                &q.path,
                &format!("/comments/{c3}/edit"),
                &[("body", "@dave glad it works")],
            )
            .await;
        assert_eq!(edit.status, 303, "{}", edit.body);
    }
    let got = comment_notifications(&app);
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got[5], (dave_id, "mentioned".to_string(), c3));
}

#[actix_web::test]
async fn only_the_author_and_staff_edit_and_delete_a_comment() {
    let app = app();
    let (ann, bob, q, _) = thread(&app).await;
    let staff = app.staff("sue").await;
    let c = commented(&bob, &q, "Which firmware version?").await;
    let edit = |who: &'static str, body: &'static str| {
        let person: &Person<'_> = match who {
            "ann" => &ann,
            "bob" => &bob,
            _ => &staff,
        };
        let page = q.path.clone();
        let action = format!("/comments/{c}/edit");
        async move { person.submit(&page, &action, &[("body", body)]).await }
    };
    let refused = edit("ann", "Hijacked").await;
    assert_eq!(refused.status, 403);
    refused.assert_contains("You can only edit or delete your own comments.");
    refused.assert_contains("Hijacked");
    let refused = ann
        .submit(&q.path, &format!("/comments/{c}/delete"), &[])
        .await;
    assert_eq!(refused.status, 403);
    let page = app.client().get(&q.path).await;
    assert!(comment_html(&page, c).contains("Which firmware version?"));

    // A refused edit opens the comment's edit form again, text kept.
    let too_long: &'static str = "y".repeat(700).leak();
    let again = edit("bob", too_long).await;
    assert_eq!(again.status, 422);
    again.assert_contains("<details class=\"comment-edit\" open>");
    again.assert_contains("at most 600 characters; this one has 700");
    again.assert_contains(&format!("{too_long}</textarea>"));
    let saved = edit("bob", "Which firmware version, exactly?").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.header("location"), format!("{}#comment-{c}", q.path));
    let page = app.client().get(&q.path).await;
    let html = comment_html(&page, c);
    assert!(html.contains("Which firmware version, exactly?"), "{html}");
    assert!(html.contains("(edited)"), "{html}");
    // The author's page offers the edit form with the current text.
    bob.get(&q.path)
        .await
        .assert_contains("Which firmware version, exactly?</textarea>");
    assert_eq!(
        edit("sue", "Please name the firmware version.")
            .await
            .status,
        303
    );

    // Staff delete someone else's comment: gone for everyone else (as on
    // Stack Overflow, no placeholder), marked for staff.
    let deleted = staff
        .submit(&q.path, &format!("/comments/{c}/delete"), &[])
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.header("location"), format!("{}#question", q.path));
    for viewer in [&app.client(), &*ann, &*bob] {
        let page = viewer.get(&q.path).await;
        assert!(!page.body.contains(&format!("id=\"comment-{c}\"")));
        assert!(!page.body.contains("firmware version"));
    }
    let page = staff.get(&q.path).await;
    assert!(comment_html(&page, c).contains("Deleted comment"));
    // A deleted comment cannot be edited any more.
    let late = edit("bob", "Still there?").await;
    assert_eq!(late.status, 404);
    late.assert_contains("Still there?");

    // Only staff bring it back.
    let refused = bob
        .submit(&q.path, &format!("/comments/{c}/restore"), &[])
        .await;
    assert_eq!(refused.status, 403);
    let restored = staff
        .submit(&q.path, &format!("/comments/{c}/restore"), &[])
        .await;
    assert_eq!(restored.status, 303);
    assert_eq!(
        restored.header("location"),
        format!("{}#comment-{c}", q.path)
    );
    let page = app.client().get(&q.path).await;
    assert!(comment_html(&page, c).contains("Please name the firmware version."));

    // The author deletes their own.
    let mine = commented(&ann, &q, "Never mind, solved.").await;
    let gone = ann
        .submit(&q.path, &format!("/comments/{mine}/delete"), &[])
        .await;
    assert_eq!(gone.status, 303);
    assert!(!app
        .client()
        .get(&q.path)
        .await
        .body
        .contains("Never mind, solved."));
}

#[actix_web::test]
async fn a_flagged_comment_reaches_the_staff_queue() {
    let app = app();
    let (ann, bob, q, _) = thread(&app).await;
    let staff = app.staff("sue").await;
    let c = commented(&bob, &q, "Buy cheap routers at spam.example").await;
    let page = ann.get(&q.path).await;
    page.assert_contains(&format!("id=\"flag-details-comment-{c}\""));
    let sent = ann
        .submit(
            &q.path,
            "/flags",
            &[
                ("kind", "comment"),
                ("post_id", &c.to_string()),
                ("reason", "spam"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let queue = staff.get("/staff/flags").await;
    queue.assert_contains(&format!(
        "comment: <a href=\"{}#comment-{c}\">Buy cheap routers",
        q.path
    ));
    // An unknown comment is a clear 404.
    let unknown = ann
        .submit(
            &q.path,
            "/flags",
            &[
                ("kind", "comment"),
                ("post_id", "999999"),
                ("reason", "spam"),
            ],
        )
        .await;
    assert_eq!(unknown.status, 404);
    unknown.assert_contains("This comment does not exist or was deleted.");
}

#[actix_web::test]
async fn comments_are_rate_limited_per_member() {
    let app = app();
    let (_, bob, q, _) = thread(&app).await;
    let limit = signpost::auth::rate_limit::rules::COMMENT.0.max;
    for n in 0..limit {
        commented(&bob, &q, &format!("Clarifying question number {n}")).await;
    }
    let refused = comments_on(&bob, &q, "One comment too many").await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(!refused.header("retry-after").is_empty());
    refused.assert_contains("One comment too many</textarea>");
    // Staff post on behalf of the site: no limit.
    let staff = app.staff("sue").await;
    for n in 0..=limit {
        commented(&staff, &q, &format!("Staff note {n}")).await;
    }
}

#[actix_web::test]
async fn bad_comments_get_a_clear_message_and_keep_the_text() {
    let app = app();
    let (ann, bob, q, a) = thread(&app).await;
    let max = questions::COMMENT_MAX;
    // Length is counted after trimming: 600 characters fit, 601 do not.
    let fits = format!("   {}   ", "é".repeat(max));
    commented(&bob, &q, &fits).await;
    let long = "x".repeat(max + 1);
    let refused = comments_on(&bob, &a, &long).await;
    assert_eq!(refused.status, 422);
    refused.assert_contains("at most 600 characters; this one has 601");
    refused.assert_contains(&format!("{long}</textarea>"));
    refused.assert_contains(&format!("id=\"comments-answer-{}\"", a.id));
    let refused = comments_on(&bob, &q, "  \n ").await;
    assert_eq!(refused.status, 422);
    refused.assert_contains("the comment is empty");
    let refused = comments_on(&bob, &q, "before\0after").await;
    assert_eq!(refused.status, 422);
    refused.assert_contains("NUL character");
    refused.assert_contains("beforeafter</textarea>");

    // An unknown post, or one deleted meanwhile: the text is kept on a page
    // of its own.
    let gone = bob
        .submit(
            &q.path,
            "/answers/999999/comments",
            &[("body", "Lost words?")],
        )
        .await;
    assert_eq!(gone.status, 404);
    gone.assert_contains("This answer does not exist or was deleted.");
    gone.assert_contains("Lost words?</textarea>");
    let staff = app.staff("sue").await;
    staff.moderates(&a, &[("action", "delete")]).await;
    let gone = comments_on(&ann, &a, "Thanks for this answer").await;
    assert_eq!(gone.status, 404);
    gone.assert_contains("Thanks for this answer</textarea>");
    gone.assert_contains(&format!("href=\"{}\"", q.path));
    staff.moderates(&q, &[("action", "lock")]).await;
    let locked = comments_on(&ann, &q, "Is it locked?").await;
    assert_eq!(locked.status, 409);
    locked.assert_contains("it takes no new comments");
    locked.assert_contains("Is it locked?</textarea>");
    commented(&staff, &q, "Locked while we investigate.").await;

    let mut conn = app.started().state.db.get().expect("db");
    let texts: Vec<String> = comments::table
        .order(comments::id.asc())
        .select(comments::body_md)
        .load(&mut conn)
        .expect("comments");
    assert_eq!(
        texts,
        vec!["é".repeat(max), "Locked while we investigate.".into()]
    );
}

#[actix_web::test]
async fn suspended_members_cannot_comment() {
    let app = app();
    let (_, bob, q, _) = thread(&app).await;
    let bob_id = app.user_id("bob");
    {
        let mut conn = app.started().state.db.get().expect("db");
        signpost::service::accounts::suspend(&mut conn, bob_id, signpost::db::unix_now())
            .expect("suspend");
    }
    // The session ended: the form sends bob to sign in.
    let sent = comments_on(&bob, &q, "Still here?").await;
    assert_eq!(sent.status, 303);
    assert!(
        sent.header("location").starts_with("/login"),
        "{}",
        sent.header("location")
    );
    // And the rule holds below the web layer too.
    let mut conn = app.started().state.db.get().expect("db");
    let refused = questions::add_comment(
        &mut conn,
        Actor {
            id: bob_id,
            role: Role::Member,
        },
        CommentOn::Question(q.id),
        "Still here?",
        signpost::db::unix_now(),
    );
    assert!(
        matches!(refused, Err(AppError::Forbidden(_))),
        "{refused:?}"
    );
    let count: i64 = comments::table
        .count()
        .get_result(&mut conn)
        .expect("count");
    assert_eq!(count, 0);
}

#[actix_web::test]
async fn search_finds_the_post_by_its_comments_never_the_comment_itself() {
    let app = app();
    let (ann, _, q, a) = thread(&app).await;
    let search = |app: &TestApp, text: &str| {
        app.wait_indexed();
        app.started()
            .state
            .search
            .search(&SearchRequest {
                text,
                kind: None,
                limit: 10,
                offset: 0,
            })
            .expect("search")
            .hits
            .into_iter()
            .map(|h| h.url)
            .collect::<Vec<_>>()
    };
    assert!(search(&app, "zanzibarite").is_empty());
    let c = commented(&ann, &a, "The zanzibarite firmware fixed it").await;
    let answer_url = format!("{}#answer-{}", q.path, a.id);
    assert_eq!(search(&app, "zanzibarite"), vec![answer_url.clone()]);
    // A comment on the question is part of the question's document.
    commented(&ann, &q, "Also seen with the quokkaline mesh kit").await;
    assert_eq!(search(&app, "quokkaline"), vec![q.path.clone()]);
    for urls in [
        search(&app, "zanzibarite"),
        search(&app, "quokkaline firmware"),
    ] {
        assert!(urls.iter().all(|u| !u.contains("#comment-")), "{urls:?}");
    }
    // Editing and deleting the comment reindex its post.
    let edit = ann
        .submit(
            &q.path,
            &format!("/comments/{c}/edit"),
            &[("body", "The wombatine firmware fixed it")],
        )
        .await;
    assert_eq!(edit.status, 303);
    assert!(search(&app, "zanzibarite").is_empty());
    assert_eq!(search(&app, "wombatine"), vec![answer_url]);
    ann.submit(&q.path, &format!("/comments/{c}/delete"), &[])
        .await;
    assert!(search(&app, "wombatine").is_empty());
}
