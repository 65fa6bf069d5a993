//! `signpost migrate-db`: copies a whole site from one database to another
//! (SQLite to PostgreSQL, back, or SQLite to SQLite), then verifies it.
//!
//! The target is migrated to the current schema and must hold no site data
//! (unless [`Options::overwrite_target`], which empties it first in the same
//! transaction as the copy). The source is only read, in one snapshot (a
//! read-only SQLite connection or a `REPEATABLE READ READ ONLY` PostgreSQL
//! transaction), so a site that keeps serving meanwhile is copied as of one
//! instant. Tables are copied in foreign-key order, in batches in
//! primary-key order, ids preserved, all in one target transaction (a
//! failure leaves the target as it was); PostgreSQL's identity sequences are
//! then moved past the largest id. Last, every copied table is read back
//! from the target and its row count and checksum compared with the
//! source's.
//!
//! Rows are read as one JSON array per row (`json_array` on SQLite,
//! `json_build_array` on PostgreSQL; blobs as hex) and normalised by the
//! column's type from the catalog, so the same data gives the same
//! [`Value`]s, and the same SHA-256, on either backend.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use sha2::{Digest, Sha256};

use super::catalog::{self, Schema};
use super::Conn;
use crate::config::{Database, PoolSettings};

/// Tables copied, every one of the schema but [`EXCLUDED`].
pub const COPIED: &[&str] = &[
    "announcements",
    "answers",
    "article_revisions",
    "articles",
    "assets",
    "comments",
    "drafts",
    "feedback",
    "flags",
    "follows",
    "import_map",
    "index_nodes",
    "jobs",
    "known_issue_followers",
    "known_issue_updates",
    "known_issues",
    "mail_digest_items",
    "manuals",
    "notifications",
    "question_known_issues",
    "question_tags",
    "questions",
    "revisions",
    "search_clicks",
    "search_log",
    "search_outbox",
    "search_outbox_state",
    "site_secrets",
    "tags",
    "tree_walks",
    "trees",
    "user_mail",
    "users",
    "votes",
];

/// Tables left out, with the reason: short-lived rows that belong to the
/// running site rather than to its content.
pub const EXCLUDED: &[(&str, &str)] = &[
    (
        "sessions",
        "sign-ins: everyone signs in again on the new database",
    ),
    (
        "rate_limits",
        "counters of the current rate-limit windows, which end within minutes",
    ),
    (
        "setup_tokens",
        "one-time links to create the first administrator; a site without one prints a new link at start",
    ),
    (
        "page_changes",
        "the page caches' change feed; every node starts with an empty cache on the new database",
    ),
    (
        "mail_tokens",
        "single-use mailed links (address confirmation, password reset) that expire within hours; ask again on the new database",
    ),
];

/// Tables whose rows the migrations themselves create: a fresh target has
/// them, so they do not make it "non-empty"; the copy replaces them.
const SEEDED: &[&str] = &["search_outbox_state"];

/// Rows per batch read from the source (and per progress step).
const BATCH_ROWS: i64 = 2000;
/// Rows per batch for tables with a blob column (files of up to 5 MiB).
const BLOB_BATCH_ROWS: i64 = 8;
/// Rows per `INSERT` statement.
const INSERT_ROWS: usize = 250;

/// What `migrate-db` is told.
#[derive(Debug, Clone)]
pub struct Options {
    /// Empty every table of a target that already holds data (in the copy's
    /// transaction) instead of refusing it.
    pub overwrite_target: bool,
    /// How long connecting may take.
    pub timeout: Duration,
}

/// One copied table after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCheck {
    /// The table.
    pub table: String,
    /// Rows in the source (its snapshot).
    pub source_rows: u64,
    /// Rows in the target, read back after the copy.
    pub target_rows: u64,
    /// SHA-256 over the source's rows in primary-key order (hex).
    pub source_sha256: String,
    /// The same over the target's rows.
    pub target_sha256: String,
}

impl TableCheck {
    /// Whether count and checksum agree.
    pub fn matches(&self) -> bool {
        self.source_rows == self.target_rows && self.source_sha256 == self.target_sha256
    }
}

/// The outcome of a copy.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every copied table, in copy order.
    pub tables: Vec<TableCheck>,
    /// Rows the target held before (deleted with `overwrite_target`).
    pub deleted_rows: u64,
}

