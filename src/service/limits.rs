//! Counting rate limits where their row of [`rules::of`] says: the limits
//! that protect accounts and posting in the database (one statement per
//! counted action, so they hold across every node), the cheap per-request
//! ones in this node's memory ([`RateLimiter`]).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::auth::rate_limit::Limited;
use crate::auth::rate_limit::{rules, LoginAttempt, Poster, RateLimiter, Rule, Store};
use crate::db::models::rate_limits::{self, Window};
use crate::db::Conn;
use crate::error::AppResult;

/// `Err(seconds to wait)` when over a limit.
pub type Verdict = Result<(), u64>;

/// The site's limiter: the database for shared limits, memory for local ones.
#[derive(Debug, Default)]
pub struct Limits {
    local: RateLimiter,
    /// Seconds added to the clock (tests let windows expire).
    skew: AtomicI64,
}

impl Limits {
    /// A limiter with nothing counted in memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// The limiter's clock, unix seconds.
    pub fn now(&self) -> i64 {
        crate::db::unix_now() + self.skew.load(Ordering::SeqCst)
    }

    /// Moves the clock of both stores forward (lets tests see windows expire).
    pub fn advance(&self, by: Duration) {
        self.local.advance(by);
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.skew.fetch_add(secs, Ordering::SeqCst);
    }

    /// Where `action` is counted.
    pub fn store(action: Limited) -> Store {
        rules::of(action).store
    }

    /// Counts `action` by `who` in memory; for [`Store::Local`] rows.
    pub fn admit_user_local(&self, action: Limited, who: &Poster) -> Verdict {
        self.local.admit_user(action, who, self.now())
    }

    /// Counts `action` from `address` in memory; for [`Store::Local`] rows.
    pub fn admit_address_local(&self, action: Limited, address: &str) -> Verdict {
        self.local.admit_address(action, address)
    }

    /// Counts `action` by `who` in the database; for [`Store::Shared`] rows.
    /// Call outside a transaction.
    pub fn admit_user_shared(
        &self,
        conn: &mut Conn,
        action: Limited,
        who: &Poster,
    ) -> AppResult<Verdict> {
        let now = self.now();
        match rules::of(action).for_user(who, now) {
            Some((key, rule)) => self.hit(conn, &key, rule, now),
            None => Ok(Ok(())),
        }
    }

    /// Counts `action` from `address` in the database; for
    /// [`Store::Shared`] rows. Call outside a transaction.
    pub fn admit_address_shared(
        &self,
        conn: &mut Conn,
        action: Limited,
        address: &str,
    ) -> AppResult<Verdict> {
        let (key, rule) = rules::of(action).for_address(address);
        self.hit(conn, &key, rule, self.now())
    }

    /// Before checking a password: counts the attempt against the address's
    /// sign-in limit and refuses an address that failed too often on this
    /// account.
    pub fn login_allowed(
        &self,
        conn: &mut Conn,
        attempt: &LoginAttempt,
        address: &str,
    ) -> AppResult<Verdict> {
        if let Err(wait) = self.admit_address_shared(conn, Limited::SignIn, address)? {
            return Ok(Err(wait));
        }
        let now = self.now();
        let rule = rules::LOGIN_FAILURES_PER_ACCOUNT_ADDRESS;
        Ok(match rate_limits::peek(conn, &attempt.address_key, now)? {
            Some(window) if window.hits >= rule.max_hits() => Err(seconds_left(&window, now)),
            _ => Ok(()),
        })
    }

    /// A wrong password: counts the failure for the address and for the
    /// account; returns how long to wait before answering.
    pub fn login_failed(&self, conn: &mut Conn, attempt: &LoginAttempt) -> AppResult<Duration> {
        let now = self.now();
        let per_address = rules::LOGIN_FAILURES_PER_ACCOUNT_ADDRESS;
        rate_limits::hit(
            conn,
            &attempt.address_key,
            per_address.window_secs(),
            per_address.max_hits(),
            now,
        )?;
        let per_account = LoginAttempt::account_rule();
        let window = rate_limits::hit(
            conn,
            &attempt.account_key,
            per_account.window_secs(),
            per_account.max_hits(),
            now,
        )?;
        Ok(LoginAttempt::delay_after(
            u32::try_from(window.hits).unwrap_or(0),
        ))
    }

    /// A correct password: this address's failures on the account are forgotten.
    pub fn login_succeeded(&self, conn: &mut Conn, attempt: &LoginAttempt) -> AppResult<()> {
        rate_limits::clear(conn, &attempt.address_key)?;
        Ok(())
    }

    fn hit(&self, conn: &mut Conn, key: &str, rule: Rule, now: i64) -> AppResult<Verdict> {
        let window = rate_limits::hit(conn, key, rule.window_secs(), rule.max_hits(), now)?;
        Ok(if window.hits > rule.max_hits() {
            Err(seconds_left(&window, now))
        } else {
            Ok(())
        })
    }
}

