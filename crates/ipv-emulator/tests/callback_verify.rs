//! The verifying receiver against an emulator with real, slow orders: forged callbacks
//! cannot use up the genuine one, nor reach the handler for things that do not exist;
//! instance and product callbacks are handed over with what the API says.

// The raw HTTP helpers the receiver's own tests use, shared rather than copied (the file
// lives with ipv-api's tests; this test is left out of the published package).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipv_api::callback::{CallbackReceiver, CallbackServer, Delivery, Refetched, handler_fn};
use ipv_api::{Client, RetryPolicy, WaitOptions};
use ipv_emulator::{
    AppConfig, DEFAULT_APP_KEY, DEFAULT_APP_SECRET, Emulator, EmulatorConfig, EmulatorHandle,
    OrderSchedule,
};
use ipv_types::{CallbackAck, OpenInstancesRequest, OpenParam, OrderRequest, OrderStatus};
use tokio::sync::watch;

use ipv_test_services::callback_client::get;

/// What the handler saw: the callback's `no` and what was fetched.
type Seen = Arc<Mutex<Vec<(String, Refetched)>>>;

async fn emulator(schedule: OrderSchedule) -> (EmulatorHandle, Client) {
    let config = EmulatorConfig::default().with_order_schedule(schedule);
    let emu = Emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts");
    let client = Client::builder()
        .base_url(emu.base_url())
        .app_key(DEFAULT_APP_KEY)
        .app_secret(DEFAULT_APP_SECRET)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client builds");
    (emu, client)
}

fn recording_receiver(
    client: Client,
    gate: watch::Receiver<bool>,
) -> (
    CallbackReceiver<impl ipv_api::callback::CallbackHandler>,
    Seen,
) {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let handler = handler_fn(move |delivery: Delivery| {
        let log = Arc::clone(&log);
        let mut gate = gate.clone();
        async move {
            let fetched = delivery.fetched.expect("a verifying receiver fetches");
            // Held until the test opens the gate (an open gate passes at once).
            gate.wait_for(|open| *open).await.expect("the gate stays");
            log.lock().unwrap().push((delivery.callback.no, fetched));
            Ok::<(), std::convert::Infallible>(())
        }
    });
    (CallbackReceiver::new(client, handler), seen)
}

/// A gate that is open from the start.
fn open_gate() -> watch::Receiver<bool> {
    watch::channel(true).1
}

async fn open_one(client: &Client, app_order_no: &str) -> (String, String) {
    let receipt = client
        .open_instances(&OpenInstancesRequest::new(
            app_order_no,
            vec![OpenParam::by_product("ipv_dc_de_fra_m", 2, 1)],
        ))
        .await
        .expect("open");
    (receipt.order_no, receipt.app_order_no)
}

