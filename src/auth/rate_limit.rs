//! Fixed-window rate limits: "at most N attempts per window for this key".
//! [`rules`] is the one table of limits (sign-in, registration, posting,
//! previews, feedback); each row says where it is counted ([`Store`]): the
//! limits that protect accounts and posting in the database, so they hold
//! across every node (`crate::service::limits`), the cheap per-request ones
//! in this node's memory, in [`RateLimiter`].
//!
//! The memory limiter is bounded in memory and in time: keys are spread over
//! shards, each shard keeps two generations of windows, and a generation is
//! dropped whole once it is older than the longest rule window (nothing in
//! it can still count) or a shard's current generation is full. No request
//! ever sweeps the map.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::Role;
use crate::ids::UserId;

/// One rule: `max` hits per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Allowed hits per window.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

/// The limits of the site.
pub mod rules {
    use super::{Limit, Limited, Rule, Store};
    use std::time::Duration;

    /// Sign-in attempts per client address.
    pub const LOGIN_PER_IP: Rule = Rule {
        max: 20,
        window: Duration::from_secs(300),
    };
    /// Failed sign-in attempts for one account from one client address;
    /// past it that address gets 429 for that account (others do not).
    pub const LOGIN_FAILURES_PER_ACCOUNT_ADDRESS: Rule = Rule {
        max: 8,
        window: Duration::from_secs(900),
    };
    /// Failed sign-in attempts for one account from anywhere; past it every
    /// further failure is answered slowly (see [`LOGIN_SLOWDOWN_STEP`]), but
    /// a correct password still gets in.
    pub const LOGIN_FAILURES_PER_ACCOUNT: Rule = Rule {
        max: 8,
        window: Duration::from_secs(900),
    };
    /// Delay added to a failed sign-in per failure past
    /// [`LOGIN_FAILURES_PER_ACCOUNT`], up to [`LOGIN_SLOWDOWN_MAX`].
    pub const LOGIN_SLOWDOWN_STEP: Duration = Duration::from_millis(250);
    /// The longest delay of a failed sign-in.
    pub const LOGIN_SLOWDOWN_MAX: Duration = Duration::from_secs(3);
    /// Drafts kept for guests and expired sessions, per client address (each
    /// may hold up to a post's worth of text).
    pub const GUEST_DRAFT_PER_IP: Rule = Rule {
        max: 30,
        window: Duration::from_secs(3600),
    };
    /// Registrations per client address.
    pub const REGISTER_PER_IP: Rule = Rule {
        max: 5,
        window: Duration::from_secs(3600),
    };
    /// Password changes per account (each checks the current password).
    pub const PASSWORD_CHANGE: Rule = Rule {
        max: 8,
        window: Duration::from_secs(900),
    };
    /// "Forgot password" requests and reset-form posts per client address.
    pub const PASSWORD_RESET_PER_IP: Rule = Rule {
        max: 10,
        window: Duration::from_secs(3600),
    };
    /// Reset mails per account, whoever asks and from wherever: past it a
    /// "forgot password" request for the account sends nothing (the page
    /// answers the same).
    pub const RESET_MAIL_PER_ACCOUNT: Rule = Rule {
        max: 3,
        window: Duration::from_secs(3600),
    };
    /// Mails to the owner of a confirmed address that someone tried to use
    /// for another account, per address; past it nothing is sent.
    pub const ADDRESS_IN_USE_MAIL: Rule = Rule {
        max: 3,
        window: Duration::from_secs(3600),
    };
    /// E-mail address changes (each mails a verification link) per account.
    pub const MAIL_ADDRESS: Rule = Rule {
        max: 5,
        window: Duration::from_secs(3600),
    };
    /// "Was this helpful?" votes and comments per client address.
    pub const FEEDBACK_PER_IP: Rule = Rule {
        max: 30,
        window: Duration::from_secs(600),
    };

    /// Accounts younger than this get the tighter posting limits (seconds).
    pub const NEW_ACCOUNT_SECS: i64 = 7 * 24 * 3600;

