//! Real `signpost serve` processes for the tests that need them (SIGKILL,
//! several nodes on one database): spawning the binary on a config, a
//! minimal HTTP/1.1 client with a cookie jar, and waits for health and
//! for search to find a marker.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use signpost::config::Config;

use crate::harness::signpost_command;

/// A response, read whole.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The first header called `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 client with a cookie jar (one request per connection).
#[derive(Clone)]
pub struct Http {
    pub port: u16,
    cookies: Arc<Mutex<Vec<(String, String)>>>,
    /// Sent as `X-Forwarded-For` (the client address a proxy would name).
    forwarded_for: Option<String>,
}

impl Http {
    /// A client of the server on `port`, with an empty cookie jar.
    pub fn new(port: u16) -> Self {
        Http {
            port,
            cookies: Arc::new(Mutex::new(Vec::new())),
            forwarded_for: None,
        }
    }

    /// A client of the server on `port` holding `cookies` (a browser's).
    pub fn with_cookies(port: u16, cookies: Vec<(String, String)>) -> Self {
        Http {
            port,
            cookies: Arc::new(Mutex::new(cookies)),
            forwarded_for: None,
        }
    }

    /// This client with the same cookies, talking to the server on `port`
    /// (another node behind the same load balancer).
    pub fn on(&self, port: u16) -> Self {
        Http {
            port,
            ..self.clone()
        }
    }

