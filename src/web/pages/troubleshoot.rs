//! Troubleshooting trees: the list, each step (state in the URL), the
//! thank-you page, and outcome recording (resolved / escalated).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::tokens;
use crate::content::trees::{Node, NodeKind, Position, Tree, Walk};
use crate::db::models::{articles, manuals, trees};
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::ids::TreeId;
use crate::service::known_issues::Place;
use crate::web::extract::CsrfForm;
use crate::web::pages::feedback::FeedbackBox;
use crate::web::pages::known_issues;
use crate::web::paths;
use crate::web::session::Viewer;
use crate::web::views::{ArticleLink, IssueBanner, TreeCard};
use crate::web::{query_params, render, see_other, with_analytics, with_db};

/// Query strings longer than this are cut before parsing.
const MAX_QUERY_BYTES: usize = 8 * 1024;
/// Cookie holding the random walk token (no personal data).
pub const WALK_COOKIE: &str = "sp_walk";

fn tree_not_found(slug: &str) -> AppError {
    AppError::NotFound(format!("There is no troubleshooter called \u{201c}{slug}\u{201d}. See the list of troubleshooters or search below."))
}

async fn load_tree(state: &web::Data<AppState>, slug: String) -> AppResult<(TreeId, Tree)> {
    with_db(state, move |conn| {
        let row = trees::find_by_slug(conn, &slug)?.ok_or_else(|| tree_not_found(&slug))?;
        Ok((row.id, row.tree().map_err(AppError::internal)?))
    })
    .await
}

/// The answers in a query string (node id -> key), ignoring `_`-prefixed
/// control parameters, capped in size.
fn answers_of(query: &str) -> (Vec<(String, String)>, bool) {
    let truncated = query.len() > MAX_QUERY_BYTES;
    let mut cut = query.len().min(MAX_QUERY_BYTES);
    while !query.is_char_boundary(cut) {
        cut -= 1;
    }
    let answers = query_params(&query[..cut])
        .into_iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    (answers, truncated)
}

/// `/troubleshoot/{slug}?a=b&…` for a list of answers.
fn url_with(slug: &str, answers: &[(String, String)], extra: Option<(&str, &str)>) -> String {
    let pairs = answers
        .iter()
        .map(|(node, key)| (node.as_str(), key.as_str()));
    paths::tree_step(slug, pairs.chain(extra))
}

fn answered_pairs(walk: &Walk) -> Vec<(String, String)> {
    walk.answered
        .iter()
        .map(|a| (a.node.clone(), a.key.clone()))
        .collect()
}

/// GET /troubleshoot
pub async fn get_trees(state: web::Data<AppState>, visitor: Viewer) -> AppResult<HttpResponse> {
    let cards = with_db(&state, tree_cards).await?;
    render(
        &state,
        &visitor,
        "troubleshoot/index.html",
        &TreesPage { trees: cards },
    )
}

/// Every tree as a card with how often it resolved a problem.
pub fn tree_cards(conn: &mut crate::db::Conn) -> AppResult<Vec<TreeCard>> {
    let rows = trees::list(conn)?;
    let counts = trees::resolved_counts(conn)?;
    Ok(rows
        .iter()
        .map(|t| TreeCard {
            title: t.title.clone(),
            description: t.description.clone(),
            url: paths::tree(&t.slug),
            resolved: counts
                .iter()
                .find(|(id, _)| *id == t.id)
                .map(|(_, n)| *n)
                .unwrap_or(0),
        })
        .collect())
}

#[derive(Debug, Serialize)]
struct TreesPage {
    trees: Vec<TreeCard>,
}

#[derive(Debug, Serialize)]
struct PathItem {
    question: String,
    answer: String,
    change_url: String,
}

#[derive(Debug, Serialize)]
struct OptionLink {
    label: String,
    url: String,
}

#[derive(Debug, Serialize)]
struct StepPage {
    tree_title: String,
    tree_url: String,
    outcome_url: String,
    description: String,
    path: Vec<PathItem>,
    kind: &'static str,
    node_id: String,
    node_title: String,
    text_html: String,
    options: Vec<OptionLink>,
    not_solved_url: String,
    steps_left: String,
    notice: Option<String>,
    /// The answers so far as a query string, for the outcome forms.
    answers: String,
    summaries: Vec<String>,
    feedback: Option<FeedbackBox>,
    /// Known issues linked to this tree.
    issue_banners: Vec<IssueBanner>,
}

