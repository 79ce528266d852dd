//! Revalidation: drift counted for what changed without a callback, then none; one
//! pass at a time across processes.

mod common;

use std::time::Duration;

use ipv_sync::{BackfillOptions, RevalidateOptions, SyncError};
use ipv_types::{OpenInstancesRequest, OpenParam, OrderRequest, ReleaseInstancesRequest};

// needs: postgres
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_without_callbacks_are_counted_as_drift_once() {
    let pg = common::postgres().await;
    // No callback URL: nothing tells the mirror what changes.
    let emulator = common::emulator(Duration::from_secs(86_400), None).await;
    let client = common::client(&emulator);
    let mirror = common::mirror(&pg, false).await;
    let first = client
        .open_instances(&OpenInstancesRequest::new(
            "DRIFT_1",
            vec![OpenParam::by_product(common::PRODUCTS[0], 3, 1)],
        ))
        .await
        .expect("open");
    ipv_sync::backfill(&client, &mirror, &BackfillOptions::default(), &|_| {})
        .await
        .expect("backfill");
    let everything = RevalidateOptions::default().horizon(Duration::from_secs(50 * 366 * 86_400));
    let calm = ipv_sync::revalidate(&client, &mirror, &everything)
        .await
        .expect("first pass");
    assert_eq!(
        (calm.drift_instances, calm.drift_orders),
        (0, 0),
        "{calm:?}"
    );

    // Without a callback: one instance released, and a new order of two.
    let order = client
        .order(&OrderRequest::new(first.order_no.clone()).with_page(1, 100))
        .await
        .expect("order");
    client
        .release_instances(&ReleaseInstancesRequest::new(
            "DRIFT_REL",
            [order.instances[0].instance_no.clone()],
        ))
        .await
        .expect("release");
    client
        .open_instances(&OpenInstancesRequest::new(
            "DRIFT_2",
            vec![OpenParam::by_product(common::PRODUCTS[1], 2, 1)],
        ))
        .await
        .expect("open");
    let drifted = ipv_sync::revalidate(&client, &mirror, &everything)
        .await
        .expect("second pass");
    // The released instance, and the two new ones; the two new orders.
    assert_eq!(drifted.drift_instances, 3, "{drifted:?}");
    assert_eq!(drifted.drift_orders, 2, "{drifted:?}");
    assert!(drifted.drift_balance);
    common::assert_instances_match(&client, &mirror, false).await;
    common::assert_orders_match(&client, &mirror).await;
    let again = ipv_sync::revalidate(&client, &mirror, &everything)
        .await
        .expect("third pass");
    assert_eq!(again.drift(), 0, "{again:?}");
    let status = ipv_sync::status(&mirror).await.expect("status");
    let last = status.last_revalidation.expect("recorded");
    assert_eq!(last.drift_instances, 0);
    assert!(last.finished_at.is_some());

    // Another process's pass holds the lease: this one does not start.
    let db = mirror.pool().get().await.expect("db");
    db.execute(
        "INSERT INTO ipipv.engine_leases (name, token, lease_until) \
         VALUES ('revalidate', 'other-process', now() + interval '1 minute')",
        &[],
    )
    .await
    .expect("lease");
    match ipv_sync::revalidate(&client, &mirror, &everything).await {
        Err(SyncError::Busy(_)) => {}
        other => panic!("expected busy, got {other:?}"),
    }
    // Once it runs out, the next pass goes ahead.
    db.execute(
        "UPDATE ipipv.engine_leases SET lease_until = now() - interval '1 second'",
        &[],
    )
    .await
    .expect("expire");
    ipv_sync::revalidate(&client, &mirror, &everything)
        .await
        .expect("after the lease");
    emulator.shutdown().await;
}
