//! The search speed benchmark behind `signpost bench-search`: times
//! Signpost's search and the SQLite FTS5 baseline of the same documents
//! (see [`super::fts5_baseline`]) over the same query lists, side by side in
//! one run.
//!
//! Both engines are driven the same way, in this process: one warm-up pass
//! over the list, three passes one query at a time (each query's fastest
//! latency counts, and the processor time of the pass that used the least:
//! on a shared machine the slower ones waited for other processes), then the same number of threads, each sending the next
//! query of the list as soon as its last one returned, for the same time.
//! Signpost runs a few searches at once and queues the others (its
//! [`SearchGate`]); FTS5 queries wait at a gate of the same size. Each
//! query produces what a results page needs: Signpost its first page
//! of hits (typo expansion, re-rank, highlighted title and snippet), FTS5
//! its best ten rows with a highlighted title and snippet. The FTS5 file
//! is built from the site's database next to its data and rebuilt when
//! the database changed since.
//!
//! A query list is a text file, one query a line; blank lines and lines
//! starting with `#` are skipped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::models::outbox;
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use crate::search::{SearchGate, SearchIndex, SearchRequest};
use crate::service::fts5_baseline::Fts5;
use crate::service::search_feed;

/// Results asked of each engine per query (one page).
pub const PAGE: usize = 10;

/// Passes one query at a time; each query's fastest counts (the others
/// may have waited for other processes on a shared machine).
const ALONE_PASSES: usize = 3;

/// Subjects read from the database per FTS5 transaction.
const BUILD_CHUNK: usize = 2000;

/// How the engines are driven.
#[derive(Debug, Clone, Copy)]
pub struct SpeedOptions {
    /// Queries in flight at once (threads per engine).
    pub threads: usize,
    /// How long each engine runs each list.
    pub duration: Duration,
}

/// A named list of queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryList {
    /// The file's name without extension.
    pub name: String,
    /// Its queries, in order.
    pub queries: Vec<String>,
}

/// Reads query lists; problems name the file.
pub fn load_lists(files: &[PathBuf]) -> Result<Vec<QueryList>, Vec<String>> {
    let mut lists = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| file.display().to_string());
        match std::fs::read_to_string(file) {
            Ok(text) => {
                let queries = parse_list(&text);
                if queries.is_empty() {
                    problems.push(format!("{}: holds no queries", file.display()));
                } else {
                    lists.push(QueryList { name, queries });
                }
            }
            Err(e) => problems.push(format!("{}: cannot read it: {e}", file.display())),
        }
    }
    if problems.is_empty() {
        Ok(lists)
    } else {
        Err(problems)
    }
}

/// The queries of a list file's text.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// The engines a run can time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Signpost's own search.
    Signpost,
    /// The SQLite FTS5 baseline.
    Fts5,
}

impl Engine {
    /// Both, in report order.
    pub const ALL: [Engine; 2] = [Engine::Signpost, Engine::Fts5];

    /// The engine a name stands for (`signpost`, `fts5`).
    pub fn parse(name: &str) -> Option<Engine> {
        match name {
            "signpost" => Some(Engine::Signpost),
            "fts5" => Some(Engine::Fts5),
            _ => None,
        }
    }

    /// Its name in reports.
    pub fn label(self) -> &'static str {
        match self {
            Engine::Signpost => "Signpost",
            Engine::Fts5 => "SQLite FTS5",
        }
    }
}

/// Latency figures of one engine over one list.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    /// Mean latency of a query sent alone (each query's fastest of
    /// [`ALONE_PASSES`] passes over the list, one query at a time).
    pub alone_mean: Duration,
    /// The slowest query alone.
    pub alone_max: Duration,
    /// Mean processor time of a query alone (over the pass that used the
    /// least), when the system reports it: unlike the latency, other
    /// processes on the machine do not add to it.
    pub alone_cpu: Option<Duration>,
    /// Queries answered concurrently.
    pub requests: usize,
    /// Queries answered concurrently per second.
    pub per_second: f64,
    /// Median latency with every thread sending.
    pub p50: Duration,
    /// 99th percentile latency with every thread sending.
    pub p99: Duration,
    /// Queries that found nothing, out of one pass over the list.
    pub empty: usize,
}

