//! The customer journeys of issue 17, each its own test, in headless
//! Chromium against a real `signpost serve`; journeys 1, 2 and the reading
//! part of 3 also with JavaScript off. Every page goes through the gates of
//! [`super::Browser::check`].

use serde_json::json;
use signpost::db::unix_now;

use super::{exclusive, tools_or_skip, Browser, Site};
use crate::fixtures::{article, manual_index, PRINTER};
use crate::harness::{TestApp, TestAppBuilder, TEST_PASSWORD};
use crate::process::Http;
use crate::smtp_sink::SmtpSink;

/// An article with contents (three sections), a code line wider than a
/// phone and a table.
const WIRELESS: &str = "Connect the printer to your wireless network.

## Before you start

You need the network name and its password. Keep the printer within reach
of the router while you set it up.

## Join the network

Open **Settings › Network** on the printer and choose your network:

```sh
printer-setup --join \"Office network\" --password \"a long passphrase that makes this line wider than any phone screen\"
```

| Light | Meaning |
|-------|---------|
| Blue | Connected |
| Orange | Searching for the network |

## If it does not connect

Restart the router, wait a minute, then join again. Signal strength drops
behind thick walls.
";

/// The site every journey runs on: a manual with the wireless article and
/// one about paper, and the printer troubleshooter.
fn content() -> TestAppBuilder {
    TestApp::builder()
        .file("manuals/guide/_index.md", &manual_index("Guide"))
        .article("guide/wireless", &article("Wireless setup", 1, WIRELESS))
        .article(
            "guide/paper",
            &article("Loading paper", 2, "Fan the stack before you load it."),
        )
        .tree("printer", PRINTER)
}

/// Starts the site and waits until search finds the wireless article.
fn site(sink: Option<&SmtpSink>) -> Site {
    let site = Site::start(content(), sink);
    site.wait_searchable("wireless", "/docs/guide/wireless");
    site
}

/// Sends Enter (WebDriver's key code) to submit a one-field form.
const ENTER: &str = "\u{E007}";

/// Journey 1: a customer searches with a typo, opens the article, uses the
/// in-page contents, answers "Was this helpful? No" with a comment.
fn search_read_and_give_feedback(test: &str, javascript: bool) {
    let Some(tools) = tools_or_skip(test) else {
        return;
    };
    let _one = exclusive();
    let site = site(None);
    let b = site.browser(&tools, test, javascript);

    b.open("/");
    b.check("home", Some("home"));
    // A first try finds nothing; the page offers ways forward.
    b.type_into(&b.find("main input[name=q]"), "zebrafish aquarium");
    b.type_into(&b.find("main input[name=q]"), ENTER);
    b.wait_for_url("the search page", |u| u.contains("/search?"));
    b.wait_for_text("Nothing matched");
    b.check("zero results", Some("zero-results"));
    // With a typo, the article is still found.
    let field = b.find("main input[name=q]");
    b.clear(&field);
    b.type_into(&field, "wirless setup");
    let before = b.url();
    b.type_into(&field, ENTER);
    b.wait_for_url("the typo search", |u| u != before && u.contains("wirless"));
    b.check("search results", Some("search-results"));
    b.follow("ol.results h2 a", "Wireless setup");
    assert!(b.url().ends_with("/docs/guide/wireless"), "{}", b.url());
    b.check("article", Some("article"));

    // The in-page contents jump to the section, which comes into view.
    b.click_on("aside.toc a", "If it does not connect");
    b.wait_for_url("the section anchor", |u| {
        u.ends_with("#if-it-does-not-connect")
    });
    b.wait_until("the section to scroll into view", |s| {
        let top = s.script(
            "var h = document.getElementById('if-it-does-not-connect'); \
             return h ? h.getBoundingClientRect().top : null",
            json!([]),
        );
        top.as_f64().is_some_and(|t| (0.0..400.0).contains(&t))
    });

    // "Was this helpful? No", then a comment.
    b.follow("#feedback button", "No");
    b.find("#feedback-comment");
    b.check("feedback comment form", None);
    b.type_into(
        &b.find("#feedback-comment"),
        "The router in our office has no restart button.",
    );
    b.follow("#feedback button", "Send");
    b.wait_for_text("Thank you for your feedback");
    b.check("feedback thanks", None);
    b.finish();

    // The site kept the answer and the comment.
    let pool = site.db();
    let mut conn = pool.get().expect("db");
    let comments = feedback_comments(&mut conn);
    assert!(
        comments.iter().any(|c| c.contains("no restart button")),
        "{comments:?}"
    );
}

