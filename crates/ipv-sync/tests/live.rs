//! Live: callbacks through two listeners behind a failing round-robin proxy, one
//! killed midway; a PostgreSQL outage; forged callbacks.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ipv_api::callback::{CallbackReceiver, CallbackServer, CallbackStore};
use ipv_emulator::{EmulatorHandle, FaultConfig};
use ipv_fleet::Proxy;
use ipv_sync::{Mirror, RevalidateOptions, SyncConfig, SyncHandler};
use ipv_types::{
    OpenInstancesRequest, OpenParam, OrderRequest, ReleaseInstancesRequest, RenewInstancesRequest,
    RenewItem,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A listener on a thread and runtime of its own, so it can be killed like a process:
/// its runtime is dropped with everything in flight.
struct Listener {
    addr: SocketAddr,
    kill: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    fn start(database: String, emulator_url: String) -> Self {
        let (ready, addr) = std::sync::mpsc::channel();
        let (kill, killed) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let mirror = Mirror::connect(SyncConfig::new(database).pool_size(4))
                    .await
                    .expect("mirror");
                let client = ipv_fleet::client(&emulator_url).expect("client");
                let store: Arc<dyn CallbackStore> = mirror.callback_store();
                let receiver = CallbackReceiver::builder(SyncHandler::new(client.clone(), mirror))
                    .shared_store(store)
                    .lease(Duration::from_secs(4))
                    .handler_timeout(Duration::from_secs(3))
                    .build(client);
                let server = CallbackServer::bind("127.0.0.1:0", receiver)
                    .await
                    .expect("bind");
                ready.send(server.local_addr()).expect("ready");
                let _ = killed.await;
                drop(server);
            });
            runtime.shutdown_background();
        });
        Self {
            addr: addr.recv().expect("listener address"),
            kill: Some(kill),
            thread: Some(thread),
        }
    }

    fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("listener thread");
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A raw `GET /callback?{query}` to `addr`; the status and body.
async fn get(addr: SocketAddr, query: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request =
        format!("GET /callback?{query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

/// Buys `orders` orders of two instances each; returns their order numbers.
async fn buy(client: &ipv_api::Client, tag: &str, orders: usize) -> Vec<String> {
    let mut bought = Vec::new();
    for i in 0..orders {
        let request = OpenInstancesRequest::new(
            format!("{tag}_{i}"),
            vec![OpenParam::by_product(
                common::PRODUCTS[i % common::PRODUCTS.len()],
                2,
                1,
            )],
        );
        bought.push(
            client
                .open_instances(&request)
                .await
                .expect("open")
                .order_no,
        );
    }
    bought
}

async fn instances_of(client: &ipv_api::Client, order_no: &str) -> Vec<String> {
    client
        .order(&OrderRequest::new(order_no).with_page(1, 100))
        .await
        .expect("order")
        .instances
        .into_iter()
        .map(|i| i.instance_no)
        .collect()
}

/// Renews the first instance and releases the second of each order in `orders`.
async fn renew_and_release(client: &ipv_api::Client, tag: &str, orders: &[String]) {
    for (i, order_no) in orders.iter().enumerate() {
        let numbers = instances_of(client, order_no).await;
        if i % 2 == 0 {
            client
                .renew_instances(&RenewInstancesRequest::new(
                    format!("{tag}_RENEW_{i}"),
                    vec![RenewItem::new(numbers[0].clone(), 1)],
                ))
                .await
                .expect("renew");
        } else {
            client
                .release_instances(&ReleaseInstancesRequest::new(
                    format!("{tag}_REL_{i}"),
                    [numbers[1].clone()],
                ))
                .await
                .expect("release");
        }
    }
}

/// The mirror's data (fetch times left out), to see that nothing changed.
async fn snapshot(mirror: &Mirror) -> (String, String, String) {
    let db = mirror.pool().get().await.expect("db");
    let one = |sql: String| {
        let db = &db;
        async move {
            db.query_one(&sql, &[])
                .await
                .expect("snapshot")
                .get::<_, Option<String>>(0)
                .unwrap_or_default()
        }
    };
    let s = mirror.quoted_schema();
    (
        one(format!(
            "SELECT md5(string_agg(instance_no || raw::text || coalesce(pwd, ''), ',' ORDER BY instance_no)) FROM {s}.instances"
        ))
        .await,
        one(format!(
            "SELECT md5(string_agg(order_no || raw::text, ',' ORDER BY order_no)) FROM {s}.orders"
        ))
        .await,
        one(format!(
            "SELECT md5(string_agg(product_no || raw::text, ',' ORDER BY product_no)) FROM {s}.products"
        ))
        .await,
    )
}

fn emulator_faults(emulator: &EmulatorHandle) {
    emulator
        .control()
        .set_faults(FaultConfig {
            duplicate_callbacks: true,
            ..FaultConfig::none()
        })
        .expect("faults");
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_listeners_one_killed_duplicates_and_failures_then_one_revalidation_equals_platform() {
    let pg = common::postgres().await;
    let proxy = Proxy::start(30).await.expect("proxy");
    let emulator = common::emulator(Duration::from_secs(86_400), Some(proxy.url())).await;
    emulator_faults(&emulator);
    let client = common::client(&emulator);
    let mirror = common::mirror(&pg, true).await;
    let mut a = Listener::start(pg.url(), emulator.base_url());
    let b = Listener::start(pg.url(), emulator.base_url());
    proxy.add_backend(a.addr);
    proxy.add_backend(b.addr);

    // An account with a history, backfilled; then life goes on through callbacks.
    let first = buy(&client, "FIRST", 6).await;
    ipv_sync::backfill(
        &client,
        &mirror,
        &ipv_sync::BackfillOptions::default(),
        &|_| {},
    )
    .await
    .expect("backfill");
    let second = buy(&client, "SECOND", 16).await;
    renew_and_release(&client, "SECOND", &second).await;
    // One listener dies midway, whatever it was doing.
    a.kill();
    let third = buy(&client, "THIRD", 16).await;
    renew_and_release(&client, "THIRD", &third).await;
    renew_and_release(&client, "FIRST", &first).await;
    // Time passes: instances not renewed run out (no callback says so).
    emulator
        .control()
        .advance_clock(40 * 86_400)
        .expect("clock");
    assert!(
        emulator
            .control()
            .wait_for_callbacks(Duration::from_secs(240))
            .await,
        "the emulator's callbacks did not drain"
    );
    let stats = proxy.stats();
    let report = ipv_sync::revalidate(
        &client,
        &mirror,
        &RevalidateOptions::default().horizon(Duration::from_secs(100 * 366 * 86_400)),
    )
    .await
    .expect("revalidate");
    assert!(report.instances_checked > 0);
    common::assert_instances_match(&client, &mirror, true).await;
    common::assert_orders_match(&client, &mirror).await;
    eprintln!("proxy: {stats:?}; revalidation: {report:?}");

    // Forged callbacks change nothing: unknown numbers, and a known order with a
    // made-up operation (the handler writes the platform's truth, which is unchanged).
    let before = snapshot(&mirror).await;
    for query in [
        "type=order&no=FORGED-ORDER-1&op=1".to_owned(),
        "type=instance&no=FORGED-INSTANCE-1".to_owned(),
        "type=product&no=forged_product".to_owned(),
        format!("type=order&no={}&op=3", second[0]),
    ] {
        let (status, body) = get(b.addr, &query).await;
        assert_eq!(status, 200, "{query}: {body}");
    }
    assert_eq!(
        snapshot(&mirror).await,
        before,
        "a forged callback changed the mirror"
    );
    let db = mirror.pool().get().await.expect("db");
    let forged: i64 = db
        .query_one(
            "SELECT (SELECT count(*) FROM ipipv.orders WHERE order_no LIKE 'FORGED%') + \
             (SELECT count(*) FROM ipipv.instances WHERE instance_no LIKE 'FORGED%')",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    assert_eq!(forged, 0);
    drop(b);
    emulator.shutdown().await;
    proxy.shutdown().await;
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_run_callbacks_retry_later_and_nothing_is_lost() {
    let mut pg = common::postgres().await;
    let proxy = Proxy::start(0).await.expect("proxy");
    let emulator = common::emulator(Duration::from_secs(86_400), Some(proxy.url())).await;
    let client = common::client(&emulator);
    let listener = Listener::start(pg.url(), emulator.base_url());
    proxy.add_backend(listener.addr);
    let mirror_config = SyncConfig::new(pg.url());
    buy(&client, "BEFORE", 4).await;
    assert!(
        emulator
            .control()
            .wait_for_callbacks(Duration::from_secs(60))
            .await
    );
    // The database goes away; orders go on and their callbacks are refused.
    let pg_stop = tokio::task::spawn_blocking(move || {
        pg.stop();
        pg
    });
    let mut pg = pg_stop.await.expect("stop");
    let during = buy(&client, "DURING", 6).await;
    let refused = common::eventually(Duration::from_secs(60), || async {
        emulator
            .control()
            .callbacks()
            .iter()
            .any(|d| !d.acknowledged && d.outcome.contains("503"))
    })
    .await;
    assert!(
        refused,
        "no callback was answered retry-later while the database was down"
    );
    let history = emulator.control().callbacks();
    assert!(
        history
            .iter()
            .filter(|d| during.contains(&d.no))
            .all(|d| !d.acknowledged),
        "a callback was acknowledged while the database was down"
    );
    pg = tokio::task::spawn_blocking(move || {
        pg.restart().expect("restart");
        pg
    })
    .await
    .expect("restart");
    assert!(
        emulator
            .control()
            .wait_for_callbacks(Duration::from_secs(120))
            .await,
        "callbacks were not delivered once the database was back"
    );
    // Nothing lost: every order and instance is mirrored, without any revalidation.
    let mirror = Mirror::connect(mirror_config).await.expect("mirror");
    let db = mirror.pool().get().await.expect("db");
    for order_no in &during {
        let found: i64 = db
            .query_one(
                "SELECT count(*) FROM ipipv.orders WHERE order_no = $1 AND status = 3",
                &[order_no],
            )
            .await
            .expect("order")
            .get(0);
        assert_eq!(found, 1, "order {order_no} was lost");
        for instance_no in instances_of(&client, order_no).await {
            let found: i64 = db
                .query_one(
                    "SELECT count(*) FROM ipipv.instances WHERE instance_no = $1",
                    &[&instance_no],
                )
                .await
                .expect("instance")
                .get(0);
            assert_eq!(found, 1, "instance {instance_no} was lost");
        }
    }
    drop(listener);
    emulator.shutdown().await;
    proxy.shutdown().await;
    drop(pg);
}
