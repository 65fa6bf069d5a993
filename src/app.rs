//! Application state and start-up: opens the database, syncs content, opens
//! the search index, starts the indexer, the synonyms and content reloads
//! (and SIGHUP), and builds the actix `App`.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Condition, ErrorHandlers, Logger};
use actix_web::{web, App};

use crate::web as site;
use tera::Tera;

use crate::background::Background;
use crate::config::Config;
use crate::content::{self, Diagnostic};
use crate::db::{self, Pool};
use crate::error::AppError;
use crate::jobs::site::{SiteJobs, SiteMail};
use crate::jobs::{JobWorker, WorkerOptions};
use crate::mail::render::MailSite;
use crate::mail::Mailer;
use crate::search::{SearchGate, SearchIndex};
use crate::service::accounts;
use crate::service::announcements::Board;
use crate::service::content_reload::{self, ContentReload, FileProblems, ReloadOptions};
use crate::service::content_sync::{self, SyncReport};
use crate::service::limits::Limits;
use crate::service::page_feed::{PageFeed, PageFeedTask, PageVersions};
use crate::service::search_feed::{IndexerSignal, IndexerTask};
use crate::service::search_log_writer::SearchLog;
use crate::service::synonyms_reload::{SynonymsReload, SynonymsStatus};
use site::page_cache::PageCache;

/// Everything a request handler can reach.
pub struct AppState {
    /// Database pool.
    pub db: Pool,
    /// Pool for analytics writes (search log, clicks, walks): no fsync per write.
    pub analytics: Pool,
    /// The search index (shared reader).
    pub search: SearchIndex,
    /// Compiled templates.
    pub templates: Tera,
    /// Configuration.
    pub config: Arc<Config>,
    /// This node's name ([`Config::node_name`]).
    pub node: String,
    /// Wakes the indexer after a write.
    pub indexer: IndexerSignal,
    /// Rate limits (sign-in, registration, posting): in the database where
    /// they must hold across nodes, in memory for previews and feedback.
    pub limiter: Limits,
    /// Problems of the synonyms file on disk (the synonyms in use stay).
    pub synonyms: SynonymsStatus,
    /// Problems of the content files on disk since the last reload (the
    /// content in use stays).
    pub content_problems: FileProblems,
    /// Links, name and unsubscribe key for mail (set even when e-mail is
    /// off, so unsubscribe links of mail already sent keep working).
    pub mail_site: MailSite,
    /// Whether e-mail is on (`smtp_url` and `mail_from` set).
    pub mail_enabled: bool,
    /// The announcements that have not ended (the banner of every page).
    pub announcements: Arc<Board>,
    /// Writes the search log in batches ([`SearchLog`]).
    pub search_log: SearchLog,
    /// Rendered pages for anonymous visitors ([`site::page_cache`]).
    pub page_cache: Arc<PageCache>,
    /// Reads the change feeds into the page cache's versions.
    pub page_feed: Arc<PageFeed>,
}

/// Why the site could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `content/` has problems; nothing was loaded.
    #[error("content has {} problem(s)", .0.len())]
    Content(Vec<Diagnostic>),
    /// Anything else.
    #[error(transparent)]
    App(#[from] AppError),
}

/// A started application: its state and background tasks (stopped on drop).
pub struct Started {
    /// The state handed to every request.
    pub state: web::Data<AppState>,
    /// The background indexer.
    pub indexer: IndexerTask,
    /// The background job worker.
    pub jobs: JobWorker,
    /// What the job worker runs (tools and tests run due jobs with it at a
    /// time of their choosing: [`SiteJobs::run_due`]).
    pub site_jobs: Arc<SiteJobs>,
    /// Reloads the search synonyms when their file changes.
    pub synonyms: SynonymsReload,
    /// Reloads `content/` when its files change or on SIGHUP.
    pub content: ContentReload,
    /// Reads the change feeds for the page cache (none when it is off).
    pub page_feed: Option<PageFeedTask>,
    /// Writes the search log.
    pub search_log: Background,
    /// What the content sync did.
    pub sync: SyncReport,
    /// When no admin exists yet: the one-time token of the setup page.
    pub setup_token: Option<String>,
}

