//! `TestApp`: a Signpost instance in a temp dir, driven through the real
//! actix app in-process.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::test;
use signpost::app::{self, StartError, Started};
use signpost::config::Config;
use tempfile::TempDir;

use crate::backend::{self, TestDatabase};

/// The shipped content folder of the repository.
pub fn shipped_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// A response with its body as raw bytes.
pub struct Raw {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Raw {
    /// The value of header `name`, or "" without one.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The header value as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the page contains `needle`, printing the page when not.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in page:\n{}",
            self.body
        );
    }
}

/// One running instance with its own data and content dirs.
pub struct TestApp {
    // Field order is drop order: stop the app before deleting its files.
    started: Option<Started>,
    pub config: Config,
    pub dir: TestDir,
}

/// A test's temp dir and, on PostgreSQL, its own database: both are removed
/// when this is dropped. Derefs to the [`TempDir`].
pub struct TestDir {
    dir: TempDir,
    /// The test's database when the suite runs on PostgreSQL (dropped with
    /// the dir).
    _database: Option<Box<TestDatabase>>,
}

impl std::ops::Deref for TestDir {
    type Target = TempDir;

    fn deref(&self) -> &TempDir {
        &self.dir
    }
}

/// Builds a [`TestApp`].
pub struct TestAppBuilder {
    files: Vec<(String, String)>,
    shipped: bool,
    base_url: Option<String>,
    tweaks: Vec<ConfigTweak>,
}

/// A change to the configuration, applied before the app starts.
type ConfigTweak = Box<dyn FnOnce(&mut Config)>;

impl TestApp {
    /// A builder with no content.
    pub fn builder() -> TestAppBuilder {
        let _ = env_logger::builder()
            .is_test(true)
            .filter_level(log::LevelFilter::Warn)
            .try_init();
        TestAppBuilder {
            files: Vec::new(),
            shipped: false,
            base_url: None,
            tweaks: Vec::new(),
        }
    }

    /// An app serving the shipped `content/`, with the index caught up.
    pub async fn shipped() -> TestApp {
        let app = TestApp::builder().shipped_content().start();
        app.wait_indexed();
        app
    }

    /// The running state.
    pub fn started(&self) -> &Started {
        self.started.as_ref().expect("app is running")
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    /// GET `path` with extra request headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let raw = self.get_raw(path, headers).await;
        Page {
            status: raw.status,
            headers: raw.headers,
            body: String::from_utf8_lossy(&raw.body).into_owned(),
        }
    }

    /// GET `path` with extra request headers, the body as sent (compressed
    /// bodies are not text).
    pub async fn get_raw(&self, path: &str, headers: &[(&str, &str)]) -> Raw {
        let service = test::init_service(app::build_app(self.started().state.clone())).await;
        let mut request = test::TestRequest::get().uri(path);
        for (name, value) in headers {
            request = request.insert_header((name.to_string(), value.to_string()));
        }
        let response = test::call_service(&service, request.to_request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = test::read_body(response).await.to_vec();
        Raw {
            status,
            headers,
            body,
        }
    }

    /// A browser-like client that keeps cookies.
    pub fn client(&self) -> Client<'_> {
        Client {
            app: self,
            cookies: RefCell::new(BTreeMap::new()),
            ip: "203.0.113.7".into(),
            forwarded_for: RefCell::new(None),
        }
    }

    /// The id of the account named `name` (which must exist).
    pub fn user_id(&self, name: &str) -> signpost::ids::UserId {
        let mut conn = self.started().state.db.get().expect("db");
        signpost::db::models::users::find_by_key(&mut conn, name)
            .expect("query")
            .expect("user")
            .id
    }

    /// Creates an account directly (fast path for tests) and returns its id.
    pub fn create_user(&self, name: &str, role: signpost::auth::Role) -> signpost::ids::UserId {
        let valid = signpost::auth::username::validate(name).expect("valid name");
        let hash = signpost::auth::password::hash(TEST_PASSWORD).expect("hash");
        let mut conn = self.started().state.db.get().expect("db");
        signpost::service::accounts::create_user(
            &mut conn,
            &valid,
            "",
            Some(&hash),
            role,
            signpost::db::unix_now(),
        )
        .expect("create")
        .expect("name free")
        .id
    }

