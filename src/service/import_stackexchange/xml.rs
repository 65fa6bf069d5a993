//! Reading a dump file: the XML streamed row by row, only the attributes the
//! import uses decoded, each within its size limit, and the values those
//! attributes hold (dates, tag lists).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{BODY_MAX_BYTES, FIELD_MAX_BYTES, TITLE_MAX_CHARS};
use crate::error::{AppError, AppResult};

/// How much longer than its decoded limit a value may be as written in the
/// file (`&quot;` is six bytes for one) before it is refused unread.
const ESCAPED_RATIO: usize = 6;
/// The reading buffer is given back when one element made it larger.
const BUFFER_KEEP: usize = 4 << 20;

/// One `<row …/>` as the attribute pairs the import reads.
pub(super) type Row = Vec<(&'static str, String)>;

/// How large one attribute's decoded value may be.
#[derive(Debug, Clone, Copy)]
pub(super) enum Limit {
    /// At most this many bytes.
    Bytes(usize),
    /// At most this many characters.
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

    /// Whether a decoded value is within the limit.
    fn allows(self, value: &str) -> bool {
        match self {
            Limit::Bytes(n) => value.len() <= n,
            Limit::Chars(n) => value.len() <= n || value.chars().count() <= n,
        }
    }

    /// The limit, as said in a skip reason.
    fn describe(self) -> String {
        match self {
            Limit::Bytes(n) if n % 1024 == 0 => format!("{} KiB", n / 1024),
            Limit::Bytes(n) => format!("{n} bytes"),
            Limit::Chars(n) => format!("{n} characters"),
        }
    }
}

/// The limit of every small attribute.
const SMALL: Limit = Limit::Bytes(FIELD_MAX_BYTES);

/// The attributes read from `Users.xml`.
pub(super) const USER_FIELDS: &[(&str, Limit)] = &[
    ("Id", SMALL),
    ("DisplayName", SMALL),
    ("CreationDate", SMALL),
];

/// The attributes read from `Posts.xml`.
pub(super) const POST_FIELDS: &[(&str, Limit)] = &[
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

/// The value of attribute `name` in `row`, if it was read.
pub(super) fn attr<'a>(row: &'a Row, name: &str) -> Option<&'a str> {
    row.iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}

/// Streams the rows of one dump file into `each`, each row read or the
/// reason it is skipped; errors in the file's structure name the file and
/// position and stop the import.
pub(super) fn for_each_row(
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
pub(super) fn parse_date(text: &str) -> Option<i64> {
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
