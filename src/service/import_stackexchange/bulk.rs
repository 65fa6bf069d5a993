//! What makes a large import cheap to write on SQLite, without making the
//! site less safe: a larger page cache and in-memory temporary storage for
//! the import's own connection (put back afterwards; the journal stays WAL
//! and `synchronous` as the connection had it), and, when the dump is large
//! against the site, the secondary indexes of the post tables dropped while
//! the posts stream in and built again once, in one transaction, when the
//! streaming ends, whether it ended well or not.
//!
//! An import killed while they are dropped (power cut, `kill -9`) leaves a
//! site that works, only slower, until the next start or import builds
//! them first ([`restore_indexes`], through `heal_indexes` at every start),
//! taking their definitions from the migrations compiled into the binary.
//! PostgreSQL keeps its indexes and settings.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::MigrationHarness;

use crate::db::schema::{answers, questions};
use crate::db::Conn;
use crate::error::{AppError, AppResult};

/// Tables whose secondary indexes a large import drops.
const POST_TABLES: &[&str] = &["questions", "answers", "question_tags"];
/// Posts a dump must hold at least (estimated from its size) for the
/// indexes to be dropped: below this, keeping them up to date costs less
/// than building them again.
pub(super) const LARGE_IMPORT_POSTS: u64 = 20_000;
/// Bytes of `Posts.xml` per post when estimating how many a dump holds
/// (real dumps carry more attributes than the import reads; a low guess
/// only drops the indexes less often).
const BYTES_PER_POST: u64 = 2048;
/// Page cache of the import's connection: 256 MiB (negative: KiB).
const IMPORT_CACHE_KIB: i64 = 262_144;
/// WAL pages between automatic checkpoints during the import (64 MiB of
/// 4 KiB pages instead of SQLite's 1,000), so pages written again and again
/// reach the database file once per checkpoint, not once per batch.
const IMPORT_AUTOCHECKPOINT: i64 = 16_384;

/// One number a PRAGMA answers.
#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// What `PRAGMA wal_autocheckpoint` answers (it has no table-valued function).
#[derive(QueryableByName)]
struct Autocheckpoint {
    #[diesel(sql_type = BigInt)]
    wal_autocheckpoint: i64,
}

/// One index: its name and the statement that creates it.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
struct IndexSql {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    sql: String,
}

/// The connection settings an import changed, to put back.
pub(super) struct Settings {
    /// `cache_size`, `temp_store` and `wal_autocheckpoint` as they were.
    before: Option<(i64, i64, i64)>,
}

impl Settings {
    /// Gives the import's connection a larger page cache, in-memory
    /// temporary storage and rarer checkpoints (SQLite only).
    pub(super) fn apply(conn: &mut Conn) -> AppResult<Settings> {
        let Conn::Sqlite(c) = conn else {
            return Ok(Settings { before: None });
        };
        let checkpoint: Vec<Autocheckpoint> =
            diesel::sql_query("PRAGMA wal_autocheckpoint").load(c)?;
        let before = (
            pragma(c, "cache_size")?,
            pragma(c, "temp_store")?,
            checkpoint
                .first()
                .map(|row| row.wal_autocheckpoint)
                .ok_or_else(|| {
                    AppError::Internal("PRAGMA wal_autocheckpoint answered nothing".into())
                })?,
        );
        c.batch_execute(&format!(
            "PRAGMA cache_size = -{IMPORT_CACHE_KIB}; PRAGMA temp_store = MEMORY; \
             PRAGMA wal_autocheckpoint = {IMPORT_AUTOCHECKPOINT};"
        ))?;
        Ok(Settings {
            before: Some(before),
        })
    }

    /// Puts the connection's settings back.
    pub(super) fn restore(self, conn: &mut Conn) -> AppResult<()> {
        if let (Conn::Sqlite(c), Some((cache, temp, checkpoint))) = (conn, self.before) {
            c.batch_execute(&format!(
                "PRAGMA cache_size = {cache}; PRAGMA temp_store = {temp}; \
                 PRAGMA wal_autocheckpoint = {checkpoint};"
            ))?;
        }
        Ok(())
    }
}

/// The value of a PRAGMA that answers one number (one with a table-valued
/// function).
fn pragma(conn: &mut SqliteConnection, name: &str) -> AppResult<i64> {
    let rows: Vec<Number> =
        diesel::sql_query(format!("SELECT {name} AS n FROM pragma_{name}()")).load(conn)?;
    rows.first()
        .map(|row| row.n)
        .ok_or_else(|| AppError::Internal(format!("PRAGMA {name} answered nothing")))
}

/// How many posts a `Posts.xml` of `bytes` holds, roughly.
pub(super) fn estimated_posts(bytes: u64) -> u64 {
    bytes / BYTES_PER_POST
}

/// Whether an import of about `dump_posts` posts should drop the post
/// tables' indexes: SQLite, a large dump, and a site holding fewer posts
/// than the dump (building the indexes again costs in proportion to the
/// whole site).
pub(super) fn worth_dropping(conn: &mut Conn, dump_posts: u64) -> AppResult<bool> {
    if conn.is_postgres() || dump_posts < LARGE_IMPORT_POSTS {
        return Ok(false);
    }
    let questions: i64 = questions::table.count().get_result(conn)?;
    let answers: i64 = answers::table.count().get_result(conn)?;
    Ok(u64::try_from(questions + answers).unwrap_or(u64::MAX) < dump_posts)
}

