//! Front matter of imported files: `+++` TOML (as in `content/`) or `---`
//! YAML. YAML is read by a small, strict parser for flat `key: value` lines,
//! quoted values, block scalars (`|`, `>`) and simple lists (`[a, b]` or
//! `- a` lines), without a YAML crate. Only the keys an article uses are read
//! (title, description, weight or order, tags, slug); other keys, nested maps
//! under them and dates are ignored. Malformed lines are reported with their
//! line and skipped; the rest of the file is still imported.

use std::collections::HashSet;

use serde::Deserialize;

/// The article fields front matter may set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Front {
    /// Title.
    pub title: Option<String>,
    /// One-sentence summary.
    pub description: Option<String>,
    /// Sort order (`weight` or `order`).
    pub weight: Option<i32>,
    /// Tags, as written.
    pub tags: Vec<String>,
    /// URL segment overriding the file name.
    pub slug: Option<String>,
}

/// A file split at its front matter.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// What the front matter set.
    pub front: Front,
    /// The markdown after the front matter.
    pub body: &'a str,
    /// File line (1-based) of the body's first line.
    pub body_first_line: usize,
    /// Malformed lines: (file line, message). The file is imported anyway.
    pub problems: Vec<(usize, String)>,
}

/// A problem that stops a file from being imported: (file line, message).
pub type Fatal = (usize, String);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TomlFront {
    title: Option<String>,
    description: Option<String>,
    weight: Option<i32>,
    order: Option<i32>,
    tags: Vec<String>,
    slug: Option<String>,
}

/// Splits `text` (BOM already removed) into front matter and body. A file
/// without front matter is all body; `---` without a closing line is a
/// thematic break, not front matter. Unclosed or unparsable TOML is fatal.
pub fn parse(text: &str) -> Result<Parsed<'_>, Fatal> {
    let delimiter = match text.lines().next().map(str::trim_end) {
        Some("+++") => "+++",
        Some("---") => "---",
        _ => return Ok(plain(text)),
    };
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n');
    if let Some(first) = lines.next() {
        offset += first.len();
    }
    let front_start = offset;
    for line in lines {
        let bare = line.trim_end();
        if bare == delimiter || (delimiter == "---" && bare == "...") {
            let front = &text[front_start..offset];
            let body = &text[offset + line.len()..];
            let body_first_line = 3 + front.matches('\n').count();
            let (front, problems) = if delimiter == "+++" {
                (parse_toml(front)?, Vec::new())
            } else {
                parse_yaml(front, 2)
            };
            return Ok(Parsed {
                front,
                body,
                body_first_line,
                problems,
            });
        }
        offset += line.len();
    }
    if delimiter == "+++" {
        return Err((
            1,
            "front matter is not closed: add a `+++` line after it".into(),
        ));
    }
    Ok(plain(text))
}

fn plain(text: &str) -> Parsed<'_> {
    Parsed {
        front: Front::default(),
        body: text,
        body_first_line: 1,
        problems: Vec::new(),
    }
}

fn parse_toml(front: &str) -> Result<Front, Fatal> {
    let parsed: TomlFront = toml::from_str(front).map_err(|e| {
        let line = e
            .span()
            .map(|span| front[..span.start.min(front.len())].matches('\n').count() + 2)
            .unwrap_or(1);
        (
            line,
            format!(
                "bad front matter: {}; the file was not imported",
                e.message().trim()
            ),
        )
    })?;
    Ok(Front {
        title: parsed.title,
        description: parsed.description,
        weight: parsed.weight.or(parsed.order),
        tags: parsed.tags,
        slug: parsed.slug,
    })
}

/// A YAML value as far as this parser understands it.
#[derive(Debug, PartialEq, Eq)]
enum Value {
    Scalar(String),
    List(Vec<String>),
    /// A nested mapping or other structure: fine under keys we ignore.
    Nested,
}

/// Parses flat YAML; `first_line` is the file line of the first front line.
fn parse_yaml(front: &str, first_line: usize) -> (Front, Vec<(usize, String)>) {
    let lines: Vec<&str> = front.lines().collect();
    let mut out = Front::default();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    let mut i = 0;
    while i < lines.len() {
        let line_no = first_line + i;
        let raw = lines[i];
        i += 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if raw.starts_with([' ', '\t']) || trimmed.starts_with('-') {
            problems.push((
                line_no,
                format!("malformed front matter line {trimmed:?}: expected `key: value` at the start of the line"),
            ));
            continue;
        }
        let Some((key, rest)) = split_key(raw) else {
            problems.push((
                line_no,
                format!("malformed front matter line {trimmed:?}: expected `key: value`"),
            ));
            continue;
        };
        let start = i;
        while i < lines.len() && is_continuation(lines[i]) {
            i += 1;
        }
        let block: Vec<(usize, &str)> = (start..i).map(|j| (first_line + j, lines[j])).collect();
        let value = match parse_value(rest, &block) {
            Ok(v) => v,
            Err(message) => {
                problems.push((line_no, format!("front matter key {key:?}: {message}")));
                continue;
            }
        };
        if !seen.insert(key.to_string()) {
            problems.push((
                line_no,
                format!("front matter key {key:?} appears twice; the first one is used"),
            ));
            continue;
        }
        if let Err(message) = apply(&mut out, key, value) {
            problems.push((line_no, format!("front matter key {key:?}: {message}")));
        }
    }
    (out, problems)
}

