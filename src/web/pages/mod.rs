//! Request handlers, one file per area, one `verb_noun` function per route.

pub mod account;
pub mod docs;
pub mod health;
pub mod home;
pub mod search;
pub mod staff_users;
pub mod troubleshoot;
pub mod users;
