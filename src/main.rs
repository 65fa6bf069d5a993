//! The `signpost` command line: serve the site, check content, rebuild the index.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use signpost::app::{self, StartError};
use signpost::config::Config;
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
    /// Validate content/ and print every problem as file:line: message.
    Check,
    /// Rebuild the whole search index from the database (stop the server first).
    Reindex,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info,tantivy=warn")).init();
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
    log::info!("content synced: {} added, {} updated, {} removed, {} unchanged", s.added, s.updated, s.removed, s.unchanged);
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
    match signpost::content::load(&config.content_dir) {
        Ok(set) => {
            println!(
                "{}: OK ({} manuals, {} articles)",
                config.content_dir.display(),
                set.manuals.len(),
                set.article_count()
            );
            ExitCode::SUCCESS
        }
        Err(diags) => {
            for d in &diags {
                println!("{d}");
            }
            eprintln!("{} problem(s) found", diags.len());
            ExitCode::FAILURE
        }
    }
}

fn reindex(config: &Config) -> ExitCode {
    let run = || -> Result<u64, String> {
        let pool = signpost::db::open(&config.database_path(), 4).map_err(|e| e.to_string())?;
        let dir = config.index_dir();
        let (search, _) = SearchIndex::open(&dir).map_err(|e| e.to_string())?;
        let mut feed = search.feed().map_err(|e| {
            format!("cannot lock the search index in {} ({e}); stop the running server first", dir.display())
        })?;
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} documents ({per_sec}, eta {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let written = search_feed::rebuild(&pool, &mut feed, &|done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .map_err(|e| e.to_string())?;
        bar.finish();
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
