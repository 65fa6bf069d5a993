//! HTML element depth as an HTML parser would count it: the tags of a text
//! found in order, the open elements tracked with the parser's rules for
//! void elements, implied ends and scopes, and start tags too deep escaped.

use std::borrow::Cow;

use super::MAX_HTML_DEPTH;

/// Elements that never have children.
const VOID_ELEMENTS: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements that an HTML parser closes when the same element starts again
/// right inside them (`<p>a<p>b` are siblings, not nested).
const SELF_CLOSING_SIBLINGS: [&str; 11] = [
    "p", "li", "dd", "dt", "option", "optgroup", "tr", "td", "th", "a", "button",
];

/// Elements whose content is text up to their end tag.
const RAW_TEXT_ELEMENTS: [&str; 8] = [
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// What one tag of an HTML text is.
pub(super) enum HtmlToken<'a> {
    /// `<name …>` (or `<name …/>`).
    Start(&'a str),
    /// `</name>`.
    End(&'a str),
}

/// Finds the tags of an HTML text in order: `(offset of '<', token)`.
/// Comments, doctypes and the content of raw-text elements (`<script>`,
/// `<style>`, `<textarea>`…) hold no tags; quoted attribute values may
/// hold `>`; `<div/>` opens a `<div>` as it does in HTML. A tag cut off at
/// the end of the text counts from its start. `each` returns whether it
/// took the tag as a tag (an escaped `<script>` starts no raw text).
pub(super) fn for_each_tag<'a>(html: &'a str, mut each: impl FnMut(usize, HtmlToken<'a>) -> bool) {
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(found) = bytes[i..].iter().position(|&b| b == b'<') {
        let at = i + found;
        let next = bytes.get(at + 1).copied();
        let closing = next == Some(b'/');
        let name_start = if closing { at + 2 } else { at + 1 };
        if !closing && next == Some(b'!') {
            let end = if bytes[at..].starts_with(b"<!--") {
                find(bytes, at + 4, b"-->").map(|e| e + 3)
            } else {
                find(bytes, at, b">").map(|e| e + 1)
            };
            i = end.unwrap_or(bytes.len());
            continue;
        }
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            i = at + 1;
            continue;
        }
        let name_end = bytes[name_start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
            .map_or(bytes.len(), |p| name_start + p);
        let name = &html[name_start..name_end];
        // The end of the tag, skipping quoted attribute values.
        let mut j = name_end;
        let mut quote = None;
        while let Some(&b) = bytes.get(j) {
            match (quote, b) {
                (Some(q), b) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'>') => break,
                _ => {}
            }
            j += 1;
        }
        let token = if closing {
            HtmlToken::End(name)
        } else {
            HtmlToken::Start(name)
        };
        let taken = each(at, token);
        i = (j + 1).min(bytes.len());
        if taken && !closing && is_one_of(name, &RAW_TEXT_ELEMENTS) {
            i = find_end_tag(html, i, name).unwrap_or(bytes.len());
        }
    }
}

/// First index of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Offset of the `</name` that ends a raw-text element, from `from`.
fn find_end_tag(html: &str, from: usize, name: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut i = from;
    while let Some(at) = find(bytes, i, b"</") {
        let candidate = bytes.get(at + 2..at + 2 + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes())) {
            return Some(at);
        }
        i = at + 2;
    }
    None
}

/// HTML elements that a parser's "any other end tag" rule does not close
/// through: an end tag of another element stops at the first of them.
const SPECIAL_ELEMENTS: [&str; 80] = [
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "base",
    "basefont",
    "bgsound",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dir",
    "div",
    "dl",
    "dt",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "iframe",
    "img",
    "input",
    "keygen",
    "li",
    "link",
    "listing",
    "main",
    "marquee",
    "menu",
    "meta",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "p",
    "param",
    "plaintext",
    "pre",
    "script",
    "search",
    "section",
    "select",
    "source",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];