impl Report {
    /// Whether every table matched.
    pub fn all_match(&self) -> bool {
        self.tables.iter().all(TableCheck::matches)
    }

    /// The per-table table: rows on each side, the checksum's first 16 hex
    /// digits, and `ok` or `MISMATCH`.
    pub fn render(&self) -> String {
        let width = self
            .tables
            .iter()
            .map(|t| t.table.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let mut out = format!(
            "{:<width$}  {:>10}  {:>10}  {:<16}  check\n",
            "table", "source", "target", "sha256"
        );
        let mut sorted: Vec<&TableCheck> = self.tables.iter().collect();
        sorted.sort_by(|a, b| a.table.cmp(&b.table));
        for t in sorted {
            let _ = writeln!(
                out,
                "{:<width$}  {:>10}  {:>10}  {:<16}  {}",
                t.table,
                t.source_rows,
                t.target_rows,
                t.source_sha256.get(..16).unwrap_or(""),
                if t.matches() {
                    "ok".to_string()
                } else {
                    format!(
                        "MISMATCH (target sha256 {})",
                        t.target_sha256.get(..16).unwrap_or("")
                    )
                }
            );
        }
        for (table, reason) in EXCLUDED {
            let _ = writeln!(out, "{table:<width$}  not copied: {reason}");
        }
        out
    }
}

/// Progress: rows copied so far, rows in all, the table being copied.
pub type Progress<'a> = &'a dyn Fn(u64, u64, &str);

/// Parses a `--from`/`--to` argument: a file path, `sqlite://PATH` or
/// `postgres://…`.
pub fn parse_database(flag: &str, text: &str) -> Result<Database, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!(
            "{flag} needs a database: a file path, sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/NAME"
        ));
    }
    Database::check(text).map_err(|e| format!("{flag}: {e}"))?;
    let database = Database::from_url(text, Path::new("."));
    if let Database::Postgres(url) = &database {
        let parsed = url::Url::parse(url).map_err(|e| {
            format!(
                "{flag}: {} is not a valid PostgreSQL URL ({e})",
                database.redacted()
            )
        })?;
        if parsed.path().trim_matches('/').is_empty() {
            return Err(format!(
                "{flag}: {} names no database (postgres://USER:PASSWORD@HOST:PORT/NAME)",
                database.redacted()
            ));
        }
    }
    Ok(database)
}

