//! Every path of the site, registered in one function.

use actix_web::web;

use super::assets;
use super::pages::{
    account, announcements, api, ask, docs, feedback, follows, health, home, known_issue_follow,
    known_issues, mail, moderation, notifications, question, questions, search, sitemap, solved,
    staff_articles, staff_dashboard, staff_users, stored_assets, troubleshoot, users,
};

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::get_home))
        .route("/docs", web::get().to(docs::get_manuals))
        .route("/docs/{manual}", web::get().to(docs::get_manual))
        .route("/docs/{manual}/{article}", web::get().to(docs::get_article))
        .route(
            "/docs/{manual}/{article}/edit",
            web::get().to(staff_articles::get_edit_article),
        )
        .route(
            "/docs/{manual}/{article}/edit",
            web::post().to(staff_articles::post_edit_article),
        )
        .route(
            "/docs/{manual}/{article}/revisions",
            web::get().to(staff_articles::get_article_revisions),
        )
        .route(
            "/docs/{manual}/{article}/revisions/{id}",
            web::get().to(staff_articles::get_article_revision),
        )
        .route(
            "/docs/{manual}/{article}/revisions/{id}/restore",
            web::post().to(staff_articles::post_restore_revision),
        )
        .route(
            "/docs/{manual}/{article}/diff",
            web::get().to(staff_articles::get_article_diff),
        )
        .route(
            "/docs/{manual}/{article}/reattach",
            web::post().to(staff_articles::post_reattach),
        )
        .route(
            "/staff/articles",
            web::get().to(staff_articles::get_staff_articles),
        )
        .route(
            "/staff/articles/new",
            web::get().to(staff_articles::get_new_article),
        )
        .route(
            "/staff/articles/new",
            web::post().to(staff_articles::post_new_article),
        )
        .route("/search", web::get().to(search::get_search))
        .route("/search/click", web::get().to(search::get_search_click))
        .route("/troubleshoot", web::get().to(troubleshoot::get_trees))
        .route(
            "/troubleshoot/{tree}",
            web::get().to(troubleshoot::get_tree_step),
        )
        .route(
            "/troubleshoot/{tree}/solved",
            web::get().to(troubleshoot::get_tree_solved),
        )
        .route(
            "/troubleshoot/{tree}/outcome",
            web::post().to(troubleshoot::post_tree_outcome),
        )
        .route("/questions", web::get().to(questions::get_questions))
        .route(
            "/questions.atom",
            web::get().to(questions::get_questions_feed),
        )
        .route("/questions/ask", web::get().to(ask::get_ask))
        .route("/questions/ask", web::post().to(ask::post_ask))
        .route(
            "/questions/{id}",
            web::get().to(question::get_question_short),
        )
        .route(
            "/questions/{id}/answers",
            web::post().to(question::post_answer),
        )
        .route(
            "/questions/{id}/comments",
            web::post().to(question::post_question_comment),
        )
        .route(
            "/questions/{id}/vote",
            web::post().to(question::post_question_vote),
        )
        .route(
            "/questions/{id}/accept",
            web::post().to(question::post_accept),
        )
        .route(
            "/questions/{id}/still-unsolved",
            web::post().to(solved::post_still_unsolved),
        )
        .route(
            "/questions/{id}/unaccept",
            web::post().to(question::post_unaccept),
        )
        .route(
            "/questions/{id}/follow",
            web::post().to(follows::post_follow_question),
        )
        .route(
            "/questions/{id}/unfollow",
            web::post().to(follows::post_unfollow_question),
        )
        .route(
            "/questions/{id}/edit",
            web::get().to(question::get_edit_question),
        )
        .route(
            "/questions/{id}/edit",
            web::post().to(question::post_edit_question),
        )
        .route(
            "/questions/{id}/revisions",
            web::get().to(question::get_question_revisions),
        )
        .route(
            "/questions/{id}/revisions/{rev}",
            web::get().to(question::get_question_revision),
        )
        .route(
            "/questions/{id}/moderate",
            web::post().to(moderation::post_moderate_question),
        )
        .route(
            "/questions/{id}/{slug}",
            web::get().to(question::get_question),
        )
        .route(
            "/answers/{id}/vote",
            web::post().to(question::post_answer_vote),
        )
        .route(
            "/answers/{id}/edit",
            web::get().to(question::get_edit_answer),
        )
        .route(
            "/answers/{id}/edit",
            web::post().to(question::post_edit_answer),
        )
        .route(
            "/answers/{id}/revisions",
            web::get().to(question::get_answer_revisions),
        )
        .route(
            "/answers/{id}/revisions/{rev}",
            web::get().to(question::get_answer_revision),
        )
        .route(
            "/answers/{id}/moderate",
            web::post().to(moderation::post_moderate_answer),
        )
        .route(
            "/questions/{id}/known-issue",
            web::post().to(known_issues::post_question_known_issue),
        )
        .route(
            "/known-issues",
            web::get().to(known_issues::get_known_issues),
        )
        .route(
            "/known-issues/new",
            web::get().to(known_issues::get_new_known_issue),
        )
        .route(
            "/known-issues/new",
            web::post().to(known_issues::post_new_known_issue),
        )
        .route(
            "/known-issues/{slug}",
            web::get().to(known_issues::get_known_issue),
        )
        .route(
            "/known-issues/{slug}/edit",
            web::get().to(known_issues::get_edit_known_issue),
        )
        .route(
            "/known-issues/{slug}/edit",
            web::post().to(known_issues::post_edit_known_issue),
        )
        .route(
            "/known-issues/{slug}/updates",
            web::post().to(known_issues::post_known_issue_update),
        )
        .route(
            "/known-issues/{slug}/follow",
            web::post().to(known_issue_follow::post_follow_known_issue),
        )
        .route(
            "/known-issues/{slug}/follow-by-mail",
            web::post().to(known_issue_follow::post_follow_known_issue_by_mail),
        )
        .route(
            "/follow/known-issue/confirm/{token}",
            web::get().to(known_issue_follow::get_confirm_known_issue_follow),
        )
        .route(
            "/follow/known-issue/stop/{token}",
            web::get().to(known_issue_follow::get_unfollow_known_issue),
        )
        .route(
            "/follow/known-issue/stop/{token}",
            web::post().to(known_issue_follow::post_unfollow_known_issue),
        )
        .route(
            "/answers/{id}/comments",
            web::post().to(question::post_answer_comment),
        )
        .route("/comments/{id}", web::get().to(question::get_comment))
        .route("/comments/{id}/edit", web::get().to(question::get_comment))
        .route(
            "/comments/{id}/edit",
            web::post().to(question::post_comment_edit),
        )
        .route(
            "/comments/{id}/delete",
            web::post().to(question::post_comment_delete),
        )
        .route(
            "/comments/{id}/restore",
            web::post().to(question::post_comment_restore),
        )
        .route("/flags", web::post().to(moderation::post_flag))
        .route("/feedback", web::post().to(feedback::post_feedback))
        .route(
            "/feedback/{id}/comment",
            web::post().to(feedback::post_feedback_comment),
        )
        .route("/tags", web::get().to(questions::get_tags))
        .route("/tags/{tag}", web::get().to(questions::get_tag))
        .route(
            "/tags/{tag}/follow",
            web::post().to(follows::post_follow_tag),
        )
        .route(
            "/tags/{tag}/unfollow",
            web::post().to(follows::post_unfollow_tag),
        )
        .route(
            "/notifications",
            web::get().to(notifications::get_notifications),
        )
        .route("/sitemap.xml", web::get().to(sitemap::get_sitemap))
        .route("/api/suggest", web::get().to(api::get_suggest))
        .route("/api/preview", web::post().to(api::post_preview))
        .route("/register", web::get().to(account::get_register))
        .route("/register", web::post().to(account::post_register))
        .route("/login", web::get().to(account::get_login))
        .route("/login", web::post().to(account::post_login))
        .route("/logout", web::post().to(account::post_logout))
        .route("/account", web::get().to(account::get_account))
        .route(
            "/account/profile",
            web::post().to(account::post_account_profile),
        )
        .route(
            "/account/password",
            web::post().to(account::post_account_password),
        )
        .route("/account/email", web::post().to(mail::post_account_email))
        .route("/account/mail", web::post().to(mail::post_account_delivery))
        .route(
            "/account/email/verify/{token}",
            web::get().to(mail::get_verify_email),
        )
        .route("/solved/{token}", web::get().to(solved::get_solved_link))
        .route("/solved/{token}", web::post().to(solved::post_solved_link))
        .route("/unsubscribe/{token}", web::get().to(mail::get_unsubscribe))
        .route(
            "/unsubscribe/{token}",
            web::post().to(mail::post_unsubscribe),
        )
        .route("/password/forgot", web::get().to(mail::get_forgot))
        .route("/password/forgot", web::post().to(mail::post_forgot))
        .route("/password/reset/{token}", web::get().to(mail::get_reset))
        .route("/password/reset/{token}", web::post().to(mail::post_reset))
        .route("/setup/{token}", web::get().to(account::get_setup))
        .route("/setup/{token}", web::post().to(account::post_setup))
        .route("/users/{name}", web::get().to(users::get_user))
        .route("/staff", web::get().to(staff_dashboard::get_dashboard))
        .route(
            "/staff/announcements",
            web::get().to(announcements::get_staff_announcements),
        )
        .route(
            "/staff/announcements/new",
            web::get().to(announcements::get_new_announcement),
        )
        .route(
            "/staff/announcements/new",
            web::post().to(announcements::post_new_announcement),
        )
        .route(
            "/staff/announcements/{id}/edit",
            web::get().to(announcements::get_edit_announcement),
        )
        .route(
            "/staff/announcements/{id}/edit",
            web::post().to(announcements::post_edit_announcement),
        )
        .route(
            "/staff/announcements/{id}/end",
            web::post().to(announcements::post_end_announcement),
        )
        .route(
            "/announcements",
            web::get().to(announcements::get_announcements),
        )
        .route(
            "/announcements/{id}/dismiss",
            web::post().to(announcements::post_dismiss_announcement),
        )
        .route(
            "/feed/updates.atom",
            web::get().to(announcements::get_updates_feed),
        )
        .route("/staff/flags", web::get().to(moderation::get_flags))
        .route(
            "/staff/flags/{id}",
            web::post().to(moderation::post_flag_resolution),
        )
        .route("/staff/users", web::get().to(staff_users::get_staff_users))
        .route(
            "/staff/users/{id}/role",
            web::post().to(staff_users::post_user_role),
        )
        .route(
            "/staff/users/{id}/suspend",
            web::post().to(staff_users::post_user_suspend),
        )
        .route(
            "/staff/users/{id}/unsuspend",
            web::post().to(staff_users::post_user_unsuspend),
        )
        .route("/healthz", web::get().to(health::get_health))
        .route("/static/{file}", web::get().to(assets::get_asset))
        .route(
            "/assets/{fingerprint}/{name}",
            web::get().to(stored_assets::get_stored_asset),
        )
        .route("/favicon.ico", web::get().to(home::get_favicon));
}
