//! Runtime configuration: an optional `signpost.toml` overridden by `SIGNPOST_*`
//! environment variables. Unknown keys and unknown variables are errors, so a
//! typo never silently falls back to a default.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Environment variable naming the config file (same as `--config`).
pub const CONFIG_ENV: &str = "SIGNPOST_CONFIG";

/// `base_url` when none is configured (see [`Config::reachable_base_url`]).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// Everything the binary can be configured with.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub listen: String,
    /// Folder holding the SQLite database and the search index.
    pub data_dir: PathBuf,
    /// Folder holding the shipped manuals (and troubleshooting trees).
    pub content_dir: PathBuf,
    /// The database: empty means SQLite at `<data_dir>/signpost.db`; a file
    /// path or `sqlite://PATH` is a SQLite file; `postgres://USER:PASSWORD@HOST:PORT/NAME`
    /// (or `postgresql://…`, any libpq URL) is PostgreSQL.
    pub database_url: String,
    /// Most connections the main database pool keeps (pages, posts, accounts).
    pub database_pool_size: u32,
    /// Most connections of the statistics pool (search log, clicks,
    /// troubleshooting walks), which never waits for a disk flush.
    pub analytics_pool_size: u32,
    /// Seconds a request waits for a database connection, and a new
    /// PostgreSQL connection may take, before the page answers 503
    /// "temporarily unavailable".
    pub database_timeout: u64,
    /// Seconds a search waits for its turn (a few run at once) before the
    /// page answers 503 "search is busy" with a search box and `Retry-After`.
    pub search_timeout: u64,
    /// Searches run at once (the others wait their turn); 0 means one and a
    /// half per CPU core plus one.
    pub search_concurrency: usize,
    /// Name shown in the header and in page titles.
    pub site_name: String,
    /// Public URL of the site, used for absolute links and cookie security.
    pub base_url: String,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Take the client address from `X-Forwarded-For` (set it only when a
    /// reverse proxy in front of the site appends that header). The address
    /// used is the rightmost one not in `trusted_proxies`.
    pub behind_proxy: bool,
    /// Networks of the reverse proxies (CIDR, e.g. `10.0.0.0/8`): only a
    /// connection from one of them may name the client in `X-Forwarded-For`,
    /// and their own entries in that header are skipped.
    pub trusted_proxies: Vec<IpNet>,
    /// Longest path (in steps) a troubleshooting tree may have.
    pub max_tree_depth: usize,
    /// Look for changed files in `content_dir` every 2 seconds and reload
    /// them while the server runs (SIGHUP reloads either way).
    pub watch_content: bool,
    /// This node's name when several nodes share one database (its search
    /// index's progress and its job claims are recorded under it); empty
    /// means the host name plus a hash of the data dir.
    pub node_name: String,
    /// The mail server: `smtp://HOST:PORT` (plain), `smtp://HOST:PORT?tls=starttls`
    /// (STARTTLS, required) or `smtps://HOST:PORT` (TLS from the start), with
    /// `USER:PASSWORD@` before the host when it wants a login. Empty (the
    /// default) turns e-mail off; the site works without it.
    pub smtp_url: String,
    /// The sender of every mail, e.g. `Signpost <help@example.com>`;
    /// needed with `smtp_url`.
    pub mail_from: String,
    /// Days a fixed (or won't-fix) known issue keeps showing its banner on
    /// the pages it is linked to, saying it is fixed; 0 stops it at once.
    pub known_issue_grace_days: u64,
    /// Days after a question's first answer, with no answer accepted, when
    /// its asker is asked once "was your question solved?"; 0 turns it off.
    pub solved_nudge_days: u32,
    /// Megabytes of memory for the cache of rendered, compressed pages
    /// served to anonymous visitors (bodies and their compressed copies are
    /// counted); 0 turns the cache off.
    pub page_cache_mb: u64,
    /// Megabytes of memory for the results of repeated searches, kept
    /// until the search index or the synonyms change; 0 turns it off.
    pub search_cache_mb: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            content_dir: PathBuf::from("./content"),
            database_url: String::new(),
            database_pool_size: 16,
            analytics_pool_size: 4,
            database_timeout: 5,
            search_timeout: 5,
            search_concurrency: 0,
            site_name: "Signpost".into(),
            base_url: DEFAULT_BASE_URL.into(),
            workers: 0,
            behind_proxy: false,
            trusted_proxies: vec![IpNet::LOOPBACK_V4, IpNet::LOOPBACK_V6],
            max_tree_depth: 12,
            watch_content: true,
            node_name: String::new(),
            smtp_url: String::new(),
            mail_from: String::new(),
            known_issue_grace_days: 7,
            solved_nudge_days: DEFAULT_SOLVED_NUDGE_DAYS,
            page_cache_mb: 64,
            search_cache_mb: 16,
        }
    }
}

