//! Shared pieces of the sync tests: a throwaway PostgreSQL, the emulator as the
//! platform, an account filled over two years, and the "mirror equals a fresh read"
//! check.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use ipv_api::Client;
use ipv_emulator::{
    AppConfig, CallbackPolicy, DEFAULT_APP_KEY, Emulator, EmulatorConfig, EmulatorHandle,
    OrderSchedule,
};
use ipv_sync::{Mirror, SyncConfig};
use ipv_test_services::PostgresServer;
use ipv_types::{
    InstanceListRequest, Money, OpenInstancesRequest, OpenParam, OrderRequest, OrdersRequest,
    ReleaseInstancesRequest,
};
use serde_json::Value;
use time::OffsetDateTime;

/// The static products the fill buys, each able to hold 508 live instances.
pub const PRODUCTS: [&str; 2] = ["ipv_res_us_nyc_m", "ipv_dc_us_lax_m"];

pub async fn postgres() -> PostgresServer {
    tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .expect("join")
        .expect("PostgreSQL (run `bash .ci/services`)")
}

/// An emulator whose clock starts `ago` in the past, orders done at once, callbacks
/// to `callback_url` if any.
pub async fn emulator(ago: Duration, callback_url: Option<String>) -> EmulatorHandle {
    let mut app = AppConfig::default_app();
    if let Some(url) = callback_url {
        app = app.with_callback_url(url);
    }
    let config = EmulatorConfig::default()
        .with_apps(vec![app])
        .with_order_schedule(OrderSchedule::IMMEDIATE)
        .with_callback_policy(CallbackPolicy {
            max_attempts: 400,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(300),
            timeout: Duration::from_secs(10),
        })
        .with_start_time(OffsetDateTime::now_utc() - ago);
    let emulator = Emulator::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("emulator");
    let control = emulator.control();
    for product in PRODUCTS {
        control.set_stock(product, 1_000_000).expect("stock");
    }
    control
        .top_up(DEFAULT_APP_KEY, Money::from_int(100_000_000))
        .expect("top up");
    emulator
}

pub fn client(emulator: &EmulatorHandle) -> Client {
    ipv_fleet::client(&emulator.base_url()).expect("client")
}

pub async fn mirror(pg: &PostgresServer, secrets: bool) -> Mirror {
    Mirror::connect(SyncConfig::new(pg.url()).secrets(secrets))
        .await
        .expect("mirror")
}

