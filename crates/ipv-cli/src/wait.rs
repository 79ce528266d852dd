//! `--wait`: following an order until it is final with `Client::wait_for_order`,
//! showing its status in a spinner on stderr (nothing when stderr is not a terminal).

use std::time::Duration;

use ipv_api::WaitOptions;
use ipv_types::{Order, OrderReceipt, OrderStatus};

use crate::failure::CmdResult;
use crate::session::{Session, api_failure};

/// How long `--wait` waits by default.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// Waits for the order named by `receipt` to be final, checks it is the order `intent`
/// asked for, and returns it with all its instances. Polls quickly at first (the emulator finishes in milliseconds), then
/// backs off to every 2 s for a real platform.
pub(crate) async fn follow_order(
    session: &Session,
    receipt: &OrderReceipt,
    intent: &ipv_api::PurchaseIntent,
    limit: Option<Duration>,
) -> CmdResult<Order> {
    let order_no = crate::output::neutralise(&receipt.order_no).into_owned();
    let bar = crate::progress::spinner(format!("order {order_no}: placed"));
    let shown = bar.clone();
    let options = WaitOptions::default()
        .with_deadline(limit.unwrap_or(DEFAULT_WAIT))
        .with_intervals(Duration::from_millis(25), Duration::from_secs(2))
        .on_progress(move |order: &Order| {
            let status: OrderStatus = order.status;
            shown.set_message(format!(
                "order {order_no}: {}",
                crate::names::display(status)
            ));
        });
    let result = session
        .client()
        .wait_for_purchase(receipt, intent, options)
        .await
        .map_err(api_failure);
    bar.finish_and_clear();
    result
}