/// Opens everything the site needs. Content is validated before anything is
/// written, so invalid content leaves the database untouched.
pub fn start(config: Config) -> Result<Started, StartError> {
    let loaded = if config.watch_content {
        content_reload::snapshot(&config.content_dir)
    } else {
        content_reload::Snapshot::default()
    };
    let content =
        content::load(&config.content_dir, config.max_tree_depth).map_err(StartError::Content)?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        AppError::Internal(format!(
            "cannot create data dir {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let pool = db::open(&config.database(), config.pool_settings())?;
    {
        let mut conn = pool.get().map_err(AppError::from)?;
        let healed = crate::service::import_stackexchange::heal_indexes(&mut conn)?;
        if healed > 0 {
            log::warn!("built {healed} post index(es) that a stopped import had dropped");
        }
    }
    let sync = {
        let mut conn = pool.get().map_err(AppError::from)?;
        content_sync::sync(&mut conn, &content, db::unix_now())?
    };
    let node = config.node_name();
    let setup_token = {
        let mut conn = pool.get().map_err(AppError::from)?;
        accounts::issue_setup_token(&mut conn, &node, db::unix_now())?
    };
    let mail_site = {
        let mut conn = pool.get().map_err(AppError::from)?;
        crate::service::mail::mail_site(&mut conn, &config, db::unix_now())?
    };
    let mailer = match config
        .smtp()
        .map_err(|e| AppError::Internal(e.to_string()))?
    {
        Some(smtp) => {
            let mailer = Mailer::new(&smtp, &config.mail_from).map_err(AppError::Internal)?;
            log::info!("e-mail: {mailer:?}");
            Some(mailer)
        }
        None => {
            log::info!("e-mail is off (no smtp_url)");
            None
        }
    };
    let mail_enabled = mailer.is_some();
    let announcements = Arc::new(Board::default());
    {
        let mut conn = pool.get().map_err(AppError::from)?;
        announcements.reload(&mut conn, db::unix_now())?;
    }
    let site_jobs = Arc::new(
        SiteJobs::new(
            pool.clone(),
            mailer.map(|mailer| SiteMail {
                mailer,
                site: mail_site.clone(),
            }),
        )
        .with_solved_nudge_days(config.solved_nudge_days),
    );
    let analytics = db::open_analytics(&config.database(), config.pool_settings())?;
    let (search_log, search_log_writer) = SearchLog::start(analytics.clone())?;
    let (search, needs_rebuild) = SearchIndex::open_with_gate(
        &config.index_dir(),
        SearchGate::configured(config.search_concurrency),
    )
    .map_err(AppError::from)?;
    search.set_synonyms(&content.synonym_groups());
    search.set_result_cache_bytes(
        usize::try_from(config.search_cache_mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX),
    );
    let synonyms = SynonymsReload::start(&config.content_dir, search.clone())?;
    let indexer = IndexerTask::start(pool.clone(), search.clone(), needs_rebuild, &node)?;
    let content_reload = ContentReload::start(
        &config.content_dir,
        loaded,
        ReloadOptions {
            watch_files: config.watch_content,
            db: pool.clone(),
            search: search.clone(),
            indexer: indexer.signal(),
            max_tree_depth: config.max_tree_depth,
        },
    )?;
    let jobs = JobWorker::start(pool.clone(), site_jobs.clone(), WorkerOptions::new(&node))?;
    site::assets::prepare();
    let versions = Arc::new(PageVersions::default());
    let page_feed = PageFeed::new(
        pool.clone(),
        versions.clone(),
        announcements.clone(),
        config.known_issue_grace_days,
    )?;
    // With the cache off nothing reads the marks: no thread polls for them.
    let page_feed_task = if config.page_cache_mb > 0 {
        Some(page_feed.start()?)
    } else {
        None
    };
    let page_cache = Arc::new(PageCache::new(
        usize::try_from(config.page_cache_mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX),
        versions,
    ));
    let templates =
        site::templates::load().map_err(|e| AppError::Internal(format!("templates: {e}")))?;
    let state = web::Data::new(AppState {
        db: pool,
        analytics,
        search,
        templates,
        config: Arc::new(config),
        node,
        indexer: indexer.signal(),
        limiter: Limits::new(),
        synonyms: synonyms.status(),
        content_problems: content_reload.problems(),
        mail_site,
        mail_enabled,
        announcements,
        search_log,
        page_cache,
        page_feed,
    });
    state.indexer.notify();
    Ok(Started {
        state,
        indexer,
        jobs,
        site_jobs,
        synonyms,
        content: content_reload,
        page_feed: page_feed_task,
        search_log: search_log_writer,
        sync,
        setup_token,
    })
}

/// Builds the actix application around `state`: middleware, limits, routes.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .app_data(web::PayloadConfig::new(256 * 1024))
        .app_data(web::FormConfig::default().limit(256 * 1024))
        .app_data(web::JsonConfig::default().limit(256 * 1024))
        .wrap(from_fn(site::extract::refuse_nul))
        .wrap(ErrorHandlers::new().default_handler(site::errors::render_error))
        // Signed-in members' question pages from memory (needs the visitor).
        .wrap(from_fn(site::page_cache::serve_member))
        .wrap(from_fn(site::session::load_visitor))
        // Anonymous pages from memory: a hit skips the visitor lookup and
        // the handler; its body is already compressed, so `finish` only adds
        // the headers.
        .wrap(from_fn(site::page_cache::serve))
        // Security headers and compression (tiny bodies and precompressed
        // assets pass through).
        .wrap(from_fn(site::encoding::finish))
        // The access log costs a formatted line per request: it is left out
        // when its target is filtered out (RUST_LOG=warn, or
        // `actix_web::middleware::logger=off`).
        .wrap(Condition::new(
            log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info),
            Logger::new("%a \"%r\" %s %b %Dms"),
        ))
        .configure(site::routes::routes)
        .default_service(actix_web::web::to(not_found))
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound(
        "We could not find that page. It may have moved; try searching for it.".into(),
    ))
}