async fn status(client: &Client, order_no: &str) -> OrderStatus {
    client
        .order(&OrderRequest::new(order_no))
        .await
        .expect("order")
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_early_callback_then_the_genuine_one_runs_the_handler_once_with_the_final_order() {
    // Each order stays pending/processing for 6 s.
    let (emu, client) = emulator(OrderSchedule::lasting(Duration::from_secs(6))).await;
    let (receiver, seen) = recording_receiver(client.clone(), open_gate());
    let server = CallbackServer::bind("127.0.0.1:0", receiver.clone())
        .await
        .unwrap();
    let addr = server.local_addr();
    // The platform's genuine callbacks go to the same server.
    emu.control()
        .upsert_app(AppConfig::default_app().with_callback_url(format!("http://{addr}/cb")))
        .unwrap();

    let (order_no, app_order_no) = open_one(&client, "FORGE-1").await;

    // Forged while the order is processing, by either number: told to retry, the
    // handler not run, nothing remembered.
    for no in [&order_no, &app_order_no] {
        let (code, ack) = get(addr, &format!("/cb?type=order&no={no}&op=1")).await;
        if !status(&client, &order_no).await.is_final() {
            assert_eq!(code, 503, "{ack:?}");
            assert_eq!(ack.code, "fail");
            assert!(ack.msg.contains("not final"), "{}", ack.msg);
        }
    }
    // Forged for things that do not exist: answered so the platform stops, never
    // handed to the handler.
    for query in [
        "type=order&no=C19990101000000000001&op=1",
        "type=order&no=NOT-AN-ORDER&op=3",
        "type=instance&no=I-NOPE",
        "type=product&no=no_such_product",
    ] {
        let (code, ack) = get(addr, &format!("/cb?{query}")).await;
        assert_eq!((code, ack), (200, CallbackAck::success()), "{query}");
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing forged reached the handler"
    );

    // The order completes; the emulator delivers the genuine callback.
    let order = client
        .wait_for_order(
            &order_no,
            WaitOptions::default().with_deadline(Duration::from_secs(60)),
        )
        .await
        .expect("the order completes");
    assert!(order.status.is_final());
    assert!(
        emu.control()
            .wait_for_callbacks(Duration::from_secs(60))
            .await,
        "the emulator's callbacks are delivered"
    );
    // A late forged duplicate changes nothing.
    let (code, _) = get(addr, &format!("/cb?type=order&no={order_no}&op=1")).await;
    assert_eq!(code, 200);

    let seen = seen.lock().unwrap().clone();
    let orders: Vec<_> = seen
        .iter()
        .filter_map(|(_, f)| match f {
            Refetched::Order(order) => Some(order),
            _ => None,
        })
        .collect();
    assert_eq!(
        orders.len(),
        1,
        "the handler ran once for the order: {seen:?}"
    );
    assert_eq!(orders[0].order_no, order_no);
    assert_eq!(orders[0].status, OrderStatus::Succeeded);
    assert_eq!(orders[0].instances.len(), 2, "every instance fetched");
    // The emulator also announced the new instances: each reached the handler with
    // what the API says about it.
    for instance in &orders[0].instances {
        assert!(
            seen.iter().any(|(_, f)| matches!(f, Refetched::Instance(i) if i.instance_no == instance.instance_no)),
            "instance {} not handed over",
            instance.instance_no
        );
    }
    server.shutdown().await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_and_product_callbacks_are_fetched_shared_while_concurrent_and_never_suppressed() {
    let (emu, client) = emulator(OrderSchedule::IMMEDIATE).await;
    let (order_no, _) = open_one(&client, "INST-1").await;
    let order = client
        .order(&OrderRequest::new(&order_no))
        .await
        .expect("order");
    let instance_no = order.instances[0].instance_no.clone();
    // The handler is held until all five duplicates are in: one run, four joined to it.
    let (open, gate) = watch::channel(false);
    let (receiver, seen) = recording_receiver(client.clone(), gate);

    let query = format!("type=instance&no={instance_no}");
    let release = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !(receiver.in_flight() == 1 && receiver.joined() == 4) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the duplicates never joined"
            );
            tokio::task::yield_now().await;
        }
        open.send_replace(true);
    };
    let (replies, ()) = tokio::join!(
        futures_util::future::join_all((0..5).map(|_| receiver.handle(&query))),
        release
    );
    assert!(replies.iter().all(|r| r.is_success()), "{replies:?}");
    assert_eq!(seen.lock().unwrap().len(), 1, "five at once share one run");

    // Later ones each announce a new change: each runs the handler again.
    assert!(receiver.handle(&query).await.is_success());
    assert!(
        receiver
            .handle("type=product&no=ipv_dc_de_fra_m")
            .await
            .is_success()
    );
    assert!(
        receiver
            .handle("type=product&no=ipv_dc_de_fra_m")
            .await
            .is_success()
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(matches!(&seen[1].1, Refetched::Instance(i) if i.instance_no == instance_no));
    assert!(matches!(&seen[3].1, Refetched::Product(p) if p.product_no == "ipv_dc_de_fra_m"));
    assert_eq!(receiver.in_flight(), 0);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_that_cannot_answer_means_retry_later_never_success() {
    let (emu, client) = emulator(OrderSchedule::IMMEDIATE).await;
    let (order_no, _) = open_one(&client, "DOWN-1").await;
    let (receiver, seen) = recording_receiver(client.clone(), open_gate());
    emu.shutdown().await; // the API is gone

    let reply = receiver
        .handle(&format!("type=order&no={order_no}&op=1"))
        .await;
    assert_eq!(reply.status, 503);
    assert!(!reply.is_success());
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_callback_fetches_every_page_of_instances() {
    let (emu, client) = emulator(OrderSchedule::IMMEDIATE).await;
    // 6 x 20 = 120 instances: two pages of the order.
    let receipt = client
        .open_instances(&OpenInstancesRequest::new(
            "PAGES-1",
            (0..6)
                .map(|_| OpenParam::by_product("ipv_dc_de_fra_m", 20, 1))
                .collect(),
        ))
        .await
        .expect("open");
    let callback = ipv_types::Callback::order(&receipt.order_no, ipv_types::OrderType::New);
    let Some(Refetched::Order(order)) = client.refetch(&callback).await.expect("refetch") else {
        panic!("the order is found");
    };
    assert_eq!(order.total, 120);
    assert_eq!(order.instances.len(), 120, "both pages");
    let mut numbers: Vec<_> = order.instances.iter().map(|i| &i.instance_no).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 120, "no instance twice");
    // By the caller's order number, the same order.
    let by_app_no = ipv_types::Callback::order(&receipt.app_order_no, ipv_types::OrderType::New);
    let Some(Refetched::Order(again)) = client.refetch(&by_app_no).await.expect("refetch") else {
        panic!("found by appOrderNo");
    };
    assert_eq!(again.order_no, receipt.order_no);
    assert_eq!(again.instances.len(), 120);
    // Nothing by that number at all.
    let none = ipv_types::Callback::order("C20990101000000000000", ipv_types::OrderType::New);
    assert_eq!(client.refetch(&none).await.expect("refetch"), None);
    emu.shutdown().await;
}
