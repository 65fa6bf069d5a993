//! The one search page across manuals, troubleshooting steps, questions and
//! known issues (whose banners also show above results matching their terms).

use std::time::Instant;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::app::AppState;
use crate::db::models::{manuals, search_log};
use crate::error::{AppError, AppResult};
use crate::ids::SearchLogId;
use crate::kinds::DocKind;
use crate::search::{SearchHit, SearchRequest, SearchResults};
use crate::service::search_log_writer::LoggedSearch;
use crate::web::paths;
use crate::web::session::Viewer;
use crate::web::views::{
    kind_label, HitView, IssueBanner, KindTab, LabelledLink, ManualCard, SearchPage,
};
use crate::web::{param, query_params, render, with_analytics, with_db};

/// Results per page.
const PER_PAGE: usize = 10;
/// Deepest page served (searches are for finding, not for paging).
const MAX_PAGE: usize = 50;
/// Kinds a search can be filtered to, with their tab labels.
pub const KINDS: &[(&str, &str)] = &[
    (DocKind::Article.as_str(), "Articles"),
    (DocKind::Step.as_str(), "Troubleshooting"),
    (DocKind::Question.as_str(), "Questions"),
    (DocKind::Issue.as_str(), "Known issues"),
];

/// GET /search/click?s=…&p=…&u=…: logs which result was opened, then goes there.
pub async fn get_search_click(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let params = query_params(req.query_string());
    let target = paths::local_target(param(&params, "u").unwrap_or("/"))
        .map_err(|e| AppError::BadRequest(format!("{e} Search again from the search page.")))?;
    let search_id = param(&params, "s")
        .and_then(|v| v.parse::<i32>().ok())
        .map(SearchLogId);
    let position = param(&params, "p")
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or(0)
        .clamp(0, 10_000);
    if let Some(id) = search_id {
        let url: String = target.chars().take(500).collect();
        if let Err(e) = with_analytics(&state, move |conn| {
            Ok(search_log::record_click(
                conn,
                id,
                &url,
                position,
                crate::db::unix_now(),
            )?)
        })
        .await
        {
            log::warn!("search click log failed: {e}");
        }
    }
    Ok(crate::web::see_other(target))
}

/// GET /search?q=..&kind=..&page=..
pub async fn get_search(
    state: web::Data<AppState>,
    visitor: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let request = SearchParams::read(&req);
    let mut view = empty_view(&state, &request);
    if request.q.is_empty() {
        add_alternatives(&state, &mut view).await?;
        return render(&state, &visitor, "search/results.html", &view);
    }
    let (results, took_us) = run_search(&state, &request).await?;
    let search_id = log_search(&state, &request, results.total, took_us).await;
    fill_results(&mut view, &request, results, search_id);
    add_issue_banners(&state, &mut view).await?;
    if view.hits.is_empty() {
        add_alternatives(&state, &mut view).await?;
    }
    render(&state, &visitor, "search/results.html", &view)
}

/// What a search page was asked for, read from its query string.
struct SearchParams {
    /// The query as searched: trimmed at the start only, since a trailing
    /// space means the last word is complete.
    raw_q: String,
    /// The query as shown, logged and linked: trimmed at both ends.
    q: String,
    /// The kind filter, one of [`KINDS`].
    kind: Option<&'static str>,
    /// The page number, 1 to [`MAX_PAGE`].
    page: usize,
}

