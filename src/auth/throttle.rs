//! Throttling of failed logins, per username from one address, per username from all
//! addresses, and per client address. After `max` failures within the lockout window the
//! key is locked until the window has passed since its first failure. State is in memory:
//! a restart forgets it, which is acceptable for a brute-force brake (the argon2 cost
//! still applies to every attempt).
//!
//! A username is locked from one address after `per_user` failures there, and from every
//! address only after `USER_EVERYWHERE` times as many: one address's wrong passwords do
//! not lock its owner out of their own office (a third party could otherwise keep anyone
//! locked out with five guesses every window), while guesses spread over many addresses
//! still meet a ceiling.
//!
//! An attempt is reserved (`begin`) before its password is verified and counts against
//! every key while it is in flight: otherwise many parallel guesses would all pass the
//! lock check before the first failure was recorded, and far more than `max` passwords
//! would be tried per window.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Window {
    /// When the first failure of the current window was recorded; meaningless while
    /// `failures` is 0.
    first_failure: Instant,
    failures: u32,
    /// Attempts reserved and not yet settled.
    in_flight: u32,
}

impl Window {
    /// Forgets failures whose window has passed.
    fn expire(&mut self, window: Duration, now: Instant) {
        if self.failures > 0 && self.first_failure + window <= now {
            self.failures = 0;
        }
    }

    fn is_idle(&self) -> bool {
        self.failures == 0 && self.in_flight == 0
    }
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

/// How many times `per_user` failures from all addresses together lock a username.
const USER_EVERYWHERE: u32 = 10;

/// One reserved attempt. Settle it with `failed`, `succeeded` or `release`; dropped
/// unsettled (a panic) it counts for nothing. It is settled where the password is
/// verified, whether or not the client still waits for the answer
/// (`api::auth::throttled`): a guess cut off by the client was verified all the same,
/// and a right password on a flaky office connection counts as the success it is.
#[must_use = "an attempt must be settled"]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    keys: [String; 3],
    settled: bool,
}

