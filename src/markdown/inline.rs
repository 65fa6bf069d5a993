//! Comments: one line of inline markdown (code spans, emphasis, strike-
//! through, links) with `@name` mentions. Block syntax never makes a block:
//! the text is joined into one line and a line that would open a heading,
//! list, quote, fence, rule or HTML block gets its first marker escaped, so
//! `# x` shows as written. Images show as links, raw HTML as text. The
//! result passes the comment allow-list of [`super::sanitize`].

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

use super::nesting;
use super::sanitize::sanitize_comment;

/// Maps a mentioned name (as written after `@`) to the URL of its person,
/// or `None` when it names nobody who may be mentioned.
pub type MentionResolver<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A rendered comment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedComment {
    /// Sanitized inline HTML (no block elements).
    pub html: String,
    /// Plain text (search).
    pub text: String,
    /// The mentions the resolver knew, as written (without `@`), in order,
    /// each once.
    pub mentioned: Vec<String>,
}

/// The comment dialect: CommonMark inlines plus strikethrough.
fn comment_options() -> Options {
    Options::ENABLE_STRIKETHROUGH
}

/// Renders a comment (see the module documentation).
pub fn render_comment(source: &str, mention: MentionResolver<'_>) -> RenderedComment {
    let line = one_line(source);
    let mut events: Vec<Event<'_>> = Parser::new_ext(&line, comment_options()).collect();
    let escaped;
    if !matches!(events.first(), Some(Event::Start(Tag::Paragraph))) {
        escaped = escape_block_start(&line);
        events = Parser::new_ext(&escaped, comment_options()).collect();
    }
    let ranged = events.into_iter().map(|e| (e, 0..0)).collect();
    let events: Vec<Event<'_>> = nesting::flatten_events(ranged)
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let mut mentioned = Vec::new();
    let events = inline_only(events, mention, &mut mentioned);
    let text = events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect::<String>();
    let mut html = String::with_capacity(line.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    RenderedComment {
        html: sanitize_comment(&html),
        text: text.split_whitespace().collect::<Vec<_>>().join(" "),
        mentioned,
    }
}

/// The comment's lines, trimmed and joined by single spaces.
fn one_line(source: &str) -> String {
    source
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes the marker a line starts with when the line would open a block:
/// a leading ASCII punctuation character, or the `.`/`)` of an ordered list
/// number.
fn escape_block_start(line: &str) -> String {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        return match line.as_bytes().get(digits) {
            Some(b'.' | b')') => format!("{}\\{}", &line[..digits], &line[digits..]),
            _ => line.to_string(),
        };
    }
    match line.chars().next() {
        Some(c) if c.is_ascii_punctuation() => format!("\\{line}"),
        _ => line.to_string(),
    }
}

/// Keeps inline events only: paragraphs and any other block vanish (their
/// text stays), images become links, raw HTML becomes text, line breaks
/// spaces; mentions in text outside links become links.
fn inline_only<'a>(
    events: Vec<Event<'a>>,
    mention: MentionResolver<'_>,
    mentioned: &mut Vec<String>,
) -> Vec<Event<'a>> {
    let mut out = Vec::with_capacity(events.len());
    let mut in_link = 0usize;
    for event in events {
        match event {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                in_link += 1;
                out.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::End(TagEnd::Image) => {
                in_link = in_link.saturating_sub(1);
                out.push(Event::End(TagEnd::Link));
            }
            Event::Start(tag @ Tag::Link { .. }) => {
                in_link += 1;
                out.push(Event::Start(tag));
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                out.push(Event::End(TagEnd::Link));
            }
            Event::Start(tag @ (Tag::Emphasis | Tag::Strong | Tag::Strikethrough)) => {
                out.push(Event::Start(tag));
            }
            Event::End(end @ (TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough)) => {
                out.push(Event::End(end));
            }
            Event::Start(_) | Event::End(_) => {}
            Event::Text(text) if in_link == 0 => link_mentions(text, mention, mentioned, &mut out),
            Event::Text(text) => out.push(Event::Text(text)),
            Event::Code(code) => out.push(Event::Code(code)),
            Event::Html(html) | Event::InlineHtml(html) => out.push(Event::Text(html)),
            Event::SoftBreak | Event::HardBreak => out.push(Event::Text(" ".into())),
            Event::InlineMath(t) | Event::DisplayMath(t) | Event::FootnoteReference(t) => {
                out.push(Event::Text(t))
            }
            Event::Rule | Event::TaskListMarker(_) => {}
        }
    }
    out
}

/// Whether `c` may be part of a username (ASCII letters, digits, `_-.`).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The `@name` mentions in `text`: byte range of each (the `@` included)
/// and the name. A mention starts the text or follows a character that is
/// not part of a name (so `ann@example.com` is no mention); trailing `.`
/// and `-` end a sentence, not the name.
pub fn find_mentions(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        let starts = c == '@' && !previous.is_some_and(|p| is_name_char(p) || p == '@');
        previous = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[at + 1..];
        let len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let name = rest[..len].trim_end_matches(['.', '-']);
        if (3..=30).contains(&name.len()) {
            found.push((at..at + 1 + name.len(), name));
        }
    }
    found
}

