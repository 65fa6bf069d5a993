//! The staff dashboard: what to write next, on one page. Content gaps from
//! the search log, articles that did not help, broken links in articles,
//! troubleshooters and where customers stop, questions waiting longest,
//! open flags, and problems of the content files and the search synonyms file.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::db::models::search_log::{self, QueryCount};
use crate::db::models::{articles, feedback, flags, questions, trees};
use crate::db::{unix_now, Conn};
use crate::error::AppResult;
use crate::ids::ArticleId;
use crate::kinds::DocKind;
use crate::service::link_check;
use crate::web::extract::Staff;
use crate::web::paths;
use crate::web::templates::{format_ago, format_day};
use crate::web::{param, query_params, render, with_db};

#[derive(Debug, Serialize)]
struct GapRow {
    query: String,
    count: i64,
    search_url: String,
    write_url: String,
}

#[derive(Debug, Serialize)]
struct ArticleFeedback {
    title: String,
    url: String,
    yes: i64,
    no: i64,
    unhelpful_percent: i64,
    comments: Vec<String>,
}

#[derive(Debug, Serialize)]
struct TreeRow {
    title: String,
    url: String,
    starts: i64,
    resolved: i64,
    resolved_percent: i64,
    escalated: i64,
    abandoned: i64,
    top_stop: Option<String>,
    top_stop_count: i64,
}

#[derive(Debug, Serialize)]
struct WaitingQuestion {
    title: String,
    url: String,
    age: String,
    answers: i32,
    /// When the asker said "still not solved" (such questions lead the list).
    said_unsolved: Option<String>,
}

/// The counts line: solved, waiting and stale questions.
#[derive(Debug, Serialize)]
struct SolvedLine {
    solved: i64,
    waiting: i64,
    stale: i64,
}

impl From<questions::SolvedCounts> for SolvedLine {
    fn from(c: questions::SolvedCounts) -> Self {
        SolvedLine {
            solved: c.solved,
            waiting: c.waiting,
            stale: c.stale,
        }
    }
}

#[derive(Debug, Serialize)]
struct Link {
    title: String,
    url: String,
    note: String,
}

#[derive(Debug, Serialize)]
struct BrokenLinkRow {
    title: String,
    url: String,
    edit_url: String,
    message: String,
}

#[derive(Debug, Serialize)]
struct DashboardPage {
    days: i64,
    other_days: i64,
    other_days_url: String,
    searches: i64,
    zero_searches: i64,
    zero_results: Vec<GapRow>,
    no_click: Vec<GapRow>,
    chart_svg: String,
    worst_articles: Vec<ArticleFeedback>,
    outdated: Vec<Link>,
    broken_links: Vec<BrokenLinkRow>,
    links_checked: usize,
    trees: Vec<TreeRow>,
    unanswered: Vec<WaitingQuestion>,
    unsolved: Vec<WaitingQuestion>,
    /// Solved, waiting and stale questions.
    counts: SolvedLine,
    /// The `solved_nudge_days` the stale count uses.
    stale_days: u32,
    open_flags: i64,
    /// Mail waiting to be sent (or retrying), and mail given up.
    mail_queued: i64,
    mail_failed: i64,
    /// Whether e-mail is on.
    mail_enabled: bool,
    /// Problems of `synonyms.toml` on disk (search keeps the synonyms it had).
    synonym_problems: Vec<String>,
    /// Open known issues with their linked-question counts.
    open_issues: Vec<OpenIssueRow>,
    /// Questions of the last 7 days matching an open issue, not linked.
    unlinked_matches: Vec<UnlinkedRow>,
    /// Problems of the content files on disk found by the last reload (the
    /// site keeps the content it had).
    content_problems: Vec<String>,
}

/// An open known issue on the dashboard.
#[derive(Debug, Serialize)]
struct OpenIssueRow {
    title: String,
    url: String,
    status: &'static str,
    linked_questions: i64,
    updated: String,
}

/// A recent question that matches an open known issue but is not linked.
#[derive(Debug, Serialize)]
struct UnlinkedRow {
    title: String,
    url: String,
    issue_title: String,
    issue_url: String,
    issue_slug: String,
    age: String,
}

/// The known-issue part: open issues with linked-question counts, and
/// questions of the last 7 days that match one but are not linked.
fn known_issue_rows(conn: &mut Conn, now: i64) -> AppResult<(Vec<OpenIssueRow>, Vec<UnlinkedRow>)> {
    let (open, unlinked) = crate::service::known_issues::dashboard(conn, now - 7 * 86_400)?;
    let open = open
        .into_iter()
        .map(|row| OpenIssueRow {
            url: paths::known_issue(&row.issue.slug),
            status: row.issue.status.label(),
            updated: format_ago(now, row.issue.updated_at),
            title: row.issue.title,
            linked_questions: row.linked_questions,
        })
        .collect();
    let unlinked = unlinked
        .into_iter()
        .map(|m| UnlinkedRow {
            url: m.question.path(),
            age: format_ago(now, m.question.created_at),
            title: m.question.title,
            issue_url: paths::known_issue(&m.issue.slug),
            issue_slug: m.issue.slug,
            issue_title: m.issue.title,
        })
        .collect();
    Ok((open, unlinked))
}