/// The notice shown when a link's answers no longer all fit the tree.
const STALE_LINK_NOTICE: &str = "Some answers in this link no longer match this troubleshooter (it may have changed since the link was made). \
     We kept the ones that still apply; continue from here or start over.";

/// The step page around the current node: title, the path so far with a
/// link to change each answer, and the answers for the outcome forms.
fn step_frame(tree: &Tree, slug: &str, walk: &Walk, pairs: &[(String, String)]) -> StepPage {
    let answers = url_with(slug, pairs, None)
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default();
    StepPage {
        tree_title: tree.title.clone(),
        tree_url: paths::tree(slug),
        outcome_url: paths::tree_outcome(slug),
        description: tree.description.clone(),
        path: walk
            .answered
            .iter()
            .enumerate()
            .map(|(i, a)| PathItem {
                question: a.question.clone(),
                answer: a.label.clone(),
                change_url: url_with(slug, &pairs[..i], None),
            })
            .collect(),
        kind: "escalate",
        node_id: String::new(),
        node_title: "We could not solve this here".into(),
        text_html: String::new(),
        options: Vec::new(),
        not_solved_url: String::new(),
        steps_left: String::new(),
        notice: None,
        answers,
        summaries: walk.answered.iter().map(|a| a.summary.clone()).collect(),
        feedback: None,
        issue_banners: Vec::new(),
    }
}

/// The links of a node's options. A marked loop goes back to the earlier
/// step: its answer and everything after it are asked again.
fn option_links(
    tree: &Tree,
    slug: &str,
    node: &Node,
    pairs: &[(String, String)],
) -> Vec<OptionLink> {
    node.options
        .iter()
        .map(|o| {
            let back = o
                .is_loop
                .then(|| pairs.iter().position(|(n, _)| *n == o.goto))
                .flatten();
            let url = match back {
                Some(i) => url_with(slug, &pairs[..i], None),
                None if o.is_loop && o.goto == tree.start => url_with(slug, &[], None),
                None => url_with(slug, pairs, Some((&node.id, &o.key))),
            };
            OptionLink {
                label: o.label.clone(),
                url,
            }
        })
        .collect()
}

/// "How many steps to go" for a node.
fn steps_left(node: &Node) -> String {
    match (node.min_left, node.max_left) {
        (_, 0) | (_, 1) => "This is the last step.".into(),
        (lo, hi) if lo == hi => format!("{hi} steps to go at most."),
        (lo, hi) => format!("Usually {lo}\u{2013}{hi} steps to go."),
    }
}

/// Fills the page with the node the walk stands on.
fn show_node(
    page: &mut StepPage,
    (tree, tree_id): (&Tree, TreeId),
    slug: &str,
    node: &Node,
    pairs: &[(String, String)],
    req: &HttpRequest,
) {
    page.node_id = node.id.clone();
    page.node_title = node.title.clone();
    page.text_html = node.text_html.clone();
    page.kind = match node.kind {
        NodeKind::Question => "question",
        NodeKind::Fix => "fix",
        NodeKind::Escalate => "escalate",
    };
    page.options = option_links(tree, slug, node, pairs);
    if node.kind == NodeKind::Fix {
        page.not_solved_url = url_with(slug, pairs, Some((&node.id, "no")));
        page.feedback = Some(FeedbackBox::new(
            crate::kinds::DocKind::Step,
            tree_id.into(),
            &node.id,
            req,
        ));
    }
    page.steps_left = steps_left(node);
}

/// Where a walk stands, for the analytics.
#[derive(Debug, Clone)]
struct WalkStep {
    tree_id: TreeId,
    /// The node shown (`dead-end` past the last one).
    node: String,
    /// Answers given.
    steps: i32,
    /// No answer given yet.
    at_start: bool,
}

/// One view of a step page: what recording it takes. The handler records
/// it after rendering the page and hands it to the page cache with the
/// page (a response extension), so each hit of the cached page records
/// the visitor's walk as the handler would.
#[derive(Debug)]
pub struct StepVisit {
    slug: String,
    step: WalkStep,
    /// The normal query of the page (its answers as links carry them):
    /// the page is cached for that query only.
    pub query: String,
}

