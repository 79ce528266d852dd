//! [`MemoryStore`]: the store for one process, bounded in keys and in bytes.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::{BoxFuture, CallbackStore, Claim, Completion, LeaseToken, MAX_KEY_LEN, StoreError};

/// An in-memory [`CallbackStore`] for a single receiver process.
///
/// It holds at most `max_keys` keys and `max_bytes` bytes of key and token text. When
/// full, it forgets the oldest *completed* keys first (a late duplicate of a forgotten
/// key runs the handler again, which a level-triggered handler takes in its stride),
/// then expired claims; if every key is under a live lease, a new claim fails with a
/// [`StoreError`] and the receiver answers "retry later".
///
/// It is not shared between processes: several receivers need a database store.
pub struct MemoryStore {
    max_keys: usize,
    max_bytes: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Completed keys, oldest first (each at most once).
    done_order: VecDeque<String>,
    bytes: usize,
}

enum Entry {
    Held { token: LeaseToken, until: Instant },
    Done,
}

/// Bytes a key costs: its text, its token's, and a fixed overhead for the map slot.
fn cost(key: &str, token: Option<&LeaseToken>) -> usize {
    const OVERHEAD: usize = 64;
    key.len() + token.map_or(0, |t| t.as_str().len()) + OVERHEAD
}

/// Why the memory store refused a claim.
#[derive(Debug)]
struct Full;

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("callback store is full of live claims")
    }
}

impl std::error::Error for Full {}

#[derive(Debug)]
struct KeyTooLong(usize);

impl fmt::Display for KeyTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "callback key of {} bytes is over the {MAX_KEY_LEN}-byte limit",
            self.0
        )
    }
}

impl std::error::Error for KeyTooLong {}

impl MemoryStore {
    /// The default bound on keys.
    pub const DEFAULT_MAX_KEYS: usize = 100_000;
    /// The default bound on bytes (16 MiB).
    pub const DEFAULT_MAX_BYTES: usize = 16 << 20;

    /// A store holding at most `max_keys` keys and `max_bytes` bytes.
    #[must_use]
    pub fn new(max_keys: usize, max_bytes: usize) -> Self {
        Self {
            max_keys: max_keys.max(1),
            max_bytes: max_bytes.max(cost("", None) + MAX_KEY_LEN),
            state: Mutex::new(State::default()),
        }
    }

    /// How many keys (claimed or done) are held now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no key is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many bytes the held keys cost, by the store's own accounting.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes room for one more key costing `need` bytes; false if it cannot.
    fn make_room(&self, state: &mut State, need: usize, now: Instant) -> bool {
        let fits = |s: &State| s.entries.len() < self.max_keys && s.bytes + need <= self.max_bytes;
        while !fits(state) {
            let Some(oldest) = state.done_order.pop_front() else {
                break;
            };
            if let Some(Entry::Done) = state.entries.get(&oldest) {
                state.entries.remove(&oldest);
                state.bytes -= cost(&oldest, None);
            }
        }
        if fits(state) {
            return true;
        }
        // Only live or expired claims are left: drop the expired ones.
        let expired: Vec<String> = state
            .entries
            .iter()
            .filter_map(|(key, entry)| match entry {
                Entry::Held { until, .. } if *until <= now => Some(key.clone()),
                _ => None,
            })
            .collect();
        for key in expired {
            if let Some(Entry::Held { token, .. }) = state.entries.remove(&key) {
                state.bytes -= cost(&key, Some(&token));
            }
        }
        fits(state)
    }

    fn claim_now(
        &self,
        key: &str,
        token: &LeaseToken,
        lease: Duration,
        now: Instant,
    ) -> Result<Claim, StoreError> {
        if key.len() > MAX_KEY_LEN {
            return Err(Box::new(KeyTooLong(key.len())));
        }
        let until = now
            .checked_add(lease)
            .unwrap_or(now + Duration::from_secs(86_400));
        let mut state = self.lock();
        let state = &mut *state;
        match state.entries.get_mut(key) {
            Some(Entry::Done) => return Ok(Claim::Done),
            Some(Entry::Held {
                token: holder,
                until: held_until,
            }) => {
                if holder != token && *held_until > now {
                    return Ok(Claim::Busy {
                        lease_left: Some(held_until.duration_since(now)),
                    });
                }
                let old = cost(key, Some(holder));
                *holder = token.clone();
                *held_until = until;
                state.bytes = state.bytes - old + cost(key, Some(token));
                return Ok(Claim::Claimed);
            }
            None => {}
        }
        let need = cost(key, Some(token));
        if !self.make_room(state, need, now) {
            return Err(Box::new(Full));
        }
        state.entries.insert(
            key.to_owned(),
            Entry::Held {
                token: token.clone(),
                until,
            },
        );
        state.bytes += need;
        Ok(Claim::Claimed)
    }