    /// Questions per hour: new accounts, then established ones.
    pub const ASK: (Rule, Rule) = (
        Rule {
            max: 3,
            window: Duration::from_secs(3600),
        },
        Rule {
            max: 20,
            window: Duration::from_secs(3600),
        },
    );
    /// Answers per hour.
    pub const ANSWER: (Rule, Rule) = (
        Rule {
            max: 10,
            window: Duration::from_secs(3600),
        },
        Rule {
            max: 60,
            window: Duration::from_secs(3600),
        },
    );
    /// Comments per hour.
    pub const COMMENT: (Rule, Rule) = (
        Rule {
            max: 20,
            window: Duration::from_secs(3600),
        },
        Rule {
            max: 100,
            window: Duration::from_secs(3600),
        },
    );
    /// Edits of questions, answers and comments per hour.
    pub const EDIT: (Rule, Rule) = (
        Rule {
            max: 10,
            window: Duration::from_secs(3600),
        },
        Rule {
            max: 60,
            window: Duration::from_secs(3600),
        },
    );
    /// Markdown previews (ask form and `/api/preview`) per user and minute.
    pub const PREVIEW: Rule = Rule {
        max: 120,
        window: Duration::from_secs(60),
    };
    /// Votes per hour.
    pub const VOTE: (Rule, Rule) = (
        Rule {
            max: 30,
            window: Duration::from_secs(3600),
        },
        Rule {
            max: 300,
            window: Duration::from_secs(3600),
        },
    );
    /// Flags per hour.
    pub const FLAG: (Rule, Rule) = (
        Rule {
            max: 5,
            window: Duration::from_secs(3600),
        },
        Rule {
            max: 30,
            window: Duration::from_secs(3600),
        },
    );

    /// The table every limited action is looked up in. Counted in the
    /// database (across nodes): everything that protects accounts or
    /// posting. In memory (per node): previews, which only cost the
    /// rendering node CPU and come several a minute while typing, and
    /// feedback votes, anonymous statistics where N nodes allowing N times
    /// the rate harms nobody.
    pub fn of(action: Limited) -> Limit {
        let per_user = |key, (new, established): (Rule, Rule)| Limit {
            key,
            new,
            established,
            staff_exempt: true,
            store: Store::Shared,
        };
        let same = |key, rule: Rule, staff_exempt, store| Limit {
            key,
            new: rule,
            established: rule,
            staff_exempt,
            store,
        };
        match action {
            Limited::Ask => per_user("ask", ASK),
            Limited::Answer => per_user("answer", ANSWER),
            Limited::Comment => per_user("comment", COMMENT),
            Limited::Edit => per_user("edit", EDIT),
            Limited::Vote => per_user("vote", VOTE),
            Limited::Flag => per_user("flag", FLAG),
            // Every preview renders markdown: counted for staff too.
            Limited::Preview => same("preview", PREVIEW, false, Store::Local),
            Limited::SignIn => same("login", LOGIN_PER_IP, false, Store::Shared),
            Limited::Register => same("register", REGISTER_PER_IP, false, Store::Shared),
            Limited::PasswordChange => {
                same("password-change", PASSWORD_CHANGE, false, Store::Shared)
            }
            Limited::Feedback => same("feedback", FEEDBACK_PER_IP, false, Store::Local),
            Limited::GuestDraft => same("guest-draft", GUEST_DRAFT_PER_IP, false, Store::Shared),
            Limited::PasswordReset => same(
                "password-reset",
                PASSWORD_RESET_PER_IP,
                false,
                Store::Shared,
            ),
            Limited::MailAddress => same("mail-address", MAIL_ADDRESS, false, Store::Shared),
        }
    }
}

/// What a limit counts: posting actions per user, sign-in and registration
/// per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Asking a question.
    Ask,
    /// Posting an answer.
    Answer,
    /// Posting a comment.
    Comment,
    /// Editing a question, answer or comment.
    Edit,
    /// Voting.
    Vote,
    /// Flagging a post.
    Flag,
    /// Rendering a markdown preview.
    Preview,
    /// Trying to sign in (per address).
    SignIn,
    /// Registering (per address).
    Register,
    /// Changing one's password.
    PasswordChange,
    /// Rating an article or step, or commenting on the rating (per address).
    Feedback,
    /// Keeping a draft for someone not signed in (per address).
    GuestDraft,
    /// Asking for a password-reset link, or using one (per address).
    PasswordReset,
    /// Setting an e-mail address, which mails a verification link (per account).
    MailAddress,
}

