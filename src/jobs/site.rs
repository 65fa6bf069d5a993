//! This site's job kinds and what running each one does. Every periodic
//! task is idempotent, so a run repeated after a lost lease does no harm.
//!
//! A new kind is a name here, listed in [`SiteJobs::kinds`] (and in
//! [`PERIODIC`] when it repeats), an arm in `SiteJobs::run_job` that reads
//! its arguments with [`Claimed::payload`], and [`crate::jobs::enqueue`]
//! in the transaction that causes it.

use super::{Claimed, Periodic, Runner, DEAD_RETENTION_SECS};
use crate::auth::SESSION_IDLE_SECS;
use crate::db::models::mail::{ISSUE_UPDATE_JOB, NOTIFICATION_JOB, SEND_JOB};
use crate::db::models::{jobs, mail as mail_rows, page_changes, rate_limits, sessions};
use crate::db::{unix_now, Pool};
use crate::error::{AppError, AppResult};
use crate::ids::{KnownIssueFollowerId, KnownIssueUpdateId, NotificationId};
use crate::mail::render::MailSite;
use crate::mail::{Mailer, OutgoingMail};
use crate::service::mail as mail_service;
use crate::service::search_feed::nodes;

/// Deletes search outbox entries every live node applied ([`nodes::prune_outbox`])
/// and the page caches' changes every node read ([`page_changes::prune`]).
pub const PRUNE_OUTBOX: Periodic = Periodic {
    kind: "search-outbox-prune",
    every_secs: 3600,
};
/// Deletes sessions that expired more than [`LAPSED_SESSION_KEPT_SECS`] ago.
pub const CLEAN_SESSIONS: Periodic = Periodic {
    kind: "session-cleanup",
    every_secs: 3600,
};
/// Deletes drafts past their expiry.
pub const CLEAN_DRAFTS: Periodic = Periodic {
    kind: "draft-cleanup",
    every_secs: 3600,
};
/// Deletes ended rate-limit windows.
pub const CLEAN_RATE_LIMITS: Periodic = Periodic {
    kind: "rate-limit-cleanup",
    every_secs: 600,
};
/// Deletes jobs given up more than [`DEAD_RETENTION_SECS`] ago.
pub const CLEAN_JOBS: Periodic = Periodic {
    kind: "job-cleanup",
    every_secs: 24 * 3600,
};

/// Deletes mailed links (verification, password reset, following a known
/// issue by e-mail) a day after they expired.
pub const CLEAN_MAIL_TOKENS: Periodic = Periodic {
    kind: "mail-token-cleanup",
    every_secs: 24 * 3600,
};
/// Queues the daily digests that are due (runs where mail is configured).
pub const MAIL_DIGEST: Periodic = Periodic {
    kind: "mail-digest",
    every_secs: 3600,
};

/// Asks askers "was your question solved?" (`solved_nudge_days` after the
/// first answer, once per question).
pub const SOLVED_NUDGE: Periodic = Periodic {
    kind: "solved-nudge",
    every_secs: 3600,
};

/// An expired session's row is kept this long (it can no longer sign
/// anyone in), so a form sent from one of its pages is recognised and kept
/// as the user's draft rather than refused.
pub const LAPSED_SESSION_KEPT_SECS: i64 = 7 * 24 * 3600;

/// Every periodic task of the site.
pub const PERIODIC: [Periodic; 7] = [
    PRUNE_OUTBOX,
    SOLVED_NUDGE,
    CLEAN_SESSIONS,
    CLEAN_DRAFTS,
    CLEAN_RATE_LIMITS,
    CLEAN_JOBS,
    CLEAN_MAIL_TOKENS,
];

/// What a node needs to send mail: the transport and the site's details.
#[derive(Debug, Clone)]
pub struct SiteMail {
    /// The SMTP transport.
    pub mailer: Mailer,
    /// Links, name and unsubscribe key.
    pub site: MailSite,
}

/// Runs the site's jobs against its database.
pub struct SiteJobs {
    pool: Pool,
    mail: Option<SiteMail>,
    solved_nudge_days: u32,
}

/// The arguments of a known-issue update mail job.
#[derive(serde::Deserialize)]
struct IssueUpdateJob {
    follower_id: KnownIssueFollowerId,
    update_id: KnownIssueUpdateId,
}

/// The arguments of a notification mail job.
#[derive(serde::Deserialize)]
struct NotificationJob {
    notification_id: NotificationId,
}

impl SiteJobs {
    /// Jobs on `pool`; with `mail`, this node also sends mail (without it,
    /// mail jobs wait in the queue for a node that can send them). Askers
    /// are asked "was it solved?" after the default `solved_nudge_days`.
    pub fn new(pool: Pool, mail: Option<SiteMail>) -> Self {
        SiteJobs {
            pool,
            mail,
            solved_nudge_days: crate::config::DEFAULT_SOLVED_NUDGE_DAYS,
        }
    }

    /// The same, asking "was it solved?" after `days` (0: never).
    pub fn with_solved_nudge_days(self, days: u32) -> Self {
        SiteJobs {
            solved_nudge_days: days,
            ..self
        }
    }

