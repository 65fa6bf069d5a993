//! Small services that connect modules which must not know each other:
//! content files into the database, and database changes into the search index.

pub mod accounts;
pub mod announcements;
pub mod articles;
pub mod assets;
pub mod content_reload;
pub mod content_sync;
pub mod demo_data;
pub mod drafts;
pub mod follows;
pub mod fts5_baseline;
pub mod import_markdown;
pub mod import_stackexchange;
pub mod known_issue_follow;
pub mod known_issues;
pub mod limits;
pub mod link_check;
pub mod mail;
pub mod page_feed;
pub mod questions;
pub mod relevance;
pub mod search_feed;
pub mod search_log_writer;
pub mod search_speed;
pub mod synonyms_reload;
pub mod updates_feed;
