//! The `signpost` command line: serve the site, check content, rebuild the index.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use signpost::app::{self, StartError};
use signpost::config::{Config, PoolSettings};
use signpost::search::SearchIndex;
use signpost::service::search_feed;

/// Signpost: a self-service support site.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Config file (default: ./signpost.toml when it exists; also SIGNPOST_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the site: migrate the database, sync content/, index, serve.
    Serve,
    /// Validate content/ (file:line: message) and the links of database
    /// articles (manual/article: message); exits 1 on any problem.
    Check,
    /// Rebuild the whole search index from the database (stop the server first).
    Reindex,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Import content from elsewhere.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Fill the database with generated benchmark data (use a fresh data dir).
    DemoData {
        /// Questions to generate.
        #[arg(long, default_value_t = 1000)]
        questions: usize,
        /// Answers per question.
        #[arg(long, default_value_t = 3)]
        answers_per_question: usize,
        /// Random seed: the same seed gives the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Distinct authors.
        #[arg(long, default_value_t = 1000)]
        users: usize,
    },
    /// Measure search relevance: build a throwaway site (content/ plus a fixed
    /// demo corpus), run every query through Signpost and a SQLite FTS5
    /// baseline, and print R@1, R@5 and MRR@10 side by side.
    EvalSearch {
        /// Query sets: tab-separated category, expected document, query
        /// (e.g. tests/relevance/*.tsv).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also list the queries Signpost ranks in its top 5 but not first.
        #[arg(long)]
        not_first: bool,
    },
    /// Time the site's search against a SQLite FTS5 index of the same
    /// documents (kept as fts5-baseline.db in the data dir), over the same
    /// query lists with the same concurrency (stop the server first).
    BenchSearch {
        /// Query lists: one query a line (e.g. benches/queries/*.txt).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Queries in flight at once, per engine.
        #[arg(long, default_value_t = 32)]
        threads: usize,
        /// Seconds each engine runs each list.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Engines to time: signpost, fts5 (default: both).
        #[arg(long = "engine", value_name = "ENGINE")]
        engines: Vec<String>,
    },
    /// Copy a whole site into another database (SQLite to PostgreSQL or
    /// back), then compare row counts and a checksum per table; exits 1 on
    /// any difference. Sessions, rate-limit windows and setup links are not
    /// copied.
    MigrateDb {
        /// The site to copy: a SQLite file (PATH or sqlite://PATH) or
        /// postgres://USER:PASSWORD@HOST:PORT/NAME. Only read.
        #[arg(long, value_name = "DATABASE")]
        from: String,
        /// Where to copy it; migrated to the current schema first, and must
        /// hold no site data.
        #[arg(long, value_name = "DATABASE")]
        to: String,
        /// Delete every row of a target that already holds data (in the
        /// copy's transaction: if the copy fails, the target is unchanged).
        #[arg(long)]
        overwrite_target: bool,
    },
    /// The yardstick of `benches/load.sh`: a bare actix-web "Hello world!"
    /// (no middleware, no state) on 127.0.0.1:PORT, one worker per core.
    #[command(hide = true)]
    BenchHello {
        /// Port on 127.0.0.1.
        #[arg(long)]
        port: u16,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// A Stack Exchange data dump folder (Posts.xml, Users.xml).
    Stackexchange {
        /// The unpacked dump.
        dir: PathBuf,
    },
    /// A folder of markdown files (nested folders, linked images and files
    /// included), as one manual; prints every problem as file:line: message.
    Markdown {
        /// The folder.
        dir: PathBuf,
        /// The manual's name (created when missing).
        #[arg(long)]
        manual: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account; the password is asked for (or read from stdin).
    Create {
        /// Username (3-30 letters, digits, _ - .).
        name: String,
        /// member, staff or admin.
        #[arg(long, default_value = "member")]
        role: String,
        /// Display name (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role.
    SetRole {
        /// Username.
        name: String,
        /// member, staff or admin.
        role: String,
    },
    /// Suspend an account: its sessions end and it cannot sign in or post.
    Suspend {
        /// Username.
        name: String,
    },
    /// Lift a suspension.
    Unsuspend {
        /// Username.
        name: String,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,tantivy=warn"),
    )
    .init();
    signpost::memory::map_large_blocks_apart();
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Serve => serve(config),
        Command::Check => check(&config),
        Command::Reindex => reindex(&config),
        Command::Import(command) => finish(import_command(&config, command)),
        Command::DemoData {
            questions,
            answers_per_question,
            seed,
            users,
        } => finish(demo_data(
            &config,
            signpost::service::demo_data::DemoOptions {
                questions,
                answers_per_question,
                seed,
                users,
            },
        )),
        Command::EvalSearch { files, not_first } => finish(eval_search(&config, &files, not_first)),
        Command::BenchSearch {
            files,
            threads,
            seconds,
            engines,
        } => finish(bench_search(&config, &files, threads, seconds, &engines)),
        Command::MigrateDb {
            from,
            to,
            overwrite_target,
        } => migrate_db(&config, &from, &to, overwrite_target),
        Command::BenchHello { port } => bench_hello(port),
        Command::User(command) => match user_command(&config, command) {
            Ok(message) => {
                println!("{message}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn bench_hello(port: u16) -> ExitCode {
    async fn hello() -> &'static str {
        "Hello world!"
    }
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().route("/", actix_web::web::get().to(hello))
    })
    .bind(("127.0.0.1", port));
    let result = match server {
        Ok(server) => actix_web::rt::System::new().block_on(server.run()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: bench-hello on port {port}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> ExitCode {
    let started = match app::start(config) {
        Ok(s) => s,
        Err(StartError::Content(diags)) => {
            for d in &diags {
                eprintln!("{d}");
            }
            eprintln!("error: content has {} problem(s); the site was not started (run `signpost check` after fixing)", diags.len());
            return ExitCode::FAILURE;
        }
        Err(StartError::App(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let s = &started.sync;
    log::info!(
        "content synced: {} added, {} updated, {} removed, {} unchanged",
        s.added,
        s.updated,
        s.removed,
        s.unchanged
    );
    for warning in &s.detached {
        log::warn!("{warning}");
    }
    if let Some(token) = &started.setup_token {
        let base = started.state.config.reachable_base_url();
        // One write, and a closed stdout (a service manager that dropped
        // the pipe) must not stop the server: `println!` would panic.
        let notice = format!(
            "\n  No administrator exists yet. Open this one-time link to create one:\n\n    {base}/setup/{token}\n\n  (or run: signpost user create NAME --role admin)\n\n"
        );
        let mut out = std::io::stdout().lock();
        if out
            .write_all(notice.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            log::info!("one-time setup link: {base}/setup/{token}");
        }
    }
    let result = actix_web::rt::System::new().block_on(app::serve(started));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check(config: &Config) -> ExitCode {
    let mut problems = 0;
    match signpost::content::load(&config.content_dir, config.max_tree_depth) {
        Ok(set) => {
            println!(
                "{}: OK ({} manuals, {} articles, {} troubleshooting trees)",
                config.content_dir.display(),
                set.manuals.len(),
                set.article_count(),
                set.trees.len()
            );
        }
        Err(diags) => {
            for d in &diags {
                println!("{d}");
            }
            problems += diags.len();
        }
    }
    // Articles made in the browser or imported live only in the database.
    let database = config.database();
    let present = match &database {
        signpost::config::Database::Sqlite(path) => path.exists(),
        signpost::config::Database::Postgres(_) => true,
    };
    if present {
        let links = signpost::db::open(&database, PoolSettings::sized(1))
            .and_then(|pool| {
                let mut conn = pool.get()?;
                signpost::service::link_check::broken_links(&mut conn)
            })
            .map_err(|e| e.to_string());
        match links {
            Ok(report) => {
                for broken in &report.broken {
                    println!("{broken}");
                }
                problems += report.broken.len();
                if report.broken.is_empty() {
                    println!(
                        "{}: OK (links of {} database articles)",
                        database, report.checked
                    );
                }
            }
            Err(e) => {
                eprintln!("error: cannot check the articles in {database}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if problems == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("{problems} problem(s) found");
        ExitCode::FAILURE
    }
}

fn reindex(config: &Config) -> ExitCode {
    let run = || -> Result<u64, String> {
        let pool = signpost::db::open(&config.database(), PoolSettings::sized(4))
            .map_err(|e| e.to_string())?;
        let dir = config.index_dir();
        let (search, _) = SearchIndex::open(&dir).map_err(|e| e.to_string())?;
        let mut feed = search.feed().map_err(|e| {
            format!(
                "cannot lock the search index in {} ({e}); stop the running server first",
                dir.display()
            )
        })?;
        let bar = progress_bar("documents");
        let written = search_feed::rebuild(&pool, &mut feed, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .map_err(|e| e.to_string())?;
        bar.finish();
        if let Err(e) = feed.finish() {
            eprintln!(
                "warning: the rebuilt index's segments were not merged ({e}); searches still work"
            );
        }
        Ok(written)
    };
    match run() {
        Ok(n) => {
            println!("search index rebuilt: {n} documents");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn user_command(config: &Config, command: UserCommand) -> Result<String, String> {
    use signpost::auth::{password, username, Role};
    use signpost::db::models::users;
    use signpost::db::unix_now;
    use signpost::service::accounts;

    let pool = signpost::db::open(&config.database(), PoolSettings::sized(2))
        .map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let parse_role = |text: &str| {
        Role::parse(text)
            .ok_or_else(|| format!("{text:?} is not a role; use member, staff or admin"))
    };
    let find = |conn: &mut signpost::db::Conn, name: &str| -> Result<users::User, String> {
        users::find_by_key(conn, &username::key_of(name))
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no user named {name:?}"))
    };
    match command {
        UserCommand::Create {
            name,
            role,
            display_name,
            password_stdin,
        } => {
            let role = parse_role(&role)?;
            let valid = username::validate(&name)?;
            let secret = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| format!("cannot read password: {e}"))?;
                line.trim_end_matches(['\n', '\r']).to_string()
            } else {
                let first = rpassword::prompt_password("Password: ")
                    .map_err(|e| format!("cannot read password: {e}"))?;
                let again = rpassword::prompt_password("Repeat password: ")
                    .map_err(|e| format!("cannot read password: {e}"))?;
                if first != again {
                    return Err("the passwords do not match".into());
                }
                first
            };
            password::check_policy(&secret, &valid.display)?;
            let hash = password::hash(&secret)?;
            let display = username::display_name(&display_name.unwrap_or_default())?;
            match accounts::create_user(&mut conn, &valid, &display, Some(&hash), role, unix_now())
                .map_err(|e| e.to_string())?
            {
                Some(user) => Ok(format!("created {} ({})", user.username, role.as_str())),
                None => Err(format!("the username {} is taken", valid.display)),
            }
        }
        UserCommand::SetRole { name, role } => {
            let role = parse_role(&role)?;
            let user = find(&mut conn, &name)?;
            accounts::set_role(&mut conn, &user, role, unix_now()).map_err(|e| e.to_string())?;
            Ok(format!("{} is now {}", user.username, role.as_str()))
        }
        UserCommand::Suspend { name } => {
            let user = find(&mut conn, &name)?;
            accounts::suspend(&mut conn, user.id, unix_now()).map_err(|e| e.to_string())?;
            Ok(format!(
                "{} is suspended; their sessions have ended",
                user.username
            ))
        }
        UserCommand::Unsuspend { name } => {
            let user = find(&mut conn, &name)?;
            accounts::unsuspend(&mut conn, user.id, unix_now()).map_err(|e| e.to_string())?;
            Ok(format!("{} can sign in again", user.username))
        }
    }
}

fn finish(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Brings the search index up to date after a bulk write, unless a running
/// server holds it (then its indexer catches up from the outbox).
fn refresh_index(config: &Config, pool: &signpost::db::Pool) -> String {
    let opened = SearchIndex::open(&config.index_dir()).map_err(|e| e.to_string());
    let feed = opened.and_then(|(search, _)| search.feed().map_err(|e| e.to_string()));
    match feed {
        Ok(mut feed) => {
            let bar = progress_bar("documents");
            match search_feed::rebuild(pool, &mut feed, &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
            }) {
                Ok(n) => {
                    bar.finish_and_clear();
                    match feed.finish() {
                        Ok(()) => format!("search index rebuilt: {n} documents"),
                        Err(e) => format!(
                            "search index rebuilt: {n} documents (its segments not merged: {e})"
                        ),
                    }
                }
                Err(e) => format!("search index not rebuilt ({e}); run `signpost reindex`"),
            }
        }
        Err(_) => {
            "the search index is in use by a running server; it catches up from the outbox".into()
        }
    }
}

fn progress_bar(unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(&format!("{{spinner}} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn import_command(config: &Config, command: ImportCommand) -> Result<String, String> {
    let pool = signpost::db::open(&config.database(), PoolSettings::sized(2))
        .map_err(|e| e.to_string())?;
    // Bulk writes without an fsync per batch: an interrupted import is simply
    // run again (it is idempotent); the final commit is checkpointed below.
    let bulk = signpost::db::open_analytics(&config.database(), PoolSettings::sized(1))
        .map_err(|e| e.to_string())?;
    let mut conn = bulk.get().map_err(|e| e.to_string())?;
    let summary = match command {
        ImportCommand::Stackexchange { dir } => {
            let started = std::time::Instant::now();
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg} (eta {eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let report = signpost::service::import_stackexchange::import(
                &mut conn,
                &dir,
                &|read, total, posts| {
                    bar.set_length(total);
                    bar.set_position(read);
                    let rate = posts as f64 / started.elapsed().as_secs_f64().max(0.001);
                    bar.set_message(format!("{posts} posts, {rate:.0} posts/s"));
                },
            )
            .map_err(|e| e.to_string())?;
            bar.finish_and_clear();
            for skipped in &report.skipped {
                eprintln!("skipped: {skipped}");
            }
            let seconds = started.elapsed().as_secs_f64();
            let posts = report.questions + report.answers;
            format!(
                "imported {} users, {} questions, {} answers in {seconds:.1} s ({:.0} posts/s); {} already imported, {} skipped",
                report.users,
                report.questions,
                report.answers,
                posts as f64 / seconds.max(0.001),
                report.already,
                report.skipped.len()
            )
        }
        ImportCommand::Markdown { dir, manual } => {
            let report = signpost::service::import_markdown::import(
                &mut conn,
                &dir,
                &manual,
                signpost::db::unix_now(),
            )
            .map_err(|e| e.to_string())?;
            for skipped in &report.skipped {
                eprintln!("skipped (already imported): {skipped}");
            }
            for problem in &report.problems {
                println!("{problem}");
            }
            let problems = match report.problems.len() {
                0 => "no problems".to_string(),
                n => format!("{n} problem(s) listed above"),
            };
            format!(
                "imported {} articles into /docs/{}; {} skipped; {} files stored, {} already stored; {problems}",
                report.created,
                report.manual,
                report.skipped.len(),
                report.assets_stored,
                report.assets_reused
            )
        }
    };
    signpost::db::checkpoint(&mut conn).map_err(|e| e.to_string())?;
    drop(conn);
    Ok(format!("{summary}\n{}", refresh_index(config, &pool)))
}

fn demo_data(
    config: &Config,
    options: signpost::service::demo_data::DemoOptions,
) -> Result<String, String> {
    let pool = signpost::db::open(&config.database(), PoolSettings::sized(2))
        .map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let bar = progress_bar("posts");
    let report = signpost::service::demo_data::generate(&mut conn, options, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    drop(conn);
    let seconds = started.elapsed().as_secs_f64();
    let posts = report.questions + report.answers;
    Ok(format!(
        "generated {} users, {} questions, {} answers, {} comments in {seconds:.1} s ({:.0} posts/s)\n{}",
        report.users,
        report.questions,
        report.answers,
        report.comments,
        posts as f64 / seconds.max(0.001),
        refresh_index(config, &pool)
    ))
}

fn migrate_db(config: &Config, from: &str, to: &str, overwrite_target: bool) -> ExitCode {
    use signpost::db::copy;
    let run = || -> Result<copy::Report, String> {
        let from = copy::parse_database("--from", from)?;
        let to = copy::parse_database("--to", to)?;
        let options = copy::Options {
            overwrite_target,
            timeout: std::time::Duration::from_secs(config.database_timeout),
        };
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} rows ({per_sec}, eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let started = std::time::Instant::now();
        let report = copy::migrate(&from, &to, &options, &|done, total, table| {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(table.to_string());
        });
        bar.finish_and_clear();
        let report = report?;
        let rows: u64 = report.tables.iter().map(|t| t.source_rows).sum();
        if report.deleted_rows > 0 {
            println!("deleted {} rows that {to} held before", report.deleted_rows);
        }
        println!(
            "copied {rows} rows of {} tables from {from} to {to} in {:.1} s",
            report.tables.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(report)
    };
    match run() {
        Ok(report) => {
            print!("{}", report.render());
            if report.all_match() {
                println!("verified: every table has the same rows and checksum on both sides");
                ExitCode::SUCCESS
            } else {
                let bad: Vec<&str> = report
                    .tables
                    .iter()
                    .filter(|t| !t.matches())
                    .map(|t| t.table.as_str())
                    .collect();
                eprintln!(
                    "error: the copy differs from the source in: {}",
                    bad.join(", ")
                );
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn eval_search(config: &Config, files: &[PathBuf], not_first: bool) -> Result<String, String> {
    use signpost::service::relevance;
    let cases = relevance::load_cases(files).map_err(|problems| problems.join("\n"))?;
    let started = std::time::Instant::now();
    let report = relevance::evaluate(&config.content_dir, cases).map_err(|e| e.to_string())?;
    Ok(format!(
        "{}\nevaluated in {:.1} s",
        report.render_listing(if not_first { 1 } else { 5 }),
        started.elapsed().as_secs_f64()
    ))
}

fn bench_search(
    config: &Config,
    files: &[PathBuf],
    threads: usize,
    seconds: u64,
    engine_names: &[String],
) -> Result<String, String> {
    use signpost::service::search_speed::{self, Engine, SpeedOptions};
    let lists = search_speed::load_lists(files).map_err(|problems| problems.join("\n"))?;
    let engines = if engine_names.is_empty() {
        Engine::ALL.to_vec()
    } else {
        engine_names
            .iter()
            .map(|name| {
                Engine::parse(name)
                    .ok_or_else(|| format!("unknown engine {name:?}; use signpost or fts5"))
            })
            .collect::<Result<Vec<Engine>, String>>()?
    };
    let options = SpeedOptions {
        threads: threads.clamp(1, 1024),
        duration: std::time::Duration::from_secs(seconds.max(1)),
    };
    let database = config.database();
    if let signpost::config::Database::Sqlite(path) = &database {
        if !path.exists() {
            return Err(format!(
                "no database at {} (generate one with `signpost demo-data`)",
                path.display()
            ));
        }
    }
    let pool = signpost::db::open(&database, PoolSettings::sized(2)).map_err(|e| e.to_string())?;
    let (search, needs_rebuild) =
        SearchIndex::open(&config.index_dir()).map_err(|e| e.to_string())?;
    if needs_rebuild {
        return Err(format!(
            "the search index in {} is missing or incomplete; run `signpost reindex` first",
            config.index_dir().display()
        ));
    }
    let fts5_path = config.data_dir.join("fts5-baseline.db");
    let started = std::time::Instant::now();
    let bar = progress_bar("subjects");
    let (fts5_docs, built) = if engines.contains(&Engine::Fts5) {
        search_speed::prepare_fts5(&pool, &fts5_path, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .map_err(|e| e.to_string())?
    } else {
        (0, false)
    };
    bar.finish_and_clear();
    let build_note = if !engines.contains(&Engine::Fts5) {
        String::new()
    } else if built {
        format!(
            "FTS5 baseline built: {fts5_docs} documents in {:.0} s\n",
            started.elapsed().as_secs_f64()
        )
    } else {
        format!("FTS5 baseline reused: {fts5_docs} documents\n")
    };
    let rows = search_speed::compare(&search, &fts5_path, &lists, &engines, options)
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "{build_note}{}",
        search_speed::render(&rows, options, search.num_docs(), search.gate().permits())
    ))
}
