//! DocFX (learn.microsoft.com style) extensions in imported markdown.
//! `:::image ... :::` becomes a plain markdown image; the long description of
//! `type="complex"` (up to `:::image-end:::`) becomes a collapsible
//! description under it. Other extensions (`:::zone`, `:::moniker`,
//! `[!INCLUDE]`, shortcodes) cannot be converted: they are reported and left
//! as text. Fenced code is never touched. Every output line keeps the file
//! line it came from, so later reports still point at the right line.

/// One markdown line with the file line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    /// 1-based line in the imported file.
    pub line: usize,
    /// The text, without its line break.
    pub text: String,
}

/// GitHub alert kinds, which render as admonitions already.
const ALERTS: [&str; 5] = ["note", "tip", "important", "warning", "caution"];

/// Converts what it can; returns the new lines and the problems found
/// (file line, message).
pub fn convert(lines: Vec<SourceLine>) -> (Vec<SourceLine>, Vec<(usize, String)>) {
    let mut out = Vec::with_capacity(lines.len());
    let mut problems = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let current = &lines[i];
        let trimmed = current.text.trim_start();
        i += 1;
        if let Some((c, n)) = fence {
            if fence_marker(trimmed).is_some_and(|(c2, n2)| c2 == c && n2 >= n)
                && trimmed.trim_start_matches(c).trim().is_empty()
            {
                fence = None;
            }
            out.push(current.clone());
            continue;
        }
        if let Some(marker) = fence_marker(trimmed) {
            fence = Some(marker);
            out.push(current.clone());
            continue;
        }
        if let Some(inner) = trimmed.strip_prefix(":::image ") {
            let indent = &current.text[..current.text.len() - trimmed.len()];
            i += convert_image(current, inner, indent, &lines[i..], &mut out, &mut problems);
            continue;
        }
        if let Some(name) = unsupported(trimmed) {
            problems.push((
                current.line,
                format!("unsupported syntax {name}: left as text (rewrite it as plain markdown)"),
            ));
        }
        out.push(current.clone());
    }
    (out, problems)
}

/// One `:::image` line (`current`, indented by `indent`) as a markdown
/// image, followed for a complex image by its description (the lines of
/// `rest` up to `:::image-end:::`) in a collapsible block; returns how many
/// lines of `rest` it used.
fn convert_image(
    current: &SourceLine,
    inner: &str,
    indent: &str,
    rest: &[SourceLine],
    out: &mut Vec<SourceLine>,
    problems: &mut Vec<(usize, String)>,
) -> usize {
    let image = match image_block(inner) {
        Ok(image) => image,
        Err(reason) => {
            problems.push((
                current.line,
                format!("cannot convert `:::image`: {reason}; left as text"),
            ));
            out.push(current.clone());
            return 0;
        }
    };
    let emit = |text: String, line: usize, out: &mut Vec<SourceLine>| {
        out.push(SourceLine {
            line,
            text: if text.is_empty() {
                text
            } else {
                format!("{indent}{text}")
            },
        })
    };
    emit(image.markdown(), current.line, out);
    if !image.complex {
        return 0;
    }
    let Some(len) = rest.iter().position(|l| l.text.trim() == ":::image-end:::") else {
        problems.push((
            current.line,
            "`:::image type=\"complex\"` has no `:::image-end:::` line; its description was left as text".into(),
        ));
        return 0;
    };
    let end_line = rest[len].line;
    emit(String::new(), current.line, out);
    emit(
        "<details><summary>Image description</summary>".into(),
        current.line,
        out,
    );
    emit(String::new(), current.line, out);
    for l in &rest[..len] {
        emit(l.text.trim().to_string(), l.line, out);
    }
    emit(String::new(), end_line, out);
    emit("</details>".into(), end_line, out);
    len + 1
}

/// `(char, count)` of a code fence opening the line.
fn fence_marker(trimmed: &str) -> Option<(char, usize)> {
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = trimmed.chars().take_while(|x| *x == c).count();
    (n >= 3).then_some((c, n))
}

/// The name of an extension that cannot be converted, if the line starts one.
fn unsupported(trimmed: &str) -> Option<String> {
    if let Some(rest) = trimmed.strip_prefix(":::") {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        return Some(format!("\":::{name}\""));
    }
    let unquoted = trimmed.trim_start_matches(['>', ' ']);
    if let Some(rest) = unquoted.strip_prefix("[!") {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if !ALERTS.contains(&name.to_ascii_lowercase().as_str()) {
            return Some(format!("\"[!{name}]\""));
        }
    }
    for opener in ["{{<", "{{%", "{{#"] {
        if trimmed.starts_with(opener) {
            return Some(format!("\"{opener}\" (shortcode)"));
        }
    }
    None
}

/// A parsed `:::image` opening line.
#[derive(Debug, PartialEq, Eq)]
struct Image {
    source: String,
    alt: String,
    complex: bool,
}

