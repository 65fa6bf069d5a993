//! Accounts: creating users, sessions with idle and absolute expiry,
//! suspension, and the one-time setup token for the first admin.

use crate::auth::username::Username;
use crate::auth::{tokens, Role, SESSION_ABSOLUTE_SECS, SESSION_IDLE_SECS};
use crate::db::models::sessions::{self, NewSession, Session};
use crate::db::models::setup_tokens;
use crate::db::models::users::{self, NewUser, User};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{SessionId, UserId};

/// Sessions are touched at most this often (seconds), to spare writes.
const TOUCH_EVERY_SECS: i64 = 60;

/// Creates a user; `Ok(None)` when the name is taken (in any case).
pub fn create_user(
    conn: &mut Conn,
    name: &Username,
    display_name: &str,
    password_hash: Option<&str>,
    role: Role,
    now: i64,
) -> AppResult<Option<User>> {
    let display = if display_name.trim().is_empty() {
        name.display.as_str()
    } else {
        display_name.trim()
    };
    Ok(users::create(
        conn,
        &NewUser {
            username: &name.display,
            username_key: &name.key,
            display_name: display,
            password_hash,
            role: role.as_str(),
            created_at: now,
            updated_at: now,
        },
    )?)
}

/// Starts a session; returns the cookie token (only its hash is stored).
pub fn start_session(conn: &mut Conn, user_id: UserId, now: i64) -> AppResult<(String, Session)> {
    let token = tokens::random_token().map_err(AppError::internal)?;
    let csrf = tokens::random_token().map_err(AppError::internal)?;
    let session = sessions::create(
        conn,
        &NewSession {
            token_hash: &tokens::hash_token(&token),
            user_id,
            csrf_token: &csrf,
            created_at: now,
            last_seen_at: now,
            expires_at: now + SESSION_ABSOLUTE_SECS,
        },
    )?;
    // Signing in may bring the user's guest drafts along: pages cached for
    // them from an earlier session are stale.
    crate::db::models::page_changes::record(
        conn,
        crate::db::models::page_changes::PageScope::User(user_id.0),
        now,
    )?;
    Ok((token, session))
}

/// What a session cookie leads to.
#[derive(Debug, Clone)]
pub enum SessionLookup {
    /// A live session and its user.
    Live(Box<(Session, User)>),
    /// A session that expired (now deleted): whose it was and the CSRF
    /// token its pages carried, so a form sent from one of them can still
    /// be kept as a draft for that user.
    Lapsed {
        /// The user the session belonged to.
        user_id: UserId,
        /// The session's CSRF token.
        csrf: String,
    },
    /// No session (unknown token, or a suspended user's).
    Unknown,
}

/// The live session for a cookie token. Expired sessions, and every session
/// of a suspended user, are deleted and yield `None`.
pub fn session_for_token(
    conn: &mut Conn,
    token: &str,
    now: i64,
) -> AppResult<Option<(Session, User)>> {
    Ok(match look_up_session(conn, token, now)? {
        SessionLookup::Live(found) => Some(*found),
        _ => None,
    })
}

/// Looks up a cookie token: a live session is touched; an expired one is
/// deleted and reported as lapsed; every session of a suspended user is
/// deleted.
pub fn look_up_session(conn: &mut Conn, token: &str, now: i64) -> AppResult<SessionLookup> {
    if token.len() != 64 {
        return Ok(SessionLookup::Unknown);
    }
    let Some((session, user)) = sessions::find_with_user(conn, &tokens::hash_token(token))? else {
        return Ok(SessionLookup::Unknown);
    };
    if user.is_suspended() {
        sessions::delete_for_user(conn, user.id, None)?;
        return Ok(SessionLookup::Unknown);
    }
    if session.expires_at <= now || session.last_seen_at + SESSION_IDLE_SECS <= now {
        sessions::delete(conn, session.id)?;
        return Ok(SessionLookup::Lapsed {
            user_id: user.id,
            csrf: session.csrf_token,
        });
    }
    if now - session.last_seen_at >= TOUCH_EVERY_SECS {
        sessions::touch(conn, session.id, now)?;
    }
    Ok(SessionLookup::Live(Box::new((session, user))))
}