/// The `share` percentile of sorted latencies (nearest rank).
fn percentile(sorted: &[Duration], share: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * share).ceil() as usize).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

impl Timing {
    /// The figures of the queries one at a time (latency `alone`, mean
    /// processor time `alone_cpu` when known) and of the concurrent
    /// latencies measured over `elapsed`.
    pub fn of(
        alone: &[Duration],
        alone_cpu: Option<Duration>,
        mut concurrent: Vec<Duration>,
        elapsed: Duration,
        empty: usize,
    ) -> Timing {
        concurrent.sort_unstable();
        let mean = |list: &[Duration]| list.iter().sum::<Duration>() / (list.len().max(1) as u32);
        Timing {
            alone_mean: mean(alone),
            alone_max: alone.iter().max().copied().unwrap_or_default(),
            alone_cpu,
            requests: concurrent.len(),
            per_second: concurrent.len() as f64 / elapsed.as_secs_f64().max(1e-9),
            p50: percentile(&concurrent, 0.50),
            p99: percentile(&concurrent, 0.99),
            empty,
        }
    }
}

/// One engine's figures for one list.
#[derive(Debug, Clone)]
pub struct SpeedRow {
    /// The list's name.
    pub list: String,
    /// Queries in the list.
    pub queries: usize,
    /// The engine timed.
    pub engine: Engine,
    /// Its figures.
    pub timing: Timing,
}

/// Makes sure `path` holds an FTS5 index of every search document of the
/// database, building it when it is missing or older than the database's
/// last change; returns how many documents it holds and whether it was
/// built now. `progress(done, total)` follows the build.
pub fn prepare_fts5(
    pool: &Pool,
    path: &Path,
    progress: &dyn Fn(u64, u64),
) -> AppResult<(i64, bool)> {
    let mut conn = pool.get()?;
    let version = i64::from(outbox::max_id(&mut conn)?);
    if path.exists() {
        let mut existing = Fts5::open(path)?;
        if existing.built_version().ok().flatten() == Some(version) {
            return Ok((existing.len()?, false));
        }
        drop(existing);
        std::fs::remove_file(path)
            .map_err(|e| AppError::Internal(format!("cannot replace {}: {e}", path.display())))?;
    }
    let mut fts = Fts5::create(&path.to_string_lossy())?;
    let subjects = search_feed::all_subjects(&mut conn)?;
    let total = subjects.len() as u64;
    for (i, chunk) in subjects.chunks(BUILD_CHUNK).enumerate() {
        let mut docs = Vec::new();
        for (kind, id) in chunk {
            docs.extend(search_feed::documents_for(&mut conn, *kind, *id)?);
        }
        fts.insert(&docs)?;
        progress((i * BUILD_CHUNK + chunk.len()) as u64, total);
    }
    fts.finish(version)?;
    Ok((fts.len()?, true))
}

