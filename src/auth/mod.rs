//! Who may do what: password hashing (argon2id), username rules, roles,
//! random tokens, rate limits (one table, [`rate_limit::rules`]) and the
//! permission policy ([`policy::can`]). No HTTP and no database here: the
//! web layer, the services and `db::models::users` use these building blocks.

pub mod password;
pub mod policy;
pub mod rate_limit;
pub mod roles;
pub mod tokens;
pub mod username;

pub use roles::Role;

/// A session ends after this long without a request (seconds).
pub const SESSION_IDLE_SECS: i64 = 14 * 24 * 3600;
/// A session ends this long after sign-in, whatever happens (seconds).
pub const SESSION_ABSOLUTE_SECS: i64 = 60 * 24 * 3600;
/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "sp_session";
/// Name of the pre-session CSRF cookie (sign-in and registration forms).
pub const CSRF_COOKIE: &str = "sp_csrf";
/// A guest's form token (the pre-session CSRF cookie) lasts this long from
/// when it was set (seconds), as Django's CSRF cookie age; a member's lasts
/// as long as their session.
pub const GUEST_FORM_TOKEN_SECS: i64 = 7 * 24 * 3600;
