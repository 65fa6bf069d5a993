//! Snapshots of the HTML of the main pages, so a template change shows up as
//! a reviewable diff. Times, tokens and fingerprints are redacted first (see
//! [`normalise`]); everything else is compared to the letter.

use crate::fixtures::{article, plain_article, router_tree, BODY};
use crate::harness::TestApp;

/// A small site: one manual with two articles, one tree.
fn site() -> TestApp {
    site_with("## Steps\n\nHold the reset button for **ten seconds**.\n\nSee [paper](paper.md).")
}

/// [`site`] with `reset` as the body of its article "Reset the router".
fn site_with(reset: &str) -> TestApp {
    let app = TestApp::builder()
        .manual("guide", "Printer guide")
        .article("guide/reset", &article("Reset the router", 1, reset))
        .article(
            "guide/paper",
            &plain_article("Loading paper", "Fan the stack before loading it."),
        )
        .tree("router", &router_tree())
        .start();
    app.wait_indexed();
    app
}

/// The page at `path` for anonymous readers, normalised; it must be a 200.
async fn anonymous_page(app: &TestApp, path: &str) -> String {
    let page = app.client().get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    normalise(&page.body)
}

#[actix_web::test]
async fn home_page() {
    let app = site();
    insta::assert_snapshot!("home", anonymous_page(&app, "/").await);
}

#[actix_web::test]
async fn article_page() {
    let app = site();
    insta::assert_snapshot!("article", anonymous_page(&app, "/docs/guide/reset").await);
}

#[actix_web::test]
async fn tree_step_page() {
    let app = site();
    insta::assert_snapshot!(
        "tree_step",
        anonymous_page(&app, "/troubleshoot/router?lights=yes").await
    );
}

#[actix_web::test]
async fn question_with_an_accepted_answer() {
    let app = site();
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let q = ann
        .asks("Printer blinks amber after a paper jam", BODY, "printer")
        .await;
    let a = bob
        .answers(
            &q,
            "Open the rear tray, pull the sheet out, then **reset** it.",
        )
        .await;
    assert_eq!(ann.accepts(&a).await.status, 303);
    insta::assert_snapshot!("question_accepted", anonymous_page(&app, &q.path).await);
}

#[actix_web::test]
async fn search_results_page() {
    let app = site();
    insta::assert_snapshot!(
        "search_results",
        anonymous_page(&app, "/search?q=reset").await
    );
}

#[actix_web::test]
async fn zero_results_page() {
    let app = site();
    insta::assert_snapshot!(
        "search_zero_results",
        anonymous_page(&app, "/search?q=flux+capacitor").await
    );
}

#[actix_web::test]
async fn staff_dashboard_page() {
    let app = site();
    for q in ["flux capacitor", "reset"] {
        app.client()
            .get(&format!("/search?q={}", q.replace(' ', "+")))
            .await;
    }
    app.client().get("/troubleshoot/router?lights=no").await;
    let sam = app.staff("sam").await;
    let page = sam.get("/staff").await;
    assert_eq!(page.status, 200, "{}", page.body);
    insta::assert_snapshot!("staff_dashboard", normalise(&page.body));
}

/// Markup rules a browser's accessibility and HTML checkers (axe-core, the
/// Nu HTML Checker) enforce, over every kind of page a reader and a staff
/// member see, including markdown with a code block, a table and a task list:
/// no heading level skipped, no `aria-label` on a `div` without a role, a
/// machine-readable date in every `<time>`, no block inside a `<p>` (the
/// parser would end the paragraph early), code blocks and tables reachable
/// by keyboard when they scroll, and task-list checkboxes with a name.
#[actix_web::test]
async fn pages_pass_the_markup_rules_of_the_browser_checkers() {
    let app = site_with(
        "## Steps\n\n```sh\nrouter-reset --hold 10 --then-wait-for-the-lights\n```\n\n\
         | light | means |\n| --- | --- |\n| amber | resetting |\n\n- [x] unplugged\n- [ ] waited",
    );
    let ann = app.member("ann").await;
    let bob = app.member("bob").await;
    let sam = app.staff("sam").await;
    let q = ann
        .asks(
            "Printer blinks amber after a paper jam",
            "The log says:\n\n```\njam at tray 2\n```\n\n| tray | state |\n| --- | --- |\n| 2 | jammed |",
            "printer",
        )
        .await;
    let a = bob.answers(&q, "Run `printer-clear` and retry.").await;
    assert_eq!(ann.accepts(&a).await.status, 303);
    let guest = app.client();
    let guest_pages = [
        "/",
        "/docs",
        "/docs/guide",
        "/docs/guide/reset",
        "/troubleshoot",
        "/troubleshoot/router?lights=yes",
        "/questions",
        "/tags",
        "/tags/printer",
        q.path.as_str(),
        "/search?q=reset",
        "/search?q=flux+capacitor",
        "/users/ann",
    ];
    for path in guest_pages {
        let page = guest.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_markup_rules(path, &page.body);
    }
    for path in [q.path.as_str(), "/staff", "/questions/ask", "/account"] {
        let page = sam.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_markup_rules(&format!("{path} (staff)"), &page.body);
    }

    let article = guest.get("/docs/guide/reset").await;
    article.assert_contains("<pre tabindex=\"0\" class=\"highlight\">");
    article.assert_contains("<div class=\"table-scroll\" tabindex=\"0\"><table>");
    article.assert_contains("aria-label=\"Completed task\"");
    article.assert_contains("aria-label=\"Incomplete task\"");
    let question = guest.get(&q.path).await;
    question.assert_contains("<pre tabindex=\"0\"><code>jam at tray 2");
    question.assert_contains("<div class=\"table-scroll\" tabindex=\"0\"><table>");
    let docs = guest.get("/docs").await;
    docs.assert_contains("<h2><a href=\"/docs/guide\">Printer guide</a></h2>");
}

