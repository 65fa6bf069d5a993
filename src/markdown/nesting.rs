//! Bounds on nesting, so that hostile markdown renders in linear time.
//!
//! Both the markdown parser (lazy continuation lines walk every open
//! container) and the HTML tree builder behind the sanitizer (scope checks
//! walk the stack of open elements) cost time proportional to the nesting
//! depth for every line or tag, so a document nested thousands of levels
//! deep takes quadratic time. Three passes keep depth bounded without
//! losing text:
//!
//! - [`bound_block_nesting`] runs on the source: a line whose container
//!   markers (`>`, list bullets and numbers, indentation) would nest deeper
//!   than [`MAX_NESTING`] gets a backslash before the first marker too many,
//!   so the rest of the line is a paragraph of plain text.
//! - [`flatten_events`] drops the start and end of every block or inline
//!   element deeper than [`MAX_NESTING`]; their text stays where it was.
//! - [`bound_html_depth`] runs on HTML before it is sanitized (raw HTML in
//!   markdown, imported HTML): a start tag nested deeper than
//!   [`MAX_HTML_DEPTH`] is escaped and shows as text.
//!
//! [`nesting_problem`] measures the same depths without changing anything,
//! so content checks can name the line.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

mod html;

pub use html::bound_html_depth;
use html::{for_each_tag, HtmlToken, OpenElements};

/// Deepest nesting of markdown blocks and inline spans (quotes, lists, list
/// items, emphasis, links, tables, raw HTML elements) rendered as structure.
pub const MAX_NESTING: usize = 32;

/// Deepest HTML element nesting handed to the sanitizer. Twice
/// [`MAX_NESTING`]: one markdown level writes at most two elements
/// (`<table><tbody>`, `<ul><li>`), so content within [`MAX_NESTING`] never
/// reaches it.
pub const MAX_HTML_DEPTH: usize = 2 * MAX_NESTING;

/// Source text with deep lines cut, and where backslashes were inserted.
pub struct BoundedSource<'a> {
    /// The text to parse.
    pub text: Cow<'a, str>,
    /// Offsets (in `text`) of the inserted backslashes, ascending.
    inserted: Vec<usize>,
}

impl BoundedSource<'_> {
    /// Maps an offset in the bounded text back to the original source.
    pub fn original_offset(&self, offset: usize) -> usize {
        offset - self.inserted.partition_point(|&at| at < offset)
    }
}

/// What the start of one line says about block depth.
struct LinePrefix {
    /// Upper bound on the containers the line is nested in.
    depth: usize,
    /// Byte offset of the first marker beyond [`MAX_NESTING`], if any.
    cut: Option<usize>,
}

/// Whether the rest of a line, from a `-` or `*`, is a thematic break
/// (`- - -`, `***`): only that character and blanks, at least three times.
fn is_thematic_break(rest: &[u8], marker: u8) -> bool {
    let mut count = 0;
    for &b in rest {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b if b == marker => count += 1,
            _ => return false,
        }
    }
    count >= 3
}

/// Reads the container markers at the start of a line: block quote `>`,
/// bullets `-` `*` `+` and numbers `1.` `1)` followed by a blank, and the
/// blanks between them. Every marker may open a container and every two
/// columns of indentation may continue a list item, so their sum bounds
/// the depth of the line.
fn scan_line_prefix(line: &[u8]) -> LinePrefix {
    let mut i = 0;
    let mut column = 0usize;
    let mut blanks = 0usize;
    let mut markers = 0usize;
    let mut cut = None;
    // Index of the last byte that is not `-`/`*` or a blank, found on first need.
    let mut last_other: [Option<Option<usize>>; 2] = [None, None];
    let is_blank_or_end =
        |at: usize| matches!(line.get(at), None | Some(b' ' | b'\t' | b'\n' | b'\r'));
    loop {
        let width = match line.get(i) {
            Some(b' ') => {
                column += 1;
                blanks += 1;
                i += 1;
                continue;
            }
            Some(b'\t') => {
                let width = 4 - column % 4;
                column += width;
                blanks += width;
                i += 1;
                continue;
            }
            Some(b'>') => 1,
            Some(&bullet @ (b'-' | b'*')) if is_blank_or_end(i + 1) => {
                let slot = usize::from(bullet == b'*');
                let last = *last_other[slot].get_or_insert_with(|| {
                    line.iter()
                        .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r') && b != bullet)
                });
                if last.is_none_or(|last| last < i) && is_thematic_break(&line[i..], bullet) {
                    break;
                }
                1
            }
            Some(b'+') if is_blank_or_end(i + 1) => 1,
            Some(b'0'..=b'9') => {
                let digits = line[i..]
                    .iter()
                    .take(10)
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let closes = matches!(line.get(i + digits), Some(b'.' | b')'));
                if digits > 9 || !closes || !is_blank_or_end(i + digits + 1) {
                    break;
                }
                digits + 1
            }
            _ => break,
        };
        markers += 1;
        if cut.is_none() && markers + blanks.saturating_sub(markers) / 2 > MAX_NESTING {
            cut = Some(i);
        }
        column += width;
        i += width;
    }
    LinePrefix {
        depth: markers + blanks.saturating_sub(markers) / 2,
        cut,
    }
}

