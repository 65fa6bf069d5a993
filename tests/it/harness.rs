//! `TestApp`: a Signpost instance in a temp dir, driven through the real
//! actix app in-process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use actix_web::test;
use signpost::app::{self, Started, StartError};
use signpost::config::Config;
use tempfile::TempDir;

/// The shipped content folder of the repository.
pub fn shipped_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
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
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts the page contains `needle`, printing the page when not.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) {
        assert!(self.body.contains(needle), "expected {needle:?} in page:\n{}", self.body);
    }
}

/// One running instance with its own data and content dirs.
pub struct TestApp {
    pub dir: TempDir,
    pub config: Config,
    started: Option<Started>,
}

/// Builds a [`TestApp`].
pub struct TestAppBuilder {
    files: Vec<(String, String)>,
    shipped: bool,
}

impl TestApp {
    /// A builder with no content.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder { files: Vec::new(), shipped: false }
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
        let service = test::init_service(app::build_app(self.started().state.clone())).await;
        let response = test::call_service(&service, test::TestRequest::get().uri(path).to_request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = test::read_body(response).await;
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// Blocks until the search index has applied every outbox entry.
    pub fn wait_indexed(&self) {
        let state = &self.started().state;
        let mut conn = state.db.get().expect("db connection");
        let max = signpost::db::models::outbox::max_id(&mut conn).expect("outbox max id");
        assert!(
            state.search.wait_applied(i64::from(max), Duration::from_secs(20)),
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

    /// Adds a file (path relative to the content dir).
    pub fn file(mut self, path: &str, text: &str) -> Self {
        self.files.push((path.to_string(), text.to_string()));
        self
    }

    /// Writes the files and returns the config, without starting.
    pub fn prepare(self) -> (TempDir, Config) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.data_dir = dir.path().join("data");
        config.content_dir = if self.shipped { shipped_content() } else { dir.path().join("content") };
        for (rel, text) in &self.files {
            let path = config.content_dir.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, text).expect("write");
        }
        (dir, config)
    }

    /// Starts the app; panics on start errors (use `try_start` to see them).
    pub fn start(self) -> TestApp {
        match self.try_start() {
            Ok(app) => app,
            Err((_, e)) => panic!("start failed: {e} {e:?}"),
        }
    }

    /// Starts the app, returning the start error with the dir on failure.
    pub fn try_start(self) -> Result<TestApp, (TempDir, StartError)> {
        let (dir, config) = self.prepare();
        match app::start(config.clone()) {
            Ok(started) => Ok(TestApp { dir, config, started: Some(started) }),
            Err(e) => Err((dir, e)),
        }
    }
}

/// A minimal valid manual `_index.md`.
pub fn manual_index(title: &str) -> String {
    format!("+++\ntitle = \"{title}\"\n+++\n")
}

/// A minimal valid article.
pub fn article(title: &str, weight: i32, body: &str) -> String {
    format!("+++\ntitle = \"{title}\"\nweight = {weight}\n+++\n{body}\n")
}
