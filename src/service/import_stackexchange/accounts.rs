//! The dump's users, as placeholder accounts that cannot sign in
//! (`se-<Id>`), read from `Users.xml` and written in batches.

use std::collections::HashMap;
use std::path::Path;

use diesel::prelude::*;

use super::xml::{attr, for_each_row, parse_date, Row, USER_FIELDS};
use super::{imported, remember, ImportReport, BATCH};
use crate::db::schema::users;
use crate::db::Conn;
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

/// Writes one batch of user rows in one transaction, skipping those without
/// a numeric Id and those imported before.
fn write_users(
    conn: &mut Conn,
    rows: &mut Vec<Row>,
    ids: &mut HashMap<i64, UserId>,
    now: i64,
    report: &mut ImportReport,
) -> AppResult<()> {
    conn.immediate_transaction(|conn| -> AppResult<()> {
        for row in rows.drain(..) {
            let Some(source_id) = attr(&row, "Id").and_then(|v| v.parse::<i64>().ok()) else {
                report
                    .skipped
                    .push("Users.xml row without a numeric Id".into());
                continue;
            };
            if ids.contains_key(&source_id) {
                report.already += 1;
                continue;
            }
            let id = insert_user(conn, &row, source_id, now)?;
            remember(conn, "user", source_id, id.into())?;
            ids.insert(source_id, id);
            report.users += 1;
        }
        Ok(())
    })
}

/// Inserts one user: the display name cleaned of control characters and
/// cut at 50 (`User <Id>` when empty), created when the dump says.
fn insert_user(conn: &mut Conn, row: &Row, source_id: i64, now: i64) -> QueryResult<UserId> {
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
    let username = format!("se-{source_id}");
    diesel::insert_into(users::table)
        .values((
            users::username.eq(&username),
            users::username_key.eq(&username),
            users::display_name.eq(&name),
            users::role.eq("member"),
            users::created_at.eq(created),
            users::updated_at.eq(created),
        ))
        .returning(users::id)
        .get_result(conn)
}
