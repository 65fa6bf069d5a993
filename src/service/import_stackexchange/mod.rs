//! Import of a Stack Exchange data dump (`Users.xml`, `Posts.xml`; `Tags.xml`
//! and `Comments.xml` are not needed). The XML is streamed row by row, so
//! memory stays flat whatever the dump size. Users become placeholder
//! accounts that cannot sign in; post bodies keep their HTML, sanitized with
//! the same allow-list as posts written here, and are marked as HTML.
//! An `import_map` table remembers every imported row, so running the import
//! again adds nothing twice. Malformed rows are reported with their Id and
//! skipped; a file that is not XML, or ends early, stops with a clear error.
//!
//! Only the attributes the import uses are decoded, each within a size
//! limit ([`BODY_MAX_BYTES`], [`TITLE_MAX_CHARS`], [`FIELD_MAX_BYTES`]): a row
//! with a larger value, an unknown entity such as `&xxe;` or a broken
//! attribute is skipped and reported with its Id, and the import goes on.
//!
//! The steps: read the users (`accounts`), stream the posts and write them in
//! batches (`posts`), then settle what needs every post (accepted answers,
//! counts, the search outbox). `xml` reads the dump files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use diesel::prelude::*;

use crate::db::schema::{import_map, users};
use crate::db::{per_backend, Conn};
use crate::error::{AppError, AppResult};
use crate::ids::UserId;

mod accounts;
mod bulk;
mod pipeline;
mod posts;
mod xml;

#[cfg(test)]
use xml::parse_date;
pub use xml::parse_tags;

/// Builds again the post tables' secondary indexes that an import stopped
/// midway (killed, power cut) left dropped; every start runs it, so such a
/// site is slow only until its next start, not until its next import.
/// Returns how many were built (SQLite; PostgreSQL keeps its indexes).
pub fn heal_indexes(conn: &mut Conn) -> AppResult<usize> {
    bulk::restore_indexes(conn)
}

/// Source name in `import_map`.
const SOURCE: &str = "stackexchange";
/// Rows written per transaction.
const BATCH: usize = 2000;
/// Largest post body imported (decoded), as for posts written here.
pub const BODY_MAX_BYTES: usize = 256 * 1024;
/// Longest question title imported.
pub const TITLE_MAX_CHARS: usize = 300;
/// Largest value of any other attribute the import reads (ids, dates, tags,
/// names); attributes it does not read are never decoded.
pub const FIELD_MAX_BYTES: usize = 1024;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Users created.
    pub users: usize,
    /// Questions created.
    pub questions: usize,
    /// Answers created.
    pub answers: usize,
    /// Rows already imported before.
    pub already: usize,
    /// Rows skipped, each with its Id and why.
    pub skipped: Vec<String>,
}

/// Progress callback: `(bytes read, total bytes, posts imported)`.
pub type Progress<'a> = &'a dyn Fn(u64, u64, u64);

/// What an import does with the secondary indexes of the post tables while
/// the posts stream in (SQLite; PostgreSQL always keeps them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Indexes {
    /// Drops them when the dump is large against the site.
    #[default]
    Auto,
    /// Drops them whatever the sizes.
    Drop,
    /// Keeps them up to date row by row.
    Keep,
}

/// Imports the dump in `dir`.
///
/// On SQLite, a dump large against the site streams in with the post
/// tables' secondary indexes dropped; they are built again before the
/// counts are settled, also when the streaming failed (see `bulk`).
pub fn import(conn: &mut Conn, dir: &Path, progress: Progress<'_>) -> AppResult<ImportReport> {
    import_using(conn, dir, Indexes::Auto, progress)
}

/// [`import`], deciding what to do with the indexes.
pub fn import_using(
    conn: &mut Conn,
    dir: &Path,
    indexes: Indexes,
    progress: Progress<'_>,
) -> AppResult<ImportReport> {
    let (users_path, posts_path) = dump_files(dir)?;
    // Indexes a killed import left dropped come back first.
    bulk::restore_indexes(conn)?;
    let settings = bulk::Settings::apply(conn)?;
    let imported = import_with(conn, &users_path, &posts_path, indexes, progress);
    let restored = settings.restore(conn);
    let report = imported?;
    restored?;
    Ok(report)
}

