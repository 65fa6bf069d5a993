//! Real-browser tests: the customer journeys in headless Chromium, driven
//! through chromedriver (W3C WebDriver, [`webdriver`]), against a real
//! `signpost serve` with its own temp dir. Every page a journey visits goes
//! through the quality gates: axe-core (no serious or critical violation, no
//! `heading-order`), the Nu HTML Checker (no error; one Java run per test
//! over all its pages), no error in the browser console, and at 390 px wide
//! nothing overflows sideways. Named pages are photographed at 1280 and
//! 390 px into `target/screenshots/`.
//!
//! Needs `chromium`, `chromedriver`, `java` and the npm tools of
//! `tests/browser/package.json` installed under `target/browser-tools`
//! (`.ci/run` installs all of them). Without them the tests print a skip,
//! or fail under `CI` (or `SIGNPOST_REQUIRE_BROWSER=1`).

mod journeys;
pub mod webdriver;

use std::cell::RefCell;
use std::io::Write;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use signpost::config::Config;

use crate::harness::{TestAppBuilder, TestDir, TEST_PASSWORD};
use crate::process::{self, Http, Server};
use crate::smtp_sink::SmtpSink;
use webdriver::{Driver, Session};

/// Set (to anything but `0`) to make missing browser tools a failure; `CI`
/// does the same.
pub const REQUIRE_ENV: &str = "SIGNPOST_REQUIRE_BROWSER";
/// Where the npm tools are installed (default `target/browser-tools`).
pub const TOOLS_ENV: &str = "SIGNPOST_BROWSER_TOOLS";

/// The width of a phone, in CSS pixels.
const NARROW: u32 = 390;
/// The width of a laptop.
const WIDE: u32 = 1280;

/// What the browser tests run.
pub struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    java: PathBuf,
    vnu: PathBuf,
    axe: String,
}

/// The first executable called one of `names` on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Whether missing tools fail the run.
fn required() -> bool {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0");
    set("CI") || set(REQUIRE_ENV)
}

