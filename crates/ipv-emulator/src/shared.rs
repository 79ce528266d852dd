//! What the emulator's tasks share: the state behind its lock, the clock, the app keys,
//! the configuration, the wake-ups of the background tasks and the state-file writer.
//! Below everything that runs (the API, the control API, the processor, callbacks).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use ipv_crypto::Key;
use ipv_transport::SharedTransport;
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::faults::FaultRng;
use crate::persist;
use crate::state::State;

/// Everything the emulator's tasks share.
pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) clock: Mutex<Clock>,
    pub(crate) keys: Mutex<HashMap<String, Arc<Key>>>,
    pub(crate) config: EmulatorConfig,
    pub(crate) fault_rng: Mutex<FaultRng>,
    pub(crate) wake_processor: Notify,
    pub(crate) wake_dispatcher: Notify,
    pub(crate) in_flight: Mutex<HashSet<u64>>,
    pub(crate) transport: SharedTransport,
    /// The state-file writer, when there is a state file.
    pub(crate) persister: Option<persist::Persister>,
    /// Who may use the control API and the dashboard (Host, Origin, token).
    pub(crate) access: crate::access::Access,
}

/// Locks a mutex, recovering the data if a panicking thread poisoned it (every state
/// change is validated before it is applied, so the data is consistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn now(&self) -> OffsetDateTime {
        lock(&self.clock).now()
    }

    /// Rebuilds the key table from the apps in `state`.
    pub(crate) fn refresh_keys(&self, state: &State) {
        let mut keys = lock(&self.keys);
        keys.clear();
        for (app_key, app) in &state.apps {
            if let Ok(key) = Key::new(app.config.secret.as_bytes()) {
                keys.insert(app_key.clone(), Arc::new(key));
            }
        }
    }

    /// Snapshots the state for the state-file writer, if there is a state file. Called
    /// with the state locked, so snapshots follow the order of the changes; the file is
    /// written by the writer task ([`persist`]), never here.
    pub(crate) fn persist(&self, state: &mut State) {
        let Some(persister) = &self.persister else {
            return;
        };
        state.clock = lock(&self.clock).snapshot();
        match crate::state::persisted_bytes(state) {
            Ok(bytes) => persister.submit(bytes),
            Err(e) => tracing::error!(error = %e, "could not serialise the emulator state"),
        }
    }

    /// Wakes the background tasks after a change.
    pub(crate) fn kick(&self) {
        self.wake_processor.notify_one();
        self.wake_dispatcher.notify_one();
    }
}
