//! Markdown to safe HTML: the only place where pulldown-cmark options are set.
//!
//! [`render`] parses once, runs a short chain of small event transforms
//! (heading ids and table of contents, link rewriting, admonitions, code
//! highlighting), writes HTML and passes it through an ammonia allow-list.
//! Manuals written by staff use [`Profile::Trusted`]; anything a customer
//! typed uses [`Profile::UserPost`], which is stricter.
//!
//! Nesting is bounded (see [`nesting`]): whatever the input, rendering
//! takes time linear in its length, and the part nested deeper than
//! [`MAX_NESTING`] comes out as plain text.

mod nesting;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use serde::{Deserialize, Serialize};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

pub use nesting::{nesting_problem, MAX_HTML_DEPTH, MAX_NESTING};

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
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(value);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Heading ids handed out so far, and the next number to try per base id.
#[derive(Default)]
struct UniqueIds {
    used: HashSet<String>,
    next_suffix: HashMap<String, usize>,
}

impl UniqueIds {
    /// `base`, or `base-1`, `base-2`… whichever is free first.
    fn claim(&mut self, base: String) -> String {
        let mut unique = base.clone();
        if self.used.contains(&unique) {
            let n = self.next_suffix.entry(base.clone()).or_insert(1);
            while self.used.contains(&unique) {
                unique = format!("{base}-{n}");
                *n += 1;
            }
        }
        self.used.insert(unique.clone());
        unique
    }
}

/// A heading being read: where its start event is, and its text so far.
struct OpenHeading {
    start: usize,
    level: HeadingLevel,
    explicit: Option<String>,
    title: String,
}

type Events<'a> = Vec<(Event<'a>, Range<usize>)>;

/// Gives every heading a unique id (explicit `{#id}` wins) and collects the
/// table of contents. Trusted content also gets a `#` link to the heading.
fn assign_heading_ids(
    events: Events<'_>,
    profile: Profile,
) -> (Events<'_>, Vec<TocEntry>, Vec<String>) {
    let mut out: Events<'_> = Vec::with_capacity(events.len() + 8);
    let mut toc = Vec::new();
    let mut anchors = Vec::new();
    let mut ids = UniqueIds::default();
    let mut open: Option<OpenHeading> = None;
    for (mut event, range) in events {
        match &mut event {
            Event::Start(Tag::Heading { id, .. }) if profile == Profile::UserPost => *id = None,
            Event::Start(Tag::Heading { level, id, .. }) => {
                open = Some(OpenHeading {
                    start: out.len(),
                    level: *level,
                    explicit: id.as_ref().map(|s| s.to_string()),
                    title: String::new(),
                });
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(heading) = open.as_mut() {
                    heading.title.push_str(t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(heading) = open.take() {
                    let base = heading.explicit.unwrap_or_else(|| slugify(&heading.title));
                    let unique = ids.claim(base);
                    if let Event::Start(Tag::Heading { id, .. }) = &mut out[heading.start].0 {
                        *id = Some(CowStr::from(unique.clone()));
                    }
                    out.push((
                        Event::Html(
                            format!(" <a class=\"anchor\" href=\"#{unique}\">#</a>").into(),
                        ),
                        range.clone(),
                    ));
                    if matches!(heading.level, HeadingLevel::H2 | HeadingLevel::H3) {
                        toc.push(TocEntry {
                            level: if heading.level == HeadingLevel::H2 {
                                2
                            } else {
                                3
                            },
                            id: unique.clone(),
                            title: heading.title.trim().to_string(),
                        });
                    }
                    anchors.push(unique);
                }
            }
            _ => {}
        }
        out.push((event, range));
    }
    (out, toc, anchors)
}

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

fn admonition_label(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Replaces fenced code blocks with server-side highlighted HTML
/// (class-based, so the stylesheet colours it and no inline style is needed).
fn highlight_code_blocks(events: Events<'_>) -> Events<'_> {
    let mut out = Vec::with_capacity(events.len());
    // The open code block: its language, text and where it starts.
    let mut block: Option<(String, String, Range<usize>)> = None;
    for (event, range) in events {
        match (event, block.as_mut()) {
            (Event::Start(Tag::CodeBlock(kind)), _) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                block = Some((lang, String::new(), range));
            }
            (Event::End(TagEnd::CodeBlock), Some(_)) => {
                if let Some((lang, code, start)) = block.take() {
                    out.push((Event::Html(highlight(&code, &lang).into()), start));
                }
            }
            (Event::Text(t), Some((_, code, _))) => code.push_str(&t),
            (_, Some(_)) => {}
            (event, None) => out.push((event, range)),
        }
    }
    if let Some((lang, code, start)) = block {
        out.push((Event::Html(highlight(&code, &lang).into()), start));
    }
    out
}

/// Highlights one code block; unknown languages come out as escaped text.
pub fn highlight(code: &str, lang: &str) -> String {
    let lang: String = lang
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
        .take(32)
        .collect::<String>()
        .to_ascii_lowercase();
    let class = if lang.is_empty() {
        String::new()
    } else {
        format!(" class=\"language-{lang}\"")
    };
    let plain = || format!("<pre><code{class}>{}</code></pre>\n", escape_html(code));
    let token = match lang.as_str() {
        "sh" | "shell" | "console" => "bash",
        "yml" => "yaml",
        other => other,
    };
    if token.is_empty() {
        return plain();
    }
    let Some(syntax) = SYNTAXES.find_syntax_by_token(token) else {
        return plain();
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        &SYNTAXES,
        ClassStyle::SpacedPrefixed { prefix: "hl-" },
    );
    for line in LinesWithEndings::from(code) {
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            return plain();
        }
    }
    format!(
        "<pre class=\"highlight\"><code{class}>{}</code></pre>\n",
        generator.finalize()
    )
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
            let title = heading.trim().trim_end_matches('#').trim().to_string();
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

/// Drops tags and decodes the common entities: plain text of (sanitized) HTML.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn class_is_ours(value: &str) -> bool {
    value.split_whitespace().all(|class| {
        [
            "hl-",
            "language-",
            "admonition",
            "footnote-",
            "task-list",
            "anchor",
            "note",
            "tip",
            "important",
            "warning",
            "caution",
            "highlight",
        ]
        .iter()
        .any(|prefix| class.starts_with(prefix))
    })
}

static TRUSTED: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags([
            "input",
            "mark",
            "details",
            "summary",
            "figure",
            "figcaption",
        ])
        .add_generic_attributes(["class", "id"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") => (value == "checkbox").then(|| value.into()),
            (_, "class") => class_is_ours(value).then(|| value.into()),
            _ => Some(value.into()),
        });
    builder
});

