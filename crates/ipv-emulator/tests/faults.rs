//! Faults: responses dropped after the request was applied, with the client retrying.

mod common;

use std::time::Duration;

use ipv_api::RetryPolicy;
use ipv_emulator::{DEFAULT_APP_KEY, DEFAULT_APP_SECRET, FaultConfig, OrderSchedule};
use ipv_types::{Money, OpenInstancesRequest, OpenParam, OrderStatus};

use common::{client_for, config, start};

const PURCHASES: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_responses_never_double_charge() {
    let emu = start(config().with_order_schedule(OrderSchedule {
        to_processing: Duration::from_millis(5),
        to_done: Duration::from_millis(5),
    }))
    .await;
    let control = emu.control();
    control
        .set_faults(FaultConfig {
            drop_after_apply_rate: 0.3,
            seed: 20_261_128,
            ..FaultConfig::none()
        })
        .expect("faults");
    let api = client_for(
        &emu,
        DEFAULT_APP_KEY,
        DEFAULT_APP_SECRET,
        RetryPolicy::new()
            .with_max_attempts(15)
            .with_backoff(Duration::from_millis(2), Duration::from_millis(40)),
    );

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..PURCHASES {
        let api = api.clone();
        tasks.spawn(async move {
            let request = OpenInstancesRequest::new(
                format!("FAULT-{i:04}"),
                vec![OpenParam::by_product("ipv_dc_us_lax_m", 1, 1)],
            );
            api.send_with_meta(&request).await
        });
    }
    let mut order_nos = std::collections::BTreeSet::new();
    let mut attempts = 0u32;
    while let Some(joined) = tasks.join_next().await {
        let reply = joined
            .expect("task")
            .expect("every purchase succeeds in the end");
        assert_eq!(reply.value.amount.to_string(), "4.50");
        attempts += reply.attempts;
        order_nos.insert(reply.value.order_no);
    }
    control.set_faults(FaultConfig::none()).expect("faults off");
    let _ = control.process_orders();

    let summary = control.summary();
    let app = &summary.apps[0];
    let drops = summary.faults.dropped_after_apply;
    let replays = summary.faults.replays;
    println!(
        "fault run: purchases={PURCHASES} orders={} charges={} drops={drops} replays={replays} client attempts={attempts}",
        app.orders, app.charges
    );
    assert_eq!(order_nos.len(), PURCHASES, "one order number per purchase");
    assert_eq!(app.orders, PURCHASES, "exactly N orders");
    assert_eq!(app.charges, PURCHASES, "exactly N charges");
    assert_eq!(app.orders_by_status.get("succeeded"), Some(&PURCHASES));
    assert!(drops >= 30, "about 30% of answers were dropped ({drops})");
    assert!(replays >= 1, "retries were answered from the reqId cache");
    assert_eq!(
        u64::from(attempts),
        PURCHASES as u64 + drops,
        "one retry per dropped answer"
    );
    let expected = Money::from_int(10_000) - "4.50".parse::<Money>().expect("money") * 200i64;
    assert_eq!(app.balance, expected);
    assert_eq!(app.live_instances, PURCHASES);
    control.check_invariants().expect("invariants");
    let _ = OrderStatus::Succeeded;
    emu.shutdown().await;
}
