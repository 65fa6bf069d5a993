//! E-mail rows: each user's address and delivery choice (`user_mail`), the
//! single-use links mailed to them (`mail_tokens`), the notifications
//! waiting for a daily digest (`mail_digest_items`), and the routing of a new
//! notification to mail ([`route_notification`]), called by
//! [`super::notifications::notify`] so every kind of notification is mailed.

use diesel::prelude::*;

use crate::db::schema::{jobs, mail_digest_items, mail_tokens, notifications, user_mail};
use crate::db::Conn;
use crate::ids::{NotificationId, UserId};

/// Job kind: render one notification and send it (payload `{"notification_id": N}`).
pub const NOTIFICATION_JOB: &str = "mail-notification";
/// Job kind: send a message rendered when it was queued (payload: the message).
pub const SEND_JOB: &str = "mail-send";
/// Job kind: render one known-issue update for an address-only follower
/// and send it (payload `{"follower_id": N, "update_id": M}`).
pub const ISSUE_UPDATE_JOB: &str = "mail-issue-update";
/// Every job kind that sends mail (the staff dashboard counts them).
pub const MAIL_JOBS: [&str; 3] = [NOTIFICATION_JOB, SEND_JOB, ISSUE_UPDATE_JOB];

/// How a user wants notifications mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// One mail per notification, as it happens (the default).
    Immediate,
    /// One mail a day with everything since the last one.
    Daily,
    /// No notification mail.
    Never,
}

impl Delivery {
    /// Every choice, in the order the account page offers them.
    pub const ALL: [Delivery; 3] = [Delivery::Immediate, Delivery::Daily, Delivery::Never];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Immediate => "immediate",
            Delivery::Daily => "daily",
            Delivery::Never => "never",
        }
    }

    /// A stored or submitted name; `None` when unknown.
    pub fn parse(text: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// A user's address row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_mail)]
pub struct UserMail {
    /// The user.
    pub user_id: UserId,
    /// The address as typed.
    pub address: String,
    /// Lowercased, for comparing.
    pub address_key: String,
    /// When the owner confirmed it (unix seconds); mail goes only to
    /// verified addresses.
    pub verified_at: Option<i64>,
    /// A [`Delivery`] name.
    pub delivery: String,
    /// When the last digest was queued.
    pub last_digest_at: Option<i64>,
    /// Unix seconds.
    pub updated_at: i64,
}

impl UserMail {
    /// The delivery choice (unknown stored values count as immediate).
    pub fn delivery(&self) -> Delivery {
        Delivery::parse(&self.delivery).unwrap_or(Delivery::Immediate)
    }

    /// Whether the address was confirmed.
    pub fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }
}

/// The comparison key of an address: lowercased, trimmed.
pub fn address_key(address: &str) -> String {
    address.trim().to_lowercase()
}

/// A user's address row.
pub fn find(conn: &mut Conn, user_id: UserId) -> QueryResult<Option<UserMail>> {
    user_mail::table
        .find(user_id)
        .select(UserMail::as_select())
        .first(conn)
        .optional()
}

/// The address rows of `users` (those that have one), in one query.
pub fn find_many(conn: &mut Conn, users: &[UserId]) -> QueryResult<Vec<UserMail>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    user_mail::table
        .filter(user_mail::user_id.eq_any(users))
        .select(UserMail::as_select())
        .load(conn)
}

/// The verified address row with this key.
pub fn find_verified(conn: &mut Conn, key: &str) -> QueryResult<Option<UserMail>> {
    user_mail::table
        .filter(user_mail::address_key.eq(key))
        .filter(user_mail::verified_at.is_not_null())
        .select(UserMail::as_select())
        .first(conn)
        .optional()
}

