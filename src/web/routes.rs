//! Every path of the site, registered in one function.

use actix_web::web;

use super::assets;
use super::pages::{docs, health, home, search};

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::get_home))
        .route("/docs", web::get().to(docs::get_manuals))
        .route("/docs/{manual}", web::get().to(docs::get_manual))
        .route("/docs/{manual}/{article}", web::get().to(docs::get_article))
        .route("/search", web::get().to(search::get_search))
        .route("/healthz", web::get().to(health::get_health))
        .route("/static/{file}", web::get().to(assets::get_asset))
        .route("/favicon.ico", web::get().to(home::get_favicon));
}
