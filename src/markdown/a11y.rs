//! Accessibility fixes to rendered markdown, applied when a page shows it
//! (the `accessible` template filter and the live preview), so HTML stored
//! before they existed gets them too:
//! - code blocks and tables that scroll sideways on a narrow screen must be
//!   reachable by keyboard (WCAG 2.1.1; axe's `scrollable-region-focusable`):
//!   every `<pre>` gets `tabindex="0"`, every `<table>` is wrapped in a
//!   focusable `<div class="table-scroll">` that does the scrolling;
//! - a task list's checkbox needs a name (axe's `label`): "Completed task"
//!   or "Incomplete task", as GitHub names them.

/// Opens the scrolling wrapper of a table.
const TABLE_WRAP: &str = "<div class=\"table-scroll\" tabindex=\"0\">";

/// Adds keyboard access to the scrolling blocks of sanitized HTML and names
/// to its checkboxes (HTML as [`super::render`] and the sanitizer write it:
/// double-quoted attributes, `<` escaped in text). Quoted attribute values
/// are skipped whole, so a `<table>` written inside one is left alone; a
/// `<pre>` that already has a `tabindex` keeps it, a checkbox that already
/// has an `aria-label` keeps it.
pub fn accessible_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let len = tag_len(rest);
        let tag = &rest[..len];
        if let Some(attrs) = start_tag(tag, "pre") {
            out.push_str("<pre");
            if !has_attribute(attrs, "tabindex") {
                out.push_str(" tabindex=\"0\"");
            }
            out.push_str(attrs);
        } else if let Some(attrs) = start_tag(tag, "input").filter(|attrs| {
            has_attribute_value(attrs, "type", "checkbox") && !has_attribute(attrs, "aria-label")
        }) {
            out.push_str("<input aria-label=\"");
            out.push_str(if has_attribute(attrs, "checked") {
                "Completed task"
            } else {
                "Incomplete task"
            });
            out.push('"');
            out.push_str(attrs);
        } else if start_tag(tag, "table").is_some() {
            out.push_str(TABLE_WRAP);
            out.push_str(tag);
        } else if tag.eq_ignore_ascii_case("</table>") {
            out.push_str(tag);
            out.push_str("</div>");
        } else {
            out.push_str(tag);
        }
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// Length of the tag at the start of `html` (which starts with `<`), up to
/// and including its `>`; a `>` inside a quoted attribute value does not end
/// it. Unterminated: the rest of the text.
fn tag_len(html: &str) -> usize {
    let mut quote: Option<u8> = None;
    for (i, b) in html.bytes().enumerate().skip(1) {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return i + 1,
            (None, _) => {}
        }
    }
    html.len()
}

/// The attributes and closing `>` of `tag` when it is a start tag of
/// element `name` (`<pre>`, `<pre class="x">`), else `None`.
fn start_tag<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let after = tag.get(1..=name.len())?;
    if !after.eq_ignore_ascii_case(name) {
        return None;
    }
    let attrs = &tag[1 + name.len()..];
    matches!(
        attrs.bytes().next(),
        Some(b' ' | b'>' | b'\t' | b'\n' | b'/')
    )
    .then_some(attrs)
}

/// Whether the attribute list of a start tag names `attribute` (outside
/// quoted values).
fn has_attribute(attrs: &str, attribute: &str) -> bool {
    attribute_value(attrs, attribute).is_some()
}

/// Whether `attribute` is set to `value` (ASCII case ignored).
fn has_attribute_value(attrs: &str, attribute: &str, value: &str) -> bool {
    attribute_value(attrs, attribute).is_some_and(|v| v.eq_ignore_ascii_case(value))
}

/// The value of `attribute` in the attribute list of a start tag (outside
/// quoted values): `""` when it has none (`disabled`), unquoted values up
/// to the next space or `>`.
fn attribute_value<'a>(attrs: &'a str, attribute: &str) -> Option<&'a str> {
    let mut quote: Option<u8> = None;
    let bytes = attrs.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b' ' | b'\t' | b'\n') => {
                let name = &attrs[i + 1..];
                let end = name
                    .find(|c: char| c == '=' || c == '>' || c.is_ascii_whitespace())
                    .unwrap_or(name.len());
                if name[..end].eq_ignore_ascii_case(attribute) {
                    let value = name[end..].trim_start();
                    let Some(value) = value.strip_prefix('=') else {
                        return Some("");
                    };
                    let value = value.trim_start();
                    return Some(match value.as_bytes().first() {
                        Some(&q @ (b'"' | b'\'')) => {
                            let inner = &value[1..];
                            &inner[..inner.find(q as char).unwrap_or(inner.len())]
                        }
                        _ => {
                            let end = value
                                .find(|c: char| c == '>' || c.is_ascii_whitespace())
                                .unwrap_or(value.len());
                            &value[..end]
                        }
                    });
                }
            }
            (None, _) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::accessible_html;

    #[test]
    fn code_blocks_become_focusable() {
        assert_eq!(
            accessible_html("<p>x</p><pre><code>a</code></pre><pre class=\"highlight\"><code>b</code></pre>"),
            "<p>x</p><pre tabindex=\"0\"><code>a</code></pre><pre tabindex=\"0\" class=\"highlight\"><code>b</code></pre>"
        );
    }

    #[test]
    fn tables_are_wrapped_in_a_focusable_scroller() {
        assert_eq!(
            accessible_html(
                "<table><tr><td><table><tr><td>1</td></tr></table></td></tr></table><p>after</p>"
            ),
            "<div class=\"table-scroll\" tabindex=\"0\"><table><tr><td>\
             <div class=\"table-scroll\" tabindex=\"0\"><table><tr><td>1</td></tr></table></div>\
             </td></tr></table></div><p>after</p>"
        );
    }

    #[test]
    fn other_tags_text_and_attribute_values_are_left_alone() {
        let html = "<p title=\"<table> </table> <pre>\">&lt;pre&gt; <preview> <tablex></p>";
        assert_eq!(accessible_html(html), html);
    }

    #[test]
    fn an_existing_tabindex_is_kept_and_the_filter_is_idempotent_for_code() {
        let once = accessible_html("<pre tabindex=\"-1\">a</pre><pre>b</pre>");
        assert_eq!(
            once,
            "<pre tabindex=\"-1\">a</pre><pre tabindex=\"0\">b</pre>"
        );
        assert_eq!(accessible_html(&once), once);
    }

    #[test]
    fn task_list_checkboxes_are_named() {
        assert_eq!(
            accessible_html("<li><input disabled=\"\" type=\"checkbox\" checked=\"\"> a</li><li><input disabled=\"\" type=\"checkbox\"> b</li>"),
            "<li><input aria-label=\"Completed task\" disabled=\"\" type=\"checkbox\" checked=\"\"> a</li>\
             <li><input aria-label=\"Incomplete task\" disabled=\"\" type=\"checkbox\"> b</li>"
        );
        let kept = "<input type=\"checkbox\" aria-label=\"Mine\"><input type=\"text\"><input title=\"type=checkbox\">";
        assert_eq!(accessible_html(kept), kept);
    }

    #[test]
    fn an_unterminated_tag_is_copied() {
        assert_eq!(
            accessible_html("a <pre class=\"x"),
            "a <pre tabindex=\"0\" class=\"x"
        );
        assert_eq!(accessible_html("<"), "<");
    }
}
