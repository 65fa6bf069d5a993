//! The anonymous page cache: a page is served from memory (`X-Cache: hit`)
//! until a write changes what it shows, and then the next anonymous request
//! shows the write — for every kind of write, on this node at once and on
//! another node on the same database within a bounded time. Signed-in
//! visitors never get an anonymous page (a member's own question page is
//! kept per member, see `member_cache`); guests each get their own form token;
//! ETags answer 304; the cache stays under its cap under a flood.

use std::io::Read;
use std::time::{Duration, Instant};

use signpost::db::unix_now;
use signpost::kinds::Severity;
use signpost::service::announcements;

use crate::fixtures::{article, submit_edit, Post, Question, BODY, PRINTER};
use crate::harness::{csrf_of, until_cached, Page, TestApp};

/// GETs `path` anonymously until it comes from the cache.
async fn cached(app: &TestApp, path: &str) -> Page {
    until_cached(path, || app.get(path)).await
}

/// The next anonymous page at `path`, which must show `text` (rendered
/// anew: a miss).
async fn shows(app: &TestApp, path: &str, text: &str) -> Page {
    let page = app.get(path).await;
    assert_eq!(page.status, 200, "{path}");
    assert_eq!(page.header("x-cache"), "miss", "{path} after a write");
    page.assert_contains(text);
    page
}

/// The value of the `sp_csrf` cookie a response sets.
fn csrf_cookie(page: &Page) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("sp_csrf="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

fn score_of(page: &Page) -> String {
    let at = page
        .body
        .find("<span class=\"score\" title=\"Score\">")
        .expect("score")
        + "<span class=\"score\" title=\"Score\">".len();
    page.body[at..at + page.body[at..].find('<').expect("end")].to_string()
}

/// The guide with one short article, "guide/print".
fn print_guide() -> TestApp {
    TestApp::guide()
        .article(
            "guide/print",
            &article("Print a page", 1, "Choose Print in the menu."),
        )
        .start()
}

#[actix_web::test]
async fn every_write_on_a_question_shows_on_the_next_anonymous_page() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let sam = app.staff("sam").await;
    let q = ann
        .asks("Printer jams on thick paper", BODY, "printer")
        .await;
    let other = ann
        .asks("Scanner shows a blank page", BODY, "scanner")
        .await;

    cached(&app, &q.path).await;
    cached(&app, &other.path).await;
    let answer = bob
        .answers(&q, "Use the manual feed slot for card stock.")
        .await;
    shows(&app, &q.path, "Use the manual feed slot for card stock.").await;
    assert_eq!(
        app.get(&other.path).await.header("x-cache"),
        "hit",
        "a write on one question leaves the other questions' pages cached"
    );

    cached(&app, &q.path).await;
    let commented = bob
        .submit(
            &q.path,
            &q.action("comments"),
            &[("body", "Which paper weight exactly?")],
        )
        .await;
    assert_eq!(commented.status, 303, "{}", commented.body);
    shows(&app, &q.path, "Which paper weight exactly?").await;

    let before = cached(&app, &q.path).await;
    assert_eq!(score_of(&before), "0");
    assert_eq!(bob.votes(&q, "up").await.status, 303);
    let voted = shows(&app, &q.path, "Printer jams").await;
    assert_eq!(score_of(&voted), "1");

    cached(&app, &q.path).await;
    assert_eq!(ann.accepts(&answer).await.status, 303);
    shows(&app, &q.path, "Accepted by the asker").await;

    cached(&app, &q.path).await;
    let edited = ann
        .edits(
            &q,
            &[
                ("title", "Printer jams on thick paper"),
                (
                    "body",
                    "Edited: it jams on 300 gsm card stock, every time it prints.",
                ),
                ("tags", "printer"),
            ],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    shows(&app, &q.path, "Edited: it jams on 300 gsm card stock").await;

    cached(&app, &q.path).await;
    let deleted = sam.moderates(&answer, &[("action", "delete")]).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    let page = app.get(&q.path).await;
    assert_eq!(page.header("x-cache"), "miss");
    assert!(
        !page.body.contains("Use the manual feed slot"),
        "the deleted answer is gone"
    );

    // A rename shows wherever the name does.
    cached(&app, &other.path).await;
    let renamed = ann
        .submit(
            "/account",
            "/account/profile",
            &[("display_name", "Ann Rivers")],
        )
        .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    shows(&app, &other.path, "Ann Rivers").await;
}

#[actix_web::test]
async fn lists_tags_and_feeds_show_a_new_question_at_once() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    ann.asks("Router drops the connection hourly", BODY, "router")
        .await;
    let paths = [
        "/questions",
        "/questions?tab=active",
        "/tags/router",
        "/questions.atom",
        "/sitemap.xml",
    ];
    for path in paths {
        cached(&app, path).await;
    }
    let q = ann
        .asks("Router forgets its password after updates", BODY, "router")
        .await;
    for path in paths {
        let page = app.get(path).await;
        assert_eq!(page.header("x-cache"), "miss", "{path}");
        assert!(
            page.body.contains("Router forgets its password") || page.body.contains(&q.path),
            "{path} shows the new question:\n{}",
            page.body
        );
    }
}

