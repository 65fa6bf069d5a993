//! E-mail use cases: setting and verifying an address, the delivery choice
//! and one-click unsubscribe, "forgot password", and what the job worker
//! asks for (one notification's mail, the daily digests). Every mail is
//! queued as a job inside the transaction of the change that causes it;
//! the job worker sends it (`jobs::site`), so a request never waits for
//! the mail server and a mail server that is down loses nothing.

use crate::auth::tokens::SolvedLink;
use crate::auth::{rate_limit, tokens, username};
use crate::config::Config;
use crate::db::models::mail::{self as rows, Delivery, TokenPurpose, UserMail};
use crate::db::models::notifications::{self, Notification};
use crate::db::models::{questions, sessions, site_secrets, users};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{NotificationId, UserId};
use crate::mail::render::{self, MailSite, NotificationItem, SolvedChoice};
use crate::mail::OutgoingMail;
use crate::paths;

/// A verification link works this long (seconds).
pub const VERIFY_LINK_SECS: i64 = 48 * 3600;
/// A password-reset link works this long (seconds).
pub const RESET_LINK_SECS: i64 = 3600;
/// At most one digest per user in this many seconds.
pub const DIGEST_EVERY_SECS: i64 = 24 * 3600;
/// Name of the unsubscribe signing key in `site_secrets`.
const UNSUBSCRIBE_SECRET: &str = "unsubscribe-hmac";

/// What every mail needs about the site, with the unsubscribe key read
/// from the database (created by the first node that asks).
pub fn mail_site(conn: &mut Conn, config: &Config, now: i64) -> AppResult<MailSite> {
    let candidate = tokens::random_token().map_err(AppError::internal)?;
    let key = site_secrets::get_or_insert(conn, UNSUBSCRIBE_SECRET, &candidate, now)?;
    Ok(MailSite {
        site_name: config.site_name.clone(),
        base_url: config.base_url.clone(),
        unsubscribe_key: key.into_bytes(),
    })
}

/// Queues a rendered mail (call inside the change's transaction).
fn queue(conn: &mut Conn, mail: &OutgoingMail, now: i64) -> AppResult<()> {
    let payload = serde_json::to_value(mail).map_err(AppError::internal)?;
    crate::jobs::enqueue(conn, rows::SEND_JOB, &payload, now)?;
    Ok(())
}

/// A fresh single-use token for `user_id` (its hash stored); the token.
fn new_token(
    conn: &mut Conn,
    user_id: UserId,
    purpose: TokenPurpose,
    address: &str,
    lifetime: i64,
    now: i64,
) -> AppResult<String> {
    let token = tokens::random_token().map_err(AppError::internal)?;
    rows::create_token(
        conn,
        user_id,
        purpose,
        &tokens::hash_token(&token),
        address,
        now + lifetime,
        now,
    )?;
    Ok(token)
}

/// The address row of a user.
pub fn address_of(conn: &mut Conn, user_id: UserId) -> AppResult<Option<UserMail>> {
    Ok(rows::find(conn, user_id)?)
}

/// The account other than `user_id` whose verified address is `address`.
fn address_owner(
    conn: &mut Conn,
    address: &str,
    user_id: UserId,
) -> AppResult<Option<users::User>> {
    match rows::find_verified(conn, &rows::address_key(address))? {
        Some(row) if row.user_id != user_id => Ok(users::find(conn, row.user_id)?),
        _ => Ok(None),
    }
}

/// What a verification link tells whoever opens it when another account
/// confirmed the address first (only someone who reads that inbox sees it).
pub const ADDRESS_TAKEN: &str =
    "That e-mail address belongs to another account. Use another one, or sign in to that account.";

/// Whether one more mail under the limit `rule` may go out for `bucket`
/// (counted when it may).
fn mail_allowed(
    conn: &mut Conn,
    bucket: &str,
    rule: crate::auth::rate_limit::Rule,
    now: i64,
) -> AppResult<bool> {
    let window = crate::db::models::rate_limits::hit(
        conn,
        bucket,
        rule.window_secs(),
        rule.max_hits(),
        now,
    )?;
    Ok(window.hits <= rule.max_hits())
}

