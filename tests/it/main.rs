//! The one integration-test binary: every test gets its own temp data dir
//! through [`harness::TestApp`].

mod accounts;
mod content;
mod curation;
mod durability;
mod harness;
mod import;
mod indexing;
mod pages;
mod posting_guards;
mod qa;
mod search;
mod troubleshoot;
