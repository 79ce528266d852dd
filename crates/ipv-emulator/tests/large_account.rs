//! An account far larger than the seeded stock: `EmulatorConfig::addresses_per_product`
//! lets one product sell 20,000 distinct addresses, and `instance/list` and `order/list`
//! page through the whole account, and through a time window of it, with no gap and no
//! duplicate.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use ipv_api::Client;
use ipv_emulator::{AppConfig, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, MAX_ADDRESSES_PER_PRODUCT};
use ipv_types::time::QueryTime;
use ipv_types::{
    InstanceListRequest, OpenInstancesRequest, OpenParam, OrderRequest, OrdersRequest,
    ProductRequest,
};

const PRODUCT: &str = "ipv_dc_us_sjc_w";
const INSTANCES: u32 = 20_000;
/// 20 lines of 20 instances.
const PER_ORDER: u32 = 400;

fn rich_app() -> AppConfig {
    AppConfig::new(
        DEFAULT_APP_KEY,
        DEFAULT_APP_SECRET,
        "a large account",
        "1000000.00",
    )
}

/// Every instance `instance/list` gives for the window, page by page (100 a page),
/// checking each page's `total` and that no instance comes twice.
async fn list_all(
    client: &Client,
    window: Option<(QueryTime, QueryTime)>,
) -> BTreeMap<String, String> {
    let mut seen = BTreeMap::new();
    let mut page = 1;
    loop {
        let request = InstanceListRequest::default()
            .with_page(page)
            .with_page_size(100)
            .with_start_time(window.map(|w| w.0))
            .with_end_time(window.map(|w| w.1));
        let got = client.instance_list(&request).await.expect("instance/list");
        if got.list.is_empty() {
            assert_eq!(
                got.total as usize,
                seen.len(),
                "total matches what was listed"
            );
            return seen;
        }
        for instance in got.list {
            let no = instance.instance_no.clone();
            assert!(
                seen.insert(no.clone(), instance.ip).is_none(),
                "{no} listed twice (page {page})"
            );
        }
        page += 1;
    }
}

/// The instances of one order, through `order`'s own pages.
async fn order_instances(client: &Client, order_no: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for page in 1.. {
        let order = client
            .order(&OrderRequest::new(order_no).with_page(page, 100))
            .await
            .expect("order");
        if order.instances.is_empty() {
            break;
        }
        out.extend(order.instances.into_iter().map(|i| i.instance_no));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_instances_have_distinct_addresses_and_page_without_gaps() {
    let emu = common::start(
        common::config()
            .with_apps(vec![rich_app()])
            .with_addresses_per_product(INSTANCES),
    )
    .await;
    let client = common::client(&emu);
    let control = emu.control();

    let product = client
        .product(&ProductRequest::new(PRODUCT))
        .await
        .expect("product/info");
    assert_eq!(product.inventory, i64::from(INSTANCES));

    // 50 orders of 400, a minute apart on the emulator's clock.
    let mut orders = Vec::new();
    for n in 0..INSTANCES / PER_ORDER {
        let at = control.clock().now;
        let receipt = client
            .open_instances(&OpenInstancesRequest::new(
                format!("large-{n}"),
                vec![OpenParam::by_product(PRODUCT, 20, 1); 20],
            ))
            .await
            .expect("open");
        orders.push((at, receipt.order_no));
        control.advance_clock(60).expect("clock");
    }
    let product = client
        .product(&ProductRequest::new(PRODUCT))
        .await
        .expect("product/info");
    assert_eq!(product.inventory, 0, "every address sold");

    // The whole account: every instance once, each with its own address.
    let all = list_all(&client, None).await;
    assert_eq!(all.len(), INSTANCES as usize);
    let addresses: BTreeSet<&String> = all.values().collect();
    assert_eq!(addresses.len(), all.len(), "no address is sold twice");

    // The same instances as the orders delivered.
    let mut delivered = BTreeSet::new();
    for (_, order_no) in &orders {
        let mine = order_instances(&client, order_no).await;
        assert_eq!(mine.len(), PER_ORDER as usize, "{order_no}");
        delivered.extend(mine);
    }
    let listed: BTreeSet<String> = all.keys().cloned().collect();
    assert_eq!(listed, delivered);

    // A window of 20 orders: exactly their instances.
    let from = orders[10].0 - time::Duration::seconds(30);
    let to = orders[29].0 + time::Duration::seconds(30);
    let window = (
        QueryTime::from_offset_date_time(from),
        QueryTime::from_offset_date_time(to),
    );
    let in_window = list_all(&client, Some(window)).await;
    let mut expected = BTreeSet::new();
    for (_, order_no) in &orders[10..30] {
        expected.extend(order_instances(&client, order_no).await);
    }
    assert_eq!(in_window.keys().cloned().collect::<BTreeSet<_>>(), expected);

    // order/list: every order once, newest first, in pages of 7.
    let mut listed_orders = Vec::new();
    for page in 1.. {
        let request = OrdersRequest::default().with_page(page).with_page_size(7);
        let got = client.orders(&request).await.expect("order/list");
        assert_eq!(got.total, orders.len() as i64);
        if got.list.is_empty() {
            break;
        }
        listed_orders.extend(got.list.into_iter().map(|o| o.order_no));
    }
    let newest_first: Vec<String> = orders.iter().rev().map(|(_, no)| no.clone()).collect();
    assert_eq!(listed_orders, newest_first);

    control
        .check_invariants()
        .expect("books and indexes consistent");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_pool_larger_than_the_limit_is_refused() {
    let err = ipv_emulator::Emulator::start(
        common::config().with_addresses_per_product(MAX_ADDRESSES_PER_PRODUCT + 1),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect_err("refused");
    assert!(err.to_string().contains("addressesPerProduct"), "{err}");
}
