//! Drafts that survive a detour: the found journey from a troubleshooter's
//! dead end through sign-in and registration to a posted question, `next`
//! kept between sign-in and registration, an answer kept across an expired
//! session, and drafts nobody else can see.

use signpost::db::models::drafts::{DraftText, Owner};
use signpost::service::drafts;
use signpost::web::pages::ask::PREFILL_IN_NEXT_MAX;

use crate::fixtures::{choice, field_value, router_tree, tree, Post, BODY};
use crate::harness::{Client, Page, TestApp, TEST_PASSWORD};

/// Text as the browser reads it from an attribute or a textarea.
fn unescape(text: &str) -> String {
    text.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The target of the first link whose text is `label`.
fn link_labelled(page: &Page, label: &str) -> String {
    let end = page
        .body
        .find(&format!("\">{label}</a>"))
        .unwrap_or_else(|| panic!("no link {label:?} in page:\n{}", page.body));
    let start = page.body[..end].rfind("href=\"").expect("href") + "href=\"".len();
    unescape(&page.body[start..end])
}

/// A hidden or text field's value as the browser sends it.
fn field(page: &Page, name: &str) -> String {
    unescape(
        &field_value(&page.body, name)
            .unwrap_or_else(|| panic!("no {name} field in page:\n{}", page.body)),
    )
}

/// The text of the textarea with id `id`.
fn textarea(page: &Page, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no textarea {id} in page:\n{}", page.body));
    let open = page.body[at..].find('>').expect("textarea opens") + at + 1;
    let close = page.body[open..]
        .find("</textarea>")
        .expect("textarea closes")
        + open;
    unescape(&page.body[open..close])
}

fn app() -> TestApp {
    TestApp::guide().tree("router", &long_router_tree()).start()
}

/// The router tree, its dead end summed up at such length that the
/// pre-filled ask link does not fit in a sign-in link's `next`
/// ([`PREFILL_IN_NEXT_MAX`]): a guest's question is kept as a draft.
fn long_router_tree() -> String {
    let detail = "all four of them stay dark after plugging it in elsewhere, ".repeat(40);
    tree("Router is down", "lights")
        .question(
            "lights",
            "Are the lights on?",
            &[
                choice("Yes", "reboot", "Lights on"),
                choice("No", "ask", &format!("Lights off: {detail}")),
            ],
        )
        .fix("reboot", "Reboot it")
        .escalate("ask", "Ask us")
        .to_string()
}

/// Drafts stored, of anyone.
fn drafts_stored(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    let mut conn = app.started().state.db.get().expect("db");
    signpost::db::schema::drafts::table
        .count()
        .get_result(&mut conn)
        .expect("count")
}

/// A guest walks the router tree to its dead end and presses "Ask the
/// community": the redirect to the pre-filled ask form.
async fn walk_to_dead_end(guest: &Client<'_>) -> String {
    let start = guest.get("/troubleshoot/router").await;
    assert_eq!(start.status, 200);
    let dead_end = guest.get(&link_labelled(&start, "No")).await;
    dead_end.assert_contains("Ask the community");
    let escalated = guest
        .post(
            "/troubleshoot/router/outcome",
            &[
                ("csrf", &field(&dead_end, "csrf")),
                ("outcome", "escalated"),
                ("answers", &field(&dead_end, "answers")),
            ],
        )
        .await;
    assert_eq!(escalated.status, 303, "{}", escalated.body);
    escalated.header("location").to_string()
}

/// Follows the ask link as a guest: the draft is kept and the guest is
/// sent to sign in. Returns the sign-in address.
async fn ask_as_guest(guest: &Client<'_>, ask_url: &str) -> String {
    assert!(ask_url.len() > PREFILL_IN_NEXT_MAX, "{}", ask_url.len());
    let ask = guest.get(ask_url).await;
    assert_eq!(ask.status, 303, "a guest is sent to sign in: {}", ask.body);
    let login = ask.header("location").to_string();
    assert!(
        login.starts_with("/login?next=%2Fquestions%2Fask%3Fdraft%3D"),
        "{login}"
    );
    login
}

fn register_fields<'a>(page: &'a Page, name: &'a str, confirm: &'a str) -> Vec<(&'a str, String)> {
    vec![
        ("csrf", field(page, "csrf")),
        ("next", field(page, "next")),
        ("username", name.to_string()),
        ("password", TEST_PASSWORD.to_string()),
        ("password_confirm", confirm.to_string()),
    ]
}