#[actix_web::test]
async fn article_edits_content_reloads_known_issues_and_announcements_show() {
    let app = print_guide();
    let sam = app.staff("sam").await;
    let manual = {
        let mut conn = app.started().state.db.get().expect("db");
        signpost::db::models::manuals::find_by_slug(&mut conn, "guide")
            .expect("query")
            .expect("manual")
            .id
            .to_string()
    };
    let path = "/docs/guide/print";

    cached(&app, path).await;
    cached(&app, "/docs/guide").await;
    let saved = submit_edit(
        &sam,
        &format!("{path}/edit"),
        &[
            ("manual_id", &manual),
            ("title", "Print a page"),
            ("status", "published"),
            ("body", "Edited in the browser: press Ctrl+P."),
            ("action", "save"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    shows(&app, path, "Edited in the browser: press Ctrl+P.").await;

    // A new file, read by the content reload (a background write).
    cached(&app, "/docs/guide").await;
    app.write_content(
        "manuals/guide/scan.md",
        &article("Scan a page", 2, "Put the page on the glass."),
    );
    app.started().content.trigger().reload();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = app.get("/docs/guide").await;
        if page.body.contains("Scan a page") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reloaded article never showed"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }

    // A known issue linked to the article: its banner and the list.
    cached(&app, path).await;
    cached(&app, "/known-issues").await;
    let created = sam
        .submit(
            "/known-issues/new",
            "/known-issues/new",
            &[
                ("title", "Printing stalls after firmware 4.2"),
                ("symptoms", "Jobs stay queued."),
                ("workaround", "Turn off eco mode."),
                ("status", "identified"),
                ("versions", "4.2"),
                ("platforms", ""),
                ("tags", ""),
                ("articles", "guide/print"),
                ("trees", ""),
                ("terms", ""),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    shows(&app, path, "Printing stalls after firmware 4.2").await;
    shows(&app, "/known-issues", "Printing stalls after firmware 4.2").await;

    // An announcement saved on this node shows at once.
    cached(&app, "/docs/guide").await;
    let now = unix_now();
    announce(&app, "Maintenance window tonight", now - 60);
    let page = app.get("/docs/guide").await;
    page.assert_contains("Maintenance window tonight");
}

/// Saves an announcement that starts at `starts` (through the service, as
/// the staff form does).
fn announce(app: &TestApp, title: &str, starts: i64) {
    let author = app.create_user(&format!("author{starts}"), signpost::auth::Role::Staff);
    let state = &app.started().state;
    let mut conn = state.db.get().expect("db");
    let fields = signpost::db::models::announcements::AnnouncementFields {
        title: title.into(),
        body: format!("About {title}."),
        severity: Severity::Info,
        starts_at: starts,
        ends_at: Some(starts + 3600),
    };
    announcements::create(&mut conn, &state.announcements, &fields, author, unix_now())
        .expect("announce");
}

#[actix_web::test]
async fn a_cached_page_does_not_outlive_an_announcements_start() {
    let app = TestApp::guide().start();
    let starts = unix_now() + 2;
    announce(&app, "Planned outage soon", starts);
    let before = cached(&app, "/questions").await;
    assert!(!before.body.contains("Planned outage soon"));
    while unix_now() < starts {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let page = app.get("/questions").await;
    page.assert_contains("Planned outage soon");
}

#[actix_web::test]
async fn signed_in_visitors_get_fresh_pages_with_only_their_own_parts() {
    let app = print_guide();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let q = ann
        .asks("Printer prints blank pages", BODY, "printer")
        .await;
    bob.answers(&q, "Shake the toner cartridge.").await;
    let anonymous = cached(&app, &q.path).await;
    assert!(
        !anonymous.body.contains("Account settings"),
        "no account for guests"
    );

    let ann_page = ann.get(&q.path).await;
    let bob_page = bob.get(&q.path).await;
    for (page, me, other) in [(&ann_page, "ann", "bob"), (&bob_page, "bob", "ann")] {
        assert_eq!(page.status, 200);
        assert_eq!(
            page.header("x-cache"),
            "miss",
            "{me} gets a page rendered for them"
        );
        page.assert_contains(&format!("title=\"Account settings\">{me}</a>"));
        assert!(!page
            .body
            .contains(&format!("title=\"Account settings\">{other}</a>")));
    }
    // Ann's inbox holds Bob's answer; Bob's does not.
    assert!(ann_page.body.contains("has-unread"));
    assert!(!bob_page.body.contains("has-unread"));
    let (ann_token, bob_token) = (
        csrf_of(&ann_page.body).expect("ann's token"),
        csrf_of(&bob_page.body).expect("bob's token"),
    );
    assert_ne!(ann_token, bob_token);
    // Another hit does not carry either of them.
    let again = cached(&app, &q.path).await;
    assert!(!again.body.contains(&ann_token) && !again.body.contains(&bob_token));

    // Guests on a cached page each get their own token, which works.
    let article = cached(&app, "/docs/guide/print").await;
    let first = csrf_of(&article.body).expect("a token on the feedback form");
    assert_eq!(csrf_cookie(&article).as_deref(), Some(first.as_str()));
    let second_page = cached(&app, "/docs/guide/print").await;
    let second = csrf_of(&second_page.body).expect("token");
    assert_ne!(first, second, "no two guests share a token");
    assert_eq!(csrf_cookie(&second_page).as_deref(), Some(second.as_str()));
    let guest = app.client();
    let page = guest.get("/docs/guide/print").await;
    let token = csrf_of(&page.body).expect("token");
    let article_id = crate::fixtures::field_value(&page.body, "target").expect("target");
    let sent = guest
        .post(
            "/feedback",
            &[
                ("csrf", &token),
                ("kind", "article"),
                ("target", &article_id),
                ("node", ""),
                ("helpful", "yes"),
                ("back", "/docs/guide/print"),
            ],
        )
        .await;
    assert_eq!(
        sent.status, 303,
        "a cached page's token is accepted: {}",
        sent.body
    );
    // With the cookie, the guest gets cached pages carrying their own token.
    let again = guest.get("/docs/guide/print").await;
    assert_eq!(again.header("x-cache"), "hit");
    assert_eq!(csrf_of(&again.body).as_deref(), Some(token.as_str()));
    assert_eq!(csrf_cookie(&again), None, "the browser keeps its cookie");
    let listed = guest.get(&q.path).await;
    assert_eq!(listed.header("x-cache"), "hit");
    assert_eq!(csrf_of(&listed.body).as_deref(), Some(token.as_str()));
    // A guest's kept draft shows on the question page: rendered for them.
    let kept = guest
        .post(
            &q.action("answers"),
            &[
                ("csrf", &token),
                ("body", "My guest draft about the toner."),
            ],
        )
        .await;
    assert_eq!(kept.status, 303, "{}", kept.body);
    let with_draft = guest.get(&q.path).await;
    assert_eq!(with_draft.header("x-cache"), "bypass");
    with_draft.assert_contains("My guest draft about the toner.");
    let others = cached(&app, &q.path).await;
    assert!(!others.body.contains("My guest draft"));
    let forged = app
        .client()
        .post(
            "/feedback",
            &[
                ("csrf", &token),
                ("kind", "article"),
                ("target", &article_id),
                ("helpful", "no"),
                ("back", "/"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "another browser cannot use that token");
}

/// GET `path` anonymously with `headers`: status, headers and raw body.
async fn fetch_raw(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (actix_web::http::header::HeaderMap, Vec<u8>) {
    let raw = app.get_raw(path, headers).await;
    (raw.headers, raw.body)
}

fn header_of<'h>(headers: &'h actix_web::http::header::HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// `bytes` decoded as `encoding` says.
fn decoded(encoding: &str, bytes: &[u8]) -> String {
    let mut text = String::new();
    match encoding {
        "br" => brotli::Decompressor::new(bytes, 4096)
            .read_to_string(&mut text)
            .expect("brotli"),
        "gzip" => flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .expect("gzip"),
        other => panic!("unexpected encoding {other:?}"),
    };
    text
}

#[actix_web::test]
async fn cached_pages_answer_304_and_come_compressed() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let q = ann.asks("Display flickers at 60 Hz", BODY, "display").await;
    let page = cached(&app, "/questions").await;
    let etag = page.header("etag").to_string();
    assert!(etag.starts_with('"'), "{etag}");
    assert_eq!(page.header("vary"), "Accept-Encoding");
    assert_eq!(page.header("cache-control"), "no-cache");
    let not_modified = app
        .get_with("/questions", &[("if-none-match", &etag)])
        .await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    let changed = app
        .get_with("/questions", &[("if-none-match", "\"0000\"")])
        .await;
    assert_eq!(changed.status, 200);

    let plain = page.body.clone();
    for (accept, encoding) in [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
    ] {
        let (headers, bytes) = fetch_raw(&app, "/questions", &[("accept-encoding", accept)]).await;
        assert_eq!(header_of(&headers, "x-cache"), "hit");
        assert_eq!(
            header_of(&headers, "content-encoding"),
            encoding,
            "{accept}"
        );
        assert_eq!(decoded(encoding, &bytes), plain, "{accept}");
    }

    // A page with a form token: compressed around this visitor's token.
    cached(&app, &q.path).await;
    for encoding in ["br", "gzip"] {
        let (headers, bytes) = fetch_raw(&app, &q.path, &[("accept-encoding", encoding)]).await;
        assert_eq!(header_of(&headers, "x-cache"), "hit");
        assert_eq!(header_of(&headers, "content-encoding"), encoding);
        assert_eq!(header_of(&headers, "cache-control"), "private, no-cache");
        let cookie = headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("sp_csrf="))
            .and_then(|c| c.split(';').next())
            .map(str::to_string)
            .expect("token cookie");
        let text = decoded(encoding, &bytes);
        assert_eq!(csrf_of(&text), Some(cookie), "{encoding}");
        assert!(text.contains("Display flickers at 60 Hz"));
    }
}

#[actix_web::test]
async fn the_cache_stays_under_its_cap_under_a_flood_and_keeps_pages_read_again() {
    let app = TestApp::guide().configure(|c| c.page_cache_mb = 1).start();
    let ann = app.member("ann").await;
    for i in 0..3 {
        ann.asks(
            &format!("Laptop battery drains overnight {i}"),
            BODY,
            "laptop",
        )
        .await;
    }
    cached(&app, "/").await;
    cached(&app, "/").await;
    let cache = &app.started().state.page_cache;
    let mut largest = 0;
    // Distinct real pages (each a page of the list after another place).
    for n in 0..800 {
        let page = app
            .get(&format!("/questions?tab=newest&after=99999999999_{n}"))
            .await;
        assert_eq!(page.status, 200);
        largest = largest.max(page.body.len());
        assert!(
            cache.bytes() <= 1 << 20,
            "{} bytes after {n} pages",
            cache.bytes()
        );
    }
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert!(cache.bytes() <= 1 << 20, "{} bytes", cache.bytes());
    assert!(
        largest * 800 > 2 << 20,
        "the flood ({largest} bytes a page) is larger than the cap"
    );
    assert!(
        cache.pages() > 10,
        "the cache still holds pages: {}",
        cache.pages()
    );
    assert_eq!(
        app.get("/").await.header("x-cache"),
        "hit",
        "a page read again survives the flood"
    );
}

#[actix_web::test]
async fn a_write_on_one_node_shows_on_the_other_nodes_anonymous_page() {
    let a = TestApp::guide().start();
    let database = a.config.database().url();
    let b = TestApp::guide()
        .configure(move |c| c.database_url = database)
        .start();
    let ann = a.member("ann").await;
    let bob = a.member("bob").await;
    let q: Question = ann.asks("Headset crackles on calls", BODY, "audio").await;
    cached(&b, &q.path).await;
    cached(&b, "/questions").await;

    bob.answers(&q, "Update the headset firmware nodecachemark.")
        .await;
    let written = Instant::now();
    let within = Duration::from_secs(10);
    loop {
        if b.get(&q.path).await.body.contains("nodecachemark") {
            break;
        }
        assert!(
            written.elapsed() < within,
            "node b kept serving the old page"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "an answer on node a showed on node b after {:.0?}",
        written.elapsed()
    );

    // An announcement saved on node a reaches node b's board and pages.
    announce(&a, "Cluster maintenance", unix_now() - 60);
    let written = Instant::now();
    loop {
        if b.get("/questions")
            .await
            .body
            .contains("Cluster maintenance")
        {
            break;
        }
        assert!(
            written.elapsed() < within,
            "node b never showed the announcement"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "an announcement on node a showed on node b after {:.0?}",
        written.elapsed()
    );
}

/// A guest chooses their own `sp_csrf` cookie value: a page rendered with it
/// is never stored, or hits would put every later guest's token wherever the
/// chosen value stands in the page (e.g. inside a posted answer's link).
#[actix_web::test]
async fn a_page_rendered_with_a_guests_own_token_is_never_stored() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let chosen = "c0ffee00".repeat(8);
    let q = ann
        .asks("Printer jams on thick paper", BODY, "printer")
        .await;
    bob.answers(
        &q,
        &format!("See https://example.com/x?{chosen} for the fix."),
    )
    .await;
    let cookie = format!("sp_csrf={chosen}");
    // Pages are stored off the request: asked again and again for two
    // seconds, their render never comes back as a hit.
    for _ in 0..20 {
        let own = app.get_with(&q.path, &[("cookie", &cookie)]).await;
        assert_eq!(own.status, 200, "{}", own.body);
        assert_eq!(
            own.header("x-cache"),
            "miss",
            "their render is theirs alone"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    // Anonymous visitors then get a page of their own, with the answer as
    // written and their token only in the forms.
    let page = cached(&app, &q.path).await;
    let token = csrf_of(&page.body).expect("a token on the answer form");
    assert_ne!(token, chosen);
    page.assert_contains(&format!("https://example.com/x?{chosen}"));
    assert!(!page.body.contains(&format!("x?{token}")), "{}", page.body);
}

#[actix_web::test]
async fn made_up_query_strings_neither_store_pages_nor_push_them_out() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    ann.asks("Projector shows no picture", BODY, "projector")
        .await;
    cached(&app, "/").await;
    cached(&app, "/questions?tab=top").await;
    let cache = &app.started().state.page_cache;
    let held = cache.pages();
    for n in 0..300 {
        let home = app.get(&format!("/?utm_source={n}")).await;
        assert_eq!(home.status, 200);
        assert_eq!(
            home.header("x-cache"),
            "hit",
            "served from the page of its normal key"
        );
        let list = app
            .get(&format!("/questions?x={n}&tab=top&after=junk{n}"))
            .await;
        assert_eq!(list.header("x-cache"), "hit");
        list.assert_contains("Projector shows no picture");
        // Nothing kept under the normal key: rendered, not stored.
        let tagged = app.get(&format!("/tags/projector?ref={n}")).await;
        assert_eq!(tagged.status, 200);
        assert_eq!(tagged.header("x-cache"), "bypass");
    }
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(cache.pages(), held, "one page per real page, no more");
}

#[actix_web::test]
async fn refused_writes_read_no_feed() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let q = ann.asks("Keyboard types twice", BODY, "keyboard").await;
    let feed = &app.started().state.page_feed;
    let before = feed.runs_after_writes();
    let guest = app.client();
    for n in 0..30 {
        let missing = guest
            .post(&format!("/no/such/page/{n}"), &[("x", "1")])
            .await;
        assert_eq!(missing.status, 404);
        let forged = guest
            .post(&q.action("answers"), &[("csrf", "forged"), ("body", "x")])
            .await;
        assert_eq!(forged.status, 403, "{}", forged.body);
    }
    assert_eq!(
        feed.runs_after_writes(),
        before,
        "404 and 403 answers to writes read no feed"
    );
    let bob = app.member("bob").await;
    bob.answers(&q, "Clean under the key cap with compressed air.")
        .await;
    assert!(feed.runs_after_writes() > before, "a write reads the feed");
}

#[actix_web::test]
async fn with_the_cache_off_no_thread_reads_the_feed() {
    let app = TestApp::guide().configure(|c| c.page_cache_mb = 0).start();
    let ann = app.member("ann").await;
    ann.asks("Mouse pointer drifts left", BODY, "mouse").await;
    actix_web::rt::time::sleep(Duration::from_millis(1_000)).await;
    let feed = &app.started().state.page_feed;
    assert_eq!(feed.runs(), 0, "nothing read the feed");
    assert!(app.started().page_feed.is_none());
}

/// HEAD `path` anonymously with `headers`: status, headers and the length
/// the body says it has (a HEAD response carries none).
async fn head(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, actix_web::http::header::HeaderMap, u64, usize) {
    use actix_web::body::{BodySize, MessageBody};
    let service =
        actix_web::test::init_service(signpost::app::build_app(app.started().state.clone())).await;
    let mut request = actix_web::test::TestRequest::default()
        .method(actix_web::http::Method::HEAD)
        .uri(path);
    for (name, value) in headers {
        request = request.insert_header((name.to_string(), value.to_string()));
    }
    let response = actix_web::test::call_service(&service, request.to_request()).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let length = match response.response().body().size() {
        BodySize::Sized(n) => n,
        other => panic!("HEAD of {path}: body {other:?}"),
    };
    let sent = actix_web::test::read_body(response).await.len();
    (status, headers, length, sent)
}

#[actix_web::test]
async fn head_hits_build_no_body_and_set_no_cookie() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let q = ann
        .asks("Speaker crackles at high volume", BODY, "audio")
        .await;
    cached(&app, &q.path).await;
    cached(&app, "/questions").await;
    for (path, accept, encoding) in [
        (q.path.as_str(), "gzip", Some("gzip")),
        // A joined brotli body's length needs the body: gzip instead.
        (q.path.as_str(), "gzip, deflate, br", Some("gzip")),
        (q.path.as_str(), "identity", None),
        ("/questions", "gzip, deflate, br", Some("br")),
        ("/questions", "identity", None),
    ] {
        let (status, headers, length, sent) =
            head(&app, path, &[("accept-encoding", accept)]).await;
        assert_eq!(status, 200);
        assert_eq!(header_of(&headers, "x-cache"), "hit", "{path} {accept}");
        assert!(
            headers.get("set-cookie").is_none(),
            "HEAD sets no cookie: {path}"
        );
        assert_eq!(sent, 0, "HEAD sends no body");
        assert_eq!(
            headers
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            encoding
        );
        let (get_headers, body) = fetch_raw(&app, path, &[("accept-encoding", accept)]).await;
        assert_eq!(
            get_headers
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            if accept.contains("br") {
                Some("br")
            } else {
                encoding
            }
        );
        if get_headers.get("content-encoding") == headers.get("content-encoding") {
            assert_eq!(
                length,
                body.len() as u64,
                "{path} {accept}: the GET's length"
            );
        }
    }
}

#[actix_web::test]
async fn pages_with_a_guest_form_never_answer_304_by_date() {
    let app = print_guide();
    let ann = app.member("ann").await;
    let q = ann.asks("Webcam image is dark", BODY, "webcam").await;
    let later = "Fri, 01 Jan 2100 00:00:00 GMT";
    for path in ["/docs/guide/print", q.path.as_str()] {
        // Rendered, then from the cache: neither trusts the date.
        let first = app.get_with(path, &[("if-modified-since", later)]).await;
        assert_eq!(first.status, 200, "{path}");
        let hit = cached(&app, path).await;
        assert!(csrf_of(&hit.body).is_some(), "{path} has a guest form");
        let again = app.get_with(path, &[("if-modified-since", later)]).await;
        assert_eq!(again.status, 200, "{path}: a date cannot vouch for a token");
        assert_eq!(again.header("x-cache"), "hit");
    }
    // A page without forms still answers 304 by date.
    let page = cached(&app, "/questions.atom").await;
    assert!(csrf_of(&page.body).is_none());
    let dated = app
        .get_with("/questions.atom", &[("if-modified-since", later)])
        .await;
    if !page.header("last-modified").is_empty() {
        assert_eq!(dated.status, 304);
    }
}

#[actix_web::test]
async fn troubleshooter_steps_are_cached_and_every_hit_records_the_walk() {
    let app = TestApp::guide()
        .article(
            "guide/paper",
            &article("Loading paper", 1, "Fan the stack first."),
        )
        .tree("printer", PRINTER)
        .start();
    let step = "/troubleshoot/printer?power=yes";
    let walks = || -> i64 {
        use diesel::prelude::*;
        let mut conn = app.started().state.db.get().expect("db");
        signpost::db::schema::tree_walks::table
            .count()
            .get_result(&mut conn)
            .expect("walks")
    };
    let first = app.client();
    let page = first.get(step).await;
    assert_eq!(page.status, 200);
    assert_eq!(walks(), 1);
    cached(&app, step).await;
    let recorded = walks();
    // A new browser: a hit, its own walk and walk cookie.
    let guest = app.client();
    let hit = guest.get(step).await;
    assert_eq!(hit.header("x-cache"), "hit");
    assert_eq!(hit.header("cache-control"), "no-store");
    assert!(
        hit.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("sp_walk=")),
        "the hit sets the walk cookie"
    );
    assert_eq!(walks(), recorded + 1, "the hit recorded a walk");
    // The same browser walking on updates its walk.
    let next = guest.get("/troubleshoot/printer?power=yes&queue=no").await;
    assert_eq!(next.status, 200);
    assert_eq!(walks(), recorded + 1);
    let last: String = {
        use diesel::prelude::*;
        let mut conn = app.started().state.db.get().expect("db");
        signpost::db::schema::tree_walks::table
            .order(signpost::db::schema::tree_walks::id.desc())
            .select(signpost::db::schema::tree_walks::last_node)
            .first(&mut conn)
            .expect("walk")
    };
    assert_eq!(last, "ask");
    // Answers that do not fit the tree are not kept.
    for n in 0..3 {
        let odd = app
            .get(&format!("/troubleshoot/printer?power=yes&nonsense={n}"))
            .await;
        assert_eq!(odd.status, 200);
        assert_eq!(odd.header("x-cache"), "miss");
    }
}

#[actix_web::test]
async fn browsers_that_dismissed_a_banner_get_cached_pages_without_it() {
    let app = TestApp::guide().start();
    announce(&app, "Printers offline on Friday", unix_now() - 60);
    let guest = app.client();
    let page = guest.get("/docs").await;
    page.assert_contains("Printers offline on Friday");
    let id = {
        let board = app.started().state.announcements.all();
        board.first().expect("banner").id.to_string()
    };
    let token = csrf_of(&page.body).expect("the banner's form");
    let dismissed = guest
        .post(
            &format!("/announcements/{id}/dismiss"),
            &[("csrf", &token), ("revision", "1"), ("next", "/docs")],
        )
        .await;
    assert_eq!(dismissed.status, 303, "{}", dismissed.body);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = guest.get("/docs").await;
        assert!(!page.body.contains("Printers offline on Friday"));
        if page.header("x-cache") == "hit" {
            break;
        }
        assert!(Instant::now() < deadline, "never served from the cache");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    // Browsers that did not dismiss it still see it.
    let other = cached(&app, "/docs").await;
    other.assert_contains("Printers offline on Friday");
    // A dismissal of an announcement not on the board keys like none.
    let stale = app
        .get_with("/docs", &[("cookie", "sp_dismissed=999.1")])
        .await;
    assert_eq!(stale.header("x-cache"), "hit");
    stale.assert_contains("Printers offline on Friday");
}

#[actix_web::test]
async fn old_page_changes_are_pruned() {
    use signpost::db::models::page_changes::{self, PageScope};
    let app = TestApp::guide().start();
    let state = &app.started().state;
    // Hours ahead: past the next run the app's own worker may have
    // scheduled for the hourly prune (an hour after it first ran it).
    let when = unix_now() + 3 * 3600;
    let too_old = when - page_changes::KEPT_SECS - 1;
    let young = when - page_changes::KEPT_SECS + 1;
    {
        let mut conn = state.db.get().expect("db");
        page_changes::record(&mut conn, PageScope::Everything, too_old).expect("old");
        page_changes::record(&mut conn, PageScope::Question(1), young).expect("new");
    }
    app.started()
        .site_jobs
        .run_due(&state.node, when)
        .expect("jobs");
    let mut conn = state.db.get().expect("db");
    let left: Vec<i64> = page_changes::after(&mut conn, 0, 100_000)
        .expect("changes")
        .into_iter()
        .map(|c| c.created_at)
        .collect();
    assert!(!left.contains(&too_old), "{left:?}");
    assert!(left.contains(&young), "{left:?}");
}

#[actix_web::test]
async fn a_guest_cookie_that_is_not_a_token_never_reaches_a_page() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let q = ann
        .asks("Printer jams on thick paper", BODY, "printer")
        .await;
    cached(&app, &q.path).await;
    // 64 characters, the length of a token, but markup.
    let hostile = format!("x\"><b id=pwn>{}", "a".repeat(51));
    assert_eq!(hostile.len(), 64);
    let escaped = hostile.replace('"', "%22");
    for value in [hostile.as_str(), escaped.as_str()] {
        let cookie = format!("sp_csrf={value}");
        let page = app.get_with(&q.path, &[("cookie", &cookie)]).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(page.header("x-cache"), "hit");
        assert!(!page.body.contains("id=pwn"), "{}", page.body);
        let token = csrf_of(&page.body).expect("a token on the answer form");
        assert!(
            token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
            "{token}"
        );
        // Rendered pages refuse it the same way.
        let fresh = app.get_with("/ask", &[("cookie", &cookie)]).await;
        assert!(!fresh.body.contains("id=pwn"), "{}", fresh.body);
    }
}

/// Sends `requests` (path and extra headers) at once, each on a task of
/// its own, in this order: status, `X-Cache` and body of each.
async fn at_once(
    app: &TestApp,
    requests: &[(&str, &[(&str, &str)])],
) -> Vec<(u16, String, String)> {
    let tasks: Vec<_> = requests
        .iter()
        .map(|(path, headers)| {
            let state = app.started().state.clone();
            let mut request = actix_web::test::TestRequest::get().uri(path);
            for (name, value) in *headers {
                request = request.insert_header((name.to_string(), value.to_string()));
            }
            actix_web::rt::spawn(async move {
                let service = actix_web::test::init_service(signpost::app::build_app(state)).await;
                let response = actix_web::test::call_service(&service, request.to_request()).await;
                let how = response
                    .headers()
                    .get("x-cache")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let status = response.status().as_u16();
                let body = actix_web::test::read_body(response).await;
                (status, how, String::from_utf8_lossy(&body).into_owned())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("request task"));
    }
    answers
}

/// A tag page missing from the cache (its first requests, as when a load
/// starts on it) is rendered once by concurrent requests: one renders and
/// stores it, the others wait for that copy instead of each rendering
/// (and, at a million posts, each taking a slow render's time) it again.
#[actix_web::test]
async fn concurrent_first_requests_for_a_tag_page_render_it_once() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    ann.asks("Router drops the connection hourly", BODY, "router")
        .await;
    ann.asks("Router forgets its password after updates", BODY, "router")
        .await;
    let none: &[(&str, &str)] = &[];
    let answers = at_once(&app, &[("/tags/router", none); 8]).await;
    let mut rendered = 0;
    for (status, how, body) in answers {
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Router forgets its password"), "{body}");
        match how.as_str() {
            "miss" => rendered += 1,
            "hit" => {}
            other => panic!("x-cache {other:?}"),
        }
    }
    assert_eq!(
        rendered, 1,
        "one request rendered the page, the others got its copy"
    );
}

/// A guest with their own form token cannot store a page with forms (it
/// carries their token): their request takes no claim, so an anonymous
/// request arriving meanwhile renders and stores the page, and the next
/// one is a hit.
#[actix_web::test]
async fn a_request_that_cannot_store_leaves_storing_to_one_that_can() {
    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let q = ann
        .asks("Printer jams on thick paper", BODY, "printer")
        .await;
    let cookie = format!("sp_csrf={}", "c0ffee00".repeat(8));
    let guest: &[(&str, &str)] = &[("cookie", &cookie)];
    let none: &[(&str, &str)] = &[];
    let answers = at_once(&app, &[(q.path.as_str(), guest), (q.path.as_str(), none)]).await;
    for (status, how, body) in &answers {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(how, "miss");
    }
    assert!(
        answers[0].2.contains(&"c0ffee00".repeat(8)),
        "the guest's own token"
    );
    assert_eq!(
        app.get(&q.path).await.header("x-cache"),
        "hit",
        "the anonymous request stored the page (the next one waits for it)"
    );
}

/// A feed read that fails half way (here `page_changes` is away after the
/// outbox was read, as when the database drops the connection between the
/// two reads) loses no change: the next read marks it, and the page shows
/// the write instead of its cached copy until the refresh.
#[actix_web::test]
async fn a_failed_feed_read_loses_no_change() {
    use diesel::connection::SimpleConnection;

    let app = TestApp::guide().start();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let q = ann
        .asks("Printer jams on thick paper", BODY, "printer")
        .await;
    cached(&app, &q.path).await;
    let state = &app.started().state;
    let mut conn = state.db.get().expect("a connection");
    conn.batch_execute("ALTER TABLE page_changes RENAME TO page_changes_away")
        .expect("page_changes moved away");
    bob.answers(&q, "Use the manual feed slot for card stock.")
        .await;
    assert!(
        state.page_feed.catch_up().is_err(),
        "the feed cannot be read without page_changes"
    );
    conn.batch_execute("ALTER TABLE page_changes_away RENAME TO page_changes")
        .expect("page_changes back");
    drop(conn);
    state.page_feed.catch_up().expect("the feed reads again");
    shows(&app, &q.path, "Use the manual feed slot for card stock.").await;
}