fn gap_rows(list: Vec<QueryCount>) -> Vec<GapRow> {
    list.into_iter()
        // A blank query (logged before a query of control characters alone
        // counted as no search) would be a link without text.
        .filter(|q| !q.query.trim().is_empty())
        .map(|q| GapRow {
            search_url: paths::search(&q.query, None, 1),
            write_url: paths::new_article_titled(&q.query),
            query: q.query,
            count: q.count,
        })
        .collect()
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole == 0 {
        0
    } else {
        (part * 100 + whole / 2) / whole
    }
}

/// Searches per day as bars and the zero-result rate as a line, drawn on
/// the server (no chart library). Numbers only: nothing to escape.
pub fn chart(daily: &[(i64, i64, i64)], since: i64, days: i64) -> String {
    let (width, height, pad) = (600.0_f64, 140.0_f64, 20.0_f64);
    let max = daily.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
    let slot = (width - pad * 2.0) / days as f64;
    let mut bars = String::new();
    let mut points = Vec::new();
    for i in 0..days {
        let day = since + i * 86_400;
        let (all, zero) = daily
            .iter()
            .find(|d| d.0 == day)
            .map(|d| (d.1, d.2))
            .unwrap_or((0, 0));
        let x = pad + i as f64 * slot;
        let h = (all as f64 / max) * (height - pad * 2.0);
        bars.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#9cc3e0\"><title>{}: {all} searches, {zero} without results</title></rect>",
            x + 1.0,
            height - pad - h,
            (slot - 2.0).max(1.0),
            h,
            format_day(day)
        ));
        if all > 0 {
            let rate = zero as f64 / all as f64;
            points.push(format!(
                "{:.1},{:.1}",
                x + slot / 2.0,
                height - pad - rate * (height - pad * 2.0)
            ));
        }
    }
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Searches per day (bars) and share without results (line) over {days} days\">\
         <line x1=\"{pad}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#dde2ea\"/>{bars}\
         <polyline points=\"{}\" fill=\"none\" stroke=\"#a32c2c\" stroke-width=\"2\"/></svg>",
        points.join(" "),
        y = height - pad,
        x2 = width - pad,
    )
}

/// The articles voted unhelpful most often (share, then count), with their
/// latest comments: one query for the votes, one for the articles, one for
/// the comments of the ten shown.
fn worst_articles(conn: &mut Conn) -> AppResult<Vec<ArticleFeedback>> {
    let totals: Vec<(i32, i64, i64)> = feedback::totals(conn, DocKind::Article)?
        .into_iter()
        .filter(|(_, _, no)| *no > 0)
        .collect();
    let ids: Vec<ArticleId> = totals.iter().map(|(id, _, _)| ArticleId(*id)).collect();
    let found = articles::find_many_with_manual(conn, &ids)?;
    let mut worst: Vec<(i32, ArticleFeedback)> = totals
        .into_iter()
        .filter_map(|(id, yes, no)| {
            let a = found.iter().find(|a| a.article.id == ArticleId(id))?;
            Some((
                id,
                ArticleFeedback {
                    title: a.article.title.clone(),
                    url: paths::article(&a.manual_slug, &a.article.slug),
                    yes,
                    no,
                    unhelpful_percent: percent(no, yes + no),
                    comments: Vec::new(),
                },
            ))
        })
        .collect();
    worst.sort_by(|(_, a), (_, b)| {
        b.unhelpful_percent
            .cmp(&a.unhelpful_percent)
            .then(b.no.cmp(&a.no))
    });
    worst.truncate(10);
    let shown: Vec<i32> = worst.iter().map(|(id, _)| *id).collect();
    let mut comments = feedback::comments_for(conn, DocKind::Article, &shown, 3)?;
    Ok(worst
        .into_iter()
        .map(|(id, mut row)| {
            row.comments = comments.remove(&id).unwrap_or_default();
            row
        })
        .collect())
}

/// Articles marked outdated, with the reason.
fn outdated_articles(conn: &mut Conn) -> AppResult<Vec<Link>> {
    Ok(articles::outdated(conn)?
        .into_iter()
        .map(|a| Link {
            url: paths::article(&a.manual_slug, &a.article.slug),
            note: a.article.outdated_reason.clone().unwrap_or_default(),
            title: a.article.title,
        })
        .collect())
}

/// Broken links in articles, and how many links were checked.
fn broken_links(conn: &mut Conn) -> AppResult<(Vec<BrokenLinkRow>, usize)> {
    let links = link_check::broken_links(conn)?;
    let rows = links
        .broken
        .into_iter()
        .map(|b| BrokenLinkRow {
            url: b.article_url(),
            edit_url: paths::article_edit(&b.manual, &b.article),
            title: b.title,
            message: b.message,
        })
        .collect();
    Ok((rows, links.checked))
}