/// Elements that bound the scope an end tag of a special element looks in.
const SCOPE_BOUNDARIES: [&str; 9] = [
    "applet", "caption", "html", "table", "td", "th", "marquee", "object", "template",
];

/// Formatting elements: a parser keeps them in a list of active formatting
/// elements and opens them again after they were closed out of order.
const FORMATTING_ELEMENTS: [&str; 14] = [
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

fn is_one_of(name: &str, list: &[&str]) -> bool {
    list.iter().any(|e| e.eq_ignore_ascii_case(name))
}

/// The stack of open HTML elements, counted the way an HTML parser would
/// build it, or deeper: where the parser's rules are intricate (formatting
/// elements closed out of order, end tags outside their scope) this errs on
/// the side of more depth, never less.
#[derive(Default)]
pub(super) struct OpenElements<'a> {
    names: Vec<&'a str>,
}

impl<'a> OpenElements<'a> {
    /// How far an end tag looks for its element.
    const END_TAG_REACH: usize = MAX_HTML_DEPTH;

    pub(super) fn depth(&self) -> usize {
        self.names.len()
    }

    /// Whether a start tag of `name` would nest one level deeper.
    fn deepens(&self, name: &str) -> bool {
        if is_one_of(name, &VOID_ELEMENTS) {
            return false;
        }
        let sibling = is_one_of(name, &SELF_CLOSING_SIBLINGS);
        !(sibling
            && self
                .names
                .last()
                .is_some_and(|top| top.eq_ignore_ascii_case(name)))
    }

    pub(super) fn start(&mut self, name: &'a str) {
        if self.deepens(name) {
            self.names.push(name);
        }
    }

    pub(super) fn end(&mut self, name: &str) {
        if is_one_of(name, &FORMATTING_ELEMENTS) {
            if self
                .names
                .last()
                .is_some_and(|top| top.eq_ignore_ascii_case(name))
            {
                self.names.pop();
            }
            return;
        }
        let special = is_one_of(name, &SPECIAL_ELEMENTS);
        let stops_at = |open: &str| {
            if special {
                is_one_of(open, &SCOPE_BOUNDARIES)
                    || (name.eq_ignore_ascii_case("li") && is_one_of(open, &["ul", "ol"]))
                    || (name.eq_ignore_ascii_case("p") && open.eq_ignore_ascii_case("button"))
            } else {
                is_one_of(open, &SPECIAL_ELEMENTS)
            }
        };
        let reach = self.names.len().saturating_sub(Self::END_TAG_REACH);
        for at in (reach..self.names.len()).rev() {
            let open = self.names[at];
            if open.eq_ignore_ascii_case(name) {
                // Formatting elements closed on the way stay counted: the
                // parser opens them again.
                let mut kept = 0;
                for i in at + 1..self.names.len() {
                    if is_one_of(self.names[i], &FORMATTING_ELEMENTS) {
                        self.names[at + kept] = self.names[i];
                        kept += 1;
                    }
                }
                self.names.truncate(at + kept);
                return;
            }
            if stops_at(open) {
                return;
            }
        }
    }
}

/// Escapes every start tag that would nest deeper than `limit` elements,
/// so it shows as text; the rest of the HTML is unchanged.
pub fn bound_html_depth(html: &str, limit: usize) -> Cow<'_, str> {
    let mut open = OpenElements::default();
    let mut escaped: Vec<usize> = Vec::new();
    for_each_tag(html, |at, token| {
        match token {
            HtmlToken::Start(name) if open.deepens(name) && open.depth() >= limit => {
                escaped.push(at);
                return false;
            }
            HtmlToken::Start(name) => open.start(name),
            HtmlToken::End(name) => open.end(name),
        }
        true
    });
    if escaped.is_empty() {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len() + escaped.len() * 3);
    let mut from = 0;
    for at in escaped {
        out.push_str(&html[from..at]);
        out.push_str("&lt;");
        from = at + 1;
    }
    out.push_str(&html[from..]);
    Cow::Owned(out)
}
