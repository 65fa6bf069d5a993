//! Where the links and images of a markdown text point, with the byte range
//! of each destination as written, so an importer can rewrite them in place
//! and keep everything else of the text as it was.

use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Parser, Tag};

/// One destination found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The destination as pulldown-cmark reads it.
    pub dest: String,
    /// Where it is written in the text; `None` when it cannot be found
    /// literally (backslash escapes, entities) or lives in a reference
    /// definition (which has its own entry).
    pub range: Option<Range<usize>>,
    /// Byte offset of the link, for its line number.
    pub offset: usize,
    /// Whether it is an image (or an HTML `src`).
    pub image: bool,
    /// Whether problems with it should be reported here (false for reference
    /// definitions: the links that use them report).
    pub report: bool,
    /// Whether it is a reference-style link (`[text][ref]`), whose
    /// destination is rewritten at its definition.
    pub by_reference: bool,
}

/// Every link, image, reference definition and HTML `href`/`src` of `text`.
pub fn destinations(text: &str) -> Vec<Destination> {
    let parser = Parser::new_ext(text, crate::markdown::options());
    let mut found: Vec<Destination> = parser
        .reference_definitions()
        .iter()
        .filter_map(|(_, def)| {
            let span = def.span.clone();
            let slice = text.get(span.clone())?;
            let after_colon = slice.find("]:")? + 2;
            let at = slice[after_colon..].find(def.dest.as_ref())? + after_colon;
            Some(Destination {
                dest: def.dest.to_string(),
                range: Some(span.start + at..span.start + at + def.dest.len()),
                offset: span.start,
                image: false,
                report: false,
                by_reference: false,
            })
        })
        .collect();
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(tag @ (Tag::Link { .. } | Tag::Image { .. })) => {
                let (link_type, dest_url, image) = match tag {
                    Tag::Link {
                        link_type,
                        dest_url,
                        ..
                    } => (link_type, dest_url, false),
                    Tag::Image {
                        link_type,
                        dest_url,
                        ..
                    } => (link_type, dest_url, true),
                    _ => continue,
                };
                if dest_url.is_empty() {
                    continue;
                }
                let literal = (link_type == LinkType::Inline)
                    .then(|| inline_dest(text, range.clone(), &dest_url))
                    .flatten();
                found.push(Destination {
                    dest: dest_url.to_string(),
                    range: literal,
                    offset: range.start,
                    image,
                    report: true,
                    by_reference: is_reference(link_type),
                });
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                for (name, value) in html_attributes(&html, range.start, text) {
                    found.push(Destination {
                        dest: text[value.clone()].to_string(),
                        range: Some(value),
                        offset: range.start,
                        image: name == "src",
                        report: true,
                        by_reference: false,
                    });
                }
            }
            _ => {}
        }
    }
    found
}

fn is_reference(link_type: LinkType) -> bool {
    matches!(
        link_type,
        LinkType::Reference
            | LinkType::ReferenceUnknown
            | LinkType::Collapsed
            | LinkType::CollapsedUnknown
            | LinkType::Shortcut
            | LinkType::ShortcutUnknown
    )
}

/// The range of `dest` in an inline link `[text](dest "title")`: after the
/// last `](` of the link, before any title.
fn inline_dest(text: &str, range: Range<usize>, dest: &str) -> Option<Range<usize>> {
    let slice = text.get(range.clone())?;
    let open = slice.rfind("](")? + 2;
    let at = slice[open..].find(dest)? + open;
    Some(range.start + at..range.start + at + dest.len())
}

/// `href` and `src` attribute values of raw HTML, as ranges of `text`
/// (`html` is the event text, which starts at `start` in `text`).
fn html_attributes(html: &str, start: usize, text: &str) -> Vec<(&'static str, Range<usize>)> {
    let mut out = Vec::new();
    // The event text equals the source there, unless the parser joined
    // pieces; then the attributes cannot be rewritten in place.
    if text.get(start..start + html.len()) != Some(html) {
        return out;
    }
    let lower = html.to_ascii_lowercase();
    for name in ["href", "src"] {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(name) {
            let at = from + pos;
            from = at + name.len();
            let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
            let rest = lower[from..].trim_start();
            if !before_ok || !rest.starts_with('=') {
                continue;
            }
            let value_start = lower.len() - rest[1..].trim_start().len();
            let Some(quote) = html[value_start..]
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'')
            else {
                continue;
            };
            let inner = value_start + 1;
            if let Some(len) = html[inner..].find(quote) {
                out.push((name, start + inner..start + inner + len));
                from = inner + len;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dests(text: &str) -> Vec<(String, Option<String>, bool, bool)> {
        destinations(text)
            .into_iter()
            .map(|d| {
                (
                    d.dest,
                    d.range.map(|r| text[r].to_string()),
                    d.image,
                    d.report,
                )
            })
            .collect()
    }

    #[test]
    fn finds_inline_reference_image_and_html_destinations() {
        let text = "See [a](./x.md#s \"x.md title\") and ![p](<media/a b.png>).\n\n[![i](m/i.png)](y.md)\n\n[ref]: ../z.md\n\nUse [it][ref].\n\n<img src=\"media/h.png\" alt=\"x\"> <a href='q.pdf'>q</a>\n";
        let found = dests(text);
        let expect = |d: &str, lit: Option<&str>, img: bool, rep: bool| {
            (d.to_string(), lit.map(String::from), img, rep)
        };
        assert!(
            found.contains(&expect("../z.md", Some("../z.md"), false, false)),
            "{found:?}"
        );
        assert!(
            found.contains(&expect("./x.md#s", Some("./x.md#s"), false, true)),
            "{found:?}"
        );
        assert!(
            found.contains(&expect("media/a b.png", Some("media/a b.png"), true, true)),
            "{found:?}"
        );
        assert!(
            found.contains(&expect("y.md", Some("y.md"), false, true)),
            "{found:?}"
        );
        assert!(
            found.contains(&expect("m/i.png", Some("m/i.png"), true, true)),
            "{found:?}"
        );
        assert!(
            found.contains(&expect("../z.md", None, false, true)),
            "{found:?}"
        );
        assert!(
            found.contains(&expect("media/h.png", Some("media/h.png"), true, true)),
            "{found:?}"
        );
        assert!(
            found.contains(&expect("q.pdf", Some("q.pdf"), false, true)),
            "{found:?}"
        );
    }

    #[test]
    fn escaped_destinations_are_not_rewritable() {
        let found = destinations("[a](my\\_file.md)");
        assert_eq!(found[0].dest, "my_file.md");
        assert_eq!(found[0].range, None);
    }
}