/// Pushes `text`, with each mention the resolver knows as a link to its
/// person.
fn link_mentions<'a>(
    text: CowStr<'a>,
    mention: MentionResolver<'_>,
    mentioned: &mut Vec<String>,
    out: &mut Vec<Event<'a>>,
) {
    let mut from = 0;
    for (range, name) in find_mentions(&text) {
        let Some(url) = mention(name) else {
            continue;
        };
        if range.start > from {
            out.push(Event::Text(text[from..range.start].to_string().into()));
        }
        out.push(Event::Start(Tag::Link {
            link_type: LinkType::Inline,
            dest_url: url.into(),
            title: "".into(),
            id: "".into(),
        }));
        out.push(Event::Text(text[range.clone()].to_string().into()));
        out.push(Event::End(TagEnd::Link));
        if !mentioned.iter().any(|m| m.eq_ignore_ascii_case(name)) {
            mentioned.push(name.to_string());
        }
        from = range.end;
    }
    if from == 0 {
        out.push(Event::Text(text));
    } else if from < text.len() {
        out.push(Event::Text(text[from..].to_string().into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(source: &str) -> RenderedComment {
        render_comment(source, &|_| None)
    }

    #[test]
    fn inline_markdown_renders_without_a_paragraph() {
        let r = plain("Try `reset -f` and **hold** it, see [docs](https://example.com/x) ~~now~~");
        assert_eq!(
            r.html,
            "Try <code>reset -f</code> and <strong>hold</strong> it, see \
             <a href=\"https://example.com/x\" rel=\"nofollow ugc noopener noreferrer\">docs</a> \
             <del>now</del>"
        );
        assert_eq!(r.text, "Try reset -f and hold it, see docs now");
    }

    #[test]
    fn block_syntax_stays_text() {
        for (source, shown) in [
            ("# Heading", "# Heading"),
            ("> quoted", "&gt; quoted"),
            ("- item", "- item"),
            ("* item", "* item"),
            ("1. first", "1. first"),
            ("2) second", "2) second"),
            ("```rust", "```rust"),
            ("~~~", "~~~"),
            ("---", "---"),
            ("[a]: /somewhere", "[a]: /somewhere"),
            ("    indented code", "indented code"),
            ("line one\n=====", "line one ====="),
            ("a\n\n- b\n\n> c", "a - b &gt; c"),
        ] {
            let r = plain(source);
            assert_eq!(r.html, shown, "{source:?}");
            for tag in [
                "<h",
                "<ul",
                "<ol",
                "<li",
                "<blockquote",
                "<pre",
                "<hr",
                "<p>",
            ] {
                assert!(!r.html.contains(tag), "{source:?} gave {}", r.html);
            }
        }
        // Emphasis at the start is still emphasis.
        assert_eq!(plain("*really* broken").html, "<em>really</em> broken");
    }

    #[test]
    fn html_and_scripts_are_text_and_images_links() {
        let r = plain("<script>alert(1)</script> <b onclick=\"x()\">bold</b>");
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("<b"), "{}", r.html);
        assert!(
            r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{}",
            r.html
        );
        let r = plain("<div>block</div>");
        assert_eq!(r.html, "&lt;div&gt;block&lt;/div&gt;");
        let r = plain("![logo](https://example.com/l.png) [x](javascript:alert(1))");
        assert!(!r.html.contains("<img"), "{}", r.html);
        assert!(r.html.contains(">logo</a>"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
    }

    #[test]
    fn mentions_link_only_known_names_outside_code_and_links() {
        let known = |name: &str| {
            name.eq_ignore_ascii_case("ann")
                .then(|| "/users/ann".to_string())
        };
        let r = render_comment(
            "@Ann which firmware? cc @nobody, `@ann` mail ann@example.com [@ann](/x) @ann.",
            &known,
        );
        assert_eq!(r.mentioned, vec!["Ann".to_string()]);
        assert_eq!(
            r.html.matches("href=\"/users/ann\"").count(),
            2,
            "{}",
            r.html
        );
        assert!(r.html.starts_with("<a href=\"/users/ann\""), "{}", r.html);
        assert!(r.html.contains("<code>@ann</code>"), "{}", r.html);
        assert!(r.html.contains("@nobody,"), "{}", r.html);
        assert!(r.html.contains("ann@example.com"), "{}", r.html);
    }

    #[test]
    fn mentions_are_found_where_names_start() {
        let names: Vec<&str> = find_mentions("@ab @abc x@def (@g.h-i.) @@jkl")
            .into_iter()
            .map(|(_, n)| n)
            .collect();
        assert_eq!(names, ["abc", "g.h-i"]);
    }
}