/// Sets a user's address (unverified unless it is the one already verified;
/// the delivery choice is kept).
pub fn set_address(conn: &mut Conn, user_id: UserId, address: &str, now: i64) -> QueryResult<()> {
    let key = address_key(address);
    match find(conn, user_id)? {
        Some(row) if row.address_key == key && row.is_verified() => {
            diesel::update(user_mail::table.find(user_id))
                .set((
                    user_mail::address.eq(address),
                    user_mail::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        Some(_) => {
            void_tokens(conn, user_id, TokenPurpose::Reset, now)?;
            diesel::update(user_mail::table.find(user_id))
                .set((
                    user_mail::address.eq(address),
                    user_mail::address_key.eq(&key),
                    user_mail::verified_at.eq(None::<i64>),
                    user_mail::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(user_mail::table)
                .values((
                    user_mail::user_id.eq(user_id),
                    user_mail::address.eq(address),
                    user_mail::address_key.eq(&key),
                    user_mail::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Marks the user's address verified provided it is still `address`; `Ok(None)`
/// when another account verified the same address first (the caller's
/// transaction stays usable), `Ok(Some(false))` when the address changed.
pub fn mark_verified(
    conn: &mut Conn,
    user_id: UserId,
    address: &str,
    now: i64,
) -> QueryResult<Option<bool>> {
    crate::db::unless_taken(conn, |conn| {
        diesel::update(
            user_mail::table
                .find(user_id)
                .filter(user_mail::address_key.eq(address_key(address))),
        )
        .set((
            user_mail::verified_at.eq(Some(now)),
            user_mail::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    })
}

/// Removes a user's address (no more mail) and their waiting digest items.
pub fn remove(conn: &mut Conn, user_id: UserId, now: i64) -> QueryResult<()> {
    void_tokens(conn, user_id, TokenPurpose::Reset, now)?;
    diesel::delete(mail_digest_items::table.filter(mail_digest_items::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(user_mail::table.find(user_id)).execute(conn)?;
    Ok(())
}

/// Sets the delivery choice; leaving the daily digest drops what waited for
/// it. False when the user has no address.
pub fn set_delivery(
    conn: &mut Conn,
    user_id: UserId,
    delivery: Delivery,
    now: i64,
) -> QueryResult<bool> {
    if delivery != Delivery::Daily {
        diesel::delete(mail_digest_items::table.filter(mail_digest_items::user_id.eq(user_id)))
            .execute(conn)?;
    }
    let n = diesel::update(user_mail::table.find(user_id))
        .set((
            user_mail::delivery.eq(delivery.as_str()),
            user_mail::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Sends notification `id` of `user_id` to mail as the user chose: a job
/// for one mail now, an item for the daily digest, or nothing (no verified
/// address, or "never"). Runs in the transaction that adds the notification.
pub fn route_notification(
    conn: &mut Conn,
    user_id: UserId,
    id: NotificationId,
    now: i64,
) -> QueryResult<()> {
    let row = find(conn, user_id)?;
    route_notification_by(conn, row.as_ref(), user_id, id, now)
}

/// [`route_notification`] with the user's address row already loaded
/// (`None`: they have none), for callers that load many at once.
pub fn route_notification_by(
    conn: &mut Conn,
    row: Option<&UserMail>,
    user_id: UserId,
    id: NotificationId,
    now: i64,
) -> QueryResult<()> {
    let Some(row) = row.filter(|r| r.is_verified()) else {
        return Ok(());
    };
    match row.delivery() {
        Delivery::Immediate => {
            let payload = serde_json::json!({ "notification_id": id }).to_string();
            super::jobs::enqueue(conn, NOTIFICATION_JOB, &payload, now, now)?;
        }
        Delivery::Daily => {
            diesel::insert_into(mail_digest_items::table)
                .values((
                    mail_digest_items::notification_id.eq(id),
                    mail_digest_items::user_id.eq(user_id),
                    mail_digest_items::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Delivery::Never => {}
    }
    Ok(())
}

/// Users with digest items waiting whose last digest is at least
/// `every_secs` old (or who never had one), daily and verified.
pub fn digest_due(conn: &mut Conn, every_secs: i64, now: i64) -> QueryResult<Vec<UserMail>> {
    let waiting = mail_digest_items::table.select(mail_digest_items::user_id);
    user_mail::table
        .filter(user_mail::user_id.eq_any(waiting))
        .filter(user_mail::delivery.eq(Delivery::Daily.as_str()))
        .filter(user_mail::verified_at.is_not_null())
        .filter(
            user_mail::last_digest_at
                .is_null()
                .or(user_mail::last_digest_at.le(now - every_secs)),
        )
        .order(user_mail::user_id.asc())
        .select(UserMail::as_select())
        .load(conn)
}

/// The notifications waiting for a user's digest, oldest first.
pub fn digest_items(
    conn: &mut Conn,
    user_id: UserId,
) -> QueryResult<Vec<super::notifications::Notification>> {
    let waiting = mail_digest_items::table
        .filter(mail_digest_items::user_id.eq(user_id))
        .select(mail_digest_items::notification_id);
    notifications::table
        .filter(notifications::id.eq_any(waiting))
        .order(notifications::id.asc())
        .select(super::notifications::Notification::as_select())
        .load(conn)
}

/// Removes digest items that were sent, and records when.
pub fn digest_sent(
    conn: &mut Conn,
    user_id: UserId,
    sent: &[NotificationId],
    now: i64,
) -> QueryResult<()> {
    diesel::delete(
        mail_digest_items::table.filter(mail_digest_items::notification_id.eq_any(sent)),
    )
    .execute(conn)?;
    diesel::update(user_mail::table.find(user_id))
        .set(user_mail::last_digest_at.eq(Some(now)))
        .execute(conn)?;
    Ok(())
}

/// Mail jobs waiting or retrying, and mail jobs given up.
pub fn queue_counts(conn: &mut Conn) -> QueryResult<(i64, i64)> {
    let queued = jobs::table
        .filter(jobs::kind.eq_any(MAIL_JOBS))
        .filter(jobs::dead_at.is_null())
        .count()
        .get_result(conn)?;
    let failed = jobs::table
        .filter(jobs::kind.eq_any(MAIL_JOBS))
        .filter(jobs::dead_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((queued, failed))
}

/// What a mailed link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Confirms an address.
    Verify,
    /// Sets a new password.
    Reset,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Verify => "verify",
            TokenPurpose::Reset => "reset",
        }
    }
}

/// A mailed link, by its stored hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_tokens)]
pub struct MailToken {
    /// Primary key.
    pub id: i32,
    /// SHA-256 of the token (hex).
    pub token_hash: String,
    /// Whose it is.
    pub user_id: UserId,
    /// `verify` or `reset`.
    pub purpose: String,
    /// The address a verification link confirms.
    pub address: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Not usable from then on.
    pub expires_at: i64,
    /// When it was used.
    pub used_at: Option<i64>,
}

/// Stores a new token (its hash); a user's older unused tokens of the same
/// purpose stop working, so only the newest link does.
/// Ends every unused link of `purpose` the user has: a new one replaces
/// them, and a reset link must not outlive the address it was mailed to or
/// the password it would replace.
pub fn void_tokens(
    conn: &mut Conn,
    user_id: UserId,
    purpose: TokenPurpose,
    now: i64,
) -> QueryResult<()> {
    diesel::update(
        mail_tokens::table
            .filter(mail_tokens::user_id.eq(user_id))
            .filter(mail_tokens::purpose.eq(purpose.as_str()))
            .filter(mail_tokens::used_at.is_null()),
    )
    .set(mail_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

pub fn create_token(
    conn: &mut Conn,
    user_id: UserId,
    purpose: TokenPurpose,
    token_hash: &str,
    address: &str,
    expires_at: i64,
    now: i64,
) -> QueryResult<()> {
    void_tokens(conn, user_id, purpose, now)?;
    diesel::insert_into(mail_tokens::table)
        .values((
            mail_tokens::token_hash.eq(token_hash),
            mail_tokens::user_id.eq(user_id),
            mail_tokens::purpose.eq(purpose.as_str()),
            mail_tokens::address.eq(address),
            mail_tokens::created_at.eq(now),
            mail_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The unused, unexpired token with this hash and purpose.
pub fn live_token(
    conn: &mut Conn,
    purpose: TokenPurpose,
    token_hash: &str,
    now: i64,
) -> QueryResult<Option<MailToken>> {
    mail_tokens::table
        .filter(mail_tokens::token_hash.eq(token_hash))
        .filter(mail_tokens::purpose.eq(purpose.as_str()))
        .filter(mail_tokens::used_at.is_null())
        .filter(mail_tokens::expires_at.gt(now))
        .select(MailToken::as_select())
        .first(conn)
        .optional()
}

/// Uses the token in one statement: of two requests presenting it, one
/// gets it. `None` when it is unknown, used or expired.
pub fn consume_token(
    conn: &mut Conn,
    purpose: TokenPurpose,
    token_hash: &str,
    now: i64,
) -> QueryResult<Option<MailToken>> {
    diesel::update(
        mail_tokens::table
            .filter(mail_tokens::token_hash.eq(token_hash))
            .filter(mail_tokens::purpose.eq(purpose.as_str()))
            .filter(mail_tokens::used_at.is_null())
            .filter(mail_tokens::expires_at.gt(now)),
    )
    .set(mail_tokens::used_at.eq(Some(now)))
    .returning(crate::db::row_columns::<MailToken>())
    .get_result(conn)
    .optional()
}

/// Deletes tokens that expired before `before`.
pub fn delete_expired_tokens(conn: &mut Conn, before: i64) -> QueryResult<usize> {
    diesel::delete(mail_tokens::table.filter(mail_tokens::expires_at.lt(before))).execute(conn)
}