/// The comments of every feedback row.
fn feedback_comments(conn: &mut signpost::db::Conn) -> Vec<String> {
    use diesel::prelude::*;
    use signpost::db::schema::feedback;
    feedback::table
        .filter(feedback::helpful.eq(false))
        .select(feedback::comment)
        .load::<Option<String>>(conn)
        .expect("feedback")
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn journey_1_search_with_a_typo_read_and_say_it_did_not_help() {
    search_read_and_give_feedback("browser::journeys::journey_1", true);
}

#[test]
fn journey_5_without_javascript_search_read_and_say_it_did_not_help() {
    search_read_and_give_feedback("browser::journeys::journey_5_1", false);
}

/// Journey 2: a guest walks the troubleshooter, goes Back with the
/// browser's button, changes an answer, reaches a dead end, asks the
/// community, signs up and posts the pre-filled question.
fn walk_the_tree_and_ask(test: &str, javascript: bool) {
    let Some(tools) = tools_or_skip(test) else {
        return;
    };
    let _one = exclusive();
    let site = site(None);
    let b = site.browser(&tools, test, javascript);

    b.open("/troubleshoot");
    b.check("troubleshooters", None);
    b.follow("main a", "Printer prints nothing");
    b.wait_for_text("Is the power light on?");
    b.check("tree step", Some("tree-step"));
    b.follow("a.choice", "Yes");
    b.wait_for_text("Is a job stuck in the queue?");
    b.check("second step", None);
    b.follow("a.choice", "Yes");
    b.wait_for_text("Clear the queue");
    b.check("a fix", None);

    // Back to the queue question, and the other answer this time.
    b.back();
    b.wait_for_text("Is a job stuck in the queue?");
    assert!(b.url().contains("power=yes"), "{}", b.url());
    assert!(!b.url().contains("queue="), "{}", b.url());
    b.follow("a.choice", "No");
    b.wait_for_text("We could not fix it here");
    let dead_end = b.page_text();
    assert!(dead_end.contains("The queue is empty"), "{dead_end}");
    assert!(!dead_end.contains("A job is stuck"), "{dead_end}");
    b.check("dead end", None);

    // A guest is asked to sign in, and signs up instead.
    b.follow("main button", "Ask the community");
    b.wait_for_text("Create an account");
    b.check("sign in to ask", None);
    b.follow("main a", "Create an account");
    b.check("sign up", None);
    b.type_into(&b.find("#username"), "stuck_sam");
    b.type_into(&b.find("#password"), TEST_PASSWORD);
    b.type_into(&b.find("#password_confirm"), TEST_PASSWORD);
    b.follow("main button", "Create account");
    b.wait_for_url("the ask form", |u| u.contains("/questions/ask"));
    let title = b.property(&b.find("#title"), "value");
    assert_eq!(
        title,
        json!("Printer prints nothing: the troubleshooter did not solve it")
    );
    let body = b.property(&b.find("#body"), "value");
    let body = body.as_str().unwrap_or_default().to_string();
    assert!(
        body.contains("1. The power light is on\n2. The queue is empty"),
        "{body}"
    );
    b.check("pre-filled ask form", None);
    b.follow("main button", "Post your question");
    b.wait_for_url("the new question", |u| {
        u.contains("/questions/") && !u.contains("/ask")
    });
    let page = b.page_text();
    assert!(
        page.contains("Printer prints nothing: the troubleshooter did not solve it"),
        "{page}"
    );
    assert!(page.contains("The queue is empty"), "{page}");
    assert!(page.contains("stuck_sam"), "{page}");
    b.check("posted question", None);
    b.finish();
}

#[test]
fn journey_2_a_guest_walks_the_tree_goes_back_and_asks_after_signing_up() {
    walk_the_tree_and_ask("browser::journeys::journey_2", true);
}

#[test]
fn journey_5_without_javascript_a_guest_walks_the_tree_and_asks() {
    walk_the_tree_and_ask("browser::journeys::journey_5_2", false);
}

/// The question of journey 3.
const SCANNER_TITLE: &str = "Scanner stops halfway through every page";
const SCANNER_BODY: &str = "Since this morning every scan stops in the middle of the page.";
const CLARIFY: &str = "Which scanner model is it, and over USB or wireless?";
const REPLY: &str = "It is the S200, connected over USB.";
const BOB_ANSWER: &str = "Update the S200 firmware: version 3 fixes scans that stop halfway.";
const CAROL_ANSWER: &str = "Clean the glass strip on the left with a dry cloth.";

/// The site of journey 3 with its people; ann (the asker) has a verified
/// address, so her notifications are mailed.
fn qa_site(sink: Option<&SmtpSink>) -> Site {
    let site = site(sink);
    for (name, role) in [
        ("ann", "member"),
        ("bob", "member"),
        ("carol", "member"),
        ("sam", "staff"),
    ] {
        site.user(name, role);
    }
    let pool = site.db();
    let mut conn = pool.get().expect("db");
    let ann = signpost::db::models::users::find_by_key(&mut conn, "ann")
        .expect("query")
        .expect("ann")
        .id;
    use signpost::db::models::mail as mail_rows;
    mail_rows::set_address(&mut conn, ann, "ann@example.com", unix_now()).expect("address");
    assert_eq!(
        mail_rows::mark_verified(&mut conn, ann, "ann@example.com", unix_now()).expect("verify"),
        Some(true)
    );
    site
}

/// The `id` of the answer whose text contains `text`.
fn answer_anchor(b: &Browser<'_>, text: &str) -> String {
    let id = b.script(
        "var text = arguments[0]; \
         return Array.prototype.slice.call(document.querySelectorAll('article.answer')) \
         .filter(function (a) { return a.textContent.indexOf(text) >= 0; }) \
         .map(function (a) { return a.id; })[0] || null",
        json!([text]),
    );
    id.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no answer with {text:?}:\n{}", b.page_text()))
}

/// Adds a comment to the question through its "Add a comment" form.
fn comment_on_question(b: &Browser<'_>, text: &str) {
    b.click(&b.find("details.comment-add summary"));
    let field = b.find("details.comment-add textarea");
    b.type_into(&field, text);
    b.follow("details.comment-add button", "Add comment");
    b.wait_for_text(text);
}

/// Posts an answer through the form under the question.
fn answer(b: &Browser<'_>, text: &str) {
    b.type_into(&b.find("#answer-body"), text);
    b.follow("main button", "Post your answer");
    b.wait_for_text(text);
}

/// Journey 3: clarification in comments, two answers, the asker votes and
/// accepts, staff moves the acceptance, the asker is told, in the site and
/// by mail.
#[test]
fn journey_3_clarify_answer_accept_and_staff_moves_the_acceptance() {
    let test = "browser::journeys::journey_3";
    let Some(tools) = tools_or_skip(test) else {
        return;
    };
    let _one = exclusive();
    let sink = SmtpSink::start();
    let site = qa_site(Some(&sink));
    let b = site.browser(&tools, test, true);

    b.sign_in("ann");
    b.open("/questions/ask");
    b.check("ask form", None);
    b.type_into(&b.find("#title"), SCANNER_TITLE);
    b.type_into(&b.find("#body"), SCANNER_BODY);
    b.type_into(&b.find("#tags"), "scanner");
    b.follow("main button", "Post your question");
    b.wait_for_text(SCANNER_BODY);
    let question = b.url();

    b.sign_out();
    b.sign_in("bob");
    b.goto(&question);
    comment_on_question(&b, CLARIFY);

    b.sign_out();
    b.sign_in("ann");
    b.goto(&question);
    comment_on_question(&b, REPLY);

    b.sign_out();
    b.sign_in("bob");
    b.goto(&question);
    answer(&b, BOB_ANSWER);
    b.sign_out();
    b.sign_in("carol");
    b.goto(&question);
    answer(&b, CAROL_ANSWER);
    b.check("question with answers", None);

    // The asker votes carol's answer up and accepts it.
    b.sign_out();
    b.sign_in("ann");
    b.goto(&question);
    let carol = answer_anchor(&b, CAROL_ANSWER);
    b.follow(&format!("#{carol} button[aria-label='Vote up']"), "");
    b.find(&format!("#{carol} button.voted"));
    b.follow(&format!("#{carol} button"), "Accept this answer");
    b.wait_for_text("Accepted by the asker");
    let accepted = b.find("article.answer.accepted");
    assert_eq!(b.property(&accepted, "id"), json!(carol));
    b.check("question accepted by the asker", None);

    // Staff moves the acceptance to bob's answer; the page says who.
    b.sign_out();
    b.sign_in("sam");
    b.goto(&question);
    let bob = answer_anchor(&b, BOB_ANSWER);
    b.follow(&format!("#{bob} button"), "Accept this answer");
    b.wait_for_text("Accepted by staff member");
    let banner = b.text(&b.find(".accepted-banner"));
    assert!(banner.contains("Accepted by staff member sam"), "{banner}");
    let accepted = b.find("article.answer.accepted");
    assert_eq!(b.property(&accepted, "id"), json!(bob));
    b.check("question accepted by staff", Some("question"));
    b.open("/staff");
    b.check("staff dashboard", Some("staff-dashboard"));

    // The asker sees it in her inbox, and the mail went out.
    b.sign_out();
    b.sign_in("ann");
    b.follow("header a.notif", "Inbox");
    let told = format!(
        "A staff member accepted an answer on your question \u{201c}{SCANNER_TITLE}\u{201d}"
    );
    b.wait_for_text(&told);
    b.check("notifications", None);
    b.finish();
    let subject = format!("An answer to \"{SCANNER_TITLE}\" was marked as the solution");
    sink.wait_until("the acceptance mail to ann", |mails| {
        mails
            .iter()
            .any(|m| m.to == ["ann@example.com"] && m.subject() == subject)
    });
}

/// Seeds journey 3's question through HTTP: clarified, answered twice,
/// accepted by the asker, then by staff. Returns the question's path.
fn seed_answered_question(site: &Site) -> String {
    let person = |name: &str| {
        let http = Http::new(site.port);
        assert_eq!(http.login(name, TEST_PASSWORD).status, 303, "login {name}");
        http
    };
    let post = |http: &Http, page: &str, action: &str, fields: &[(&str, &str)]| {
        let token = http.csrf(page);
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        let response = http.request("POST", action, Some(&all)).expect("post");
        assert_eq!(response.status, 303, "{action}: {}", response.body);
        response.header("location").unwrap_or_default().to_string()
    };
    let ann = person("ann");
    let question = post(
        &ann,
        "/questions/ask",
        "/questions/ask",
        &[
            ("title", SCANNER_TITLE),
            ("body", SCANNER_BODY),
            ("tags", "scanner"),
            ("action", "post"),
        ],
    );
    let id = question.split('/').nth(2).expect("question id").to_string();
    let bob = person("bob");
    let carol = person("carol");
    let sam = person("sam");
    let comments = format!("/questions/{id}/comments");
    post(&bob, &question, &comments, &[("body", CLARIFY)]);
    post(&ann, &question, &comments, &[("body", REPLY)]);
    let answers = format!("/questions/{id}/answers");
    let answer_id = |location: String| {
        location
            .rsplit("#answer-")
            .next()
            .expect("answer anchor")
            .to_string()
    };
    let bobs = answer_id(post(&bob, &question, &answers, &[("body", BOB_ANSWER)]));
    let carols = answer_id(post(&carol, &question, &answers, &[("body", CAROL_ANSWER)]));
    post(
        &ann,
        &question,
        &format!("/answers/{carols}/vote"),
        &[("value", "up")],
    );
    let accept = format!("/questions/{id}/accept");
    post(&ann, &question, &accept, &[("answer_id", &carols)]);
    post(&sam, &question, &accept, &[("answer_id", &bobs)]);
    question
}

/// Journey 5, the reading part of 3 without JavaScript: a guest reads the
/// clarified, answered and accepted question; the asker reads her inbox.
#[test]
fn journey_5_without_javascript_read_an_answered_question() {
    let test = "browser::journeys::journey_5_3";
    let Some(tools) = tools_or_skip(test) else {
        return;
    };
    let _one = exclusive();
    let site = qa_site(None);
    let question = seed_answered_question(&site);
    let b = site.browser(&tools, test, false);

    b.open(&question);
    b.wait_for_text(SCANNER_BODY);
    let page = b.page_text();
    for text in [
        CLARIFY,
        REPLY,
        BOB_ANSWER,
        CAROL_ANSWER,
        "Accepted by staff member sam",
    ] {
        assert!(page.contains(text), "{text:?} missing:\n{page}");
    }
    // The accepted answer comes first.
    let first = b.find("article.answer");
    assert!(b.text(&first).contains(BOB_ANSWER), "{}", b.text(&first));
    b.check("answered question", Some("question"));
    // The comment form opens without a script (a details element).
    b.sign_in("ann");
    b.open(&question);
    b.click(&b.find("details.comment-add summary"));
    let field = b.find("details.comment-add textarea");
    b.wait_until("the comment form to open", |s| {
        s.command(
            "GET",
            &format!("/element/{}/displayed", field_id(&field)),
            None,
        )
        .is_ok_and(|v| v == json!(true))
    });
    b.follow("header a.notif", "Inbox");
    b.wait_for_text("A staff member accepted an answer on your question");
    b.check("notifications", None);
    b.finish();
}

/// The WebDriver id of an element.
fn field_id(element: &super::webdriver::Element) -> String {
    element.id().to_string()
}

/// Journey 4: staff edits an article, sees the revision, restores the old
/// one; opens a known issue linked to the article, which then shows its
/// banner.
#[test]
fn journey_4_staff_edits_restores_and_opens_a_known_issue() {
    let test = "browser::journeys::journey_4";
    let Some(tools) = tools_or_skip(test) else {
        return;
    };
    let _one = exclusive();
    let site = site(None);
    site.user("sam", "staff");
    let b = site.browser(&tools, test, true);
    b.sign_in("sam");

    b.open("/docs/guide/wireless");
    b.check("article as staff", None);
    b.follow("main a", "Edit");
    b.check("article editor", None);
    let body = b.find("#body");
    b.type_into(
        &body,
        "\n## Reset the printer\n\nHold the power button for ten seconds.\n",
    );
    b.type_into(&b.find("#note"), "Add the reset steps");
    b.follow("main button", "Save");
    b.wait_for_text("Hold the power button for ten seconds.");
    assert!(b.url().ends_with("/docs/guide/wireless"), "{}", b.url());
    b.check("edited article", None);

    b.follow("main a", "History");
    b.wait_for_text("Add the reset steps");
    b.check("revisions", None);
    b.follow("main a", "#1");
    b.check("old revision", None);
    b.follow("main button", "Restore this revision");
    b.wait_until("the article without the reset steps", |s| {
        let text = s.page_text();
        text.contains("If it does not connect") && !text.contains("Hold the power button")
    });
    b.check("restored article", None);

    // A known issue linked to the article puts its banner on it.
    b.open("/known-issues/new");
    b.check("new known issue", None);
    b.type_into(&b.find("#title"), "Wireless drops after the 2.1 update");
    b.type_into(
        &b.find("#symptoms"),
        "The printer leaves the network about an hour after it joined.",
    );
    b.type_into(
        &b.find("#workaround"),
        "Turn off power saving in **Settings**.",
    );
    b.type_into(&b.find("#articles"), "guide/wireless");
    b.follow("main button", "Save");
    b.wait_for_url("the known issue", |u| {
        u.contains("/known-issues/") && !u.ends_with("/new")
    });
    b.wait_for_text("Turn off power saving");
    b.check("known issue", Some("known-issue"));
    b.open("/docs/guide/wireless");
    let banner = b.find_with_text(".notice-issue", "Wireless drops after the 2.1 update");
    let text = b.text(&banner);
    assert!(text.contains("Known issue"), "{text}");
    assert!(text.contains("workaround inside"), "{text}");
    b.check("article with the known issue", None);
    b.finish();
}