/// Records a view of a step in this browser's walk; returns the walk
/// cookie to set, if any.
pub async fn record_visit(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    visit: &StepVisit,
) -> AppResult<Option<actix_web::cookie::Cookie<'static>>> {
    let token = record_walk_step(state, req, &visit.slug, visit.step.clone()).await?;
    Ok(token.map(|token| walk_cookie(&token, state.config.is_https())))
}

/// Records the step of this browser's walk; returns the walk token to set
/// as a cookie, if any. A walk that finished (outcome, or abandoned) is
/// never reopened: starting over gets a new token and a new walk.
async fn record_walk_step(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    slug: &str,
    step: WalkStep,
) -> AppResult<Option<String>> {
    let (walk_token, new_cookie) = walk_token(req);
    let key = tokens::hash_token(&format!("{walk_token}:{slug}"));
    let WalkStep {
        tree_id,
        node,
        steps,
        at_start,
    } = step;
    let last_node = node.clone();
    let rotate = with_analytics(state, move |conn| {
        let now = unix_now();
        if let Some(existing) = trees::find_walk(conn, &key)? {
            let finished = existing.outcome.is_some()
                || existing.updated_at < now - trees::ABANDONED_AFTER_SECS;
            if finished {
                return Ok(at_start);
            }
        }
        trees::record_step(conn, &key, tree_id, &last_node, steps, now)?;
        Ok(false)
    })
    .await?;
    if !rotate {
        return Ok(new_cookie);
    }
    let token = new_walk_token()?;
    let key = tokens::hash_token(&format!("{token}:{slug}"));
    with_analytics(state, move |conn| {
        Ok(trees::record_step(
            conn,
            &key,
            tree_id,
            &node,
            steps,
            unix_now(),
        )?)
    })
    .await?;
    Ok(Some(token))
}

/// GET /troubleshoot/{tree}?node=answer&…
pub async fn get_tree_step(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let (tree_id, tree) = load_tree(&state, slug.clone()).await?;
    let (answers, truncated) = answers_of(req.query_string());
    let walk = tree.walk(&answers);
    let pairs = answered_pairs(&walk);
    let mut page = step_frame(&tree, &slug, &walk, &pairs);
    if truncated || walk.ignored > 0 {
        page.notice = Some(STALE_LINK_NOTICE.to_string());
    }
    let last_node = match &walk.position {
        Position::At(id) => {
            let node = tree
                .node(id)
                .ok_or_else(|| AppError::internal("walk ended on a missing node"))?;
            show_node(&mut page, (&tree, tree_id), &slug, node, &pairs, &req);
            node.id.clone()
        }
        Position::DeadEnd => "dead-end".to_string(),
    };
    let visit = StepVisit {
        slug: slug.clone(),
        step: WalkStep {
            tree_id,
            node: last_node,
            steps: walk.answered.len() as i32,
            at_start: walk.answered.is_empty(),
        },
        query: page.answers.clone(),
    };
    let grace = state.config.known_issue_grace_days;
    let tree_slug = slug.clone();
    page.issue_banners = with_db(&state, move |conn| {
        known_issues::banners(conn, Place::Tree(&tree_slug), grace, unix_now())
    })
    .await?;
    let (visitor, csrf_cookie) = visitor.with_form_token(state.config.is_https())?;
    let mut response = render(&state, &visitor, "troubleshoot/step.html", &page)?;
    // The page does not depend on the walk: its view is recorded apart, as
    // each hit of the cached page records it.
    if let Some(cookie) = record_visit(&state, &req, &visit).await? {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    if !(truncated || walk.ignored > 0) {
        response.extensions_mut().insert(std::sync::Arc::new(visit));
    }
    if let Some(cookie) = csrf_cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

fn new_walk_token() -> AppResult<String> {
    tokens::random_token().map_err(AppError::internal)
}

/// The browser's walk token, or a new one (with the cookie to set).
fn walk_token(req: &HttpRequest) -> (String, Option<String>) {
    match req
        .cookie(WALK_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64)
    {
        Some(token) => (token, None),
        None => match tokens::random_token() {
            Ok(token) => (token.clone(), Some(token)),
            Err(_) => (String::new(), None),
        },
    }
}

fn walk_cookie(token: &str, secure: bool) -> actix_web::cookie::Cookie<'static> {
    actix_web::cookie::Cookie::build(WALK_COOKIE, token.to_string())
        .path("/troubleshoot")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Lax)
        .secure(secure)
        .finish()
}

