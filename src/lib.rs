//! Signpost: a self-service support site in one binary: markdown manuals,
//! troubleshooting trees and a community Q&A board behind one search.
//!
//! Modules, leaves first:
//! - [`config`], [`error`]: configuration and the one error type.
//! - [`background`]: named threads stopped and joined on drop.
//! - [`memory`]: freed heap handed back to the system after large work.
//! - [`ids`], [`kinds`]: typed row ids and the kinds of posts and documents.
//! - [`paths`]: every URL the site makes.
//! - [`db`]: one connection type over SQLite and PostgreSQL, pools,
//!   migrations, row structs and queries.
//! - [`markdown`]: markdown to sanitized HTML.
//! - [`diff`]: revision diffs.
//! - [`content`]: reading and validating the `content/` folder.
//! - [`search`]: the tantivy index: schema, writer, queries, result cache.
//! - [`auth`]: passwords, sessions, tokens, rate limits and who may do what.
//! - [`service`]: content into the database, database into the index.
//! - [`mail`]: SMTP transport and the text of every mail (sent by jobs).
//! - [`jobs`]: the durable job queue, periodic maintenance, mail and the worker.
//! - [`web`], [`app`]: HTTP handlers, templates and the server.

pub mod app;
pub mod auth;
pub mod background;
pub mod config;
pub mod content;
pub mod db;
pub mod diff;
pub mod error;
pub mod ids;
pub mod jobs;
pub mod kinds;
pub mod mail;
pub mod markdown;
pub mod memory;
pub mod paths;
pub mod search;
pub mod service;
pub mod web;