/// Copies the site in `from` into `to` and verifies it. `Err` is a message
/// for the operator; a finished copy whose check failed is an `Ok` report
/// with a mismatch (see [`Report::all_match`]).
pub fn migrate(
    from: &Database,
    to: &Database,
    options: &Options,
    progress: Progress<'_>,
) -> Result<Report, String> {
    if same_database(from, to) {
        return Err(format!(
            "the source and the target are the same database ({from}); name a different target"
        ));
    }
    let mut source = open_source(from, options.timeout)?;
    // Read before the target is touched: a source that is no site stops here.
    let source_schema =
        catalog::describe(&mut source).map_err(|e| format!("source {from}: {e}"))?;
    if source_schema.tables.is_empty() {
        return Err(format!(
            "the source {from} holds no Signpost site (no tables)"
        ));
    }
    let settings = PoolSettings {
        timeout: options.timeout,
        ..PoolSettings::sized(1)
    };
    let pool = super::open(to, settings).map_err(|e| format!("target: {e}"))?;
    let mut target = pool
        .get()
        .map_err(|e| format!("target: cannot connect to {to}: {e}"))?;
    let target = &mut *target;

    let schema = catalog::describe(target).map_err(|e| format!("target {to}: {e}"))?;
    classify(&schema)?;
    same_shape(&source_schema, &schema).map_err(|difference| {
        format!(
            "the source {from} does not have this release's schema ({difference}); \
             start this release's `signpost serve` on it once (it migrates the schema), then copy"
        )
    })?;
    let order = copy_order(&schema)?;

    begin_snapshot(&mut source).map_err(|e| format!("source {from}: {e}"))?;
    let mut total = 0;
    for table in &order {
        total += count(&mut source, table).map_err(|e| format!("source {from}: {table}: {e}"))?;
    }

    let occupied = occupied_tables(target, &schema).map_err(|e| format!("target {to}: {e}"))?;
    let deleted_rows: u64 = occupied.iter().map(|(_, n)| n).sum();
    if !occupied.is_empty() && !options.overwrite_target {
        let list = occupied
            .iter()
            .map(|(t, n)| format!("{t} ({n})"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(format!(
            "the target {to} already holds data: {list}; copy into an empty database, \
             or pass --overwrite-target to delete every row of the target first"
        ));
    }

    let digests = target
        .transaction(
            |target| -> Result<BTreeMap<String, (u64, String)>, CopyError> {
                clear(target, &schema, &order)?;
                let mut done = 0;
                let mut digests = BTreeMap::new();
                for table in &order {
                    progress(done, total, table);
                    let (rows, digest) = copy_table(
                        &mut source,
                        target,
                        table,
                        &schema.tables[table.as_str()],
                        &mut |n| {
                            done += n;
                            progress(done, total, table);
                        },
                    )?;
                    digests.insert(table.clone(), (rows, digest));
                }
                reset_sequences(target, &schema)?;
                advance_outbox_ids(target)?;
                Ok(digests)
            },
        )
        .map_err(|e| e.describe(from, to))?;
    let _ = source.batch_execute("COMMIT");
    progress(total, total, "");

    let mut report = Report {
        tables: Vec::new(),
        deleted_rows,
    };
    begin_snapshot(target).map_err(|e| format!("target {to}: {e}"))?;
    for table in &order {
        let (target_rows, target_sha256) = checksum(target, table, &schema.tables[table.as_str()])
            .map_err(|e| e.describe(from, to))?;
        let (source_rows, source_sha256) = digests[table.as_str()].clone();
        report.tables.push(TableCheck {
            table: table.clone(),
            source_rows,
            target_rows,
            source_sha256,
            target_sha256,
        });
    }
    let _ = target.batch_execute("COMMIT");
    Ok(report)
}

/// A failure during the copy, with the side it happened on.
#[derive(Debug)]
enum CopyError {
    Source(String),
    Target(String),
}

impl From<diesel::result::Error> for CopyError {
    fn from(e: diesel::result::Error) -> CopyError {
        CopyError::Target(e.to_string())
    }
}

impl CopyError {
    fn describe(self, from: &Database, to: &Database) -> String {
        match self {
            CopyError::Source(e) => format!("reading the source {from}: {e}"),
            CopyError::Target(e) => {
                format!("writing the target {to}: {e} (the target was left as it was)")
            }
        }
    }
}

/// Whether `a` and `b` name the same database: the same SQLite file (by its
/// canonical path), or the same PostgreSQL host, port and database name.
fn same_database(a: &Database, b: &Database) -> bool {
    match (a, b) {
        (Database::Sqlite(a), Database::Sqlite(b)) => canonical(a) == canonical(b),
        (Database::Postgres(a), Database::Postgres(b)) => {
            let key = |url: &str| {
                url::Url::parse(url).ok().map(|u| {
                    (
                        u.host_str().unwrap_or("localhost").to_ascii_lowercase(),
                        u.port().unwrap_or(5432),
                        u.path().trim_matches('/').to_string(),
                    )
                })
            };
            key(a).is_some() && key(a) == key(b)
        }
        _ => false,
    }
}

/// The canonical path of a file that may not exist yet.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(path) = path.canonicalize() {
        return path;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (parent.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// Opens the source for reading only: a SQLite file that must exist,
/// opened read-only; or a PostgreSQL database (no migrations run on it).
fn open_source(database: &Database, timeout: Duration) -> Result<Conn, String> {
    if let Database::Sqlite(path) = database {
        if !path.exists() {
            return Err(format!(
                "the source database {} does not exist",
                path.display()
            ));
        }
        if !path.is_file() {
            return Err(format!(
                "the source database {} is not a file",
                path.display()
            ));
        }
        let uri = format!("file:{}?mode=ro", uri_path(&canonical(path)));
        let mut conn = diesel::sqlite::SqliteConnection::establish(&uri)
            .map(Conn::Sqlite)
            .map_err(|e| format!("cannot open the source {database}: {e}"))?;
        conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")
            .map_err(|e| format!("cannot open the source {database}: {e}"))?;
        return Ok(conn);
    }
    super::connect(database, timeout).map_err(|e| format!("source: {e}"))
}

/// A path as a SQLite URI path: characters with a meaning in URIs escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Starts a read transaction whose reads all see one snapshot.
fn begin_snapshot(conn: &mut Conn) -> QueryResult<()> {
    match conn {
        Conn::Sqlite(c) => c.batch_execute("BEGIN"),
        Conn::Postgres(c) => c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
    }
}

/// Checks that every table of the schema is either copied or excluded, and
/// that both lists name only tables of the schema.
pub fn classify(schema: &Schema) -> Result<(), String> {
    let present: BTreeSet<&str> = schema.tables.keys().map(String::as_str).collect();
    let known: BTreeSet<&str> = COPIED
        .iter()
        .copied()
        .chain(EXCLUDED.iter().map(|(t, _)| *t))
        .collect();
    let unknown: Vec<&str> = present.difference(&known).copied().collect();
    let gone: Vec<&str> = known.difference(&present).copied().collect();
    if unknown.is_empty() && gone.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "migrate-db does not know how to treat these tables: {unknown:?}; \
             it lists tables that are gone: {gone:?} (update COPIED/EXCLUDED in src/db/copy.rs)"
        ))
    }
}

