//! What a user typed into a question or answer form, checked and rendered:
//! length limits, tag normalization and title slugs. Pure functions, no
//! database.

use crate::markdown::{self, Rendered};

/// Shortest title (characters).
pub const TITLE_MIN: usize = 10;
/// Longest title (characters).
pub const TITLE_MAX: usize = 150;
/// Shortest question or answer body (characters).
pub const BODY_MIN: usize = 20;
/// Longest body (characters).
pub const BODY_MAX: usize = 30_000;
/// Most tags on a question.
pub const TAGS_MAX: usize = 5;
/// Longest tag (characters).
pub const TAG_MAX_CHARS: usize = 25;

/// A question that passed validation.
#[derive(Debug, Clone)]
pub struct QuestionDraft {
    /// Trimmed title.
    pub title: String,
    /// Markdown body.
    pub body: String,
    /// Rendered body.
    pub rendered: Rendered,
    /// Normalized tags.
    pub tags: Vec<String>,
}

/// Normalizes a tag list typed as text (commas or spaces): lowercase, `a-z
/// 0-9 - . + #`, no duplicates; 1 to 5 tags of at most 25 characters.
pub fn normalize_tags(raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let tag: String = part
            .to_lowercase()
            .chars()
            .map(|c| if c == '_' { '-' } else { c })
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | '#'))
            .collect();
        let tag = tag.trim_matches(['-', '.']).to_string();
        if tag.is_empty() {
            return Err(format!("The tag {part:?} has no letters or digits left after cleaning; use a-z, 0-9 and dashes."));
        }
        if tag.chars().count() > TAG_MAX_CHARS {
            return Err(format!(
                "The tag {tag:?} is longer than {TAG_MAX_CHARS} characters."
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.is_empty() {
        return Err(
            "Add at least one tag, such as the product or feature the question is about.".into(),
        );
    }
    if out.len() > TAGS_MAX {
        return Err(format!(
            "Use at most {TAGS_MAX} tags; you gave {}.",
            out.len()
        ));
    }
    Ok(out)
}

/// Checks a body's length without rendering it (cheap: runs before rate
/// limits and before any markdown work).
pub fn check_body(body: &str) -> Result<(), String> {
    let chars = body.trim().chars().count();
    if chars < BODY_MIN {
        return Err(format!("The text needs at least {BODY_MIN} characters; describe what you did and what you saw."));
    }
    body_too_long(body).map_or(Ok(()), Err)
}

/// The message for a body over [`BODY_MAX`] characters, if it is.
pub fn body_too_long(body: &str) -> Option<String> {
    let chars = body.trim().chars().count();
    (chars > BODY_MAX)
        .then(|| format!("The text can have at most {BODY_MAX} characters; yours has {chars}."))
}

/// The message for a title over [`TITLE_MAX`] characters, if it is.
pub fn title_too_long(title: &str) -> Option<String> {
    let chars = title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .count();
    (chars > TITLE_MAX)
        .then(|| format!("The title can have at most {TITLE_MAX} characters; yours has {chars}."))
}

/// Checks a body's length and renders it with the strict profile.
pub fn validate_body(body: &str) -> Result<Rendered, String> {
    check_body(body)?;
    Ok(markdown::render_post(body))
}

/// A question's fields that passed validation, not rendered yet.
#[derive(Debug, Clone)]
pub struct QuestionFields {
    /// Trimmed title.
    pub title: String,
    /// Trimmed markdown body.
    pub body: String,
    /// Normalized tags.
    pub tags: Vec<String>,
}

impl QuestionFields {
    /// Renders the body: the expensive step, run after the rate limit.
    pub fn render(self) -> QuestionDraft {
        let rendered = markdown::render_post(&self.body);
        QuestionDraft {
            title: self.title,
            body: self.body,
            rendered,
            tags: self.tags,
        }
    }
}

/// Checks a question's title, body length and tags without rendering;
/// every problem is reported at once.
pub fn check_question(
    title: &str,
    body: &str,
    raw_tags: &str,
) -> Result<QuestionFields, Vec<String>> {
    let mut errors = Vec::new();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.chars().count() < TITLE_MIN {
        errors.push(format!("The title needs at least {TITLE_MIN} characters: say what goes wrong, e.g. \u{201c}Search finds nothing after upgrade\u{201d}."));
    } else if let Some(e) = title_too_long(&title) {
        errors.push(e);
    }
    if let Err(e) = check_body(body) {
        errors.push(e);
    }
    let tags = normalize_tags(raw_tags).map_err(|e| errors.push(e)).ok();
    match tags {
        Some(tags) if errors.is_empty() => Ok(QuestionFields {
            title,
            body: body.trim().to_string(),
            tags,
        }),
        _ => Err(errors),
    }
}

/// Validates a question and renders its body; every problem is reported at once.
pub fn validate_question(
    title: &str,
    body: &str,
    raw_tags: &str,
) -> Result<QuestionDraft, Vec<String>> {
    check_question(title, body, raw_tags).map(QuestionFields::render)
}

/// URL slug of a title.
pub fn title_slug(title: &str) -> String {
    let slug = markdown::slugify(title);
    let mut cut: String = slug.chars().take(80).collect();
    while cut.ends_with('-') {
        cut.pop();
    }
    if cut.is_empty() {
        "question".into()
    } else {
        cut
    }
}