/// Checks [`pages_pass_the_markup_rules_of_the_browser_checkers`]'s rules on
/// one page.
fn assert_markup_rules(page: &str, html: &str) {
    // As axe's heading-order: the first heading may have any level (a tree
    // step's "Your answers" h2 comes before its h1), each next one at most
    // one deeper than the one before.
    for pair in heading_levels(html).windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "{page}: an h{} follows an h{}",
            pair[1],
            pair[0]
        );
    }
    for tag in start_tags(html, "div") {
        assert!(
            !tag.contains(" aria-label=") || tag.contains(" role="),
            "{page}: aria-label on a div without a role: {tag}"
        );
    }
    for tag in start_tags(html, "time") {
        assert!(
            tag.contains(" datetime=\""),
            "{page}: {tag} has no datetime"
        );
    }
    for tag in start_tags(html, "pre") {
        assert!(
            tag.contains(" tabindex=\"0\""),
            "{page}: {tag} is not focusable"
        );
    }
    for (at, _) in html.match_indices("<table>") {
        assert!(
            html[..at].ends_with("<div class=\"table-scroll\" tabindex=\"0\">"),
            "{page}: a table outside a focusable scroller"
        );
    }
    for tag in start_tags(html, "input") {
        if tag.contains("type=\"checkbox\"") && tag.contains(" disabled") {
            assert!(tag.contains(" aria-label=\""), "{page}: {tag} has no name");
        }
    }
    for (at, _) in html.match_indices("<p") {
        if !matches!(html.as_bytes().get(at + 2), Some(b' ' | b'>')) {
            continue;
        }
        let end = html[at..].find("</p>").map_or(html.len(), |e| at + e);
        let paragraph = &html[at..end];
        for block in [
            "<div", "<details", "<form", "<ul", "<ol", "<table", "<pre", "<section",
        ] {
            assert!(
                !paragraph.contains(block),
                "{page}: {block} inside a paragraph: {paragraph:.200}"
            );
        }
    }
}

/// The levels of the `<h1>`–`<h6>` headings, in document order.
fn heading_levels(html: &str) -> Vec<u8> {
    html.match_indices("<h")
        .filter_map(|(at, _)| {
            let bytes = html.as_bytes();
            match (bytes.get(at + 2), bytes.get(at + 3)) {
                (Some(&d @ b'1'..=b'6'), Some(b' ' | b'>')) => Some(d - b'0'),
                _ => None,
            }
        })
        .collect()
}

/// The start tags of element `name`, from `<` to `>`.
fn start_tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    html.match_indices(&open)
        .filter(|(at, _)| matches!(html.as_bytes().get(at + open.len()), Some(b' ' | b'>')))
        .map(|(at, _)| &html[at..html[at..].find('>').map_or(html.len(), |e| at + e + 1)])
        .collect()
}

#[test]
fn the_markup_rules_catch_what_they_are_for() {
    let broken = [
        "<h1>a</h1><h3>b</h3>",
        "<div class=\"vote\" aria-label=\"Score\">1</div>",
        "<time>3 days ago</time>",
        "<pre><code>x</code></pre>",
        "<table><tr><td>1</td></tr></table>",
        "<input disabled=\"\" type=\"checkbox\">",
        "<p class=\"post-actions\"><details><summary>Flag</summary></details></p>",
    ];
    for html in broken {
        let caught = std::panic::catch_unwind(|| assert_markup_rules("sample", html));
        assert!(caught.is_err(), "not caught: {html}");
    }
    assert_markup_rules(
        "sample",
        "<h1>a</h1><h2>b</h2><h3>c</h3><h2>d</h2><div class=\"vote\" role=\"group\" aria-label=\"Score\">1</div>\
         <time datetime=\"2026-11-30\">today</time><pre tabindex=\"0\">x</pre>\
         <div class=\"table-scroll\" tabindex=\"0\"><table><tr><td>1</td></tr></table></div>\
         <input aria-label=\"Completed task\" disabled=\"\" type=\"checkbox\" checked=\"\"><p>text <code>x</code></p>",
    );
}