    fn complete_now(&self, key: &str, token: &LeaseToken) -> Completion {
        let mut state = self.lock();
        let state = &mut *state;
        match state.entries.get(key) {
            Some(Entry::Done) => Completion::AlreadyDone,
            Some(Entry::Held { token: holder, .. }) if holder == token => {
                // Held by this token, expired or not: nobody else claimed it since.
                let old = cost(key, Some(holder));
                state.entries.insert(key.to_owned(), Entry::Done);
                state.bytes = state.bytes - old + cost(key, None);
                state.done_order.push_back(key.to_owned());
                Completion::Recorded
            }
            // Another token holds it, or the key was forgotten to make room.
            Some(Entry::Held { .. }) | None => Completion::LeaseLost,
        }
    }

    fn abandon_now(&self, key: &str, token: &LeaseToken) {
        let mut state = self.lock();
        if let Some(Entry::Held { token: holder, .. }) = state.entries.get(key)
            && holder == token
        {
            let freed = cost(key, Some(holder));
            state.entries.remove(key);
            state.bytes -= freed;
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_KEYS, Self::DEFAULT_MAX_BYTES)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("max_keys", &self.max_keys)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl CallbackStore for MemoryStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        let result = self.claim_now(key, token, lease, Instant::now());
        Box::pin(async move { result })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<Completion, StoreError>> {
        let result = self.complete_now(key, token);
        Box::pin(async move { Ok(result) })
    }

    fn abandon<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.abandon_now(key, token);
        Box::pin(async { Ok(()) })
    }

    fn is_done<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let done = matches!(self.lock().entries.get(key), Some(Entry::Done));
        Box::pin(std::future::ready(Ok(done)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(30);

    fn t(s: &str) -> LeaseToken {
        LeaseToken::new(s)
    }

    #[test]
    fn claim_complete_and_busy() {
        let store = MemoryStore::default();
        let now = Instant::now();
        assert_eq!(
            store.claim_now("k", &t("a"), LEASE, now).unwrap(),
            Claim::Claimed
        );
        assert!(matches!(
            store.claim_now("k", &t("b"), LEASE, now).unwrap(),
            Claim::Busy { lease_left: Some(left) } if left == LEASE
        ));
        assert_eq!(store.complete_now("k", &t("b")), Completion::LeaseLost);
        assert_eq!(store.complete_now("k", &t("a")), Completion::Recorded);
        assert_eq!(
            store.claim_now("k", &t("b"), LEASE, now).unwrap(),
            Claim::Done
        );
        assert_eq!(store.complete_now("k", &t("a")), Completion::AlreadyDone);
    }

    #[test]
    fn an_expired_lease_passes_to_the_next_claim() {
        let store = MemoryStore::default();
        let now = Instant::now();
        store.claim_now("k", &t("a"), LEASE, now).unwrap();
        let later = now + LEASE;
        assert_eq!(
            store.claim_now("k", &t("b"), LEASE, later).unwrap(),
            Claim::Claimed
        );
        // The dead holder can neither complete nor abandon the new holder's claim.
        assert_eq!(store.complete_now("k", &t("a")), Completion::LeaseLost);
        store.abandon_now("k", &t("a"));
        assert!(matches!(
            store.claim_now("k", &t("c"), LEASE, later).unwrap(),
            Claim::Busy { .. }
        ));
        store.abandon_now("k", &t("b"));
        assert_eq!(
            store.claim_now("k", &t("c"), LEASE, later).unwrap(),
            Claim::Claimed
        );
    }

    #[test]
    fn bounded_in_keys_forgetting_done_keys_first() {
        let store = MemoryStore::new(2, usize::MAX);
        let now = Instant::now();
        store.claim_now("a", &t("x"), LEASE, now).unwrap();
        store.complete_now("a", &t("x"));
        store.claim_now("b", &t("x"), LEASE, now).unwrap();
        // Full: the done key "a" goes to make room.
        assert_eq!(
            store.claim_now("c", &t("x"), LEASE, now).unwrap(),
            Claim::Claimed
        );
        assert_eq!(store.len(), 2);
        // Full of live claims: refuse rather than break a lease.
        assert!(store.claim_now("d", &t("x"), LEASE, now).is_err());
        // Once the leases ran out, they make room.
        let later = now + LEASE;
        assert_eq!(
            store.claim_now("d", &t("y"), LEASE, later).unwrap(),
            Claim::Claimed
        );
    }

    #[test]
    fn bounded_in_bytes() {
        let key = "k".repeat(MAX_KEY_LEN);
        let per_key = cost(&key, None);
        let store = MemoryStore::new(usize::MAX, per_key * 10);
        let now = Instant::now();
        for i in 0..1000 {
            let key = format!("{i:0>width$}", width = MAX_KEY_LEN);
            let token = t("tok");
            assert_eq!(
                store.claim_now(&key, &token, LEASE, now).unwrap(),
                Claim::Claimed
            );
            assert_eq!(store.complete_now(&key, &token), Completion::Recorded);
            assert!(store.bytes() <= per_key * 10, "{} bytes", store.bytes());
        }
        assert!(store.len() <= 10);
        assert!(
            store
                .claim_now(&"k".repeat(MAX_KEY_LEN + 1), &t("x"), LEASE, now)
                .is_err()
        );
    }
}