/// The size of the big tests: `IPV_SYNC_TEST_INSTANCES` or 10,000.
pub fn target_instances() -> usize {
    std::env::var("IPV_SYNC_TEST_INSTANCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Fills the account with at least `instances` instances from orders spread over
/// `months` months: each month buys a batch (20 per order), releases most of it (so
/// addresses come back; distinct instances, reused addresses), and moves the clock.
pub async fn fill(emulator: &EmulatorHandle, client: &Client, instances: usize, months: usize) {
    let per_month = instances.div_ceil(months);
    let orders_per_month = per_month.div_ceil(20);
    let control = emulator.control();
    for month in 0..months {
        let mut bought = Vec::new();
        for chunk in (0..orders_per_month).collect::<Vec<_>>().chunks(8) {
            let buys = chunk.iter().map(|i| {
                let product = PRODUCTS[(month + i) % PRODUCTS.len()];
                let count = u32::try_from(20.min(per_month - i * 20)).expect("count");
                let request = OpenInstancesRequest::new(
                    format!("FILL_{month}_{i}"),
                    vec![OpenParam::by_product(product, count, 1)],
                );
                async move { client.open_instances(&request).await }
            });
            for receipt in futures_util::future::join_all(buys).await {
                bought.push(receipt.expect("open").order_no);
            }
        }
        // Release this month's (within the release window, so addresses come back:
        // distinct instances, reused addresses); the last month's stay and run out.
        if month + 1 < months {
            for (i, order_no) in bought.iter().enumerate() {
                let order = client
                    .order(&OrderRequest::new(order_no.clone()).with_page(1, 100))
                    .await
                    .expect("order");
                let numbers: Vec<String> = order
                    .instances
                    .iter()
                    .map(|x| x.instance_no.clone())
                    .collect();
                client
                    .release_instances(&ReleaseInstancesRequest::new(
                        format!("REL_{month}_{i}"),
                        numbers,
                    ))
                    .await
                    .expect("release");
            }
        }
        control.advance_clock(30 * 86_400).expect("clock");
    }
}

/// The platform's instances, by number, as wire JSON.
pub async fn platform_instances(client: &Client) -> HashMap<String, Value> {
    client
        .instance_list_stream(InstanceListRequest::default())
        .map_ok(|i| {
            (
                i.instance_no.clone(),
                serde_json::to_value(&i).expect("json"),
            )
        })
        .try_collect()
        .await
        .expect("instance list")
}

/// The platform's orders (the order list), by number, as wire JSON.
pub async fn platform_orders(client: &Client) -> HashMap<String, Value> {
    client
        .orders_stream(OrdersRequest::default())
        .map_ok(|o| (o.order_no.clone(), serde_json::to_value(&o).expect("json")))
        .try_collect()
        .await
        .expect("order list")
}

/// Every mirrored instance equals a fresh read field by field (its `raw` and the typed
/// columns), no instance is missing and none is extra.
pub async fn assert_instances_match(client: &Client, mirror: &Mirror, secrets: bool) {
    let fresh = platform_instances(client).await;
    let db = mirror.pool().get().await.expect("db");
    let rows = db
        .query(
            &format!(
                "SELECT instance_no, raw::text, status, ip, port, pwd, order_no, product_no, \
                 extract(epoch FROM user_expired)::bigint, renew \
                 FROM {}.instances",
                mirror.quoted_schema()
            ),
            &[],
        )
        .await
        .expect("rows");
    assert_eq!(rows.len(), fresh.len(), "mirrored instances vs platform");
    for row in rows {
        let no: String = row.get(0);
        let raw: Value = serde_json::from_str(row.get::<_, &str>(1)).expect("raw");
        let mut want = fresh
            .get(&no)
            .unwrap_or_else(|| panic!("instance {no} is not on the platform"))
            .clone();
        if !secrets {
            want.as_object_mut().expect("object").remove("pwd");
        }
        let (want_map, raw_map) = (want.as_object().expect("o"), raw.as_object().expect("o"));
        for (field, value) in want_map {
            assert_eq!(
                raw_map.get(field),
                Some(value),
                "instance {no} field {field}"
            );
        }
        assert_eq!(raw_map.len(), want_map.len(), "instance {no}: fields");
        assert_eq!(
            i64::from(row.get::<_, i32>(2)),
            want["status"].as_i64().expect("status")
        );
        assert_eq!(row.get::<_, &str>(3), want["ip"].as_str().expect("ip"));
        assert_eq!(
            i64::from(row.get::<_, i32>(4)),
            want["port"].as_i64().expect("port")
        );
        let pwd: Option<&str> = row.get(5);
        if secrets {
            assert_eq!(pwd, want["pwd"].as_str(), "instance {no} pwd");
        } else {
            assert_eq!(pwd, None, "--no-secrets kept a password");
        }
        assert_eq!(
            row.get::<_, &str>(6),
            want["orderNo"].as_str().expect("orderNo")
        );
        assert_eq!(
            row.get::<_, &str>(7),
            want["productNo"].as_str().expect("productNo")
        );
        let expired: Option<i64> = row.get(8);
        let want_expired = want["userExpired"].as_i64().filter(|t| *t != 0);
        assert_eq!(expired, want_expired, "instance {no} user_expired");
        assert_eq!(row.get::<_, bool>(9), want["renew"].as_i64() == Some(1));
    }
}

/// Every mirrored order holds a fresh read of the order list field by field, and the
/// sets are equal.
pub async fn assert_orders_match(client: &Client, mirror: &Mirror) {
    let fresh = platform_orders(client).await;
    let db = mirror.pool().get().await.expect("db");
    let rows = db
        .query(
            &format!(
                "SELECT order_no, raw::text, app_order_no, status, type, amount::text, count \
                 FROM {}.orders",
                mirror.quoted_schema()
            ),
            &[],
        )
        .await
        .expect("rows");
    assert_eq!(rows.len(), fresh.len(), "mirrored orders vs platform");
    for row in rows {
        let no: String = row.get(0);
        let raw: Value = serde_json::from_str(row.get::<_, &str>(1)).expect("raw");
        let want = fresh
            .get(&no)
            .unwrap_or_else(|| panic!("order {no} is not on the platform"));
        for (field, value) in want.as_object().expect("object") {
            assert_eq!(raw.get(field), Some(value), "order {no} field {field}");
        }
        assert_eq!(
            row.get::<_, &str>(2),
            want["appOrderNo"].as_str().expect("a")
        );
        assert_eq!(
            i64::from(row.get::<_, i32>(3)),
            want["status"].as_i64().expect("s")
        );
        assert_eq!(
            i64::from(row.get::<_, i32>(4)),
            want["type"].as_i64().expect("t")
        );
        let amount: Money = row.get::<_, &str>(5).parse().expect("amount");
        let want_amount: Money = want["amount"].as_str().expect("amount").parse().expect("m");
        assert_eq!(amount, want_amount, "order {no} amount");
        assert_eq!(row.get::<_, i64>(6), want["count"].as_i64().expect("count"));
    }
}

/// Waits until `check` holds, polling, up to `limit`.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
