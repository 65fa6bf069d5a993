//! Asking a question: the form (pre-filled from the URL), the preview with
//! similar questions and articles, and posting.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::rate_limit::Limited;
use crate::auth::tokens;
use crate::db::models::drafts::{DraftText, Owner};
use crate::db::models::questions as question_rows;
use crate::db::unix_now;
use crate::error::{AppError, AppResult};
use crate::ids::DraftId;
use crate::kinds::DocKind;
use crate::service::drafts;
use crate::service::questions;
use crate::web::extract::{has_nul, CsrfForm, NUL_REFUSED};
use crate::web::pages::search::search_in_turn;
use crate::web::paths;
use crate::web::session::{admit, admit_address, CurrentUser, Viewer};
use crate::web::views::kind_label;
use crate::web::{param, query_params, render, render_status, see_other, with_db};

/// A similar question or article shown while asking.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// Title (highlighted, escaped HTML).
    pub title_html: String,
    /// Link.
    pub url: String,
    /// "Question", "Article", "Troubleshooting step".
    pub kind_label: &'static str,
    /// Solved question.
    pub solved: bool,
}

/// Up to `limit` documents similar to `text` (any kind), best first.
pub async fn similar(
    state: &web::Data<AppState>,
    text: &str,
    limit: usize,
) -> AppResult<Vec<Suggestion>> {
    let text: String = text.chars().take(200).collect();
    if text.trim().chars().count() < 3 {
        return Ok(Vec::new());
    }
    // Trailing space: whole words only, no prefix guessing.
    let query = format!("{} ", text.trim());
    let results = match search_in_turn(state, query, None, limit, 0).await {
        Ok(results) => results,
        // Suggestions are a help, not the page: a busy search leaves them out.
        Err(AppError::SearchBusy { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found: Vec<Suggestion> = results
        .hits
        .into_iter()
        .map(|h| Suggestion {
            title_html: h.title_html,
            url: h.url,
            kind_label: kind_label(&h.kind),
            solved: h.solved,
        })
        .collect();
    with_open_issues(state, &text, &mut found, limit).await?;
    Ok(found)
}

/// Keeps only open known issues among the suggestions and puts the open
/// issues whose search terms the text matches first. While the database is
/// unreachable, known issues are left out (their status is not known).
async fn with_open_issues(
    state: &web::Data<AppState>,
    text: &str,
    found: &mut Vec<Suggestion>,
    limit: usize,
) -> AppResult<()> {
    let issue_label = kind_label(DocKind::Issue.as_str());
    let open = match with_db(state, crate::service::known_issues::open_issues).await {
        Ok(open) => open,
        Err(AppError::Unavailable(_)) => Vec::new(),
        Err(e) => return Err(e),
    };
    let open_urls: Vec<String> = open.iter().map(|i| paths::known_issue(&i.slug)).collect();
    found.retain(|s| s.kind_label != issue_label || open_urls.contains(&s.url));
    let matching = open.iter().zip(&open_urls).filter(|(issue, url)| {
        crate::service::known_issues::query_matches(text, &issue.term_list())
            && !found.iter().any(|s| &s.url == *url)
    });
    let first: Vec<Suggestion> = matching
        .map(|(issue, url)| Suggestion {
            title_html: crate::markdown::escape_html(&issue.title),
            url: url.clone(),
            kind_label: issue_label,
            solved: false,
        })
        .collect();
    found.splice(0..0, first);
    found.truncate(limit);
    Ok(())
}

/// What the ask form shows.
#[derive(Debug, Default, Serialize)]
struct AskPage {
    /// The kept draft this form continues (posted with it, then forgotten).
    draft: String,
    title: String,
    body: String,
    tags: String,
    submit_key: String,
    errors: Vec<String>,
    preview_html: Option<String>,
    similar: Vec<Suggestion>,
    limits: Limits,
}

#[derive(Debug, Default, Serialize)]
struct Limits {
    title_min: usize,
    title_max: usize,
    body_max: usize,
    tags_max: usize,
}

fn limits() -> Limits {
    Limits {
        title_min: questions::TITLE_MIN,
        title_max: questions::TITLE_MAX,
        body_max: questions::BODY_MAX,
        tags_max: questions::TAGS_MAX,
    }
}

fn new_submit_key() -> AppResult<String> {
    tokens::random_token().map_err(AppError::internal)
}

/// Text cut to at most `max` characters.
fn clipped(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The form's kept draft id, if the field holds one.
fn draft_id(text: &str) -> Option<DraftId> {
    text.parse::<i32>().ok().filter(|id| *id > 0).map(DraftId)
}

/// Keeps a guest's (or a lapsed session's) question as a draft and sends
/// them to sign in, returning to the ask form with the draft.
async fn keep_and_sign_in(
    state: &web::Data<AppState>,
    address: &str,
    owner: Owner,
    existing: Option<DraftId>,
    title: String,
    body: String,
    tags: String,
) -> AppResult<HttpResponse> {
    admit_address(state, Limited::GuestDraft, address).await?;
    let id = with_db(state, move |conn| {
        let text = DraftText {
            title: &title,
            body: &body,
            tags: &tags,
        };
        drafts::keep_question(conn, &owner, existing, &text, unix_now())
    })
    .await?;
    Ok(see_other(&paths::login_url_kept(&paths::ask_draft(id))))
}

/// Longest pre-filled ask link (path and query, as sent) a guest is sent to
/// sign in with as `next`; a longer one is kept as a draft instead (a
/// sign-in link must stay well within what browsers and proxies accept).
pub const PREFILL_IN_NEXT_MAX: usize = 2_000;

/// GET /questions/ask?title=…&body=…&tags=… (or `?draft=ID`). A guest who
/// arrives with a pre-filled question (a troubleshooter's dead end, an empty
/// search) is sent to sign in with the link as `next`, so nothing is written
/// on a GET; only a link too long for that ([`PREFILL_IN_NEXT_MAX`]) has its
/// text kept as a draft first.
pub async fn get_ask(
    state: web::Data<AppState>,
    visitor: Viewer,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let params = query_params(req.query_string());
    let take = |key: &str, max: usize| clipped(param(&params, key).unwrap_or(""), max);
    // A tag alone ("Ask a question" on a tag page) is no text worth keeping.
    let prefilled = ["title", "body"]
        .iter()
        .any(|key| !param(&params, key).unwrap_or("").trim().is_empty());
    if visitor.user.is_none() {
        if !prefilled {
            return Err(AppError::SignInRequired {
                next: visitor.here.clone(),
            });
        }
        if has_nul(req.query_string().as_bytes()) {
            return Err(AppError::BadRequest(NUL_REFUSED.into()));
        }
        if visitor.here.len() <= PREFILL_IN_NEXT_MAX && paths::local_target(&visitor.here).is_ok() {
            return Err(AppError::SignInRequired {
                next: visitor.here.clone(),
            });
        }
        let (visitor, new_cookie) = visitor.with_form_token(state.config.is_https())?;
        let Some(owner) = visitor.draft_reader() else {
            return Err(AppError::internal(
                "a guest with a form token has a draft key",
            ));
        };
        let mut response = keep_and_sign_in(
            &state,
            &visitor.ip,
            owner,
            None,
            take("title", questions::TITLE_MAX),
            take("body", questions::BODY_MAX),
            take("tags", drafts::TAGS_MAX_CHARS),
        )
        .await?;
        if let Some(cookie) = new_cookie {
            response.add_cookie(&cookie).map_err(AppError::internal)?;
        }
        return Ok(response);
    }
    let mut page = AskPage {
        title: take("title", questions::TITLE_MAX * 2),
        body: take("body", questions::BODY_MAX),
        tags: take("tags", 200),
        submit_key: new_submit_key()?,
        limits: limits(),
        ..Default::default()
    };
    if let (Some(id), Some(owner)) = (
        draft_id(param(&params, "draft").unwrap_or("")),
        visitor.draft_reader(),
    ) {
        let kept = with_db(&state, move |conn| drafts::question(conn, &owner, id)).await?;
        match kept {
            Some(draft) => {
                page.draft = draft.id.0.to_string();
                page.title = draft.title;
                page.body = draft.body;
                page.tags = draft.tags;
            }
            None => page.errors.push(
                "That draft is not available any more (it was posted, or it belongs to someone else)."
                    .into(),
            ),
        }
    }
    render(&state, &visitor, "questions/ask.html", &page)
}

/// Fields of the ask form.
#[derive(Debug, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    submit_key: String,
    /// The kept draft this form continues.
    #[serde(default)]
    draft: String,
    /// `preview` or `post`.
    #[serde(default)]
    action: String,
}

/// Adds `Retry-After` to a form shown again after a rate-limit refusal.
pub fn with_retry_after(mut response: HttpResponse, error: &AppError) -> HttpResponse {
    if let AppError::TooManyRequests(seconds) = error {
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

/// The ask form shown again with `status` (errors already on `page`).
fn ask_again(
    state: &AppState,
    visitor: &Viewer,
    status: StatusCode,
    page: &AskPage,
) -> AppResult<HttpResponse> {
    render_status(state, visitor, status, "questions/ask.html", page)
}

/// The Preview button: refuses texts over the posting limits before any
/// rendering, counts against the preview limit, then renders and looks for
/// similar questions.
async fn preview_ask(
    state: &web::Data<AppState>,
    visitor: &Viewer,
    user: &CurrentUser,
    mut page: AskPage,
) -> AppResult<HttpResponse> {
    let too_long: Vec<String> = [
        questions::title_too_long(&page.title),
        questions::body_too_long(&page.body),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !too_long.is_empty() {
        page.errors = too_long;
        return ask_again(state, visitor, StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if let Err(e) = admit(state, Limited::Preview, user).await {
        page.errors.push(e.public_message());
        let response = ask_again(state, visitor, StatusCode::TOO_MANY_REQUESTS, &page)?;
        return Ok(with_retry_after(response, &e));
    }
    let body = page.body.trim().to_string();
    page.preview_html =
        Some(crate::web::off_executor(move || crate::markdown::render_post(&body).html).await?);
    page.similar = similar(state, &format!("{} {}", page.title, page.tags), 8).await?;
    if let Err(errors) = questions::check_question(&page.title, &page.body, &page.tags) {
        page.errors = errors;
    }
    render(state, visitor, "questions/ask.html", &page)
}

/// POST /questions/ask: preview (with similar questions) or post. Cheap
/// checks first, then the rate limit, and only then markdown rendering and
/// the database write.
pub async fn post_ask(
    state: web::Data<AppState>,
    visitor: Viewer,
    form: CsrfForm<AskForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let existing = draft_id(&form.draft);
    let Some(user) = visitor.user.clone() else {
        // A guest, or a session that expired while typing: keep the text.
        let Some(owner) = visitor.draft_writer(&form.csrf) else {
            return Err(AppError::SignInRequired {
                next: paths::ask_tagged(None),
            });
        };
        return keep_and_sign_in(
            &state,
            &visitor.ip,
            owner,
            existing,
            form.title,
            form.body,
            form.tags,
        )
        .await;
    };
    let submit_key = if form.submit_key.len() == 64 {
        form.submit_key
    } else {
        new_submit_key()?
    };
    let mut page = AskPage {
        title: form.title,
        body: form.body,
        tags: form.tags,
        submit_key: submit_key.clone(),
        limits: limits(),
        draft: existing.map(|id| id.0.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    if form.action == "preview" {
        return preview_ask(&state, &visitor, &user, page).await;
    }
    let fields = match questions::check_question(&page.title, &page.body, &page.tags) {
        Ok(fields) => fields,
        Err(errors) => {
            page.errors = errors;
            return ask_again(&state, &visitor, StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    // A resubmitted form (double click, reload) leads to what the first made.
    let (author, key) = (user.id, submit_key.clone());
    let earlier = with_db(&state, move |conn| {
        Ok(question_rows::find_by_submit_key(conn, author, &key)?)
    })
    .await?;
    if let Some(question) = earlier {
        return Ok(see_other(&question.path()));
    }
    if let Err(e) = admit(&state, Limited::Ask, &user).await {
        page.errors.push(e.public_message());
        let response = ask_again(&state, &visitor, StatusCode::TOO_MANY_REQUESTS, &page)?;
        return Ok(with_retry_after(response, &e));
    }
    let draft = crate::web::off_executor(move || fields.render()).await?;
    let actor = user.actor();
    let question = with_db(&state, move |conn| {
        let question = questions::ask(conn, actor, &draft, Some(&submit_key), unix_now())?;
        if let Some(id) = existing {
            drafts::forget(conn, &Owner::User(actor.id), id)?;
        }
        Ok(question)
    })
    .await?;
    state.indexer.notify();
    Ok(see_other(&question.path()))
}

impl crate::web::extract::CsrfToken for AskForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Sent from a page whose session just expired: kept as that user's
    /// draft until they sign in again.
    const KEEPS_LAPSED_SESSION: bool = true;
}