static USER_POST: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["input", "mark"])
        .add_generic_attributes(["class"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .link_rel(Some("nofollow ugc noopener noreferrer"))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") => (value == "checkbox").then(|| value.into()),
            ("img", "src") => {
                let lower = value.trim().to_ascii_lowercase();
                let relative = !lower.contains(':') && !lower.starts_with("//");
                (lower.starts_with("https://") || relative).then(|| value.into())
            }
            (_, "class") => class_is_ours(value).then(|| value.into()),
            _ => Some(value.into()),
        });
    builder
});

/// Passes HTML through the allow-list of the profile. Start tags nested
/// deeper than [`MAX_HTML_DEPTH`] elements are escaped first (they show as
/// text), which keeps the HTML parser's work linear.
pub fn sanitize(html: &str, profile: Profile) -> String {
    let html = nesting::bound_html_depth(html, MAX_HTML_DEPTH);
    match profile {
        Profile::Trusted => TRUSTED.clean(&html).to_string(),
        Profile::UserPost => USER_POST.clean(&html).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(md: &str) -> Rendered {
        render(md, Profile::Trusted, &|_| None)
    }

    #[test]
    fn headings_get_unique_ids_and_toc() {
        let r = trusted("## Install it\n\ntext\n\n### Install it\n\n## Custom {#my-id}\n");
        let ids: Vec<_> = r.toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["install-it", "install-it-1", "my-id"]);
        assert!(r.html.contains("<h2 id=\"install-it\">"), "{}", r.html);
        assert_eq!(r.toc[0].title, "Install it");
    }

    #[test]
    fn link_helpers() {
        assert!(is_external_link("https://x.org/a"));
        assert!(is_external_link("mailto:a@b.c"));
        assert!(is_external_link("//cdn.example/x.png"));
        assert!(!is_external_link("./a.md#x:y"));
        assert!(!is_external_link("/docs/m/a"));
        assert_eq!(percent_decode("my%20file.png"), "my file.png");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%zzb"), "a%zzb");
        assert_eq!(percent_decode("%ff"), "%ff");
    }

    #[test]
    fn sections_split_at_headings_with_their_ids() {
        let source = "Intro text.\n\n## Install it\n\nRun the installer.\n\n### Error 0x80370102\n\nTurn on virtualization.\n\n```\n<h2 id=\"x\">no</h2>\n```\n\n## Install it\n\nAgain.\n";
        let rendered = render(source, Profile::Trusted, &|_| None);
        let (intro, sections) = html_sections(&rendered.html);
        assert_eq!(intro, "Intro text.");
        let ids: Vec<&str> = sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            rendered
                .anchors
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        );
        assert_eq!(sections[1].title, "Error 0x80370102");
        assert_eq!(sections[1].level, 3);
        assert!(sections[1].text.starts_with("Turn on virtualization."));
        assert!(
            sections[1].text.contains("<h2 id=\"x\">no</h2>"),
            "{:?}",
            sections[1]
        );
        assert_eq!(sections[2].text, "Again.");
        assert_eq!(html_sections("<p>No headings.</p>").1, vec![]);
    }

    #[test]
    fn slugify_drops_punctuation() {
        assert_eq!(slugify("Run it behind nginx!"), "run-it-behind-nginx");
        assert_eq!(slugify("  What's new? "), "whats-new");
        assert_eq!(slugify("???"), "section");
    }

    #[test]
    fn gfm_features_render() {
        let r = trusted("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n- [ ] todo\n\nA[^1].\n\n[^1]: Foot.\n\n> [!WARNING]\n> Careful.\n");
        assert!(r.html.contains("<table>"));
        assert!(r.html.contains("<del>old</del>"));
        assert!(r.html.contains("type=\"checkbox\""), "{}", r.html);
        assert!(
            r.html.contains("class=\"footnote-definition\""),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("<div class=\"admonition warning\">"),
            "{}",
            r.html
        );
        assert!(r.html.contains("Careful."));
    }

    #[test]
    fn code_is_highlighted_with_classes() {
        let r = trusted("```rust\nfn main() { let x = \"<b>\"; }\n```\n");
        assert!(r.html.contains("class=\"highlight\""), "{}", r.html);
        assert!(r.html.contains("hl-"), "{}", r.html);
        assert!(r.html.contains("&lt;b&gt;"), "{}", r.html);
        let unknown = trusted("```nosuchlang\n<i>x</i>\n```\n");
        assert!(
            unknown.html.contains("&lt;i&gt;x&lt;/i&gt;"),
            "{}",
            unknown.html
        );
        assert!(r.text.contains("fn main"), "{}", r.text);
    }

    #[test]
    fn sanitizer_strips_script_event_handlers_and_javascript_links() {
        for profile in [Profile::Trusted, Profile::UserPost] {
            let r = render(
                "<script>alert(1)</script>\n\n<img src=\"x.png\" onerror=\"alert(2)\">\n\n[click](javascript:alert(3)) <a href=\"JaVaScRiPt:alert(4)\">x</a>\n\n<p style=\"color:red\" onclick=\"alert(5)\">p</p>",
                profile,
                &|_| None,
            );
            let html = r.html.to_ascii_lowercase();
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.contains("onerror"), "{html}");
            assert!(!html.contains("onclick"), "{html}");
            assert!(!html.contains("javascript:"), "{html}");
            assert!(!html.contains("style="), "{html}");
        }
    }

    #[test]
    fn user_posts_get_nofollow_and_only_https_images() {
        let r = render_post("[a](https://example.com) ![i](http://insecure.example/x.png) ![j](https://ok.example/y.png)\n\n## Title {#evil}");
        assert!(
            r.html.contains("rel=\"nofollow ugc noopener noreferrer\""),
            "{}",
            r.html
        );
        assert!(!r.html.contains("http://insecure"), "{}", r.html);
        assert!(r.html.contains("https://ok.example/y.png"), "{}", r.html);
        assert!(!r.html.contains("id="), "{}", r.html);
    }

    #[test]
    fn links_are_recorded_and_rewritten() {
        let md = "See [other](other.md#setup) and [web](https://example.com).";
        let r = render(md, Profile::Trusted, &|dest| {
            dest.starts_with("other.md")
                .then(|| "/docs/m/other#setup".to_string())
        });
        assert_eq!(r.links.len(), 2);
        assert_eq!(r.links[0].dest, "other.md#setup");
        assert!(
            r.html.contains("href=\"/docs/m/other#setup\""),
            "{}",
            r.html
        );
    }

    /// How deeply the elements of well-formed (sanitized) HTML nest.
    fn element_depth(html: &str) -> usize {
        let (mut depth, mut max) = (0usize, 0usize);
        for tag in html.split('<').skip(1) {
            if tag.starts_with('/') {
                depth = depth.saturating_sub(1);
            } else if !["br", "img", "hr", "input"]
                .iter()
                .any(|void| tag.starts_with(void))
            {
                depth += 1;
                max = max.max(depth);
            }
        }
        max
    }

    /// Hostile inputs of at least 120,000 characters, each ending in a word
    /// that must survive rendering.
    fn hostile_inputs() -> Vec<(&'static str, String)> {
        let n = 120_000;
        vec![
            ("nested quotes", "> ".repeat(n / 2) + "deepest"),
            ("nested bullets", "- ".repeat(n / 2) + "deepest"),
            ("nested numbers", "1. ".repeat(n / 3) + "deepest"),
            ("mixed", "> - 1. * ".repeat(n / 9) + "deepest"),
            (
                "quote then lazy lines",
                "> ".repeat(n / 4) + "x\n" + &"y\n".repeat(n / 4) + "deepest",
            ),
            (
                "list then lazy lines",
                "- ".repeat(n / 4) + "x\n" + &"y\n".repeat(n / 4) + "deepest",
            ),
            (
                "nested emphasis",
                "*".repeat(n / 2) + "deepest" + &"*".repeat(n / 2),
            ),
            (
                "nested brackets",
                "[".repeat(n) + "deepest" + &"]".repeat(n / 2),
            ),
            ("nested links", "[a](".repeat(n / 4) + "deepest"),
            ("raw html lists", "<ul><li>".repeat(n / 8) + "deepest"),
            ("raw html divs", "<div>\n\n".repeat(n / 7) + "deepest"),
            (
                "wide table",
                format!(
                    "|{}\n|{}\n|deepest|\n",
                    "a|".repeat(n / 4),
                    "-|".repeat(n / 4)
                ),
            ),
        ]
    }

    #[test]
    fn hostile_nesting_renders_fast_and_keeps_its_text() {
        for (name, source) in hostile_inputs() {
            assert!(source.len() >= 120_000, "{name}");
            for profile in [Profile::UserPost, Profile::Trusted] {
                let started = std::time::Instant::now();
                let r = render(&source, profile, &|_| None);
                let took = started.elapsed();
                assert!(
                    took < std::time::Duration::from_secs(1),
                    "{name} took {took:?}"
                );
                assert!(r.html.contains("deepest"), "{name}: text lost");
                // A stray `</p>` at the deepest level makes an empty `<p></p>`.
                let depth = element_depth(&r.html);
                assert!(depth <= MAX_HTML_DEPTH + 1, "{name}: nested {depth} deep");
            }
        }
    }

    #[test]
    fn nesting_within_the_limit_renders_as_written() {
        let quotes = "> ".repeat(MAX_NESTING - 1) + "inside";
        let r = render_post(&quotes);
        assert_eq!(r.html.matches("<blockquote>").count(), MAX_NESTING - 1);
        assert!(r.html.contains("<p>inside</p>"), "{}", r.html);
        // Deeper: the outer levels stay, the rest is the text of the last one.
        let deep = "> ".repeat(MAX_NESTING + 8) + "inside";
        let r = render_post(&deep);
        assert_eq!(r.html.matches("<blockquote>").count(), MAX_NESTING);
        assert!(r.html.contains("&gt; &gt; &gt;"), "{}", r.html);
        assert!(r.html.contains("inside"), "{}", r.html);
        // Thematic breaks and fenced code are not nesting.
        let rule = render_post(&"- ".repeat(60));
        assert!(rule.html.contains("<hr"), "{}", rule.html);
        let code = render_post(&format!("```\n{}\n```\n", "> ".repeat(40)));
        assert!(!code.html.contains('\\'), "{}", code.html);
        assert_eq!(code.html.matches("&gt;").count(), 40, "{}", code.html);
    }

    #[test]
    fn deep_inline_spans_flatten_to_text() {
        let deep = format!("{}deepest{}", "*a ".repeat(50), " a*".repeat(50));
        let r = render_post(&deep);
        assert!(r.html.matches("<em>").count() < MAX_NESTING, "{}", r.html);
        assert!(r.html.contains("deepest"));
        assert_eq!(r.text.matches('a').count(), 100, "{}", r.text);
    }

    #[test]
    fn links_after_a_flattened_line_keep_their_offsets() {
        let source = format!("{}x\n\n[other](other.md)\n", "> ".repeat(40));
        let r = trusted(&source);
        assert_eq!(r.links.len(), 1);
        assert_eq!(r.links[0].offset, source.find("[other]").expect("link"));
    }

    #[test]
    fn many_equal_headings_get_ids_in_linear_time() {
        let source = "## Same\n\ntext\n\n".repeat(20_000);
        let started = std::time::Instant::now();
        let r = trusted(&source);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(r.anchors.len(), 20_000);
        assert_eq!(r.anchors[0], "same");
        assert_eq!(r.anchors[19_999], "same-19999");
        let r = trusted("## a-1\n\n## a\n\n## a\n\n## a\n");
        assert_eq!(r.anchors, ["a-1", "a", "a-2", "a-3"]);
    }
}
