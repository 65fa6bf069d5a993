//! Row structs (`X`), insert structs (`NewX`) and the query functions of each
//! table. Every function takes `&mut Conn` and runs synchronously; callers in
//! async code wrap them in `web::block`.

pub mod announcements;
pub mod answers;
pub mod article_revisions;
pub mod articles;
pub mod assets;
pub mod comments;
pub mod drafts;
pub mod feedback;
pub mod flags;
pub mod follows;
pub mod index_nodes;
pub mod jobs;
pub mod known_issue_followers;
pub mod known_issues;
pub mod mail;
pub mod manuals;
pub mod notifications;
pub mod outbox;
pub mod page_changes;
pub mod questions;
pub mod rate_limits;
pub mod revisions;
pub mod search_log;
pub mod sessions;
pub mod setup_tokens;
pub mod site_secrets;
pub mod tags;
pub mod trees;
pub mod users;
pub mod votes;
