//! "Tell me when it's fixed": following a known issue as a member, or with
//! an e-mail address alone (confirmed through a single-use mailed link),
//! and telling the followers of each timeline update or status change.
//!
//! Members are told through `notifications` (in the site, and mailed as
//! they chose; the mail's unsubscribe link stops following this issue).
//! Address-only followers get a mail per update, queued as a job rendered
//! when it is sent (`mail-issue-update`), so a follower who stopped
//! meanwhile gets nothing. Once per follower per update, never the staff
//! member who wrote it (not even at an address that follows alone). Followers hang on the issue's id, not its slug.

use std::collections::{HashMap, HashSet};

use crate::auth::tokens;
use crate::db::models::known_issue_followers::{self as rows, Follower};
use crate::db::models::known_issues::{self as issues, KnownIssue};
use crate::db::models::mail::{self as mail_rows, Delivery, UserMail, ISSUE_UPDATE_JOB};
use crate::db::models::notifications::{self, About, Notification, KNOWN_ISSUE_UPDATE};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::ids::{KnownIssueFollowerId, KnownIssueId, KnownIssueUpdateId, UserId};
use crate::kinds::IssueStatus;
use crate::mail::render::{self, IssueUpdateItem, MailSite};
use crate::mail::OutgoingMail;
use crate::paths;

/// A confirmation link works this long (seconds).
pub const CONFIRM_LINK_SECS: i64 = 48 * 3600;

/// Whether `user` follows `issue`.
pub fn is_following(conn: &mut Conn, issue: KnownIssueId, user: UserId) -> AppResult<bool> {
    Ok(rows::member(conn, issue, user)?.is_some())
}

/// A member follows (`true`) or stops following (`false`) an issue.
pub fn set_member(
    conn: &mut Conn,
    issue: KnownIssueId,
    user: UserId,
    follow: bool,
    now: i64,
) -> AppResult<()> {
    conn.immediate_transaction(|conn| {
        issues::find(conn, issue)?
            .ok_or_else(|| AppError::NotFound("There is no such known issue.".into()))?;
        if follow {
            rows::add_member(conn, issue, user, now)?;
        } else {
            rows::remove_member(conn, issue, user)?;
        }
        Ok(())
    })
}

/// Someone asks to be told of `issue` at `address` (already checked with
/// `mail::valid_address`): unless the address follows already, a
/// confirmation link is mailed (a new one replaces an unused older one).
/// The caller answers the same either way, so nobody learns whether an
/// address follows.
pub fn request_by_mail(
    conn: &mut Conn,
    site: &MailSite,
    issue: KnownIssueId,
    address: &str,
    now: i64,
) -> AppResult<()> {
    conn.immediate_transaction(|conn| {
        let found = issues::find(conn, issue)?
            .ok_or_else(|| AppError::NotFound("There is no such known issue.".into()))?;
        let key = mail_rows::address_key(address);
        if rows::address(conn, issue, &key)?.is_some_and(|f| f.confirmed_at.is_some()) {
            return Ok(());
        }
        let token = tokens::random_token().map_err(AppError::internal)?;
        rows::add_pending_address(
            conn,
            issue,
            address,
            &key,
            &tokens::hash_token(&token),
            now + CONFIRM_LINK_SECS,
            now,
        )?;
        let link = site.link(&paths::known_issue_follow_confirm(&token));
        let mail = render::issue_follow_confirmation(site, address, &found.title, &link);
        let payload = serde_json::to_value(&mail).map_err(AppError::internal)?;
        crate::jobs::enqueue(conn, mail_rows::SEND_JOB, &payload, now)?;
        Ok(())
    })
}

/// Uses a confirmation link: the address follows from now on. The issue
/// followed, or `None` for an unknown, used or expired link.
pub fn confirm(conn: &mut Conn, token: &str, now: i64) -> AppResult<Option<KnownIssue>> {
    conn.immediate_transaction(
        |conn| match rows::confirm(conn, &tokens::hash_token(token), now)? {
            Some(follower) => Ok(issues::find(conn, follower.issue_id)?),
            None => Ok(None),
        },
    )
}

/// What an unfollow link names: the follower row and its issue, when it
/// still follows.
pub fn unfollow_target(
    conn: &mut Conn,
    id: KnownIssueFollowerId,
) -> AppResult<Option<(Follower, KnownIssue)>> {
    let Some(follower) = rows::find(conn, id)? else {
        return Ok(None);
    };
    Ok(issues::find(conn, follower.issue_id)?.map(|issue| (follower, issue)))
}

/// Uses an unfollow link (already checked): the row is removed. Doing it
/// again does nothing.
pub fn unfollow(conn: &mut Conn, id: KnownIssueFollowerId) -> AppResult<bool> {
    conn.immediate_transaction(|conn| Ok(rows::remove(conn, id)?))
}