/// Seconds until `window` ends (at least 1).
fn seconds_left(window: &Window, now: i64) -> u64 {
    u64::try_from(window.expires_at - now).unwrap_or(0).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::ids::UserId;

    fn database() -> (tempfile::TempDir, crate::db::Pool) {
        let dir = tempfile::tempdir().expect("temp dir");
        let pool = crate::db::open(
            &crate::config::Database::Sqlite(dir.path().join("limits.db")),
            crate::config::PoolSettings::sized(2),
        )
        .expect("database");
        (dir, pool)
    }

    #[test]
    fn shared_limits_count_in_the_database_and_expire() {
        let (_dir, pool) = database();
        let mut conn = pool.get().expect("conn");
        // Two limiters stand for two nodes sharing one database.
        let (a, b) = (Limits::new(), Limits::new());
        let now = a.now();
        let newcomer = Poster {
            id: UserId(1),
            role: Role::Member,
            created_at: now,
        };
        let max = rules::ASK.0.max;
        for i in 0..max {
            let node = if i % 2 == 0 { &a } else { &b };
            assert_eq!(
                node.admit_user_shared(&mut conn, Limited::Ask, &newcomer)
                    .expect("count"),
                Ok(())
            );
        }
        let wait = b
            .admit_user_shared(&mut conn, Limited::Ask, &newcomer)
            .expect("count")
            .expect_err("over the limit on the other node");
        assert!((1..=3600).contains(&wait), "{wait}");
        assert!(a
            .admit_user_shared(&mut conn, Limited::Answer, &newcomer)
            .expect("count")
            .is_ok());
        let staff = Poster {
            id: UserId(2),
            role: Role::Staff,
            created_at: now,
        };
        for _ in 0..max * 3 {
            assert!(a
                .admit_user_shared(&mut conn, Limited::Ask, &staff)
                .expect("count")
                .is_ok());
        }
        b.advance(Duration::from_secs(3601));
        assert!(b
            .admit_user_shared(&mut conn, Limited::Ask, &newcomer)
            .expect("count")
            .is_ok());
        assert_eq!(
            rate_limits::delete_expired(&mut conn, b.now()).expect("cleanup"),
            1,
            "the answer window ended; the new ask window is live"
        );
    }

    #[test]
    fn login_failures_brake_one_address_on_every_node_and_slow_the_rest() {
        let (_dir, pool) = database();
        let mut conn = pool.get().expect("conn");
        let (a, b) = (Limits::new(), Limits::new());
        let stranger = LoginAttempt::new("ann", "198.51.100.1");
        for i in 0..rules::LOGIN_FAILURES_PER_ACCOUNT_ADDRESS.max {
            let node = if i % 2 == 0 { &a } else { &b };
            assert!(node
                .login_allowed(&mut conn, &stranger, "198.51.100.1")
                .expect("check")
                .is_ok());
            assert_eq!(
                node.login_failed(&mut conn, &stranger).expect("count"),
                Duration::ZERO
            );
        }
        assert!(
            a.login_allowed(&mut conn, &stranger, "198.51.100.1")
                .expect("check")
                .is_err(),
            "the failing address is refused"
        );
        let owner = LoginAttempt::new("ann", "203.0.113.5");
        assert!(
            b.login_allowed(&mut conn, &owner, "203.0.113.5")
                .expect("check")
                .is_ok(),
            "another address is not locked out"
        );
        assert_eq!(
            b.login_failed(&mut conn, &owner).expect("count"),
            rules::LOGIN_SLOWDOWN_STEP,
            "but slowed"
        );
        b.login_succeeded(&mut conn, &owner).expect("clear");
        assert!(
            a.login_allowed(&mut conn, &stranger, "198.51.100.1")
                .expect("check")
                .is_err(),
            "success elsewhere does not clear the stranger"
        );
        assert!(
            a.login_allowed(
                &mut conn,
                &LoginAttempt::new("bob", "198.51.100.1"),
                "198.51.100.1"
            )
            .expect("check")
            .is_ok(),
            "the brake is per account"
        );
        a.advance(Duration::from_secs(901));
        assert!(a
            .login_allowed(&mut conn, &stranger, "198.51.100.1")
            .expect("check")
            .is_ok());
    }

    #[test]
    fn local_limits_stay_in_memory() {
        let (_dir, pool) = database();
        let mut conn = pool.get().expect("conn");
        let limits = Limits::new();
        for _ in 0..rules::FEEDBACK_PER_IP.max {
            assert!(limits
                .admit_address_local(Limited::Feedback, "192.0.2.1")
                .is_ok());
        }
        assert!(limits
            .admit_address_local(Limited::Feedback, "192.0.2.1")
            .is_err());
        assert_eq!(rate_limits::count(&mut conn).expect("count"), 0);
        assert_eq!(Limits::store(Limited::Preview), Store::Local);
        assert_eq!(Limits::store(Limited::SignIn), Store::Shared);
    }
}
