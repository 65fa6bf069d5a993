//! "Tell me when it's fixed", against a real SMTP listener ([`SmtpSink`]):
//! members follow with a plain form and hear of every update in the site
//! and by mail (never of their own), an address alone follows only once its
//! single-use link is opened, one-click unsubscribe (GET asks, POST acts,
//! RFC 8058 headers), the address form's rate limits and silence about who
//! follows, the dashboard's follower count, and a known-issue file changed
//! on disk telling followers and linked askers exactly once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::InstrumentationEvent;
use diesel::prelude::*;
use signpost::db::models::known_issue_followers as follower_rows;
use signpost::db::models::notifications::{self, KNOWN_ISSUE_UPDATE};
use signpost::db::schema::{jobs as job_rows, notifications as notification_rows};
use signpost::ids::{KnownIssueId, KnownIssueUpdateId, UserId};
use signpost::service::known_issue_follow;

use crate::fixtures::{article, link_to_issue, BODY};
use crate::harness::{Client, Page, TestApp};
use crate::mail::verified_address;
use crate::smtp_sink::{Received, SmtpSink};

/// The default `base_url` of a test app: every mailed link starts with it.
const BASE: &str = "http://127.0.0.1:8080";

const ISSUE: &str = "/known-issues/printing-fails-after-firmware-42";

fn mail_app(sink: &SmtpSink) -> TestApp {
    let app = TestApp::guide()
        .article("guide/print", &article("Print a page", 1, "Choose Print."))
        .configure(sink.configure())
        .start();
    app.wait_indexed();
    app
}