/// The difference between two schemas' tables and columns (names and
/// types), if any.
fn same_shape(source: &Schema, target: &Schema) -> Result<(), String> {
    for (name, table) in &target.tables {
        let Some(theirs) = source.tables.get(name) else {
            return Err(format!("no table {name}"));
        };
        let columns = |t: &catalog::Table| {
            t.columns
                .iter()
                .map(|c| (c.name.clone(), c.sql_type.clone()))
                .collect::<Vec<_>>()
        };
        if columns(table) != columns(theirs) {
            return Err(format!("the columns of {name} differ"));
        }
    }
    if let Some(extra) = source
        .tables
        .keys()
        .find(|t| !target.tables.contains_key(*t))
    {
        return Err(format!("an unknown table {extra}"));
    }
    Ok(())
}

/// The copied tables, every one after the tables it references.
fn copy_order(schema: &Schema) -> Result<Vec<String>, String> {
    let mut order: Vec<String> = Vec::new();
    let mut left: Vec<&str> = COPIED.to_vec();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|table| {
            let ready = schema.tables[*table]
                .foreign_keys
                .iter()
                .all(|fk| fk.table == *table || order.contains(&fk.table));
            if ready {
                order.push((*table).to_string());
            }
            !ready
        });
        if left.len() == before {
            return Err(format!(
                "the foreign keys of {left:?} form a cycle or reference a table that is not copied"
            ));
        }
    }
    Ok(order)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut Conn, table: &str) -> QueryResult<u64> {
    let sql = format!("SELECT COUNT(*) AS n FROM {}", quote(table));
    let rows: Vec<Count> = match conn {
        Conn::Sqlite(c) => diesel::sql_query(sql).load(c)?,
        Conn::Postgres(c) => diesel::sql_query(sql).load(c)?,
    };
    Ok(rows.first().map_or(0, |r| r.n.max(0) as u64))
}

/// Tables of the target holding rows (other than what migrations seed),
/// with their row counts.
fn occupied_tables(conn: &mut Conn, schema: &Schema) -> QueryResult<Vec<(String, u64)>> {
    let mut occupied = Vec::new();
    for table in schema.tables.keys() {
        if SEEDED.contains(&table.as_str()) {
            continue;
        }
        let n = count(conn, table)?;
        if n > 0 {
            occupied.push((table.clone(), n));
        }
    }
    Ok(occupied)
}

/// Empties the target (inside the copy's transaction): every table, the
/// excluded ones too, children first.
fn clear(conn: &mut Conn, schema: &Schema, order: &[String]) -> Result<(), CopyError> {
    let mut tables: Vec<&str> = EXCLUDED.iter().map(|(t, _)| *t).collect();
    tables.extend(order.iter().rev().map(String::as_str));
    debug_assert_eq!(tables.len(), schema.tables.len());
    for table in tables {
        conn.batch_execute(&format!("DELETE FROM {}", quote(table)))?;
    }
    Ok(())
}

/// A column value, the same whichever backend it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// `Integer` and `BigInt`.
    Int(i64),
    /// `Text`.
    Text(String),
    /// `Bool` (0/1 on SQLite).
    Bool(bool),
    /// `Binary`.
    Bytes(Vec<u8>),
}

/// The column types a table may have; anything else stops the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bool,
    Bytes,
}

fn kind_of(table: &str, column: &catalog::Column) -> Result<Kind, String> {
    match column.sql_type.as_str() {
        "Integer" | "BigInt" => Ok(Kind::Int),
        "Text" => Ok(Kind::Text),
        "Bool" => Ok(Kind::Bool),
        "Binary" => Ok(Kind::Bytes),
        other => Err(format!(
            "column {table}.{} has type {other}, which migrate-db cannot copy",
            column.name
        )),
    }
}

