//! Hostile input at the front door: redirects that try to leave the site,
//! spoofed client addresses, sign-in lockouts, deceptive display names.

use std::time::{Duration, Instant};

use signpost::auth::rate_limit::rules;
use signpost::auth::Role;
use signpost::db::models::sessions;

use crate::harness::{csrf_of, TestApp, TEST_PASSWORD};

fn app() -> TestApp {
    TestApp::guide().start()
}

/// Redirect targets that browsers would take off the site (or that break
/// the `Location` header), as they arrive percent-encoded in a query.
const HOSTILE_TARGETS: &[&str] = &[
    "//evil.example",
    "/%09/evil.example",
    "%09//evil.example",
    "/%0A/evil.example",
    "/%0D%0A/evil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "/%5C/evil.example",
    "/%252F/evil.example",
    "/%2F%2Fevil.example",
    "/%EF%BC%8Fevil.example",
    "%EF%BC%8F%EF%BC%8Fevil.example",
    "https://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "data:text/html,%3Cscript%3Ealert(1)%3C/script%3E",
    "/%00x",
    "/%01x",
    "/%7F",
    "/%C2%85/evil.example",
    "/%20/evil.example",
    "evil.example",
];

fn assert_refused(page: &crate::harness::Page, what: &str) {
    assert_eq!(page.status, 400, "{what}: {}", page.body);
    assert!(page.header("location").is_empty(), "{what} redirected");
    page.assert_contains("Search");
}

#[actix_web::test]
async fn result_clicks_never_leave_the_site() {
    let app = app();
    for target in HOSTILE_TARGETS {
        let page = app.get(&format!("/search/click?s=1&p=1&u={target}")).await;
        assert_refused(&page, target);
        page.assert_contains("does not point to a page of this site");
    }
    let fine = app
        .get("/search/click?s=1&p=1&u=%2Fdocs%2Fguide%3Fx%3D1")
        .await;
    assert_eq!(fine.status, 303);
    assert_eq!(fine.header("location"), "/docs/guide?x=1");
}

#[actix_web::test]
async fn sign_in_next_never_leaves_the_site_and_bad_input_makes_no_session() {
    let app = app();
    let user = app.create_user("nina_n", Role::Member);
    let client = app.client();
    for target in HOSTILE_TARGETS {
        // The form page refuses the target rather than carrying it along.
        let form = client.get(&format!("/login?next={target}")).await;
        assert_refused(&form, target);
        let token = client.csrf("/login").await;
        let decoded: String = form_urlencoded::parse(format!("n={target}").as_bytes())
            .map(|(_, v)| v.into_owned())
            .collect();
        let page = client
            .post(
                "/login",
                &[
                    ("csrf", &token),
                    ("username", "nina_n"),
                    ("password", TEST_PASSWORD),
                    ("next", &decoded),
                ],
            )
            .await;
        assert_refused(&page, target);
        assert!(!client.has_session(), "{target}: signed in anyway");
    }
    let mut conn = app.started().state.db.get().expect("db");
    assert_eq!(
        sessions::count_for_user(&mut conn, user).expect("count"),
        0,
        "refused sign-ins left sessions behind"
    );
    // A signed-in visitor is not bounced off-site by a crafted link either.
    let signed_in = app.member("otto_o").await;
    for target in HOSTILE_TARGETS {
        assert_refused(
            &signed_in.get(&format!("/login?next={target}")).await,
            target,
        );
    }
    assert_eq!(
        signed_in
            .get("/login?next=%2Faccount")
            .await
            .header("location"),
        "/account"
    );
}

fn proxied_app() -> TestApp {
    TestApp::guide()
        .configure(|c| {
            c.behind_proxy = true;
            c.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
        })
        .start()
}