/// Tracks fenced code blocks at the top level, so their lines are left alone.
#[derive(Default)]
struct FenceState {
    /// The fence character and length of the open code block.
    open: Option<(u8, usize)>,
}

impl FenceState {
    /// Whether `line` belongs to a fenced code block (fences included).
    fn in_code(&mut self, line: &[u8]) -> bool {
        let indent = line.iter().take(4).take_while(|&&b| b == b' ').count();
        let rest = &line[indent.min(3)..];
        let fence = |c: u8| rest.iter().take_while(|&&b| b == c).count();
        match self.open {
            Some((c, len)) => {
                let n = fence(c);
                if indent <= 3 && n >= len && rest[n..].iter().all(|b| b.is_ascii_whitespace()) {
                    self.open = None;
                }
                true
            }
            None if indent <= 3 => {
                for c in [b'`', b'~'] {
                    let n = fence(c);
                    if n >= 3 {
                        self.open = Some((c, n));
                        return true;
                    }
                }
                false
            }
            None => false,
        }
    }
}

/// Puts a backslash before the first container marker of every line that
/// would nest deeper than [`MAX_NESTING`], so the parser never opens more
/// containers than that. Lines of top-level fenced code are left alone.
pub fn bound_block_nesting(source: &str) -> BoundedSource<'_> {
    let mut out: Option<String> = None;
    let mut inserted = Vec::new();
    let mut fences = FenceState::default();
    let mut start = 0;
    for line in source.split_inclusive('\n') {
        let cut = if fences.in_code(line.as_bytes()) {
            None
        } else {
            scan_line_prefix(line.as_bytes()).cut
        };
        if let Some(cut) = cut {
            let out = out.get_or_insert_with(|| {
                let mut text = String::with_capacity(source.len() + 64);
                text.push_str(&source[..start]);
                text
            });
            out.push_str(&line[..cut]);
            inserted.push(out.len());
            out.push('\\');
            out.push_str(&line[cut..]);
        } else if let Some(out) = out.as_mut() {
            out.push_str(line);
        }
        start += line.len();
    }
    BoundedSource {
        text: out.map_or(Cow::Borrowed(source), Cow::Owned),
        inserted,
    }
}

