//! The tera templates, compiled into the binary, and the few filters they use.

use std::collections::HashMap;

use tera::{Tera, Value};

/// Every template, by name, embedded at build time.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    (
        "partials/search_form.html",
        include_str!("../../templates/partials/search_form.html"),
    ),
    (
        "partials/macros.html",
        include_str!("../../templates/partials/macros.html"),
    ),
    (
        "partials/feedback.html",
        include_str!("../../templates/partials/feedback.html"),
    ),
    ("home.html", include_str!("../../templates/home.html")),
    (
        "announcements/list.html",
        include_str!("../../templates/announcements/list.html"),
    ),
    (
        "staff/announcements.html",
        include_str!("../../templates/staff/announcements.html"),
    ),
    (
        "staff/announcement_edit.html",
        include_str!("../../templates/staff/announcement_edit.html"),
    ),
    (
        "docs/index.html",
        include_str!("../../templates/docs/index.html"),
    ),
    (
        "docs/manual.html",
        include_str!("../../templates/docs/manual.html"),
    ),
    (
        "docs/article.html",
        include_str!("../../templates/docs/article.html"),
    ),
    (
        "search/results.html",
        include_str!("../../templates/search/results.html"),
    ),
    (
        "errors/error.html",
        include_str!("../../templates/errors/error.html"),
    ),
    (
        "errors/form_lapsed.html",
        include_str!("../../templates/errors/form_lapsed.html"),
    ),
    (
        "account/login.html",
        include_str!("../../templates/account/login.html"),
    ),
    (
        "account/register.html",
        include_str!("../../templates/account/register.html"),
    ),
    (
        "account/identity_fields.html",
        include_str!("../../templates/account/identity_fields.html"),
    ),
    (
        "account/setup.html",
        include_str!("../../templates/account/setup.html"),
    ),
    (
        "account/settings.html",
        include_str!("../../templates/account/settings.html"),
    ),
    (
        "account/message.html",
        include_str!("../../templates/account/message.html"),
    ),
    (
        "account/unsubscribe.html",
        include_str!("../../templates/account/unsubscribe.html"),
    ),
    (
        "account/forgot.html",
        include_str!("../../templates/account/forgot.html"),
    ),
    (
        "account/reset.html",
        include_str!("../../templates/account/reset.html"),
    ),
    (
        "users/profile.html",
        include_str!("../../templates/users/profile.html"),
    ),
    (
        "staff/users.html",
        include_str!("../../templates/staff/users.html"),
    ),
    (
        "partials/issue_banners.html",
        include_str!("../../templates/partials/issue_banners.html"),
    ),
    (
        "known_issues/list.html",
        include_str!("../../templates/known_issues/list.html"),
    ),
    (
        "known_issues/show.html",
        include_str!("../../templates/known_issues/show.html"),
    ),
    (
        "known_issues/unfollow.html",
        include_str!("../../templates/known_issues/unfollow.html"),
    ),
    (
        "known_issues/edit.html",
        include_str!("../../templates/known_issues/edit.html"),
    ),
    (
        "questions/list.html",
        include_str!("../../templates/questions/list.html"),
    ),
    (
        "questions/tags.html",
        include_str!("../../templates/questions/tags.html"),
    ),
    (
        "questions/ask.html",
        include_str!("../../templates/questions/ask.html"),
    ),
    (
        "questions/post_parts.html",
        include_str!("../../templates/questions/post_parts.html"),
    ),
    (
        "questions/show.html",
        include_str!("../../templates/questions/show.html"),
    ),
    (
        "questions/edit.html",
        include_str!("../../templates/questions/edit.html"),
    ),
    (
        "questions/revisions.html",
        include_str!("../../templates/questions/revisions.html"),
    ),
    (
        "questions/revision.html",
        include_str!("../../templates/questions/revision.html"),
    ),
    (
        "questions/comment_kept.html",
        include_str!("../../templates/questions/comment_kept.html"),
    ),
    (
        "questions/notifications.html",
        include_str!("../../templates/questions/notifications.html"),
    ),
    (
        "questions/solved_confirm.html",
        include_str!("../../templates/questions/solved_confirm.html"),
    ),
    (
        "staff/flags.html",
        include_str!("../../templates/staff/flags.html"),
    ),
    (
        "staff/dashboard.html",
        include_str!("../../templates/staff/dashboard.html"),
    ),
    (
        "staff/articles.html",
        include_str!("../../templates/staff/articles.html"),
    ),
    (
        "staff/article_edit.html",
        include_str!("../../templates/staff/article_edit.html"),
    ),
    (
        "staff/article_revisions.html",
        include_str!("../../templates/staff/article_revisions.html"),
    ),
    (
        "staff/article_revision.html",
        include_str!("../../templates/staff/article_revision.html"),
    ),
    (
        "staff/article_diff.html",
        include_str!("../../templates/staff/article_diff.html"),
    ),
    (
        "troubleshoot/index.html",
        include_str!("../../templates/troubleshoot/index.html"),
    ),
    (
        "troubleshoot/step.html",
        include_str!("../../templates/troubleshoot/step.html"),
    ),
    (
        "troubleshoot/solved.html",
        include_str!("../../templates/troubleshoot/solved.html"),
    ),
];

/// Builds the template engine (autoescaping on for `.html`).
pub fn load() -> tera::Result<Tera> {
    let mut tera = Tera::default();
    tera.add_raw_templates(TEMPLATES.iter().copied())?;
    tera.autoescape_on(vec![".html"]);
    tera.set_escape_fn(escape_html);
    tera.register_filter("day", day_filter);
    tera.register_filter("urlencode", urlencode_filter);
    tera.register_filter("accessible", accessible_filter);
    Ok(tera)
}

/// Autoescaping: the five characters that matter in HTML text and quoted
/// attributes (tera's default also escapes `/`, which only makes URLs unreadable).
fn escape_html(text: &str) -> String {
    crate::markdown::escape_html(text)
}

/// `{{ body_html | accessible | safe }}`: code blocks and tables of
/// rendered markdown made reachable by keyboard when they scroll
/// ([`crate::markdown::accessible_html`]).
fn accessible_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let html = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("accessible: expected HTML text"))?;
    Ok(Value::String(crate::markdown::accessible_html(html)))
}

/// `{{ unix_seconds | day }}` -> `22 Nov 2026`.
fn day_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let secs = value
        .as_i64()
        .ok_or_else(|| tera::Error::msg("day: expected unix seconds"))?;
    Ok(Value::String(format_day(secs)))
}

/// Formats unix seconds as a day, e.g. `22 Nov 2026`.
pub fn format_day(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_else(|| "unknown date".into())
}

/// Formats unix seconds as an ISO 8601 date, e.g. `2026-11-22`.
pub fn format_iso_day(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// How long ago `then` was, as a short phrase ("5 minutes ago").
pub fn format_ago(now: i64, then: i64) -> String {
    let secs = (now - then).max(0);
    let (n, unit) = match secs {
        0..=59 => return "just now".into(),
        60..=3_599 => (secs / 60, "minute"),
        3_600..=86_399 => (secs / 3_600, "hour"),
        86_400..=2_591_999 => (secs / 86_400, "day"),
        _ => return format!("on {}", format_day(then)),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// Formats unix seconds as RFC 3339 (Atom feeds, sitemaps, JSON-LD).
pub fn format_rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// `{{ text | urlencode }}`: percent-encodes for a query string value.
fn urlencode_filter(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("urlencode: expected a string"))?;
    Ok(Value::String(
        form_urlencoded::byte_serialize(text.as_bytes()).collect(),
    ))
}