impl Limited {
    /// Every limited action.
    pub const ALL: [Limited; 14] = [
        Limited::Ask,
        Limited::Answer,
        Limited::Comment,
        Limited::Edit,
        Limited::Vote,
        Limited::Flag,
        Limited::Preview,
        Limited::SignIn,
        Limited::Register,
        Limited::PasswordChange,
        Limited::Feedback,
        Limited::GuestDraft,
        Limited::PasswordReset,
        Limited::MailAddress,
    ];
}

/// Where a limit's windows are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// In the database: the limit holds across every node sharing it; one
    /// write per counted action.
    Shared,
    /// In this node's memory ([`RateLimiter`]): no database work, but each
    /// node counts on its own.
    Local,
}

/// One row of the table [`rules::of`].
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Prefix of the limiter key.
    pub key: &'static str,
    /// The rule for accounts younger than [`rules::NEW_ACCOUNT_SECS`].
    pub new: Rule,
    /// The rule for established accounts (and for addresses).
    pub established: Rule,
    /// Staff post on behalf of the site: no limit.
    pub staff_exempt: bool,
    /// Where the windows are counted.
    pub store: Store,
}

impl Limit {
    /// The key and rule that count an action by `who` at `now` (unix
    /// seconds): the tighter rule for new accounts; `None` for staff where
    /// the row exempts them.
    pub fn for_user(&self, who: &Poster, now: i64) -> Option<(String, Rule)> {
        if self.staff_exempt && who.role.is_staff() {
            return None;
        }
        let is_new = now - who.created_at < rules::NEW_ACCOUNT_SECS;
        let rule = if is_new { self.new } else { self.established };
        Some((format!("{}:{}", self.key, who.id), rule))
    }

    /// The key and rule that count an action from the rate-limit address
    /// `address`.
    pub fn for_address(&self, address: &str) -> (String, Rule) {
        (format!("{}:{address}", self.key), self.established)
    }
}

impl Rule {
    /// The window length in whole seconds.
    pub fn window_secs(&self) -> i64 {
        i64::try_from(self.window.as_secs()).unwrap_or(i64::MAX)
    }

    /// The most hits a window may hold, as stored.
    pub fn max_hits(&self) -> i32 {
        i32::try_from(self.max).unwrap_or(i32::MAX)
    }
}

/// The user a posting limit applies to.
#[derive(Debug, Clone, Copy)]
pub struct Poster {
    /// User id.
    pub id: UserId,
    /// Role (staff are exempt from posting limits).
    pub role: Role,
    /// When the account was created (unix seconds).
    pub created_at: i64,
}

/// The longest window any rule may have: a generation older than this holds
/// nothing that still counts.
pub const MAX_WINDOW: Duration = Duration::from_secs(3600);

/// Shards of the limiter (independent locks).
const SHARDS: usize = 16;

/// Keys one shard's current generation holds before it is rotated: at most
/// `2 * SHARDS * SHARD_CAPACITY` windows are kept (a few tens of MB at most).
const SHARD_CAPACITY: usize = 8192;

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    hits: u32,
}

/// One shard: the current generation and the one before.
#[derive(Debug)]
struct Shard {
    current: HashMap<String, Window>,
    previous: HashMap<String, Window>,
    /// When `current` became current.
    since: Instant,
}

impl Shard {
    fn new(now: Instant) -> Self {
        Shard {
            current: HashMap::new(),
            previous: HashMap::new(),
            since: now,
        }
    }

    /// Rotates when the current generation is older than [`MAX_WINDOW`] or
    /// full; returns the generations to drop (outside the lock). Every hit
    /// checks this, so a current generation older than `MAX_WINDOW` took its
    /// last hit more than `MAX_WINDOW` ago, and at twice that it holds
    /// nothing live either.
    fn rotate_if_due(&mut self, now: Instant) -> Option<[HashMap<String, Window>; 2]> {
        let age = now.saturating_duration_since(self.since);
        if age < MAX_WINDOW && self.current.len() < SHARD_CAPACITY {
            return None;
        }
        let old_previous = std::mem::replace(&mut self.previous, std::mem::take(&mut self.current));
        self.since = now;
        let stale = if age >= MAX_WINDOW * 2 {
            std::mem::take(&mut self.previous)
        } else {
            HashMap::new()
        };
        Some([old_previous, stale])
    }