/// Drops the secondary indexes the migrations give the post tables, in one
/// transaction; returns how many were dropped. Unique indexes stay (they
/// guard data, not speed), as does any index the migrations do not know.
pub(super) fn drop_indexes(conn: &mut Conn) -> AppResult<usize> {
    let Conn::Sqlite(_) = conn else {
        return Ok(0);
    };
    let wanted = migrated_indexes()?;
    conn.immediate_transaction(|conn| -> AppResult<usize> {
        let Conn::Sqlite(c) = conn else {
            return Ok(0);
        };
        let present = indexes_of(c)?;
        let mut dropped = 0;
        for index in present.iter().filter(|i| wanted.contains(i)) {
            c.batch_execute(&format!("DROP INDEX \"{}\"", index.name))?;
            dropped += 1;
        }
        Ok(dropped)
    })
}

/// Creates, in one transaction, every secondary index the migrations give
/// the post tables that the database lacks (after an import dropped them,
/// or one that was killed meanwhile); returns how many were created.
pub(super) fn restore_indexes(conn: &mut Conn) -> AppResult<usize> {
    let Conn::Sqlite(_) = conn else {
        return Ok(0);
    };
    let wanted = migrated_indexes()?;
    if let Conn::Sqlite(c) = conn {
        // The usual case (every start): nothing is missing, and no write
        // lock is taken to find that out.
        let present: Vec<String> = indexes_of(c)?.into_iter().map(|i| i.name).collect();
        if wanted.iter().all(|i| present.contains(&i.name)) {
            return Ok(0);
        }
    }
    conn.immediate_transaction(|conn| -> AppResult<usize> {
        let Conn::Sqlite(c) = conn else {
            return Ok(0);
        };
        let present: Vec<String> = indexes_of(c)?.into_iter().map(|i| i.name).collect();
        let mut created = 0;
        for index in wanted.iter().filter(|i| !present.contains(&i.name)) {
            c.batch_execute(&index.sql)?;
            created += 1;
        }
        Ok(created)
    })
}

/// The non-unique secondary indexes of the post tables in `conn`.
fn indexes_of(conn: &mut SqliteConnection) -> AppResult<Vec<IndexSql>> {
    let tables = POST_TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(diesel::sql_query(format!(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
         AND tbl_name IN ({tables}) AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
    ))
    .load(conn)?)
}

/// Those indexes as the migrations compiled into the binary create them,
/// read from a migrated in-memory database.
fn migrated_indexes() -> AppResult<Vec<IndexSql>> {
    let mut memory = SqliteConnection::establish(":memory:")
        .map_err(|e| AppError::Internal(format!("in-memory SQLite: {e}")))?;
    memory
        .run_pending_migrations(crate::db::SQLITE_MIGRATIONS)
        .map_err(|e| AppError::Internal(format!("migrating an in-memory SQLite: {e}")))?;
    indexes_of(&mut memory)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migrated() -> Conn {
        let mut c = SqliteConnection::establish(":memory:").expect("memory");
        c.run_pending_migrations(crate::db::SQLITE_MIGRATIONS)
            .expect("migrate");
        Conn::Sqlite(c)
    }

    fn settings(conn: &mut Conn) -> (i64, i64) {
        let Conn::Sqlite(c) = conn else {
            unreachable!("SQLite only")
        };
        (
            pragma(c, "cache_size").expect("cache"),
            pragma(c, "temp_store").expect("temp"),
        )
    }

    #[test]
    fn the_import_settings_are_put_back() {
        let mut conn = migrated();
        let before = settings(&mut conn);
        let applied = Settings::apply(&mut conn).expect("apply");
        assert_eq!(settings(&mut conn), (-IMPORT_CACHE_KIB, 2));
        applied.restore(&mut conn).expect("restore");
        assert_eq!(settings(&mut conn), before);
    }

    #[test]
    fn dropped_indexes_come_back_as_the_migrations_made_them() {
        let mut conn = migrated();
        let Conn::Sqlite(c) = &mut conn else {
            unreachable!("SQLite only")
        };
        let before = indexes_of(c).expect("indexes");
        assert!(
            before.iter().any(|i| i.name == "questions_newest"),
            "{before:?}"
        );
        let dropped = drop_indexes(&mut conn).expect("drop");
        assert_eq!(dropped, before.len());
        let Conn::Sqlite(c) = &mut conn else {
            unreachable!("SQLite only")
        };
        assert!(indexes_of(c).expect("indexes").is_empty());
        assert_eq!(restore_indexes(&mut conn).expect("restore"), before.len());
        assert_eq!(restore_indexes(&mut conn).expect("again"), 0);
        let Conn::Sqlite(c) = &mut conn else {
            unreachable!("SQLite only")
        };
        assert_eq!(indexes_of(c).expect("indexes"), before);
    }

    #[test]
    fn only_a_large_dump_on_a_smaller_site_drops_indexes() {
        let mut conn = migrated();
        assert!(!worth_dropping(&mut conn, LARGE_IMPORT_POSTS - 1).expect("small"));
        assert!(worth_dropping(&mut conn, LARGE_IMPORT_POSTS).expect("large"));
        assert_eq!(estimated_posts(BYTES_PER_POST * 10), 10);
    }
}
