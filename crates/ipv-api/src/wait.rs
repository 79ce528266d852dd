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
use ipv_types::{
    AfterSaleReleaseRequest, OpenAssignedIpRequest, OpenInstancesRequest, Order, OrderReceipt,
    OrderRequest, OrderType, ReleaseInstancesRequest, RenewInstancesRequest,
};

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

/// What a purchase asked for, to hold the order the platform answers with against it.
///
/// The platform de-duplicates purchases on the caller's order number: a second purchase
/// under a number already used is answered with the first order, whatever it asks for.
/// [`Client::wait_for_purchase`] compares the order it fetches with this intent and
/// refuses an order that is not what was sent ([`Error::OrderReused`]). What the
/// order shows is compared: its type, the products of its instances, its count (for
/// opens of static products), the instances renewed or released, and, for opens by
/// product, the periods each new instance runs (read from its expiry). See
/// `docs/protocol.md` for what cannot be compared.
///
/// ```
/// use ipv_api::PurchaseIntent;
/// use ipv_types::{OpenInstancesRequest, OpenParam};
///
/// let request = OpenInstancesRequest::new("shop-1", vec![OpenParam::by_product("P1", 2, 1)]);
/// let intent = PurchaseIntent::from(&request);
/// assert_eq!(intent.app_order_no(), "shop-1");
/// assert_eq!(intent.to_string(), "a new order of 2 instance(s) of P1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseIntent {
    order_type: OrderType,
    app_order_no: String,
    /// Product numbers named; empty when the open chose by filters.
    products: Vec<String>,
    /// Instances the order should count, when that is known.
    count: Option<i64>,
    /// Instances renewed or released.
    instances: Vec<String>,
    /// Opens by product: the periods (`cycleTimes`) bought of each product, where one
    /// number holds for all its items.
    periods: Vec<(String, u32)>,
}

impl PurchaseIntent {
    /// The caller's order number of the purchase.
    #[must_use]
    pub fn app_order_no(&self) -> &str {
        &self.app_order_no
    }

    fn new(order_type: OrderType, app_order_no: &str) -> Self {
        Self {
            order_type,
            app_order_no: app_order_no.to_owned(),
            products: Vec::new(),
            count: None,
            instances: Vec::new(),
            periods: Vec::new(),
        }
    }

    fn with_instances<'a>(mut self, instances: impl IntoIterator<Item = &'a String>) -> Self {
        self.instances = instances.into_iter().cloned().collect();
        self.instances.sort();
        self.instances.dedup();
        self.count = i64::try_from(self.instances.len()).ok();
        self
    }

    /// Why `order` is not the order this purchase asked for, if it is not.
    ///
    /// # Errors
    /// [`Error::OrderReused`] naming what was sent and what the order holds.
    pub fn check(&self, order: &Order) -> Result<(), Error> {
        let mut products: Vec<&str> = order
            .instances
            .iter()
            .map(|i| i.product_no.as_str())
            .filter(|p| !p.is_empty())
            .collect();
        products.sort_unstable();
        products.dedup();
        let mut instances: Vec<&str> = order
            .instances
            .iter()
            .map(|i| i.instance_no.as_str())
            .collect();
        instances.sort_unstable();
        instances.dedup();
        let wrong_type = order.order_type.normalized() != self.order_type;
        let wrong_product = !self.products.is_empty()
            && products
                .iter()
                .any(|p| !self.products.iter().any(|s| s == p));
        let wrong_count = self
            .count
            .is_some_and(|c| order.count != 0 && order.count != c);
        let wrong_instances = !self.instances.is_empty()
            && !instances.is_empty()
            && instances
                .iter()
                .copied()
                .ne(self.instances.iter().map(String::as_str));
        if wrong_type || wrong_product || wrong_count || wrong_instances {
            let found = describe(order.order_type, order.count, &products, &instances);
            return Err(Error::order_reused(
                &self.app_order_no,
                &order.order_no,
                self.to_string(),
                &found,
            ));
        }
        Ok(())
    }
}