/// Sets the user's address (already checked with `mail::valid_address`) and
/// mails it: a verification link, unless it is the one already verified;
/// `Ok(true)` when a mail went out to the address (as far as anyone using
/// the form can tell).
///
/// An address another account has verified is answered the same way, so
/// the forms never tell whose address it is: it is stored unconfirmed (it
/// can never be confirmed while the other account holds it, so every
/// confirmed address still belongs to one account) and its owner is mailed
/// that someone tried to use it, with the way back into their account.
pub fn set_address(
    conn: &mut Conn,
    site: &MailSite,
    user_id: UserId,
    address: &str,
    now: i64,
) -> AppResult<bool> {
    conn.immediate_transaction(|conn| {
        let user = users::find(conn, user_id)?
            .ok_or_else(|| AppError::NotFound("No such user.".into()))?;
        if let Some(owner) = address_owner(conn, address, user_id)? {
            rows::set_address(conn, user_id, address, now)?;
            let bucket = format!("address-in-use-mail:{}", rows::address_key(address));
            if mail_allowed(conn, &bucket, rate_limit::rules::ADDRESS_IN_USE_MAIL, now)? {
                queue(
                    conn,
                    &render::address_in_use(site, address, &owner.username),
                    now,
                )?;
            }
            return Ok(true);
        }
        rows::set_address(conn, user_id, address, now)?;
        if rows::find(conn, user_id)?.is_some_and(|row| row.is_verified()) {
            return Ok(false);
        }
        let token = new_token(
            conn,
            user_id,
            TokenPurpose::Verify,
            address,
            VERIFY_LINK_SECS,
            now,
        )?;
        let link = site.link(&paths::verify_email(&token));
        queue(
            conn,
            &render::verification(site, address, &user.username, &link),
            now,
        )?;
        Ok(true)
    })
}

/// What a verification link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// The address is confirmed; mail goes to it from now on.
    Done(String),
    /// Unknown, used or expired link, or the account's address changed since.
    Invalid,
    /// Another account confirmed the same address first.
    Taken,
}

/// Uses a verification link.
pub fn verify_address(conn: &mut Conn, token: &str, now: i64) -> AppResult<Verified> {
    conn.immediate_transaction(|conn| {
        let Some(found) =
            rows::consume_token(conn, TokenPurpose::Verify, &tokens::hash_token(token), now)?
        else {
            return Ok(Verified::Invalid);
        };
        Ok(
            match rows::mark_verified(conn, found.user_id, &found.address, now)? {
                None => Verified::Taken,
                Some(false) => Verified::Invalid,
                Some(true) => Verified::Done(found.address),
            },
        )
    })
}

/// Removes the user's address: no more mail of any kind.
pub fn remove_address(conn: &mut Conn, user_id: UserId, now: i64) -> AppResult<()> {
    conn.immediate_transaction(|conn| Ok(rows::remove(conn, user_id, now)?))
}

/// Sets how notifications are mailed; false when the user has no address.
pub fn set_delivery(
    conn: &mut Conn,
    user_id: UserId,
    delivery: Delivery,
    now: i64,
) -> AppResult<bool> {
    conn.immediate_transaction(|conn| Ok(rows::set_delivery(conn, user_id, delivery, now)?))
}

/// "Forgot password": when `who` (a username, or a verified address) names
/// an account that may sign in, queues a reset link to its verified
/// address, at most [`RESET_MAIL_PER_ACCOUNT`](rate_limit::rules::RESET_MAIL_PER_ACCOUNT)
/// a window whoever asks. Says nothing either way: the page answers the same.
pub fn request_password_reset(
    conn: &mut Conn,
    site: &MailSite,
    who: &str,
    now: i64,
) -> AppResult<()> {
    let who = who.trim();
    if who.is_empty() || who.len() > 254 {
        return Ok(());
    }
    conn.immediate_transaction(|conn| {
        let address = if who.contains('@') {
            rows::find_verified(conn, &rows::address_key(who))?
        } else {
            match users::find_by_key(conn, &username::key_of(who))? {
                Some(user) => rows::find(conn, user.id)?.filter(UserMail::is_verified),
                None => None,
            }
        };
        let Some(address) = address else {
            return Ok(());
        };
        let Some(user) = users::find(conn, address.user_id)? else {
            return Ok(());
        };
        if user.is_suspended() {
            return Ok(());
        }
        let bucket = format!("reset-mail:{}", user.id);
        if !mail_allowed(
            conn,
            &bucket,
            rate_limit::rules::RESET_MAIL_PER_ACCOUNT,
            now,
        )? {
            return Ok(());
        }
        let token = new_token(conn, user.id, TokenPurpose::Reset, "", RESET_LINK_SECS, now)?;
        let link = site.link(&paths::password_reset(&token));
        queue(
            conn,
            &render::password_reset(site, &address.address, &user.username, &link),
            now,
        )?;
        Ok(())
    })
}

/// The account a live (unused, unexpired) reset link is for.
pub fn reset_link_user(conn: &mut Conn, token: &str, now: i64) -> AppResult<Option<users::User>> {
    match rows::live_token(conn, TokenPurpose::Reset, &tokens::hash_token(token), now)? {
        Some(found) => Ok(users::find(conn, found.user_id)?.filter(|u| !u.is_suspended())),
        None => Ok(None),
    }
}

/// Uses a reset link: sets the new password hash and ends every session of
/// the account. `None` when the link is unknown, used or expired.
pub fn reset_password(
    conn: &mut Conn,
    token: &str,
    password_hash: &str,
    now: i64,
) -> AppResult<Option<UserId>> {
    conn.immediate_transaction(|conn| {
        let Some(found) =
            rows::consume_token(conn, TokenPurpose::Reset, &tokens::hash_token(token), now)?
        else {
            return Ok(None);
        };
        users::set_password_hash(conn, found.user_id, password_hash, now)?;
        sessions::delete_for_user(conn, found.user_id, None)?;
        Ok(Some(found.user_id))
    })
}

