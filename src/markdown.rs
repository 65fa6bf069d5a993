//! Markdown to safe HTML: the only place where pulldown-cmark options are set.
//!
//! [`render`] parses once, runs a short chain of small event transforms
//! (heading ids and table of contents, link rewriting, admonitions, code
//! highlighting), writes HTML and passes it through an ammonia allow-list.
//! Manuals written by staff use [`Profile::Trusted`]; anything a customer
//! typed uses [`Profile::UserPost`], which is stricter.
//!
//! Comments are one line of inline markdown ([`render_comment`]), with
//! their own, narrower allow-list.
//!
//! Nesting is bounded (see [`nesting`]): whatever the input, rendering
//! takes time linear in its length, and the part nested deeper than
//! [`MAX_NESTING`] comes out as plain text.

mod a11y;
mod headings;
mod highlight;
mod inline;
mod nesting;
mod sanitize;

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{BlockQuoteKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

pub use a11y::accessible_html;
use headings::assign_heading_ids;
pub use highlight::highlight;
use highlight::highlight_code_blocks;
pub use inline::{find_mentions, render_comment, MentionResolver, RenderedComment};
pub use nesting::{nesting_problem, MAX_HTML_DEPTH, MAX_NESTING};
pub use sanitize::{sanitize, strip_tags};

/// Who wrote the markdown, which decides how strictly it is sanitized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Staff-written manuals: heading ids, classes, task-list checkboxes.
    Trusted,
    /// Customer posts: no ids, links get `rel="nofollow ugc"`, images only
    /// over https or relative.
    UserPost,
}

/// One entry of an article's in-page table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TocEntry {
    /// Heading level (2 or 3).
    pub level: u8,
    /// Anchor id.
    pub id: String,
    /// Heading text.
    pub title: String,
}

/// A link found in the source, for validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRef {
    /// The destination as written.
    pub dest: String,
    /// Byte offset of the link in the markdown source.
    pub offset: usize,
}

/// The result of rendering one markdown document.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Sanitized HTML.
    pub html: String,
    /// Plain text (for search and snippets).
    pub text: String,
    /// Level 2 and 3 headings.
    pub toc: Vec<TocEntry>,
    /// Every heading anchor id in the document.
    pub anchors: Vec<String>,
    /// Every link destination with its position.
    pub links: Vec<LinkRef>,
}

/// Maps a link destination as written (e.g. `other.md#setup`) to the URL to
/// emit, or `None` to keep it unchanged.
pub type LinkResolver<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The markdown dialect: CommonMark plus tables, footnotes, strikethrough,
/// task lists, heading attributes and GitHub-style admonitions.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Renders markdown to sanitized HTML with its table of contents and links.
pub fn render(source: &str, profile: Profile, resolve: LinkResolver<'_>) -> Rendered {
    let bounded = nesting::bound_block_nesting(source);
    let mut events: Vec<(Event<'_>, Range<usize>)> = Parser::new_ext(&bounded.text, options())
        .into_offset_iter()
        .collect();
    if let Cow::Owned(_) = bounded.text {
        for (_, range) in &mut events {
            *range = bounded.original_offset(range.start)..bounded.original_offset(range.end);
        }
    }
    let events = nesting::flatten_events(events);
    let (mut events, toc, anchors) = assign_heading_ids(events, profile);
    let links = rewrite_links(&mut events, resolve);
    render_admonitions(&mut events);
    let events = highlight_code_blocks(events);
    let text = plain_text(&events);
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter().map(|(event, _)| event));
    Rendered {
        html: sanitize(&html, profile),
        text,
        toc,
        anchors,
        links,
    }
}

/// Renders markdown without link resolution (customer posts, previews).
pub fn render_post(source: &str) -> Rendered {
    render(source, Profile::UserPost, &|_| None)
}

/// Renders one line of inline markdown (emphasis, strong, code, links,
/// strikethrough) to sanitized HTML without block elements: paragraphs,
/// headings, lists and quotes become their text separated by spaces, images
/// their alt text, raw HTML is shown as text. For short texts shown inside
/// other markup (announcement banners).
pub fn render_inline(source: &str) -> String {
    let bounded = nesting::bound_block_nesting(source);
    let mut html = String::with_capacity(source.len() + 16);
    let mut pending_space = false;
    let mut in_image = 0usize;
    let mut inline: Vec<Event<'_>> = Vec::new();
    for event in Parser::new_ext(&bounded.text, options()) {
        let keep = match &event {
            Event::Start(Tag::Image { .. }) => {
                in_image += 1;
                None
            }
            Event::End(TagEnd::Image) => {
                in_image = in_image.saturating_sub(1);
                None
            }
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough | Tag::Link { .. })
            | Event::End(
                TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link,
            ) if in_image == 0 => Some(event),
            Event::Text(_) | Event::Code(_) => Some(event),
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw.clone())),
            Event::SoftBreak | Event::HardBreak => Some(Event::Text(CowStr::Borrowed(" "))),
            Event::End(_) => {
                pending_space = true;
                None
            }
            _ => None,
        };
        if let Some(event) = keep {
            if pending_space && !inline.is_empty() {
                inline.push(Event::Text(CowStr::Borrowed(" ")));
            }
            pending_space = false;
            inline.push(event);
        }
    }
    pulldown_cmark::html::push_html(&mut html, inline.into_iter());
    sanitize(html.trim(), Profile::Trusted)
}