/// Every troubleshooter with its walks as of `now`, most started first
/// (two queries for the counts, however many trees).
fn tree_rows(conn: &mut Conn, now: i64) -> AppResult<Vec<TreeRow>> {
    let mut stats = trees::all_stats(conn, now)?;
    let mut rows: Vec<TreeRow> = trees::list(conn)?
        .into_iter()
        .map(|row| {
            let stats = stats.remove(&row.id).unwrap_or_default();
            let tree = row.tree().ok();
            let (top_stop, top_stop_count) = match stats.top_stop {
                Some((node, n)) => {
                    let title = tree
                        .as_ref()
                        .and_then(|t| t.node(&node))
                        .map(|n| n.title.clone())
                        .unwrap_or(node);
                    (Some(title), n)
                }
                None => (None, 0),
            };
            TreeRow {
                url: paths::tree(&row.slug),
                title: row.title,
                starts: stats.starts,
                resolved: stats.resolved,
                resolved_percent: percent(stats.resolved, stats.starts),
                escalated: stats.escalated,
                abandoned: stats.abandoned,
                top_stop,
                top_stop_count,
            }
        })
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.starts));
    Ok(rows)
}

/// Questions waiting longest (`unanswered`: without any answer; otherwise
/// answered but not solved, led by those whose asker said "still not
/// solved", most recently said first).
fn waiting(conn: &mut Conn, unanswered: bool, now: i64) -> AppResult<Vec<WaitingQuestion>> {
    const SHOWN: usize = 10;
    let mut list = if unanswered {
        Vec::new()
    } else {
        questions::said_unsolved(conn, SHOWN as i64)?
    };
    for q in questions::oldest_waiting(conn, unanswered, SHOWN as i64)? {
        if list.len() < SHOWN && !list.iter().any(|listed| listed.id == q.id) {
            list.push(q);
        }
    }
    Ok(list
        .into_iter()
        .map(|q| WaitingQuestion {
            url: q.path(),
            age: format_ago(now, q.created_at),
            answers: q.answer_count,
            said_unsolved: q.unsolved_at.map(|at| format_ago(now, at)),
            title: q.title,
        })
        .collect())
}

/// The whole dashboard for the last `days` days as of `now`.
fn dashboard(conn: &mut Conn, days: i64, stale_days: u32, now: i64) -> AppResult<DashboardPage> {
    let today = now - now.rem_euclid(86_400);
    let since = today - (days - 1) * 86_400;
    let (zero, no_click) = search_log::content_gaps(conn, since, 15)?;
    let chart_since = today - 29 * 86_400;
    let daily = search_log::daily(conn, chart_since)?;
    let in_window: Vec<&(i64, i64, i64)> = daily.iter().filter(|d| d.0 >= since).collect();
    let (broken_links, links_checked) = broken_links(conn)?;
    let other_days = if days == 7 { 30 } else { 7 };
    let (mail_queued, mail_failed) = crate::service::mail::queue_counts(conn)?;
    let (open_issues, unlinked_matches) = known_issue_rows(conn, now)?;
    Ok(DashboardPage {
        days,
        other_days,
        other_days_url: paths::staff_dashboard(other_days),
        searches: in_window.iter().map(|d| d.1).sum(),
        zero_searches: in_window.iter().map(|d| d.2).sum(),
        zero_results: gap_rows(zero),
        no_click: gap_rows(no_click),
        chart_svg: chart(&daily, chart_since, 30),
        worst_articles: worst_articles(conn)?,
        outdated: outdated_articles(conn)?,
        broken_links,
        links_checked,
        trees: tree_rows(conn, now)?,
        unanswered: waiting(conn, true, now)?,
        unsolved: waiting(conn, false, now)?,
        counts: SolvedLine::from(questions::solved_counts(
            conn,
            now - i64::from(stale_days) * 86_400,
        )?),
        stale_days,
        open_flags: flags::open_count(conn)?,
        mail_queued,
        mail_failed,
        mail_enabled: false,
        synonym_problems: Vec::new(),
        open_issues,
        unlinked_matches,
        content_problems: Vec::new(),
    })
}

/// GET /staff?days=7|30
pub async fn get_dashboard(
    state: web::Data<AppState>,
    Staff {
        viewer: visitor, ..
    }: Staff,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let params = query_params(req.query_string());
    let days: i64 = if param(&params, "days") == Some("30") {
        30
    } else {
        7
    };
    // With the nudge off, "stale" still means no answer after the default wait.
    let stale_days = match state.config.solved_nudge_days {
        0 => crate::config::DEFAULT_SOLVED_NUDGE_DAYS,
        n => n,
    };
    let mut page = with_db(&state, move |conn| {
        dashboard(conn, days, stale_days, unix_now())
    })
    .await?;
    page.synonym_problems = state.synonyms.problems();
    page.content_problems = state.content_problems.problems();
    page.mail_enabled = state.mail_enabled;
    render(&state, &visitor, "staff/dashboard.html", &page)
}
