//! Throttling of failed logins, per username and per client address. After `max` failures
//! within the lockout window the key is locked until the window has passed since its
//! first failure. State is in memory: a restart forgets it, which is acceptable for a
//! brute-force brake (the argon2 cost still applies to every attempt).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Window {
    first_failure: Instant,
    failures: u32,
}

#[derive(Debug)]
pub struct LoginThrottle {
    per_user: u32,
    per_ip: u32,
    window: Duration,
    state: Mutex<HashMap<String, Window>>,
}

/// Bound on remembered keys; beyond it expired windows are dropped.
const MAX_KEYS: usize = 100_000;

impl LoginThrottle {
    pub fn new(per_user: u32, per_ip: u32, window: Duration) -> Self {
        LoginThrottle {
            per_user,
            per_ip,
            window,
            state: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, ip: &str) -> [String; 2] {
        [format!("u:{username}"), format!("ip:{ip}")]
    }

    /// Seconds until another attempt is allowed, when this username or address is locked.
    pub fn locked_for(&self, username: &str, ip: &str, now: Instant) -> Option<u64> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let [user_key, ip_key] = Self::keys(username, ip);
        [(user_key, self.per_user), (ip_key, self.per_ip)]
            .iter()
            .filter_map(|(key, max)| {
                let w = state.get(key)?;
                let until = w.first_failure + self.window;
                (w.failures >= *max && until > now).then(|| (until - now).as_secs().max(1))
            })
            .max()
    }

    pub fn record_failure(&self, username: &str, ip: &str, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.len() >= MAX_KEYS {
            let window = self.window;
            state.retain(|_, w| w.first_failure + window > now);
        }
        for key in Self::keys(username, ip) {
            let w = state.entry(key).or_insert(Window {
                first_failure: now,
                failures: 0,
            });
            if w.first_failure + self.window <= now {
                *w = Window {
                    first_failure: now,
                    failures: 0,
                };
            }
            w.failures += 1;
        }
    }

    /// A successful login clears the username's failures; the address keeps its count so
    /// one valid account cannot be used to reset a spray across many usernames.
    pub fn record_success(&self, username: &str) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.remove(&format!("u:{username}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_username_after_max_failures_until_window_passes() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..2 {
            t.record_failure("an", "1.1.1.1", start);
        }
        assert_eq!(t.locked_for("an", "1.1.1.1", start), None);
        t.record_failure("an", "1.1.1.1", start);
        assert_eq!(
            t.locked_for("an", "2.2.2.2", start),
            Some(60),
            "locked from any address"
        );
        assert_eq!(t.locked_for("binh", "2.2.2.2", start), None);
        let later = start + Duration::from_secs(61);
        assert_eq!(t.locked_for("an", "1.1.1.1", later), None);
        t.record_failure("an", "1.1.1.1", later);
        assert_eq!(
            t.locked_for("an", "1.1.1.1", later),
            None,
            "a new window starts"
        );
    }

    #[test]
    fn locks_address_across_usernames() {
        let t = LoginThrottle::new(100, 4, Duration::from_secs(60));
        let now = Instant::now();
        for name in ["a", "b", "c", "d"] {
            t.record_failure(name, "9.9.9.9", now);
        }
        assert!(t.locked_for("e", "9.9.9.9", now).is_some());
        assert!(t.locked_for("e", "8.8.8.8", now).is_none());
    }

    #[test]
    fn success_clears_username_only() {
        let t = LoginThrottle::new(2, 3, Duration::from_secs(60));
        let now = Instant::now();
        t.record_failure("an", "1.1.1.1", now);
        t.record_failure("an", "1.1.1.1", now);
        t.record_success("an");
        assert_eq!(t.locked_for("an", "5.5.5.5", now), None);
        t.record_failure("binh", "1.1.1.1", now);
        assert!(
            t.locked_for("an", "1.1.1.1", now).is_some(),
            "the address still counts"
        );
    }
}