/// Suspends a user and ends all their sessions at once.
pub fn suspend(conn: &mut Conn, user_id: UserId, now: i64) -> AppResult<()> {
    conn.immediate_transaction(|conn| {
        users::set_suspended(conn, user_id, Some(now), now)?;
        sessions::delete_for_user(conn, user_id, None)?;
        Ok(())
    })
}

/// Lifts a suspension.
pub fn unsuspend(conn: &mut Conn, user_id: UserId, now: i64) -> AppResult<()> {
    users::set_suspended(conn, user_id, None, now)?;
    Ok(())
}

/// Changes a role, refusing to remove the last admin.
pub fn set_role(conn: &mut Conn, user: &User, role: Role, now: i64) -> AppResult<()> {
    conn.immediate_transaction(|conn| {
        if user.role() == Role::Admin && role != Role::Admin && count_admins(conn)? <= 1 {
            return Err(AppError::Conflict(
                "This is the only admin. Make someone else admin first.".into(),
            ));
        }
        users::set_role(conn, user.id, role.as_str(), now)?;
        Ok(())
    })
}

fn count_admins(conn: &mut Conn) -> AppResult<i64> {
    use crate::db::schema::users::dsl;
    use diesel::prelude::*;
    Ok(dsl::users
        .filter(dsl::role.eq("admin"))
        .count()
        .get_result(conn)?)
}

/// Sets a new password hash and ends every other session of the user.
pub fn change_password(
    conn: &mut Conn,
    user_id: UserId,
    hash: &str,
    keep_session: Option<SessionId>,
    now: i64,
) -> AppResult<()> {
    conn.immediate_transaction(|conn| {
        users::set_password_hash(conn, user_id, hash, now)?;
        sessions::delete_for_user(conn, user_id, keep_session)?;
        crate::db::models::mail::void_tokens(
            conn,
            user_id,
            crate::db::models::mail::TokenPurpose::Reset,
            now,
        )?;
        Ok(())
    })
}

/// When no admin exists, issues a fresh one-time setup token for `node`
/// (replacing that node's unused one; other nodes' links keep working) and
/// returns it; otherwise `None`.
pub fn issue_setup_token(conn: &mut Conn, node: &str, now: i64) -> AppResult<Option<String>> {
    if users::admin_exists(conn)? {
        return Ok(None);
    }
    let token = tokens::random_token().map_err(AppError::internal)?;
    setup_tokens::replace(conn, node, &tokens::hash_token(&token), now)?;
    Ok(Some(token))
}

/// Whether `token` may still be used to create the first admin.
pub fn setup_token_valid(conn: &mut Conn, token: &str) -> AppResult<bool> {
    Ok(!users::admin_exists(conn)? && setup_tokens::is_valid(conn, &tokens::hash_token(token))?)
}

/// Uses the setup token to create the first admin, in one transaction.
/// `Ok(None)` when the name is taken; `NotFound` when the token is spent.
pub fn complete_setup(
    conn: &mut Conn,
    token: &str,
    name: &Username,
    display_name: &str,
    password_hash: &str,
    now: i64,
) -> AppResult<Option<User>> {
    conn.immediate_transaction(|conn| {
        if users::admin_exists(conn)?
            || !setup_tokens::consume(conn, &tokens::hash_token(token), now)?
        {
            return Err(AppError::NotFound(
                "This setup link has already been used.".into(),
            ));
        }
        match create_user(
            conn,
            name,
            display_name,
            Some(password_hash),
            Role::Admin,
            now,
        )? {
            Some(user) => Ok(Some(user)),
            None => Err(AppError::Conflict(format!(
                "The username {} is taken.",
                name.display
            ))),
        }
    })
    .or_else(|e| match e {
        AppError::Conflict(_) => Ok(None),
        other => Err(other),
    })
}
