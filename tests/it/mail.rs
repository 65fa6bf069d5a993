//! E-mail against a real SMTP listener ([`SmtpSink`]): address
//! verification, notification mail (both parts, escaped HTML, one-click
//! unsubscribe), the daily digest, "never", a mail server that is down,
//! e-mail off without settings, and "forgot password".

use diesel::prelude::*;
use signpost::db::models::jobs as job_rows;
use signpost::db::models::mail::{self as mail_rows, Delivery};
use signpost::db::models::notifications;
use signpost::db::unix_now;
use signpost::jobs::site::MAIL_DIGEST;

use crate::fixtures::BODY;
use crate::harness::{TestApp, TEST_PASSWORD};
use crate::smtp_sink::SmtpSink;

/// The default `base_url` of a test app: every mailed link starts with it.
const BASE: &str = "http://127.0.0.1:8080";

/// An app whose mail goes to `sink`.
fn mail_app(sink: &SmtpSink) -> TestApp {
    TestApp::guide().configure(sink.configure()).start()
}

/// The id of user `name`.
/// Gives `name` a verified `address` directly (the verification flow has
/// its own test).
pub(crate) fn verified_address(app: &TestApp, name: &str, address: &str) {
    let id = app.user_id(name);
    let mut conn = app.started().state.db.get().expect("db");
    mail_rows::set_address(&mut conn, id, address, unix_now()).expect("address");
    assert_eq!(
        mail_rows::mark_verified(&mut conn, id, address, unix_now()).expect("verify"),
        Some(true)
    );
}

/// Mail jobs queued (or retrying) and given up, once no worker holds one:
/// a mail the sink has received may still be finishing (its job is deleted
/// just after the SMTP server accepts it).
fn queue(app: &TestApp) -> (i64, i64) {
    use signpost::db::schema::jobs;
    let mut conn = app.started().state.db.get().expect("db");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let held: i64 = jobs::table
            .filter(jobs::kind.eq_any(mail_rows::MAIL_JOBS))
            .filter(jobs::claim_token.is_not_null())
            .count()
            .get_result(&mut conn)
            .expect("held jobs");
        if held == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a mail job is still held after 20 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    signpost::service::mail::queue_counts(&mut conn).expect("counts")
}

/// Runs every job due `ahead` seconds from now, as the worker would then.
fn run_jobs_in(app: &TestApp, ahead: i64) -> usize {
    app.started()
        .site_jobs
        .run_due("test-clock", unix_now() + ahead)
        .expect("run due jobs")
}

/// The path of an absolute link of this site.
fn path_of(link: &str) -> &str {
    link.strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{link} is not a link to {BASE}"))
}