/// A configuration problem, reported before anything starts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file exists but could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not valid TOML or has unknown keys.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said, including the line.
        message: String,
    },
    /// An environment variable is unknown or has a bad value.
    #[error("environment variable {name}: {message}")]
    Env {
        /// The variable.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A value is present but unusable.
    #[error("{key}: {message}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

/// Variables read by the test suite, not by Signpost (so exporting them for
/// `cargo test` does not stop the binary).
const TEST_SUITE_ENV: &[&str] = &[
    "SIGNPOST_TEST_DATABASE",
    "SIGNPOST_TEST_BACKEND",
    "SIGNPOST_REQUIRE_POSTGRES",
];

/// Default of `solved_nudge_days`.
pub const DEFAULT_SOLVED_NUDGE_DAYS: u32 = 3;
/// Largest `solved_nudge_days` (a year).
pub const SOLVED_NUDGE_DAYS_MAX: u32 = 365;
/// Most searches `search_concurrency` lets run at once.
pub const SEARCH_CONCURRENCY_MAX: usize = 1024;
/// Most megabytes `search_cache_mb` may keep.
pub const SEARCH_CACHE_MB_MAX: u64 = 4096;

/// Names of the environment variables and the key each one sets.
const ENV_KEYS: &[(&str, &str)] = &[
    ("SIGNPOST_LISTEN", "listen"),
    ("SIGNPOST_DATA_DIR", "data_dir"),
    ("SIGNPOST_CONTENT_DIR", "content_dir"),
    ("SIGNPOST_DATABASE_URL", "database_url"),
    ("SIGNPOST_DATABASE_POOL_SIZE", "database_pool_size"),
    ("SIGNPOST_ANALYTICS_POOL_SIZE", "analytics_pool_size"),
    ("SIGNPOST_DATABASE_TIMEOUT", "database_timeout"),
    ("SIGNPOST_SEARCH_TIMEOUT", "search_timeout"),
    ("SIGNPOST_SEARCH_CONCURRENCY", "search_concurrency"),
    ("SIGNPOST_SITE_NAME", "site_name"),
    ("SIGNPOST_BASE_URL", "base_url"),
    ("SIGNPOST_WORKERS", "workers"),
    ("SIGNPOST_BEHIND_PROXY", "behind_proxy"),
    ("SIGNPOST_TRUSTED_PROXIES", "trusted_proxies"),
    ("SIGNPOST_MAX_TREE_DEPTH", "max_tree_depth"),
    ("SIGNPOST_WATCH_CONTENT", "watch_content"),
    ("SIGNPOST_NODE_NAME", "node_name"),
    ("SIGNPOST_SMTP_URL", "smtp_url"),
    ("SIGNPOST_MAIL_FROM", "mail_from"),
    ("SIGNPOST_KNOWN_ISSUE_GRACE_DAYS", "known_issue_grace_days"),
    ("SIGNPOST_SOLVED_NUDGE_DAYS", "solved_nudge_days"),
    ("SIGNPOST_PAGE_CACHE_MB", "page_cache_mb"),
    ("SIGNPOST_SEARCH_CACHE_MB", "search_cache_mb"),
];

impl Config {
    /// Loads the configuration: `file` (or `./signpost.toml` when it exists),
    /// then the given environment variables on top.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("SIGNPOST_"))
            .collect();
        let explicit = file
            .map(Path::to_path_buf)
            .or_else(|| env.get(CONFIG_ENV).map(PathBuf::from));
        let path = explicit.clone().or_else(|| {
            let default = PathBuf::from("signpost.toml");
            default.exists().then_some(default)
        });
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                Config::from_toml(&text).map_err(|message| ConfigError::Parse {
                    path: path.clone(),
                    message,
                })?
            }
            None => Config::default(),
        };
        for (name, value) in &env {
            if name == CONFIG_ENV || TEST_SUITE_ENV.contains(&name.as_str()) {
                continue;
            }
            let Some((_, key)) = ENV_KEYS.iter().find(|(n, _)| n == name) else {
                let known: Vec<&str> = ENV_KEYS.iter().map(|(n, _)| *n).collect();
                return Err(ConfigError::Env {
                    name: name.clone(),
                    message: format!(
                        "unknown variable; known ones: {}, {CONFIG_ENV}",
                        known.join(", ")
                    ),
                });
            };
            config.set(key, value).map_err(|message| ConfigError::Env {
                name: name.clone(),
                message,
            })?;
        }
        config.validate()?;
        Ok(config)
    }

    /// Parses a TOML document into a config (unknown keys are refused).
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            match line {
                Some(line) => format!("line {line}: {}", e.message()),
                None => e.message().to_string(),
            }
        })
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "listen" => self.listen = value.to_string(),
            "data_dir" => self.data_dir = PathBuf::from(value),
            "content_dir" => self.content_dir = PathBuf::from(value),
            "database_url" => self.database_url = value.to_string(),
            "site_name" => self.site_name = value.to_string(),
            "base_url" => self.base_url = value.to_string(),
            "node_name" => self.node_name = value.to_string(),
            "smtp_url" => self.smtp_url = value.to_string(),
            "mail_from" => self.mail_from = value.to_string(),
            "workers" => {
                self.workers = value
                    .parse()
                    .map_err(|_| format!("expected a whole number, got {value:?}"))?
            }
            "database_pool_size" => self.database_pool_size = whole_number(value)?,
            "analytics_pool_size" => self.analytics_pool_size = whole_number(value)?,
            "database_timeout" => self.database_timeout = whole_number(value)?,
            "search_timeout" => self.search_timeout = whole_number(value)?,
            "search_concurrency" => self.search_concurrency = whole_number(value)?,
            "known_issue_grace_days" => self.known_issue_grace_days = whole_number(value)?,
            "solved_nudge_days" => self.solved_nudge_days = whole_number(value)?,
            "page_cache_mb" => self.page_cache_mb = whole_number(value)?,
            "search_cache_mb" => self.search_cache_mb = whole_number(value)?,
            "max_tree_depth" => {
                self.max_tree_depth = value
                    .parse()
                    .ok()
                    .filter(|n| (2..=100).contains(n))
                    .ok_or_else(|| {
                        format!("expected a whole number from 2 to 100, got {value:?}")
                    })?
            }
            "behind_proxy" => self.behind_proxy = flag(value)?,
            "watch_content" => self.watch_content = flag(value)?,
            "trusted_proxies" => {
                self.trusted_proxies = value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            other => return Err(format!("unknown key {other}")),
        }
        Ok(())
    }

    fn validate(&mut self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                key: "base_url",
                message: format!(
                    "must start with http:// or https://, got {:?}",
                    self.base_url
                ),
            });
        }
        while self.base_url.ends_with('/') {
            self.base_url.pop();
        }
        Database::check(&self.database_url).map_err(|message| ConfigError::Invalid {
            key: "database_url",
            message,
        })?;
        for (key, value, max) in [
            (
                "database_pool_size",
                u64::from(self.database_pool_size),
                1000,
            ),
            (
                "analytics_pool_size",
                u64::from(self.analytics_pool_size),
                1000,
            ),
            ("database_timeout", self.database_timeout, 3600),
            ("search_timeout", self.search_timeout, 600),
        ] {
            if !(1..=max).contains(&value) {
                return Err(ConfigError::Invalid {
                    key,
                    message: format!("expected a whole number from 1 to {max}, got {value}"),
                });
            }
        }
        if self.search_concurrency > SEARCH_CONCURRENCY_MAX {
            return Err(ConfigError::Invalid {
                key: "search_concurrency",
                message: format!(
                    "expected 0 (sized for the machine) or a whole number up to {SEARCH_CONCURRENCY_MAX}, got {}",
                    self.search_concurrency
                ),
            });
        }
        if self.search_cache_mb > SEARCH_CACHE_MB_MAX {
            return Err(ConfigError::Invalid {
                key: "search_cache_mb",
                message: format!(
                    "expected 0 (off) or a whole number of megabytes up to {SEARCH_CACHE_MB_MAX}, got {}",
                    self.search_cache_mb
                ),
            });
        }
        if self.solved_nudge_days > SOLVED_NUDGE_DAYS_MAX {
            return Err(ConfigError::Invalid {
                key: "solved_nudge_days",
                message: format!(
                    "expected a whole number from 0 (off) to {SOLVED_NUDGE_DAYS_MAX}, got {}",
                    self.solved_nudge_days
                ),
            });
        }
        if !self.node_name.is_empty() && !is_node_name(&self.node_name) {
            return Err(ConfigError::Invalid {
                key: "node_name",
                message: format!(
                    "use 1 to {NODE_NAME_MAX} letters, digits and . _ - :, got {:?}",
                    self.node_name
                ),
            });
        }
        if self.known_issue_grace_days > 3650 {
            return Err(ConfigError::Invalid {
                key: "known_issue_grace_days",
                message: format!(
                    "expected a whole number from 0 to 3650, got {}",
                    self.known_issue_grace_days
                ),
            });
        }
        self.smtp()?;
        if self.site_name.trim().is_empty() {
            return Err(ConfigError::Invalid {
                key: "site_name",
                message: "must not be empty".into(),
            });
        }
        Ok(())
    }

    /// The URL a person on this machine opens to reach the site: `base_url`,
    /// or, when it was left at its default, the listen address (an
    /// unspecified address such as `0.0.0.0` or `::` as its loopback form).
    /// Used for the first-start setup link.
    pub fn reachable_base_url(&self) -> String {
        if self.base_url != DEFAULT_BASE_URL {
            return self.base_url.clone();
        }
        let Ok(mut addr) = self.listen_addr() else {
            return self.base_url.clone();
        };
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            });
        }
        format!("http://{addr}")
    }

    /// The parsed listen address.
    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| ConfigError::Invalid {
            key: "listen",
            message: format!(
                "expected an address like 127.0.0.1:8080, got {:?}",
                self.listen
            ),
        })
    }

    /// The database this site uses (see [`Config::database_url`]).
    pub fn database(&self) -> Database {
        Database::from_url(&self.database_url, &self.data_dir)
    }

    /// How the database pools are sized and how long they wait.
    pub fn pool_settings(&self) -> PoolSettings {
        PoolSettings {
            size: self.database_pool_size,
            analytics_size: self.analytics_pool_size,
            timeout: std::time::Duration::from_secs(self.database_timeout),
        }
    }

    /// Folder of the search index.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// This node's name: `node_name` when set, otherwise the host name and a
    /// short hash of the data dir's absolute path, so two nodes on one
    /// machine (different data dirs) get different names without settings.
    pub fn node_name(&self) -> String {
        if !self.node_name.is_empty() {
            return self.node_name.clone();
        }
        let dir = std::path::absolute(&self.data_dir).unwrap_or_else(|_| self.data_dir.clone());
        let digest = Sha256::digest(dir.to_string_lossy().as_bytes());
        let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let host: String = host_name()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(NODE_NAME_MAX - hash.len() - 1)
            .collect();
        if host.is_empty() {
            format!("node-{hash}")
        } else {
            format!("{host}-{hash}")
        }
    }

    /// The mail server settings; `None` when e-mail is off (no `smtp_url`).
    pub fn smtp(&self) -> Result<Option<SmtpSettings>, ConfigError> {
        let url = self.smtp_url.trim();
        let from = self.mail_from.trim();
        match (url.is_empty(), from.is_empty()) {
            (true, true) => Ok(None),
            (true, false) => Err(ConfigError::Invalid {
                key: "smtp_url",
                message: "mail_from is set but smtp_url is not: set both to send e-mail, or neither".into(),
            }),
            (false, true) => Err(ConfigError::Invalid {
                key: "mail_from",
                message: "smtp_url is set but mail_from is not: set the sender, e.g. \"Help <help@example.com>\"".into(),
            }),
            (false, false) => SmtpSettings::parse(url)
                .map(Some)
                .map_err(|message| ConfigError::Invalid {
                    key: "smtp_url",
                    message,
                }),
        }
    }

    /// Whether the public URL is served over TLS (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// Parses a whole number for a config key.
