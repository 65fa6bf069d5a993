//! Server-side code highlighting: fenced code blocks become class-based
//! highlighted HTML (the stylesheet colours it; no inline style).

use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{CodeBlockKind, Event, Tag, TagEnd};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use super::{escape_html, Events};

/// The syntax definitions, loaded once.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Replaces fenced code blocks with server-side highlighted HTML
/// (class-based, so the stylesheet colours it and no inline style is needed).
pub(super) fn highlight_code_blocks(events: Events<'_>) -> Events<'_> {
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