    /// The live window of `key`, brought into the current generation.
    fn window(&mut self, key: &str, now: Instant, rule: Rule) -> &mut Window {
        let carried = if self.current.contains_key(key) {
            None
        } else {
            self.previous.remove(key)
        };
        let window = self
            .current
            .entry(key.to_string())
            .or_insert(carried.unwrap_or(Window {
                started: now,
                hits: 0,
            }));
        if now.saturating_duration_since(window.started) >= rule.window {
            *window = Window {
                started: now,
                hits: 0,
            };
        }
        window
    }

    fn peek(&self, key: &str) -> Option<&Window> {
        self.current.get(key).or_else(|| self.previous.get(key))
    }
}

/// The limiter: sharded windows behind mutexes.
#[derive(Debug)]
pub struct RateLimiter {
    shards: Vec<Mutex<Shard>>,
    skew: Mutex<Duration>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        let now = Instant::now();
        RateLimiter {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::new(now))).collect(),
            skew: Mutex::new(Duration::ZERO),
        }
    }
}

impl RateLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self::default()
    }

    fn now(&self) -> Instant {
        Instant::now() + self.skew.lock().map(|s| *s).unwrap_or_default()
    }

    fn shard(&self, key: &str) -> &Mutex<Shard> {
        let mut hasher = DefaultHasher::new();
        key.hash(&mut hasher);
        &self.shards[(hasher.finish() as usize) % SHARDS]
    }

    /// Counts a hit for `key` under `rule`; `Err(seconds)` when over the
    /// limit, with how long until the window resets.
    pub fn hit(&self, key: &str, rule: Rule) -> Result<(), u64> {
        let rule = bounded(rule);
        let now = self.now();
        let Ok(mut shard) = self.shard(key).lock() else {
            return Ok(());
        };
        let dropped = shard.rotate_if_due(now);
        let window = shard.window(key, now, rule);
        let verdict = if window.hits >= rule.max {
            Err(seconds_left(window, rule, now))
        } else {
            window.hits += 1;
            Ok(())
        };
        drop(shard);
        drop(dropped);
        verdict
    }

    /// Whether `key` is over the limit, without counting a hit.
    pub fn check(&self, key: &str, rule: Rule) -> Result<(), u64> {
        let rule = bounded(rule);
        let now = self.now();
        let Ok(shard) = self.shard(key).lock() else {
            return Ok(());
        };
        match shard.peek(key) {
            Some(w)
                if now.saturating_duration_since(w.started) < rule.window && w.hits >= rule.max =>
            {
                Err(seconds_left(w, rule, now))
            }
            _ => Ok(()),
        }
    }

    /// Hits counted for `key` in its current window.
    pub fn hits(&self, key: &str, rule: Rule) -> u32 {
        let rule = bounded(rule);
        let now = self.now();
        let Ok(shard) = self.shard(key).lock() else {
            return 0;
        };
        match shard.peek(key) {
            Some(w) if now.saturating_duration_since(w.started) < rule.window => w.hits,
            _ => 0,
        }
    }

    /// Forgets `key` (e.g. failures after a successful sign-in).
    pub fn clear(&self, key: &str) {
        if let Ok(mut shard) = self.shard(key).lock() {
            shard.current.remove(key);
            shard.previous.remove(key);
        }
    }

    /// Windows held in memory (both generations of every shard).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .filter_map(|s| s.lock().ok().map(|s| s.current.len() + s.previous.len()))
            .sum()
    }

    /// Whether no window is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts `action` by `who` at `now` (unix seconds) against its row of
    /// [`rules::of`]: the tighter rule for new accounts, none for staff
    /// where the row says so; `Err(seconds)` when over the limit.
    pub fn admit_user(&self, action: Limited, who: &Poster, now: i64) -> Result<(), u64> {
        match rules::of(action).for_user(who, now) {
            Some((key, rule)) => self.hit(&key, rule),
            None => Ok(()),
        }
    }

    /// Counts `action` from the rate-limit address `address` against its
    /// row of [`rules::of`]; `Err(seconds)` when over the limit.
    pub fn admit_address(&self, action: Limited, address: &str) -> Result<(), u64> {
        let (key, rule) = rules::of(action).for_address(address);
        self.hit(&key, rule)
    }

    /// Moves this limiter's clock forward (lets tests see windows expire).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut skew) = self.skew.lock() {
            *skew += by;
        }
    }
}