fn whole_number<T: std::str::FromStr>(value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("expected a whole number, got {value:?}"))
}

/// Which database a site uses: the one choice between the backends, made
/// from `database_url` at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL database, by its libpq URL (`postgres://…`).
    Postgres(String),
}

impl Database {
    /// Classifies a `database_url`; empty means `<data_dir>/signpost.db`.
    /// Call [`Database::check`] first to refuse unknown schemes.
    pub fn from_url(url: &str, data_dir: &Path) -> Database {
        let url = url.trim();
        if url.is_empty() {
            Database::Sqlite(data_dir.join("signpost.db"))
        } else if is_postgres_url(url) {
            Database::Postgres(url.to_string())
        } else {
            Database::Sqlite(PathBuf::from(url.strip_prefix("sqlite://").unwrap_or(url)))
        }
    }

    /// Refuses a URL whose scheme is neither `sqlite://` nor `postgres://`.
    pub fn check(url: &str) -> Result<(), String> {
        let url = url.trim();
        match url.split_once("://") {
            Some(("sqlite", "")) => {
                Err("sqlite:// needs a file path, e.g. sqlite://data/signpost.db".into())
            }
            Some((scheme, _)) if scheme != "sqlite" && !is_postgres_url(url) => Err(format!(
                "unknown database scheme {scheme:?} in {}: use a file path, sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/NAME",
                redact_url(url)
            )),
            _ => Ok(()),
        }
    }

