//! The write path under real failure: the real binary is killed with SIGKILL
//! while posts stream in; after a restart every post whose response said
//! "created" is in the database and, once the indexer caught up, findable.
//! Then the index folder is deleted while stopped and rebuilt at the next
//! start while the site serves.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use signpost::config::PoolSettings;

use crate::harness::TestApp;

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 client with a cookie jar (one request per connection).
#[derive(Clone)]
struct Http {
    port: u16,
    cookies: Arc<Mutex<Vec<(String, String)>>>,
}

impl Http {
    fn request(
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

    fn csrf(&self, path: &str) -> String {
        let page = self.request("GET", path, None).expect("page");
        crate::harness::csrf_of(&page.body).unwrap_or_else(|| panic!("no csrf on {path}"))
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn spawn(dir: &Path, config: &signpost::config::Config, port: u16) -> Child {
    crate::harness::signpost_command(config)
        .arg("serve")
        .env("SIGNPOST_LISTEN", format!("127.0.0.1:{port}"))
        .env("SIGNPOST_WORKERS", "2")
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server")
}

fn wait_healthy(http: &Http) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = http.request("GET", "/healthz", None) {
            if r.status == 200 {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("server did not become healthy");
}

/// Polls search until `marker` is found (the indexer catches up from the outbox).
fn findable(http: &Http, marker: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(r) = http.request("GET", &format!("/search?q={marker}+&kind=question"), None) {
            if r.status == 200 && !crate::harness::result_urls(&r.body).is_empty() {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn posts_survive_sigkill_and_a_lost_index_is_rebuilt() {
    let (dir, config) = TestApp::guide().prepare();
    let mut create = crate::harness::signpost_command(&config)
        .args([
            "user",
            "create",
            "crash_staff",
            "--role",
            "staff",
            "--password-stdin",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user create");
    create
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"harbor lantern quiet 9\n")
        .expect("password");
    assert!(create.wait().expect("wait").success());

    let port = free_port();
    let mut server = spawn(dir.path(), &config, port);
    let http = Http {
        port,
        cookies: Arc::new(Mutex::new(Vec::new())),
    };
    wait_healthy(&http);
    let token = http.csrf("/login");
    let login = http
        .request(
            "POST",
            "/login",
            Some(&[
                ("csrf", &token),
                ("username", "crash_staff"),
                ("password", "harbor lantern quiet 9"),
            ]),
        )
        .expect("login");
    assert_eq!(login.status, 303);
    let csrf = http.csrf("/questions/ask");

    // Post from two threads; kill the server hard while they are at it.
    let created: Arc<Mutex<Vec<(usize, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for thread in 0..2 {
        let (http, created, stop, csrf) =
            (http.clone(), created.clone(), stop.clone(), csrf.clone());
        writers.push(std::thread::spawn(move || {
            let mut i = thread;
            while !stop.load(Ordering::SeqCst) {
                let marker = format!("crashmark{i}x");
                let title = format!("Crash test question {i} {marker}");
                let fields = [
                    ("csrf", csrf.as_str()),
                    ("title", title.as_str()),
                    ("body", "Written while the server may die at any moment."),
                    ("tags", "crash"),
                    ("action", "post"),
                ];
                match http.request("POST", "/questions/ask", Some(&fields)) {
                    Ok(r) if r.status == 303 => {
                        if let (Ok(mut list), Some(location)) =
                            (created.lock(), r.header("location"))
                        {
                            list.push((i, location.to_string()));
                        }
                    }
                    Ok(_) | Err(_) => {}
                }
                i += 2;
            }
        }));
    }
    let started = Instant::now();
    while created.lock().map(|c| c.len()).unwrap_or(0) < 40
        && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reap");
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().expect("writer");
    }
    let created = created.lock().expect("list").clone();
    assert!(
        created.len() >= 40,
        "posted {} before the kill",
        created.len()
    );

    // Every acknowledged post is in the database.
    {
        let pool = signpost::db::open(&config.database(), PoolSettings::sized(1)).expect("db");
        let mut conn = pool.get().expect("conn");
        for (i, location) in &created {
            let id: i32 = location
                .split('/')
                .nth(2)
                .and_then(|s| s.parse().ok())
                .expect("id");
            let q = signpost::db::models::questions::find(&mut conn, signpost::ids::QuestionId(id))
                .expect("query")
                .unwrap_or_else(|| panic!("post {i} ({location}) was acknowledged but is lost"));
            assert!(q.title.contains(&format!("crashmark{i}x")));
        }
    }

    // After a restart the indexer catches up: every post is findable.
    let mut server = spawn(dir.path(), &config, port);
    wait_healthy(&http);
    for (i, _) in &created {
        assert!(
            findable(&http, &format!("crashmark{i}x")),
            "post {i} not findable after restart"
        );
    }
    server.kill().expect("kill");
    server.wait().expect("reap");

    // A deleted index is rebuilt at the next start, while the site serves.
    std::fs::remove_dir_all(config.index_dir()).expect("delete index");
    let mut server = spawn(dir.path(), &config, port);
    wait_healthy(&http);
    assert_eq!(
        http.request("GET", "/docs/guide", None)
            .expect("page")
            .status,
        200
    );
    let (last, _) = created.last().expect("one post");
    assert!(
        findable(&http, &format!("crashmark{last}x")),
        "rebuilt index finds the posts"
    );
    server.kill().expect("kill");
    server.wait().expect("reap");
}