fn describe(order_type: OrderType, count: i64, products: &[&str], instances: &[&str]) -> String {
    let kind = match order_type.normalized() {
        OrderType::New => "a new order".to_owned(),
        OrderType::Renew => "a renewal".to_owned(),
        OrderType::Release => "a release".to_owned(),
        other => format!("an order of type {}", other.as_i64()),
    };
    let mut text = format!("{kind} of {count} instance(s)");
    if !products.is_empty() {
        text.push_str(&format!(" of {}", products.join(", ")));
    }
    if !instances.is_empty() && order_type.normalized() != OrderType::New {
        text.push_str(&format!(" ({})", instances.join(", ")));
    }
    text
}

/// How many periods (`duration` x `unit`) an instance opened at `opened` and expiring at
/// `expires` (unix seconds) runs, to the nearest; `None` when there is no telling (an
/// unlimited or unknown unit, a period of zero).
fn periods_run(
    opened: time::OffsetDateTime,
    expires: i64,
    unit: ipv_types::Unit,
    duration: u32,
) -> Option<i64> {
    let one = crate::expiry::expires_at(opened, unit, duration, 1).ok()??;
    let period = (one - opened).whole_seconds();
    if period <= 0 || expires <= 0 {
        return None;
    }
    let run = expires - opened.unix_timestamp();
    // Calendar months differ by up to three days: round to the nearest period.
    Some((run + period / 2) / period)
}

impl fmt::Display for PurchaseIntent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let products: Vec<&str> = self.products.iter().map(String::as_str).collect();
        let instances: Vec<&str> = self.instances.iter().map(String::as_str).collect();
        match self.count {
            Some(count) => f.write_str(&describe(self.order_type, count, &products, &instances)),
            None => {
                let text = describe(self.order_type, 0, &products, &instances);
                f.write_str(&text.replacen(" of 0 instance(s)", "", 1))
            }
        }
    }
}

impl From<&OpenInstancesRequest> for PurchaseIntent {
    fn from(request: &OpenInstancesRequest) -> Self {
        let mut intent = Self::new(OrderType::New, &request.app_order_no);
        let by_product = request.params.iter().all(|p| p.is_by_product());
        if by_product {
            let mut products: Vec<String> = request
                .params
                .iter()
                .filter_map(|p| p.product_no.clone())
                .collect();
            products.sort();
            products.dedup();
            intent.products = products;
        }
        // Flow purchases count something else than instances; static ones count them.
        let static_only = request
            .params
            .iter()
            .all(|p| p.flow.is_none() && p.app_username.is_none());
        if static_only {
            intent.count = Some(request.params.iter().map(|p| i64::from(p.count)).sum());
            if by_product {
                for product in &intent.products {
                    let mut cycles = request
                        .params
                        .iter()
                        .filter(|p| p.product_no.as_ref() == Some(product))
                        .map(|p| p.cycle_times);
                    let first = cycles.next();
                    if let Some(first) = first.filter(|c| cycles.all(|other| other == *c)) {
                        intent.periods.push((product.clone(), first));
                    }
                }
            }
        }
        intent
    }
}

impl From<&OpenAssignedIpRequest> for PurchaseIntent {
    fn from(request: &OpenAssignedIpRequest) -> Self {
        let mut intent = Self::new(OrderType::New, &request.app_order_no);
        intent.products = vec![request.product_no.clone()];
        intent.count = Some(1);
        intent.periods = vec![(request.product_no.clone(), request.cycle_times)];
        intent
    }
}

impl From<&RenewInstancesRequest> for PurchaseIntent {
    fn from(request: &RenewInstancesRequest) -> Self {
        Self::new(OrderType::Renew, &request.app_order_no)
            .with_instances(request.instances.iter().map(|i| &i.instance_no))
    }
}

impl From<&ReleaseInstancesRequest> for PurchaseIntent {
    fn from(request: &ReleaseInstancesRequest) -> Self {
        Self::new(OrderType::Release, &request.order_no).with_instances(&request.instances)
    }
}

