//! Identifiers this tool makes up when the user gives none.
//!
//! Both are letters and digits only (the strictest rule the API states, for `resetNo`:
//! at most 32 of `A-Za-z0-9_`), start with `ipv` so they are recognisable in the
//! platform's records, and carry the UTC time so they sort by creation.

use std::sync::atomic::{AtomicU32, Ordering};

/// A new `appOrderNo`, e.g. `ipv20261128223052a1b2c3d4`.
pub(crate) fn app_order_no() -> String {
    unique("ipv")
}

/// A new `resetNo` (same shape, 25 characters).
pub(crate) fn reset_no() -> String {
    unique("ipv")
}

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!("[year][month][day][hour][minute][second]");
    let stamp = now.format(&format).unwrap_or_default();
    // Random bits keep two processes apart; the counter keeps two calls in one process
    // apart even if the random source repeats.
    let noise = rand::random::<u32>() ^ COUNTER.fetch_add(1, Ordering::Relaxed).rotate_left(16);
    format!("{prefix}{stamp}{noise:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_alphanumeric_and_distinct() {
        let a = app_order_no();
        let b = app_order_no();
        assert_ne!(a, b);
        for id in [a, b, reset_no()] {
            assert!(id.len() <= 32, "{id}");
            assert!(id.starts_with("ipv"));
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
    }
}
