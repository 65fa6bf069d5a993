//! Every path of the site, registered in one function.

use actix_web::web;

use super::assets;
use super::pages::{account, docs, health, home, search, staff_users, troubleshoot, users};

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::get_home))
        .route("/docs", web::get().to(docs::get_manuals))
        .route("/docs/{manual}", web::get().to(docs::get_manual))
        .route("/docs/{manual}/{article}", web::get().to(docs::get_article))
        .route("/search", web::get().to(search::get_search))
        .route("/troubleshoot", web::get().to(troubleshoot::get_trees))
        .route("/troubleshoot/{tree}", web::get().to(troubleshoot::get_tree_step))
        .route("/troubleshoot/{tree}/solved", web::get().to(troubleshoot::get_tree_solved))
        .route("/troubleshoot/{tree}/outcome", web::post().to(troubleshoot::post_tree_outcome))
        .route("/register", web::get().to(account::get_register))
        .route("/register", web::post().to(account::post_register))
        .route("/login", web::get().to(account::get_login))
        .route("/login", web::post().to(account::post_login))
        .route("/logout", web::post().to(account::post_logout))
        .route("/account", web::get().to(account::get_account))
        .route("/account/profile", web::post().to(account::post_account_profile))
        .route("/account/password", web::post().to(account::post_account_password))
        .route("/setup/{token}", web::get().to(account::get_setup))
        .route("/setup/{token}", web::post().to(account::post_setup))
        .route("/users/{name}", web::get().to(users::get_user))
        .route("/staff/users", web::get().to(staff_users::get_staff_users))
        .route("/staff/users/{id}/role", web::post().to(staff_users::post_user_role))
        .route("/staff/users/{id}/suspend", web::post().to(staff_users::post_user_suspend))
        .route("/staff/users/{id}/unsuspend", web::post().to(staff_users::post_user_unsuspend))
        .route("/healthz", web::get().to(health::get_health))
        .route("/static/{file}", web::get().to(assets::get_asset))
        .route("/favicon.ico", web::get().to(home::get_favicon));
}
