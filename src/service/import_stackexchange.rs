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

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use diesel::prelude::*;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::db::schema::{
    answers, import_map, question_tags, questions, search_outbox, tags, users,
};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::kinds::DocKind;
use crate::markdown::{self, Profile};

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
/// How much longer than its decoded limit a value may be as written in the
/// file (`&quot;` is six bytes for one) before it is refused unread.
const ESCAPED_RATIO: usize = 6;
/// The reading buffer is given back when one element made it larger.
const BUFFER_KEEP: usize = 4 << 20;

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

/// One `<row …/>` as the attribute pairs the import reads.
type Row = Vec<(&'static str, String)>;

/// How large one attribute's decoded value may be.
#[derive(Debug, Clone, Copy)]
enum Limit {
    Bytes(usize),
    Chars(usize),
}

impl Limit {
    /// Most bytes the decoded value can have.
    fn max_bytes(self) -> usize {
        match self {
            Limit::Bytes(n) => n,
            Limit::Chars(n) => n * 4,
        }
    }

    fn allows(self, value: &str) -> bool {
        match self {
            Limit::Bytes(n) => value.len() <= n,
            Limit::Chars(n) => value.len() <= n || value.chars().count() <= n,
        }
    }

    fn describe(self) -> String {
        match self {
            Limit::Bytes(n) if n % 1024 == 0 => format!("{} KiB", n / 1024),
            Limit::Bytes(n) => format!("{n} bytes"),
            Limit::Chars(n) => format!("{n} characters"),
        }
    }
}

const SMALL: Limit = Limit::Bytes(FIELD_MAX_BYTES);

/// The attributes read from `Users.xml`.
const USER_FIELDS: &[(&str, Limit)] = &[
    ("Id", SMALL),
    ("DisplayName", SMALL),
    ("CreationDate", SMALL),
];

/// The attributes read from `Posts.xml`.
const POST_FIELDS: &[(&str, Limit)] = &[
    ("Id", SMALL),
    ("PostTypeId", SMALL),
    ("ParentId", SMALL),
    ("AcceptedAnswerId", SMALL),
    ("OwnerUserId", SMALL),
    ("Score", SMALL),
    ("CreationDate", SMALL),
    ("LastActivityDate", SMALL),
    ("Tags", SMALL),
    ("Title", Limit::Chars(TITLE_MAX_CHARS)),
    ("Body", Limit::Bytes(BODY_MAX_BYTES)),
];

/// Reads the attributes in `fields` from one row; anything wrong with them
/// is the reason to skip the row, naming its Id.
fn read_row(
    element: &quick_xml::events::BytesStart<'_>,
    file: &str,
    fields: &[(&'static str, Limit)],
    position: u64,
) -> Result<Row, String> {
    let mut row = Row::new();
    let mut problem: Option<String> = None;
    for attribute in element.attributes() {
        let attribute = match attribute {
            Ok(a) => a,
            Err(err) => {
                problem.get_or_insert(format!("broken attribute: {err}"));
                break;
            }
        };
        let key = attribute.key.as_ref();
        let Some(&(name, limit)) = fields.iter().find(|(name, _)| *name == key) else {
            continue;
        };
        if problem.is_some() && name != "Id" {
            continue;
        }
        let too_large = || format!("{name} is larger than {}", limit.describe());
        if attribute.value.len() > limit.max_bytes() * ESCAPED_RATIO {
            problem.get_or_insert_with(too_large);
            continue;
        }
        match attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            Ok(value) if limit.allows(&value) => row.push((name, value.into_owned())),
            Ok(_) => {
                problem.get_or_insert_with(too_large);
            }
            Err(err) => {
                problem.get_or_insert(format!("bad value of {name}: {err}"));
            }
        }
    }
    match problem {
        None => Ok(row),
        Some(problem) => {
            let id = attr(&row, "Id")
                .map(str::to_string)
                .unwrap_or_else(|| format!("? (at byte {position})"));
            Err(format!("{file} row Id={id}: {problem}"))
        }
    }
}

fn attr<'a>(row: &'a Row, name: &str) -> Option<&'a str> {
    row.iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}