impl SearchParams {
    /// Reads `q`, `kind` and `page`; anything unknown or out of range falls
    /// back to no filter and the nearest page.
    fn read(req: &HttpRequest) -> Self {
        let params = query_params(req.query_string());
        // Control characters (a pasted NUL or tab) count as spaces, so a
        // query of nothing else is the empty search page, not a logged search.
        let raw_q: String = param(&params, "q")
            .unwrap_or("")
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .skip_while(|c| c.is_whitespace())
            .take(crate::search::query::MAX_QUERY_CHARS)
            .collect();
        let q = raw_q.trim_end().to_string();
        let kind = param(&params, "kind")
            .and_then(|k| KINDS.iter().find(|(id, _)| *id == k))
            .map(|(id, _)| *id);
        let page = param(&params, "page")
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, MAX_PAGE);
        SearchParams {
            raw_q,
            q,
            kind,
            page,
        }
    }

    /// Results skipped before this page.
    fn offset(&self) -> usize {
        (self.page - 1) * PER_PAGE
    }
}

/// The page before any results are in: the query, the kind tabs and the
/// link to ask the community.
fn empty_view(state: &AppState, request: &SearchParams) -> SearchPage {
    let SearchParams { q, kind, .. } = request;
    SearchPage {
        q: q.clone(),
        kind: kind.map(String::from),
        tabs: std::iter::once((None, "All"))
            .chain(KINDS.iter().map(|(id, label)| (Some(*id), *label)))
            .map(|(k, label)| KindTab {
                label,
                url: paths::search(q, k, 1),
                active: k == *kind,
            })
            .collect(),
        hits: Vec::new(),
        total: 0,
        more_than: false,
        first: 0,
        last: 0,
        prev_url: None,
        next_url: None,
        corrected: None,
        relaxed: false,
        rebuilding: state.search.is_rebuilding(),
        searched: !q.is_empty(),
        ask_url: paths::ask(q, None, None),
        manuals: Vec::new(),
        trees: Vec::new(),
        issue_banners: Vec::new(),
    }
}

/// Runs the search; returns the results and how long the search took
/// (waiting for its turn included) in microseconds.
async fn run_search(state: &AppState, request: &SearchParams) -> AppResult<(SearchResults, i64)> {
    let started = Instant::now();
    let results = search_in_turn(
        state,
        request.raw_q.clone(),
        request.kind,
        PER_PAGE,
        request.offset(),
    )
    .await?;
    Ok((results, started.elapsed().as_micros() as i64))
}