impl LoginThrottle {
    pub fn new(per_user: u32, per_ip: u32, window: Duration) -> Self {
        LoginThrottle {
            per_user,
            per_ip,
            window,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// The username from this address, the username anywhere, the address. Each kind
    /// has its own prefix: a username may hold '@', and "u:name@address" as the whole of
    /// another username's key would let anyone lock a person out at their office.
    /// (An address holds no '@', so "ua:" keys split at their last one.)
    fn keys(username: &str, ip: &str) -> [String; 3] {
        let ip = network(ip);
        [
            format!("ua:{username}@{ip}"),
            format!("u:{username}"),
            format!("ip:{ip}"),
        ]
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves an attempt for this username from this address, or answers the seconds
    /// until another is allowed when any of its keys is locked. Failures and attempts still in
    /// flight both count, so at most `max` passwords are ever verified per window and key,
    /// however many arrive at once. When only attempts in flight fill the allowance the
    /// wait is a second: they settle within an argon2 verification.
    pub fn begin(&self, username: &str, ip: &str, now: Instant) -> Result<Attempt<'_>, u64> {
        let mut state = self.lock();
        let keys = Self::keys(username, ip);
        let limits = [
            self.per_user,
            self.per_user.saturating_mul(USER_EVERYWHERE),
            self.per_ip,
        ];
        let mut wait = None::<u64>;
        for (key, max) in keys.iter().zip(limits) {
            let Some(w) = state.get_mut(key) else {
                continue;
            };
            w.expire(self.window, now);
            let secs = if w.failures >= max {
                Some((w.first_failure + self.window - now).as_secs().max(1))
            } else if w.failures + w.in_flight >= max {
                Some(1)
            } else {
                None
            };
            wait = wait.max(secs);
        }
        if let Some(secs) = wait {
            return Err(secs);
        }
        if state.len() >= MAX_KEYS {
            let window = self.window;
            state.retain(|_, w| {
                w.expire(window, now);
                !w.is_idle()
            });
        }
        for key in &keys {
            state
                .entry(key.clone())
                .or_insert(Window {
                    first_failure: now,
                    failures: 0,
                    in_flight: 0,
                })
                .in_flight += 1;
        }
        Ok(Attempt {
            throttle: self,
            keys,
            settled: false,
        })
    }

    /// Ends an attempt: `failure` counts it against every key; a success clears the
    /// username's failures, while the address keeps its count so one valid account cannot
    /// be used to reset a spray across many usernames.
    fn settle(&self, keys: &[String; 3], outcome: Outcome, now: Instant) {
        let mut state = self.lock();
        for (i, key) in keys.iter().enumerate() {
            let Some(w) = state.get_mut(key) else {
                continue;
            };
            w.in_flight = w.in_flight.saturating_sub(1);
            w.expire(self.window, now);
            match outcome {
                Outcome::Failure => {
                    if w.failures == 0 {
                        w.first_failure = now;
                    }
                    w.failures += 1;
                }
                Outcome::Success if i < 2 => w.failures = 0,
                Outcome::Success | Outcome::Void => {}
            }
            if w.is_idle() {
                state.remove(key);
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Failure,
    Success,
    /// Nothing was verified (the request failed before), so nothing is counted.
    Void,
}

impl Attempt<'_> {
    fn finish(mut self, outcome: Outcome, now: Instant) {
        self.settled = true;
        self.throttle.settle(&self.keys, outcome, now);
    }

    /// The password was wrong (or the account unknown or deactivated).
    pub fn failed(self, now: Instant) {
        self.finish(Outcome::Failure, now);
    }

    /// The password was right.
    pub fn succeeded(self, now: Instant) {
        self.finish(Outcome::Success, now);
    }

    /// No password was verified (e.g. the database failed first): nothing counts.
    pub fn release(self, now: Instant) {
        self.finish(Outcome::Void, now);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.throttle
                .settle(&self.keys, Outcome::Void, Instant::now());
        }
    }
}

/// The network an address stands for. An IPv6 client is given a whole /64 (a home or
/// office line gets one, often larger, and picks addresses in it at will, and privacy
/// extensions change them by themselves): keyed by the address, one line could rotate
/// through endless fresh allowances. So an IPv6 address counts as its /64; an IPv4
/// address as itself, also when a NAT64 gateway shows it in its well-known prefix
/// (64:ff9b::/96), where many IPv4 clients share one /64.
fn network(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>().map(|a| a.to_canonical()) {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [.., a, b, c, d] = v6.octets();
                return std::net::Ipv4Addr::new(a, b, c, d).to_string();
            }
            let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{prefix}/64")
        }
        Ok(v4) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(t: &LoginThrottle, user: &str, ip: &str, now: Instant) {
        t.begin(user, ip, now).expect("not locked").failed(now);
    }

    fn allowed(t: &LoginThrottle, user: &str, ip: &str, now: Instant) -> bool {
        t.begin(user, ip, now).map(|a| a.release(now)).is_ok()
    }

    #[test]
    fn an_ipv6_line_is_one_client() {
        let t = LoginThrottle::new(100, 3, Duration::from_secs(60));
        let start = Instant::now();
        // Three addresses of one /64, three usernames: the line is locked.
        fail(&t, "an", "2001:db8:a:1::10", start);
        fail(&t, "binh", "2001:db8:a:1:8a2e:370:7334:1", start);
        fail(&t, "chi", "2001:db8:a:1::ffff", start);
        assert!(!allowed(&t, "dung", "2001:db8:a:1::2", start));
        assert!(
            allowed(&t, "dung", "2001:db8:a:2::2", start),
            "the next /64"
        );
        assert_eq!(network("::ffff:10.0.0.1"), "10.0.0.1");
        assert_eq!(network("2001:db8:a:1::10"), "2001:db8:a:1::/64");
        assert_eq!(network("64:ff9b::cb71:105"), "203.113.1.5");
    }

    #[test]
    fn locks_username_after_max_failures_until_window_passes() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..2 {
            fail(&t, "an", "1.1.1.1", start);
        }
        assert!(allowed(&t, "an", "1.1.1.1", start));
        fail(&t, "an", "1.1.1.1", start);
        assert_eq!(
            t.begin("an", "1.1.1.1", start).err(),
            Some(60),
            "locked from that address"
        );
        assert!(
            allowed(&t, "an", "2.2.2.2", start),
            "its owner still logs in from their office"
        );
        assert!(allowed(&t, "binh", "2.2.2.2", start));
        let later = start + Duration::from_secs(61);
        assert!(allowed(&t, "an", "1.1.1.1", later));
        fail(&t, "an", "1.1.1.1", later);
        assert!(allowed(&t, "an", "1.1.1.1", later), "a new window starts");
    }

    #[test]
    fn a_username_with_an_address_in_it_is_another_key() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(60));
        let now = Instant::now();
        for _ in 0..3 {
            fail(&t, "director.x@203.0.113.7", "198.51.100.1", now);
        }
        assert!(allowed(&t, "director.x", "203.0.113.7", now));
    }

    #[test]
    fn guesses_spread_over_addresses_meet_a_ceiling() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(60));
        let now = Instant::now();
        // Ten addresses, three failures each: thirty, the ceiling for the username.
        for i in 0..10 {
            let ip = format!("10.0.0.{i}");
            for _ in 0..3 {
                fail(&t, "an", &ip, now);
            }
        }
        assert!(!allowed(&t, "an", "10.0.1.1", now), "locked everywhere now");
        assert!(allowed(&t, "binh", "10.0.1.1", now));
    }

    #[test]
    fn locks_address_across_usernames() {
        let t = LoginThrottle::new(100, 4, Duration::from_secs(60));
        let now = Instant::now();
        for name in ["a", "b", "c", "d"] {
            fail(&t, name, "9.9.9.9", now);
        }
        assert!(!allowed(&t, "e", "9.9.9.9", now));
        assert!(allowed(&t, "e", "8.8.8.8", now));
    }

    #[test]
    fn success_clears_username_only() {
        let t = LoginThrottle::new(2, 3, Duration::from_secs(60));
        let now = Instant::now();
        fail(&t, "an", "1.1.1.1", now);
        t.begin("an", "1.1.1.1", now)
            .expect("one left")
            .succeeded(now);
        fail(&t, "an", "1.1.1.1", now);
        assert!(allowed(&t, "an", "1.1.1.1", now), "the success cleared it");
        fail(&t, "binh", "1.1.1.1", now);
        assert!(
            !allowed(&t, "an", "1.1.1.1", now),
            "the address still counts"
        );
    }

    #[test]
    fn attempts_in_flight_count_until_settled() {
        let t = LoginThrottle::new(3, 100, Duration::from_secs(60));
        let now = Instant::now();
        let mut held: Vec<_> = (0..3)
            .map(|_| t.begin("an", "1.1.1.1", now).expect("allowed"))
            .collect();
        assert_eq!(
            t.begin("an", "1.1.1.1", now).err(),
            Some(1),
            "all in flight"
        );
        if let Some(a) = held.pop() {
            a.release(now);
        }
        assert!(allowed(&t, "an", "1.1.1.1", now), "one was freed");
        // The two abandoned attempts count for nothing: three failures are still allowed.
        drop(held);
        for _ in 0..3 {
            fail(&t, "an", "1.1.1.1", now);
        }
        assert!(t.begin("an", "1.1.1.1", now).is_err_and(|secs| secs >= 59));
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let t = LoginThrottle::new(3, 3, Duration::from_secs(60));
        let now = Instant::now();
        assert!(allowed(&t, "an", "1.1.1.1", now));
        assert!(t.lock().is_empty());
    }
}