#[actix_web::test]
async fn an_address_is_verified_by_a_single_use_link_and_belongs_to_one_account() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let ann = app.member("ann").await;
    let account = ann.get("/account").await;
    account.assert_contains("name=\"email\"");
    assert!(!account.body.contains("E-mail is off"), "{}", account.body);

    let saved = ann
        .submit(
            "/account",
            "/account/email",
            &[("email", "Ann@Example.com")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.header("location"), "/account?saved=email");
    let page = ann.get("/account").await;
    page.assert_contains("Not confirmed yet");

    let mail = sink.wait_for(1).remove(0);
    assert_eq!(mail.to, ["Ann@Example.com"]);
    assert_eq!(mail.from, "help@example.com");
    assert!(
        mail.subject().contains("Confirm your e-mail address"),
        "{}",
        mail.subject()
    );
    assert!(mail.html().contains("Confirm this address"));
    assert_eq!(
        mail.header("List-Unsubscribe"),
        None,
        "asked-for mail has no unsubscribe"
    );
    let link = mail.link(&format!("{BASE}/account/email/verify/"));

    // Anyone holding the link confirms it (no sign-in), once.
    let stranger = app.client();
    let confirmed = stranger.get(path_of(&link)).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    confirmed.assert_contains("Ann@Example.com");
    let again = stranger.get(path_of(&link)).await;
    assert_eq!(again.status, 404, "{}", again.body);
    again.assert_contains("already used");
    let tampered = stranger
        .get(&format!("/account/email/verify/{}", "0".repeat(64)))
        .await;
    assert_eq!(tampered.status, 404);
    ann.get("/account").await.assert_contains("Confirmed.");

    // Compared without case: the address is Ann's; nobody else may confirm
    // it (the page answers as for any address: see
    // `an_address_of_another_account_is_answered_as_any_and_its_owner_told`),
    // and it never shows on her public profile.
    let bob = app.member("bob").await;
    let taken = bob
        .submit(
            "/account",
            "/account/email",
            &[("email", "ann@example.COM")],
        )
        .await;
    assert_eq!(taken.status, 303, "{}", taken.body);
    let mut conn = app.started().state.db.get().expect("db");
    let bobs = mail_rows::find(&mut conn, app.user_id("bob"))
        .expect("query")
        .expect("bob's pending address");
    assert!(!bobs.is_verified(), "never confirmed for bob");
    let anns = mail_rows::find(&mut conn, app.user_id("ann"))
        .expect("query")
        .expect("ann's address");
    assert!(anns.is_verified(), "still ann's");
    drop(conn);
    let profile = bob.get("/users/ann").await;
    assert_eq!(profile.status, 200);
    assert!(!profile.body.to_lowercase().contains("ann@example.com"));
    let bad = bob
        .submit("/account", "/account/email", &[("email", "bob at home")])
        .await;
    assert_eq!(bad.status, 422);
    bad.assert_contains("is not an e-mail address");

    // Registration takes an optional address and mails its link.
    let cara = app.client();
    cara.get("/register")
        .await
        .assert_contains("name=\"email\"");
    let registered = register_with_address(&cara, "cara", "cara@example.com").await;
    assert_eq!(registered.status, 303, "{}", registered.body);
    sink.wait_until("cara's confirmation", |all| {
        all.iter().any(|m| m.to == ["cara@example.com"])
    });
    let mut conn = app.started().state.db.get().expect("db");
    let row = mail_rows::find(&mut conn, app.user_id("cara"))
        .expect("query")
        .expect("cara has an address");
    assert!(!row.is_verified(), "unverified until the link is opened");
    assert_eq!(row.delivery(), Delivery::Immediate, "the default choice");
}

#[actix_web::test]
async fn an_address_of_another_account_is_answered_as_any_and_its_owner_told() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    app.member("ann").await;
    verified_address(&app, "ann", "ann@example.com");
    let bob = app.member("bob").await;

    // Changing to a free address and to ann's: the same answer and page.
    let free = bob
        .submit(
            "/account",
            "/account/email",
            &[("email", "bob@example.com")],
        )
        .await;
    let confirm = sink.wait_for(1).remove(0);
    assert!(confirm.subject().contains("Confirm your e-mail address"));
    let free_page = bob.get(free.header("location")).await;
    let taken = bob
        .submit(
            "/account",
            "/account/email",
            &[("email", "ANN@example.com")],
        )
        .await;
    assert_eq!(
        (taken.status, taken.header("location")),
        (free.status, free.header("location"))
    );
    let taken_page = bob.get(taken.header("location")).await;
    taken_page.assert_contains("Check your inbox");
    taken_page.assert_contains("Not confirmed yet");
    assert_eq!(
        free_page.body.replace("bob@example.com", "ANN@example.com"),
        taken_page.body,
        "the account page tells nothing more"
    );

    // Ann, not bob, hears of it, with the way back into her account and no
    // confirmation link.
    let told = sink.wait_for(2).remove(1);
    assert_eq!(told.to, ["ANN@example.com"]);
    assert!(
        told.subject()
            .contains("Someone tried to use your e-mail address"),
        "{}",
        told.subject()
    );
    let text = told.text();
    assert!(text.contains("belongs to your account ann"), "{text}");
    assert!(text.contains(&format!("{BASE}/login")), "{text}");
    assert!(text.contains(&format!("{BASE}/password/forgot")), "{text}");
    assert!(!text.contains("/account/email/verify/"), "{text}");
    assert!(
        !text.contains("bob"),
        "the other account is not named: {text}"
    );

    // Registering with ann's address: signed in as for any address, the
    // address stays unconfirmed, ann is told again.
    let cara = app.client();
    let registered = register_with_address(&cara, "cara", "ann@example.com").await;
    assert_eq!(registered.status, 303, "{}", registered.body);
    assert!(cara.has_session());
    cara.get("/account")
        .await
        .assert_contains("Not confirmed yet");
    let told = sink.wait_for(3).remove(2);
    assert_eq!(told.to, ["ann@example.com"]);
    assert!(told.subject().contains("Someone tried to use"));
    {
        let mut conn = app.started().state.db.get().expect("db");
        let owner = mail_rows::find_verified(&mut conn, &mail_rows::address_key("ann@example.com"))
            .expect("query")
            .expect("verified");
        assert_eq!(
            owner.user_id,
            app.user_id("ann"),
            "one account per confirmed address"
        );
    }

    // Ann is told at most three times an hour, however often it is tried.
    for _ in 0..2 {
        let again = bob
            .submit(
                "/account",
                "/account/email",
                &[("email", "ann@example.com")],
            )
            .await;
        assert_eq!(again.status, 303);
    }
    run_jobs_in(&app, 0);
    assert_eq!(queue(&app), (0, 0));
    let to_ann = sink
        .messages()
        .iter()
        .filter(|m| m.to[0].eq_ignore_ascii_case("ann@example.com"))
        .count();
    assert_eq!(to_ann, 3);
}