/// The page with everything that differs between runs replaced by a
/// bracketed label: form tokens and submit keys, ids of feedback targets
/// (which follow the order content files are read in), fingerprinted asset
/// names, ISO timestamps, dates and relative times.
fn normalise(html: &str) -> String {
    let mut text = html.to_string();
    for field in ["csrf", "submit_key", "target"] {
        text = redact_after(&text, &format!("name=\"{field}\" value=\""), '"', field);
    }
    for asset in ["/static/style.", "/static/favicon.", "/static/ask."] {
        text = redact_after(&text, asset, '.', "hash");
    }
    text = redact_digit_runs(&text);
    text
}

/// Replaces the text between each `marker` and the next `end` with `[label]`.
fn redact_after(text: &str, marker: &str, end: char, label: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let value_start = at + marker.len();
        out.push_str(&rest[..value_start]);
        rest = &rest[value_start..];
        let value_end = rest.find(end).unwrap_or(rest.len());
        out.push_str(&format!("[{label}]"));
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    out
}

/// Replaces time-like runs: ISO timestamps and dates (`2026-03-04`,
/// `2026-03-04T05:06:07Z`), clock times and relative times
/// (`3 minutes ago`, `just now`).
fn redact_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(len) = iso_date_len(rest).or_else(|| human_date_len(rest)) {
            out.push_str("[date]");
            rest = &rest[len..];
            continue;
        }
        if let Some(len) = relative_time_len(rest) {
            out.push_str("[time ago]");
            rest = &rest[len..];
            continue;
        }
        let step = rest.chars().next().map_or(1, char::len_utf8);
        out.push_str(&rest[..step]);
        rest = &rest[step..];
    }
    out
}

/// The length of an ISO date (with an optional time and zone) at the start
/// of `text`.
fn iso_date_len(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let dashes = b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-');
    if !(dashes && digits(0..4) && digits(5..7) && digits(8..10)) {
        return None;
    }
    let mut len = 10;
    if matches!(b.get(10), Some(b'T' | b' ')) && digits(11..13) && b.get(13) == Some(&b':') {
        len = 11;
        while b
            .get(len)
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, b':' | b'.'))
        {
            len += 1;
        }
        if b.get(len) == Some(&b'Z') {
            len += 1;
        } else if matches!(b.get(len), Some(b'+' | b'-')) && digits(len + 1..len + 3) {
            len += 3;
            if b.get(len) == Some(&b':') {
                len += 3;
            }
        }
    }
    Some(len)
}

/// The length of a date as the pages print it (`4 Mar 2026`) at the start
/// of `text`.
fn human_date_len(text: &str) -> Option<usize> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day = text.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=2).contains(&day) {
        return None;
    }
    let month = text[day..].strip_prefix(' ')?.get(..3)?;
    let year = text.get(day + 4..day + 9)?;
    let is_year = year.starts_with(' ') && year[1..].bytes().all(|b| b.is_ascii_digit());
    (MONTHS.contains(&month) && is_year).then_some(day + 9)
}

/// The length of a relative time (`just now`, `3 minutes ago`) at the start
/// of `text`.
fn relative_time_len(text: &str) -> Option<usize> {
    if text.starts_with("just now") {
        return Some("just now".len());
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let after = text[digits..].strip_prefix(' ')?;
    let unit = after.split(' ').next()?;
    let units = ["second", "minute", "hour", "day", "week", "month", "year"];
    if !units.iter().any(|u| unit.trim_end_matches('s') == *u) {
        return None;
    }
    let tail = &after[unit.len()..];
    tail.starts_with(" ago")
        .then_some(digits + 1 + unit.len() + " ago".len())
}

#[test]
fn normalise_redacts_what_changes_between_runs() {
    let page = concat!(
        "<link href=\"/static/style.0a1b2c3d.css\">",
        "<input name=\"csrf\" value=\"abc123\"><input name=\"submit_key\" value=\"ff00\">",
        "<time datetime=\"2026-03-04T05:06:07Z\">3 minutes ago</time> on 2026-03-04, ",
        "<time datetime=\"2026-03-04 05:06:07+01:00\">4 Mar 2026</time>, 30 Nov 2026: 0, ",
        "just now, 1 hour ago, 12 answers, 10 seconds",
    );
    assert_eq!(
        normalise(page),
        concat!(
            "<link href=\"/static/style.[hash].css\">",
            "<input name=\"csrf\" value=\"[csrf]\"><input name=\"submit_key\" value=\"[submit_key]\">",
            "<time datetime=\"[date]\">[time ago]</time> on [date], ",
            "<time datetime=\"[date]\">[date]</time>, [date]: 0, ",
            "[time ago], [time ago], 12 answers, 10 seconds",
        )
    );
}
