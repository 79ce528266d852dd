//! `ipv_api::blocking::Client` end to end: the emulator runs on a runtime of its own, on
//! its own thread, and a plain thread (no runtime at all) calls it through the blocking
//! client: reads, a purchase, waiting for the order, paged listing and an API error.

use std::sync::mpsc;
use std::time::Duration;

use ipv_api::{Error, RetryPolicy, WaitOptions, blocking};
use ipv_emulator::{DEFAULT_APP_KEY, DEFAULT_APP_SECRET, Emulator, EmulatorConfig, OrderSchedule};
use ipv_types::{
    ApiCode, InstanceStatus, InstancesRequest, OpenInstancesRequest, OpenParam, OrderRequest,
    OrderStatus, OrdersRequest, ProductsRequest, ProxyType,
};

/// The emulator on a thread and runtime of its own; dropping this stops it.
struct EmulatorThread {
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmulatorThread {
    fn start(config: EmulatorConfig) -> Self {
        let (url_tx, url_rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("emulator runtime");
            runtime.block_on(async move {
                let emulator = Emulator::start(config, "127.0.0.1:0".parse().expect("addr"))
                    .await
                    .expect("emulator starts");
                url_tx.send(emulator.base_url()).expect("test is waiting");
                // Either a stop signal or the test's end (sender dropped) stops it.
                let _ = stopped.await;
                emulator.shutdown().await;
            });
        });
        let base_url = url_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the emulator reports its address");
        Self {
            base_url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for EmulatorThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_plain_thread_buys_and_waits_through_the_blocking_client() {
    let emulator = EmulatorThread::start(EmulatorConfig::default().with_order_schedule(
        OrderSchedule {
            to_processing: Duration::from_millis(20),
            to_done: Duration::from_millis(40),
        },
    ));
    // This thread has no runtime: the blocking client brings its own.
    assert!(tokio::runtime::Handle::try_current().is_err());
    let client = blocking::Client::builder()
        .base_url(&emulator.base_url)
        .app_key(DEFAULT_APP_KEY)
        .app_secret(DEFAULT_APP_SECRET)
        .retry_policy(RetryPolicy::default())
        .timeout(Duration::from_secs(10))
        .build_blocking()
        .expect("client builds");

    let info = client.app_info().expect("app info");
    assert_eq!(info.coin.to_string(), "10000.00");

    let products = client
        .products(
            &ProductsRequest::of_types([ProxyType::StaticResidentialAbroad]).in_country("JPN"),
        )
        .expect("products");
    let product = &products[0];

    let receipt = client
        .open_instances(&OpenInstancesRequest::new(
            "BLOCKING-OPEN",
            vec![OpenParam::by_product(&product.product_no, 2, 1)],
        ))
        .expect("open");
    // The order is still pending when the receipt comes back: the wait polls.
    let order = client
        .wait_for_order(
            &receipt.order_no,
            WaitOptions::default()
                .with_deadline(Duration::from_secs(30))
                .with_intervals(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .expect("the order completes");
    assert_eq!(order.status, OrderStatus::Succeeded);
    assert_eq!(order.instances.len(), 2);

    let numbers: Vec<&str> = order
        .instances
        .iter()
        .map(|i| i.instance_no.as_str())
        .collect();
    let instances = client
        .instances(&InstancesRequest::new(numbers.clone()))
        .expect("instances");
    assert_eq!(instances.len(), 2);
    assert!(
        instances
            .iter()
            .all(|i| i.status == InstanceStatus::Running)
    );

    // The paged list, read as an iterator.
    let paged: Vec<String> = client
        .order_instances(receipt.order_no.clone())
        .map(|i| i.expect("page").instance_no)
        .collect();
    assert_eq!(paged, numbers);
    let orders: Vec<_> = client
        .orders_iter(OrdersRequest::default())
        .collect::<Result<_, _>>()
        .expect("orders");
    assert!(orders.iter().any(|o| o.order_no == receipt.order_no));

    // The async client's errors, unchanged.
    match client.order(&OrderRequest::new("NO-SUCH-ORDER")) {
        Err(Error::Api(api)) => assert_eq!(api.code, ApiCode::OrderNotFound),
        other => panic!("expected OrderNotFound, got {other:?}"),
    }

    let balance_after = client.app_info().expect("app info").coin;
    assert_eq!(
        balance_after + receipt.amount,
        info.coin,
        "the purchase was charged once"
    );
}
