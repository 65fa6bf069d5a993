//! Request handlers, one file per area, one `verb_noun` function per route.

pub mod docs;
pub mod health;
pub mod home;
pub mod search;
