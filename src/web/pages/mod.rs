//! Request handlers, one file per area, one `verb_noun` function per route.

pub mod account;
pub mod announcements;
pub mod api;
pub mod ask;
pub mod docs;
pub mod feedback;
pub mod follows;
pub mod health;
pub mod home;
pub mod known_issue_follow;
pub mod known_issues;
pub mod mail;
pub mod moderation;
pub mod notifications;
pub mod question;
pub mod questions;
pub mod search;
pub mod sitemap;
pub mod solved;
pub mod staff_articles;
pub mod staff_dashboard;
pub mod staff_users;
pub mod stored_assets;
pub mod troubleshoot;
pub mod users;
