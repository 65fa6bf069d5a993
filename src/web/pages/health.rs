//! The health check used by load balancers and monitoring.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::app::AppState;
use crate::web::json_response;

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    node: String,
    database: &'static str,
    index: &'static str,
    documents: u64,
    indexed_outbox_id: i64,
}

/// GET /healthz: 200 when the database answers and the index can be searched.
pub async fn get_health(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.db.clone();
    let db_ok = web::block(move || {
        pool.get()
            .map(|mut c| crate::db::ping(&mut c))
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    let search = state.search.clone();
    let index_ok = web::block(move || search.is_usable())
        .await
        .unwrap_or(false);
    let index = match (index_ok, state.search.is_rebuilding()) {
        (false, _) => "unusable",
        (true, true) => "rebuilding",
        (true, false) => "ok",
    };
    let healthy = db_ok && index_ok;
    let body = Health {
        status: if healthy { "ok" } else { "unavailable" },
        node: state.node.clone(),
        database: if db_ok { "ok" } else { "unavailable" },
        index,
        documents: state.search.num_docs(),
        indexed_outbox_id: state.search.applied_id(),
    };
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json_response(status, &body)
}