async fn post_owned(client: &Client<'_>, path: &str, fields: &[(&str, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.post(path, &pairs).await
}

/// The fields of the ask form on `page`, with `changes` applied.
fn ask_fields(page: &Page, changes: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = vec![
        ("csrf", field(page, "csrf")),
        ("submit_key", field(page, "submit_key")),
        ("draft", field(page, "draft")),
        ("title", field(page, "title")),
        ("body", textarea(page, "body")),
        ("tags", field(page, "tags")),
        ("action", "post".to_string()),
    ];
    for (name, value) in changes {
        if let Some(f) = fields.iter_mut().find(|(n, _)| n == name) {
            f.1 = value.to_string();
        }
    }
    fields
}

#[actix_web::test]
async fn dead_end_to_new_account_to_posted_question_keeps_the_path() {
    let app = app();
    let guest = app.client();
    let ask_url = walk_to_dead_end(&guest).await;
    let login_url = ask_as_guest(&guest, &ask_url).await;

    let login = guest.get(&login_url).await;
    assert_eq!(login.status, 200);
    login.assert_contains("What you wrote is kept");
    let register_url = link_labelled(&login, "Create an account");
    assert!(
        register_url.starts_with("/register?next=%2Fquestions%2Fask%3Fdraft%3D"),
        "the link to registration keeps next: {register_url}"
    );

    let register = guest.get(&register_url).await;
    assert_eq!(register.status, 200);
    let next = field(&register, "next");
    assert!(next.starts_with("/questions/ask?draft="), "{next}");
    // A failed registration keeps next (and the draft waits server-side).
    let mismatch = post_owned(
        &guest,
        "/register",
        &register_fields(&register, "carol", "not the same password"),
    )
    .await;
    assert_eq!(mismatch.status, 422);
    assert_eq!(field(&mismatch, "next"), next);
    let created = post_owned(
        &guest,
        "/register",
        &register_fields(&mismatch, "carol", TEST_PASSWORD),
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(
        created.header("location"),
        next,
        "registration returns to next"
    );
    assert!(guest.has_session());

    let form = guest.get(&next).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(
        field(&form, "title"),
        "Router is down: the troubleshooter did not solve it"
    );
    let body = textarea(&form, "body");
    assert!(
        body.contains("1. Lights off"),
        "the path is in the body: {body}"
    );
    assert_eq!(field(&form, "tags"), "router");

    let written = format!("{body}All four lights stay dark after plugging it in elsewhere.");
    let posted = post_owned(
        &guest,
        "/questions/ask",
        &ask_fields(&form, &[("body", &written)]),
    )
    .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let question = guest.get(posted.header("location")).await;
    assert_eq!(question.status, 200);
    question.assert_contains("Router is down: the troubleshooter did not solve it");
    question.assert_contains("Lights off");
    question.assert_contains("All four lights stay dark");

    // Posted: the draft is gone.
    let again = guest.get(&next).await;
    again.assert_contains("That draft is not available any more");
    assert!(!textarea(&again, "body").contains("Lights off"));
}

#[actix_web::test]
async fn signing_in_after_the_dead_end_returns_to_the_draft() {
    let app = app();
    app.create_user("dave", signpost::auth::Role::Member);
    let guest = app.client();
    let ask_url = walk_to_dead_end(&guest).await;
    let login_url = ask_as_guest(&guest, &ask_url).await;
    let login = guest.get(&login_url).await;
    let signed_in = post_owned(
        &guest,
        "/login",
        &[
            ("csrf", field(&login, "csrf")),
            ("next", field(&login, "next")),
            ("username", "dave".into()),
            ("password", TEST_PASSWORD.into()),
        ],
    )
    .await;
    assert_eq!(signed_in.status, 303);
    let form = guest.get(signed_in.header("location")).await;
    assert!(textarea(&form, "body").contains("1. Lights off"));
}

#[actix_web::test]
async fn next_survives_sign_in_to_register_and_back() {
    let app = app();
    let client = app.client();
    let login = client.get("/login?next=%2Fdocs%2Fguide").await;
    assert_eq!(field(&login, "next"), "/docs/guide");
    let register_url = link_labelled(&login, "Create an account");
    assert_eq!(register_url, "/register?next=%2Fdocs%2Fguide");
    let register = client.get(&register_url).await;
    assert_eq!(field(&register, "next"), "/docs/guide");
    let at = register
        .body
        .find("Already registered?")
        .expect("sign-in link");
    let back = link_labelled(
        &Page {
            status: register.status,
            headers: register.headers.clone(),
            body: register.body[at..].to_string(),
        },
        "Sign in",
    );
    assert_eq!(back, "/login?next=%2Fdocs%2Fguide");
    let login_again = client.get(&back).await;
    assert_eq!(field(&login_again, "next"), "/docs/guide");
    // Without a next, the links stay plain.
    let plain = client.get("/login").await;
    assert_eq!(link_labelled(&plain, "Create an account"), "/register");

    let created = post_owned(
        &client,
        "/register",
        &register_fields(&register, "erin", TEST_PASSWORD),
    )
    .await;
    assert_eq!(created.status, 303);
    assert_eq!(created.header("location"), "/docs/guide");
    // Signed in, the register link goes straight to next.
    let signed = client.get(&register_url).await;
    assert_eq!(signed.status, 303);
    assert_eq!(signed.header("location"), "/docs/guide");
}

#[actix_web::test]
async fn open_redirects_through_next_on_register_are_refused() {
    let app = app();
    let client = app.client();
    for bad in [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "/%2F/evil.example",
    ] {
        let mut url = form_urlencoded::Serializer::new(String::from("/register?"));
        url.append_pair("next", bad);
        let page = client.get(&url.finish()).await;
        assert_eq!(page.status, 400, "GET register with next={bad:?}");
    }
    let form = client.get("/register").await;
    let mut fields = register_fields(&form, "mallory", TEST_PASSWORD);
    fields[1].1 = "//evil.example".into();
    let refused = post_owned(&client, "/register", &fields).await;
    assert_eq!(refused.status, 400);
    assert!(!refused.header("location").contains("evil"));
    assert!(!client.has_session(), "no account is made for a bad next");
    assert_eq!(client.login("mallory", TEST_PASSWORD).await.status, 401);
}

#[actix_web::test]
async fn a_failed_validation_keeps_the_question_text() {
    let app = app();
    let guest = app.client();
    let ask_url = walk_to_dead_end(&guest).await;
    ask_as_guest(&guest, &ask_url).await;
    let created = guest.register("fay", TEST_PASSWORD).await;
    assert_eq!(created.status, 303);
    // Registered from the plain form: the draft is still the member's.
    let mut conn = app.started().state.db.get().expect("db");
    let user = signpost::db::models::users::find_by_key(&mut conn, "fay")
        .expect("q")
        .expect("fay");
    let kept = drafts::questions_of(&mut conn, &Owner::User(user.id)).expect("drafts");
    drop(conn);
    assert_eq!(kept.len(), 1, "the guest's draft moved to the new account");
    let form = guest.get(&signpost::paths::ask_draft(kept[0].id)).await;
    let refused = post_owned(
        &guest,
        "/questions/ask",
        &ask_fields(&form, &[("title", "Short")]),
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(textarea(&refused, "body").contains("1. Lights off"));
    assert_eq!(field(&refused, "draft"), kept[0].id.0.to_string());
    let posted = post_owned(
        &guest,
        "/questions/ask",
        &ask_fields(
            &refused,
            &[("title", "Router lights stay off after a reboot")],
        ),
    )
    .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let mut conn = app.started().state.db.get().expect("db");
    assert!(drafts::questions_of(&mut conn, &Owner::User(user.id))
        .expect("drafts")
        .is_empty());
}

/// Ends every session of `name` as if they had expired.
fn expire_sessions(app: &TestApp, name: &str) {
    use diesel::prelude::*;
    use signpost::db::schema::sessions;
    let mut conn = app.started().state.db.get().expect("db");
    let user = signpost::db::models::users::find_by_key(&mut conn, name)
        .expect("q")
        .expect("user");
    diesel::update(sessions::table.filter(sessions::user_id.eq(user.id)))
        .set(sessions::expires_at.eq(signpost::db::unix_now() - 1))
        .execute(&mut conn)
        .expect("expire");
}

#[actix_web::test]
async fn an_expired_session_keeps_the_answer_until_signed_in_again() {
    let app = app();
    let asker = app.member("gus").await;
    let question = asker
        .asks("Router reboots every night at two", BODY, "router")
        .await;
    let helper = app.member("hana").await;
    let page = helper.get(&question.path).await;
    let text = "Turn off the scheduled reboot under Maintenance, then save.";
    expire_sessions(&app, "hana");
    let sent = helper
        .post(
            &question.action("answers"),
            &[
                ("csrf", &field(&page, "csrf")),
                ("submit_key", &field(&page, "submit_key")),
                ("body", text),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let login_url = sent.header("location").to_string();
    assert!(login_url.starts_with("/login?next="), "{login_url}");
    assert!(!helper.has_session());
    // Nothing was posted.
    assert!(!asker
        .get(&question.path)
        .await
        .body
        .contains("scheduled reboot"));

    let login = helper.get(&login_url).await;
    login.assert_contains("What you wrote is kept");
    let signed_in = post_owned(
        &helper,
        "/login",
        &[
            ("csrf", field(&login, "csrf")),
            ("next", field(&login, "next")),
            ("username", "hana".into()),
            ("password", TEST_PASSWORD.into()),
        ],
    )
    .await;
    assert_eq!(signed_in.status, 303);
    let back = signed_in.header("location").to_string();
    assert_eq!(back, format!("{}#answer-form", question.path));
    let again = helper.get(&question.path).await;
    assert_eq!(textarea(&again, "answer-body"), text);

    let answer = helper.answers(&question, text).await;
    assert_eq!(answer.question, question);
    let after = helper.get(&question.path).await;
    assert_eq!(
        textarea(&after, "answer-body"),
        "",
        "posted: the draft is gone"
    );
}

#[actix_web::test]
async fn a_form_without_a_matching_token_is_not_kept() {
    let app = app();
    let asker = app.member("ivy").await;
    let question = asker
        .asks("Router reboots every night at three", BODY, "router")
        .await;
    let helper = app.member("jon").await;
    helper.get(&question.path).await;
    expire_sessions(&app, "jon");
    let forged = helper
        .post(
            &question.action("answers"),
            &[
                ("csrf", &"0".repeat(64)),
                ("body", "Planted text from elsewhere."),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let mut conn = app.started().state.db.get().expect("db");
    let user = signpost::db::models::users::find_by_key(&mut conn, "jon")
        .expect("q")
        .expect("jon");
    assert!(
        drafts::answer(&mut conn, &Owner::User(user.id), question.id)
            .expect("q")
            .is_none()
    );
}

#[actix_web::test]
async fn drafts_are_private_to_their_browser_and_user() {
    let app = app();
    let asker = app.member("kim").await;
    let question = asker
        .asks("Router drops the connection at noon", BODY, "router")
        .await;

    // A guest writes an answer: kept for that browser only.
    let guest = app.client();
    let page = guest.get(&question.path).await;
    page.assert_contains("Sign in to post your answer");
    let secret = "Private words only this browser should see again.";
    let sent = guest
        .post(
            &question.action("answers"),
            &[("csrf", &field(&page, "csrf")), ("body", secret)],
        )
        .await;
    assert_eq!(sent.status, 303);
    assert!(sent.header("location").starts_with("/login?next="));
    assert_eq!(
        textarea(&guest.get(&question.path).await, "answer-body"),
        secret
    );
    let stranger = app.client();
    assert!(!stranger
        .get(&question.path)
        .await
        .body
        .contains("Private words"));
    assert!(!asker
        .get(&question.path)
        .await
        .body
        .contains("Private words"));

    // Another visitor who knows a question draft's address does not see it.
    let ask_url = walk_to_dead_end(&guest).await;
    let login_url = ask_as_guest(&guest, &ask_url).await;
    let next = field(&guest.get(&login_url).await, "next");
    let other = app.member("lee").await;
    let peek = other.get(&next).await;
    assert_eq!(peek.status, 200);
    peek.assert_contains("That draft is not available any more");
    assert!(!textarea(&peek, "body").contains("Lights off"));
    let anonymous = app.client().get(&next).await;
    assert_eq!(anonymous.status, 303, "a guest is sent to sign in");
    assert!(!anonymous.body.contains("Lights off"));

    // The guest signs up: both drafts are theirs now.
    let created = guest.register("mia", TEST_PASSWORD).await;
    assert_eq!(created.status, 303);
    assert_eq!(
        textarea(&guest.get(&question.path).await, "answer-body"),
        secret
    );
    assert!(textarea(&guest.get(&next).await, "body").contains("Lights off"));
}

#[actix_web::test]
async fn drafts_are_bounded_and_expire() {
    let app = app();
    let mut conn = app.started().state.db.get().expect("db");
    let owner = drafts::guest_owner(&"a".repeat(64));
    let now = signpost::db::unix_now();
    let long = "x".repeat(signpost::service::questions::BODY_MAX + 1);
    let too_long = drafts::keep_question(
        &mut conn,
        &owner,
        None,
        &DraftText {
            title: "A title",
            body: &long,
            tags: "",
        },
        now,
    );
    assert!(matches!(
        too_long,
        Err(signpost::error::AppError::BadRequest(_))
    ));
    for i in 0..drafts::QUESTION_DRAFTS_KEPT + 3 {
        let title = format!("Draft number {i}");
        drafts::keep_question(
            &mut conn,
            &owner,
            None,
            &DraftText {
                title: &title,
                body: "body",
                tags: "",
            },
            now + i as i64,
        )
        .expect("kept");
    }
    let kept = drafts::questions_of(&mut conn, &owner).expect("list");
    assert_eq!(kept.len(), drafts::QUESTION_DRAFTS_KEPT);
    assert_eq!(
        kept[0].title,
        format!("Draft number {}", drafts::QUESTION_DRAFTS_KEPT + 2)
    );
    // The periodic cleanup removes them once expired, not before.
    assert_eq!(
        drafts::delete_expired(&mut conn, now + 60).expect("clean"),
        0
    );
    let later = now + drafts::DRAFT_TTL_SECS + 3600;
    assert_eq!(
        drafts::delete_expired(&mut conn, later).expect("clean"),
        drafts::QUESTION_DRAFTS_KEPT
    );
    assert!(drafts::questions_of(&mut conn, &owner)
        .expect("list")
        .is_empty());
}

#[actix_web::test]
async fn guest_drafts_are_rate_limited_per_address() {
    let app = app();
    let max = signpost::auth::rate_limit::rules::GUEST_DRAFT_PER_IP.max;
    // Links too long to ride along with sign-in: each is kept as a draft.
    let long = "Lights+stay+off+".repeat(130);
    for i in 0..max {
        // A new browser each time: the per-owner cap would not stop it.
        let page = app
            .client()
            .get(&format!("/questions/ask?title=Spam+number+{i}&body={long}"))
            .await;
        assert_eq!(page.status, 303, "draft {i} is kept");
    }
    let refused = app
        .client()
        .get(&format!("/questions/ask?title=One+too+many&body={long}"))
        .await;
    assert_eq!(refused.status, 429);
    assert!(refused
        .header("retry-after")
        .parse::<u64>()
        .is_ok_and(|s| s > 0));
    assert_eq!(drafts_stored(&app), i64::from(max));
}

#[actix_web::test]
async fn a_tag_alone_is_not_kept_as_a_draft() {
    let app = app();
    let page = app.client().get("/questions/ask?tags=printer").await;
    assert_eq!(page.status, 303, "{}", page.body);
    let login = page.header("location");
    assert!(login.starts_with("/login?next="), "{login}");
    assert!(!login.contains("draft"), "{login}");
    assert_eq!(drafts_stored(&app), 0);
}

#[actix_web::test]
async fn a_short_dead_end_link_rides_along_with_sign_in_and_stores_nothing() {
    let app = TestApp::guide().tree("router", &router_tree()).start();
    let guest = app.client();
    let ask_url = walk_to_dead_end(&guest).await;
    assert!(ask_url.len() <= PREFILL_IN_NEXT_MAX, "{}", ask_url.len());
    let ask = guest.get(&ask_url).await;
    assert_eq!(ask.status, 303, "a guest is sent to sign in: {}", ask.body);
    let mut next = form_urlencoded::Serializer::new(String::new());
    next.append_pair("next", &ask_url);
    let login_url = ask.header("location").to_string();
    assert_eq!(login_url, format!("/login?{}", next.finish()));
    assert_eq!(drafts_stored(&app), 0, "a GET stores nothing");

    let login = guest.get(&login_url).await;
    assert_eq!(login.status, 200);
    assert_eq!(field(&login, "next"), ask_url);
    let register = guest.get(&link_labelled(&login, "Create an account")).await;
    assert_eq!(register.status, 200);
    assert_eq!(field(&register, "next"), ask_url);
    let created = post_owned(
        &guest,
        "/register",
        &register_fields(&register, "gus_g", TEST_PASSWORD),
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(
        created.header("location"),
        ask_url,
        "registration returns to next"
    );

    let form = guest.get(&ask_url).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(
        field(&form, "title"),
        "Router is down: the troubleshooter did not solve it"
    );
    assert!(textarea(&form, "body").contains("1. Lights off\n"));
    assert_eq!(field(&form, "tags"), "router");
    assert_eq!(drafts_stored(&app), 0);
}

/// Answer drafts are capped per owner (a member more than a guest): the
/// least recently changed are dropped, the one just kept never; signing in
/// keeps the member's cap over the guest's drafts and their own.
#[actix_web::test]
async fn answer_drafts_are_capped_per_owner_oldest_dropped() {
    let app = app();
    app.member("asker").await;
    app.member("writer").await;
    let mut conn = app.started().state.db.get().expect("db");
    let actor = signpost::service::questions::Actor {
        id: app.user_id("asker"),
        role: signpost::auth::Role::Member,
    };
    let now = signpost::db::unix_now();
    let questions: Vec<_> = (0..drafts::MEMBER_ANSWER_DRAFTS_KEPT + 2)
        .map(|i| {
            let draft = signpost::service::questions::validate_question(
                &format!("Question waiting for answer number {i:03}"),
                BODY,
                "drafts",
            )
            .expect("valid");
            signpost::service::questions::ask(&mut conn, actor, &draft, None, now)
                .expect("ask")
                .id
        })
        .collect();
    let kept_answers = |conn: &mut _, owner: &Owner| {
        questions
            .iter()
            .filter(|q| drafts::answer(conn, owner, **q).expect("draft").is_some())
            .count()
    };

    let guest = drafts::guest_owner(&"g".repeat(64));
    assert_eq!(
        drafts::answer_drafts_kept(&guest),
        drafts::GUEST_ANSWER_DRAFTS_KEPT
    );
    for (i, question) in questions.iter().enumerate() {
        let body = format!("Guest answer {i}");
        drafts::keep_answer(&mut conn, &guest, *question, &body, now + i as i64).expect("kept");
    }
    assert_eq!(
        kept_answers(&mut conn, &guest),
        drafts::GUEST_ANSWER_DRAFTS_KEPT
    );
    let last = questions.len() - 1;
    assert!(drafts::answer(&mut conn, &guest, questions[last])
        .expect("draft")
        .is_some_and(|d| d.body == format!("Guest answer {last}")));
    assert!(
        drafts::answer(&mut conn, &guest, questions[0])
            .expect("draft")
            .is_none(),
        "the oldest went first"
    );

    let member = Owner::User(app.user_id("writer"));
    const { assert!(drafts::MEMBER_ANSWER_DRAFTS_KEPT > drafts::GUEST_ANSWER_DRAFTS_KEPT) };
    for (i, question) in questions.iter().enumerate() {
        // Changing the first draft again keeps it: the cap drops the
        // least recently changed, not the first written.
        let at = now + 100 + i as i64;
        drafts::keep_answer(&mut conn, &member, *question, "Member answer", at).expect("kept");
        if i == 0 {
            drafts::keep_answer(&mut conn, &member, questions[0], "Changed", at + 1000)
                .expect("kept");
        }
    }
    assert_eq!(
        kept_answers(&mut conn, &member),
        drafts::MEMBER_ANSWER_DRAFTS_KEPT
    );
    assert!(drafts::answer(&mut conn, &member, questions[0])
        .expect("draft")
        .is_some_and(|d| d.body == "Changed"));
    assert!(drafts::answer(&mut conn, &member, questions[1])
        .expect("draft")
        .is_none());

    // At sign-in the guest's drafts join the member's, under the member's cap.
    drafts::hand_to_user(&mut conn, &guest, app.user_id("writer")).expect("moved");
    assert_eq!(
        kept_answers(&mut conn, &member),
        drafts::MEMBER_ANSWER_DRAFTS_KEPT
    );
    assert_eq!(kept_answers(&mut conn, &guest), 0);
}