/// Times the engines over every list, one after the other per list.
pub fn compare(
    search: &SearchIndex,
    fts5_path: &Path,
    lists: &[QueryList],
    engines: &[Engine],
    options: SpeedOptions,
) -> AppResult<Vec<SpeedRow>> {
    let signpost_query = |_: &mut (), query: &str| -> AppResult<bool> {
        let results = search.search(&SearchRequest {
            text: query,
            kind: None,
            limit: PAGE,
            offset: 0,
        })?;
        Ok(!results.hits.is_empty())
    };
    // FTS5 waits at the same kind of gate as Signpost's searches do.
    let fts5_gate = SearchGate::new(search.gate().permits());
    let fts5_query = |fts: &mut Fts5, query: &str| -> AppResult<bool> {
        let _turn = fts5_gate.enter();
        Ok(!fts.page(query, PAGE)?.is_empty())
    };
    let mut rows = Vec::new();
    for list in lists {
        for &engine in engines {
            let timing = match engine {
                Engine::Signpost => drive(&list.queries, options, || Ok(()), signpost_query)?,
                Engine::Fts5 => {
                    drive(&list.queries, options, || Fts5::open(fts5_path), fts5_query)?
                }
            };
            rows.push(SpeedRow {
                list: list.name.clone(),
                queries: list.queries.len(),
                engine,
                timing,
            });
        }
    }
    Ok(rows)
}

/// Runs one warm-up pass over `queries` (counting those that find
/// nothing), timed passes one query at a time, then sends them
/// round-robin from `options.threads` threads for `options.duration`, each
/// thread with its own state from `open`.
fn drive<S>(
    queries: &[String],
    options: SpeedOptions,
    open: impl Fn() -> AppResult<S> + Sync,
    run: impl Fn(&mut S, &str) -> AppResult<bool> + Sync,
) -> AppResult<Timing> {
    let mut state = open()?;
    let mut empty = 0;
    for query in queries {
        empty += usize::from(!run(&mut state, query)?);
    }
    let mut alone = vec![Duration::MAX; queries.len()];
    // Processor time is read per pass: the system updates it only every
    // few milliseconds, too coarse for one query.
    let mut pass_cpu: Option<Duration> = None;
    let mut cpu_known = true;
    for _ in 0..ALONE_PASSES {
        let cpu_before = thread_cpu_time();
        for (query, fastest) in queries.iter().zip(alone.iter_mut()) {
            let sent = Instant::now();
            run(&mut state, query)?;
            *fastest = (*fastest).min(sent.elapsed());
        }
        match (cpu_before, thread_cpu_time()) {
            (Some(before), Some(after)) => {
                let used = after.saturating_sub(before);
                pass_cpu = Some(pass_cpu.map_or(used, |least| least.min(used)));
            }
            _ => cpu_known = false,
        }
    }
    let alone_cpu = pass_cpu
        .filter(|_| cpu_known)
        .map(|cpu| cpu / (queries.len().max(1) as u32));
    drop(state);
    let next = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::new());
    let failure: Mutex<Option<AppError>> = Mutex::new(None);
    let started = Instant::now();
    let deadline = started + options.duration;
    std::thread::scope(|scope| {
        for _ in 0..options.threads.max(1) {
            scope.spawn(|| {
                let mut mine = Vec::new();
                let outcome = open().and_then(|mut state| {
                    while Instant::now() < deadline {
                        let query = &queries[next.fetch_add(1, Ordering::Relaxed) % queries.len()];
                        let sent = Instant::now();
                        run(&mut state, query)?;
                        mine.push(sent.elapsed());
                    }
                    Ok(())
                });
                if let Err(e) = outcome {
                    if let Ok(mut slot) = failure.lock() {
                        slot.get_or_insert(e);
                    }
                }
                if let Ok(mut all) = latencies.lock() {
                    all.extend(mine);
                }
            });
        }
    });
    let elapsed = started.elapsed();
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let latencies = latencies.into_inner().unwrap_or_default();
    Ok(Timing::of(&alone, alone_cpu, latencies, elapsed, empty))
}

