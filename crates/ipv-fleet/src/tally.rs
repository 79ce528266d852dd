//! What the fleet's handlers did.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Which receivers handled each order key to completion, and the one hung handling.
#[derive(Debug, Default)]
pub struct Tally {
    completed: Mutex<HashMap<String, Vec<usize>>>,
    others: AtomicUsize,
    hung: Mutex<Option<(usize, String)>>,
    hung_signal: Notify,
}

impl Tally {
    /// Records that receiver `receiver` handled order key `key` to completion.
    pub fn record_order(&self, key: String, receiver: usize) {
        lock(&self.completed).entry(key).or_default().push(receiver);
    }

    /// Records a handled instance or product callback.
    pub fn record_other(&self) {
        self.others.fetch_add(1, Ordering::Relaxed);
    }

    /// Records that receiver `receiver` hangs in the middle of handling `key`.
    pub fn record_hang(&self, key: String, receiver: usize) {
        *lock(&self.hung) = Some((receiver, key));
        self.hung_signal.notify_waiters();
        self.hung_signal.notify_one();
    }

    /// The receivers that completed each order key, in order of completion.
    #[must_use]
    pub fn completions(&self) -> HashMap<String, Vec<usize>> {
        lock(&self.completed).clone()
    }

    /// How many order keys were completed (at least once).
    #[must_use]
    pub fn orders_completed(&self) -> usize {
        lock(&self.completed).len()
    }

    /// How many instance and product callbacks were handled.
    #[must_use]
    pub fn others(&self) -> usize {
        self.others.load(Ordering::Relaxed)
    }

    /// The receiver that hung and the key it was handling, if one did.
    #[must_use]
    pub fn hung(&self) -> Option<(usize, String)> {
        lock(&self.hung).clone()
    }

    /// Waits (up to `timeout`) until a receiver hangs.
    pub async fn wait_hung(&self, timeout: Duration) -> Option<(usize, String)> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.hung_signal.notified();
            if let Some(hung) = self.hung() {
                return Some(hung);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.hung();
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
