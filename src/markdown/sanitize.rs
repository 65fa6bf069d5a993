//! The HTML allow-lists (ammonia), one per [`Profile`], and turning
//! sanitized HTML back into plain text.

use std::sync::LazyLock;

use super::{nesting, Profile, MAX_HTML_DEPTH};

/// Only the classes the renderer itself writes are kept.
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

/// The allow-list for manuals written by staff.
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

/// The stricter allow-list for what customers write.
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

/// The allow-list for comments: inline elements only.
static COMMENT: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .tags(["a", "code", "em", "strong", "del"].into_iter().collect())
        .link_rel(Some("nofollow ugc noopener noreferrer"));
    builder
});

/// Passes a comment's HTML through the comment allow-list (depth bounded
/// as in [`sanitize`]).
pub fn sanitize_comment(html: &str) -> String {
    let html = nesting::bound_html_depth(html, MAX_HTML_DEPTH);
    COMMENT.clean(&html).to_string()
}

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

/// Elements that start a new block or line: their tags part the words on
/// either side (`<td>a</td><td>b</td>` is "a" and "b", not "ab"); any
/// other tag (`<em>`, `<code>`, `<a>`) is dropped without a trace.
pub(super) const BLOCK_ELEMENTS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Whether the tag text `tag` (between `<` and `>`) opens or closes a
/// block element.
fn is_block_tag(tag: &str) -> bool {
    let name = tag.strip_prefix('/').unwrap_or(tag);
    let end = name
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    let name = name[..end].to_ascii_lowercase();
    BLOCK_ELEMENTS.binary_search(&name.as_str()).is_ok()
}

/// Drops tags and decodes the common entities: plain text of (sanitized)
/// HTML. Between the text before and after a block element's tag there is
/// a line break (unless whitespace is there already), so the words of two
/// table cells, list items or lines never run together.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut tag: Option<String> = None;
    let mut block_ended = false;
    for c in html.chars() {
        match (&mut tag, c) {
            (None, '<') => tag = Some(String::new()),
            (Some(name), '>') => {
                block_ended |= is_block_tag(name);
                tag = None;
            }
            (Some(name), c) => {
                // Only the start of a tag names it.
                if name.len() < 16 {
                    name.push(c);
                }
            }
            (None, c) => {
                if block_ended
                    && !c.is_whitespace()
                    && !out.is_empty()
                    && !out.ends_with(char::is_whitespace)
                {
                    out.push('\n');
                }
                block_ended = false;
                out.push(c);
            }
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