impl Value {
    /// The value of a JSON cell of a column of `kind`.
    fn from_json(kind: Kind, cell: serde_json::Value) -> Result<Value, String> {
        use serde_json::Value as J;
        Ok(match (kind, cell) {
            (_, J::Null) => Value::Null,
            (Kind::Int, J::Number(n)) => {
                Value::Int(n.as_i64().ok_or_else(|| format!("{n} is not an integer"))?)
            }
            (Kind::Bool, J::Bool(b)) => Value::Bool(b),
            (Kind::Bool, J::Number(n)) if n.as_i64() == Some(0) => Value::Bool(false),
            (Kind::Bool, J::Number(n)) if n.as_i64() == Some(1) => Value::Bool(true),
            (Kind::Text, J::String(s)) => Value::Text(s),
            (Kind::Bytes, J::String(hex)) => Value::Bytes(from_hex(&hex)?),
            (kind, other) => return Err(format!("{other} is not a value of type {kind:?}")),
        })
    }

    /// Feeds the value into a checksum, tagged by type and length-prefixed.
    fn hash_into(&self, hasher: &mut Sha256) {
        match self {
            Value::Null => hasher.update(b"n"),
            Value::Int(i) => hasher.update(format!("i{i};")),
            Value::Bool(b) => hasher.update(if *b { b"b1" } else { b"b0" }),
            Value::Text(s) => {
                hasher.update(format!("t{}:", s.len()));
                hasher.update(s.as_bytes());
            }
            Value::Bytes(bytes) => {
                hasher.update(format!("x{}:", bytes.len()));
                hasher.update(bytes);
            }
        }
    }

    /// The value as an SQL literal for `conn`'s backend.
    fn literal(&self, postgres: bool) -> Result<String, String> {
        Ok(match self {
            Value::Null => "NULL".into(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => match (postgres, b) {
                (true, true) => "TRUE".into(),
                (true, false) => "FALSE".into(),
                (false, true) => "1".into(),
                (false, false) => "0".into(),
            },
            Value::Text(s) => {
                if s.contains('\0') {
                    return Err(
                        "a text holds a NUL character, which PostgreSQL cannot store".into(),
                    );
                }
                format!("'{}'", s.replace('\'', "''"))
            }
            Value::Bytes(bytes) => {
                let hex = to_hex(bytes);
                if postgres {
                    format!("'\\x{hex}'::bytea")
                } else {
                    format!("X'{hex}'")
                }
            }
        })
    }
}

fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn from_hex(hex: &str) -> Result<Vec<u8>, String> {
    if hex.len() % 2 != 0 {
        return Err("a blob's hex text has an odd length".into());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| "a blob's hex text is not hex".to_string())
        })
        .collect()
}

/// `"name"`: an identifier quoted for both backends.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    row: String,
}

/// Reads a table in primary-key order, one batch at a time, as rows of
/// [`Value`]s.
struct Reader<'a> {
    table: &'a str,
    kinds: Vec<Kind>,
    /// Positions of the primary key's columns among the table's.
    key: Vec<usize>,
    columns: &'a catalog::Table,
    batch: i64,
    last: Option<Vec<Value>>,
}

