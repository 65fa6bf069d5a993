//! The one integration-test binary: every test gets its own temp data dir
//! through [`harness::TestApp`].

mod accounts;
mod announcements;
mod backend;
mod cluster;
mod comments;
mod content;
mod curation;
mod drafts;
mod durability;
mod fixtures;
mod following;
mod fuzz;
mod hardening;
mod harness;
mod import;
mod import_docs;
mod indexing;
mod jobs;
mod known_issues;
mod mail;
mod migrate_db;
mod nodes;
mod page_cache;
mod page_html;
mod pages;
mod postgres;
mod posting_guards;
mod process;
mod qa;
mod relevance;
mod reload;
mod search;
mod smtp_sink;
mod solved_nudge;
mod troubleshoot;