#[actix_web::test]
async fn spoofed_forwarded_for_does_not_escape_address_limits() {
    let app = proxied_app();
    let mut client = app.client();
    client.ip = "127.0.0.1".into();
    // Behind nginx (`proxy_add_x_forwarded_for`), whatever the client sends
    // comes first and the real peer last.
    for i in 0..rules::LOGIN_PER_IP.max {
        *client.forwarded_for.borrow_mut() =
            Some(format!("10.9.{}.{}, 198.51.100.20", i / 250, i % 250));
        assert_eq!(
            client
                .login(&format!("nobody{i}"), "wrong password")
                .await
                .status,
            401
        );
    }
    *client.forwarded_for.borrow_mut() = Some("10.99.99.99, 198.51.100.20".into());
    assert_eq!(
        client.login("nobody", "wrong password").await.status,
        429,
        "rotating the spoofed part must not reset the limit"
    );
    // The next client behind the same proxy is someone else.
    *client.forwarded_for.borrow_mut() = Some("198.51.100.21".into());
    assert_eq!(client.login("nobody", "wrong password").await.status, 401);

    let mut reg = app.client();
    reg.ip = "127.0.0.1".into();
    for i in 0..rules::REGISTER_PER_IP.max {
        *reg.forwarded_for.borrow_mut() = Some(format!("192.0.2.{i}, 198.51.100.30"));
        assert_eq!(reg.register(&format!("user{i}"), "short").await.status, 422);
    }
    *reg.forwarded_for.borrow_mut() = Some("192.0.2.200, 198.51.100.30".into());
    assert_eq!(reg.register("user99", "short").await.status, 429);

    // A client that connects directly cannot claim another address.
    let mut direct = app.client();
    direct.ip = "198.51.100.30".into();
    *direct.forwarded_for.borrow_mut() = Some("203.0.113.99".into());
    assert_eq!(direct.register("user98", "short").await.status, 429);
}

