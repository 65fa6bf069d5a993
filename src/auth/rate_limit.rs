//! Fixed-window rate limits kept in memory, per node: "at most N attempts
//! per window for this key". Used for sign-in, registration and posting.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    use super::Rule;
    use std::time::Duration;

    /// Sign-in attempts per client address.
    pub const LOGIN_PER_IP: Rule = Rule {
        max: 20,
        window: Duration::from_secs(300),
    };
    /// Failed sign-in attempts per account.
    pub const LOGIN_FAILURES_PER_ACCOUNT: Rule = Rule {
        max: 8,
        window: Duration::from_secs(900),
    };
    /// Registrations per client address.
    pub const REGISTER_PER_IP: Rule = Rule {
        max: 5,
        window: Duration::from_secs(3600),
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
    /// Edits of questions and answers per hour.
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
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    hits: u32,
}

/// The limiter: a map of windows behind a mutex.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, Window>>,
    skew: Mutex<Duration>,
}

impl RateLimiter {
    /// An empty limiter.
    pub fn new() -> Self {
        Self::default()
    }

    fn now(&self) -> Instant {
        Instant::now() + self.skew.lock().map(|s| *s).unwrap_or_default()
    }

    /// Counts a hit for `key` under `rule`; `Err(seconds)` when over the
    /// limit, with how long until the window resets.
    pub fn hit(&self, key: &str, rule: Rule) -> Result<(), u64> {
        let now = self.now();
        let Ok(mut windows) = self.windows.lock() else {
            return Ok(());
        };
        if windows.len() > 100_000 {
            windows.retain(|_, w| now.duration_since(w.started) < Duration::from_secs(3600));
        }
        let window = windows.entry(key.to_string()).or_insert(Window {
            started: now,
            hits: 0,
        });
        if now.duration_since(window.started) >= rule.window {
            *window = Window {
                started: now,
                hits: 0,
            };
        }
        if window.hits >= rule.max {
            let left = rule
                .window
                .saturating_sub(now.duration_since(window.started));
            return Err(left.as_secs().max(1));
        }
        window.hits += 1;
        Ok(())
    }

    /// Whether `key` is over the limit, without counting a hit.
    pub fn check(&self, key: &str, rule: Rule) -> Result<(), u64> {
        let now = self.now();
        let Ok(windows) = self.windows.lock() else {
            return Ok(());
        };
        match windows.get(key) {
            Some(w) if now.duration_since(w.started) < rule.window && w.hits >= rule.max => {
                Err(rule
                    .window
                    .saturating_sub(now.duration_since(w.started))
                    .as_secs()
                    .max(1))
            }
            _ => Ok(()),
        }
    }

    /// Forgets `key` (e.g. failures after a successful sign-in).
    pub fn clear(&self, key: &str) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.remove(key);
        }
    }

    /// Moves this limiter's clock forward (lets tests see windows expire).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut skew) = self.skew.lock() {
            *skew += by;
        }
    }
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
}
