//! Splitting a markdown file into its `+++` TOML front matter and body, with
//! line numbers kept so errors point at the right line.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::Diagnostic;

/// A file split at its front matter.
#[derive(Debug)]
pub struct Split<'a> {
    /// The TOML text between the `+++` lines.
    pub front: &'a str,
    /// The markdown after the closing `+++`.
    pub body: &'a str,
    /// How many lines precede the body (to turn body lines into file lines).
    pub body_line_offset: usize,
}

/// Splits `text`; front matter is required and must open on the first line.
pub fn split<'a>(path: &Path, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let text_no_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text_no_bom
        .strip_prefix("+++")
        .and_then(|r| r.strip_prefix('\n').or_else(|| r.strip_prefix("\r\n")))
    else {
        return Err(Diagnostic::new(
            path,
            1,
            "missing front matter: the file must start with a `+++` line, then TOML (title = \"...\"), then `+++`",
        ));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let front = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let body_line_offset = 2 + front.matches('\n').count();
            return Ok(Split {
                front,
                body,
                body_line_offset,
            });
        }
        offset += line.len();
    }
    Err(Diagnostic::new(
        path,
        1,
        "front matter is not closed: add a `+++` line after it",
    ))
}

/// Parses the front matter TOML into `T`, reporting the failing line.
pub fn parse<T: DeserializeOwned>(path: &Path, front: &str) -> Result<T, Diagnostic> {
    toml::from_str(front).map_err(|e| {
        let line = e
            .span()
            .map(|span| front[..span.start.min(front.len())].matches('\n').count() + 2)
            .unwrap_or(1);
        let message = e.message().trim().to_string();
        Diagnostic::new(path, line, format!("bad front matter: {message}"))
    })
}

/// The file line of the first front matter line that sets `key`.
pub fn key_line(front: &str, key: &str) -> usize {
    front
        .lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i + 2)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_counts_lines() {
        let text = "+++\ntitle = \"A\"\nweight = 1\n+++\nbody line\n";
        let s = split(Path::new("a.md"), text).unwrap();
        assert_eq!(s.front, "title = \"A\"\nweight = 1\n");
        assert_eq!(s.body, "body line\n");
        assert_eq!(s.body_line_offset, 4);
        assert_eq!(key_line(s.front, "weight"), 3);
    }

    #[test]
    fn missing_or_unclosed_front_matter() {
        assert!(split(Path::new("a.md"), "# hello")
            .unwrap_err()
            .message
            .contains("missing front matter"));
        assert!(split(Path::new("a.md"), "+++\ntitle = \"x\"\n")
            .unwrap_err()
            .message
            .contains("not closed"));
    }
}
