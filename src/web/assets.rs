//! Static assets compiled into the binary, served under fingerprinted URLs
//! with long-lived cache headers.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::AppError;

/// The stylesheet.
pub const STYLESHEET: &str = include_str!("../../templates/static/style.css");
/// The ask form's script (similar questions while typing, live preview).
pub const ASK_SCRIPT: &str = include_str!("../../templates/static/ask.js");
/// The favicon.
pub const FAVICON: &str = include_str!("../../templates/static/favicon.svg");

/// `/static/style.<hash>.css`: changes whenever the stylesheet does.
pub static STYLESHEET_URL: LazyLock<String> = LazyLock::new(|| {
    let hash = crate::content::content_hash(STYLESHEET.as_bytes());
    format!("/static/style.{}.css", &hash[..12])
});

/// GET /static/{file}
pub async fn get_asset(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let file = file.into_inner();
    let fingerprinted = format!("/static/{file}") == *STYLESHEET_URL;
    let (body, content_type, cache) = match file.as_str() {
        _ if fingerprinted => (
            STYLESHEET,
            "text/css; charset=utf-8",
            "public, max-age=31536000, immutable",
        ),
        "style.css" => (STYLESHEET, "text/css; charset=utf-8", "no-cache"),
        "favicon.svg" => (FAVICON, "image/svg+xml", "public, max-age=86400"),
        "ask.js" => (
            ASK_SCRIPT,
            "text/javascript; charset=utf-8",
            "public, max-age=3600",
        ),
        _ => return Err(AppError::NotFound("No such file.".into())),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body))
}