/// How a notification reads in mail; `None` when its question is gone.
fn notification_item(conn: &mut Conn, n: &Notification) -> AppResult<Option<NotificationItem>> {
    let Some(question) = questions::find(conn, n.question_id)? else {
        return Ok(None);
    };
    if question.deleted_at.is_some() {
        return Ok(None);
    }
    let actor = match n.actor_id {
        Some(id) => users::find(conn, id)?.map(|u| u.display_name),
        None => None,
    };
    let path = match (n.comment_id, n.answer_id) {
        (Some(comment), _) => paths::comment_on(&question.path(), comment),
        (None, Some(answer)) => paths::answer_on(&question.path(), answer),
        (None, None) => question.path(),
    };
    Ok(Some(NotificationItem {
        kind: n.kind.clone(),
        yours: question.author_id == n.user_id,
        question_title: question.title,
        path,
        actor,
    }))
}

/// The mail of notification `id`, rendered now; `None` when there is
/// nothing to send any more (the question was deleted, the recipient
/// removed their address, chose "never" meanwhile, or was suspended).
pub fn notification_mail(
    conn: &mut Conn,
    site: &MailSite,
    id: NotificationId,
) -> AppResult<Option<OutgoingMail>> {
    let Some(n) = notifications::find(conn, id)? else {
        return Ok(None);
    };
    let Some(address) = rows::find(conn, n.user_id)? else {
        return Ok(None);
    };
    if !address.is_verified() || address.delivery() == Delivery::Never {
        return Ok(None);
    }
    if users::find(conn, n.user_id)?.is_none_or(|u| u.is_suspended()) {
        return Ok(None);
    }
    let Some(item) = notification_item(conn, &n)? else {
        return Ok(None);
    };
    if n.kind == notifications::SOLVED_NUDGE {
        return solved_nudge_mail(conn, site, &address.address, &n, &item);
    }
    Ok(Some(render::notification(
        site,
        &address.address,
        n.user_id,
        &item,
    )))
}

/// The "was your question solved?" mail with its signed links; `None` when
/// an answer was accepted meanwhile, the question was locked or closed, or
/// no answer is left.
fn solved_nudge_mail(
    conn: &mut Conn,
    site: &MailSite,
    to: &str,
    n: &Notification,
    item: &NotificationItem,
) -> AppResult<Option<OutgoingMail>> {
    let open = |q: &questions::Question| {
        q.accepted_answer_id.is_none() && !q.locked && q.closed_reason.is_none()
    };
    if !questions::find(conn, n.question_id)?.is_some_and(|q| open(&q)) {
        return Ok(None);
    }
    let answers = crate::service::questions::nudge_answers(conn, n.question_id)?;
    if answers.is_empty() {
        return Ok(None);
    }
    let link = |answer_id| {
        let token = SolvedLink {
            user_id: n.user_id,
            question_id: n.question_id,
            answer_id,
        }
        .token(&site.unsubscribe_key);
        site.link(&paths::solved_link(&token))
    };
    let choices: Vec<SolvedChoice> = answers
        .into_iter()
        .map(|a| SolvedChoice {
            author: a.author,
            excerpt: a.excerpt,
            link: link(Some(a.id)),
        })
        .collect();
    Ok(Some(render::solved_nudge(
        site,
        to,
        n.user_id,
        item,
        &choices,
        &link(None),
    )))
}

/// Queues one digest mail for every user on the daily digest whose last one
/// is a day old and who has notifications waiting; returns how many. Each
/// user's digest is queued and its items removed in one transaction, so a
/// repeated run sends nothing twice.
pub fn send_digests(conn: &mut Conn, site: &MailSite, now: i64) -> AppResult<usize> {
    let due = rows::digest_due(conn, DIGEST_EVERY_SECS, now)?;
    let mut sent = 0;
    for address in due {
        let queued = conn.immediate_transaction(|conn| -> AppResult<bool> {
            let waiting = rows::digest_items(conn, address.user_id)?;
            let ids: Vec<NotificationId> = waiting.iter().map(|n| n.id).collect();
            let mut items = Vec::new();
            for n in &waiting {
                items.extend(notification_item(conn, n)?);
            }
            if !items.is_empty() {
                let mail = render::digest(site, &address.address, address.user_id, &items);
                queue(conn, &mail, now)?;
            }
            rows::digest_sent(conn, address.user_id, &ids, now)?;
            Ok(!items.is_empty())
        })?;
        sent += usize::from(queued);
    }
    Ok(sent)
}

/// Mail waiting or retrying, and mail given up (for the staff dashboard).
pub fn queue_counts(conn: &mut Conn) -> AppResult<(i64, i64)> {
    Ok(rows::queue_counts(conn)?)
}