/// Processor time this thread has used so far (Linux: the first field of
/// `/proc/thread-self/schedstat`, in nanoseconds); `None` elsewhere.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// The side-by-side table (markdown); `permits`: queries each engine runs
/// at once.
pub fn render(rows: &[SpeedRow], options: SpeedOptions, documents: u64, permits: usize) -> String {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let mut out = format!(
        "{documents} documents; each query returns a page of {PAGE} with highlighted title and snippet; \
         alone: each query's fastest of {ALONE_PASSES} passes one at a time after a warm-up pass \
         (CPU: mean processor time per query, which other processes do not inflate); \
         then {} threads sending for {:.0} s, each engine running {permits} queries at once \
         (first come first served)\n\n",
        options.threads,
        options.duration.as_secs_f64()
    );
    out.push_str(&format!(
        "| queries | engine | alone: mean | alone: slowest | alone: CPU | {} at once: queries/s | p50 | p99 | found nothing |\n",
        options.threads
    ));
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in rows {
        let t = &row.timing;
        out.push_str(&format!(
            "| {} ({}) | {} | {} | {} | {} | {:.0} | {} | {} | {} of {} |\n",
            row.list,
            row.queries,
            row.engine.label(),
            ms(t.alone_mean),
            ms(t.alone_max),
            t.alone_cpu.map_or_else(|| "n/a".to_string(), ms),
            t.per_second,
            ms(t.p50),
            ms(t.p99),
            t.empty,
            row.queries
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_skip_comments_and_blank_lines() {
        assert_eq!(
            parse_list("# short ones\n\nprinter offline\n  pasword reset  \n#x\n"),
            ["printer offline", "pasword reset"]
        );
    }

    #[test]
    fn empty_and_missing_lists_are_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "# nothing\n").expect("write");
        let good = dir.path().join("short.txt");
        std::fs::write(&good, "printer\n").expect("write");
        let problems = load_lists(&[empty.clone(), good.clone(), dir.path().join("gone.txt")])
            .expect_err("problems");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].ends_with("empty.txt: holds no queries"));
        assert!(problems[1].contains("gone.txt: cannot read it"));
        let lists = load_lists(&[good]).expect("lists");
        assert_eq!(
            lists,
            vec![QueryList {
                name: "short".into(),
                queries: vec!["printer".into()]
            }]
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms = Duration::from_millis;
        let latencies: Vec<Duration> = (1..=200).rev().map(ms).collect();
        let t = Timing::of(
            &[ms(2), ms(6), ms(1)],
            Some(ms(3)),
            latencies,
            Duration::from_secs(2),
            3,
        );
        assert_eq!(t.alone_mean, ms(3));
        assert_eq!(t.alone_max, ms(6));
        assert_eq!(t.alone_cpu, Some(ms(3)));
        assert_eq!(t.requests, 200);
        assert!((t.per_second - 100.0).abs() < 1e-9);
        assert_eq!(t.p50, ms(100));
        assert_eq!(t.p99, ms(198));
        assert_eq!(t.empty, 3);
        let none = Timing::of(&[], None, Vec::new(), Duration::from_secs(1), 0);
        assert_eq!(
            (none.p99, none.alone_mean),
            (Duration::ZERO, Duration::ZERO)
        );
        assert_eq!(none.alone_cpu, None);
    }

    #[test]
    fn drive_runs_every_thread_until_the_deadline() {
        let queries = vec!["a".to_string(), "".to_string()];
        let options = SpeedOptions {
            threads: 3,
            duration: Duration::from_millis(50),
        };
        let opened = AtomicUsize::new(0);
        let timing = drive(
            &queries,
            options,
            || {
                opened.fetch_add(1, Ordering::Relaxed);
                Ok(())
            },
            |_, q| Ok(!q.is_empty()),
        )
        .expect("drive");
        // The passes one at a time share a state; each thread has its own.
        // Processor time is known on Linux.
        assert_eq!(timing.alone_cpu.is_some(), cfg!(target_os = "linux"));
        assert_eq!(opened.load(Ordering::Relaxed), 4);
        assert_eq!(timing.empty, 1);
        assert!(timing.requests > 3, "{timing:?}");
        let failing = drive(
            &queries,
            options,
            || Ok(()),
            |_, _| Err(AppError::Internal("broken".into())),
        );
        assert!(failing.is_err());
    }
}
