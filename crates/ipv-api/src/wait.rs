//! Waiting for an asynchronous order to finish.
//!
//! Opens, renewals and releases return an order number at once; the order then moves
//! pending -> processing -> succeeded / failed / partly done. [`Client::wait_for_order`]
//! polls `order` with growing intervals until the status is final or a deadline
//! passes, and returns the order with all its instances (every page).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use ipv_types::{Order, OrderRequest};

use crate::client::Client;
use crate::error::Error;
use crate::paginate::order_capacity;
use crate::validate::MAX_PAGE_SIZE;

/// The shortest pause between two polls: shorter intervals in [`WaitOptions`] (a zero
/// included) are raised to it, so a wait never busy-polls the platform.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Called with the order after every successful poll (a CLI shows progress with it).
pub type ProgressFn = Arc<dyn Fn(&Order) + Send + Sync>;

/// How [`Client::wait_for_order`] polls.
///
/// ```
/// use std::time::Duration;
/// use ipv_api::WaitOptions;
///
/// let options = WaitOptions::default()
///     .with_deadline(Duration::from_secs(60))
///     .with_intervals(Duration::from_millis(500), Duration::from_secs(5))
///     .on_progress(|order| eprintln!("order {} is {}", order.order_no, order.status));
/// assert_eq!(options.deadline, Duration::from_secs(60));
/// ```
#[derive(Clone)]
pub struct WaitOptions {
    /// How long to wait in all before giving up with [`Error::WaitTimedOut`]. A poll
    /// that is in flight at the deadline is allowed to finish (it is bounded by the
    /// client's own timeout).
    pub deadline: Duration,
    /// The pause after the first poll; it doubles after every poll. At least
    /// [`MIN_POLL_INTERVAL`] (a shorter one is raised to it).
    pub initial_interval: Duration,
    /// The longest pause between polls (at least [`MIN_POLL_INTERVAL`] too).
    pub max_interval: Duration,
    /// Called with the order after every successful poll.
    pub progress: Option<ProgressFn>,
}

impl Default for WaitOptions {
    /// 5 minutes in all, polling after 1 s, 2 s, 4 s, … at most every 15 s.
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(300),
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(15),
            progress: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("deadline", &self.deadline)
            .field("initial_interval", &self.initial_interval)
            .field("max_interval", &self.max_interval)
            .field("progress", &self.progress.as_ref().map(|_| "Fn(&Order)"))
            .finish()
    }
}

impl WaitOptions {
    /// Sets the overall deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the first pause and the longest pause between polls.
    #[must_use]
    pub fn with_intervals(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_interval = initial;
        self.max_interval = max.max(initial);
        self
    }

    /// Calls `progress` with the order after every successful poll.
    #[must_use]
    pub fn on_progress(mut self, progress: impl Fn(&Order) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

impl Client {
    /// Polls order `order_no` until it is succeeded, failed or partly done, and returns
    /// it with all its instances.
    ///
    /// Pauses between polls are never shorter than [`MIN_POLL_INTERVAL`]. The instances
    /// collected are bounded by what the order can hold (its `count`): an order whose
    /// answer reports or lists more instances than that is not believed.
    ///
    /// Failures that may pass (transport, timeouts, HTTP 429/5xx, code 500), left over
    /// after the client's own retries, do not end the wait: the next poll tries again.
    ///
    /// # Errors
    /// [`Error::WaitTimedOut`] with the last status seen when the deadline passes; any
    /// other error of a poll (such as `ApiCode::OrderNotFound`) at once.
    pub async fn wait_for_order(
        &self,
        order_no: &str,
        options: WaitOptions,
    ) -> Result<Order, Error> {
        let started = tokio::time::Instant::now();
        let request = OrderRequest::new(order_no).with_page(1, MAX_PAGE_SIZE);
        let max_interval = options.max_interval.max(MIN_POLL_INTERVAL);
        let mut interval = options
            .initial_interval
            .clamp(MIN_POLL_INTERVAL, max_interval);
        let mut last_status = None;
        loop {
            match self.order(&request).await {
                Ok(order) => {
                    last_status = Some(order.status);
                    if let Some(progress) = &options.progress {
                        progress(&order);
                    }
                    if order.status.is_final() {
                        return self.with_all_instances(order).await;
                    }
                }
                Err(error) if error.is_retryable() => {
                    tracing::debug!(order_no, error = %error, "order poll failed; polling again");
                }
                Err(error) => return Err(error),
            }
            let elapsed = started.elapsed();
            if elapsed >= options.deadline {
                return Err(Error::WaitTimedOut {
                    order_no: order_no.to_owned(),
                    last_status,
                    waited: elapsed,
                });
            }
            // The last pause is cut short so that one final poll happens at the deadline.
            tokio::time::sleep(interval.min(options.deadline - elapsed)).await;
            interval = interval.saturating_mul(2).min(max_interval);
        }
    }

    /// `order` with the instances of every page, when the first page did not hold them
    /// all; never more instances than the order can hold.
    async fn with_all_instances(&self, mut order: Order) -> Result<Order, Error> {
        let capacity = order_capacity(order.count);
        let total = u64::try_from(order.total).unwrap_or(0);
        let listed = order.instances.len() as u64;
        if total > capacity || listed > capacity {
            return Err(Error::Pagination {
                endpoint: "order",
                reason: format!(
                    "order {} reports {} instances, more than the {capacity} it can hold; not believed",
                    order.order_no,
                    total.max(listed)
                ),
            });
        }
        if total > listed {
            order.instances = self
                .order_instances(order.order_no.clone())
                .try_collect()
                .await?;
        }
        Ok(order)
    }
}