#[actix_web::test]
async fn strangers_cannot_lock_an_owner_out() {
    let app = app();
    app.create_user("ann_a", Role::Member);
    // One address that keeps failing is refused for this account...
    let mut persistent = app.client();
    persistent.ip = "192.0.2.66".into();
    for _ in 0..rules::LOGIN_FAILURES_PER_ACCOUNT_ADDRESS.max {
        assert_eq!(
            persistent.login("ann_a", "guessing wrong").await.status,
            401
        );
    }
    let refused = persistent.login("ann_a", TEST_PASSWORD).await;
    assert_eq!(refused.status, 429);
    assert!(!refused.header("retry-after").is_empty());
    // ...and more failures from other addresses push the account past the
    // per-account brake (answered slowly, never refused)...
    for i in 0..3 {
        let mut stranger = app.client();
        stranger.ip = format!("198.51.100.{}", 100 + i);
        assert_eq!(stranger.login("ann_a", "guessing wrong").await.status, 401);
    }
    // ...but the owner, from an address without failures, gets in at once.
    let mut owner = app.client();
    owner.ip = "203.0.113.50".into();
    let started = Instant::now();
    let page = owner.login("ann_a", TEST_PASSWORD).await;
    assert_eq!(page.status, 303, "owner locked out: {}", page.body);
    assert!(owner.has_session());
    // Failures on an account under attack are answered slowly.
    let mut slow = app.client();
    slow.ip = "203.0.113.51".into();
    let before = Instant::now();
    assert_eq!(slow.login("ann_a", "guessing wrong").await.status, 401);
    assert!(
        before.elapsed() >= rules::LOGIN_SLOWDOWN_STEP,
        "a failure past the brake was not slowed"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[actix_web::test]
async fn display_names_with_direction_overrides_are_refused() {
    let app = app();
    let client = app.client();
    let token = client.csrf("/register").await;
    let page = client
        .post(
            "/register",
            &[
                ("csrf", &token),
                ("username", "mallory"),
                ("display_name", "Support\u{202E}ffats"),
                ("password", "correct horse battery"),
                ("password_confirm", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    page.assert_contains("invisible or text-direction characters");
    let member = app.member("zed_z").await;
    let token = csrf_of(&member.get("/account").await.body).expect("csrf");
    let page = member
        .post(
            "/account/profile",
            &[("csrf", &token), ("display_name", "Zed\u{200B}\u{2066}")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(!member.get("/account").await.body.contains('\u{2066}'));
}

#[actix_web::test]
async fn nul_characters_are_refused_on_every_backend() {
    let app = app();
    let ann = app.member("ann").await;
    let page = ann
        .tries_to_ask(
            "Printer prints blank pages",
            "Every page comes out blank\0 since the update.",
            "printer",
        )
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_contains("NUL character");
    let list = app.get("/questions").await;
    assert!(
        !list.body.contains("Printer prints blank pages"),
        "nothing was stored"
    );
    let page = app.get("/docs/guide/%00").await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_contains("NUL character");
    page.assert_contains("name=\"q\"");
    let search = app.get("/search?q=blank%00pages").await;
    assert_eq!(search.status, 200, "{}", search.body);
    // A pre-filled ask link kept for a guest carries its text in the query.
    let kept = app
        .client()
        .get("/questions/ask?title=Blank%00pages&body=Since+the+update")
        .await;
    assert_eq!(kept.status, 400, "{}", kept.body);
    kept.assert_contains("NUL character");
}

/// The fields of the form posting to `action` on a page, as `(name,
/// value)` (inputs and textareas): what the browser sends.
fn form_fields(body: &str, action: &str) -> Vec<(String, String)> {
    let at = body
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form to {action}: {body}"));
    let form = &body[at..];
    let form = &form[..form.find("</form>").expect("form end")];
    let attr = |tag: &str, name: &str| {
        let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    let mut fields = Vec::new();
    for part in form.split('<').skip(1) {
        if let Some(tag) = part.strip_prefix("input") {
            if let Some(name) = attr(tag, "name") {
                fields.push((name, attr(tag, "value").unwrap_or_default()));
            }
        } else if let Some(tag) = part.strip_prefix("textarea") {
            let name = attr(tag, "name").expect("textarea name");
            let text = &tag[tag.find('>').expect("textarea") + 1..];
            fields.push((name, text.to_string()));
        }
    }
    fields
}

async fn send_again(
    client: &crate::harness::Client<'_>,
    action: &str,
    page: &crate::harness::Page,
) -> crate::harness::Page {
    let fields = form_fields(&page.body, action);
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    client.post(action, &pairs).await
}

/// A member's form token lives as long as their session: a page left open
/// past it is not acted on (not even as a guest's form), and not lost
/// either: the form comes back with the text typed and a live token.
#[actix_web::test]
async fn a_form_sent_after_its_session_ended_comes_back_to_check_and_send() {
    let sink = crate::smtp_sink::SmtpSink::start();
    let app = TestApp::guide().configure(sink.configure()).start();
    let sam = app.staff("support_sam").await;
    let issue =
        crate::known_issue_follow::create_issue(&sam, "Printing fails after firmware 4.2").await;
    let ann = app.member("ann").await;
    let token = ann.csrf(&issue).await;
    let user = app.user_id("ann");
    {
        use diesel::prelude::*;
        use signpost::db::schema::sessions as session_rows;
        let mut conn = app.started().state.db.get().expect("db");
        diesel::update(session_rows::table.filter(session_rows::user_id.eq(user)))
            .set(session_rows::expires_at.eq(signpost::db::unix_now() - 1))
            .execute(&mut conn)
            .expect("expire");
    }
    let action = format!("{issue}/follow-by-mail");
    let lapsed = ann
        .post(
            &action,
            &[("csrf", token.as_str()), ("email", "ann.lee@example.com")],
        )
        .await;
    assert_eq!(lapsed.status, 403, "{}", lapsed.body);
    lapsed.assert_contains(signpost::web::csrf::FORM_LAPSED);
    lapsed.assert_contains("You were signed out meanwhile");
    lapsed.assert_contains("value=\"ann.lee@example.com\"");
    lapsed.assert_contains(&format!("action=\"{action}\""));
    assert!(!ann.has_session());
    let fresh = csrf_of(&lapsed.body).expect("a live token");
    assert_ne!(fresh, token);
    {
        let mut conn = app.started().state.db.get().expect("db");
        let issue_id = signpost::db::models::known_issues::find_by_slug(
            &mut conn,
            "printing-fails-after-firmware-42",
        )
        .expect("issue")
        .expect("found")
        .id;
        assert!(
            signpost::db::models::known_issue_followers::address(
                &mut conn,
                issue_id,
                "ann.lee@example.com"
            )
            .expect("follower")
            .is_none(),
            "the lapsed form did nothing"
        );
    }
    let sent = send_again(&ann, &action, &lapsed).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    sent.assert_contains("Check your mail");
}

/// A guest's form token lasts a bounded age (its cookie's), and a form
/// sent after the cookie is gone comes back with the text typed; a form
/// with no token at all is refused outright.
#[actix_web::test]
async fn a_guest_form_token_has_a_bounded_age_and_a_lapsed_form_keeps_its_text() {
    let sink = crate::smtp_sink::SmtpSink::start();
    let app = TestApp::guide().configure(sink.configure()).start();
    let sam = app.staff("support_sam").await;
    let issue =
        crate::known_issue_follow::create_issue(&sam, "Printing fails after firmware 4.2").await;
    let guest = app.client();
    let page = guest.get("/login").await;
    let cookie = page
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("sp_csrf="))
        .expect("a form token cookie")
        .to_string();
    assert!(
        cookie.contains(&format!(
            "Max-Age={}",
            signpost::auth::GUEST_FORM_TOKEN_SECS
        )),
        "{cookie}"
    );
    let token = csrf_of(&page.body).expect("token");

    // The browser dropped the cookie (past its age) while the page was open.
    let later = app.client();
    let lapsed = later
        .post(
            "/login",
            &[
                ("csrf", token.as_str()),
                ("next", "/questions"),
                ("username", "ann_guest"),
                ("password", "typed secret"),
            ],
        )
        .await;
    assert_eq!(lapsed.status, 403, "{}", lapsed.body);
    lapsed.assert_contains(signpost::web::csrf::FORM_LAPSED);
    lapsed.assert_contains("value=\"ann_guest\"");
    lapsed.assert_contains("type=\"hidden\" name=\"next\" value=\"/questions\"");
    assert!(
        !lapsed.body.contains("typed secret"),
        "passwords are never sent back"
    );
    assert!(!lapsed.body.contains("signed out meanwhile"));
    let fresh = csrf_of(&lapsed.body).expect("a live token");
    assert_ne!(fresh, token);

    // Sent again from that page, the form is acted on.
    let action = format!("{issue}/follow-by-mail");
    let again = later
        .post(
            &action,
            &[("csrf", token.as_str()), ("email", "fan@example.com")],
        )
        .await;
    assert_eq!(again.status, 403);
    let sent = send_again(&later, &action, &again).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    sent.assert_contains("Check your mail");

    // No token at all: not a form of this site, nothing shown again.
    let forged = app
        .client()
        .post(&action, &[("email", "victim@example.com")])
        .await;
    assert_eq!(forged.status, 403);
    forged.assert_contains("did not come from this site");
    assert!(
        !forged.body.contains("victim@example.com"),
        "{}",
        forged.body
    );
}

/// A forged post from another site is refused outright: its fields are
/// never shown again on this origin with a live token (one click from
/// being sent as the signed-in visitor), and no token cookie is set.
#[actix_web::test]
async fn a_form_posted_from_another_site_is_refused_not_shown_again() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let forged = [
        ("csrf", "made-up"),
        ("title", "Forged question about refunds"),
        ("body", "Posted by another site in your name."),
    ];
    for headers in [
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ][..],
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "https://shop.example"),
        ][..],
        &[("origin", "https://evil.example")][..],
        &[("origin", "null")][..],
    ] {
        let page = ann.post_with("/questions/ask", &forged, headers).await;
        assert_eq!(page.status, 403, "{headers:?}: {}", page.body);
        page.assert_contains(signpost::web::csrf::CSRF_ELSEWHERE);
        assert!(!page.body.contains("Forged question"), "{}", page.body);
        assert!(
            !page.body.contains("Posted by another site"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("name=\"title\""), "{}", page.body);
        assert!(
            !page
                .headers
                .get_all("set-cookie")
                .filter_map(|v| v.to_str().ok())
                .any(|c| c.starts_with("sp_csrf=")),
            "{headers:?}"
        );
    }
    // The same post from a page of this site comes back to check and send.
    for headers in [
        &[("sec-fetch-site", "same-origin")][..],
        &[("origin", "http://localhost:8080")][..],
        &[][..],
    ] {
        let page = ann.post_with("/questions/ask", &forged, headers).await;
        assert_eq!(page.status, 403, "{headers:?}: {}", page.body);
        page.assert_contains(signpost::web::csrf::FORM_LAPSED);
        page.assert_contains("Forged question about refunds");
    }
    let list = app.get("/questions").await;
    assert!(!list.body.contains("Forged question"), "nothing was posted");
}

/// Behind a proxy that ends TLS the request is plain HTTP, but the browser
/// names the site's public origin: a lapsed form from there comes back.
#[actix_web::test]
async fn a_lapsed_form_from_the_public_origin_behind_a_proxy_comes_back() {
    let app = TestApp::guide()
        .configure(|c| c.base_url = "https://help.example.com/".into())
        .start();
    let ann = app.member("ann").await;
    let fields = [
        ("csrf", "made-up"),
        ("title", "Printer offline after update"),
        ("body", "It worked yesterday and now shows offline."),
    ];
    let page = ann
        .post_with(
            "/questions/ask",
            &fields,
            &[("origin", "https://help.example.com")],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    page.assert_contains(signpost::web::csrf::FORM_LAPSED);
    page.assert_contains("Printer offline after update");
    let other = ann
        .post_with(
            "/questions/ask",
            &fields,
            &[("origin", "https://help.example.org")],
        )
        .await;
    other.assert_contains(signpost::web::csrf::CSRF_ELSEWHERE);
}