    /// A client signed in as a new user with `role`.
    pub async fn signed_in(&self, name: &str, role: signpost::auth::Role) -> Client<'_> {
        self.create_user(name, role);
        let client = self.client();
        let page = client.login(name, TEST_PASSWORD).await;
        assert_eq!(page.status, 303, "login of {name} failed: {}", page.body);
        client
    }

    /// Blocks until the search index has applied every outbox entry.
    pub fn wait_indexed(&self) {
        let state = &self.started().state;
        let mut conn = state.db.get().expect("db connection");
        let max = signpost::db::models::outbox::max_id(&mut conn).expect("outbox max id");
        assert!(
            state
                .search
                .wait_applied(i64::from(max), Duration::from_secs(20)),
            "index did not catch up to outbox id {max} (at {})",
            state.search.applied_id()
        );
    }

    /// Stops the app (indexer included) and starts it again on the same dirs.
    pub fn restart(&mut self) -> Result<(), StartError> {
        self.stop();
        self.started = Some(app::start(self.config.clone())?);
        Ok(())
    }

    /// Stops the app.
    pub fn stop(&mut self) {
        self.started = None;
    }

    /// Path of a file in the temp content dir.
    pub fn content_path(&self, rel: &str) -> PathBuf {
        self.config.content_dir.join(rel)
    }

    /// Writes a file into the temp content dir.
    pub fn write_content(&self, rel: &str, text: &str) {
        let path = self.content_path(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write content");
    }
}

impl TestAppBuilder {
    /// Serve the repository's shipped content.
    pub fn shipped_content(mut self) -> Self {
        self.shipped = true;
        self
    }

    /// Sets the public base URL.
    pub fn base_url(mut self, url: &str) -> Self {
        self.base_url = Some(url.to_string());
        self
    }

    /// Changes the configuration before the app starts.
    pub fn configure(mut self, tweak: impl FnOnce(&mut Config) + 'static) -> Self {
        self.tweaks.push(Box::new(tweak));
        self
    }

    /// Adds a file (path relative to the content dir).
    pub fn file(mut self, path: &str, text: &str) -> Self {
        self.files.push((path.to_string(), text.to_string()));
        self
    }

    /// Writes the files and returns the config, without starting. On
    /// PostgreSQL the config names a fresh database, dropped with the dir.
    pub fn prepare(self) -> (TestDir, Config) {
        let dir = tempfile::tempdir().expect("temp dir");
        let database = backend::on_postgres().then(|| Box::new(TestDatabase::create()));
        let mut config = Config {
            data_dir: dir.path().join("data"),
            content_dir: if self.shipped {
                shipped_content()
            } else {
                dir.path().join("content")
            },
            // Tests change content files between restarts and count what the
            // start synced: only the reload tests turn watching on.
            watch_content: false,
            ..Config::default()
        };
        if let Some(db) = &database {
            config.database_url = db.url.clone();
        }
        if let Some(url) = &self.base_url {
            config.base_url = url.clone();
        }
        for tweak in self.tweaks {
            tweak(&mut config);
        }
        for (rel, text) in &self.files {
            let path = config.content_dir.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
        }
        (
            TestDir {
                dir,
                _database: database,
            },
            config,
        )
    }

    /// Starts the app; panics on start errors (use `try_start` to see them).
    pub fn start(self) -> TestApp {
        match self.try_start() {
            Ok(app) => app,
            Err((_, e)) => panic!("start failed: {e} {e:?}"),
        }
    }

    /// Starts the app, returning the start error with the dir on failure.
    pub fn try_start(self) -> Result<TestApp, (TestDir, StartError)> {
        let (dir, config) = self.prepare();
        match app::start(config.clone()) {
            Ok(started) => Ok(TestApp {
                dir,
                config,
                started: Some(started),
            }),
            Err(e) => Err((dir, e)),
        }
    }
}

/// The `signpost` binary, set up for the data dir, content dir and database
/// of `config`.
pub fn signpost_command(config: &Config) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_signpost"));
    command
        .env("SIGNPOST_DATA_DIR", &config.data_dir)
        .env("SIGNPOST_CONTENT_DIR", &config.content_dir)
        .env("SIGNPOST_DATABASE_URL", &config.database_url);
    command
}

