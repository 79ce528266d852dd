//! Remembering which callbacks were handled.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ipv_transport::BoxFuture;

/// An error from a [`DedupeStore`] (a database being down, say).
pub type StoreError = Box<dyn std::error::Error + Send + Sync>;

/// Where a [`CallbackReceiver`](super::CallbackReceiver) remembers handled callbacks.
///
/// Implement it over a database to share the memory between several receivers or
/// keep it across restarts. Keys are short strings (`order:ORD-1:1`).
pub trait DedupeStore: Send + Sync + fmt::Debug {
    /// Whether `key` was handled (and is still remembered).
    fn is_done<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// Records that `key` was handled.
    fn mark_done<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// The default [`DedupeStore`]: in memory, remembering each key for a window.
///
/// Order callbacks happen once per order and operation, so any window catches their
/// duplicates. Instance and product callbacks only say "this changed", and the same
/// query can legitimately come again after a later change; remembering keys for a
/// window (1 hour by default) rather than forever lets such a later change through,
/// while the platform's quick re-sends are still caught. The oldest keys are also
/// dropped beyond a capacity (100,000 by default), so memory stays bounded.
pub struct InMemoryDedupe {
    window: Duration,
    capacity: usize,
    state: Mutex<Remembered>,
}

#[derive(Default)]
struct Remembered {
    at: HashMap<String, Instant>,
    order: VecDeque<(Instant, String)>,
}

impl InMemoryDedupe {
    /// The default window.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(3600);
    /// The default capacity.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A store remembering keys for `window`, at most `capacity` of them.
    #[must_use]
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self {
            window,
            capacity: capacity.max(1),
            state: Mutex::new(Remembered::default()),
        }
    }

    /// How many keys are remembered now.
    #[must_use]
    pub fn len(&self) -> usize {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.expire(&mut state, Instant::now());
        state.at.len()
    }

    /// Whether no key is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn expire(&self, state: &mut Remembered, now: Instant) {
        while let Some((at, _)) = state.order.front() {
            let stale = now.duration_since(*at) >= self.window;
            if !stale && state.order.len() <= self.capacity {
                break;
            }
            if let Some((at, key)) = state.order.pop_front() {
                // Only forget the key if this entry is its latest record.
                if state.at.get(&key) == Some(&at) {
                    state.at.remove(&key);
                }
            }
        }
    }
}

impl Default for InMemoryDedupe {
    fn default() -> Self {
        Self::new(Self::DEFAULT_WINDOW, Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for InMemoryDedupe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryDedupe")
            .field("window", &self.window)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl DedupeStore for InMemoryDedupe {
    fn is_done<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.expire(&mut state, Instant::now());
        let done = state.at.contains_key(key);
        Box::pin(async move { Ok(done) })
    }

    fn mark_done<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.at.insert(key.to_owned(), now);
        state.order.push_back((now, key.to_owned()));
        self.expire(&mut state, now);
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn remembers_within_capacity_and_window() {
        let store = InMemoryDedupe::new(Duration::from_secs(3600), 2);
        block_on(async {
            assert!(!store.is_done("a").await.unwrap());
            store.mark_done("a").await.unwrap();
            store.mark_done("b").await.unwrap();
            assert!(store.is_done("a").await.unwrap());
            store.mark_done("c").await.unwrap();
            // Capacity 2: the oldest key is forgotten.
            assert!(!store.is_done("a").await.unwrap());
            assert!(store.is_done("b").await.unwrap() && store.is_done("c").await.unwrap());
        });
        assert_eq!(store.len(), 2);

        let forgetful = InMemoryDedupe::new(Duration::ZERO, 10);
        block_on(async {
            forgetful.mark_done("a").await.unwrap();
            assert!(!forgetful.is_done("a").await.unwrap());
        });
        assert!(forgetful.is_empty());
    }
}