/// The results the search cache keeps for this search on the current
/// index, at once; else waits for the search gate without holding a
/// thread, at most the configured `search_timeout` (then
/// [`AppError::SearchBusy`], a 503 that keeps the query), and runs the
/// search on the blocking pool.
pub async fn search_in_turn(
    state: &AppState,
    text: String,
    kind: Option<&'static str>,
    limit: usize,
    offset: usize,
) -> AppResult<SearchResults> {
    let request = SearchRequest {
        text: &text,
        kind,
        limit,
        offset,
    };
    if let Some(kept) = state.search.cached(&request) {
        return Ok(kept);
    }
    let wait = std::time::Duration::from_secs(state.config.search_timeout);
    let Some(pass) = state.search.gate().enter_within(wait).await else {
        log::warn!("search refused: no turn within {wait:?}");
        return Err(AppError::SearchBusy {
            q: text.trim().to_string(),
        });
    };
    let search = state.search.clone();
    web::block(move || {
        search.search_admitted(
            &pass,
            &SearchRequest {
                text: &text,
                kind,
                limit,
                offset,
            },
        )
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::from)
}

/// Logs the search for the analytics pages (through the batching
/// [`crate::service::search_log_writer`]); returns its id for click
/// tracking, or `None` when the log could not be written (the search is
/// still shown).
async fn log_search(
    state: &web::Data<AppState>,
    request: &SearchParams,
    total: usize,
    took_us: i64,
) -> Option<SearchLogId> {
    let logged = state
        .search_log
        .log(LoggedSearch {
            query: request.q.chars().take(200).collect(),
            kind: request.kind,
            result_count: i32::try_from(total).unwrap_or(i32::MAX),
            took_us,
            created_at: crate::db::unix_now(),
        })
        .await;
    match logged {
        Ok(id) => Some(id),
        Err(e) => {
            log::warn!("search log write failed: {e}");
            None
        }
    }
}

/// Puts the results into the page: counts, pager links, "did you mean" and
/// the hits.
fn fill_results(
    view: &mut SearchPage,
    request: &SearchParams,
    results: SearchResults,
    search_id: Option<SearchLogId>,
) {
    let SearchParams { q, kind, page, .. } = request;
    let (kind, page) = (*kind, *page);
    view.total = results.total;
    view.more_than = results.total_is_lower_bound;
    view.relaxed = results.relaxed;
    view.rebuilding = results.rebuilding;
    view.first = if results.hits.is_empty() {
        0
    } else {
        request.offset() + 1
    };
    view.last = request.offset() + results.hits.len();
    if page > 1 {
        view.prev_url = Some(paths::search(q, kind, page - 1));
    }
    if view.last < results.total && page < MAX_PAGE {
        view.next_url = Some(paths::search(q, kind, page + 1));
    }
    view.corrected = results
        .corrected
        .filter(|c| *c != q.to_lowercase())
        .map(|c| LabelledLink {
            url: paths::search(&c, kind, 1),
            text: c,
        });
    view.hits = hit_views(results.hits, request.offset(), search_id);
}

/// The hits as shown; with a logged search, each links through the click
/// log (positions count from 1 across pages).
fn hit_views(
    hits: Vec<SearchHit>,
    first_position: usize,
    search_id: Option<SearchLogId>,
) -> Vec<HitView> {
    hits.into_iter()
        .enumerate()
        .map(|(i, h)| HitView {
            href: match search_id {
                Some(id) => paths::search_click(id, first_position + i + 1, &h.url),
                None => h.url.clone(),
            },
            kind_label: kind_label(&h.kind),
            kind: h.kind,
            url: h.url,
            title_html: h.title_html,
            snippet_html: h.snippet_html,
            breadcrumb: h.breadcrumb,
            solved: h.solved,
        })
        .collect()
}

/// Banners of the known issues whose search terms the query matches. The
/// issues showing banners are read once and kept while no known-issue
/// change is marked (with the page cache on, see
/// [`crate::web::page_cache::PageCache::kept_issues`]), else read for each
/// search. While the database is unreachable the page goes without them.
async fn add_issue_banners(state: &web::Data<AppState>, view: &mut SearchPage) -> AppResult<()> {
    let now = crate::db::unix_now();
    let cache = &state.page_cache;
    let showing = match cache.kept_issues(now) {
        Some(showing) => showing,
        None => {
            let snapshot = cache.versions.snapshot();
            let grace = state.config.known_issue_grace_days;
            let read = with_db(state, move |conn| {
                crate::service::known_issues::Showing::read(conn, now, grace)
            })
            .await;
            match read {
                Ok(showing) => {
                    let showing = std::sync::Arc::new(showing);
                    cache.keep_issues(snapshot, showing.clone());
                    showing
                }
                Err(AppError::Unavailable(_)) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    };
    view.issue_banners = showing
        .at(crate::service::known_issues::Place::Query(&view.q))
        .iter()
        .map(|issue| IssueBanner::new(issue, now))
        .collect();
    Ok(())
}

/// Manuals and troubleshooters to offer when there is nothing (yet) to show;
/// only loaded then, so ordinary searches skip these queries.
/// While the database is unreachable the page goes without them: search
/// itself needs only the index.
async fn add_alternatives(state: &web::Data<AppState>, view: &mut SearchPage) -> AppResult<()> {
    let cards = with_db(state, |conn| {
        Ok((
            manuals::list_with_counts(conn)?,
            crate::web::pages::troubleshoot::tree_cards(conn)?,
        ))
    })
    .await;
    let (manual_cards, tree_cards) = match cards {
        Ok(cards) => cards,
        Err(AppError::Unavailable(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    view.manuals = manual_cards.iter().map(ManualCard::from).collect();
    view.trees = tree_cards;
    Ok(())
}