#[actix_web::test]
async fn a_notification_is_mailed_with_both_parts_escaped_and_unsubscribes_in_one_click() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    verified_address(&app, "ann", "ann@example.com");
    let renamed = bob
        .submit(
            "/account",
            "/account/profile",
            &[("display_name", "<script>bob()</script>")],
        )
        .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    let question = ann
        .asks("<script>alert(1)</script> printer offline", BODY, "printer")
        .await;
    let answer = bob
        .answers(&question, "Turn it off and on again, then re-add it.")
        .await;

    let mail = sink.wait_for(1).remove(0);
    assert_eq!(mail.to, ["ann@example.com"]);
    assert_eq!(
        mail.subject(),
        "New answer to \"<script>alert(1)</script> printer offline\""
    );
    let text = mail.text();
    assert!(
        text.contains("<script>bob()</script> answered your question"),
        "{text}"
    );
    let answer_link = format!("{BASE}{}#answer-{}", question.path, answer.id);
    assert!(text.contains(&answer_link), "{text}");
    let html = mail.html();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; printer offline"),
        "{html}"
    );
    assert!(
        html.contains("&lt;script&gt;bob()&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"{answer_link}\"")), "{html}");

    // RFC 8058: the link in the header and footer, POSTed by the mail program.
    let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let link = header
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string();
    assert!(link.starts_with(&format!("{BASE}/unsubscribe/")), "{link}");
    assert!(text.contains(&link), "footer has the link: {text}");
    let ann_id = app.user_id("ann");
    let delivery = || {
        let mut conn = app.started().state.db.get().expect("db");
        mail_rows::find(&mut conn, ann_id)
            .expect("query")
            .expect("address")
            .delivery()
    };

    let mail_program = app.client();
    let confirm = mail_program.get(path_of(&link)).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    confirm.assert_contains("Stop notification mail?");
    assert_eq!(delivery(), Delivery::Immediate, "GET alone changes nothing");

    let mut tampered = link.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == 'a' { 'b' } else { 'a' });
    for page in [
        mail_program.get(path_of(&tampered)).await,
        mail_program
            .post(path_of(&tampered), &[("List-Unsubscribe", "One-Click")])
            .await,
        mail_program.get("/unsubscribe/1-nothex").await,
    ] {
        assert_eq!(page.status, 400, "{}", page.body);
        page.assert_contains("unsubscribe link is not valid");
    }
    assert_eq!(delivery(), Delivery::Immediate);

    let done = mail_program
        .post(path_of(&link), &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    done.assert_contains("no more notification mail");
    assert_eq!(delivery(), Delivery::Never);

    // "Never": the next answer notifies in the site, queues no mail.
    bob.answers(&question, "Or update its firmware from the vendor site.")
        .await;
    assert_eq!(queue(&app), (0, 0));
    run_jobs_in(&app, 0);
    assert_eq!(sink.messages().len(), 1, "nothing more was mailed");
    let mut conn = app.started().state.db.get().expect("db");
    assert_eq!(
        notifications::unread_count(&mut conn, ann_id).expect("count"),
        2,
        "both answers still notify in the site"
    );
}

