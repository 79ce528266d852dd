//! Revalidation: drift counted for what changed without a callback, then none; one
//! pass at a time across processes.

mod common;

use std::time::Duration;

use ipv_sync::{BackfillOptions, RevalidateOptions, SyncError};
use ipv_types::{OpenInstancesRequest, OpenParam, OrderRequest, ReleaseInstancesRequest};

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
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

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_dynamic_accounts_and_proxy_users_are_mirrored_and_their_flow_revalidated() {
    use ipv_types::{AccountStatus, AuthType, UpsertProxyUserRequest, UpsertUserRequest};
    const PRODUCT: &str = "ipv_dyn_global_flow";
    let pg = common::postgres().await;
    let emulator = common::emulator(Duration::from_secs(86_400), None).await;
    let client = common::client(&emulator);
    let mirror = common::mirror(&pg, false).await;
    client
        .upsert_user(
            &UpsertUserRequest::default()
                .with_app_username("shop_main".to_owned())
                .with_phone("13800000000".to_owned())
                .with_email("sync@example.invalid".to_owned())
                .with_no("110101199001011234".to_owned())
                .with_auth_type(AuthType::from_i64(1))
                .with_status(AccountStatus::from_i64(1)),
        )
        .await
        .expect("main account");
    client
        .open_instances(&OpenInstancesRequest::new(
            "DYN_1",
            vec![OpenParam::dynamic_flow(PRODUCT, "shop_main", 2_000)],
        ))
        .await
        .expect("flow");
    client
        .upsert_proxy_user(
            &UpsertProxyUserRequest::default()
                .with_app_username("shop_sub1")
                .with_limit_flow(500)
                .with_app_main_username("shop_main")
                .with_status(AccountStatus::Normal),
        )
        .await
        .expect("proxy user");
    let options = BackfillOptions::default()
        .accounts(vec!["shop_main".to_owned()])
        .proxy_users(vec![(PRODUCT.to_owned(), "shop_sub1".to_owned())]);
    let report = ipv_sync::backfill(&client, &mirror, &options, &|_| {})
        .await
        .expect("backfill");
    assert_eq!(report.accounts, 1);
    let db = mirror.pool().get().await.expect("db");
    let used = || async {
        db.query_one(
            "SELECT used::text, total::text FROM ipipv.main_user_balances \
             WHERE app_username = 'shop_main' AND product_no = $1",
            &[&PRODUCT],
        )
        .await
        .map(|r| (r.get::<_, Option<String>>(0), r.get::<_, Option<String>>(1)))
        .expect("balance row")
    };
    let (used_before, total) = used().await;
    assert!(total.is_some(), "the account's flow total is mirrored");
    let proxy = db
        .query_one(
            "SELECT limit_flow, password FROM ipipv.proxy_users \
             WHERE product_no = $1 AND app_username = 'shop_sub1'",
            &[&PRODUCT],
        )
        .await
        .expect("proxy user row");
    let fresh = client
        .proxy_user(&ipv_types::ProxyUserRequest::new(PRODUCT, "shop_sub1"))
        .await
        .expect("proxy user info");
    assert_eq!(proxy.get::<_, i64>(0), fresh.limit_flow);
    assert_eq!(proxy.get::<_, Option<&str>>(1), None, "--no-secrets");
    // Flow is used: no callback says so; revalidation brings it in.
    emulator
        .control()
        .record_usage(ipv_emulator::DEFAULT_APP_KEY, "shop_main", PRODUCT, 300)
        .expect("usage");
    ipv_sync::revalidate(&client, &mirror, &RevalidateOptions::default())
        .await
        .expect("revalidate");
    let (used_after, _) = used().await;
    assert_ne!(used_after, used_before, "the flow used was revalidated");
    emulator.shutdown().await;
}
