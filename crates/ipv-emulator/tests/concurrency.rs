//! Many clients at once, mixing purchases that run out of stock, renewals, releases and
//! reads: no invariant ever breaks, stock never goes negative, and every address is
//! accounted for.

mod common;

use std::time::Duration;

use ipv_emulator::OrderSchedule;
use ipv_types::*;

use common::{client, config, start};

const PRODUCT: &str = "ipv_res_br_sao_m";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_concurrent_clients_keep_the_books() {
    let emu = start(config().with_order_schedule(OrderSchedule {
        to_processing: Duration::from_millis(2),
        to_done: Duration::from_millis(3),
    }))
    .await;
    let control = emu.control();
    let initial_stock = 60;

    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let api = client(&emu);
        tasks.spawn(async move {
            let mut opened = 0u32;
            let mut refused = 0u32;
            for round in 0..5 {
                let receipt = api
                    .open_instances(&OpenInstancesRequest::new(
                        format!("MIX-{worker}-{round}"),
                        vec![OpenParam::by_product(PRODUCT, 2, 1)],
                    ))
                    .await;
                let Ok(receipt) = receipt else {
                    refused += 1;
                    continue;
                };
                opened += 1;
                let order = api
                    .wait_for_order(
                        &receipt.order_no,
                        ipv_api::WaitOptions::default()
                            .with_deadline(Duration::from_secs(20))
                            .with_intervals(Duration::from_millis(2), Duration::from_millis(20)),
                    )
                    .await
                    .expect("order completes");
                let Some(first) = order.instances.first() else {
                    continue;
                };
                if round % 2 == 0 {
                    api.release_instances(&ReleaseInstancesRequest::new(
                        format!("MIX-REL-{worker}-{round}"),
                        [&first.instance_no],
                    ))
                    .await
                    .expect("release");
                } else {
                    api.renew_instances(&RenewInstancesRequest::new(
                        format!("MIX-REN-{worker}-{round}"),
                        vec![RenewItem::new(&first.instance_no, 1)],
                    ))
                    .await
                    .expect("renew");
                }
                let _ = api.app_info().await.expect("info");
            }
            (opened, refused)
        });
    }
    // Meanwhile, the invariants are checked again and again.
    let checker = {
        let control = control.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                control.check_invariants().expect("invariants hold mid-run");
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let mut opened = 0;
    while let Some(joined) = tasks.join_next().await {
        opened += joined.expect("worker").0;
    }
    checker.await.expect("checker");
    let _ = control.process_orders();
    control
        .check_invariants()
        .expect("invariants hold at the end");

    let summary = control.summary();
    let app = &summary.apps[0];
    let api = client(&emu);
    let product = api
        .product(&ProductRequest::new(PRODUCT))
        .await
        .expect("product");
    assert!(product.inventory >= 0);
    // Only this product is bought, so every live instance holds one of its addresses.
    let live_here = i64::try_from(app.live_instances).expect("count");
    let listed = api
        .instance_list(&InstanceListRequest::default())
        .await
        .expect("instances");
    assert_eq!(listed.total, i64::try_from(app.instances).expect("count"));
    assert_eq!(
        product.inventory + live_here,
        initial_stock,
        "every address accounted for"
    );
    assert!(opened > 0);
    assert!(app.orders_by_status.values().sum::<usize>() == app.orders);
    assert!(!app.orders_by_status.contains_key("pending"));
    emu.shutdown().await;
}