/// Fields of the outcome form.
#[derive(Debug, Deserialize)]
pub struct OutcomeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    answers: String,
}

/// POST /troubleshoot/{tree}/outcome: records "resolved" or "escalated" and
/// moves on (thank-you page, or the pre-filled question form).
pub async fn post_tree_outcome(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: CsrfForm<OutcomeForm>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let (tree_id, tree) = load_tree(&state, slug.clone()).await?;
    let (answers, _) = answers_of(&form.answers);
    let walk = tree.walk(&answers);
    let pairs = answered_pairs(&walk);
    let current = match &walk.position {
        Position::At(id) => tree.node(id),
        Position::DeadEnd => None,
    };
    let (outcome, node_id) = match (form.outcome.as_str(), current) {
        ("resolved", Some(node)) if node.kind == NodeKind::Fix => ("resolved", node.id.clone()),
        ("escalated", Some(node)) if node.kind == NodeKind::Escalate => ("escalated", node.id.clone()),
        ("escalated", None) => ("escalated", "dead-end".to_string()),
        _ => {
            return Err(AppError::BadRequest(
                "That answer does not fit this step any more. Go back to the troubleshooter and choose again.".into(),
            ))
        }
    };
    let (token, _) = walk_token(&req);
    if !token.is_empty() {
        let key = tokens::hash_token(&format!("{token}:{slug}"));
        let steps = walk.answered.len() as i32;
        let node = node_id.clone();
        with_analytics(&state, move |conn| {
            Ok(trees::record_outcome(
                conn,
                &key,
                tree_id,
                &node,
                steps,
                outcome,
                unix_now(),
            )?)
        })
        .await?;
    }
    if outcome == "resolved" {
        return Ok(see_other(
            &url_with(&slug, &pairs, Some(("_solved", &node_id))).replacen(
                &paths::tree(&slug),
                &paths::tree_solved(&slug),
                1,
            ),
        ));
    }
    Ok(see_other(&escalation_url(&tree, &walk)))
}

/// The question form pre-filled from a walk: title from the tree, body with
/// the numbered path summaries, and a tag for the tree.
pub fn escalation_url(tree: &Tree, walk: &Walk) -> String {
    let title = format!("{}: the troubleshooter did not solve it", tree.title);
    let mut body = format!(
        "I went through the troubleshooter \u{201c}{}\u{201d} and it did not solve my problem.\n\nWhat I found:\n",
        tree.title
    );
    for (i, step) in walk.answered.iter().enumerate() {
        body.push_str(&format!("{}. {}\n", i + 1, step.summary));
    }
    body.push_str("\nWhat I see now:\n\n");
    let tag: String = tree
        .slug
        .chars()
        .take(25)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string();
    paths::ask(&title, Some(&body), Some(&tag))
}

#[derive(Debug, Serialize)]
struct SolvedPage {
    tree_title: String,
    tree_url: String,
    fix_title: String,
    related: Vec<ArticleLink>,
}

/// GET /troubleshoot/{tree}/solved?…&_solved=node: the thank-you page.
pub async fn get_tree_solved(
    state: web::Data<AppState>,
    visitor: Viewer,
    path: web::Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let (_, tree) = load_tree(&state, slug.clone()).await?;
    let params = query_params(&req.query_string()[..req.query_string().len().min(MAX_QUERY_BYTES)]);
    let fix_title = crate::web::param(&params, "_solved")
        .and_then(|id| tree.node(id))
        .filter(|n| n.kind == NodeKind::Fix)
        .map(|n| n.title.clone())
        .unwrap_or_default();
    let wanted = tree.related.clone();
    let related = with_db(&state, move |conn| {
        let mut links = Vec::new();
        for target in wanted {
            let Some((manual_slug, article_slug)) = target.split_once('/') else {
                continue;
            };
            let Some(manual) = manuals::find_by_slug(conn, manual_slug)? else {
                continue;
            };
            if let Some(article) = articles::find_in_manual(conn, manual.id, article_slug)?
                .filter(articles::Article::is_published)
            {
                links.push(ArticleLink::new(&manual.slug, &article));
            }
        }
        Ok(links)
    })
    .await?;
    let page = SolvedPage {
        tree_title: tree.title.clone(),
        tree_url: paths::tree(&slug),
        fix_title,
        related,
    };
    render(&state, &visitor, "troubleshoot/solved.html", &page)
}

crate::csrf_form!(OutcomeForm);
