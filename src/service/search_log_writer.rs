//! The search log's writer: one thread writes the searches logged
//! meanwhile in one transaction (a group commit), and each search gets its
//! row's id back for the click links of its results.
//!
//! A write per search in its own transaction made every search take the
//! database's write lock: on SQLite, with searches served from the result
//! cache at thousands a second, the analytics connections queued on that
//! lock (sleeping and retrying), the tail of search latency grew, and a new
//! post waited behind them before it could be written and indexed. Batched,
//! the lock is taken once per batch, by one connection.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::background::{Background, Wake};
use crate::db::models::search_log::{self, NewSearchLogEntry};
use crate::db::Pool;
use crate::error::{AppError, AppResult};
use crate::ids::SearchLogId;

/// Most searches written in one transaction.
const MAX_BATCH: usize = 1000;
/// Most searches waiting to be written; past it a search is shown without
/// click logging at once rather than queue behind a stalled database.
const MAX_QUEUED: usize = 20_000;
/// Longest a search page waits for its row's id; past it the page is shown
/// without click logging (the row is still written when it can be).
const MAX_WAIT: Duration = Duration::from_secs(2);

/// A search to log.
#[derive(Debug, Clone)]
pub struct LoggedSearch {
    /// The query as shown (at most 200 characters are kept by the caller).
    pub query: String,
    /// The kind filter.
    pub kind: Option<&'static str>,
    /// Results found.
    pub result_count: i32,
    /// Microseconds the search took, its wait for a turn included.
    pub took_us: i64,
    /// Unix seconds.
    pub created_at: i64,
}

struct Pending {
    search: LoggedSearch,
    reply: oneshot::Sender<AppResult<SearchLogId>>,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    /// The writer has stopped: nothing more is taken.
    closed: bool,
}

/// Logs searches through the writer thread; cheap to clone.
#[derive(Clone)]
pub struct SearchLog {
    queue: Arc<Mutex<Queue>>,
    wake: Wake,
}

impl SearchLog {
    /// Starts the writer on `pool` (the analytics pool). It stops when the
    /// returned [`Background`] is dropped, after writing what was queued.
    pub fn start(pool: Pool) -> AppResult<(SearchLog, Background)> {
        let queue = Arc::new(Mutex::new(Queue::default()));
        let taken = queue.clone();
        let thread = Background::spawn("search-log", move |control| {
            // However the thread ends (stopped, or a panic), the queue is
            // closed and what is left in it dropped: nobody waits on it.
            let _close = CloseOnExit(taken.clone());
            loop {
                let batch = {
                    let mut queue = taken.lock().unwrap_or_else(PoisonError::into_inner);
                    if queue.pending.is_empty() && control.stopping() {
                        break;
                    }
                    let n = queue.pending.len().min(MAX_BATCH);
                    queue.pending.drain(..n).collect::<Vec<_>>()
                };
                if batch.is_empty() {
                    control.wait(Duration::from_secs(1));
                } else {
                    write(&pool, batch);
                }
            }
        })?;
        Ok((
            SearchLog {
                queue,
                wake: thread.wake(),
            },
            thread,
        ))
    }

    /// Logs `search`; returns its row's id once it is written, or an error
    /// when it could not be within [`MAX_WAIT`] (or the queue is full, or
    /// the writer has stopped).
    pub async fn log(&self, search: LoggedSearch) -> AppResult<SearchLogId> {
        let (reply, written) = oneshot::channel();
        {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            if queue.closed {
                return Err(AppError::Internal(
                    "the search log writer has stopped".into(),
                ));
            }
            if queue.pending.len() >= MAX_QUEUED {
                return Err(AppError::Internal(format!(
                    "{MAX_QUEUED} searches are waiting to be logged"
                )));
            }
            queue.pending.push(Pending { search, reply });
        }
        self.wake.notify();
        match tokio::time::timeout(MAX_WAIT, written).await {
            Ok(Ok(id)) => id,
            Ok(Err(_)) => Err(AppError::Internal("the search log writer stopped".into())),
            Err(_) => Err(AppError::Internal(format!(
                "the search log was not written within {MAX_WAIT:?}"
            ))),
        }
    }
}

/// Closes the queue when dropped (see [`SearchLog::start`]).
struct CloseOnExit(Arc<Mutex<Queue>>);

impl Drop for CloseOnExit {
    fn drop(&mut self) {
        let mut queue = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        queue.closed = true;
        queue.pending.clear();
    }
}