impl Image {
    fn markdown(&self) -> String {
        let alt: String = self
            .alt
            .chars()
            .flat_map(|c| match c {
                '[' | ']' | '\\' => vec!['\\', c],
                '\n' => vec![' '],
                other => vec![other],
            })
            .collect();
        let dest = if self.source.contains([' ', '(', ')']) {
            format!("<{}>", self.source)
        } else {
            self.source.clone()
        };
        format!("![{alt}]({dest})")
    }
}

/// Parses `type="content" source="media/x.png" alt-text="...":::`.
fn image_block(inner: &str) -> Result<Image, String> {
    let mut rest = inner.trim_start();
    let mut source = None;
    let mut alt = None;
    let mut kind = String::from("content");
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix(":::") {
            if !after.trim().is_empty() {
                return Err(format!("unexpected text after `:::`: {:?}", after.trim()));
            }
            break;
        }
        if rest.is_empty() {
            return Err("the line does not end with `:::`".into());
        }
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if name.is_empty() {
            return Err(format!("expected name=\"value\" at {:?}", truncate(rest)));
        }
        rest = rest[name_len..].trim_start();
        let Some(after_eq) = rest.strip_prefix('=') else {
            return Err(format!("attribute {name:?} has no =\"value\""));
        };
        let after_eq = after_eq.trim_start();
        let quote = after_eq
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
            .ok_or_else(|| format!("the value of {name:?} is not quoted"))?;
        let body = &after_eq[1..];
        let close = body
            .find(quote)
            .ok_or_else(|| format!("the value of {name:?} is not closed"))?;
        let value = body[..close].to_string();
        rest = &body[close + 1..];
        match name {
            "source" => source = Some(value),
            "alt-text" => alt = Some(value),
            "type" => kind = value,
            _ => {} // lightbox, border, loc-scope: presentation only
        }
    }
    let source = source
        .filter(|s| !s.trim().is_empty())
        .ok_or("it has no source=\"...\"")?;
    if kind != "icon" && alt.as_deref().is_none_or(|a| a.trim().is_empty()) {
        return Err("it has no alt-text=\"...\" (needed unless type=\"icon\")".into());
    }
    Ok(Image {
        source: source.trim().to_string(),
        alt: alt.unwrap_or_default(),
        complex: kind == "complex",
    })
}

fn truncate(text: &str) -> String {
    text.chars().take(30).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<SourceLine> {
        text.lines()
            .enumerate()
            .map(|(i, t)| SourceLine {
                line: i + 10,
                text: t.to_string(),
            })
            .collect()
    }

    fn text(lines: &[SourceLine]) -> String {
        lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn images_become_markdown() {
        let (out, problems) = convert(lines(
            "Intro\n:::image type=\"content\" source=\"media/a b.png\" alt-text=\"The [Start] menu\":::\n  :::image type=\"icon\" source=\"media/i.svg\" border=\"false\":::",
        ));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            text(&out),
            "Intro\n![The \\[Start\\] menu](<media/a b.png>)\n  ![](media/i.svg)"
        );
        assert_eq!(out[1].line, 11);
    }

    #[test]
    fn complex_images_keep_their_description_and_lines() {
        let (out, problems) = convert(lines(
            ":::image type=\"complex\" source=\"media/x.png\" alt-text=\"Diagram\":::\n   The long description.\n:::image-end:::\nAfter",
        ));
        assert!(problems.is_empty(), "{problems:?}");
        let t = text(&out);
        assert!(t.starts_with("![Diagram](media/x.png)\n\n<details>"), "{t}");
        assert!(t.contains("\nThe long description.\n"), "{t}");
        let last = out.last().unwrap();
        assert_eq!((last.line, last.text.as_str()), (13, "After"));
        let described = out
            .iter()
            .find(|l| l.text == "The long description.")
            .unwrap();
        assert_eq!(described.line, 11);
    }

    #[test]
    fn unsupported_extensions_are_reported_outside_code() {
        let (out, problems) = convert(lines(
            ":::zone pivot=\"windows\"\ntext\n:::zone-end:::\n```md\n:::zone\n[!INCLUDE [x](y.md)]\n```\n> [!NOTE]\n> fine\n[!INCLUDE [x](inc.md)]\n:::image source=\"x.png\":::\n:::image type=\"content\" source=\"x.png\" alt-text=\"a\"",
        ));
        let at: Vec<usize> = problems.iter().map(|p| p.0).collect();
        assert_eq!(at, [10, 12, 19, 20, 21], "{problems:?}");
        assert!(problems[0].1.contains("\":::zone\""), "{problems:?}");
        assert!(problems[2].1.contains("[!INCLUDE]"), "{problems:?}");
        assert!(problems[3].1.contains("alt-text"), "{problems:?}");
        assert!(problems[4].1.contains("does not end with"), "{problems:?}");
        assert_eq!(out.len(), 12);
    }
}