#[actix_web::test]
async fn any_notification_kind_is_mailed_with_a_generic_text() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let ann = app.member("ann").await;
    app.member("bob").await;
    verified_address(&app, "ann", "ann@example.com");
    let question = ann
        .asks("Scanner <jams> on page two", BODY, "scanner")
        .await;
    {
        let mut conn = app.started().state.db.get().expect("db");
        notifications::notify(
            &mut conn,
            app.user_id("ann"),
            "new_badge",
            notifications::About::post(question.id, None),
            app.user_id("bob"),
            unix_now(),
        )
        .expect("notify");
    }
    let mail = sink.wait_for(1).remove(0);
    assert_eq!(
        mail.subject(),
        "New activity on \"Scanner <jams> on page two\" (new badge)"
    );
    assert!(mail.text().contains("new badge"), "{}", mail.text());
    assert!(mail.text().contains(&format!("{BASE}{}", question.path)));
    assert!(mail.html().contains("Scanner &lt;jams&gt; on page two"));
}

#[actix_web::test]
async fn a_comment_is_mailed_with_a_link_to_its_anchor() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    verified_address(&app, "ann", "ann@example.com");
    let question = ann
        .asks("Scanner stops after one page", BODY, "scanner")
        .await;
    let sent = bob
        .submit(
            &question.path,
            &format!("/questions/{}/comments", question.id),
            &[("body", "Which firmware version, @ann?")],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let anchor = sent.header("location").to_string();
    assert!(anchor.contains("#comment-"), "{anchor}");
    // Asked about and mentioned at once: one mail, not two.
    let mail = sink.wait_for(1).remove(0);
    assert_eq!(mail.to, ["ann@example.com"]);
    assert_eq!(
        mail.subject(),
        "New comment on \"Scanner stops after one page\""
    );
    assert!(
        mail.text().contains(&format!("{BASE}{anchor}")),
        "{}",
        mail.text()
    );
    let mut conn = app.started().state.db.get().expect("db");
    let told = notifications::unread_count(&mut conn, app.user_id("ann")).expect("count");
    assert_eq!(told, 1, "one notification, so one mail");
}

