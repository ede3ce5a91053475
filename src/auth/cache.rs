//! Accounts recently loaded for a request. Loading the account and its roles took a
//! pooled connection and two queries on every request: at the check-in rush, half of the
//! database's work (docs/PERFORMANCE.md). An entry is used for `TTL` at most. Changes made
//! through this server to accounts, staff or units clear the cache at once; changes from
//! elsewhere (the command line, another server) take effect within `TTL`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::db::users::UserRow;
use crate::domain::access::Actor;

const TTL: Duration = Duration::from_secs(5);
/// Past this, expired entries are dropped before another is added.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct ActorCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Bumped by every clear, so that a load that began before a change is not cached
    /// after it.
    generation: u64,
    entries: HashMap<i64, (Instant, UserRow, Actor)>,
}

impl ActorCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached account, or the generation to hand back to `put` after loading it.
    pub fn get(&self, user_id: i64) -> Result<(UserRow, Actor), u64> {
        let inner = self.lock();
        match inner.entries.get(&user_id) {
            Some((at, user, actor)) if at.elapsed() < TTL => Ok((user.clone(), actor.clone())),
            _ => Err(inner.generation),
        }
    }

    pub fn put(&self, generation: u64, user: &UserRow, actor: &Actor) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.retain(|_, (at, _, _)| at.elapsed() < TTL);
        }
        if inner.entries.len() < MAX_ENTRIES {
            inner
                .entries
                .insert(user.id, (Instant::now(), user.clone(), actor.clone()));
        }
    }

    /// After a change to one account alone (its logout): only its entry goes, and loads
    /// under way are not cached (the generation moves), so the rest of the cache stays
    /// warm (a kiosk whose users log out after each check-in kept it empty at the rush).
    pub fn forget(&self, user_id: i64) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.remove(&user_id);
    }

    /// After a change to accounts, roles, staff or the unit tree.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64) -> UserRow {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        UserRow {
            id,
            username: format!("u{id}"),
            password_hash: String::new(),
            staff_id: None,
            province_id: None,
            is_active: true,
            credentials_changed_at: t,
            created_at: t,
            updated_at: t,
        }
    }

    fn actor(id: i64) -> Actor {
        Actor {
            user_id: id,
            staff_id: None,
            staff_unit_id: None,
            grants: Vec::new(),
        }
    }

    #[test]
    fn a_cleared_cache_forgets_and_refuses_loads_begun_before() {
        let cache = ActorCache::default();
        let generation = cache.get(1).err().unwrap_or(u64::MAX);
        cache.put(generation, &user(1), &actor(1));
        assert!(cache.get(1).is_ok());
        let before = cache.get(2).err().unwrap_or(u64::MAX);
        cache.clear();
        assert!(cache.get(1).is_err());
        // A load that began before the change must not be cached after it.
        cache.put(before, &user(2), &actor(2));
        assert!(cache.get(2).is_err());
    }

    #[test]
    fn a_forgotten_account_goes_alone() {
        let cache = ActorCache::default();
        for id in [1, 2] {
            let generation = cache.get(id).err().unwrap_or(u64::MAX);
            cache.put(generation, &user(id), &actor(id));
        }
        let loading = cache.get(3).err().unwrap_or(u64::MAX);
        cache.forget(1);
        assert!(cache.get(1).is_err());
        assert!(cache.get(2).is_ok(), "the others stay");
        cache.put(loading, &user(1), &actor(1));
        assert!(cache.get(1).is_err(), "a load begun before is not cached");
    }
}