    /// The URL or path as it may be printed: a password is replaced by `***`.
    pub fn redacted(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => redact_url(url),
        }
    }

    /// The `database_url` that names this database again (a PostgreSQL URL
    /// keeps its password: never print it, see [`Database::redacted`]).
    pub fn url(&self) -> String {
        match self {
            Database::Sqlite(path) => path.to_string_lossy().into_owned(),
            Database::Postgres(url) => url.clone(),
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Whether `url` names PostgreSQL (`postgres://` or `postgresql://`).
fn is_postgres_url(url: &str) -> bool {
    let lower = url.get(..13).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// `url` with the password of its user part and any `password=` parameter
/// replaced by `***`, so it can be logged and shown in errors.
///
/// The user part ends at the last `@` of the URL: a password may hold `/`,
/// `?`, `#` or `@` without percent-encoding, and cutting at the first of
/// them would show the rest of it. An `@` in a parameter value only makes
/// more of the URL hidden than needed, never less.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let mut out = format!("{scheme}://");
    let after = match rest.rfind('@') {
        Some(at) => {
            match rest[..at].split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push_str(":***");
                }
                None => out.push_str(&rest[..at]),
            }
            out.push('@');
            &rest[at + 1..]
        }
        None => rest,
    };
    out.push_str(after);
    redact_password_params(&out)
}

