//! A small W3C WebDriver client for chromedriver, on std's `TcpStream` and
//! serde_json (no extra crates: fantoccini would bring hyper and friends to
//! compile). It speaks HTTP/1.1 with `Connection: close`, one request per
//! connection, to a chromedriver this process starts on a free port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The key W3C WebDriver gives element references under.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a condition may take to become true (a shared, loaded machine:
/// generous; polling returns as soon as it holds).
pub const WAIT: Duration = Duration::from_secs(20);

/// A running chromedriver; killed when dropped.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts `chromedriver` on a free loopback port and waits until it
    /// reports ready.
    pub fn start(chromedriver: &Path) -> Result<Driver, String> {
        let port = crate::process::free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
        let mut driver = Driver { child, port };
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(status) = request(port, "GET", "/status", None) {
                if status["value"]["ready"] == json!(true) {
                    return Ok(driver);
                }
            }
            if let Ok(Some(exit)) = driver.child.try_wait() {
                return Err(format!("chromedriver exited at start: {exit}"));
            }
            if Instant::now() >= deadline {
                let _ = driver.child.kill();
                return Err("chromedriver did not become ready".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A new browser session: headless Chromium at `binary` with the
    /// issue's flags, a fresh profile in `profile`, the browser log kept,
    /// and the page's JavaScript on or off.
    ///
    /// Off is DevTools' `Emulation.setScriptExecutionDisabled` rather than
    /// the `profile.managed_default_content_settings.javascript` pref: both
    /// keep every page script from running (across navigations), but under
    /// the pref not even a script WebDriver injects gets its timers, and
    /// axe-core needs them; the DevTools switch can be lifted for the axe
    /// run alone ([`Session::page_scripts`]) once the page has loaded.
    pub fn session(
        &self,
        binary: &Path,
        profile: &Path,
        javascript: bool,
    ) -> Result<Session, String> {
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": binary,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--no-first-run",
                            "--disable-dev-shm-usage",
                            "--window-size=1280,900",
                            format!("--user-data-dir={}", profile.display()),
                        ],
                    },
                    "goog:loggingPrefs": { "browser": "ALL" },
                    "timeouts": { "pageLoad": 60_000, "script": 60_000, "implicit": 0 },
                }
            }
        });
        let answer = request(self.port, "POST", "/session", Some(&capabilities))?;
        let id = answer["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {answer}"))?
            .to_string();
        let session = Session {
            port: self.port,
            id,
        };
        if !javascript {
            session.page_scripts(false)?;
        }
        Ok(session)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session; closed (the browser quits) when dropped.
pub struct Session {
    port: u16,
    id: String,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Element {
    /// The driver's reference to the element.
    pub fn id(&self) -> &str {
        &self.0
    }
}

impl Session {
    /// A command of this session: `POST`/`GET`/`DELETE` on `/session/{id}{path}`,
    /// returning the answer's `value`.
    pub fn command(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = match (method, body) {
            ("POST", None) => Some(json!({})),
            (_, body) => body,
        };
        let answer = request(
            self.port,
            method,
            &format!("/session/{}{path}", self.id),
            body.as_ref(),
        )?;
        Ok(answer.get("value").cloned().unwrap_or(Value::Null))
    }

    /// Like [`Session::command`], panicking with the driver's error.
    #[track_caller]
    fn must(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.command(method, path, body) {
            Ok(value) => value,
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        }
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) {
        self.must("POST", "/url", Some(json!({ "url": url })));
    }