/// Writes `batch` in one transaction (without the site's write lock on
/// PostgreSQL: [`crate::db::Conn::append_transaction`]) and answers each with its id (or,
/// when the transaction failed, with the error).
fn write(pool: &Pool, batch: Vec<Pending>) {
    let written = pool.get().map_err(AppError::from).and_then(|mut conn| {
        conn.append_transaction(|conn| {
            batch
                .iter()
                .map(|p| {
                    search_log::insert(
                        conn,
                        &NewSearchLogEntry {
                            query: &p.search.query,
                            kind: p.search.kind,
                            result_count: p.search.result_count,
                            took_us: p.search.took_us,
                            created_at: p.search.created_at,
                        },
                    )
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(AppError::from)
    });
    match written {
        Ok(ids) => {
            for (pending, id) in batch.into_iter().zip(ids) {
                let _ = pending.reply.send(Ok(id));
            }
        }
        Err(e) => {
            let message = e.to_string();
            for pending in batch {
                let _ = pending.reply.send(Err(AppError::Internal(message.clone())));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database() -> (tempfile::TempDir, Pool) {
        let dir = tempfile::tempdir().expect("temp dir");
        let pool = crate::db::open(
            &crate::config::Database::Sqlite(dir.path().join("log.db")),
            crate::config::PoolSettings::sized(2),
        )
        .expect("database");
        (dir, pool)
    }

    fn search(query: &str) -> LoggedSearch {
        LoggedSearch {
            query: query.to_string(),
            kind: Some("article"),
            result_count: 3,
            took_us: 120,
            created_at: 1_700_000_000,
        }
    }

    #[actix_web::test]
    async fn searches_logged_at_once_are_written_together_each_with_its_own_id() {
        let (_dir, pool) = database();
        let (log, writer) = SearchLog::start(pool.clone()).expect("writer");
        let queries: Vec<String> = (0..300).map(|i| format!("query {i}")).collect();
        // Every search queued before the writer takes any.
        let waiting: Vec<_> = queries
            .iter()
            .map(|q| {
                let (log, search) = (log.clone(), search(q));
                actix_web::rt::spawn(async move { log.log(search).await })
            })
            .collect();
        let mut ids = Vec::new();
        for task in waiting {
            ids.push(task.await.expect("task").expect("written"));
        }
        let mut conn = pool.get().expect("conn");
        let rows = search_log::recent(&mut conn, 1000).expect("rows");
        assert_eq!(rows.len(), 300);
        for (query, id) in queries.iter().zip(&ids) {
            let row = rows.iter().find(|r| r.id == id.0).expect("its row");
            assert_eq!(&row.query, query);
            assert_eq!(row.kind.as_deref(), Some("article"));
            assert_eq!((row.result_count, row.took_us), (3, 120));
        }
        // Stopped: what was queued is written, later searches are refused
        // (the page is shown without click logging), never left waiting.
        drop(writer);
        assert!(log.log(search("after")).await.is_err());
    }

    #[actix_web::test]
    async fn a_batch_that_cannot_be_written_answers_every_search_with_the_error() {
        let (_dir, pool) = database();
        let mut conn = pool.get().expect("conn");
        search_log::insert(
            &mut conn,
            &NewSearchLogEntry {
                query: "kept",
                kind: None,
                result_count: 1,
                took_us: 1,
                created_at: 1,
            },
        )
        .expect("a row");
        // The database refuses the second entry of the batch, so the
        // first is not written either: one transaction.
        let (first, second) = (oneshot::channel(), oneshot::channel());
        diesel::RunQueryDsl::execute(
            diesel::sql_query(
                "CREATE TRIGGER refuse BEFORE INSERT ON search_log \
                 WHEN NEW.query = 'refused' BEGIN SELECT RAISE(ABORT, 'refused'); END",
            ),
            &mut conn,
        )
        .expect("trigger");
        drop(conn);
        write(
            &pool,
            vec![
                Pending {
                    search: search("fine"),
                    reply: first.0,
                },
                Pending {
                    search: search("refused"),
                    reply: second.0,
                },
            ],
        );
        for answer in [first.1, second.1] {
            let error = answer.await.expect("answered").expect_err("not written");
            assert!(error.to_string().contains("refused"), "{error}");
        }
        let mut conn = pool.get().expect("conn");
        let rows = search_log::recent(&mut conn, 10).expect("rows");
        let queries: Vec<&str> = rows.iter().map(|r| r.query.as_str()).collect();
        assert_eq!(queries, ["kept"]);
    }
}
