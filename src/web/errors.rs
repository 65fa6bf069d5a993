//! Turning errors into pages: [`AppError`] becomes a response with its status
//! and message, and one middleware renders every error response (ours, or
//! actix's own such as a bad path or a too large body) as an HTML page that
//! keeps the layout and a search box, or as JSON under `/api/`.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use serde::Serialize;

use crate::app::AppState;
use crate::error::AppError;

/// Marker: this error response already has the body it should keep.
#[derive(Debug, Clone, Copy)]
pub struct KeepBody;

/// The user-facing message of an error response.
#[derive(Debug, Clone)]
struct PublicMessage(String);

/// The query to put back in the error page's search box.
#[derive(Debug, Clone)]
struct SearchAgain(String);

/// Seconds a refused search is asked to wait before trying again.
const SEARCH_RETRY_SECS: &str = "5";

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        if let AppError::Internal(detail) = self {
            log::error!("internal error: {detail}");
        }
        let mut builder = HttpResponse::build(self.status_code());
        match self {
            AppError::TooManyRequests(seconds) => {
                builder.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            AppError::Unavailable(_) => {
                builder.insert_header((header::RETRY_AFTER, "30"));
            }
            AppError::SearchBusy { .. } => {
                builder.insert_header((header::RETRY_AFTER, SEARCH_RETRY_SECS));
            }
            AppError::SignInRequired { next } => {
                builder.insert_header((header::LOCATION, super::paths::login_url(next)));
            }
            _ => {}
        }
        let mut response = builder.finish();
        response
            .extensions_mut()
            .insert(PublicMessage(self.public_message()));
        if let AppError::SearchBusy { q } = self {
            response.extensions_mut().insert(SearchAgain(q.clone()));
        }
        response
    }
}

#[derive(Debug, Serialize)]
struct ErrorView {
    status: u16,
    title: &'static str,
    message: String,
    q: String,
}

#[derive(Debug, Serialize)]
struct ErrorJson {
    status: u16,
    error: String,
}

fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "That request did not work",
        403 => "Not allowed",
        404 => "Page not found",
        405 => "Not allowed here",
        409 => "Conflict",
        413 => "Too large",
        429 => "Slow down",
        503 => "Temporarily unavailable",
        s if s >= 500 => "Something went wrong",
        _ => "That did not work",
    }
}

fn default_message(status: StatusCode) -> String {
    match status.as_u16() {
        404 => "We could not find that page. It may have moved; try searching for it.".into(),
        405 => "This address does not accept that kind of request.".into(),
        413 => "What you sent is larger than this site accepts.".into(),
        s if s >= 500 => AppError::internal("").public_message(),
        _ => "The request could not be understood. Check the address and try again.".into(),
    }
}

/// Middleware callback: renders any error response that is not [`KeepBody`].
pub fn render_error<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    if res.response().extensions().get::<KeepBody>().is_some() {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = res
        .response()
        .extensions()
        .get::<PublicMessage>()
        .map(|m| m.0.clone())
        .unwrap_or_else(|| default_message(status));
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let q = res
        .response()
        .extensions()
        .get::<SearchAgain>()
        .map(|s| s.0.clone())
        .unwrap_or_default();
    let state = res.request().app_data::<web::Data<AppState>>().cloned();
    let is_api = res.request().path().starts_with("/api/");
    let visitor = res
        .request()
        .extensions()
        .get::<super::session::Viewer>()
        .cloned();
    let (req, _) = res.into_parts();
    let mut builder = HttpResponse::build(status);
    builder.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(value) = retry_after {
        builder.insert_header((header::RETRY_AFTER, value));
    }
    let response = if is_api {
        builder.json(ErrorJson {
            status: status.as_u16(),
            error: message,
        })
    } else {
        let view = ErrorView {
            status: status.as_u16(),
            title: title_for(status),
            message,
            q,
        };
        let html = state.and_then(|s| {
            match super::render_string(&s, visitor.as_ref(), "errors/error.html", &view) {
                Ok(html) => Some(html),
                Err(e) => {
                    log::error!("cannot render error page: {e}");
                    None
                }
            }
        });
        match html {
            Some(html) => builder.content_type("text/html; charset=utf-8").body(html),
            None => builder
                .content_type("text/plain; charset=utf-8")
                .body(format!("{}: {}", view.title, view.message)),
        }
    };
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}