/// Streams the rows of one dump file into `each`, each row read or the
/// reason it is skipped; errors in the file's structure name the file and
/// position and stop the import.
fn for_each_row(
    path: &Path,
    fields: &[(&'static str, Limit)],
    mut each: impl FnMut(Result<Row, String>, u64) -> AppResult<()>,
) -> AppResult<()> {
    let name = path.display().to_string();
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| name.clone());
    let file =
        File::open(path).map_err(|e| AppError::BadRequest(format!("{name}: cannot open: {e}")))?;
    let mut reader = Reader::from_reader(BufReader::with_capacity(1 << 20, file));
    let mut buf = Vec::with_capacity(8192);
    let mut depth = 0usize;
    let mut saw_root = false;
    loop {
        let position = reader.buffer_position();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                if e.name().as_ref() == "row" {
                    return Err(AppError::BadRequest(format!(
                        "{name}: a <row> element must be empty (<row …/>) at byte {position}"
                    )));
                }
                saw_root = true;
                depth += 1;
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Empty(e)) if e.name().as_ref() == "row" => {
                each(read_row(&e, &file_name, fields, position), position)?;
            }
            Ok(Event::Eof) => {
                if !saw_root {
                    return Err(AppError::BadRequest(format!(
                        "{name}: not a Stack Exchange dump file (no XML root element found)"
                    )));
                }
                if depth > 0 {
                    return Err(AppError::BadRequest(format!(
                        "{name}: the file ends early (truncated?) at byte {position}"
                    )));
                }
                return Ok(());
            }
            Ok(_) => {}
            Err(e) => {
                let text = e.to_string();
                let hint = if text.contains("end of input") {
                    " (the file ends early: truncated?)"
                } else {
                    ""
                };
                return Err(AppError::BadRequest(format!(
                    "{name}: not valid XML at byte {position}{hint}: {text}"
                )));
            }
        }
        if buf.capacity() > BUFFER_KEEP {
            buf = Vec::with_capacity(8192);
        } else {
            buf.clear();
        }
    }
}

/// `2010-07-28T19:04:21.300` -> unix seconds.
fn parse_date(text: &str) -> Option<i64> {
    let date = text.get(0..10)?;
    let mut parts = date.split('-');
    let (y, m, d): (i64, u32, u32) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    let time = text.get(11..19).unwrap_or("00:00:00");
    let mut t = time.split(':');
    let (h, mi, s): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    let days = chrono::NaiveDate::from_ymd_opt(y as i32, m, d)?
        .signed_duration_since(chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?)
        .num_days();
    Some(days * 86_400 + h * 3600 + mi * 60 + s)
}

/// `<a><b>` or `|a|b|` -> `["a", "b"]`, normalized like tags typed here.
pub fn parse_tags(text: &str) -> Vec<String> {
    let raw: Vec<&str> = if text.contains('<') {
        text.split(['<', '>']).filter(|t| !t.is_empty()).collect()
    } else {
        text.split('|').filter(|t| !t.is_empty()).collect()
    };
    raw.iter()
        .map(|t| {
            t.trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | '#'))
                .take(25)
                .collect::<String>()
        })
        .filter(|t| !t.is_empty())
        .fold(Vec::new(), |mut acc, t| {
            if !acc.contains(&t) && acc.len() < 5 {
                acc.push(t);
            }
            acc
        })
}

fn mapped(conn: &mut Conn, kind: &str, source_id: i64) -> QueryResult<Option<i32>> {
    import_map::table
        .filter(import_map::source.eq(SOURCE))
        .filter(import_map::kind.eq(kind))
        .filter(import_map::source_id.eq(source_id))
        .select(import_map::local_id)
        .first(conn)
        .optional()
}

fn remember(conn: &mut Conn, kind: &str, source_id: i64, local_id: i32) -> QueryResult<usize> {
    diesel::insert_into(import_map::table)
        .values((
            import_map::source.eq(SOURCE),
            import_map::kind.eq(kind),
            import_map::source_id.eq(source_id),
            import_map::local_id.eq(local_id),
        ))
        .execute(conn)
}