/// Sets a known key; other keys are ignored.
fn apply(front: &mut Front, key: &str, value: Value) -> Result<(), String> {
    let text = |value: Value| match value {
        Value::Scalar(s) => Ok(s),
        _ => Err("expected text on the same line".to_string()),
    };
    match key {
        "title" => front.title = Some(text(value)?).filter(|s| !s.trim().is_empty()),
        "description" => front.description = Some(text(value)?).filter(|s| !s.trim().is_empty()),
        "slug" => front.slug = Some(text(value)?).filter(|s| !s.trim().is_empty()),
        "weight" | "order" => {
            let raw = text(value)?;
            let n = raw
                .trim()
                .parse::<i32>()
                .map_err(|_| format!("expected a whole number, not {raw:?}"))?;
            if front.weight.is_none() || key == "weight" {
                front.weight = Some(n);
            }
        }
        "tags" => {
            front.tags = match value {
                Value::List(items) => items,
                Value::Scalar(s) => s.split(',').map(|t| t.trim().to_string()).collect(),
                Value::Nested => return Err("expected a list like [a, b]".into()),
            };
            front.tags.retain(|t| !t.is_empty());
        }
        _ => {}
    }
    Ok(())
}

/// `key: rest`, where the colon is followed by a space or the line end.
fn split_key(line: &str) -> Option<(&str, &str)> {
    let mut search = 0;
    while let Some(pos) = line[search..].find(':') {
        let at = search + pos;
        let after = &line[at + 1..];
        if after.is_empty() || after.starts_with([' ', '\t']) {
            let key = line[..at].trim();
            let valid = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            return valid.then_some((key, after.trim()));
        }
        search = at + 1;
    }
    None
}

/// Lines that belong to the key above: indented, blank, or list items.
fn is_continuation(line: &str) -> bool {
    let t = line.trim_start();
    line.trim().is_empty() || line.starts_with([' ', '\t']) || t.starts_with("- ") || t == "-"
}

/// The value of one key: `rest` is the text after the colon, `block` the
/// continuation lines below it.
fn parse_value(rest: &str, block: &[(usize, &str)]) -> Result<Value, String> {
    let content: Vec<&str> = block
        .iter()
        .map(|(_, l)| *l)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let rest = rest.trim();
    if rest.is_empty() || rest.starts_with('#') {
        return block_value(&content);
    }
    if let Some(style) = rest.strip_prefix(['|', '>']) {
        return block_scalar(rest, style, block);
    }
    if rest.starts_with('[') {
        return flow_list(rest, &content);
    }
    if rest.starts_with('{') {
        return Ok(Value::Nested);
    }
    if !content.is_empty() {
        return folded_scalar(rest, &content);
    }
    scalar(rest).map(Value::Scalar)
}

/// Nothing after the colon: empty, a `- item` list, or a nested mapping.
fn block_value(content: &[&str]) -> Result<Value, String> {
    if content.is_empty() {
        return Ok(Value::Scalar(String::new()));
    }
    let items: Vec<&str> = content.iter().map(|l| l.trim()).collect();
    if items.iter().all(|l| l.starts_with("- ") || *l == "-") {
        return items
            .iter()
            .map(|l| scalar(l.trim_start_matches('-').trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List);
    }
    Ok(Value::Nested)
}

/// A `|` (lines kept) or `>` (lines folded) block scalar; `style` is what
/// follows the indicator.
fn block_scalar(rest: &str, style: &str, block: &[(usize, &str)]) -> Result<Value, String> {
    let indicators_ok = style
        .split('#')
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .all(|c| matches!(c, '-' | '+') || c.is_ascii_digit());
    if !indicators_ok {
        return Err(format!(
            "unexpected text after the block indicator: {rest:?}"
        ));
    }
    let lines: Vec<&str> = block.iter().map(|(_, l)| l.trim()).collect();
    let joined = if rest.starts_with('|') {
        lines.join("\n")
    } else {
        lines
            .iter()
            .filter(|l| !l.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    };
    Ok(Value::Scalar(joined.trim().to_string()))
}

/// A `[a, b]` list, possibly continued on the lines below.
fn flow_list(rest: &str, content: &[&str]) -> Result<Value, String> {
    let mut all = rest.to_string();
    for line in content {
        all.push(' ');
        all.push_str(line.trim());
    }
    let all = strip_comment(&all);
    let inner = all
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or_else(|| "the list is not closed with `]`".to_string())?;
    split_flow(inner)?
        .iter()
        .map(|item| scalar(item))
        .filter(|item| !matches!(item, Ok(s) if s.is_empty()))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::List)
}

/// A plain value continued on the lines below, joined with spaces.
fn folded_scalar(rest: &str, content: &[&str]) -> Result<Value, String> {
    if rest.starts_with(['"', '\'']) {
        return Err("a quoted value must end on the same line".into());
    }
    if content.iter().any(|l| l.trim_start().starts_with('-')) {
        return Err("a value and list items cannot be mixed".into());
    }
    let mut joined = strip_comment(rest).to_string();
    for line in content {
        joined.push(' ');
        joined.push_str(strip_comment(line.trim()));
    }
    Ok(Value::Scalar(joined.trim().to_string()))
}

/// One scalar: quoted (`"..."` with backslash escapes, `'...'` with `''`)
/// or plain (a trailing ` # comment` removed).
fn scalar(text: &str) -> Result<String, String> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return after_quote(chars.as_str(), out),
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => break,
                },
                other => out.push(other),
            }
        }
        return Err(format!("the quote in {text:?} is not closed"));
    }
    if let Some(inner) = text.strip_prefix('\'') {
        let mut out = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    out.push('\'');
                    continue;
                }
                return after_quote(&chars.collect::<String>(), out);
            }
            out.push(c);
        }
        return Err(format!("the quote in {text:?} is not closed"));
    }
    Ok(strip_comment(text).to_string())
}

