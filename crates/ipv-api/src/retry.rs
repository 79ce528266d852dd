//! How failed calls are retried: bounded attempts, exponential backoff with full jitter.
//!
//! Only failures that may pass when the same request is sent again are retried:
//! transport errors (connect, timeout, I/O), the per-request timeout, HTTP 429 and
//! 5xx, and API code 500. The reqId and the sealed body are byte-identical on every
//! attempt, so the platform sees one logical request.
//!
//! Why purchases are safe to retry: `open_instances`, `renew_instances` and friends
//! carry the caller's own order number (`appOrderNo`, or `orderNo` for releases) and
//! the same reqId on every attempt; the platform de-duplicates on them, so a purchase
//! whose response was lost is not made twice. Endpoints that are not safe to repeat
//! (see [`Endpoint::IDEMPOTENT`](crate::Endpoint::IDEMPOTENT)) are retried only when
//! the request certainly was not processed (a connect failure or HTTP 429), unless
//! [`RetryPolicy::with_retry_non_idempotent`] opts in.

use std::time::Duration;

use rand::Rng as _;

/// Retry settings of a [`Client`](crate::Client).
///
/// ```
/// use std::time::Duration;
/// use ipv_api::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_backoff(Duration::from_millis(100), Duration::from_secs(2));
/// assert_eq!(policy.max_attempts(), 5);
/// assert!(policy.backoff(3) <= Duration::from_millis(400));
/// assert_eq!(RetryPolicy::none().max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_backoff: Duration,
    max_backoff: Duration,
    retry_non_idempotent: bool,
}

/// Default number of attempts (the first one included).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Default backoff ceiling before the first retry; it doubles per retry.
pub const DEFAULT_BASE_BACKOFF: Duration = Duration::from_millis(200);
/// Default cap on the backoff ceiling.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(5);

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            base_backoff: DEFAULT_BASE_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// The default policy: 3 attempts, 200 ms doubling to at most 5 s, full jitter.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// No retries: every call is attempted once.
    #[must_use]
    pub fn none() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Attempts per call, the first included (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The backoff ceiling before the first retry (`base`, doubling per retry) and its
    /// cap (`max`). The actual wait is uniform in `0..=ceiling` (full jitter).
    #[must_use]
    pub fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_backoff = base;
        self.max_backoff = max.max(base);
        self
    }

    /// Also retry endpoints that are not safe to repeat after the request may have
    /// been processed, trusting the platform's de-duplication by reqId.
    #[must_use]
    pub fn with_retry_non_idempotent(mut self, enabled: bool) -> Self {
        self.retry_non_idempotent = enabled;
        self
    }

    /// Attempts per call, the first included.
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether non-idempotent endpoints are retried after they may have been processed.
    #[must_use]
    pub fn retries_non_idempotent(&self) -> bool {
        self.retry_non_idempotent
    }

    /// The most the client waits before retry number `retry` (1 = the first retry):
    /// `base x 2^(retry-1)`, capped at `max`.
    #[must_use]
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.base_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }

    /// A jittered wait before retry number `retry`: uniform in `0..=backoff_ceiling`.
    #[must_use]
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_and_cap() {
        let p = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(1000));
        let ceilings: Vec<_> = (1..=6).map(|r| p.backoff_ceiling(r).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(p.backoff_ceiling(u32::MAX), Duration::from_millis(1000));
        for retry in 1..=6 {
            for _ in 0..50 {
                assert!(p.backoff(retry) <= p.backoff_ceiling(retry));
            }
        }
    }

    #[test]
    fn attempts_are_at_least_one() {
        assert_eq!(
            RetryPolicy::default().with_max_attempts(0).max_attempts(),
            1
        );
        assert_eq!(RetryPolicy::default().max_attempts(), 3);
        let zero = RetryPolicy::default().with_backoff(Duration::ZERO, Duration::ZERO);
        assert_eq!(zero.backoff(3), Duration::ZERO);
    }
}
