//! The emulator's test clock: a start time, plus real elapsed time, plus an offset that
//! the control API can advance.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The persisted part of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClockState {
    /// Emulator time when this process started counting (offset excluded).
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) base: OffsetDateTime,
    /// Seconds added by `clock/advance`.
    pub(crate) offset_seconds: i64,
}

/// The running clock: [`ClockState`] plus the process-local instant it counts from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    pub(crate) state: ClockState,
    started: Instant,
}

impl Clock {
    pub(crate) fn new(state: ClockState) -> Self {
        Self {
            state,
            started: Instant::now(),
        }
    }

    /// The emulator's current time.
    pub(crate) fn now(&self) -> OffsetDateTime {
        let elapsed =
            time::Duration::try_from(self.started.elapsed()).unwrap_or(time::Duration::ZERO);
        self.state.base + elapsed + time::Duration::seconds(self.state.offset_seconds)
    }

    /// Moves the clock forward by `seconds`.
    pub(crate) fn advance(&mut self, seconds: i64) {
        self.state.offset_seconds = self.state.offset_seconds.saturating_add(seconds);
    }

    /// The state to persist: the base is moved to "now minus offset", so a restarted
    /// process resumes at the time it stopped (time does not pass while it is down).
    pub(crate) fn snapshot(&self) -> ClockState {
        ClockState {
            base: self.now() - time::Duration::seconds(self.state.offset_seconds),
            offset_seconds: self.state.offset_seconds,
        }
    }
}