#[actix_web::test]
async fn the_daily_digest_groups_notifications_into_one_mail() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    verified_address(&app, "ann", "ann@example.com");
    let chosen = ann
        .submit("/account", "/account/mail", &[("delivery", "daily")])
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    ann.get("/account")
        .await
        .assert_contains("value=\"daily\" checked");
    // The worker's first digest run (at start) is behind us, so only the
    // test's clock sends the digest.
    let state = &app.started().state;
    let deadline = std::time::Instant::now() + crate::smtp_sink::WAIT;
    let digest_ran = || {
        job_rows::periodic(&mut state.db.get().expect("db"), &MAIL_DIGEST.unique_key())
            .expect("query")
            .is_some_and(|row| row.runs >= 1)
    };
    while !digest_ran() {
        assert!(
            std::time::Instant::now() < deadline,
            "digest task never ran"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let question = ann.asks("Laptop fan is loud", BODY, "laptop").await;
    let other = ann.asks("Laptop battery drains fast", BODY, "laptop").await;
    bob.answers(&question, "Clean the vents with compressed air.")
        .await;
    bob.answers(&question, "Check for a runaway process too.")
        .await;
    bob.answers(&other, "Lower the screen brightness first.")
        .await;
    assert_eq!(queue(&app), (0, 0), "nothing mailed at once");
    run_jobs_in(&app, 0);
    assert!(sink.messages().is_empty());

    run_jobs_in(&app, 2 * 3600);
    let mail = sink.wait_for(1).remove(0);
    assert_eq!(mail.to, ["ann@example.com"]);
    assert!(mail.subject().contains("3 updates"), "{}", mail.subject());
    let text = mail.text();
    assert_eq!(text.matches("answered your question").count(), 3, "{text}");
    assert!(text.contains("Laptop fan is loud") && text.contains("Laptop battery drains fast"));
    assert!(mail.header("List-Unsubscribe").is_some());

    // Sent once: later runs that day find nothing more to send.
    run_jobs_in(&app, 3 * 3600);
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(queue(&app), (0, 0));
}

#[actix_web::test]
async fn a_mail_server_that_is_down_loses_nothing_and_gets_the_mail_later() {
    let sink = SmtpSink::start();
    sink.refuse(true);
    let app = mail_app(&sink);
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    verified_address(&app, "ann", "ann@example.com");
    let question = ann.asks("Router drops wifi at night", BODY, "router").await;
    // The request does not wait for the mail server.
    let posted_at = unix_now();
    bob.answers(&question, "Turn off the nightly channel scan.")
        .await;

    // The worker tried, was refused, and scheduled a retry.
    sink.wait_refused(1);
    let deadline = std::time::Instant::now() + crate::smtp_sink::WAIT;
    {
        use signpost::db::schema::jobs;
        let mut conn = app.started().state.db.get().expect("db");
        let retry: (Option<String>, Option<i64>, i64) = loop {
            let row: (Option<String>, Option<i64>, i64) = jobs::table
                .filter(jobs::kind.eq(mail_rows::NOTIFICATION_JOB))
                .select((jobs::last_error, jobs::dead_at, jobs::run_at))
                .first(&mut conn)
                .expect("the mail job is kept");
            if row.0.is_some() {
                break row;
            }
            assert!(std::time::Instant::now() < deadline, "failure not recorded");
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let error = retry.0.unwrap_or_default();
        assert!(error.contains("451"), "{error}");
        assert_eq!(retry.1, None, "not given up");
        assert!(retry.2 >= posted_at + 30, "retried 30 s later (backoff)");
    }
    assert!(sink.messages().is_empty());
    assert_eq!(queue(&app), (1, 0));
    let staff = app.staff("sam").await;
    staff
        .get("/staff")
        .await
        .assert_contains("Mail: 1 queued, 0 failed");

    // Back up: the retry delivers it, once.
    sink.refuse(false);
    run_jobs_in(&app, 3600);
    let mail = sink.wait_for(1).remove(0);
    assert_eq!(mail.to, ["ann@example.com"]);
    assert!(mail.subject().contains("Router drops wifi at night"));
    assert_eq!(queue(&app), (0, 0));
    run_jobs_in(&app, 2 * 3600);
    assert_eq!(sink.messages().len(), 1);
}

#[actix_web::test]
async fn without_mail_settings_the_site_works_and_says_e_mail_is_off() {
    let app = TestApp::guide().start();
    assert!(!app.started().state.mail_enabled);
    let ann = app.member("ann").await;
    let account = ann.get("/account").await;
    assert_eq!(account.status, 200);
    account.assert_contains("E-mail is off on this site");
    assert!(!account.body.contains("action=\"/account/email\""));
    let refused = ann
        .submit(
            "/account",
            "/account/email",
            &[("email", "ann@example.com")],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    let guest = app.client();
    let register = guest.get("/register").await;
    assert!(!register.body.contains("name=\"email\""));
    guest
        .get("/password/forgot")
        .await
        .assert_contains("E-mail is off on this site");
    // Notifications still work in the site.
    let bob = app.member("bob").await;
    let question = ann.asks("Mouse double clicks", BODY, "mouse").await;
    bob.answers(&question, "Blow out the switch or replace it.")
        .await;
    ann.get("/notifications")
        .await
        .assert_contains("Mouse double clicks");
    assert_eq!(queue(&app), (0, 0));
}

#[actix_web::test]
async fn forgot_password_mails_a_single_use_link_and_never_tells_who_exists() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let ann = app.member("ann").await;
    verified_address(&app, "ann", "ann@example.com");
    app.member("noaddress").await;
    let guest = app.client();
    guest
        .get("/login")
        .await
        .assert_contains("href=\"/password/forgot\"");

    // The same page for an account, a stranger, an unknown address and an
    // account without a verified address.
    let mut answers = Vec::new();
    for who in ["nobody", "nobody@example.com", "noaddress", "ann"] {
        let page = guest
            .submit("/password/forgot", "/password/forgot", &[("who", who)])
            .await;
        assert_eq!(page.status, 200, "{who}: {}", page.body);
        page.assert_contains("If an account matches");
        answers.push(page.body);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "answers differ");
    let first = sink.wait_for(1).remove(0);
    assert_eq!(first.to, ["ann@example.com"]);
    assert!(first.subject().contains("Reset your password"));
    // By address too (any case); only the newest link works.
    guest
        .submit(
            "/password/forgot",
            "/password/forgot",
            &[("who", "ANN@example.com")],
        )
        .await
        .assert_contains("If an account matches");
    let second = sink.wait_for(2).remove(1);
    run_jobs_in(&app, 0);
    assert_eq!(sink.messages().len(), 2, "only ann got mail");
    let prefix = format!("{BASE}/password/reset/");
    let old = first.link(&prefix);
    let link = second.link(&prefix);
    assert_eq!(guest.get(path_of(&old)).await.status, 404);

    let form = guest.get(path_of(&link)).await;
    assert_eq!(form.status, 200, "{}", form.body);
    form.assert_contains("<strong>ann</strong>");
    let weak = guest
        .submit(
            path_of(&link),
            path_of(&link),
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
    assert_eq!(weak.status, 422, "the password policy holds: {}", weak.body);
    let new_password = "copper kettle morning 77";
    let reset = guest
        .submit(
            path_of(&link),
            path_of(&link),
            &[
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(reset.status, 303, "{}", reset.body);
    assert_eq!(reset.header("location"), "/account?saved=reset");
    assert!(guest.has_session(), "signed in with the new password");
    guest
        .get("/account?saved=reset")
        .await
        .assert_contains("Your new password is set");
    // Ann's other session ended; the old password no longer works.
    assert_ne!(ann.get("/account").await.status, 200);
    let other = app.client();
    assert_eq!(other.login("ann", TEST_PASSWORD).await.status, 401);
    assert_eq!(other.login("ann", new_password).await.status, 303);
    // Used once.
    let reused = app.client();
    let page = reused.get(path_of(&link)).await;
    assert_eq!(page.status, 404);
    page.assert_contains("already used or has expired");
}

#[actix_web::test]
async fn an_expired_reset_link_is_refused_and_requests_are_rate_limited() {
    use signpost::db::schema::mail_tokens;
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    app.member("ann").await;
    verified_address(&app, "ann", "ann@example.com");
    let guest = app.client();
    guest
        .submit("/password/forgot", "/password/forgot", &[("who", "ann")])
        .await;
    let link = sink
        .wait_for(1)
        .remove(0)
        .link(&format!("{BASE}/password/reset/"));
    assert_eq!(guest.get(path_of(&link)).await.status, 200);
    {
        let mut conn = app.started().state.db.get().expect("db");
        diesel::update(mail_tokens::table)
            .set(mail_tokens::expires_at.eq(unix_now() - 1))
            .execute(&mut conn)
            .expect("expire");
    }
    let expired = guest.get(path_of(&link)).await;
    assert_eq!(expired.status, 404);
    expired.assert_contains("already used or has expired");
    let posted = guest
        .submit(
            "/password/forgot",
            path_of(&link),
            &[
                ("password", "copper kettle morning 77"),
                ("password_confirm", "copper kettle morning 77"),
            ],
        )
        .await;
    assert_eq!(posted.status, 404, "{}", posted.body);

    // One address asks at most 10 times an hour (the two above count).
    let mut statuses = Vec::new();
    for _ in 0..9 {
        statuses.push(
            guest
                .submit("/password/forgot", "/password/forgot", &[("who", "nobody")])
                .await
                .status,
        );
    }
    assert_eq!(statuses[..8], [200; 8]);
    assert_eq!(statuses[8], 429, "{statuses:?}");
}

#[actix_web::test]
async fn one_account_gets_at_most_three_reset_mails_an_hour_and_the_page_never_says() {
    use signpost::db::schema::rate_limits;
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    app.member("ann").await;
    verified_address(&app, "ann", "ann@example.com");
    app.member("bob").await;
    verified_address(&app, "bob", "bob@example.com");
    let guest = app.client();
    let mut answers = Vec::new();
    // By name and by address: both count for the account.
    for who in ["ann", "ann@example.com", "ANN", "ann", "Ann@Example.com"] {
        let page = guest
            .submit("/password/forgot", "/password/forgot", &[("who", who)])
            .await;
        assert_eq!(page.status, 200, "{who}: {}", page.body);
        page.assert_contains("If an account matches");
        answers.push(page.body.to_lowercase().replace("ann@example.com", "ann"));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "answers differ");
    // Another account is not held back by ann's limit.
    guest
        .submit("/password/forgot", "/password/forgot", &[("who", "bob")])
        .await
        .assert_contains("If an account matches");
    sink.wait_until("bob's reset mail", |all| {
        all.iter().any(|m| m.to == ["bob@example.com"])
    });
    run_jobs_in(&app, 0);
    assert_eq!(queue(&app), (0, 0));
    let to = |address: &str| sink.messages().iter().filter(|m| m.to == [address]).count();
    assert_eq!(to("ann@example.com"), 3, "three of five requests mailed");
    assert_eq!(to("bob@example.com"), 1);

    // Once the hour is over, ann can get a link again.
    {
        let mut conn = app.started().state.db.get().expect("db");
        diesel::update(rate_limits::table.filter(rate_limits::bucket.like("reset-mail:%")))
            .set(rate_limits::expires_at.eq(unix_now() - 1))
            .execute(&mut conn)
            .expect("expire");
    }
    guest
        .submit("/password/forgot", "/password/forgot", &[("who", "ann")])
        .await
        .assert_contains("If an account matches");
    sink.wait_until("ann's fourth reset mail", |all| {
        all.iter().filter(|m| m.to == ["ann@example.com"]).count() == 4
    });
}

#[actix_web::test]
async fn two_nodes_draining_the_queue_send_each_mail_once() {
    use signpost::config::{PoolSettings, SmtpSettings};
    use signpost::jobs::site::{SiteJobs, SiteMail};
    use signpost::mail::Mailer;
    let sink = SmtpSink::start();
    sink.refuse(true);
    let app = mail_app(&sink);
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    verified_address(&app, "ann", "ann@example.com");
    let question = ann.asks("Keyboard repeats letters", BODY, "keyboard").await;
    for n in 0..5 {
        bob.answers(&question, &format!("Answer number {n}: clean the keys."))
            .await;
    }
    // The app's own worker finds the server down: every mail waits.
    sink.wait_refused(5);
    sink.refuse(false);
    assert_eq!(queue(&app), (5, 0));

    // Two more nodes on the same database drain the queue at once.
    let smtp = SmtpSettings::parse(&sink.url()).expect("sink url");
    let later = unix_now() + 3600;
    let nodes: Vec<std::thread::JoinHandle<usize>> = ["node-a", "node-b"]
        .into_iter()
        .map(|node| {
            let pool =
                signpost::db::open(&app.config.database(), PoolSettings::sized(2)).expect("pool");
            let mail = SiteMail {
                mailer: Mailer::new(&smtp, "Help <help@example.com>").expect("mailer"),
                site: app.started().state.mail_site.clone(),
            };
            std::thread::spawn(move || {
                SiteJobs::new(pool, Some(mail))
                    .run_due(node, later)
                    .expect("run")
            })
        })
        .collect();
    for node in nodes {
        node.join().expect("node thread");
    }
    let mails = sink.wait_for(5);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(sink.messages().len(), 5, "each mail sent once");
    let mut bodies: Vec<String> = mails.iter().map(|m| m.text()).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 5, "five different answers mailed");
    assert_eq!(queue(&app), (0, 0));
}

#[actix_web::test]
async fn a_reset_link_ends_when_the_password_or_the_address_changes() {
    let sink = SmtpSink::start();
    let app = mail_app(&sink);
    let ann = app.member("ann").await;
    verified_address(&app, "ann", "ann@example.com");
    let guest = app.client();
    // Ann changes her password herself: the link mailed before is dead.
    let link = reset_link(&guest, &sink, 1).await;
    assert_eq!(app.client().get(path_of(&link)).await.status, 200);
    let changed = ann
        .submit(
            "/account",
            "/account/password",
            &[
                ("current", TEST_PASSWORD),
                ("password", "violet ocean compass"),
                ("password_confirm", "violet ocean compass"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(app.client().get(path_of(&link)).await.status, 404);

    // She removes the address the link went to: that link is dead too.
    let link = reset_link(&guest, &sink, 2).await;
    assert_eq!(app.client().get(path_of(&link)).await.status, 200);
    let removed = ann
        .submit("/account", "/account/email", &[("email", "")])
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(app.client().get(path_of(&link)).await.status, 404);
}

/// Registers `name` with `address` through the form.
async fn register_with_address(
    client: &crate::harness::Client<'_>,
    name: &str,
    address: &str,
) -> crate::harness::Page {
    let form = client.get("/register").await;
    let token = crate::harness::csrf_of(&form.body).expect("csrf");
    client
        .post(
            "/register",
            &[
                ("csrf", token.as_str()),
                ("username", name),
                ("password", TEST_PASSWORD),
                ("password_confirm", TEST_PASSWORD),
                ("email", address),
            ],
        )
        .await
}

/// Asks for a reset link for ann as a guest; returns the `nth` mail's link.
async fn reset_link(guest: &crate::harness::Client<'_>, sink: &SmtpSink, nth: usize) -> String {
    guest
        .submit("/password/forgot", "/password/forgot", &[("who", "ann")])
        .await
        .assert_contains("If an account matches");
    sink.wait_for(nth)
        .remove(nth - 1)
        .link(&format!("{BASE}/password/reset/"))
}
