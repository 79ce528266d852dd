//! The full lifecycle with callbacks received by `ipv_api`'s `CallbackServer`, partial
//! delivery, failing products, expiry, and callbacks that fail half the time.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipv_api::callback::{CallbackReceiver, CallbackServer, Delivery, handler_fn};
use ipv_api::{Client, WaitOptions};
use ipv_emulator::{AppConfig, EmulatorHandle, FaultConfig, OrderSchedule};
use ipv_types::*;

use common::{client, config, start};

/// Handled callbacks, by the key of what was fetched (`order:<no>:<type>`,
/// `instance:<no>`, `product:<no>`), with how often the handler ran.
type Seen = Arc<Mutex<BTreeMap<String, u32>>>;

fn key(delivery: &Delivery) -> String {
    delivery
        .fetched
        .as_ref()
        .expect("a verifying receiver fetches what each callback names")
        .key()
}

/// An emulator whose app sends callbacks to a verifying `CallbackServer` (re-fetching
/// through its own `Client`) whose handler records every run; with `flaky`, the first
/// run for each key fails and the platform has to call again.
async fn emulator_with_callbacks(
    flaky: bool,
    schedule: OrderSchedule,
) -> (EmulatorHandle, CallbackServer, Seen, Seen) {
    let emu = start(config().with_order_schedule(schedule)).await;
    let handled: Seen = Arc::default();
    let failed: Seen = Arc::default();
    let (h, f) = (handled.clone(), failed.clone());
    let handler = handler_fn(move |delivery: Delivery| {
        let (handled, failed) = (h.clone(), f.clone());
        async move {
            let k = key(&delivery);
            if flaky {
                let mut failed = failed.lock().expect("lock");
                let runs = failed.entry(k.clone()).or_insert(0);
                if *runs == 0 {
                    *runs += 1;
                    return Err("temporarily unavailable");
                }
            }
            *handled.lock().expect("lock").entry(k).or_insert(0) += 1;
            Ok(())
        }
    });
    let receiver = CallbackReceiver::new(client(&emu), handler);
    let server = CallbackServer::bind("127.0.0.1:0", receiver)
        .await
        .expect("callback server binds");
    emu.control()
        .upsert_app(
            AppConfig::default_app()
                .with_callback_url(format!("http://{}/ipv/callback", server.local_addr())),
        )
        .expect("callback URL set");
    (emu, server, handled, failed)
}

fn waiting() -> WaitOptions {
    WaitOptions::default()
        .with_deadline(Duration::from_secs(20))
        .with_intervals(Duration::from_millis(10), Duration::from_millis(50))
}

async fn settle(emu: &EmulatorHandle) {
    assert!(
        emu.control()
            .wait_for_callbacks(Duration::from_secs(20))
            .await,
        "callbacks drain"
    );
}

fn order_key(order_no: &str, op: OrderType) -> String {
    format!("{}:{}:{}", CallbackKind::Order, order_no, op.as_i64())
}