/// Runs the `signpost` binary with `args` on the data and content dirs and
/// the database of `config`, from `dir`.
pub fn run_cli(dir: &Path, config: &Config, args: &[&str]) -> std::process::Output {
    signpost_command(config)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run signpost")
}

/// The password of users made by [`TestApp::create_user`].
pub const TEST_PASSWORD: &str = "river stone lantern 42";

/// A client with a cookie jar and a fixed client address.
pub struct Client<'a> {
    app: &'a TestApp,
    cookies: RefCell<BTreeMap<String, String>>,
    pub ip: String,
    /// An `X-Forwarded-For` header sent with every request.
    pub forwarded_for: RefCell<Option<String>>,
}

impl Client<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Sends `request` with this client's address, cookies and headers.
    pub async fn send(&self, request: test::TestRequest) -> Page {
        let service = test::init_service(app::build_app(self.app.started().state.clone())).await;
        let addr: std::net::SocketAddr = format!("{}:40000", self.ip).parse().expect("ip");
        let mut request = request.peer_addr(addr);
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            request = request.insert_header(("cookie", cookies));
        }
        if let Some(forwarded) = self.forwarded_for.borrow().clone() {
            request = request.insert_header(("x-forwarded-for", forwarded));
        }
        let response = test::call_service(&service, request.to_request()).await;
        for cookie in response.response().cookies() {
            let removed = cookie.value().is_empty()
                || cookie
                    .max_age()
                    .is_some_and(|age| age.is_zero() || age.is_negative());
            if removed {
                self.cookies.borrow_mut().remove(cookie.name());
            } else {
                self.cookies
                    .borrow_mut()
                    .insert(cookie.name().to_string(), cookie.value().to_string());
            }
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = test::read_body(response).await;
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// GET with cookies.
    pub async fn get(&self, path: &str) -> Page {
        self.send(test::TestRequest::get().uri(path)).await
    }

    /// POST a form with cookies.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send(
            test::TestRequest::post()
                .uri(path)
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload(body),
        )
        .await
    }

    /// POST a form with cookies and extra headers.
    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request = test::TestRequest::post()
            .uri(path)
            .insert_header(("content-type", "application/x-www-form-urlencoded"));
        for &(name, value) in headers {
            request = request.insert_header((name, value));
        }
        self.send(request.set_payload(body)).await
    }

    /// The CSRF token of the form on `path`.
    pub async fn csrf(&self, path: &str) -> String {
        let page = self.get(path).await;
        csrf_of(&page.body).unwrap_or_else(|| panic!("no csrf field on {path}: {}", page.body))
    }

    /// POST a form after fetching its CSRF token from `form_page`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf(form_page).await;
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Signs in through the form.
    pub async fn login(&self, name: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("username", name), ("password", password)],
        )
        .await
    }

    /// Registers through the form.
    pub async fn register(&self, name: &str, password: &str) -> Page {
        self.submit(
            "/register",
            "/register",
            &[
                ("username", name),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    /// The `Cookie` header this client sends (its cookies, joined).
    pub fn cookies(&self) -> String {
        self.cookie_header()
    }

    /// Whether a session cookie is held.
    pub fn has_session(&self) -> bool {
        self.cookies.borrow().contains_key("sp_session")
    }
}

/// The value of the first `name="csrf"` field in a page.
pub fn csrf_of(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = body[at..].find('"')? + at;
    Some(body[at..end].to_string()).filter(|t| !t.is_empty())
}

/// The target addresses of the results on a search page, in order (the
/// links go through `/search/click`, which logs the click).
pub fn result_urls(body: &str) -> Vec<String> {
    body.split("<li class=\"result ")
        .skip(1)
        .filter_map(|part| {
            let start = part.find("<h2><a href=\"")? + "<h2><a href=\"".len();
            let href = part[start..start + part[start..].find('"')?].replace("&amp;", "&");
            let query = href.split_once('?')?.1.to_string();
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "u")
                .map(|(_, v)| v.into_owned())
        })
        .collect()
}

/// GETs `path` through `get` until the page comes from the page cache
/// (pages are stored off the request, so the next request may still miss).
pub async fn until_cached<F, Fut>(path: &str, mut get: F) -> Page
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Page>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page = get().await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        if page.header("x-cache") == "hit" {
            return page;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} was never served from the cache"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}