impl From<&AfterSaleReleaseRequest> for PurchaseIntent {
    fn from(request: &AfterSaleReleaseRequest) -> Self {
        Self::new(OrderType::Release, &request.order_no).with_instances(&request.instances)
    }
}

impl Client {
    /// Waits for the order a purchase's `receipt` names, as [`Client::wait_for_order`],
    /// and checks that it is the order `intent` asked for: every poll must answer with
    /// the receipt's `orderNo` and the purchase's own order number, and the final order
    /// must hold what was bought (see [`PurchaseIntent`]).
    ///
    /// # Errors
    /// As [`Client::wait_for_order`]; [`Error::OrderMismatch`] when the receipt names
    /// another caller's order number, [`Error::WrongOrder`] when a poll answers with
    /// another order, and [`Error::OrderReused`] when the order is not what was sent.
    pub async fn wait_for_purchase(
        &self,
        receipt: &OrderReceipt,
        intent: &PurchaseIntent,
        options: WaitOptions,
    ) -> Result<Order, Error> {
        if receipt.app_order_no != intent.app_order_no {
            return Err(Error::order_mismatch(
                &intent.app_order_no,
                &receipt.app_order_no,
                &receipt.order_no,
                "-",
            ));
        }
        let mut request = OrderRequest::new(receipt.order_no.clone()).with_page(1, MAX_PAGE_SIZE);
        request.app_order_no = Some(intent.app_order_no.clone());
        let order = self.wait_with(&request, options).await?;
        intent.check(&order)?;
        self.check_periods(intent, &order).await?;
        Ok(order)
    }

    /// For an open by product: each new instance must run for the periods bought, within
    /// half a period (its expiry against its opening, by the product's unit and
    /// duration). The product is read once; when it cannot be read, or an instance has
    /// no opening time, there is nothing to compare and the check passes.
    async fn check_periods(&self, intent: &PurchaseIntent, order: &Order) -> Result<(), Error> {
        for (product_no, cycles) in &intent.periods {
            let bought: Vec<&ipv_types::Instance> = order
                .instances
                .iter()
                // A renewed instance runs longer than it was bought for.
                .filter(|i| i.product_no == *product_no && i.open_at.is_some())
                .filter(|i| i.renew_at.is_none())
                .collect();
            if bought.is_empty() {
                continue;
            }
            let product = match self
                .product(&ipv_types::ProductRequest::new(product_no.clone()))
                .await
            {
                Ok(product) => product,
                Err(error) => {
                    tracing::debug!(product_no, error = %error, "no product to compare periods with");
                    continue;
                }
            };
            let Ok(duration) = u32::try_from(product.duration) else {
                continue;
            };
            for instance in bought {
                let Some(opened) = instance.open_at else {
                    continue;
                };
                let found = periods_run(opened, instance.user_expired, product.unit, duration);
                if let Some(found) = found
                    && found != i64::from(*cycles)
                {
                    return Err(Error::order_reused(
                        &intent.app_order_no,
                        &order.order_no,
                        format!("{intent} for {cycles} period(s)"),
                        &format!(
                            "{} instance {} of {product_no} bought for {found} period(s)",
                            describe(order.order_type, order.count, &[], &[]),
                            instance.instance_no
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

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
        let request = OrderRequest::new(order_no).with_page(1, MAX_PAGE_SIZE);
        self.wait_with(&request, options).await
    }

    /// Polls the order `request` asks for (every answer is checked to be that order).
    async fn wait_with(
        &self,
        request: &OrderRequest,
        options: WaitOptions,
    ) -> Result<Order, Error> {
        let order_no = request.order_no.as_str();
        let started = tokio::time::Instant::now();
        let max_interval = options.max_interval.max(MIN_POLL_INTERVAL);
        let mut interval = options
            .initial_interval
            .clamp(MIN_POLL_INTERVAL, max_interval);
        let mut last_status = None;
        loop {
            match self.order(request).await {
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