/// The sign-in brake for one attempt on one account from one address.
/// Strangers cannot lock an owner out: failures count per (account,
/// address), and past [`rules::LOGIN_FAILURES_PER_ACCOUNT`] failures from
/// anywhere, failed attempts are answered slowly instead of refused. The
/// counts are kept in the database (`crate::service::limits`), so failures
/// on one node count on every other.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// Failures of this account from this address.
    pub address_key: String,
    /// Failures of this account from anywhere.
    pub account_key: String,
}

impl LoginAttempt {
    /// An attempt on the account `account_key` (the normalized username)
    /// from the rate-limit address `address`.
    pub fn new(account_key: &str, address: &str) -> Self {
        // A sign-in form may carry any name; no account's key is this long,
        // and a stored limit key must stay short (a PostgreSQL index entry
        // has a size limit), so a long one is counted by its digest.
        let digest;
        let account_key = if account_key.len() > 2 * crate::auth::username::DISPLAY_NAME_MAX {
            digest = crate::auth::tokens::hash_token(account_key);
            digest.as_str()
        } else {
            account_key
        };
        LoginAttempt {
            address_key: format!("login-failures:{account_key}:{address}"),
            account_key: format!("login-failures:{account_key}"),
        }
    }

    /// The rule counting every failure of the account: never refuses, it
    /// only measures how slow the answer gets.
    pub fn account_rule() -> Rule {
        Rule {
            max: u32::MAX,
            window: rules::LOGIN_FAILURES_PER_ACCOUNT.window,
        }
    }

    /// How long to wait before answering a failure, when the account has
    /// `failures` failures in its window (this one included).
    pub fn delay_after(failures: u32) -> Duration {
        let over = failures.saturating_sub(rules::LOGIN_FAILURES_PER_ACCOUNT.max);
        (rules::LOGIN_SLOWDOWN_STEP * over).min(rules::LOGIN_SLOWDOWN_MAX)
    }
}

/// A rule with its window capped at [`MAX_WINDOW`] (longer ones would
/// outlive the generation that holds them).
fn bounded(rule: Rule) -> Rule {
    Rule {
        max: rule.max,
        window: rule.window.min(MAX_WINDOW),
    }
}

