//! Files stored in the database (images and documents of imported
//! articles), served at their fingerprinted URL with a year-long immutable
//! cache header and headers that keep SVG and text from running anything.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::db::models::assets;
use crate::error::{AppError, AppResult};
use crate::service::assets::{serve_headers, IMMUTABLE_CACHE};
use crate::web::with_db;

fn not_found() -> AppError {
    AppError::NotFound(
        "There is no such file. It may have been replaced by a newer version: open the article again.".into(),
    )
}

/// GET /assets/{fingerprint}/{name}
pub async fn get_stored_asset(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (fingerprint, name) = path.into_inner();
    let plausible = (16..=64).contains(&fingerprint.len())
        && fingerprint.bytes().all(|b| b.is_ascii_hexdigit())
        && !name.is_empty()
        && name.len() <= 120;
    if !plausible {
        return Err(not_found());
    }
    let file = with_db(&state, move |conn| {
        Ok(assets::load(conn, &fingerprint, &name)?)
    })
    .await?
    .ok_or_else(not_found)?;
    let headers = serve_headers(&file.content_type, &file.name);
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, headers.content_type))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE_CACHE))
        .insert_header((header::CONTENT_DISPOSITION, headers.disposition))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if let Some(policy) = headers.policy {
        response.insert_header((header::CONTENT_SECURITY_POLICY, policy));
    }
    Ok(response.body(file.bytes))
}
