//! The dump's users, as placeholder accounts that cannot sign in
//! (`se-<Id>`), read from `Users.xml` and written in batches.

use std::collections::HashMap;
use std::path::Path;

use diesel::prelude::*;

use super::xml::{attr, for_each_row, parse_date, Row, USER_FIELDS};
use super::{imported, remember_many, ImportReport, BATCH};
use crate::db::schema::users;
use crate::db::{per_backend, Conn};
use crate::error::AppResult;
use crate::ids::UserId;

/// Imports every user of `Users.xml`; returns every imported user so far,
/// this run's and earlier runs', as source id to local id.
pub(super) fn import_users(
    conn: &mut Conn,
    path: &Path,
    now: i64,
    report: &mut ImportReport,
) -> AppResult<HashMap<i64, UserId>> {
    let mut ids: HashMap<i64, UserId> = imported(conn, "user")?
        .into_iter()
        .map(|(source, id)| (source, UserId(id)))
        .collect();
    let mut pending: Vec<Row> = Vec::new();
    for_each_row(path, USER_FIELDS, |row, _| {
        match row {
            Ok(row) => pending.push(row),
            Err(reason) => report.skipped.push(reason),
        }
        if pending.len() >= BATCH {
            write_users(conn, &mut pending, &mut ids, now, report)?;
        }
        Ok(())
    })?;
    write_users(conn, &mut pending, &mut ids, now, report)?;
    Ok(ids)
}

/// Writes one batch of user rows in one transaction, in multi-row inserts,
/// skipping those without a numeric Id and those imported before.
fn write_users(
    conn: &mut Conn,
    rows: &mut Vec<Row>,
    ids: &mut HashMap<i64, UserId>,
    now: i64,
    report: &mut ImportReport,
) -> AppResult<()> {
    let mut new = Vec::with_capacity(rows.len());
    let mut sources = Vec::with_capacity(rows.len());
    for row in rows.drain(..) {
        let Some(source_id) = attr(&row, "Id").and_then(|v| v.parse::<i64>().ok()) else {
            report
                .skipped
                .push("Users.xml row without a numeric Id".into());
            continue;
        };
        if ids.contains_key(&source_id) || sources.contains(&source_id) {
            report.already += 1;
            continue;
        }
        sources.push(source_id);
        new.push(new_user(&row, source_id, now));
    }
    if new.is_empty() {
        return Ok(());
    }
    conn.immediate_transaction(|conn| -> AppResult<()> {
        let mut pairs = Vec::with_capacity(new.len());
        for (chunk, chunk_sources) in new.chunks(USER_ROWS).zip(sources.chunks(USER_ROWS)) {
            let values: Vec<_> = chunk
                .iter()
                .map(|user| {
                    (
                        users::username.eq(&user.username),
                        users::username_key.eq(&user.username),
                        users::display_name.eq(&user.name),
                        users::role.eq("member"),
                        users::created_at.eq(user.created),
                        users::updated_at.eq(user.created),
                    )
                })
                .collect();
            let written: Vec<UserId> = per_backend!(conn, |c| diesel::insert_into(users::table)
                .values(&values)
                .returning(users::id)
                .get_results(c))?;
            let mut written = written;
            // Ascending ids follow the order of the rows (see `posts`).
            written.sort_unstable();
            for (source_id, id) in chunk_sources.iter().zip(written) {
                pairs.push((*source_id, i32::from(id)));
                ids.insert(*source_id, id);
            }
        }
        remember_many(conn, "user", &pairs)?;
        report.users += pairs.len();
        Ok(())
    })
}

/// Users per statement (6 bound values each).
const USER_ROWS: usize = 2000;

/// A user as written.
struct NewUser {
    username: String,
    name: String,
    created: i64,
}

/// One user: the display name cleaned of control characters and cut at 50
/// (`User <Id>` when empty), created when the dump says.
fn new_user(row: &Row, source_id: i64, now: i64) -> NewUser {
    let name: String = attr(row, "DisplayName")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(50)
        .collect();
    let name = if name.trim().is_empty() {
        format!("User {source_id}")
    } else {
        name
    };
    let created = attr(row, "CreationDate")
        .and_then(parse_date)
        .unwrap_or(now);
    NewUser {
        username: format!("se-{source_id}"),
        name,
        created,
    }
}
