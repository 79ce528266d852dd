//! Claims left behind by runs that gave up because the store did not answer.
//!
//! A claim whose answer never came may still have been recorded (a frozen Redis runs
//! the queued command once it thaws), and a failed `complete` or `abandon` leaves the
//! claim in place: either way the key would stay held, and every later callback for it
//! refused, until the lease ran out. So such a claim becomes an *orphan*: a background
//! task abandons it as soon as the store answers again (and once more a little later,
//! in case a command queued during the outage lands after the first abandon), and the
//! next run of the same key in this process claims it with the orphan's own token,
//! which the store treats as a renewal: it takes over at once either way.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ipv_callback_store::{CallbackStore, LeaseToken};
use tokio::time::Instant;

/// How often the background task tries the store again.
const RETRY_EVERY: Duration = Duration::from_millis(250);
/// How long after a successful abandon it abandons once more.
const SETTLE: Duration = Duration::from_secs(2);

#[derive(Debug)]
struct Orphan {
    token: LeaseToken,
    /// Past this, the lease has run out anyway: forget it.
    expires: Instant,
    /// The background task is abandoning it right now.
    abandoning: bool,
    /// When an abandon last succeeded.
    abandoned: Option<Instant>,
}

/// The orphaned claims of one receiver; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct Orphans {
    store: Arc<dyn CallbackStore>,
    max: usize,
    entries: Mutex<HashMap<String, Orphan>>,
    running: AtomicBool,
}

impl Orphans {
    pub(crate) fn new(store: Arc<dyn CallbackStore>, max: usize) -> Arc<Self> {
        Arc::new(Self {
            store,
            max,
            entries: Mutex::new(HashMap::new()),
            running: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Orphan>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many orphans wait to be abandoned.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Records that `token`'s claim of `key` may be left in the store, and makes sure
    /// the background task runs. Needs a tokio runtime.
    pub(crate) fn adopt(self: &Arc<Self>, key: &str, token: LeaseToken, lease: Duration) {
        {
            let mut entries = self.lock();
            if entries.len() >= self.max && !entries.contains_key(key) {
                // Bounded: past this many, the lease ends the claim as before.
                tracing::warn!(
                    orphans = entries.len(),
                    "too many claims left by store failures; this one waits for its lease"
                );
                return;
            }
            entries.insert(
                key.to_owned(),
                Orphan {
                    token,
                    expires: Instant::now() + lease,
                    abandoning: false,
                    abandoned: None,
                },
            );
        }
        if !self.running.swap(true, Ordering::SeqCst) {
            tokio::spawn(Arc::clone(self).run());
        }
    }

    /// The token of an orphaned claim of `key`, for the next run to claim with (and
    /// take the claim over, if it was recorded); the orphan is no longer abandoned.
    pub(crate) fn take(&self, key: &str) -> Option<LeaseToken> {
        let mut entries = self.lock();
        if entries.get(key).is_some_and(|o| !o.abandoning) {
            return entries.remove(key).map(|o| o.token);
        }
        None
    }

    /// The background task: abandons every orphan until each is settled or expired.
    async fn run(self: Arc<Self>) {
        loop {
            let now = Instant::now();
            let due: Vec<(String, LeaseToken)> = {
                let mut entries = self.lock();
                entries.retain(|_, o| o.expires > now || o.abandoning);
                if entries.is_empty() {
                    self.running.store(false, Ordering::SeqCst);
                    return;
                }
                entries
                    .iter_mut()
                    .filter(|(_, o)| {
                        !o.abandoning && o.abandoned.is_none_or(|at| now >= at + SETTLE)
                    })
                    .map(|(key, o)| {
                        o.abandoning = true;
                        (key.clone(), o.token.clone())
                    })
                    .collect()
            };
            for (key, token) in due {
                let result = self.store.abandon(&key, &token).await;
                let mut entries = self.lock();
                if let Some(orphan) = entries.get_mut(&key) {
                    orphan.abandoning = false;
                    match result {
                        Ok(()) if orphan.abandoned.is_some() => {
                            // Abandoned twice, apart: settled.
                            entries.remove(&key);
                        }
                        Ok(()) => orphan.abandoned = Some(Instant::now()),
                        Err(err) => {
                            tracing::debug!(error = %err, "store still failing; abandon retried");
                        }
                    }
                }
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }
}
