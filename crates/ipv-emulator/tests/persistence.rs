//! Persistence: stop and restart on the same state file; nothing is lost, and orders
//! in flight carry on.

mod common;

use std::time::Duration;

use ipv_emulator::OrderSchedule;
use ipv_types::{OpenInstancesRequest, OpenParam, OrderRequest, OrderStatus};

use common::{client, config, start};

#[tokio::test]
async fn restart_on_the_same_state_file_keeps_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("emulator-state.json");
    // Orders take an hour of emulator time: one will be in flight at the restart.
    let slow = OrderSchedule {
        to_processing: Duration::from_secs(1800),
        to_done: Duration::from_secs(1800),
    };

    let first = start(config().with_state_file(&path).with_order_schedule(slow)).await;
    let api = client(&first);
    let control = first.control();
    let mut receipts = Vec::new();
    for i in 0..3 {
        receipts.push(
            api.open_instances(&OpenInstancesRequest::new(
                format!("PERSIST-{i}"),
                vec![OpenParam::by_product("ipv_res_us_nyc_m", 1, 1)],
            ))
            .await
            .expect("open"),
        );
    }
    // Deliver the first two; leave the third pending.
    control.advance_clock(3600).expect("advance");
    let late = api
        .open_instances(&OpenInstancesRequest::new(
            "PERSIST-LATE",
            vec![OpenParam::by_product("ipv_res_us_nyc_m", 1, 1)],
        ))
        .await
        .expect("open late");
    let before = control.summary();
    let clock_before = control.clock();
    first.shutdown().await;
    assert!(path.exists());

    let second = start(config().with_state_file(&path).with_order_schedule(slow)).await;
    let api = client(&second);
    let control = second.control();
    let after = control.summary();
    assert_eq!(
        after.apps, before.apps,
        "balances, charges and orders survive"
    );
    assert_eq!(after.apps[0].orders, 4);
    assert!(control.clock().offset_seconds >= clock_before.offset_seconds);
    for receipt in &receipts {
        let order = api
            .order(&OrderRequest::new(&receipt.order_no))
            .await
            .expect("order");
        assert_eq!(order.status, OrderStatus::Succeeded);
        assert_eq!(order.instances.len(), 1);
    }
    let pending = api
        .order(&OrderRequest::new(&late.order_no))
        .await
        .expect("order");
    assert_eq!(pending.status, OrderStatus::Pending);
    // The in-flight order continues after the restart.
    control.advance_clock(3600).expect("advance");
    let done = api
        .order(&OrderRequest::new(&late.order_no))
        .await
        .expect("order");
    assert_eq!(done.status, OrderStatus::Succeeded);
    // The same appOrderNo still maps to the same order (and is not charged again).
    let again = api
        .open_instances(&OpenInstancesRequest::new(
            "PERSIST-0",
            vec![OpenParam::by_product("ipv_res_us_nyc_m", 1, 1)],
        ))
        .await
        .expect("idempotent open");
    assert_eq!(again.order_no, receipts[0].order_no);
    assert_eq!(control.summary().apps[0].charges, 4);
    control.check_invariants().expect("invariants");
    second.shutdown().await;
}

#[tokio::test]
async fn queued_callbacks_survive_a_restart() {
    use std::sync::{Arc, Mutex};

    use ipv_api::callback::{CallbackReceiver, CallbackServer, Delivery, handler_fn};
    use ipv_emulator::{AppConfig, CallbackPolicy};

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let receiver = {
        let seen = seen.clone();
        // What arrives is all this test checks: the query is believed as sent.
        CallbackReceiver::trusting_query(handler_fn(move |delivery: Delivery| {
            let seen = seen.clone();
            async move {
                seen.lock()
                    .expect("lock")
                    .push(delivery.callback.no.clone());
                Ok::<(), std::convert::Infallible>(())
            }
        }))
    };
    // Find a free port, then leave it closed: the first emulator cannot deliver.
    let probe = CallbackServer::bind("127.0.0.1:0", receiver.clone())
        .await
        .expect("bind");
    let addr = probe.local_addr();
    probe.shutdown().await;

    let app = AppConfig::default_app().with_callback_url(format!("http://{addr}/cb"));
    let patient = CallbackPolicy {
        max_attempts: 50,
        initial_backoff: Duration::from_secs(30),
        max_backoff: Duration::from_secs(30),
        timeout: Duration::from_secs(2),
    };
    let cfg = || {
        config()
            .with_apps(vec![app.clone()])
            .with_state_file(&path)
            .with_callback_policy(patient)
    };
    let first = start(cfg()).await;
    let receipt = client(&first)
        .open_instances(&OpenInstancesRequest::new(
            "CB-PERSIST",
            vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
        ))
        .await
        .expect("open");
    // Wait for the first (refused) attempt, then stop with the callback still queued.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !first
        .control()
        .callbacks()
        .iter()
        .any(|d| d.no == receipt.order_no)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivery attempt"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(first.control().summary().callbacks_pending > 0);
    first.shutdown().await;

    let server = CallbackServer::bind(addr, receiver).await.expect("rebind");
    let second = start(cfg()).await;
    assert!(
        second
            .control()
            .wait_for_callbacks(Duration::from_secs(20))
            .await,
        "the queued callbacks are delivered after the restart"
    );
    assert!(seen.lock().expect("lock").contains(&receipt.order_no));
    let log = second.control().callbacks();
    let order_attempts: Vec<_> = log.iter().filter(|d| d.no == receipt.order_no).collect();
    assert!(order_attempts.len() >= 2);
    assert!(!order_attempts[0].acknowledged);
    assert!(order_attempts.last().expect("attempt").acknowledged);
    second.shutdown().await;
    server.shutdown().await;
}