/// `text` with the value of every `password=` parameter (after `?` or `&`,
/// up to the next `&` or `#`) replaced by `***`.
fn redact_password_params(text: &str) -> String {
    const KEY: &str = "password=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(['?', '&']) {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let is_password = rest
            .get(..KEY.len())
            .is_some_and(|key| key.eq_ignore_ascii_case(KEY));
        if is_password {
            out.push_str(&rest[..KEY.len()]);
            out.push_str("***");
            let end = rest.find(['&', '#']).unwrap_or(rest.len());
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS (`smtp://`): a relay on the same machine or network.
    Plain,
    /// Plain connection upgraded with STARTTLS, which must succeed
    /// (`smtp://…?tls=starttls`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Tls,
}

/// The mail server, parsed from `smtp_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// Host name or address.
    pub host: String,
    /// Port (25 plain, 587 STARTTLS, 465 TLS when not given).
    pub port: u16,
    /// Plain, STARTTLS or TLS.
    pub security: SmtpSecurity,
    /// Login name and password, when the server wants them.
    pub credentials: Option<(String, String)>,
    /// The URL with the password replaced by `***`, for messages.
    pub redacted: String,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl SmtpSettings {
    /// Parses an `smtp://` or `smtps://` URL; errors never show the password.
    pub fn parse(url: &str) -> Result<SmtpSettings, String> {
        let redacted = redact_url(url);
        let bad = |what: &str| format!("{what} in {redacted}");
        let parsed = url::Url::parse(url).map_err(|e| bad(&format!("not a URL ({e})")))?;
        let mut security = match parsed.scheme() {
            "smtp" => SmtpSecurity::Plain,
            "smtps" => SmtpSecurity::Tls,
            other => {
                return Err(bad(&format!(
                    "unknown scheme {other:?}: use smtp://HOST:PORT, smtp://HOST:PORT?tls=starttls or smtps://HOST:PORT"
                )))
            }
        };
        for (key, value) in parsed.query_pairs() {
            match (key.as_ref(), value.as_ref(), security) {
                ("tls", "starttls", SmtpSecurity::Plain) => security = SmtpSecurity::StartTls,
                ("tls", "none", SmtpSecurity::Plain) => {}
                ("tls", _, _) => {
                    return Err(bad(
                        "tls= takes starttls or none on smtp:// (smtps:// is TLS already)",
                    ))
                }
                (other, _, _) => return Err(bad(&format!("unknown parameter {other:?}"))),
            }
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if !matches!(parsed.path(), "" | "/") {
            return Err(bad("a path is not allowed"));
        }
        let port = parsed.port().unwrap_or(match security {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        });
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|t| t.into_owned())
                .map_err(|_| bad("the user or password is not UTF-8"))
        };
        let credentials = match (parsed.username(), parsed.password()) {
            ("", None) => None,
            (user, password) => Some((decode(user)?, decode(password.unwrap_or(""))?)),
        };
        Ok(SmtpSettings {
            host,
            port,
            security,
            credentials,
            redacted,
        })
    }
}

/// Sizes and waits of the database pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections of the main pool.
    pub size: u32,
    /// Most connections of the statistics pool.
    pub analytics_size: u32,
    /// How long a caller waits for a connection.
    pub timeout: std::time::Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Config::default().pool_settings()
    }
}

impl PoolSettings {
    /// Pools of at most `size` connections each, waiting the default time
    /// (command-line tools and tests).
    pub fn sized(size: u32) -> PoolSettings {
        PoolSettings {
            size,
            analytics_size: size,
            ..PoolSettings::default()
        }
    }
}

/// Longest node name.
pub const NODE_NAME_MAX: usize = 64;