/// The import proper, on a connection set up for it.
fn import_with(
    conn: &mut Conn,
    users_path: &Path,
    posts_path: &Path,
    indexes: Indexes,
    progress: Progress<'_>,
) -> AppResult<ImportReport> {
    let now = crate::db::unix_now();
    let mut report = ImportReport::default();
    let user_ids = accounts::import_users(conn, users_path, now, &mut report)?;
    let ghost = ghost_user(conn, now)?;
    let mut posts = posts::PostImport::start(conn, user_ids, ghost, now)?;
    let dump_posts = bulk::estimated_posts(std::fs::metadata(posts_path).map_or(0, |m| m.len()));
    let drop = match indexes {
        Indexes::Auto => bulk::worth_dropping(conn, dump_posts)?,
        Indexes::Drop => true,
        Indexes::Keep => false,
    };
    let dropped = drop && bulk::drop_indexes(conn)? > 0;
    let streamed = posts.stream(conn, posts_path, &mut report, progress);
    // Built again whether the streaming ended well or not.
    let restored = if dropped {
        bulk::restore_indexes(conn).map(|_| ())
    } else {
        Ok(())
    };
    // What was committed is settled even when the streaming failed, so the
    // run that finishes the job finds counts and accepted answers right.
    let finished = restored.and_then(|()| posts.finish(conn, &mut report));
    streamed?;
    finished?;
    Ok(report)
}

/// `Users.xml` and `Posts.xml` in `dir`, or what is missing.
fn dump_files(dir: &Path) -> AppResult<(PathBuf, PathBuf)> {
    let users_path = dir.join("Users.xml");
    let posts_path = dir.join("Posts.xml");
    for path in [&users_path, &posts_path] {
        if !path.is_file() {
            return Err(AppError::BadRequest(format!(
                "{} is missing: point at the folder of an unpacked Stack Exchange dump",
                path.display()
            )));
        }
    }
    Ok((users_path, posts_path))
}

/// Every row of `kind` imported before: source id to local id.
fn imported(conn: &mut Conn, kind: &str) -> QueryResult<HashMap<i64, i32>> {
    Ok(import_map::table
        .filter(import_map::source.eq(SOURCE))
        .filter(import_map::kind.eq(kind))
        .select((import_map::source_id, import_map::local_id))
        .load::<(i64, i32)>(conn)?
        .into_iter()
        .collect())
}

/// Import rows per statement (4 bound values each).
const MAP_ROWS: usize = 4000;

/// Records that each row `source_id` of `kind` became `local_id`, in
/// multi-row inserts.
fn remember_many(conn: &mut Conn, kind: &str, pairs: &[(i64, i32)]) -> QueryResult<()> {
    for chunk in pairs.chunks(MAP_ROWS) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(source_id, local_id)| {
                (
                    import_map::source.eq(SOURCE),
                    import_map::kind.eq(kind),
                    import_map::source_id.eq(*source_id),
                    import_map::local_id.eq(*local_id),
                )
            })
            .collect();
        per_backend!(conn, |c| diesel::insert_into(import_map::table)
            .values(&rows)
            .execute(c))?;
    }
    Ok(())
}

/// The placeholder account that owns posts whose author is unknown.
fn ghost_user(conn: &mut Conn, now: i64) -> AppResult<UserId> {
    if let Some(id) = users::table
        .filter(users::username_key.eq("se-ghost"))
        .select(users::id)
        .first(conn)
        .optional()?
    {
        return Ok(id);
    }
    Ok(diesel::insert_into(users::table)
        .values((
            users::username.eq("se-ghost"),
            users::username_key.eq("se-ghost"),
            users::display_name.eq("Former member"),
            users::role.eq("member"),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tag_formats() {
        assert_eq!(
            parse_tags("<linux><bash-scripting><linux>"),
            ["linux", "bash-scripting"]
        );
        assert_eq!(parse_tags("|c#|.net|"), ["c#", ".net"]);
        assert!(parse_tags("").is_empty());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-02T00:00:01.000"), Some(86_401));
        assert_eq!(parse_date("garbage"), None);
    }
}