/// Reloads the content whenever the process gets SIGHUP (Unix), on a task
/// of the server's runtime; must be called inside it.
#[cfg(unix)]
fn reload_on_hangup(content: &ContentReload) {
    use tokio::signal::unix::{signal, SignalKind};
    let trigger = content.trigger();
    match signal(SignalKind::hangup()) {
        Ok(mut hangups) => {
            actix_web::rt::spawn(async move {
                while hangups.recv().await.is_some() {
                    log::info!("SIGHUP: reloading content");
                    trigger.reload();
                }
            });
        }
        Err(e) => {
            log::warn!("cannot listen for SIGHUP, content reloads only when files change: {e}")
        }
    }
}

/// Without SIGHUP, content reloads only when its files change.
#[cfg(not(unix))]
fn reload_on_hangup(_content: &ContentReload) {}

/// Runs the HTTP server until it is stopped (Ctrl-C / SIGTERM).
pub async fn serve(started: Started) -> std::io::Result<()> {
    let state = started.state.clone();
    let addr = state
        .config
        .listen_addr()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let workers = match state.config.workers {
        0 => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        n => n,
    };
    log::info!("serving {} on http://{addr}", state.config.site_name);
    reload_on_hangup(&started.content);
    let server = actix_web::HttpServer::new(move || build_app(state.clone()))
        .workers(workers)
        .bind(addr)?
        .run();
    let result = server.await;
    drop(started);
    result
}