#[tokio::test]
async fn full_lifecycle_with_callbacks() {
    let (emu, server, handled, _) = emulator_with_callbacks(
        false,
        OrderSchedule {
            to_processing: Duration::from_millis(20),
            to_done: Duration::from_millis(30),
        },
    )
    .await;
    let api: Client = client(&emu);
    let control = emu.control();

    // Products.
    let products = api
        .products(
            &ProductsRequest::of_types([ProxyType::StaticResidentialAbroad]).in_country("JPN"),
        )
        .await
        .expect("products");
    let product = &products[0];
    assert_eq!(product.product_no, "ipv_res_jp_osa_m");

    // Open two instances and wait for the order.
    let receipt = api
        .open_instances(&OpenInstancesRequest::new(
            "LIFE-OPEN",
            vec![OpenParam::by_product(&product.product_no, 2, 1)],
        ))
        .await
        .expect("open");
    assert_eq!(receipt.amount.to_string(), "19.00");
    let opened = api
        .wait_for_order(&receipt.order_no, waiting())
        .await
        .expect("open completes");
    assert_eq!(opened.status, OrderStatus::Succeeded);
    assert_eq!(opened.instances.len(), 2);
    let (a, b) = (&opened.instances[0], &opened.instances[1]);

    // Instances.
    let listed = api
        .instances(&InstancesRequest::new([&a.instance_no, &b.instance_no]))
        .await
        .expect("instances");
    assert!(listed.iter().all(|i| i.status == InstanceStatus::Running));
    let first_expiry = listed[0].expires_at().expect("expiry");
    assert_eq!(first_expiry.date(), ::time::macros::date!(2025 - 02 - 28));

    // Renew `a` by 3 months: from its current expiry, by calendar months.
    let renew = api
        .renew_instances(&RenewInstancesRequest::new(
            "LIFE-RENEW",
            vec![RenewItem::new(&a.instance_no, 3)],
        ))
        .await
        .expect("renew");
    let renewed = api
        .wait_for_order(&renew.order_no, waiting())
        .await
        .expect("renew completes");
    assert_eq!(renewed.status, OrderStatus::Succeeded);
    let a_now = &api
        .instances(&InstancesRequest::new([&a.instance_no]))
        .await
        .expect("a")[0];
    assert_eq!(
        a_now.expires_at().expect("expiry").date(),
        ::time::macros::date!(2025 - 05 - 28)
    );

    // An hour later `b` is still inside its 24 h release window: released and refunded.
    control.advance_clock(3600).expect("advance");
    let release = api
        .release_instances(&ReleaseInstancesRequest::new(
            "LIFE-RELEASE",
            [&b.instance_no],
        ))
        .await
        .expect("release");
    assert_eq!(release.amount.to_string(), "9.50");
    let released = api
        .wait_for_order(&release.order_no, waiting())
        .await
        .expect("release completes");
    assert_eq!(released.instances[0].status, InstanceStatus::Released);

    // Four months later `a` has expired, and its release window is long closed.
    control.advance_clock(120 * 86_400).expect("advance");
    let a_late = &api
        .instances(&InstancesRequest::new([&a.instance_no]))
        .await
        .expect("a")[0];
    assert_eq!(a_late.status, InstanceStatus::Stopped);
    let err = api
        .release_instances(&ReleaseInstancesRequest::new(
            "LIFE-RELEASE-LATE",
            [&a.instance_no],
        ))
        .await
        .expect_err("window closed");
    assert_eq!(err.api_code(), Some(ApiCode::ReleaseWindowClosed));

    settle(&emu).await;
    let handled = handled.lock().expect("lock").clone();
    for (order_no, op) in [
        (&receipt.order_no, OrderType::New),
        (&renew.order_no, OrderType::Renew),
        (&release.order_no, OrderType::Release),
    ] {
        assert_eq!(
            handled.get(&order_key(order_no, op)),
            Some(&1),
            "{order_no}"
        );
    }
    let order_callbacks = handled.keys().filter(|k| k.starts_with("order:")).count();
    assert_eq!(order_callbacks, 3, "{handled:?}");
    assert!(handled.contains_key(&format!("instance:{}", a.instance_no)));
    assert!(handled.contains_key("product:ipv_res_jp_osa_m"));
    // The emulator's log: every order callback acknowledged on its first attempt.
    let log = control.callbacks();
    for order_no in [&receipt.order_no, &renew.order_no, &release.order_no] {
        let attempts: Vec<_> = log.iter().filter(|d| &d.no == order_no).collect();
        assert_eq!(attempts.len(), 1);
        assert!(attempts[0].acknowledged);
    }
    // 19.00 + 3 x 9.50 charged, 9.50 refunded.
    assert_eq!(control.summary().apps[0].balance.to_string(), "9962.00");
    control.check_invariants().expect("invariants");
    emu.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn flaky_receiver_and_duplicates_still_handle_each_callback_once() {
    let (emu, server, handled, failed) =
        emulator_with_callbacks(true, OrderSchedule::IMMEDIATE).await;
    let api = client(&emu);
    let control = emu.control();
    control
        .set_faults(FaultConfig {
            duplicate_callbacks: true,
            ..FaultConfig::none()
        })
        .expect("faults");
    let mut order_nos = Vec::new();
    for i in 0..20 {
        let receipt = api
            .open_instances(&OpenInstancesRequest::new(
                format!("FLAKY-{i}"),
                vec![OpenParam::by_product("ipv_dc_de_fra_m", 1, 1)],
            ))
            .await
            .expect("open");
        order_nos.push(receipt.order_no);
    }
    settle(&emu).await;

    let handled = handled.lock().expect("lock").clone();
    let failed = failed.lock().expect("lock").clone();
    for order_no in &order_nos {
        assert_eq!(
            handled.get(&order_key(order_no, OrderType::New)),
            Some(&1),
            "{order_no}"
        );
    }
    // Every order the handler saw, it handled exactly once, after failing once.
    // (Instance and product callbacks each announce a new change: a duplicate of one
    // runs the handler again, by design.)
    let orders = |seen: &BTreeMap<String, u32>| {
        seen.iter()
            .filter(|(k, _)| k.starts_with("order:"))
            .map(|(k, n)| (k.clone(), *n))
            .collect::<BTreeMap<_, _>>()
    };
    assert!(orders(&handled).values().all(|n| *n == 1), "{handled:?}");
    assert_eq!(orders(&handled).len(), orders(&failed).len());
    let summary = control.summary();
    assert!(summary.faults.duplicate_callbacks > 0);
    let log = control.callbacks();
    let failures = log.iter().filter(|d| !d.acknowledged).count();
    assert!(
        failures >= order_nos.len(),
        "the receiver refused first attempts"
    );
    assert!(
        log.iter().all(|d| d.attempt <= 2),
        "the second attempt always succeeds"
    );
    println!(
        "callbacks: {} handled keys, {} delivery attempts, {} refused, {} duplicates",
        handled.len(),
        log.len(),
        failures,
        summary.faults.duplicate_callbacks
    );
    emu.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn stock_runs_out_at_delivery_and_failing_products_refund() {
    let emu = start(config().with_order_schedule(OrderSchedule {
        to_processing: Duration::from_secs(60),
        to_done: Duration::from_secs(60),
    }))
    .await;
    let api = client(&emu);
    let control = emu.control();
    control.set_stock("ipv_res_gb_man_m", 3).expect("stock");
    // Both orders pass the stock check when placed; only 3 addresses exist at delivery.
    let first = api
        .open_instances(&OpenInstancesRequest::new(
            "PART-1",
            vec![OpenParam::by_product("ipv_res_gb_man_m", 2, 1)],
        ))
        .await
        .expect("first");
    let second = api
        .open_instances(&OpenInstancesRequest::new(
            "PART-2",
            vec![OpenParam::by_product("ipv_res_gb_man_m", 2, 1)],
        ))
        .await
        .expect("second");
    let pending = api
        .order(&OrderRequest::new(&first.order_no))
        .await
        .expect("order");
    assert_eq!(pending.status, OrderStatus::Pending);
    control.advance_clock(61).expect("advance");
    let processing = api
        .order(&OrderRequest::new(&first.order_no))
        .await
        .expect("order");
    assert_eq!(processing.status, OrderStatus::Processing);
    control.advance_clock(60).expect("advance");
    let done_first = api
        .order(&OrderRequest::new(&first.order_no))
        .await
        .expect("order");
    let done_second = api
        .order(&OrderRequest::new(&second.order_no))
        .await
        .expect("order");
    assert_eq!(done_first.status, OrderStatus::Succeeded);
    assert_eq!(done_second.status, OrderStatus::PartlyDone);
    assert_eq!(done_second.instances.len(), 1);
    assert!(done_second.has_refund());
    let stock = api
        .product(&ProductRequest::new("ipv_res_gb_man_m"))
        .await
        .expect("product");
    assert_eq!(stock.inventory, 0);

    // A failing product: the order fails and is refunded in full.
    control
        .set_faults(FaultConfig {
            fail_products: vec!["ipv_dc_sg_d30".into()],
            ..FaultConfig::none()
        })
        .expect("faults");
    let doomed = api
        .open_instances(&OpenInstancesRequest::new(
            "DOOMED",
            vec![OpenParam::by_product("ipv_dc_sg_d30", 1, 1)],
        ))
        .await
        .expect("accepted");
    let _ = control.process_orders();
    let failed = api
        .order(&OrderRequest::new(&doomed.order_no))
        .await
        .expect("order");
    assert_eq!(failed.status, OrderStatus::Failed);
    assert!(failed.has_refund());

    // 8.00 x 4 charged, 8.00 refunded (one unit short); 6.00 charged and refunded.
    let summary = control.summary();
    assert_eq!(summary.apps[0].balance.to_string(), "9976.00");
    assert_eq!(summary.apps[0].orders_by_status.get("partlyDone"), Some(&1));
    control.check_invariants().expect("invariants");
    emu.shutdown().await;
}