fn after_quote(rest: &str, value: String) -> Result<String, String> {
    let rest = rest.trim();
    if rest.is_empty() || rest.starts_with('#') {
        Ok(value)
    } else {
        Err(format!("unexpected {rest:?} after the closing quote"))
    }
}

fn strip_comment(text: &str) -> &str {
    match text.find(" #") {
        Some(at) => text[..at].trim_end(),
        None => text,
    }
}

/// Splits the inside of `[...]` at commas outside quotes.
fn split_flow(inner: &str) -> Result<Vec<String>, String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in inner.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                current.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (None, ',') => items.push(std::mem::take(&mut current)),
            (None, '[' | '{') => return Err("nested lists are not supported".into()),
            _ => current.push(c),
        }
    }
    if quote.is_some() {
        return Err("a quote in the list is not closed".into());
    }
    items.push(current);
    Ok(items.into_iter().map(|s| s.trim().to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_common_keys_and_ignored_ones() {
        let text = "---\ntitle: \"Step 1: install\"\ndescription: >\n  Long text\n  folded.\nms.date: 01/02/2024\nms.custom:\n  - intro\nmetadata:\n  nested: yes\norder: 3\ntags: [setup, 'windows', \"wsl\"]\n---\n# Body\n";
        let p = parse(text).unwrap();
        assert_eq!(p.problems, Vec::<(usize, String)>::new());
        assert_eq!(p.front.title.as_deref(), Some("Step 1: install"));
        assert_eq!(p.front.description.as_deref(), Some("Long text folded."));
        assert_eq!(p.front.weight, Some(3));
        assert_eq!(p.front.tags, ["setup", "windows", "wsl"]);
        assert_eq!(p.body, "# Body\n");
        assert_eq!(p.body_first_line, 14);
    }

    #[test]
    fn yaml_block_lists_and_comments() {
        let text = "---\n# a comment\ntitle: Plain title # trailing\ntags:\n- one\n- 'two'\nweight: 7\nslug: custom-slug\n---\nbody";
        let p = parse(text).unwrap();
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.front.title.as_deref(), Some("Plain title"));
        assert_eq!(p.front.tags, ["one", "two"]);
        assert_eq!(p.front.weight, Some(7));
        assert_eq!(p.front.slug.as_deref(), Some("custom-slug"));
        assert_eq!(p.body_first_line, 10);
    }

    #[test]
    fn malformed_yaml_lines_are_reported_with_lines() {
        let text = "---\ntitle: Fine\nthis line has no colon\nweight: soon\ndescription: \"unclosed\n  - stray\ntags: [a, b\ntitle: Again\n---\nbody";
        let p = parse(text).unwrap();
        let lines: Vec<usize> = p.problems.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 4, 5, 7, 8], "{:?}", p.problems);
        assert!(p.problems[0].1.contains("expected `key: value`"));
        assert!(p.problems[1].1.contains("whole number"));
        assert!(p.problems[4].1.contains("appears twice"));
        assert_eq!(p.front.title.as_deref(), Some("Fine"));
    }

    #[test]
    fn toml_and_plain_files() {
        let p = parse("+++\ntitle = \"T\"\norder = 2\nupdated = 2026-01-01\n+++\nbody\n").unwrap();
        assert_eq!(p.front.title.as_deref(), Some("T"));
        assert_eq!(p.front.weight, Some(2));
        assert_eq!(p.body_first_line, 6);
        let err = parse("+++\ntitle = \"T\"\nweight = \n+++\n").unwrap_err();
        assert_eq!(err.0, 3, "{err:?}");
        assert!(parse("+++\ntitle = 1\n").is_err());
        let rule = parse("---\nnot front matter, a rule\n").unwrap();
        assert_eq!(rule.body_first_line, 1);
        assert_eq!(rule.front, Front::default());
        let none = parse("# Title\ntext").unwrap();
        assert_eq!(none.body, "# Title\ntext");
    }
}
