//! `--wait`: following an order until it is final with `Client::wait_for_order`,
//! printing each status change on stderr.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipv_api::WaitOptions;
use ipv_types::{Order, OrderReceipt, OrderStatus};

use crate::failure::CmdResult;
use crate::session::{Session, api_failure};

/// How long `--wait` waits by default.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// Waits for the order named by `receipt` to be final and returns it with all its
/// instances. Polls quickly at first (the emulator finishes in milliseconds), then
/// backs off to every 2 s for a real platform.
pub(crate) async fn follow_order(
    session: &Session,
    receipt: &OrderReceipt,
    limit: Option<Duration>,
) -> CmdResult<Order> {
    let started = Instant::now();
    let last: Arc<Mutex<Option<OrderStatus>>> = Arc::new(Mutex::new(None));
    let options = WaitOptions::default()
        .with_deadline(limit.unwrap_or(DEFAULT_WAIT))
        .with_intervals(Duration::from_millis(25), Duration::from_secs(2))
        .on_progress(move |order: &Order| {
            let mut last = last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if *last != Some(order.status) {
                *last = Some(order.status);
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "… order {}: {} ({:.2}s)",
                    order.order_no,
                    order.status,
                    started.elapsed().as_secs_f64()
                );
            }
        });
    session
        .wait_for_order(&receipt.order_no, options)
        .await
        .map_err(api_failure)
}