impl<'a> Reader<'a> {
    fn new(table: &'a str, columns: &'a catalog::Table) -> Result<Reader<'a>, String> {
        let kinds = columns
            .columns
            .iter()
            .map(|c| kind_of(table, c))
            .collect::<Result<Vec<_>, _>>()?;
        let key = columns
            .primary_key
            .iter()
            .map(|k| {
                columns
                    .columns
                    .iter()
                    .position(|c| &c.name == k)
                    .ok_or_else(|| format!("{table}: key column {k} is not a column"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if key.is_empty() {
            return Err(format!("{table} has no primary key to copy it in order"));
        }
        let batch = if kinds.contains(&Kind::Bytes) {
            BLOB_BATCH_ROWS
        } else {
            BATCH_ROWS
        };
        Ok(Reader {
            table,
            kinds,
            key,
            columns,
            batch,
            last: None,
        })
    }

    /// The next batch; empty at the end.
    fn next(&mut self, conn: &mut Conn) -> Result<Vec<Vec<Value>>, String> {
        let postgres = conn.is_postgres();
        let cells = self
            .columns
            .columns
            .iter()
            .zip(&self.kinds)
            .map(|(c, kind)| match (kind, postgres) {
                (Kind::Bytes, false) => format!("hex({})", quote(&c.name)),
                (Kind::Bytes, true) => format!("encode({}, 'hex')", quote(&c.name)),
                _ => quote(&c.name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        // Text keys in byte order on both backends.
        let key_column = |i: &usize| {
            let name = quote(&self.columns.columns[*i].name);
            if postgres && self.kinds[*i] == Kind::Text {
                format!("{name} COLLATE \"C\"")
            } else {
                name
            }
        };
        let keys = self.key.iter().map(key_column).collect::<Vec<_>>();
        let mut sql = if postgres {
            format!(
                "SELECT json_build_array({cells})::text AS row FROM {}",
                quote(self.table)
            )
        } else {
            format!(
                "SELECT json_array({cells}) AS row FROM {}",
                quote(self.table)
            )
        };
        if let Some(last) = &self.last {
            let values = self
                .key
                .iter()
                .map(|i| last[*i].literal(postgres))
                .collect::<Result<Vec<_>, _>>()?;
            let _ = write!(
                sql,
                " WHERE ({}) > ({})",
                keys.join(", "),
                values.join(", ")
            );
        }
        let _ = write!(sql, " ORDER BY {} LIMIT {}", keys.join(", "), self.batch);
        let rows: Vec<JsonRow> = match conn {
            Conn::Sqlite(c) => diesel::sql_query(sql).load(c),
            Conn::Postgres(c) => diesel::sql_query(sql).load(c),
        }
        .map_err(|e| format!("{}: {e}", self.table))?;
        let rows = rows
            .into_iter()
            .map(|r| self.decode(&r.row))
            .collect::<Result<Vec<_>, _>>()?;
        self.last = rows.last().cloned();
        Ok(rows)
    }

    fn decode(&self, json: &str) -> Result<Vec<Value>, String> {
        let cells: Vec<serde_json::Value> = serde_json::from_str(json)
            .map_err(|e| format!("{}: unreadable row: {e}", self.table))?;
        if cells.len() != self.kinds.len() {
            return Err(format!("{}: a row has {} columns", self.table, cells.len()));
        }
        cells
            .into_iter()
            .zip(&self.kinds)
            .zip(&self.columns.columns)
            .map(|((cell, kind), column)| {
                Value::from_json(*kind, cell)
                    .map_err(|e| format!("{}.{}: {e}", self.table, column.name))
            })
            .collect()
    }
}

fn hash_row(hasher: &mut Sha256, row: &[Value]) {
    for value in row {
        value.hash_into(hasher);
    }
    hasher.update(b"\n");
}

/// Copies one table; answers its row count and checksum as read.
fn copy_table(
    source: &mut Conn,
    target: &mut Conn,
    table: &str,
    columns: &catalog::Table,
    advanced: &mut dyn FnMut(u64),
) -> Result<(u64, String), CopyError> {
    let mut reader = Reader::new(table, columns).map_err(CopyError::Source)?;
    let postgres = target.is_postgres();
    let names = columns
        .columns
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut hasher = Sha256::new();
    let mut rows = 0;
    loop {
        let batch = reader.next(source).map_err(CopyError::Source)?;
        if batch.is_empty() {
            break;
        }
        for chunk in batch.chunks(INSERT_ROWS) {
            let mut sql = format!("INSERT INTO {} ({names}) VALUES ", quote(table));
            for (n, row) in chunk.iter().enumerate() {
                hash_row(&mut hasher, row);
                sql.push_str(if n == 0 { "(" } else { ", (" });
                for (i, value) in row.iter().enumerate() {
                    if i > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(
                        &value
                            .literal(postgres)
                            .map_err(|e| CopyError::Source(format!("{table}: {e}")))?,
                    );
                }
                sql.push(')');
            }
            target
                .batch_execute(&sql)
                .map_err(|e| CopyError::Target(format!("{table}: {e}")))?;
        }
        rows += batch.len() as u64;
        advanced(batch.len() as u64);
    }
    Ok((rows, to_hex(&hasher.finalize())))
}

/// The row count and checksum of a table, read in primary-key order.
fn checksum(
    conn: &mut Conn,
    table: &str,
    columns: &catalog::Table,
) -> Result<(u64, String), CopyError> {
    let mut reader = Reader::new(table, columns).map_err(CopyError::Target)?;
    let mut hasher = Sha256::new();
    let mut rows = 0;
    loop {
        let batch = reader.next(conn).map_err(CopyError::Target)?;
        if batch.is_empty() {
            break;
        }
        for row in &batch {
            hash_row(&mut hasher, row);
        }
        rows += batch.len() as u64;
    }
    Ok((rows, to_hex(&hasher.finalize())))
}

/// Moves every identity sequence of a PostgreSQL target past its table's
/// largest id, so new rows get fresh ids. SQLite needs nothing: a new row
/// takes the largest id plus one.
fn reset_sequences(conn: &mut Conn, schema: &Schema) -> Result<(), CopyError> {
    if !conn.is_postgres() {
        return Ok(());
    }
    for (name, table) in &schema.tables {
        let [key] = table.primary_key.as_slice() else {
            continue;
        };
        let integer = table
            .columns
            .iter()
            .any(|c| &c.name == key && c.sql_type == "Integer");
        if !integer {
            continue;
        }
        let table_literal = format!("'{}'", quote(name).replace('\'', "''"));
        let column_literal = format!("'{}'", key.replace('\'', "''"));
        conn.batch_execute(&format!(
            "SELECT setval(s, (SELECT COALESCE(MAX({key_q}), 0) + 1 FROM {table_q}), false) \
             FROM (SELECT pg_get_serial_sequence({table_literal}, {column_literal}) AS s) q \
             WHERE s IS NOT NULL",
            key_q = quote(key),
            table_q = quote(name),
        ))
        .map_err(|e| CopyError::Target(format!("resetting the id sequence of {name}: {e}")))?;
    }
    Ok(())
}

/// Moves the target's next outbox id past the source's prune mark: entries
/// up to it were applied by every node (and the copied `index_nodes` say
/// so), so a new change must get a larger id or no index would apply it.
/// The source's own counter was already there; a copy rebuilds it from the
/// rows left, which may all have been pruned.
fn advance_outbox_ids(conn: &mut Conn) -> Result<(), CopyError> {
    let next = "(SELECT MAX(n) FROM (SELECT COALESCE(MAX(id), 0) AS n FROM search_outbox \
                UNION ALL SELECT pruned_through FROM search_outbox_state) m)";
    let sql = if conn.is_postgres() {
        format!("SELECT setval(pg_get_serial_sequence('search_outbox', 'id'), {next} + 1, false)")
    } else {
        // AUTOINCREMENT keeps its counter in sqlite_sequence (no unique name).
        format!(
            "UPDATE sqlite_sequence SET seq = {next} WHERE name = 'search_outbox'; \
             INSERT INTO sqlite_sequence (name, seq) SELECT 'search_outbox', {next} \
             WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'search_outbox');"
        )
    };
    conn.batch_execute(&sql)
        .map_err(|e| CopyError::Target(format!("moving the outbox ids past the prune mark: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migrated_sqlite(dir: &Path, name: &str) -> Database {
        let db = Database::Sqlite(dir.join(name));
        crate::db::open(&db, PoolSettings::sized(1)).expect("open");
        db
    }

    #[test]
    fn every_table_of_the_schema_is_copied_or_excluded() {
        let dir = tempfile::tempdir().expect("dir");
        let db = migrated_sqlite(dir.path(), "s.db");
        let pool = crate::db::open(&db, PoolSettings::sized(1)).expect("open");
        let schema = catalog::describe(&mut pool.get().expect("conn")).expect("schema");
        let schema_tables: BTreeSet<&str> = schema.tables.keys().map(String::as_str).collect();
        let classified: BTreeSet<&str> = COPIED
            .iter()
            .copied()
            .chain(EXCLUDED.iter().map(|(t, _)| *t))
            .collect();
        assert_eq!(schema_tables, classified);
        assert_eq!(
            classified.len(),
            COPIED.len() + EXCLUDED.len(),
            "listed twice"
        );
        assert!(classify(&schema).is_ok());
        let order = copy_order(&schema).expect("order");
        let at = |t: &str| order.iter().position(|o| o == t).expect(t);
        assert!(at("users") < at("questions"));
        assert!(at("questions") < at("answers"));
        assert!(at("search_log") < at("search_clicks"));
        assert!(at("manuals") < at("articles") && at("articles") < at("article_revisions"));

        let mut shrunk = schema.clone();
        shrunk
            .tables
            .insert("conversations".into(), Default::default());
        let err = classify(&shrunk).unwrap_err();
        assert!(err.contains("conversations"), "{err}");
    }

    #[test]
    fn values_read_the_same_from_either_backend() {
        use serde_json::json;
        assert_eq!(
            Value::from_json(Kind::Bool, json!(1)),
            Value::from_json(Kind::Bool, json!(true))
        );
        assert_eq!(
            Value::from_json(Kind::Bytes, json!("0AFF")),
            Value::from_json(Kind::Bytes, json!("0aff"))
        );
        assert_eq!(
            Value::from_json(Kind::Bytes, json!("0aff")),
            Ok(Value::Bytes(vec![10, 255]))
        );
        assert!(Value::from_json(Kind::Int, json!("7")).is_err());
        assert_eq!(Value::Text("it's".into()).literal(true).unwrap(), "'it''s'");
        assert_eq!(
            Value::Bytes(vec![1, 2]).literal(true).unwrap(),
            "'\\x0102'::bytea"
        );
        assert_eq!(Value::Bytes(vec![1, 2]).literal(false).unwrap(), "X'0102'");
        assert!(Value::Text("a\0b".into()).literal(true).is_err());
        // A NULL and an empty text, or "1" and 1, hash differently.
        let digest = |row: &[Value]| {
            let mut h = Sha256::new();
            hash_row(&mut h, row);
            to_hex(&h.finalize())
        };
        assert_ne!(
            digest(&[Value::Null]),
            digest(&[Value::Text(String::new())])
        );
        assert_ne!(digest(&[Value::Int(1)]), digest(&[Value::Text("1".into())]));
        assert_ne!(
            digest(&[Value::Text("ab".into()), Value::Text("c".into())]),
            digest(&[Value::Text("a".into()), Value::Text("bc".into())])
        );
    }

    #[test]
    fn arguments_are_checked() {
        assert!(parse_database("--from", "").is_err());
        let err = parse_database("--to", "mysql://u:pw@h/db").unwrap_err();
        assert!(
            err.contains("unknown database scheme") && !err.contains("pw"),
            "{err}"
        );
        let err = parse_database("--to", "postgres://u:pw@h:5432").unwrap_err();
        assert!(
            err.contains("names no database") && !err.contains("pw"),
            "{err}"
        );
        assert_eq!(
            parse_database("--from", "sqlite://data/s.db").unwrap(),
            Database::Sqlite("data/s.db".into())
        );
        assert_eq!(
            parse_database("--from", "data/s.db").unwrap(),
            Database::Sqlite("data/s.db".into())
        );
        assert!(same_database(
            &Database::Postgres("postgres://a:b@Host/site".into()),
            &Database::Postgres("postgres://c@host:5432/site?sslmode=disable".into())
        ));
        assert!(!same_database(
            &Database::Postgres("postgres://a:b@host/site".into()),
            &Database::Postgres("postgres://a:b@host/other".into())
        ));
    }

    #[test]
    fn a_differing_count_or_checksum_is_a_mismatch() {
        let check = |rows: u64, sha: &str| TableCheck {
            table: "users".into(),
            source_rows: 3,
            target_rows: rows,
            source_sha256: "ab".repeat(32),
            target_sha256: sha.into(),
        };
        let good = Report {
            tables: vec![check(3, &"ab".repeat(32))],
            deleted_rows: 0,
        };
        assert!(good.all_match());
        assert!(good.render().contains(" ok\n"));
        for bad in [check(2, &"ab".repeat(32)), check(3, &"cd".repeat(32))] {
            let report = Report {
                tables: vec![bad],
                deleted_rows: 0,
            };
            assert!(!report.all_match());
            assert!(report.render().contains("MISMATCH"), "{}", report.render());
        }
    }

    #[test]
    fn same_file_by_another_path_is_the_same_database() {
        let dir = tempfile::tempdir().expect("dir");
        let db = migrated_sqlite(dir.path(), "s.db");
        let other = Database::Sqlite(dir.path().join(".").join("s.db"));
        let options = Options {
            overwrite_target: false,
            timeout: Duration::from_secs(2),
        };
        let err = migrate(&db, &other, &options, &|_, _, _| {}).unwrap_err();
        assert!(err.contains("same database"), "{err}");
    }
}