impl Tools {
    /// Finds every tool, or says which is missing.
    fn find() -> Result<Tools, String> {
        let chromium = std::env::var_os("SIGNPOST_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| on_path(&["chromium", "chromium-browser"]))
            .ok_or("no chromium on PATH (Debian: apt-get install chromium)")?;
        let chromedriver = on_path(&["chromedriver"])
            .ok_or("no chromedriver on PATH (Debian: apt-get install chromium-driver)")?;
        let java = on_path(&["java"])
            .ok_or("no java on PATH (Debian: apt-get install default-jre-headless)")?;
        let dir = std::env::var_os(TOOLS_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-tools"));
        let install = format!(
            "npm ci --ignore-scripts --prefix {} (after copying tests/browser/package*.json there; .ci/run does it)",
            dir.display()
        );
        let modules = dir.join("node_modules");
        let axe_path = modules.join("axe-core/axe.min.js");
        let axe = std::fs::read_to_string(&axe_path)
            .map_err(|e| format!("no {} ({e}): {install}", axe_path.display()))?;
        let vnu = modules.join("vnu-jar/build/dist/vnu.jar");
        if !vnu.is_file() {
            return Err(format!("no {}: {install}", vnu.display()));
        }
        Ok(Tools {
            chromium,
            chromedriver,
            java,
            vnu,
            axe,
        })
    }
}

/// The tools, or `None` after printing why `test` is skipped (a failure
/// when they are required).
pub fn tools_or_skip(test: &str) -> Option<Tools> {
    match Tools::find() {
        Ok(tools) => Some(tools),
        Err(missing) => {
            assert!(
                !required(),
                "{test}: {missing}; the browser tests are required here (CI or {REQUIRE_ENV})"
            );
            let _ = writeln!(std::io::stderr(), "skipped {test}: {missing}");
            None
        }
    }
}

/// One browser test at a time: Chromium is heavy, and two of them racing
/// for two cores makes waits long and results noisy.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::new(());
    ONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A real `signpost serve` on a free loopback port, with its own temp dir
/// (and, on PostgreSQL, its own database).
pub struct Site {
    // Field order is drop order: the server (killed when dropped) goes
    // before its files.
    _server: Server,
    pub port: u16,
    pub config: Config,
    pub dir: TestDir,
}

impl Site {
    /// Starts the site on `builder`'s content, its mail going to `sink`
    /// when given; waits until it is healthy.
    pub fn start(builder: TestAppBuilder, sink: Option<&SmtpSink>) -> Site {
        let (dir, config) = builder.prepare();
        let port = process::free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut env = vec![("SIGNPOST_BASE_URL", base)];
        if let Some(sink) = sink {
            env.push(("SIGNPOST_SMTP_URL", sink.url()));
            env.push((
                "SIGNPOST_MAIL_FROM",
                "Signpost Help <help@example.com>".into(),
            ));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let server = process::spawn(dir.path(), &config, port, &env);
        Http::new(port).wait_healthy();
        Site {
            _server: server,
            port,
            config,
            dir,
        }
    }

    /// The absolute address of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Creates an account with the CLI (password [`TEST_PASSWORD`]).
    pub fn user(&self, name: &str, role: &str) {
        process::create_user(self.dir.path(), &self.config, name, role, TEST_PASSWORD);
    }

    /// A pool on the site's database, for setting up what the journeys do
    /// not walk through themselves.
    pub fn db(&self) -> signpost::db::Pool {
        signpost::db::open(
            &self.config.database(),
            signpost::config::PoolSettings::sized(1),
        )
        .expect("open the site's database")
    }

    /// Waits until a search for `query` lists `href` (the index is built
    /// from the content at start, in the background; results link through
    /// the click log, the address percent-encoded).
    pub fn wait_searchable(&self, query: &str, href: &str) {
        let http = Http::new(self.port);
        let deadline = Instant::now() + Duration::from_secs(30);
        let path = format!("/search?q={}", query.replace(' ', "+"));
        loop {
            if let Ok(page) = http.request("GET", &path, None) {
                if page.body.contains(&href.replace('/', "%2F")) {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "a search for {query:?} never listed {href}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A fresh headless Chromium on this site, JavaScript on or off;
    /// `test` names the test in screenshots and reports.
    pub fn browser<'a>(&'a self, tools: &'a Tools, test: &str, javascript: bool) -> Browser<'a> {
        let profile = tempfile::tempdir().expect("profile dir");
        let driver = Driver::start(&tools.chromedriver).unwrap_or_else(|e| panic!("{e}"));
        let session = driver
            .session(&tools.chromium, profile.path(), javascript)
            .unwrap_or_else(|e| panic!("cannot start Chromium: {e}"));
        Browser {
            session,
            _driver: driver,
            _profile: profile,
            site: self,
            tools,
            test: test.to_string(),
            javascript,
            pages: RefCell::new(Vec::new()),
            failures: RefCell::new(Vec::new()),
        }
    }
}

/// One page a journey visited, as the server sent it.
struct Visited {
    label: String,
    url: String,
    html: String,
}

/// A browser session on a [`Site`] that checks every page it is told it
/// reached. Derefs to the WebDriver [`Session`].
pub struct Browser<'a> {
    // Field order is drop order: close the session, then stop the driver.
    session: Session,
    _driver: Driver,
    _profile: tempfile::TempDir,
    site: &'a Site,
    tools: &'a Tools,
    test: String,
    javascript: bool,
    pages: RefCell<Vec<Visited>>,
    failures: RefCell<Vec<String>>,
}

impl Deref for Browser<'_> {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

impl Browser<'_> {
    /// Opens `path` of the site.
    pub fn open(&self, path: &str) {
        self.goto(&self.site.url(path));
    }

    /// Signs in through the form as `name`.
    pub fn sign_in(&self, name: &str) {
        self.open("/login");
        self.type_into(&self.find("#username"), name);
        self.type_into(&self.find("#password"), TEST_PASSWORD);
        self.click(&self.find_with_text("main button", "Sign in"));
        self.wait_for_url("to leave the sign-in page", |url| !url.contains("/login"));
    }

    /// Signs out (forgets every cookie).
    pub fn sign_out(&self) {
        self.delete_cookies();
    }

    /// Clicks the first `selector` whose text contains `text`.
    #[track_caller]
    pub fn click_on(&self, selector: &str, text: &str) {
        let element = self.find_with_text(selector, text);
        self.click(&element);
    }

    /// Clicks the first `selector` whose text contains `text` and waits for
    /// the next page to load.
    #[track_caller]
    pub fn follow(&self, selector: &str, text: &str) {
        let before = self.marker();
        self.click_on(selector, text);
        self.wait_until(&format!("a new page after clicking {text:?}"), |s| {
            s.loaded() && marker_of(s) != Some(before.clone())
        });
    }

    /// Marks the current document, so a new one can be told from it.
    fn marker(&self) -> String {
        let mark = format!("{:?}", Instant::now());
        self.script(
            "document.documentElement.dataset.visited = arguments[0]",
            json!([mark]),
        );
        mark
    }

    /// Runs the quality gates on the page the browser shows now, which the
    /// journey calls `label`; with `shot`, photographs it as
    /// `target/screenshots/{shot}-{1280,390}.png` (`-nojs` without JavaScript).
    #[track_caller]
    pub fn check(&self, label: &str, shot: Option<&str>) {
        self.wait_until("the page to load", |s| s.loaded());
        let url = self.url();
        let here = format!("{label} ({url})");
        // The log holds everything since the last read: errors of pages
        // passed through unchecked (sign-in forms on the way) show here too,
        // with the address of the script or resource in the message.
        self.console_errors(&here);
        let html = self.served_html(&url);
        self.pages.borrow_mut().push(Visited {
            label: label.to_string(),
            url: url.clone(),
            html,
        });
        self.axe(&here, WIDE);
        if let Some(name) = shot {
            self.photograph(name, WIDE);
        }
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": NARROW, "height": 844, "deviceScaleFactor": 1, "mobile": true }),
        );
        // The layout viewport (`width=device-width`); a page wider than
        // that is zoomed out, so `innerWidth` would grow with it.
        self.wait_until("the narrow viewport", |s| {
            s.script("return document.documentElement.clientWidth", json!([])) == json!(NARROW)
        });
        let widths = self.script(
            "var d = document.documentElement; return [d.scrollWidth, d.clientWidth]",
            json!([]),
        );
        let (scroll, client) = (
            widths[0].as_u64().unwrap_or(0),
            widths[1].as_u64().unwrap_or(0),
        );
        if scroll > client {
            let wide = self.script(WIDEST_ELEMENTS, json!([]));
            self.fail(format!(
                "{here}: at {NARROW} px the page is {scroll} px wide in a {client} px viewport; widest: {wide}"
            ));
        }
        self.axe(&here, NARROW);
        if let Some(name) = shot {
            self.photograph(name, NARROW);
        }
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({}));
    }

    /// Records every error the browser console got since the last read.
    fn console_errors(&self, here: &str) {
        for entry in self.console() {
            if entry["level"] == json!("SEVERE") {
                self.fail(format!("{here}: console error: {}", entry["message"]));
            }
        }
    }

    /// Records a gate failure (reported together at [`Browser::finish`]).
    fn fail(&self, failure: String) {
        self.failures.borrow_mut().push(failure);
    }

    /// The page at `url` as the server sends it to this browser (its
    /// cookies), for the HTML checker; the browser's own serialization
    /// when a second GET cannot have it (a page that answered a POST).
    fn served_html(&self, url: &str) -> String {
        let http = Http::with_cookies(self.site.port, self.cookies());
        let path = url
            .strip_prefix(&self.site.url(""))
            .unwrap_or(url)
            .split('#')
            .next()
            .unwrap_or("/");
        match http.request("GET", if path.is_empty() { "/" } else { path }, None) {
            Ok(page) if page.status == 200 => page.body,
            _ => format!("<!DOCTYPE html>\n{}", self.source()),
        }
    }

    /// Runs axe-core on the page at `width`; records serious and critical
    /// violations, and `heading-order` at any impact.
    fn axe(&self, here: &str, width: u32) {
        let script = format!(
            "{}\nreturn axe.run(document, {{ resultTypes: ['violations'] }}).then(function (r) {{ \
             return r.violations.map(function (v) {{ return {{ id: v.id, impact: v.impact, help: v.help, \
             nodes: v.nodes.slice(0, 5).map(function (n) {{ return n.target.join(' ') + ': ' + n.failureSummary; }}) }}; }}); }});",
            self.tools.axe
        );
        // Without JavaScript, scripts run for axe alone, on the loaded page.
        if !self.javascript {
            self.page_scripts(true).unwrap_or_else(|e| panic!("{e}"));
        }
        let violations = self.script(&script, json!([]));
        if !self.javascript {
            self.page_scripts(false).unwrap_or_else(|e| panic!("{e}"));
        }
        for v in violations.as_array().into_iter().flatten() {
            let impact = v["impact"].as_str().unwrap_or("");
            if matches!(impact, "serious" | "critical") || v["id"] == json!("heading-order") {
                self.fail(format!(
                    "{here} at {width} px: axe {} ({impact}): {}; {}",
                    v["id"].as_str().unwrap_or(""),
                    v["help"].as_str().unwrap_or(""),
                    v["nodes"]
                ));
            }
        }
    }

    /// Writes a full-page PNG of the current page.
    fn photograph(&self, name: &str, width: u32) {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let suffix = if self.javascript { "" } else { "-nojs" };
        let path = dir.join(format!("{name}{suffix}-{width}.png"));
        let png = self.screenshot();
        assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
        std::fs::write(&path, png).expect("write screenshot");
    }

    /// Runs the Nu HTML Checker once over every page visited, then fails
    /// with everything the gates found.
    #[track_caller]
    pub fn finish(self) {
        let pages = self.pages.borrow().len();
        let failures = self.gate_failures();
        assert!(
            failures.is_empty(),
            "{}: {} gate failure(s) over {pages} page(s):\n{}",
            self.test,
            failures.len(),
            failures.join("\n")
        );
    }

    /// Runs the Nu HTML Checker once over every page visited; returns
    /// everything the gates found.
    fn gate_failures(&self) -> Vec<String> {
        self.console_errors("after the last check");
        let pages = self.pages.borrow();
        assert!(!pages.is_empty(), "{}: no page was checked", self.test);
        let dir = tempfile::tempdir().expect("html dir");
        let files: Vec<PathBuf> = pages
            .iter()
            .enumerate()
            .map(|(i, page)| {
                let path = dir.path().join(format!("page{i:02}.html"));
                std::fs::write(&path, &page.html).expect("write page");
                path
            })
            .collect();
        let out = Command::new(&self.tools.java)
            .arg("-jar")
            .arg(&self.tools.vnu)
            .args(["--format", "json", "--stdout", "--errors-only"])
            .args(&files)
            .output()
            .expect("run the Nu HTML Checker");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "the Nu HTML Checker said no JSON ({e}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        for message in report["messages"].as_array().into_iter().flatten() {
            let file = message["url"].as_str().unwrap_or("");
            let page = files
                .iter()
                .position(|f| file.ends_with(&*f.to_string_lossy()))
                .map(|i| format!("{} ({})", pages[i].label, pages[i].url))
                .unwrap_or_else(|| file.to_string());
            self.fail(format!(
                "{page}: HTML {} at line {}: {} [{}]",
                message["type"].as_str().unwrap_or(""),
                message["lastLine"],
                message["message"].as_str().unwrap_or(""),
                message["extract"].as_str().unwrap_or("").trim()
            ));
        }
        self.failures.borrow().clone()
    }
}

/// The `data-visited` mark of the current document, if any.
fn marker_of(session: &Session) -> Option<String> {
    session
        .command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": "return document.documentElement.dataset.visited || null", "args": [] })),
        )
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
}

/// Names the elements reaching furthest right (for an overflow report).
const WIDEST_ELEMENTS: &str = "var w = document.documentElement.clientWidth; \
    return Array.prototype.slice.call(document.querySelectorAll('body *')) \
    .filter(function (e) { return e.getBoundingClientRect().right > w + 1; }) \
    .slice(0, 5).map(function (e) { return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + \
    (e.className && e.className.baseVal === undefined ? '.' + e.className.split(' ').join('.') : '') + \
    ' right=' + Math.round(e.getBoundingClientRect().right); });";

/// Where screenshots go: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// A page that breaks every gate: an image without text (axe, critical), a
/// skipped heading level (axe `heading-order`), `aria-label` on a plain
/// `div` (Nu checker), a box wider than a phone, and a console error.
const BAD_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Bad</title></head>\
<body><main><h1>Bad page</h1><h3>A skipped level</h3>\
<img src=\"data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==\">\
<div aria-label=\"Score\">1</div><div style=\"width: 2000px\">wide</div>\
<script>document.title = \"ran\"; console.error(\"boom\");</script></main></body></html>";

/// The gates fail on a page that breaks them (a gate that cannot fail
/// proves nothing), and without JavaScript no page script runs.
#[test]
fn the_gates_catch_a_page_that_breaks_them() {
    let test = "browser::the_gates_catch_a_page_that_breaks_them";
    let Some(tools) = tools_or_skip(test) else {
        return;
    };
    let _one = exclusive();
    let site = Site::start(crate::harness::TestApp::builder(), None);
    let url = format!(
        "data:text/html;charset=utf-8,{}",
        percent_encoding::utf8_percent_encode(BAD_PAGE, percent_encoding::NON_ALPHANUMERIC)
    );
    let b = site.browser(&tools, test, true);
    b.goto(&url);
    b.check("bad page", None);
    let failures = b.gate_failures().join("\n");
    for expected in [
        "at 1280 px: axe image-alt (critical)",
        "at 390 px: axe image-alt (critical)",
        "axe heading-order (moderate)",
        "HTML error",
        "\u{201c}aria-label\u{201d} attribute must not be specified on any \u{201c}div\u{201d}",
        "at 390 px the page is 20",
        "console error",
        "boom",
    ] {
        assert!(
            failures.contains(expected),
            "{expected:?} not in:\n{failures}"
        );
    }
    drop(b);

    let b = site.browser(&tools, test, false);
    b.goto(&url);
    b.wait_until("the page to load", |s| s.loaded());
    let title = b.script("return document.title", json!([]));
    assert_eq!(title, json!("Bad"), "a page script ran without JavaScript");
    b.check("bad page without JavaScript", None);
    let failures = b.gate_failures().join("\n");
    assert!(failures.contains("axe image-alt (critical)"), "{failures}");
    assert!(!failures.contains("console error"), "{failures}");
}
