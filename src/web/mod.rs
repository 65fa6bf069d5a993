//! The HTTP layer: routes, handlers by area, view structs, templates and the
//! rendering of errors. Only this module and `app` name actix or tera types.

pub mod assets;
pub mod csrf;
pub mod encoding;
pub mod errors;
pub mod extract;
pub mod page_cache;
pub mod pages;
pub mod paths;
pub mod routes;
pub mod session;
pub mod templates;
pub mod views;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use session::{Viewer, ViewerView};

/// Layout values every page gets.
#[derive(Debug, Serialize)]
struct SiteView<'a> {
    name: &'a str,
    css_url: &'a str,
    /// The favicon's fingerprinted URL.
    favicon_url: &'a str,
    /// The ask form script's fingerprinted URL.
    ask_js_url: &'a str,
    base_url: &'a str,
    /// The signed-in user, if any.
    viewer: Option<ViewerView>,
    /// CSRF token for forms on the page (empty for anonymous visitors
    /// without a pre-session cookie).
    csrf: &'a str,
    /// The header's "Sign in" link, returning to this page.
    login_url: String,
    /// The header's "Register" link, returning to this page.
    register_url: String,
    /// This page's path and query (where a banner's dismiss button returns).
    here: &'a str,
    /// The announcements shown on this page.
    banners: Vec<views::BannerView>,
}

/// Renders `template` with `view` plus the layout values into an HTML response.
pub fn render(
    state: &AppState,
    visitor: &Viewer,
    template: &str,
    view: &impl Serialize,
) -> AppResult<HttpResponse> {
    render_status(state, visitor, StatusCode::OK, template, view)
}

/// Like [`render`] with another status (forms shown again with errors).
pub fn render_status(
    state: &AppState,
    visitor: &Viewer,
    status: StatusCode,
    template: &str,
    view: &impl Serialize,
) -> AppResult<HttpResponse> {
    let html = render_string(state, Some(visitor), template, view)?;
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(html);
    response.extensions_mut().insert(errors::KeepBody);
    Ok(response)
}

/// Like [`render_status`] for a page whose forms a guest may send: makes
/// sure the visitor has a CSRF token, setting the pre-session cookie when
/// it is new.
pub fn render_form_page(
    state: &AppState,
    visitor: &Viewer,
    status: StatusCode,
    template: &str,
    view: &impl Serialize,
) -> AppResult<HttpResponse> {
    let (visitor, new_cookie) = visitor.with_form_token(state.config.is_https())?;
    let mut response = render_status(state, &visitor, status, template, view)?;
    if let Some(cookie) = new_cookie {
        response.add_cookie(&cookie).map_err(AppError::internal)?;
    }
    Ok(response)
}

/// Renders a template to a string.
pub fn render_string(
    state: &AppState,
    visitor: Option<&Viewer>,
    template: &str,
    view: &impl Serialize,
) -> AppResult<String> {
    let here = visitor.map_or("/", |v| v.here.as_str());
    let mut context = tera::Context::from_serialize(view)
        .map_err(|e| AppError::Internal(format!("template context for {template}: {e}")))?;
    context.insert(
        "site",
        &SiteView {
            name: &state.config.site_name,
            css_url: assets::STYLESHEET_URL.as_str(),
            favicon_url: assets::FAVICON_URL.as_str(),
            ask_js_url: assets::ASK_SCRIPT_URL.as_str(),
            base_url: &state.config.base_url,
            viewer: visitor.and_then(Viewer::view),
            csrf: visitor.and_then(Viewer::csrf_token).unwrap_or(""),
            login_url: paths::header_login_url(here),
            register_url: paths::header_register_url(here),
            here,
            banners: state
                .announcements
                .shown(
                    crate::db::unix_now(),
                    &visitor.map(|v| v.dismissed.clone()).unwrap_or_default(),
                )
                .iter()
                .map(views::BannerView::from)
                .collect(),
        },
    );
    state
        .templates
        .render(template, &context)
        .map_err(|e| AppError::Internal(format!("template {template}: {}", error_chain(&e))))
}

/// Adds `ETag` (a hash of the body) and `Last-Modified`, and answers
/// `304 Not Modified` when the browser's copy is current. `If-None-Match`
/// wins over `If-Modified-Since`; the date is trusted only when `by_date`:
/// for a page that depends on the content alone (no name, no form token:
/// a copy with an older token would post forms that fail).
pub fn conditional(
    req: &actix_web::HttpRequest,
    response: HttpResponse,
    html_hash: &str,
    last_modified: i64,
    by_date: bool,
) -> HttpResponse {
    let etag = format!("W/\"{}\"", &html_hash[..16.min(html_hash.len())]);
    let modified = chrono::DateTime::from_timestamp(last_modified, 0)
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S GMT").to_string());
    let not_modified = match req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => {
            by_date
                && req
                    .headers()
                    .get(header::IF_MODIFIED_SINCE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
                    .is_some_and(|since| since.timestamp() >= last_modified)
        }
    };
    let mut response = if not_modified {
        let mut r = HttpResponse::NotModified().finish();
        r.extensions_mut().insert(errors::KeepBody);
        r
    } else {
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = header::HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(Ok(value)) = modified.map(|m| header::HeaderValue::from_str(&m)) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    response
}

/// A redirect after a successful form post (303 See Other).
///
/// Only for paths the site built itself; a target that came from a request
/// goes through [`paths::local_target`] first.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Runs a database closure on the blocking pool with a pooled connection.
pub async fn with_db<T, F>(state: &web::Data<AppState>, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Conn) -> AppResult<T> + Send + 'static,
{
    let pool = state.db.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
}

/// Runs CPU-heavy work (markdown rendering with highlighting, sanitizing)
/// on the blocking pool instead of the async executor.
pub async fn off_executor<T, F>(f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    web::block(f)
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))
}

/// Like [`with_db`] on the analytics pool (statistics, not content).
pub async fn with_analytics<T, F>(state: &web::Data<AppState>, f: F) -> AppResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Conn) -> AppResult<T> + Send + 'static,
{
    let pool = state.analytics.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
}

/// A JSON response that the error renderer leaves alone.
pub fn json_response(status: actix_web::http::StatusCode, value: &impl Serialize) -> HttpResponse {
    let mut response = HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(value);
    response.extensions_mut().insert(errors::KeepBody);
    response
}

/// Parses a query string leniently: invalid percent-encoding and invalid
/// UTF-8 become replacement characters; repeated keys keep the first value.
pub fn query_params(query_string: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query_string.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of `key` in parsed query parameters.
pub fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