    /// This client as if a reverse proxy named `address` as the client.
    pub fn forwarded_for(mut self, address: &str) -> Self {
        self.forwarded_for = Some(address.to_string());
        self
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> std::io::Result<Response> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let body = form
            .map(|f| {
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(f)
                    .finish()
            })
            .unwrap_or_default();
        let cookie = self
            .cookies
            .lock()
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nCookie: {cookie}\r\n");
        if let Some(address) = &self.forwarded_for {
            request.push_str(&format!("X-Forwarded-For: {address}\r\n"));
        }
        if form.is_some() {
            request.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        stream.write_all(request.as_bytes())?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| std::io::Error::other("no response head"))?;
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                if let Some((name, rest)) = v.split_once('=') {
                    let value = rest.split(';').next().unwrap_or("").to_string();
                    if let Ok(mut jar) = self.cookies.lock() {
                        jar.retain(|(n, _)| n != name);
                        if !value.is_empty() {
                            jar.push((name.to_string(), value));
                        }
                    }
                }
            }
        }
        Ok(Response {
            status,
            headers,
            body: body.to_string(),
        })
    }

    /// The CSRF token of the form on `path`.
    pub fn csrf(&self, path: &str) -> String {
        let page = self.request("GET", path, None).expect("page");
        crate::harness::csrf_of(&page.body).unwrap_or_else(|| panic!("no csrf on {path}"))
    }

    /// Signs in through the form; returns the response.
    pub fn login(&self, name: &str, password: &str) -> Response {
        let token = self.csrf("/login");
        self.request(
            "POST",
            "/login",
            Some(&[("csrf", &token), ("username", name), ("password", password)]),
        )
        .expect("login")
    }

    /// Waits until `/healthz` answers 200.
    pub fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = self.request("GET", "/healthz", None) {
                if r.status == 200 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server on port {} did not become healthy", self.port);
    }

    /// Whether a question search finds `marker` before `timeout` passes
    /// (the indexer catches up from the outbox).
    pub fn finds_within(&self, marker: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(r) = self.request("GET", &format!("/search?q={marker}+&kind=question"), None)
            {
                if r.status == 200 && !crate::harness::result_urls(&r.body).is_empty() {
                    return true;
                }
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether a question search finds `marker` within 20 seconds.
    pub fn findable(&self, marker: &str) -> bool {
        self.finds_within(marker, Duration::from_secs(20))
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The database every node of a test shares: on PostgreSQL the test's own
/// database; on SQLite a file in `dir` (each node's `data_dir` is its own).
pub fn shared_database(dir: &Path, base: &Config) -> String {
    if base.database().is_postgres() {
        return base.database_url.clone();
    }
    dir.join("shared.db").to_string_lossy().into_owned()
}

/// A running `signpost serve`; killed (SIGKILL) when dropped, so a failed
/// test leaves no server behind.
pub struct Server(Child);

impl Server {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Whether the server process has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(None))
    }

    /// Kills the server hard (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("reap");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `signpost serve` on `config` (its data and content dirs, and its
/// `database_url` when set) listening on `port`, with `env` on top; its
/// output is discarded unless the caller pipes it.
fn serve_command(dir: &Path, config: &Config, port: u16, env: &[(&str, &str)]) -> Command {
    let mut command = signpost_command(config);
    command
        .arg("serve")
        .env("SIGNPOST_LISTEN", format!("127.0.0.1:{port}"))
        .env("SIGNPOST_WORKERS", "2")
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// Starts `signpost serve` on `config` (its data and content dirs, and its
/// `database_url` when set) listening on `port`, with `env` on top.
pub fn spawn(dir: &Path, config: &Config, port: u16, env: &[(&str, &str)]) -> Server {
    Server(
        serve_command(dir, config, port, env)
            .spawn()
            .expect("spawn server"),
    )
}

/// Like [`spawn`], with every line the server prints on stdout sent to the
/// receiver as it comes.
pub fn spawn_reading_stdout(
    dir: &Path,
    config: &Config,
    port: u16,
    env: &[(&str, &str)],
) -> (Server, Receiver<String>) {
    let mut child = serve_command(dir, config, port, env)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let stdout = child.stdout.take().expect("stdout");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        // Keeps draining after the receiver is gone: a closed pipe would
        // make the server's next write fail.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    (Server(child), lines)
}

/// Starts `signpost serve` with a stdout pipe whose reading end is closed
/// before the server writes to it.
pub fn spawn_with_closed_stdout(dir: &Path, config: &Config, port: u16) -> Server {
    let mut child = serve_command(dir, config, port, &[])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn server");
    drop(child.stdout.take());
    Server(child)
}

/// Creates an account with the CLI on `config`'s database.
pub fn create_user(dir: &Path, config: &Config, name: &str, role: &str, password: &str) {
    let mut create = signpost_command(config)
        .args(["user", "create", name, "--role", role, "--password-stdin"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user create");
    create
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("password");
    assert!(create.wait().expect("wait").success(), "user create {name}");
}

/// Questions posted from several threads through one signed-in client,
/// until stopped; records the ones the server acknowledged (303).
pub struct PostStream {
    acknowledged: Arc<Mutex<Vec<(usize, String)>>>,
    stop: Arc<AtomicBool>,
    writers: Vec<JoinHandle<()>>,
}

impl PostStream {
    /// The title marker of post `i` of a stream with `prefix`.
    pub fn marker(prefix: &str, i: usize) -> String {
        format!("{prefix}{i}x")
    }

    /// Starts `threads` writers posting as `http` (signed in, `csrf` of its
    /// session) with titles marked `prefix{i}x`.
    pub fn start(http: &Http, csrf: &str, threads: usize, prefix: &str) -> Self {
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let writers = (0..threads)
            .map(|thread| {
                let (http, acknowledged, stop) = (http.clone(), acknowledged.clone(), stop.clone());
                let (csrf, prefix) = (csrf.to_string(), prefix.to_string());
                std::thread::spawn(move || {
                    let mut i = thread;
                    while !stop.load(Ordering::SeqCst) {
                        let title = format!("Stream question {i} {}", Self::marker(&prefix, i));
                        let fields = [
                            ("csrf", csrf.as_str()),
                            ("title", title.as_str()),
                            ("body", "Written while the server may die at any moment."),
                            ("tags", "crash"),
                            ("action", "post"),
                        ];
                        if let Ok(r) = http.request("POST", "/questions/ask", Some(&fields)) {
                            if let (303, Some(location), Ok(mut list)) =
                                (r.status, r.header("location"), acknowledged.lock())
                            {
                                list.push((i, location.to_string()));
                            }
                        }
                        i += threads;
                    }
                })
            })
            .collect();
        PostStream {
            acknowledged,
            stop,
            writers,
        }
    }

    /// Waits until `count` posts were acknowledged (or 30 s passed).
    pub fn wait_for(&self, count: usize) {
        let started = Instant::now();
        while self.acknowledged.lock().map(|c| c.len()).unwrap_or(0) < count
            && started.elapsed() < Duration::from_secs(30)
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Stops the writers; returns every acknowledged post: its number and
    /// the location the server answered.
    pub fn stop(self) -> Vec<(usize, String)> {
        self.stop.store(true, Ordering::SeqCst);
        for writer in self.writers {
            writer.join().expect("writer");
        }
        self.acknowledged.lock().expect("list").clone()
    }
}

/// Asserts that every acknowledged post of a [`PostStream`] with `prefix`
/// is in the database behind `pool`.
pub fn assert_stored(pool: &signpost::db::Pool, prefix: &str, posts: &[(usize, String)]) {
    let mut conn = pool.get().expect("conn");
    for (i, location) in posts {
        let id: i32 = location
            .split('/')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .expect("id");
        let q = signpost::db::models::questions::find(&mut conn, signpost::ids::QuestionId(id))
            .expect("query")
            .unwrap_or_else(|| panic!("post {i} ({location}) was acknowledged but is lost"));
        assert!(q.title.contains(&PostStream::marker(prefix, *i)));
    }
}