/// Whether a tag is a block, whose text should not run into what follows.
fn is_block(end: TagEnd) -> bool {
    !matches!(
        end,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// Drops the start and end events of every element nested deeper than
/// [`MAX_NESTING`]; the text inside stays, a dropped block ends with a line
/// break so words do not run together.
pub fn flatten_events<'a>(
    events: Vec<(Event<'a>, Range<usize>)>,
) -> Vec<(Event<'a>, Range<usize>)> {
    if !events
        .iter()
        .any(|(event, _)| matches!(event, Event::Start(_)))
    {
        return events;
    }
    let mut out = Vec::with_capacity(events.len());
    let mut kept: Vec<bool> = Vec::new();
    let mut depth = 0usize;
    for (event, range) in events {
        match event {
            // An HTML block writes no element of its own; its HTML is bounded
            // when sanitized.
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => {
                out.push((event, range))
            }
            Event::Start(tag) => {
                let keep = depth < MAX_NESTING;
                kept.push(keep);
                if keep {
                    depth += 1;
                    out.push((Event::Start(tag), range));
                }
            }
            Event::End(end) => {
                if kept.pop().unwrap_or(true) {
                    depth = depth.saturating_sub(1);
                    out.push((Event::End(end), range));
                } else if is_block(end) {
                    out.push((Event::SoftBreak, range));
                }
            }
            other => out.push((other, range)),
        }
    }
    out
}

/// 1-based line of a byte offset.
fn line_at(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The deepest nesting in `source`, as `(line, depth)`, when it is deeper
/// than [`MAX_NESTING`]: container markers at the start of a line, then
/// markdown blocks and inline spans with the raw HTML elements inside them.
/// Such content still renders, with the part too deep flattened to text.
pub fn nesting_problem(source: &str) -> Option<(usize, usize)> {
    let mut fences = FenceState::default();
    let mut deepest: Option<(usize, usize)> = None;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        if fences.in_code(line.as_bytes()) {
            continue;
        }
        let depth = scan_line_prefix(line.as_bytes()).depth;
        if depth > MAX_NESTING && deepest.is_none_or(|(_, d)| depth > d) {
            deepest = Some((index + 1, depth));
        }
    }
    if deepest.is_some() {
        return deepest;
    }
    // Lines are shallow, so parsing is linear: now blocks, spans and HTML.
    let mut depth = 0usize;
    let mut html = OpenElements::default();
    let mut max = (0usize, 0usize);
    for (event, range) in Parser::new_ext(source, super::options()).into_offset_iter() {
        match event {
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => {}
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Html(_) | Event::InlineHtml(_) => {
                for_each_tag(&source[range.clone()], |_, token| {
                    match token {
                        HtmlToken::Start(name) => html.start(name),
                        HtmlToken::End(name) => html.end(name),
                    }
                    true
                });
            }
            _ => {}
        }
        let total = depth + html.depth();
        if total > max.1 {
            max = (range.start, total);
        }
    }
    (max.1 > MAX_NESTING).then(|| (line_at(source, max.0), max.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_prefix_counts_markers_and_indentation() {
        assert_eq!(scan_line_prefix(b"> > - 1. text").depth, 4);
        assert_eq!(scan_line_prefix(b">>>>text").depth, 4);
        assert_eq!(scan_line_prefix(b"      - x").depth, 4);
        assert_eq!(scan_line_prefix(b"-not a bullet").depth, 0);
        assert_eq!(scan_line_prefix(b"1234567890. too long a number").depth, 0);
        // A thematic break is no list, however long.
        let rule = "- ".repeat(60);
        assert_eq!(scan_line_prefix(rule.as_bytes()).depth, 0);
        let deep = "> ".repeat(40) + "x";
        let prefix = scan_line_prefix(deep.as_bytes());
        assert_eq!(prefix.depth, 40);
        assert_eq!(prefix.cut, Some(2 * MAX_NESTING));
    }

    #[test]
    fn deep_lines_are_cut_and_offsets_map_back() {
        let source = format!("a\n{}x\n[link](b.md)\n", "> ".repeat(40));
        let bounded = bound_block_nesting(&source);
        let cut = 2 + 2 * MAX_NESTING;
        assert_eq!(&bounded.text[cut..cut + 2], "\\>");
        let link = bounded.text.find("[link]").expect("link");
        assert_eq!(
            bounded.original_offset(link),
            source.find("[link]").expect("link")
        );
        // Fenced code keeps its text.
        let code = format!("```\n{}\n```\n", "> ".repeat(40));
        assert!(matches!(bound_block_nesting(&code).text, Cow::Borrowed(_)));
    }

    #[test]
    fn html_depth_follows_the_parser() {
        let depth = |html: &str| {
            let mut open = OpenElements::default();
            for_each_tag(html, |_, token| {
                match token {
                    HtmlToken::Start(name) => open.start(name),
                    HtmlToken::End(name) => open.end(name),
                }
                true
            });
            open.depth()
        };
        assert_eq!(depth("<div><p>a<p>b<br><img src=x></p></div>"), 0);
        assert_eq!(depth("<ul><li>a<li>b</ul>"), 0);
        assert_eq!(depth("<div/><div/>"), 2, "<div/> opens a div");
        assert_eq!(depth("<!-- <div> --><script>'<div>'</script>"), 0);
        assert_eq!(depth("<a title=\"x>y\"><div>"), 2);
        // An end tag does not reach past a table or, for other elements, a div.
        assert_eq!(depth("<div><table></div>"), 2);
        assert_eq!(depth("<span><div></span>"), 2);
        // A formatting element closed out of order is opened again.
        assert_eq!(depth("<p><b></p>"), 1);
    }

    #[test]
    fn deep_html_is_escaped_beyond_the_limit() {
        let html = "<div>".repeat(100) + "end";
        let bounded = bound_html_depth(&html, MAX_HTML_DEPTH);
        assert_eq!(bounded.matches("<div>").count(), MAX_HTML_DEPTH);
        assert_eq!(bounded.matches("&lt;div>").count(), 100 - MAX_HTML_DEPTH);
        // An escaped <script> starts no raw text: the tags after it count.
        let html = "<div>".repeat(MAX_HTML_DEPTH) + "<script>" + &"<div>".repeat(10);
        assert_eq!(
            bound_html_depth(&html, MAX_HTML_DEPTH)
                .matches("&lt;")
                .count(),
            11
        );
        let shallow = "<div><p>x</p></div>";
        assert!(matches!(
            bound_html_depth(shallow, MAX_HTML_DEPTH),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn nesting_problem_names_the_deepest_line() {
        assert_eq!(nesting_problem("# Fine\n\n> quote\n> - item\n"), None);
        let quotes = format!("intro\n\n{}x\n", "> ".repeat(50));
        assert_eq!(nesting_problem(&quotes), Some((3, 50)));
        let emphasis = format!("a\n\nb {}x{}\n", "*a ".repeat(40), " a*".repeat(40));
        assert!(matches!(nesting_problem(&emphasis), Some((3, d)) if d > MAX_NESTING));
        let html = format!("a\n\n{}\n", "<div>".repeat(40));
        assert!(matches!(nesting_problem(&html), Some((3, d)) if d > MAX_NESTING));
        let within = "> ".repeat(MAX_NESTING - 1) + "x\n";
        assert_eq!(nesting_problem(&within), None);
    }
}