/// Whether `name` is a usable node name.
fn is_node_name(name: &str) -> bool {
    name.len() <= NODE_NAME_MAX
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
}

/// The machine's host name, or empty when it cannot be read.
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_string())
        .unwrap_or_default()
}

/// A network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`; a bare
/// address is a single host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    /// The network address.
    addr: IpAddr,
    /// Prefix length in bits.
    prefix: u8,
}

impl IpNet {
    /// `127.0.0.1/32`.
    pub const LOOPBACK_V4: IpNet = IpNet {
        addr: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        prefix: 32,
    };
    /// `::1/128`.
    pub const LOOPBACK_V6: IpNet = IpNet {
        addr: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        prefix: 128,
    };

    /// Whether `ip` lies in this network (an IPv4-mapped IPv6 address counts
    /// as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the first `prefix` of `bits` bits of `a` and `b` agree.
fn prefix_eq(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    let shift = u32::from(bits - prefix.min(bits));
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

impl std::str::FromStr for IpNet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("expected a network like 10.0.0.0/8 or 2001:db8::/32, got {text:?}");
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }
}

impl<'de> Deserialize<'de> for IpNet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A true/false setting from the environment.
fn flag(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(format!("expected true or false, got {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_file_or_env() {
        let c = Config::load(None, Vec::new()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(
            c.database(),
            Database::Sqlite(PathBuf::from("./data/signpost.db"))
        );
        assert_eq!(c.pool_settings().size, 16);
    }

    #[test]
    fn the_setup_link_follows_the_listen_address_unless_base_url_is_set() {
        let load = |vars: &[(&str, &str)]| {
            let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            Config::load(None, vars.collect::<Vec<_>>()).unwrap()
        };
        assert_eq!(load(&[]).reachable_base_url(), "http://127.0.0.1:8080");
        let listen = |addr| load(&[("SIGNPOST_LISTEN", addr)]).reachable_base_url();
        assert_eq!(listen("127.0.0.1:9000"), "http://127.0.0.1:9000");
        assert_eq!(listen("0.0.0.0:9000"), "http://127.0.0.1:9000");
        assert_eq!(listen("[::]:9000"), "http://[::1]:9000");
        assert_eq!(listen("192.168.1.5:80"), "http://192.168.1.5:80");
        let set = load(&[
            ("SIGNPOST_LISTEN", "0.0.0.0:9000"),
            ("SIGNPOST_BASE_URL", "https://help.example.com/"),
        ]);
        assert_eq!(set.reachable_base_url(), "https://help.example.com");
    }

    #[test]
    fn database_url_picks_the_backend() {
        let dir = Path::new("d");
        assert_eq!(
            Database::from_url("sqlite://x/y.db", dir),
            Database::Sqlite(PathBuf::from("x/y.db"))
        );
        assert_eq!(
            Database::from_url("y.db", dir),
            Database::Sqlite(PathBuf::from("y.db"))
        );
        let c = Config::load(
            None,
            vec![(
                "SIGNPOST_DATABASE_URL".into(),
                "postgres://sp:hunter2@db.local:5432/site".into(),
            )],
        )
        .unwrap();
        assert!(c.database().is_postgres());
        assert_eq!(
            c.database().to_string(),
            "postgres://sp:***@db.local:5432/site"
        );
        let err = Config::load(
            None,
            vec![(
                "SIGNPOST_DATABASE_URL".into(),
                "mysql://root:hunter2@db/site".into(),
            )],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown database scheme"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(Database::check("sqlite://").is_err());
    }

    #[test]
    fn passwords_never_show_in_a_redacted_url() {
        assert_eq!(
            redact_url("postgresql://a:b%40c@h/db?sslmode=disable&password=x"),
            "postgresql://a:***@h/db?sslmode=disable&password=***"
        );
        assert_eq!(redact_url("postgres://a@h:5/db"), "postgres://a@h:5/db");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact_url("postgres://u:p:q@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("data/signpost.db"), "data/signpost.db");
    }

    #[test]
    fn passwords_with_slash_question_mark_or_hash_are_redacted() {
        for (url, redacted, secrets) in [
            (
                "postgres://u:pa/ss@h/db",
                "postgres://u:***@h/db",
                &["pa", "ss"][..],
            ),
            (
                "postgres://u:pa?ss@h/db?sslmode=disable",
                "postgres://u:***@h/db?sslmode=disable",
                &["pa?", "ss@"],
            ),
            (
                "postgres://u:pa#ss@h:5432/db",
                "postgres://u:***@h:5432/db",
                &["pa#", "#ss"],
            ),
            (
                "postgres://u:x/y?z#w@v@h/db?password=p/q?r",
                "postgres://u:***@h/db?password=***",
                &["x/y", "z#w", "w@v", "p/q", "q?r"],
            ),
            // Percent-encoded, as a URL should carry them.
            (
                "postgresql://u:pa%2Fs%3Fs%23x@h/db",
                "postgresql://u:***@h/db",
                &["pa%2F", "%3Fs", "%23x"],
            ),
            (
                "postgres://h/db?sslmode=disable&password=s3%2Fcr%23t",
                "postgres://h/db?sslmode=disable&password=***",
                &["s3", "cr%23t"],
            ),
            (
                "postgres://h/db?PASSWORD=s3/cr?t#frag",
                "postgres://h/db?PASSWORD=***#frag",
                &["s3/cr"],
            ),
            // An `@` in a parameter hides more than needed, never less.
            (
                "postgres://h:5432/db?password=s3cr3t&user=a@b",
                "postgres://h:***@b",
                &["s3cr3t"],
            ),
        ] {
            let shown = redact_url(url);
            assert_eq!(shown, redacted, "{url}");
            for secret in secrets {
                assert!(!shown.contains(secret), "{url} shows {secret}: {shown}");
            }
        }
    }

    #[test]
    fn pool_sizes_and_timeout_are_checked() {
        let c = Config::load(
            None,
            vec![
                ("SIGNPOST_DATABASE_POOL_SIZE".into(), "40".into()),
                ("SIGNPOST_ANALYTICS_POOL_SIZE".into(), "2".into()),
                ("SIGNPOST_DATABASE_TIMEOUT".into(), "3".into()),
            ],
        )
        .unwrap();
        let s = c.pool_settings();
        assert_eq!((s.size, s.analytics_size), (40, 2));
        assert_eq!(s.timeout, std::time::Duration::from_secs(3));
        let err = Config::load(
            None,
            vec![("SIGNPOST_DATABASE_POOL_SIZE".into(), "0".into())],
        )
        .unwrap_err();
        assert!(err.to_string().contains("database_pool_size"), "{err}");
        let err = Config::from_toml("database_timeout = \"soon\"\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn unknown_toml_key_is_an_error_with_line() {
        let err = Config::from_toml("site_name = \"X\"\nlisten_adress = \"1\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("listen_adress"), "{err}");
    }

    #[test]
    fn env_overrides_and_unknown_env_fails() {
        let c = Config::load(None, vec![("SIGNPOST_SITE_NAME".into(), "Help".into())]).unwrap();
        assert_eq!(c.site_name, "Help");
        let err =
            Config::load(None, vec![("SIGNPOST_SITENAME".into(), "Help".into())]).unwrap_err();
        assert!(err.to_string().contains("SIGNPOST_SITENAME"));
        let err = Config::load(None, vec![("SIGNPOST_WORKERS".into(), "many".into())]).unwrap_err();
        assert!(err.to_string().contains("whole number"));
    }

    #[test]
    fn trusted_proxies_parse_and_match() {
        let c = Config::from_toml(
            "trusted_proxies = [\"10.0.0.0/8\", \"2001:db8::/32\", \"192.0.2.7\"]\n",
        )
        .unwrap();
        let [a, b, single] = c.trusted_proxies[..] else {
            panic!("three networks expected: {:?}", c.trusted_proxies);
        };
        assert!(a.contains("10.200.3.4".parse().unwrap()));
        assert!(
            a.contains("::ffff:10.1.1.1".parse().unwrap()),
            "mapped IPv4"
        );
        assert!(!a.contains("11.0.0.1".parse().unwrap()));
        assert!(b.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!b.contains("2001:db9::1".parse().unwrap()));
        assert!(single.contains("192.0.2.7".parse().unwrap()));
        assert!(!single.contains("192.0.2.8".parse().unwrap()));
        assert!("0.0.0.0/0"
            .parse::<IpNet>()
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        let err = Config::from_toml("trusted_proxies = [\"10.0.0.0/33\"]\n").unwrap_err();
        assert!(err.contains("10.0.0.0/33"), "{err}");
        let c = Config::load(
            None,
            vec![("SIGNPOST_TRUSTED_PROXIES".into(), "10.0.0.1, ::1".into())],
        )
        .unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(Config::load(
            None,
            vec![("SIGNPOST_TRUSTED_PROXIES".into(), "proxy.local".into())]
        )
        .is_err());
    }

    #[test]
    fn node_name_is_derived_per_data_dir_or_set() {
        let a = Config {
            data_dir: PathBuf::from("/srv/signpost-a/data"),
            ..Config::default()
        };
        let b = Config {
            data_dir: PathBuf::from("/srv/signpost-b/data"),
            ..Config::default()
        };
        assert_ne!(a.node_name(), b.node_name(), "one machine, two data dirs");
        assert_eq!(a.node_name(), a.clone().node_name(), "stable");
        assert!(is_node_name(&a.node_name()), "{}", a.node_name());
        let named =
            Config::load(None, vec![("SIGNPOST_NODE_NAME".into(), "web-2".into())]).unwrap();
        assert_eq!(named.node_name(), "web-2");
        let err =
            Config::load(None, vec![("SIGNPOST_NODE_NAME".into(), "web 2".into())]).unwrap_err();
        assert!(err.to_string().contains("node_name"), "{err}");
    }

    #[test]
    fn smtp_url_forms_parse_and_never_show_the_password() {
        let plain = SmtpSettings::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("127.0.0.1", 2525, SmtpSecurity::Plain)
        );
        assert_eq!(plain.credentials, None);
        let starttls =
            SmtpSettings::parse("smtp://mailer:s%40cret@mail.example.com?tls=starttls").unwrap();
        assert_eq!(starttls.security, SmtpSecurity::StartTls);
        assert_eq!(starttls.port, 587);
        assert_eq!(
            starttls.credentials,
            Some(("mailer".to_string(), "s@cret".to_string()))
        );
        assert!(!format!("{starttls:?}").contains("cret"), "{starttls:?}");
        let tls = SmtpSettings::parse("smtps://u:p@mail.example.com").unwrap();
        assert_eq!((tls.port, tls.security), (465, SmtpSecurity::Tls));
        for bad in [
            "http://u:hunter2@mail.example.com",
            "smtp://u:hunter2@mail.example.com?tls=maybe",
            "smtps://u:hunter2@mail.example.com?tls=starttls",
            "smtp://u:hunter2@mail.example.com?ssl=1",
            "smtp://u:hunter2@/",
        ] {
            let err = SmtpSettings::parse(bad).unwrap_err();
            assert!(!err.contains("hunter2"), "{err}");
            assert!(err.contains("***"), "{err}");
        }
        let off = Config::load(None, Vec::new()).unwrap();
        assert_eq!(off.smtp().unwrap(), None);
        let on = Config::load(
            None,
            vec![
                ("SIGNPOST_SMTP_URL".into(), "smtp://u:hunter2@mx:25".into()),
                (
                    "SIGNPOST_MAIL_FROM".into(),
                    "Help <help@example.com>".into(),
                ),
            ],
        )
        .unwrap();
        assert_eq!(on.smtp().unwrap().map(|s| s.port), Some(25));
        let half = Config::load(
            None,
            vec![("SIGNPOST_SMTP_URL".into(), "smtp://u:hunter2@mx:25".into())],
        )
        .unwrap_err()
        .to_string();
        assert!(half.contains("mail_from"), "{half}");
        assert!(!half.contains("hunter2"), "{half}");
        let broken = Config::load(
            None,
            vec![
                (
                    "SIGNPOST_SMTP_URL".into(),
                    "smtp://u:hunter2@mx:99999".into(),
                ),
                ("SIGNPOST_MAIL_FROM".into(), "help@example.com".into()),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            broken.contains("smtp_url") && !broken.contains("hunter2"),
            "{broken}"
        );
    }

    #[test]
    fn search_cache_mb_is_read_and_bounded() {
        let default = Config::load(None, Vec::new()).unwrap();
        assert_eq!(default.search_cache_mb, 16);
        let set = |value: &str| {
            Config::load(
                None,
                vec![("SIGNPOST_SEARCH_CACHE_MB".into(), value.into())],
            )
        };
        assert_eq!(set("0").unwrap().search_cache_mb, 0);
        assert_eq!(set("256").unwrap().search_cache_mb, 256);
        for bad in ["lots", "-1", "4097"] {
            let err = set(bad).unwrap_err().to_string();
            assert!(
                err.to_lowercase().contains("search_cache_mb"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn search_concurrency_is_read_and_bounded() {
        let default = Config::load(None, Vec::new()).unwrap();
        assert_eq!(default.search_concurrency, 0);
        let set = |value: &str| {
            Config::load(
                None,
                vec![("SIGNPOST_SEARCH_CONCURRENCY".into(), value.into())],
            )
        };
        assert_eq!(set("3").unwrap().search_concurrency, 3);
        for bad in ["many", "-1", "1025"] {
            let err = set(bad).unwrap_err().to_string();
            // Names the key or its environment variable.
            assert!(
                err.to_lowercase().contains("search_concurrency"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn bad_listen_and_base_url_are_refused() {
        assert!(Config::load(None, vec![("SIGNPOST_LISTEN".into(), "nowhere".into())]).is_err());
        assert!(Config::load(
            None,
            vec![("SIGNPOST_BASE_URL".into(), "example.com".into())]
        )
        .is_err());
    }
}