    /// Claims and runs every job due at `now` (unix seconds) as `node`,
    /// one after the other, as the worker would at that time; returns how
    /// many ran (failures included). For tools and tests that drive the
    /// clock; the worker thread does the same on the real clock. Like the
    /// worker, it first makes the rows of the periodic tasks (if the
    /// worker has not made them yet), so a task is never missed for being
    /// called too soon after the start.
    pub fn run_due(&self, node: &str, now: i64) -> AppResult<usize> {
        let kinds = self.kinds();
        let periodic = self.periodic();
        super::ensure_periodic(&mut *self.pool.get()?, &periodic, now)?;
        let mut ran = 0;
        // Each periodic task is rescheduled past `now` after its run, and
        // one-off jobs are deleted or moved on: the loop ends.
        while let Some(job) = {
            let mut conn = self.pool.get()?;
            super::claim(&mut conn, &kinds, node, 300, now)?
        } {
            let outcome = self.run_job(&job, now).map_err(|e| e.to_string());
            let every = periodic
                .iter()
                .find(|p| p.kind == job.kind)
                .map(|p| p.every_secs);
            let mut conn = self.pool.get()?;
            match outcome {
                Ok(_) => super::complete(&mut conn, &job, node, every, now)?,
                Err(e) => super::fail(&mut conn, &job, &e, every, now)?,
            };
            ran += 1;
        }
        Ok(ran)
    }

    /// The mail settings, or the error of a mail job on a node without them.
    fn mail(&self) -> AppResult<&SiteMail> {
        self.mail
            .as_ref()
            .ok_or_else(|| AppError::Internal("this node has no smtp_url".into()))
    }

    /// Sends one rendered mail; an SMTP failure fails the job (retried).
    fn send(&self, mail: &OutgoingMail) -> AppResult<String> {
        self.mail()?
            .mailer
            .send(mail)
            .map_err(AppError::Unavailable)?;
        Ok(format!("mail \"{}\" sent to {}", mail.subject, mail.to))
    }

    /// Runs one claimed job at `now`; returns what it did, for the log.
    fn run_job(&self, job: &Claimed, now: i64) -> AppResult<String> {
        let mut conn = self.pool.get()?;
        Ok(match job.kind.as_str() {
            SEND_JOB => {
                let mail: OutgoingMail = job.payload().map_err(AppError::Internal)?;
                drop(conn);
                self.send(&mail)?
            }
            NOTIFICATION_JOB => {
                let args: NotificationJob = job.payload().map_err(AppError::Internal)?;
                let site = &self.mail()?.site;
                let mail = mail_service::notification_mail(&mut conn, site, args.notification_id)?;
                drop(conn);
                match mail {
                    Some(mail) => self.send(&mail)?,
                    None => format!("notification {} needs no mail", args.notification_id),
                }
            }
            ISSUE_UPDATE_JOB => {
                let args: IssueUpdateJob = job.payload().map_err(AppError::Internal)?;
                let site = &self.mail()?.site;
                let mail = crate::service::known_issue_follow::address_update_mail(
                    &mut conn,
                    site,
                    args.follower_id,
                    args.update_id,
                )?;
                drop(conn);
                match mail {
                    Some(mail) => self.send(&mail)?,
                    None => format!("follower {} needs no mail", args.follower_id),
                }
            }
            k if k == MAIL_DIGEST.kind => format!(
                "{} digests queued",
                mail_service::send_digests(&mut conn, &self.mail()?.site, now)?
            ),
            k if k == SOLVED_NUDGE.kind => format!(
                "{} askers asked whether their question was solved",
                crate::service::questions::send_nudges(&mut conn, self.solved_nudge_days, now)?
            ),
            k if k == CLEAN_MAIL_TOKENS.kind => format!(
                "{} expired mail links and {} unconfirmed known-issue followers deleted",
                mail_rows::delete_expired_tokens(&mut conn, now - 24 * 3600)?,
                crate::db::models::known_issue_followers::delete_expired_pending(
                    &mut conn,
                    now - 24 * 3600
                )?
            ),
            k if k == PRUNE_OUTBOX.kind => {
                let report = nodes::prune_outbox(&mut conn, now)?;
                let changes = page_changes::prune(&mut conn, now)?;
                format!(
                    "{} outbox entries pruned in {} batches, {} nodes forgotten, {changes} page changes pruned",
                    report.deleted, report.batches, report.forgotten
                )
            }
            k if k == CLEAN_SESSIONS.kind => format!(
                "{} expired sessions deleted",
                sessions::delete_expired(
                    &mut conn,
                    now - LAPSED_SESSION_KEPT_SECS,
                    SESSION_IDLE_SECS
                )?
            ),
            k if k == CLEAN_DRAFTS.kind => format!(
                "{} expired drafts deleted",
                crate::service::drafts::delete_expired(&mut conn, now)?
            ),
            k if k == CLEAN_RATE_LIMITS.kind => format!(
                "{} rate-limit windows deleted",
                rate_limits::delete_expired(&mut conn, now)?
            ),
            k if k == CLEAN_JOBS.kind => format!(
                "{} given-up jobs deleted",
                jobs::delete_dead_before(&mut conn, now - DEAD_RETENTION_SECS)?
            ),
            other => {
                return Err(crate::error::AppError::Internal(format!(
                    "unknown job kind {other:?}"
                )))
            }
        })
    }
}

impl Runner for SiteJobs {
    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = self.periodic().iter().map(|p| p.kind).collect();
        if self.mail.is_some() {
            kinds.extend([SEND_JOB, NOTIFICATION_JOB, ISSUE_UPDATE_JOB]);
        }
        kinds
    }

    fn periodic(&self) -> Vec<Periodic> {
        let mut tasks = PERIODIC.to_vec();
        if self.mail.is_some() {
            tasks.push(MAIL_DIGEST);
        }
        tasks
    }

    fn run(&self, job: &Claimed) -> Result<(), String> {
        let summary = self.run_job(job, unix_now()).map_err(|e| e.to_string())?;
        log::debug!("job {} ({}): {summary}", job.id, job.kind);
        Ok(())
    }
}
