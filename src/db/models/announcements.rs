//! Site-wide announcements (`announcements`): planned changes and outages
//! shown as a banner while `starts_at <= now < ends_at`.

use diesel::prelude::*;

use crate::db::schema::announcements;
use crate::db::{row_columns, Conn};
use crate::ids::{AnnouncementId, UserId};
use crate::kinds::Severity;

/// An announcement row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = announcements)]
pub struct Announcement {
    /// Row id.
    pub id: AnnouncementId,
    /// Plain-text title.
    pub title: String,
    /// Inline markdown source.
    pub body: String,
    /// How serious it is.
    pub severity: Severity,
    /// When the banner starts showing (unix seconds).
    pub starts_at: i64,
    /// When it stops (unix seconds); `None`: until staff end it.
    pub ends_at: Option<i64>,
    /// Grows with every edit (dismissals name a revision).
    pub revision: i32,
    /// Who wrote it (`None` once that account is gone).
    pub created_by: Option<UserId>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last edit.
    pub updated_at: i64,
}

impl Announcement {
    /// Whether the banner shows at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.starts_at <= now && self.ends_at.is_none_or(|end| now < end)
    }

    /// Whether it starts after `now`.
    pub fn is_planned(&self, now: i64) -> bool {
        self.starts_at > now
    }

    /// When it last changed as the public sees it: its start, or a later edit.
    pub fn published_at(&self) -> i64 {
        self.starts_at.max(self.updated_at)
    }
}

/// The fields staff write (new or edited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementFields {
    /// Plain-text title.
    pub title: String,
    /// Inline markdown.
    pub body: String,
    /// How serious it is.
    pub severity: Severity,
    /// Start (unix seconds).
    pub starts_at: i64,
    /// End (unix seconds), if known.
    pub ends_at: Option<i64>,
}

/// Inserts an announcement.
pub fn insert(
    conn: &mut Conn,
    fields: &AnnouncementFields,
    author: UserId,
    now: i64,
) -> QueryResult<Announcement> {
    diesel::insert_into(announcements::table)
        .values((
            announcements::title.eq(&fields.title),
            announcements::body.eq(&fields.body),
            announcements::severity.eq(fields.severity),
            announcements::starts_at.eq(fields.starts_at),
            announcements::ends_at.eq(fields.ends_at),
            announcements::revision.eq(1),
            announcements::created_by.eq(Some(author)),
            announcements::created_at.eq(now),
            announcements::updated_at.eq(now),
        ))
        .returning(row_columns::<Announcement>())
        .get_result(conn)
}

/// Replaces the fields of announcement `id` and bumps its revision.
pub fn update(
    conn: &mut Conn,
    id: AnnouncementId,
    fields: &AnnouncementFields,
    now: i64,
) -> QueryResult<Option<Announcement>> {
    diesel::update(announcements::table.find(id))
        .set((
            announcements::title.eq(&fields.title),
            announcements::body.eq(&fields.body),
            announcements::severity.eq(fields.severity),
            announcements::starts_at.eq(fields.starts_at),
            announcements::ends_at.eq(fields.ends_at),
            announcements::revision.eq(announcements::revision + 1),
            announcements::updated_at.eq(now),
        ))
        .returning(row_columns::<Announcement>())
        .get_result(conn)
        .optional()
}

/// Ends announcement `id` at `now` (if it had not ended already); a planned
/// one that never started ends at its start, so it never shows.
pub fn end(conn: &mut Conn, id: AnnouncementId, now: i64) -> QueryResult<Option<Announcement>> {
    let Some(row) = find(conn, id)? else {
        return Ok(None);
    };
    if row.ends_at.is_some_and(|end| end <= now) {
        return Ok(Some(row));
    }
    diesel::update(announcements::table.find(id))
        .set((
            announcements::ends_at.eq(Some(now.max(row.starts_at))),
            announcements::updated_at.eq(now),
        ))
        .returning(row_columns::<Announcement>())
        .get_result(conn)
        .optional()
}

/// One announcement.
pub fn find(conn: &mut Conn, id: AnnouncementId) -> QueryResult<Option<Announcement>> {
    announcements::table
        .find(id)
        .select(row_columns::<Announcement>())
        .first(conn)
        .optional()
}

/// Announcements that have not ended at `now` (live and planned), by start.
pub fn not_ended(conn: &mut Conn, now: i64) -> QueryResult<Vec<Announcement>> {
    announcements::table
        .filter(
            announcements::ends_at
                .is_null()
                .or(announcements::ends_at.gt(now)),
        )
        .order((announcements::starts_at.asc(), announcements::id.asc()))
        .select(row_columns::<Announcement>())
        .load(conn)
}

/// Announcements that ended at or before `now`, latest end first.
pub fn ended(conn: &mut Conn, now: i64, limit: i64) -> QueryResult<Vec<Announcement>> {
    announcements::table
        .filter(announcements::ends_at.le(now))
        .order((announcements::ends_at.desc(), announcements::id.desc()))
        .limit(limit)
        .select(row_columns::<Announcement>())
        .load(conn)
}

/// Announcements that have started by `now` (live or ended), the `limit`
/// most recently started or edited ([`Announcement::published_at`]) first:
/// the feed's and the public list's. The newest by the later of two columns
/// are among the newest by either, so two indexed reads find them.
pub fn started(conn: &mut Conn, now: i64, limit: i64) -> QueryResult<Vec<Announcement>> {
    let by_start: Vec<Announcement> = announcements::table
        .filter(announcements::starts_at.le(now))
        .order((announcements::starts_at.desc(), announcements::id.desc()))
        .limit(limit)
        .select(row_columns::<Announcement>())
        .load(conn)?;
    let by_edit: Vec<Announcement> = announcements::table
        .filter(announcements::starts_at.le(now))
        .order((announcements::updated_at.desc(), announcements::id.desc()))
        .limit(limit)
        .select(row_columns::<Announcement>())
        .load(conn)?;
    let mut rows = by_start;
    for row in by_edit {
        if !rows.iter().any(|r| r.id == row.id) {
            rows.push(row);
        }
    }
    rows.sort_by_key(|a| std::cmp::Reverse((a.published_at(), a.id)));
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(rows)
}