fn seconds_left(window: &Window, rule: Rule, now: Instant) -> u64 {
    rule.window
        .saturating_sub(now.saturating_duration_since(window.started))
        .as_secs()
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_then_recovers() {
        let limiter = RateLimiter::new();
        let rule = Rule {
            max: 2,
            window: Duration::from_secs(60),
        };
        assert!(limiter.hit("k", rule).is_ok());
        assert!(limiter.hit("k", rule).is_ok());
        let wait = limiter.hit("k", rule).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.check("k", rule).is_err());
        assert!(limiter.hit("other", rule).is_ok(), "keys are independent");
        limiter.advance(Duration::from_secs(61));
        assert!(limiter.hit("k", rule).is_ok(), "window expired");
        limiter.clear("k");
        assert!(limiter.check("k", rule).is_ok());
    }

    #[test]
    fn posting_limits_come_from_the_table() {
        let limiter = RateLimiter::new();
        let now = 10 * rules::NEW_ACCOUNT_SECS;
        let newcomer = Poster {
            id: UserId(1),
            role: Role::Member,
            created_at: now,
        };
        let regular = Poster {
            id: UserId(2),
            created_at: 0,
            ..newcomer
        };
        let staff = Poster {
            id: UserId(3),
            role: Role::Staff,
            created_at: now,
        };
        for _ in 0..rules::ASK.0.max {
            assert!(limiter.admit_user(Limited::Ask, &newcomer, now).is_ok());
        }
        assert!(limiter.admit_user(Limited::Ask, &newcomer, now).is_err());
        assert!(
            limiter.admit_user(Limited::Answer, &newcomer, now).is_ok(),
            "each action has its own budget"
        );
        for _ in 0..rules::ASK.1.max {
            assert!(limiter.admit_user(Limited::Ask, &regular, now).is_ok());
        }
        assert!(limiter.admit_user(Limited::Ask, &regular, now).is_err());
        for _ in 0..rules::ASK.1.max * 2 {
            assert!(limiter.admit_user(Limited::Ask, &staff, now).is_ok());
        }
        for _ in 0..rules::PREVIEW.max {
            assert!(limiter.admit_user(Limited::Preview, &staff, now).is_ok());
        }
        assert!(
            limiter.admit_user(Limited::Preview, &staff, now).is_err(),
            "previews are counted for staff too"
        );
        for _ in 0..rules::REGISTER_PER_IP.max {
            assert!(limiter
                .admit_address(Limited::Register, "192.0.2.1")
                .is_ok());
        }
        assert!(limiter
            .admit_address(Limited::Register, "192.0.2.1")
            .is_err());
        assert!(limiter.admit_address(Limited::SignIn, "192.0.2.1").is_ok());
    }

    #[test]
    fn login_delay_grows_past_the_account_limit_and_is_capped() {
        let max = rules::LOGIN_FAILURES_PER_ACCOUNT.max;
        assert_eq!(LoginAttempt::delay_after(1), Duration::ZERO);
        assert_eq!(LoginAttempt::delay_after(max), Duration::ZERO);
        assert_eq!(
            LoginAttempt::delay_after(max + 1),
            rules::LOGIN_SLOWDOWN_STEP
        );
        assert_eq!(
            LoginAttempt::delay_after(max + 2),
            rules::LOGIN_SLOWDOWN_STEP * 2
        );
        assert_eq!(
            LoginAttempt::delay_after(max + 1000),
            rules::LOGIN_SLOWDOWN_MAX
        );
        let attempt = LoginAttempt::new("ann", "198.51.100.1");
        assert_ne!(attempt.address_key, attempt.account_key);
        assert!(attempt.address_key.starts_with(&attempt.account_key));
    }

    #[test]
    fn every_action_has_one_row_and_one_store() {
        for action in Limited::ALL {
            let limit = rules::of(action);
            let local = matches!(action, Limited::Preview | Limited::Feedback);
            assert_eq!(
                limit.store == Store::Local,
                local,
                "{action:?}: accounts and posting are limited across nodes"
            );
            assert!(limit.new.max <= limit.established.max, "{action:?}");
        }
    }

    #[test]
    fn windows_survive_a_rotation_and_count_on() {
        let limiter = RateLimiter::new();
        let rule = Rule {
            max: 3,
            window: Duration::from_secs(3600),
        };
        limiter.hit("k", rule).unwrap();
        limiter.hit("k", rule).unwrap();
        // The generation rotates at MAX_WINDOW; a window started just
        // before still counts in the next generation.
        limiter.advance(MAX_WINDOW - Duration::from_secs(1));
        limiter.hit("filler", rule).unwrap();
        limiter.advance(Duration::from_millis(500));
        assert_eq!(limiter.hits("k", rule), 2);
        limiter.hit("k", rule).unwrap();
        assert!(
            limiter.hit("k", rule).is_err(),
            "still limited across rotation"
        );
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_keys() {
        let limiter = RateLimiter::new();
        let rule = Rule {
            max: 1,
            window: Duration::from_secs(60),
        };
        for i in 0..(SHARDS * SHARD_CAPACITY * 3) {
            let _ = limiter.hit(&format!("flood:{i}"), rule);
        }
        assert!(
            limiter.len() <= 2 * SHARDS * SHARD_CAPACITY,
            "{} windows held",
            limiter.len()
        );
        // Stale generations are dropped by time as well.
        limiter.advance(MAX_WINDOW * 2);
        for shard in 0..SHARDS * 4 {
            let _ = limiter.hit(&format!("late:{shard}"), rule);
        }
        assert!(
            limiter.len() < SHARDS * 8,
            "{} windows held after two hours",
            limiter.len()
        );
    }
}