/// Tells every confirmed follower of `issue` about its update `update`
/// (call in the update's transaction): members through a notification
/// (not `actor`, who wrote it), address-only followers by a queued mail.
/// The members' address rows (and the actor's) are read in one query.
/// An address-only follower is mailed unless that same address already
/// gets this update's mail at once (the confirmed address of a following
/// member who has mail delivered immediately) or is the actor's own
/// confirmed address. Returns how many were told.
pub fn tell_followers(
    conn: &mut Conn,
    issue: KnownIssueId,
    update: KnownIssueUpdateId,
    actor: Option<UserId>,
    now: i64,
) -> AppResult<usize> {
    let followers = rows::confirmed_of(conn, issue)?;
    let members: Vec<UserId> = followers.iter().filter_map(|f| f.user_id).collect();
    let looked_up: Vec<UserId> = members.iter().copied().chain(actor).collect();
    let mail: HashMap<UserId, UserMail> = mail_rows::find_many(conn, &looked_up)?
        .into_iter()
        .map(|row| (row.user_id, row))
        .collect();
    let verified_key = |user: UserId| {
        mail.get(&user)
            .filter(|row| row.is_verified())
            .map(|row| (mail_rows::address_key(&row.address), row.delivery()))
    };
    // Addresses that must not get an address-only mail of this update.
    let mut not_mailed: HashSet<String> = HashSet::new();
    if let Some((key, _)) = actor.and_then(verified_key) {
        not_mailed.insert(key);
    }
    let about = About::issue(issue);
    let mut told = 0;
    for &member in &members {
        if Some(member) == actor {
            continue;
        }
        if let Some((key, Delivery::Immediate)) = verified_key(member) {
            not_mailed.insert(key);
        }
        notifications::notify_with_mail(
            conn,
            member,
            KNOWN_ISSUE_UPDATE,
            about,
            actor,
            mail.get(&member),
            now,
        )?;
        told += 1;
    }
    for follower in followers.iter().filter(|f| f.user_id.is_none()) {
        let Some(key) = &follower.address_key else {
            continue;
        };
        if not_mailed.contains(key) {
            continue;
        }
        let payload = serde_json::json!({ "follower_id": follower.id, "update_id": update });
        crate::jobs::enqueue(conn, ISSUE_UPDATE_JOB, &payload, now)?;
        told += 1;
    }
    Ok(told)
}

/// What a follower's mail says about `issue` and its update `update`.
fn update_item(issue: &KnownIssue, update: &issues::IssueUpdate) -> IssueUpdateItem {
    IssueUpdateItem {
        title: issue.title.clone(),
        path: paths::known_issue(&issue.slug),
        status: issue.status.label().to_string(),
        fixed_in: if issue.status == IssueStatus::Fixed {
            issue.fixed_in.clone()
        } else {
            String::new()
        },
        text: update.body_md.clone(),
        status_changed: update.status.is_some(),
    }
}

/// The mail of one update for an address-only follower, rendered now;
/// `None` when they stopped following or the update is gone.
pub fn address_update_mail(
    conn: &mut Conn,
    site: &MailSite,
    follower: KnownIssueFollowerId,
    update: KnownIssueUpdateId,
) -> AppResult<Option<OutgoingMail>> {
    let Some(row) = rows::find(conn, follower)? else {
        return Ok(None);
    };
    let (Some(address), Some(_)) = (&row.address, row.confirmed_at) else {
        return Ok(None);
    };
    let Some(issue) = issues::find(conn, row.issue_id)? else {
        return Ok(None);
    };
    let Some(update) = issues::update_of(conn, issue.id, update)? else {
        return Ok(None);
    };
    let unfollow = site.link(&paths::known_issue_unfollow(&tokens::unfollow_issue_token(
        &site.unsubscribe_key,
        row.id,
    )));
    Ok(Some(render::issue_update(
        site,
        address,
        &update_item(&issue, &update),
        &unfollow,
    )))
}

/// The mail of a member's known-issue notification `n` to `to`: the issue's
/// newest update up to the notification, with a link that stops following
/// this issue. `None` when they stopped following meanwhile.
pub fn member_update_mail(
    conn: &mut Conn,
    site: &MailSite,
    to: &str,
    n: &Notification,
) -> AppResult<Option<OutgoingMail>> {
    let Some(issue_id) = n.known_issue_id else {
        return Ok(None);
    };
    let Some(follower) = rows::member(conn, issue_id, n.user_id)? else {
        return Ok(None);
    };
    let Some(issue) = issues::find(conn, issue_id)? else {
        return Ok(None);
    };
    let Some(update) = issues::newest_update_until(conn, issue_id, n.created_at)? else {
        return Ok(None);
    };
    let unfollow = site.link(&paths::known_issue_unfollow(&tokens::unfollow_issue_token(
        &site.unsubscribe_key,
        follower.id,
    )));
    Ok(Some(render::issue_update(
        site,
        to,
        &update_item(&issue, &update),
        &unfollow,
    )))
}

/// Confirmed followers (members and addresses) of every issue that has some.
pub fn follower_counts(conn: &mut Conn) -> AppResult<Vec<(KnownIssueId, i64)>> {
    Ok(rows::counts(conn)?)
}