/// The placeholder account that owns posts whose author is unknown.
fn ghost_user(conn: &mut Conn, now: i64) -> AppResult<i32> {
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

/// Imports the dump in `dir`.
pub fn import(conn: &mut Conn, dir: &Path, progress: Progress<'_>) -> AppResult<ImportReport> {
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
    let now = crate::db::unix_now();
    let mut report = ImportReport::default();
    let mut user_ids: HashMap<i64, i32> = import_map::table
        .filter(import_map::source.eq(SOURCE))
        .filter(import_map::kind.eq("user"))
        .select((import_map::source_id, import_map::local_id))
        .load::<(i64, i32)>(conn)?
        .into_iter()
        .collect();

    // Users, in batches.
    let mut pending: Vec<Row> = Vec::new();
    let flush_users = |conn: &mut Conn,
                       rows: &mut Vec<Row>,
                       ids: &mut HashMap<i64, i32>,
                       report: &mut ImportReport|
     -> AppResult<()> {
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
                let name: String = attr(&row, "DisplayName")
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
                let created = attr(&row, "CreationDate")
                    .and_then(parse_date)
                    .unwrap_or(now);
                let username = format!("se-{source_id}");
                let id: i32 = diesel::insert_into(users::table)
                    .values((
                        users::username.eq(&username),
                        users::username_key.eq(&username),
                        users::display_name.eq(&name),
                        users::role.eq("member"),
                        users::created_at.eq(created),
                        users::updated_at.eq(created),
                    ))
                    .returning(users::id)
                    .get_result(conn)?;
                remember(conn, "user", source_id, id)?;
                ids.insert(source_id, id);
                report.users += 1;
            }
            Ok(())
        })
    };
    for_each_row(&users_path, USER_FIELDS, |row, _| {
        match row {
            Ok(row) => pending.push(row),
            Err(reason) => report.skipped.push(reason),
        }
        if pending.len() >= BATCH {
            flush_users(conn, &mut pending, &mut user_ids, &mut report)?;
        }
        Ok(())
    })?;
    flush_users(conn, &mut pending, &mut user_ids, &mut report)?;
    let ghost = ghost_user(conn, now)?;

    // Posts: questions and answers in file order, in batches.
    let total = std::fs::metadata(&posts_path).map(|m| m.len()).unwrap_or(0);
    let mut question_ids: HashMap<i64, i32> = import_map::table
        .filter(import_map::source.eq(SOURCE))
        .filter(import_map::kind.eq("question"))
        .select((import_map::source_id, import_map::local_id))
        .load::<(i64, i32)>(conn)?
        .into_iter()
        .collect();
    let mut answer_sources: std::collections::HashSet<i64> = import_map::table
        .filter(import_map::source.eq(SOURCE))
        .filter(import_map::kind.eq("answer"))
        .select(import_map::source_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let mut tag_ids: HashMap<String, i32> = tags::table
        .select((tags::name, tags::id))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .collect();
    let mut accepted: Vec<(i32, i64)> = Vec::new();
    let mut touched_questions: Vec<i32> = Vec::new();
    let mut posts = 0u64;
    let mut batch: Vec<Row> = Vec::new();
    let mut last_position = 0u64;
    let mut run_batch = |conn: &mut Conn,
                         rows: &mut Vec<Row>,
                         report: &mut ImportReport|
     -> AppResult<()> {
        conn.immediate_transaction(|conn| -> AppResult<()> {
            for row in rows.drain(..) {
                let id_text = attr(&row, "Id").unwrap_or("?").to_string();
                let Ok(source_id) = id_text.parse::<i64>() else {
                    report.skipped.push(format!("Posts.xml row Id={id_text}: Id is not a number"));
                    continue;
                };
                let kind = match attr(&row, "PostTypeId") {
                    Some("1") => "question",
                    Some("2") => "answer",
                    _ => continue, // wiki pages, tag excerpts and the like are not posts
                };
                if kind == "question" && question_ids.contains_key(&source_id) || kind == "answer" && answer_sources.contains(&source_id) {
                    report.already += 1;
                    continue;
                }
                let Some(body_source) = attr(&row, "Body") else {
                    report.skipped.push(format!("Posts.xml row Id={source_id}: no Body"));
                    continue;
                };
                let created = attr(&row, "CreationDate").and_then(parse_date).unwrap_or(now);
                let active = attr(&row, "LastActivityDate").and_then(parse_date).unwrap_or(created);
                let score: i32 = attr(&row, "Score").and_then(|v| v.parse().ok()).unwrap_or(0);
                let author = attr(&row, "OwnerUserId").and_then(|v| v.parse::<i64>().ok()).and_then(|u| user_ids.get(&u).copied()).unwrap_or(ghost);
                let html = markdown::sanitize(body_source, Profile::UserPost);
                let text = markdown::strip_tags(&html);
                if kind == "question" {
                    let Some(title) = attr(&row, "Title").map(str::trim).filter(|t| !t.is_empty()) else {
                        report.skipped.push(format!("Posts.xml row Id={source_id}: a question without a Title"));
                        continue;
                    };
                    let tag_list = parse_tags(attr(&row, "Tags").unwrap_or(""));
                    let qid: i32 = diesel::insert_into(questions::table)
                        .values((
                            questions::author_id.eq(author),
                            questions::title.eq(title),
                            questions::slug.eq(crate::service::questions::title_slug(title)),
                            questions::body_md.eq(body_source),
                            questions::body_html.eq(&html),
                            questions::body_text.eq(&text),
                            questions::tags.eq(tag_list.join(",")),
                            questions::score.eq(score),
                            questions::body_format.eq("html"),
                            (questions::created_at.eq(created), questions::updated_at.eq(active), questions::last_activity_at.eq(active)),
                        ))
                        .returning(questions::id)
                        .get_result(conn)?;
                    for name in &tag_list {
                        let tag_id = match tag_ids.get(name) {
                            Some(id) => *id,
                            None => {
                                let id: i32 = diesel::insert_into(tags::table).values(tags::name.eq(name)).returning(tags::id).get_result(conn)?;
                                tag_ids.insert(name.clone(), id);
                                id
                            }
                        };
                        diesel::insert_into(question_tags::table)
                            .values((question_tags::question_id.eq(qid), question_tags::tag_id.eq(tag_id), question_tags::created_at.eq(created)))
                            .execute(conn)?;
                    }
                    if let Some(answer) = attr(&row, "AcceptedAnswerId").and_then(|v| v.parse::<i64>().ok()) {
                        accepted.push((qid, answer));
                    }
                    remember(conn, "question", source_id, qid)?;
                    question_ids.insert(source_id, qid);
                    touched_questions.push(qid);
                    report.questions += 1;
                } else {
                    let Some(parent) = attr(&row, "ParentId").and_then(|v| v.parse::<i64>().ok()).and_then(|p| question_ids.get(&p).copied()) else {
                        report.skipped.push(format!("Posts.xml row Id={source_id}: an answer whose question (ParentId) is not in the dump"));
                        continue;
                    };
                    let aid: i32 = diesel::insert_into(answers::table)
                        .values((
                            answers::question_id.eq(parent),
                            answers::author_id.eq(author),
                            answers::body_md.eq(body_source),
                            answers::body_html.eq(&html),
                            answers::body_text.eq(&text),
                            answers::score.eq(score),
                            answers::body_format.eq("html"),
                            answers::created_at.eq(created),
                            answers::updated_at.eq(active),
                        ))
                        .returning(answers::id)
                        .get_result(conn)?;
                    remember(conn, "answer", source_id, aid)?;
                    answer_sources.insert(source_id);
                    touched_questions.push(parent);
                    report.answers += 1;
                }
                posts += 1;
            }
            Ok(())
        })
    };
    for_each_row(&posts_path, POST_FIELDS, |row, position| {
        match row {
            Ok(row) => batch.push(row),
            Err(reason) => report.skipped.push(reason),
        }
        last_position = position;
        if batch.len() >= BATCH {
            run_batch(conn, &mut batch, &mut report)?;
            progress(position, total, (report.questions + report.answers) as u64);
        }
        Ok(())
    })?;
    run_batch(conn, &mut batch, &mut report)?;
    progress(
        total.max(last_position),
        total,
        (report.questions + report.answers) as u64,
    );

    // Accepted answers, answer counts, tag counts and the search outbox.
    touched_questions.sort_unstable();
    touched_questions.dedup();
    conn.immediate_transaction(|conn| -> AppResult<()> {
        for (question, answer_source) in &accepted {
            match mapped(conn, "answer", *answer_source)? {
                Some(answer) => {
                    diesel::update(questions::table.find(question))
                        .set((
                            questions::accepted_answer_id.eq(Some(answer)),
                            questions::accepted_at.eq(questions::last_activity_at.nullable()),
                        ))
                        .execute(conn)?;
                }
                None => report.skipped.push(format!(
                    "accepted answer Id={answer_source} of an imported question is not in the dump"
                )),
            }
        }
        // Chunks stay below SQLite's limit on bound variables.
        for chunk in touched_questions.chunks(5000) {
            let counts: Vec<(i32, i64)> = answers::table
                .filter(answers::question_id.eq_any(chunk))
                .group_by(answers::question_id)
                .select((answers::question_id, diesel::dsl::count_star()))
                .load(conn)?;
            for (question, count) in counts {
                diesel::update(questions::table.find(question))
                    .set(questions::answer_count.eq(count as i32))
                    .execute(conn)?;
            }
        }
        let all_tags: Vec<i32> = tag_ids.values().copied().collect();
        crate::db::models::tags::refresh_counts(conn, &all_tags)?;
        for chunk in touched_questions.chunks(5000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|q| {
                    (
                        search_outbox::doc_kind.eq(DocKind::Question),
                        search_outbox::doc_id.eq(*q),
                        search_outbox::created_at.eq(now),
                    )
                })
                .collect();
            diesel::insert_into(search_outbox::table)
                .values(&rows)
                .execute(conn)?;
        }
        Ok(())
    })?;
    Ok(report)
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
