//! Markdown to safe HTML: the only place where pulldown-cmark options are set.
//!
//! [`render`] parses once, runs a short chain of small event transforms
//! (heading ids and table of contents, link rewriting, admonitions, code
//! highlighting), writes HTML and passes it through an ammonia allow-list.
//! Manuals written by staff use [`Profile::Trusted`]; anything a customer
//! typed uses [`Profile::UserPost`], which is stricter.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd,
};
use serde::{Deserialize, Serialize};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

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
    let mut events: Vec<(Event<'_>, Range<usize>)> = Parser::new_ext(source, options())
        .into_offset_iter()
        .collect();
    let (toc, anchors) = assign_heading_ids(&mut events, profile);
    let links = rewrite_links(&mut events, resolve);
    render_admonitions(&mut events);
    highlight_code_blocks(&mut events);
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

/// Gives every heading a unique id (explicit `{#id}` wins) and collects the
/// table of contents. Trusted content also gets a `#` link to the heading.
fn assign_heading_ids(
    events: &mut Vec<(Event<'_>, Range<usize>)>,
    profile: Profile,
) -> (Vec<TocEntry>, Vec<String>) {
    let mut toc = Vec::new();
    let mut anchors = Vec::new();
    let mut used = HashSet::new();
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::Heading { level, id, .. }) = &events[i].0 else {
            i += 1;
            continue;
        };
        let level = *level;
        let explicit = id.as_ref().map(|s| s.to_string());
        let mut title = String::new();
        let mut end = i + 1;
        while end < events.len() {
            match &events[end].0 {
                Event::End(TagEnd::Heading(_)) => break,
                Event::Text(t) | Event::Code(t) => title.push_str(t),
                _ => {}
            }
            end += 1;
        }
        if profile == Profile::UserPost {
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i].0 {
                *id = None;
            }
            i = end + 1;
            continue;
        }
        let base = explicit.unwrap_or_else(|| slugify(&title));
        let mut unique = base.clone();
        let mut n = 1;
        while !used.insert(unique.clone()) {
            unique = format!("{base}-{n}");
            n += 1;
        }
        if let Event::Start(Tag::Heading { id, .. }) = &mut events[i].0 {
            *id = Some(CowStr::from(unique.clone()));
        }
        let range = events[end.min(events.len() - 1)].1.clone();
        events.insert(
            end,
            (
                Event::Html(format!(" <a class=\"anchor\" href=\"#{unique}\">#</a>").into()),
                range,
            ),
        );
        if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
            let level = if level == HeadingLevel::H2 { 2 } else { 3 };
            toc.push(TocEntry {
                level,
                id: unique.clone(),
                title: title.trim().to_string(),
            });
        }
        anchors.push(unique);
        i = end + 2;
    }
    (toc, anchors)
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
fn highlight_code_blocks(events: &mut Vec<(Event<'_>, Range<usize>)>) {
    let mut i = 0;
    while i < events.len() {
        let Event::Start(Tag::CodeBlock(kind)) = &events[i].0 else {
            i += 1;
            continue;
        };
        let lang = match kind {
            CodeBlockKind::Fenced(info) => {
                info.split([' ', ',', '{']).next().unwrap_or("").to_string()
            }
            CodeBlockKind::Indented => String::new(),
        };
        let mut code = String::new();
        let mut end = i + 1;
        while end < events.len() {
            match &events[end].0 {
                Event::End(TagEnd::CodeBlock) => break,
                Event::Text(t) => code.push_str(t),
                _ => {}
            }
            end += 1;
        }
        let range = events[i].1.clone();
        let html = highlight(&code, &lang);
        let stop = (end + 1).min(events.len());
        events.splice(i..stop, std::iter::once((Event::Html(html.into()), range)));
        i += 1;
    }
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

/// Passes HTML through the allow-list of the profile.
pub fn sanitize(html: &str, profile: Profile) -> String {
    match profile {
        Profile::Trusted => TRUSTED.clean(html).to_string(),
        Profile::UserPost => USER_POST.clean(html).to_string(),
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
}
