//! `--wait`: following an order until it is final, with progress on stderr.

use std::io::Write as _;
use std::time::{Duration, Instant};

use ipv_types::{Order, OrderReceipt, OrderRequest, OrderStatus};

use crate::failure::{CmdResult, Failure};
use crate::session::Session;

/// How long `--wait` waits by default.
pub(crate) const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// Polls the order named by `receipt` until its status is final, printing each status
/// change on stderr; returns the final order (its first page of instances, up to 100).
pub(crate) async fn follow_order(
    session: &Session,
    receipt: &OrderReceipt,
    limit: Option<Duration>,
) -> CmdResult<Order> {
    let limit = limit.unwrap_or(DEFAULT_WAIT);
    let started = Instant::now();
    let request = OrderRequest {
        order_no: receipt.order_no.clone(),
        app_order_no: None,
        page: 1,
        page_size: 100,
    };
    let mut last: Option<OrderStatus> = None;
    let mut pause = Duration::from_millis(25);
    loop {
        let order = session.send(&request).await?;
        if last != Some(order.status) {
            progress(&receipt.order_no, order.status, started.elapsed());
            last = Some(order.status);
        }
        if order.status.is_final() {
            return Ok(order);
        }
        if started.elapsed() + pause > limit {
            return Err(Failure::other(format!(
                "order {} was still {} after {:.1}s; follow it with `ipv order {}`",
                receipt.order_no,
                order.status,
                started.elapsed().as_secs_f64(),
                receipt.order_no
            )));
        }
        tokio::time::sleep(pause).await;
        // Quick at first (the emulator finishes in milliseconds), then gentle on a real
        // platform.
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}

fn progress(order_no: &str, status: OrderStatus, elapsed: Duration) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(
        stderr,
        "… order {order_no}: {status} ({:.2}s)",
        elapsed.as_secs_f64()
    );
}
