//! The order processor: moves orders along their schedule and expires instances,
//! sleeping until the next thing is due (or a change wakes it).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::delivery;
use crate::shared::{Shared, lock};

/// Moves orders along and expires instances, sleeping until the next thing is due.
pub(crate) async fn processor(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let wait = {
            let now = shared.now();
            let mut state = lock(&shared.state);
            if delivery::process_due(&mut state, now, false) > 0 {
                shared.persist(&mut state);
                shared.wake_dispatcher.notify_one();
            }
            delivery::next_due(&state)
                .map(|t| (t - now).max(time::Duration::milliseconds(1)))
                .and_then(|d| Duration::try_from(d).ok())
                .unwrap_or(Duration::from_millis(250))
                .min(Duration::from_millis(250))
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shared.wake_processor.notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}