    /// The address of the current page.
    pub fn url(&self) -> String {
        self.must("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The browser's Back button.
    pub fn back(&self) {
        self.must("POST", "/back", None);
    }

    /// The page as the browser's DOM serializes it.
    pub fn source(&self) -> String {
        self.must("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page;
    /// a returned promise is awaited.
    #[track_caller]
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.must(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Runs a DevTools protocol command (`Emulation.*`, `Page.*`).
    #[track_caller]
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.must(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }

    /// Lets the page's scripts (and timers) run, or stops them.
    pub fn page_scripts(&self, on: bool) -> Result<(), String> {
        self.command(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": "Emulation.setScriptExecutionDisabled", "params": { "value": !on } })),
        )
        .map(drop)
    }

    /// The elements matching the CSS `selector` now (possibly none).
    pub fn find_all(&self, selector: &str) -> Vec<Element> {
        let found = self.must(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": selector })),
        );
        found
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str())
                    .map(|id| Element(id.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching `selector`, waiting for it to appear.
    #[track_caller]
    pub fn find(&self, selector: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(element) = self.find_all(selector).into_iter().next() {
                return element;
            }
            assert!(
                Instant::now() < deadline,
                "no element matches {selector:?} on {}:\n{}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The first element matching `selector` whose text contains `text`,
    /// waiting for it to appear.
    #[track_caller]
    pub fn find_with_text(&self, selector: &str, text: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(element) = self
                .find_all(selector)
                .into_iter()
                .find(|e| self.text(e).contains(text))
            {
                return element;
            }
            assert!(
                Instant::now() < deadline,
                "no {selector:?} with text {text:?} on {}:\n{}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks `element` (scrolled into view first, as a user would).
    #[track_caller]
    pub fn click(&self, element: &Element) {
        self.must("POST", &format!("/element/{}/click", element.0), None);
    }

    /// Types `text` into `element` (after what it holds).
    #[track_caller]
    pub fn type_into(&self, element: &Element, text: &str) {
        self.must(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    /// Empties a text field.
    #[track_caller]
    pub fn clear(&self, element: &Element) {
        self.must("POST", &format!("/element/{}/clear", element.0), None);
    }

    /// The rendered text of `element`.
    pub fn text(&self, element: &Element) -> String {
        self.command("GET", &format!("/element/{}/text", element.0), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// A property of `element` (`value`, `checked`, …).
    pub fn property(&self, element: &Element, name: &str) -> Value {
        self.command(
            "GET",
            &format!("/element/{}/property/{name}", element.0),
            None,
        )
        .unwrap_or(Value::Null)
    }

    /// The visible text of the whole page.
    pub fn page_text(&self) -> String {
        self.find_all("body")
            .first()
            .map(|body| self.text(body))
            .unwrap_or_default()
    }

    /// Waits until `condition` holds, naming `what` when it never does.
    #[track_caller]
    pub fn wait_until(&self, what: &str, condition: impl Fn(&Session) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !condition(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} on {}:\n{}",
                self.url(),
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the page's visible text contains `text`.
    #[track_caller]
    pub fn wait_for_text(&self, text: &str) {
        self.wait_until(&format!("the text {text:?}"), |s| {
            s.page_text().contains(text)
        });
    }

    /// Waits until the address satisfies `condition` and the page is loaded.
    #[track_caller]
    pub fn wait_for_url(&self, what: &str, condition: impl Fn(&str) -> bool) {
        self.wait_until(what, |s| condition(&s.url()) && s.loaded());
    }

    /// Whether the current document has finished loading.
    pub fn loaded(&self) -> bool {
        // Without JavaScript in the page, WebDriver still evaluates scripts.
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": "return document.readyState", "args": [] })),
        )
        .is_ok_and(|v| v == json!("complete"))
    }

    /// The browser's console messages since the last call.
    pub fn console(&self) -> Vec<Value> {
        self.command("POST", "/se/log", Some(json!({ "type": "browser" })))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
    }

    /// The browser's cookies, as name and value.
    pub fn cookies(&self) -> Vec<(String, String)> {
        self.command("GET", "/cookie", None)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|c| {
                Some((
                    c["name"].as_str()?.to_string(),
                    c["value"].as_str()?.to_string(),
                ))
            })
            .collect()
    }

    /// Deletes every cookie (signs the browser out).
    pub fn delete_cookies(&self) {
        self.must("DELETE", "/cookie", None);
    }

    /// A PNG of the whole page (beyond the viewport).
    pub fn screenshot(&self) -> Vec<u8> {
        let shot = self.cdp(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true }),
        );
        let data = shot["data"].as_str().unwrap_or_default();
        decode_base64(data).unwrap_or_else(|| panic!("screenshot is not base64"))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = request(self.port, "DELETE", &format!("/session/{}", self.id), None);
    }
}

/// One request to chromedriver; the parsed JSON answer, or the driver's
/// error message.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if method != "GET" {
        head.push_str(&format!(
            "Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .map_err(|e| format!("send: {e}"))?;
    let (status, body) = read_response(&mut stream).map_err(|e| format!("read: {e}"))?;
    let value: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    if status >= 400 {
        return Err(format!(
            "{status} {}: {}",
            value["value"]["error"].as_str().unwrap_or("error"),
            value["value"]["message"].as_str().unwrap_or_default()
        ));
    }
    Ok(value)
}

/// Reads one response: its status and body (chromedriver keeps the
/// connection open, so the body ends at its `Content-Length` or at the last
/// chunk, not at the end of the stream).
fn read_response(stream: &mut TcpStream) -> std::io::Result<(u16, String)> {
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {status_line:?}")))?;
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse::<usize>().ok();
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16)
                .map_err(|e| std::io::Error::other(format!("chunk size: {e}")))?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = length {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Standard base64 (with padding) to bytes; `None` on a character outside
/// the alphabet.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
    {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[test]
fn base64_decodes_what_it_should() {
    assert_eq!(decode_base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
    assert_eq!(decode_base64("aGk=").as_deref(), Some(&b"hi"[..]));
    assert_eq!(decode_base64("YWJj").as_deref(), Some(&b"abc"[..]));
    assert_eq!(decode_base64("a$b="), None);
}
