//! Content picked up without a restart: the content folder is watched while
//! the server runs, SIGHUP reloads at once, invalid content keeps the
//! version in use and is reported with `file:line`; and the first-start
//! setup link names the address the server really listens on.

use std::time::{Duration, Instant};

use crate::fixtures::article;
use crate::harness::{result_urls, TestApp};
use crate::process::{free_port, spawn, spawn_reading_stdout, spawn_with_closed_stdout, Http};

/// Generous bound for a change to show: the files are looked at every 2 s,
/// but the machine is shared and busy.
const SHOWS_WITHIN: Duration = Duration::from_secs(30);

const MODEM: &str = "manuals/guide/modem.md";

fn modem(body: &str) -> String {
    article("Modem lights", 1, body)
}

/// The guide manual with the modem article, its files watched.
fn watched_guide() -> TestApp {
    TestApp::guide()
        .file(MODEM, &modem("An amberglow light means the modem starts."))
        .configure(|config| config.watch_content = true)
        .start()
}

/// Waits until `done` holds, asking every 100 ms; panics with `what` after
/// [`SHOWS_WITHIN`].
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + SHOWS_WITHIN;
    while !done().await {
        assert!(Instant::now() < deadline, "{what} within {SHOWS_WITHIN:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The result URLs of a search for `word` in the app.
async fn found(app: &TestApp, word: &str) -> Vec<String> {
    result_urls(&app.get(&format!("/search?q={word}")).await.body)
}

#[actix_web::test]
async fn an_edited_article_is_served_and_found_without_a_restart() {
    let app = watched_guide();
    app.wait_indexed();
    app.get("/docs/guide/modem")
        .await
        .assert_contains("amberglow");
    assert_eq!(found(&app, "amberglow").await, ["/docs/guide/modem"]);

    app.write_content(
        MODEM,
        &modem("A violetflash light means the modem updates."),
    );
    eventually("the edited article is served", || async {
        app.get("/docs/guide/modem")
            .await
            .body
            .contains("violetflash")
    })
    .await;
    eventually("search finds the new text", || async {
        found(&app, "violetflash").await == ["/docs/guide/modem"]
    })
    .await;
    assert!(found(&app, "amberglow").await.is_empty());

    // A new article file appears too.
    app.write_content(
        "manuals/guide/cable.md",
        &article("Cable", 2, "Check the tealcord."),
    );
    eventually("the new article is served", || async {
        app.get("/docs/guide/cable").await.status == 200
    })
    .await;
    eventually("search finds the new article", || async {
        found(&app, "tealcord").await == ["/docs/guide/cable"]
    })
    .await;
    assert!(app.started().state.content_problems.problems().is_empty());
}

#[actix_web::test]
async fn broken_content_keeps_the_version_in_use_and_staff_are_told() {
    let app = watched_guide();
    app.wait_indexed();
    let staff = app.staff("sue").await;

    // Line 5 of the file (after four lines of front matter) links nowhere.
    app.write_content(
        MODEM,
        &modem("A crimsonblink light. See [the cable](gone.md)."),
    );
    eventually("the broken file is noticed", || async {
        !app.started().state.content_problems.problems().is_empty()
    })
    .await;
    let problems = app.started().state.content_problems.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("modem.md:5: broken link \"gone.md\""),
        "{problems:?}"
    );
    // Nothing of the broken version is served or found; the old one is.
    let page = app.get("/docs/guide/modem").await;
    page.assert_contains("amberglow");
    assert!(!page.body.contains("crimsonblink"));
    app.wait_indexed();
    assert!(found(&app, "crimsonblink").await.is_empty());
    assert_eq!(found(&app, "amberglow").await, ["/docs/guide/modem"]);
    let dashboard = staff.get("/staff").await;
    dashboard.assert_contains("The content files have problems");
    dashboard.assert_contains("modem.md:5: broken link");

    // Fixed: the new version applies and the warning goes away.
    app.write_content(MODEM, &modem("A crimsonblink light, fixed."));
    eventually("the fixed article is served", || async {
        app.get("/docs/guide/modem")
            .await
            .body
            .contains("crimsonblink")
    })
    .await;
    assert!(app.started().state.content_problems.problems().is_empty());
    let dashboard = staff.get("/staff").await;
    assert!(!dashboard.body.contains("The content files have problems"));
    eventually("search finds the fixed text", || async {
        found(&app, "crimsonblink").await == ["/docs/guide/modem"]
    })
    .await;
}

/// GETs `path` from the server until the body contains `text`, for at most
/// `within`; whether it did.
fn serves_within(http: &Http, path: &str, text: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(r) = http.request("GET", path, None) {
            if r.status == 200 && r.body.contains(text) {
                return true;
            }
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(unix)]
#[test]
fn sighup_reloads_the_content_at_once() {
    let (dir, config) = TestApp::guide()
        .file(MODEM, &modem("An amberglow light means the modem starts."))
        .prepare();
    let port = free_port();
    // Watching is off, so only the signal can make the server reload.
    let server = spawn(
        dir.path(),
        &config,
        port,
        &[("SIGNPOST_WATCH_CONTENT", "false")],
    );
    let http = Http::new(port);
    http.wait_healthy();
    assert!(serves_within(
        &http,
        "/docs/guide/modem",
        "amberglow",
        SHOWS_WITHIN
    ));

    std::fs::write(
        config.content_dir.join(MODEM),
        modem("A violetflash light means the modem updates."),
    )
    .expect("write");
    // Well past the 2 s a watching server would take: nothing changed.
    std::thread::sleep(Duration::from_secs(5));
    assert!(!serves_within(
        &http,
        "/docs/guide/modem",
        "violetflash",
        Duration::ZERO
    ));

    let sent = std::process::Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(sent.success());
    assert!(
        serves_within(&http, "/docs/guide/modem", "violetflash", SHOWS_WITHIN),
        "SIGHUP did not reload the content"
    );
    let deadline = Instant::now() + SHOWS_WITHIN;
    loop {
        let r = http
            .request("GET", "/search?q=violetflash", None)
            .expect("search");
        if result_urls(&r.body) == ["/docs/guide/modem"] {
            break;
        }
        assert!(Instant::now() < deadline, "search did not follow SIGHUP");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The signal did not stop the server.
    assert_eq!(
        http.request("GET", "/healthz", None)
            .expect("health")
            .status,
        200
    );
}

/// The setup link a fresh server prints when it listens on `host`, and the
/// port it listens on.
fn printed_setup_link(
    host: &str,
) -> (String, u16, crate::process::Server, crate::harness::TestDir) {
    let (dir, config) = TestApp::guide().prepare();
    let port = free_port();
    let listen = format!("{host}:{port}");
    let (server, lines) =
        spawn_reading_stdout(dir.path(), &config, port, &[("SIGNPOST_LISTEN", &listen)]);
    let deadline = Instant::now() + SHOWS_WITHIN;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no setup link printed when listening on {listen}"));
        if line.contains("/setup/") {
            return (line.trim().to_string(), port, server, dir);
        }
    }
}

#[test]
fn the_setup_link_names_the_address_the_server_listens_on() {
    let (link, port, _server, _dir) = printed_setup_link("127.0.0.1");
    let path = link
        .strip_prefix(&format!("http://127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("{link} is not on port {port}"));
    assert!(path.starts_with("/setup/"), "{link}");
    // The link works: it opens the setup form on that server.
    let http = Http::new(port);
    http.wait_healthy();
    let page = http.request("GET", path, None).expect("setup page");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("name=\"csrf\""), "{}", page.body);

    // Listening on every address prints a reachable one: loopback, same port.
    let (link, port, _server, _dir) = printed_setup_link("0.0.0.0");
    assert!(
        link.starts_with(&format!("http://127.0.0.1:{port}/setup/")),
        "{link}"
    );
}

#[test]
fn a_closed_stdout_does_not_stop_a_fresh_server() {
    // A fresh site prints its setup link; nobody reads it here.
    let (dir, config) = TestApp::guide().prepare();
    let port = free_port();
    let mut server = spawn_with_closed_stdout(dir.path(), &config, port);
    let http = Http::new(port);
    http.wait_healthy();
    let page = http.request("GET", "/", None).expect("home");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(server.is_running(), "the server exited");
}