/// Creates the printing issue through the staff form (title as given).
pub(crate) async fn create_issue(staff: &Client<'_>, title: &str) -> String {
    let page = staff
        .submit(
            "/known-issues/new",
            "/known-issues/new",
            &[
                ("title", title),
                ("symptoms", "The job stays queued with error 0x42."),
                ("workaround", "Turn off eco mode."),
                ("status", "identified"),
                ("tags", "printing"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    page.header("location").to_string()
}

async fn post_update(staff: &Client<'_>, issue: &str, fields: &[(&str, &str)]) -> Page {
    let page = staff
        .submit(issue, &format!("{issue}/updates"), fields)
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    page
}

/// The known-issue update notifications of `user`.
fn issue_notes(app: &TestApp, user: UserId) -> usize {
    let mut conn = app.started().state.db.get().expect("db");
    notification_rows::table
        .filter(notification_rows::user_id.eq(user))
        .filter(notification_rows::kind.eq(KNOWN_ISSUE_UPDATE))
        .count()
        .get_result::<i64>(&mut conn)
        .expect("count") as usize
}

/// The notifications of `user` of `kind`.
fn notes_of_kind(app: &TestApp, user: UserId, kind: &str) -> usize {
    let mut conn = app.started().state.db.get().expect("db");
    notifications::recent(&mut conn, user, 100)
        .expect("notifications")
        .into_iter()
        .filter(|n| n.kind == kind)
        .count()
}

/// Mail to `address` whose subject contains `subject`.
fn mails_to(sink: &SmtpSink, address: &str, subject: &str) -> Vec<Received> {
    sink.messages()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == address) && m.subject().contains(subject))
        .collect()
}

fn wait_mail(sink: &SmtpSink, address: &str, subject: &str, count: usize) {
    sink.wait_until(
        &format!("{count} mail(s) \"{subject}\" to {address}"),
        |all| {
            all.iter()
                .filter(|m| m.to.iter().any(|t| t == address) && m.subject().contains(subject))
                .count()
                >= count
        },
    );
}

fn path_of(link: &str) -> &str {
    link.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{link} is not a link to {BASE}"))
}

/// The message part of a message page (no per-visitor tokens).
fn message_of(page: &Page) -> String {
    let start = page
        .body
        .find("<section class=\"narrow\">")
        .expect("message");
    let len = page.body[start..].find("</section>").expect("end");
    page.body[start..start + len].to_string()
}

#[actix_web::test]
async fn members_follow_and_hear_of_every_update_once_but_never_of_their_own() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let sam = app.staff("support_sam").await;
    let issue = create_issue(&sam, "Printing fails after firmware 4.2").await;
    assert_eq!(issue, ISSUE);
    let ann = app.member("ann").await;
    verified_address(&app, "ann", "ann@example.com");
    let bob = app.member("bob").await;
    verified_address(&app, "support_sam", "sam@example.com");

    // A guest sees the e-mail form and a way to sign in, no follow button.
    let guest_page = app.client().get(&issue).await;
    guest_page.assert_contains("Tell me when it's fixed");
    guest_page.assert_contains(&format!("{issue}/follow-by-mail"));
    assert!(!guest_page
        .body
        .contains(&format!("action=\"{issue}/follow\"")));
    // Ann has a confirmed address: the button only. Bob has none: both.
    let page = ann.get(&issue).await;
    page.assert_contains("Follow this issue");
    assert!(!page.body.contains("follow-by-mail"), "{}", page.body);
    bob.get(&issue).await.assert_contains("follow-by-mail");

    for who in [&ann, &bob, &sam] {
        let followed = who
            .submit(&issue, &format!("{issue}/follow"), &[("action", "follow")])
            .await;
        assert_eq!(followed.status, 303, "{}", followed.body);
        assert_eq!(followed.header("location"), format!("{issue}#follow"));
    }
    // Following twice is still one follow; nonsense is refused.
    ann.submit(&issue, &format!("{issue}/follow"), &[("action", "follow")])
        .await;
    let odd = ann
        .submit(
            &issue,
            &format!("{issue}/follow"),
            &[("action", "<b>maybe</b>")],
        )
        .await;
    assert_eq!(odd.status, 400);
    assert!(!odd.body.contains("<b>maybe</b>"), "escaped: {}", odd.body);
    ann.get(&issue).await.assert_contains("Stop following");
    // Without the form's CSRF token nothing happens; a guest cannot follow
    // as a member.
    let forged = bob
        .post(&format!("{issue}/follow"), &[("action", "unfollow")])
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let guest = app.client();
    let token = guest.csrf(&issue).await;
    let as_guest = guest
        .post(
            &format!("{issue}/follow"),
            &[("csrf", token.as_str()), ("action", "follow")],
        )
        .await;
    assert_eq!(as_guest.status, 303, "{}", as_guest.body);
    assert!(
        as_guest.header("location").starts_with("/login"),
        "a guest is sent to sign in: {}",
        as_guest.header("location")
    );

    // The dashboard counts the three followers.
    let row = dashboard_row(&sam.get("/staff").await, &issue);
    assert!(
        row.contains("<td>Identified</td><td>0</td><td>3</td>"),
        "three followers, no linked question yet: {row}"
    );

    // Bob's question is linked to the issue: as he follows it, he hears of
    // the fix once, as a follower.
    let bobs = bob
        .asks("Printing stopped after the update", BODY, "printing")
        .await;
    let linked = link_to_issue(&sam, &bobs, "printing-fails-after-firmware-42").await;
    assert_eq!(linked.status, 303, "{}", linked.body);

    // Only staff post updates: a member's try tells nobody.
    let refused = ann
        .submit(
            &issue,
            &format!("{issue}/updates"),
            &[("text", "I fixed it myself"), ("status", "fixed")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(issue_notes(&app, app.user_id("bob")), 0);

    // A staff update: Ann and Bob are told once each, Sam (who wrote it) not.
    post_update(
        &sam,
        &issue,
        &[
            ("text", "Firmware 4.3 fixes it: <script>alert(1)</script>"),
            ("status", "fixed"),
            ("fixed_in", "4.3"),
        ],
    )
    .await;
    let (ann_id, bob_id, sam_id) = (
        app.user_id("ann"),
        app.user_id("bob"),
        app.user_id("support_sam"),
    );
    assert_eq!(issue_notes(&app, ann_id), 1);
    assert_eq!(issue_notes(&app, bob_id), 1);
    assert_eq!(issue_notes(&app, sam_id), 0, "never the writer");
    assert_eq!(
        notes_of_kind(
            &app,
            bob_id,
            signpost::service::known_issues::FIXED_NOTIFICATION
        ),
        0,
        "a following asker is told once"
    );
    let listed = bob.get("/notifications").await;
    listed.assert_contains("Update on the known issue");
    listed.assert_contains(&format!("href=\"{issue}\""));

    wait_mail(&sink, "ann@example.com", "Fixed in 4.3", 1);
    let mail = mails_to(&sink, "ann@example.com", "Fixed in 4.3").remove(0);
    assert_eq!(
        mail.subject(),
        "Fixed in 4.3: \"Printing fails after firmware 4.2\""
    );
    assert!(mail.text().contains("<script>alert(1)</script>"));
    assert!(!mail.html().contains("<script>"), "{}", mail.html());
    assert!(mail.html().contains("&lt;script&gt;"));
    let unsubscribe = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    let link = unsubscribe
        .trim_matches(|c| c == '<' || c == '>')
        .to_string();
    assert!(
        link.starts_with(&format!("{BASE}/follow/known-issue/stop/")),
        "{link}"
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(mail.text().contains(&link), "the footer has it too");

    // The link: GET asks (a mail scanner stops nothing), POST stops.
    let stranger = app.client();
    let ask = stranger.get(path_of(&link)).await;
    assert_eq!(ask.status, 200, "{}", ask.body);
    ask.assert_contains("Stop following this issue?");
    ann.get(&issue).await.assert_contains("Stop following");
    let stopped = stranger
        .post(path_of(&link), &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    stopped.assert_contains("You no longer follow this issue");
    ann.get(&issue).await.assert_contains("Follow this issue");
    // Used again: the same calm answer; a changed link is refused.
    let again = stranger.post(path_of(&link), &[]).await;
    assert_eq!(again.status, 200);
    let mut forged = link.clone();
    let last = forged.pop().expect("char");
    forged.push(if last == '0' { '1' } else { '0' });
    assert_eq!(stranger.get(path_of(&forged)).await.status, 400);

    // The next update reaches Bob (in the site) but not Ann, and Sam
    // (now a follower who did not write it) by mail.
    let tess = app.staff("triage_tess").await;
    post_update(&tess, &issue, &[("text", "Release notes are out.")]).await;
    assert_eq!(issue_notes(&app, bob_id), 2);
    assert_eq!(issue_notes(&app, ann_id), 1, "Ann stopped following");
    assert_eq!(issue_notes(&app, sam_id), 1);
    wait_mail(&sink, "sam@example.com", "Update on the known issue", 1);
    assert_eq!(
        mails_to(&sink, "ann@example.com", "known issue").len()
            + mails_to(&sink, "ann@example.com", "Fixed").len(),
        1,
        "Ann got the first update's mail only"
    );

    // An unfollow through the page works as well, and a title edit keeps
    // the follow (followers hang on the issue, not its words).
    let edited = sam
        .submit(
            &format!("{issue}/edit"),
            &format!("{issue}/edit"),
            &[
                ("title", "Printing fails after firmware 4.2 (all models)"),
                ("symptoms", "The job stays queued with error 0x42."),
                ("status", "fixed"),
                ("fixed_in", "4.3"),
            ],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    bob.get(&issue).await.assert_contains("Stop following");
    let unfollowed = bob
        .submit(
            &issue,
            &format!("{issue}/follow"),
            &[("action", "unfollow")],
        )
        .await;
    assert_eq!(unfollowed.status, 303);
    bob.get(&issue).await.assert_contains("Follow this issue");
}

#[actix_web::test]
async fn an_address_follows_once_confirmed_and_one_click_stops_its_mail() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let sam = app.staff("support_sam").await;
    let issue = create_issue(&sam, "Printing fails <b>after</b> firmware 4.2").await;
    let guest = app.client();

    // A bad address is shown again with the reason, escaped.
    let bad = guest
        .submit(
            &issue,
            &format!("{issue}/follow-by-mail"),
            &[("email", "<i>nobody</i>")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(!bad.body.contains("<i>nobody"), "{}", bad.body);
    bad.assert_contains("&lt;i&gt;nobody");

    let asked = guest
        .submit(
            &issue,
            &format!("{issue}/follow-by-mail"),
            &[("email", "Fan@Example.com")],
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    asked.assert_contains("Check your mail");
    wait_mail(&sink, "Fan@Example.com", "Confirm", 1);
    let confirm = mails_to(&sink, "Fan@Example.com", "Confirm").remove(0);
    assert_eq!(confirm.header("List-Unsubscribe"), None, "asked-for mail");
    assert!(!confirm.html().contains("<b>after"), "{}", confirm.html());
    assert!(confirm.html().contains("&lt;b&gt;after&lt;/b&gt;"));
    let link = confirm.link(&format!("{BASE}/follow/known-issue/confirm/"));

    // Not confirmed yet: an update mails nobody, and the dashboard counts nobody.
    post_update(&sam, &issue, &[("text", "Still looking into it.")]).await;
    let row = dashboard_row(&sam.get("/staff").await, &issue);
    assert!(
        row.contains("<td>Identified</td><td>0</td><td>0</td>"),
        "{row}"
    );

    // The link confirms once, without signing in.
    let confirmed = app.client().get(path_of(&link)).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    confirmed.assert_contains("You follow this issue");
    let again = app.client().get(path_of(&link)).await;
    assert_eq!(again.status, 404, "{}", again.body);
    again.assert_contains("already used");
    let row = dashboard_row(&sam.get("/staff").await, &issue);
    assert!(
        row.contains("<td>Identified</td><td>0</td><td>1</td>"),
        "{row}"
    );

    // Asking again for a following address answers exactly as for a new
    // one and mails nothing.
    let other = app.client();
    let repeat = other
        .submit(
            &issue,
            &format!("{issue}/follow-by-mail"),
            &[("email", "fan@example.com")],
        )
        .await;
    let fresh = other
        .submit(
            &issue,
            &format!("{issue}/follow-by-mail"),
            &[("email", "new@example.com")],
        )
        .await;
    assert_eq!(repeat.status, fresh.status);
    assert_eq!(
        message_of(&repeat).replace("fan@example.com", "ADDRESS"),
        message_of(&fresh).replace("new@example.com", "ADDRESS")
    );

    // The next update is mailed to the address, with its own stop link.
    post_update(
        &sam,
        &issue,
        &[("text", "A fix is in progress."), ("status", "fixing")],
    )
    .await;
    wait_mail(&sink, "Fan@Example.com", "Fix in progress", 1);
    wait_mail(&sink, "new@example.com", "Confirm", 1);
    assert_eq!(
        mails_to(&sink, "Fan@Example.com", "Confirm").len(),
        1,
        "no second confirmation for a following address"
    );
    let update = mails_to(&sink, "Fan@Example.com", "Fix in progress").remove(0);
    assert!(update.text().contains("A fix is in progress."));
    assert!(
        !update.text().contains("Still looking"),
        "sent before confirming"
    );
    let stop = update
        .header("List-Unsubscribe")
        .expect("List-Unsubscribe")
        .trim_matches(|c| c == '<' || c == '>')
        .to_string();
    // RFC 8058: the mail program POSTs `List-Unsubscribe=One-Click`, no
    // cookie, no CSRF token.
    let stopped = app
        .client()
        .post(path_of(&stop), &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);

    // After it, another follower is mailed and the address is not.
    let ann = app.member("ann").await;
    verified_address(&app, "ann", "ann@example.com");
    ann.submit(&issue, &format!("{issue}/follow"), &[("action", "follow")])
        .await;
    post_update(
        &sam,
        &issue,
        &[("text", "Fixed."), ("status", "fixed"), ("fixed_in", "4.3")],
    )
    .await;
    wait_mail(&sink, "ann@example.com", "Fixed in 4.3", 1);
    app.started()
        .site_jobs
        .run_due("test-clock", signpost::db::unix_now())
        .expect("jobs");
    assert!(mails_to(&sink, "Fan@Example.com", "Fixed").is_empty());
    assert_eq!(
        sink.messages()
            .iter()
            .filter(|m| m
                .to
                .iter()
                .any(|t| t.eq_ignore_ascii_case("fan@example.com")))
            .count(),
        2,
        "the confirmation and one update"
    );
}

/// Sends the e-mail follow form of `issue` as `client`.
async fn ask_by_mail(client: &Client<'_>, issue: &str, address: &str) -> Page {
    client
        .submit(
            issue,
            &format!("{issue}/follow-by-mail"),
            &[("email", address)],
        )
        .await
}

/// The dashboard's row of the open issue at `issue`.
fn dashboard_row(page: &Page, issue: &str) -> String {
    let at = page
        .body
        .find(&format!("<a href=\"{issue}\">"))
        .unwrap_or_else(|| panic!("no row for {issue}: {}", page.body));
    let start = page.body[..at].rfind("<tr>").expect("row start");
    let len = page.body[start..].find("</tr>").expect("row end");
    page.body[start..start + len].to_string()
}

#[actix_web::test]
async fn the_address_form_is_limited_per_client_and_per_mailbox() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let sam = app.staff("support_sam").await;
    let issue = create_issue(&sam, "Printing fails after firmware 4.2").await;
    // One mailbox gets at most 3 links an hour, whoever asks, and the
    // fourth asker is answered the same.
    for n in 0..4 {
        let mut client = app.client();
        client.ip = format!("198.51.100.{}", n + 1);
        let page = ask_by_mail(&client, &issue, "victim@example.com").await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.assert_contains("Check your mail");
    }
    let marker = app.client();
    ask_by_mail(&marker, &issue, "marker@example.com").await;
    wait_mail(&sink, "marker@example.com", "Confirm", 1);
    app.started()
        .site_jobs
        .run_due("test-clock", signpost::db::unix_now())
        .expect("jobs");
    assert_eq!(mails_to(&sink, "victim@example.com", "Confirm").len(), 3);

    // One client address may ask 10 times an hour.
    let mut busy = app.client();
    busy.ip = "192.0.2.44".into();
    for n in 0..10 {
        let page = ask_by_mail(&busy, &issue, &format!("fan{n}@example.com")).await;
        assert_eq!(page.status, 200, "request {n}: {}", page.body);
    }
    let over = ask_by_mail(&busy, &issue, "one-more@example.com").await;
    assert_eq!(over.status, 429, "{}", over.body);
}

/// A known-issue file, with `status`, `fixed_in` and extra timeline entries.
fn issue_file(status: &str, fixed_in: &str, extra_updates: &str) -> String {
    format!(
        r#"+++
title = "Sync stops on metered networks"
status = "{status}"
fixed_in = "{fixed_in}"
tags = ["sync"]
terms = ["sync stopped"]
workaround = "Mark the network as **not metered**."

[[updates]]
date = "2026-11-20"
text = "We can reproduce it."
status = "identified"
{extra_updates}+++
Sync pauses whenever the phone is on a metered network.
"#
    )
}

const FILE: &str = "known-issues/sync-metered.md";

/// Waits until `done` holds (the watcher looks every 2 s; the machine is busy).
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "{what} within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[actix_web::test]
async fn an_edited_known_issue_file_is_served_without_a_restart() {
    let app = TestApp::guide()
        .file(FILE, &issue_file("identified", "", ""))
        .configure(|config| config.watch_content = true)
        .start();
    app.get("/known-issues/sync-metered")
        .await
        .assert_contains("We can reproduce it.");
    app.write_content(
        FILE,
        &issue_file(
            "fix in progress",
            "",
            "\n[[updates]]\ndate = \"2026-11-24\"\ntext = \"A quarzflint build is being tested.\"\nstatus = \"fix in progress\"\n",
        ),
    );
    eventually("the edited issue is served", || async {
        app.get("/known-issues/sync-metered")
            .await
            .body
            .contains("quarzflint")
    })
    .await;
    let page = app.get("/known-issues/sync-metered").await;
    page.assert_contains("Fix in progress");
    page.assert_contains("We can reproduce it.");
}

#[actix_web::test]
async fn a_known_issue_file_fixed_on_disk_tells_followers_and_askers_once() {
    let sink = SmtpSink::start();
    let mut app = TestApp::guide()
        .file(FILE, &issue_file("identified", "", ""))
        .configure(sink.configure())
        .configure(|config| config.watch_content = true)
        .start();
    app.wait_indexed();
    let issue = "/known-issues/sync-metered";
    let (ann_id, pat_id) = told_of_a_fix_on_disk(&app, &sink, issue).await;

    // Reloading the same file again, and a restart, tell nobody again.
    app.started().content.trigger().reload();
    app.write_content(
        "manuals/guide/later.md",
        &article("Later", 3, "Written after the fix."),
    );
    eventually("the next reload ran", || async {
        app.get("/docs/guide/later").await.status == 200
    })
    .await;
    app.restart().expect("restart");
    app.started()
        .site_jobs
        .run_due("test-clock", signpost::db::unix_now())
        .expect("jobs");
    assert_eq!(issue_notes(&app, ann_id), 1);
    assert_eq!(
        notes_of_kind(
            &app,
            pat_id,
            signpost::service::known_issues::FIXED_NOTIFICATION
        ),
        1
    );
    assert_eq!(mails_to(&sink, "ann@example.com", "Fixed in 3.1").len(), 1);
    assert_eq!(mails_to(&sink, "fan@example.com", "Fixed in 3.1").len(), 1);
}

/// Ann (member) and fan@example.com (address) follow the file-based issue,
/// Pat's question is linked to it; the file turns fixed on disk and each
/// hears once. Returns Ann's and Pat's ids.
async fn told_of_a_fix_on_disk(app: &TestApp, sink: &SmtpSink, issue: &str) -> (UserId, UserId) {
    let staff = app.staff("support_sam").await;
    let ann = app.member("ann").await;
    verified_address(app, "ann", "ann@example.com");
    ann.submit(issue, &format!("{issue}/follow"), &[("action", "follow")])
        .await;
    let pat = app.member("pat").await;
    verified_address(app, "pat", "pat@example.com");
    let question = pat.asks("Sync stopped on my phone", BODY, "sync").await;
    let linked = link_to_issue(&staff, &question, "sync-metered").await;
    assert_eq!(linked.status, 303, "{}", linked.body);
    let guest = app.client();
    guest
        .submit(
            issue,
            &format!("{issue}/follow-by-mail"),
            &[("email", "fan@example.com")],
        )
        .await;
    wait_mail(sink, "fan@example.com", "Confirm", 1);
    let link = mails_to(sink, "fan@example.com", "Confirm")
        .remove(0)
        .link(&format!("{BASE}/follow/known-issue/confirm/"));
    assert_eq!(app.client().get(path_of(&link)).await.status, 200);

    // The file says fixed, with a new entry: a real reload picks it up.
    let fixed = issue_file(
        "fixed",
        "3.1",
        "\n[[updates]]\ndate = \"2026-11-28\"\ntext = \"Version 3.1 syncs on metered networks.\"\nstatus = \"fixed\"\n",
    );
    app.write_content(FILE, &fixed);
    eventually("the fixed issue is served", || async {
        app.get(issue).await.body.contains("Fixed in 3.1")
    })
    .await;
    let (ann_id, pat_id) = (app.user_id("ann"), app.user_id("pat"));
    assert_eq!(issue_notes(app, ann_id), 1);
    assert_eq!(
        notes_of_kind(
            app,
            pat_id,
            signpost::service::known_issues::FIXED_NOTIFICATION
        ),
        1
    );
    wait_mail(sink, "ann@example.com", "Fixed in 3.1", 1);
    wait_mail(sink, "fan@example.com", "Fixed in 3.1", 1);
    wait_mail(sink, "pat@example.com", "Fixed", 1);
    let fan = mails_to(sink, "fan@example.com", "Fixed in 3.1").remove(0);
    assert!(fan
        .text()
        .contains("Version 3.1 syncs on metered networks."));
    (ann_id, pat_id)
}

/// A stop link names one follow: replayed after that follow ended, it never
/// ends a later follow, even one that gets a reused row id.
#[actix_web::test]
async fn an_old_stop_link_never_ends_a_later_follow() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let sam = app.staff("support_sam").await;
    let issue = create_issue(&sam, "Scanner stops halfway").await;

    // The only follower follows by address, gets an update, and stops.
    let guest = app.client();
    guest
        .submit(
            &issue,
            &format!("{issue}/follow-by-mail"),
            &[("email", "fan@example.com")],
        )
        .await;
    wait_mail(&sink, "fan@example.com", "Confirm", 1);
    let confirm = mails_to(&sink, "fan@example.com", "Confirm").remove(0);
    let link = confirm.link(&format!("{BASE}/follow/known-issue/confirm/"));
    assert_eq!(app.client().get(path_of(&link)).await.status, 200);
    post_update(
        &sam,
        &issue,
        &[("text", "A fix is in progress."), ("status", "fixing")],
    )
    .await;
    wait_mail(&sink, "fan@example.com", "Fix in progress", 1);
    let stop = mails_to(&sink, "fan@example.com", "Fix in progress")
        .remove(0)
        .header("List-Unsubscribe")
        .expect("List-Unsubscribe")
        .trim_matches(|c| c == '<' || c == '>')
        .to_string();
    let one_click = [("List-Unsubscribe", "One-Click")];
    let stopped = app.client().post(path_of(&stop), &one_click).await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);

    // A member follows next; the old link, replayed, leaves them following.
    let ann = app.member("ann").await;
    ann.submit(&issue, &format!("{issue}/follow"), &[("action", "follow")])
        .await;
    let replayed = app.client().post(path_of(&stop), &one_click).await;
    assert_ne!(replayed.status, 500, "{}", replayed.body);
    let row = dashboard_row(&sam.get("/staff").await, &issue);
    assert!(
        row.contains("<td>Fix in progress</td><td>0</td><td>1</td>"),
        "{row}"
    );
    ann.get(&issue).await.assert_contains("Stop following");
}

/// Follows `issue` with `address` alone, confirmed (what the mailed link does).
fn follow_by_address(app: &TestApp, issue: KnownIssueId, address: &str) {
    let mut conn = app.started().state.db.get().expect("db");
    let key = signpost::db::models::mail::address_key(address);
    let hash = format!("confirm-{key}");
    let now = signpost::db::unix_now();
    follower_rows::add_pending_address(&mut conn, issue, address, &key, &hash, now + 60, now)
        .expect("pending");
    follower_rows::confirm(&mut conn, &hash, now)
        .expect("confirm")
        .expect("confirmed");
}

/// The addresses the queued `mail-issue-update` jobs of `update` go to.
fn addresses_mailed(app: &TestApp, update: KnownIssueUpdateId) -> Vec<String> {
    let mut conn = app.started().state.db.get().expect("db");
    let payloads: Vec<String> = job_rows::table
        .filter(job_rows::kind.eq(signpost::db::models::mail::ISSUE_UPDATE_JOB))
        .select(job_rows::payload)
        .load(&mut conn)
        .expect("jobs");
    let mut mailed: Vec<String> = payloads
        .iter()
        .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .filter(|p| p["update_id"].as_i64() == Some(i64::from(update.0)))
        .filter_map(|p| p["follower_id"].as_i64())
        .map(|id| {
            let id = signpost::ids::KnownIssueFollowerId(id as i32);
            follower_rows::find(&mut conn, id)
                .expect("follower")
                .and_then(|f| f.address)
                .expect("an address follower")
        })
        .collect();
    mailed.sort();
    mailed
}

/// Who gets an address-only follower's mail of an update: every address
/// that would otherwise get nothing at once (its member chose the daily
/// digest or no mail), never the writer's own confirmed address, never an
/// address that already gets the update's mail as a following member's;
/// and the members' address rows are read in one query, however many.
#[actix_web::test]
async fn an_address_follower_is_mailed_unless_that_address_already_gets_it() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let sam = app.staff("support_sam").await;
    create_issue(&sam, "Printing fails after firmware 4.2").await;
    for (name, delivery) in [("ann", "never"), ("bob", "daily"), ("cyd", "immediate")] {
        app.member(name).await;
        verified_address(&app, name, &format!("{name}@example.com"));
        let mut conn = app.started().state.db.get().expect("db");
        let delivery = signpost::db::models::mail::Delivery::parse(delivery).expect("delivery");
        signpost::db::models::mail::set_delivery(&mut conn, app.user_id(name), delivery, 0)
            .expect("delivery");
    }
    verified_address(&app, "support_sam", "Sam@Example.com");
    let issue_id = {
        let mut conn = app.started().state.db.get().expect("db");
        signpost::db::models::known_issues::find_by_slug(
            &mut conn,
            "printing-fails-after-firmware-42",
        )
        .expect("issue")
        .expect("found")
        .id
    };
    let now = signpost::db::unix_now();
    for name in ["ann", "bob", "cyd"] {
        let mut conn = app.started().state.db.get().expect("db");
        known_issue_follow::set_member(&mut conn, issue_id, app.user_id(name), true, now)
            .expect("follow");
    }
    for address in [
        "ann@example.com",
        "bob@example.com",
        "cyd@example.com",
        "sam@example.com",
        "fan@example.com",
    ] {
        follow_by_address(&app, issue_id, address);
    }

    let sam_id = app.user_id("support_sam");
    let mut conn = app.started().state.db.get().expect("db");
    let mail_lookups = Arc::new(AtomicUsize::new(0));
    let counter = mail_lookups.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            if sql.trim_start().starts_with("SELECT") && sql.contains("user_mail") {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let (update, told) = conn
        .immediate_transaction(|conn| {
            let update = signpost::db::models::known_issues::add_update(
                conn,
                issue_id,
                "Firmware 4.3 is out.",
                "<p>Firmware 4.3 is out.</p>",
                None,
                Some(sam_id),
                now,
            )?;
            let told =
                known_issue_follow::tell_followers(conn, issue_id, update, Some(sam_id), now)?;
            Ok::<_, signpost::error::AppError>((update, told))
        })
        .expect("update");
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    drop(conn);
    assert_eq!(
        addresses_mailed(&app, update),
        ["ann@example.com", "bob@example.com", "fan@example.com"],
        "ann (no mail) and bob (daily) would get nothing at once; cyd gets it as a member; \
         sam wrote it"
    );
    assert_eq!(
        mail_lookups.load(Ordering::SeqCst),
        1,
        "one query for every member's address row"
    );
    assert_eq!(told, 3 + 3, "three members, three addresses");
    for name in ["ann", "bob", "cyd"] {
        assert_eq!(issue_notes(&app, app.user_id(name)), 1, "{name}");
    }
    assert_eq!(issue_notes(&app, sam_id), 0);
}

/// Two follows of one member at once: the second finds the row the first
/// is writing and adds nothing, instead of failing on the unique index.
#[actix_web::test]
async fn a_member_following_twice_at_once_is_one_follow_without_an_error() {
    let app = TestApp::guide().start();
    let sam = app.staff("support_sam").await;
    create_issue(&sam, "Printing fails after firmware 4.2").await;
    app.member("ann").await;
    let ann = app.user_id("ann");
    let pool = app.started().state.db.clone();
    let mut first = pool.get().expect("db");
    let issue = signpost::db::models::known_issues::find_by_slug(
        &mut first,
        "printing-fails-after-firmware-42",
    )
    .expect("issue")
    .expect("found")
    .id;
    let now = signpost::db::unix_now();
    let second = first
        .immediate_transaction(|conn| {
            assert!(follower_rows::add_member(conn, issue, ann, now)?);
            // The other follow starts before this one commits: it does not
            // see the row yet and waits for the index entry.
            let pool = pool.clone();
            let other = std::thread::spawn(move || {
                let mut conn = pool.get().expect("db");
                follower_rows::add_member(&mut conn, issue, ann, now)
            });
            std::thread::sleep(Duration::from_millis(500));
            Ok::<_, diesel::result::Error>(other)
        })
        .expect("first follow");
    let second = second.join().expect("thread");
    assert_eq!(
        second.ok(),
        Some(false),
        "the second follow adds nothing and fails not"
    );
    let mut conn = pool.get().expect("db");
    assert!(known_issue_follow::is_following(&mut conn, issue, ann).expect("follows"));
}