/// Turns heading text into an anchor id: lowercase letters and digits kept,
/// spaces and dashes become `-`, everything else is dropped.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if (c == ' ' || c == '-' || c == '_') && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "section".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Whether a link leaves the site or is not a path at all (`https:`,
/// `mailto:`, `//host/...`).
pub fn is_external_link(dest: &str) -> bool {
    let dest = dest.trim();
    dest.starts_with("//")
        || dest
            .split(['/', '#', '?'])
            .next()
            .is_some_and(|first| first.contains(':'))
}

/// Decodes `%XX` escapes of a link destination (`my%20file.png`,
/// `#caf%C3%A9`); invalid escapes stay as written.
pub fn percent_decode(text: &str) -> String {
    String::from_utf8(crate::paths::percent_decode_bytes(text.as_bytes()))
        .unwrap_or_else(|_| text.to_string())
}

/// Events with their source ranges, as the transforms pass them on.
type Events<'a> = Vec<(Event<'a>, Range<usize>)>;

/// Records every link and rewrites those the resolver knows.
fn rewrite_links(
    events: &mut [(Event<'_>, Range<usize>)],
    resolve: LinkResolver<'_>,
) -> Vec<LinkRef> {
    let mut links = Vec::new();
    for (event, range) in events.iter_mut() {
        if let Event::Start(Tag::Link { dest_url, .. }) = event {
            links.push(LinkRef {
                dest: dest_url.to_string(),
                offset: range.start,
            });
            if let Some(url) = resolve(dest_url) {
                *dest_url = CowStr::from(url);
            }
        }
    }
    links
}

/// `> [!NOTE]` blockquotes become `<div class="admonition note">` with a title.
fn render_admonitions(events: &mut [(Event<'_>, Range<usize>)]) {
    for (event, _) in events.iter_mut() {
        match event {
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, title) = admonition_label(*kind);
                *event = Event::Html(
                    format!(
                        "<div class=\"admonition {class}\"><p class=\"admonition-title\">{title}</p>\n"
                    )
                    .into(),
                );
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => *event = Event::Html("</div>\n".into()),
            _ => {}
        }
    }
}

/// The class and title of an admonition.
fn admonition_label(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// The document's text, block by block, for search and snippets.
fn plain_text(events: &[(Event<'_>, Range<usize>)]) -> String {
    let mut text = String::new();
    for (event, _) in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock,
            ) => text.push('\n'),
            Event::Html(html) if html.starts_with("<pre") => {
                text.push_str(&strip_tags(html));
                text.push('\n');
            }
            _ => {}
        }
    }
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "#")
        .collect::<Vec<_>>()
        .join("\n")
}

/// One section of a rendered manual article: a level 2 or 3 heading and the
/// text up to the next such heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlSection {
    /// Heading level (2 or 3).
    pub level: u8,
    /// The heading's anchor id, as [`render`] assigned it.
    pub id: String,
    /// Heading text.
    pub title: String,
    /// Plain text of the section's body.
    pub text: String,
}

/// Splits HTML written by [`render`] (trusted profile) at its `h2`/`h3`
/// headings that carry an id: the plain text before the first one, and
/// each section. Headings inside code are escaped text and never split.
pub fn html_sections(html: &str) -> (String, Vec<HtmlSection>) {
    let mut starts: Vec<(usize, usize, u8, String)> = Vec::new();
    let mut from = 0;
    while let Some(found) = html[from..].find("<h") {
        let at = from + found;
        from = at + 2;
        let level = match html.as_bytes().get(at + 2) {
            Some(b'2') => 2,
            Some(b'3') => 3,
            _ => continue,
        };
        if !matches!(html.as_bytes().get(at + 3), Some(b' ' | b'>')) {
            continue;
        }
        let Some(tag_len) = html[at..].find('>') else {
            break;
        };
        let tag = &html[at..at + tag_len];
        let Some(id) = tag
            .split_once(" id=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(id, _)| strip_tags(id))
        else {
            continue;
        };
        let close = format!("</h{level}>");
        let Some(end) = html[at..].find(&close) else {
            break;
        };
        starts.push((at, at + end + close.len(), level, id));
        from = at + end;
    }
    let plain = |part: &str| {
        strip_tags(part)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let intro = plain(&html[..starts.first().map_or(html.len(), |s| s.0)]);
    let sections = starts
        .iter()
        .enumerate()
        .map(|(i, (start, body_start, level, id))| {
            let heading = strip_tags(&html[*start..*body_start]);
            // One line, even when the heading holds a line break.
            let title = heading.split_whitespace().collect::<Vec<_>>().join(" ");
            let title = title.trim_end_matches('#').trim().to_string();
            let body_end = starts.get(i + 1).map_or(html.len(), |next| next.0);
            HtmlSection {
                level: *level,
                id: id.clone(),
                title,
                text: plain(&html[*body_start..body_end]),
            }
        })
        .collect();
    (intro, sections)
}

#[cfg(test)]
mod tests;
