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

#[tokio::test]
async fn the_state_file_is_private_and_keeps_no_secret() {
    use ipv_emulator::{AppConfig, StartError};

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let secret = "PeRsIsTsEcReT-0123456789abcdefgh";
    let app = AppConfig::new("AK_PERSIST_SECRET", secret, "persisted", "100.00");
    let cfg = || config().with_apps(vec![app.clone()]).with_state_file(&path);

    let first = start(cfg()).await;
    let api = common::client_for(
        &first,
        "AK_PERSIST_SECRET",
        secret,
        ipv_api::RetryPolicy::none(),
    );
    api.open_instances(&OpenInstancesRequest::new(
        "SECRET-1",
        vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
    ))
    .await
    .expect("open");
    let before = first.control().summary();
    first.shutdown().await;

    let bytes = std::fs::read(&path).expect("the state file");
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(secret), "the secret is not in the file");
    assert!(
        !bytes.windows(16).any(|w| w == &secret.as_bytes()[..16]),
        "not even a part of it"
    );
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let stored = &value["apps"]["AK_PERSIST_SECRET"]["config"];
    assert!(stored.get("appKey").is_some(), "{stored}");
    assert!(
        stored.get("secret").is_none(),
        "no secret field at all: {stored}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }

    // Without the app (and so its secret) configured again, the file is refused, and
    // the message says what to do.
    let refused = ipv_emulator::Emulator::start(
        config().with_state_file(&path),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect_err("an app without its secret");
    let message = refused.to_string();
    assert!(matches!(refused, StartError::StateFile(_)), "{message}");
    assert!(message.contains("AK_PERSIST_SECRET"), "{message}");
    assert!(message.contains("secret"), "{message}");

    // With the secret passed again, everything is back and the app answers.
    let second = start(cfg()).await;
    assert_eq!(second.control().summary().apps, before.apps);
    let api = common::client_for(
        &second,
        "AK_PERSIST_SECRET",
        secret,
        ipv_api::RetryPolicy::none(),
    );
    let info = api
        .app_info()
        .await
        .expect("the app answers after a restart");
    assert_eq!(info.coin, before.apps[0].balance);
    second.shutdown().await;
}

#[tokio::test]
async fn requests_go_on_while_the_state_file_is_slow_and_the_last_state_is_flushed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let first = start(config().with_state_file(&path)).await;
    let api = client(&first);
    let control = first.control();
    // Let the initial snapshot reach the disk, then stall the writer as a slow disk would.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !path.exists() {
        assert!(tokio::time::Instant::now() < deadline, "no initial write");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let written_before = std::fs::read(&path).expect("state");
    let hold = control.hold_state_writes().await;
    // Requests are answered while no write can finish (each within a generous bound).
    for i in 0..5 {
        tokio::time::timeout(
            Duration::from_secs(15),
            api.open_instances(&OpenInstancesRequest::new(
                format!("SLOW-{i}"),
                vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
            )),
        )
        .await
        .expect("answered while the writer is held")
        .expect("open");
    }
    assert_eq!(control.summary().apps[0].orders, 5);
    assert_eq!(
        std::fs::read(&path).expect("state"),
        written_before,
        "nothing was written while held"
    );
    let before = control.summary();
    drop(hold);
    // Shutdown flushes the latest snapshot; a restart sees all five orders.
    first.shutdown().await;
    let second = start(config().with_state_file(&path)).await;
    assert_eq!(second.control().summary().apps, before.apps);
    assert_eq!(second.control().summary().apps[0].orders, 5);
    second.shutdown().await;
}
