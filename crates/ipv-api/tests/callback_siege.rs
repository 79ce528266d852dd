//! What an attacker who knows the path token can still make the receiver do, over real
//! loopback HTTP against a counting test platform: a number that named nothing costs
//! one call, a 429 one call and then none, one kind cannot starve the others; refused
//! requests close their connection; one peer gets its share of connections; the
//! allow-list closes the rest; a claim left by a store failure is released once the
//! store answers. (The floods are in `siege_*.rs`.)

mod common;
mod siege_common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipv_api::callback::{
    BoxFuture, CallbackReceiver, CallbackServer, CallbackStore, Claim, Completion, Delivery,
    LeaseToken, MemoryStore, RefetchLimits, ServerConfig, StoreError, handler_fn,
};
use tokio::task::JoinSet;

use ipv_test_services::callback_client::{get, raw_request};
use siege_common::{KeepAlive, Platform, TOKEN, connect_from, recording_handler};

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const PLATFORM: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn serve<H: ipv_api::callback::CallbackHandler>(
    receiver: CallbackReceiver<H>,
    config: ServerConfig,
) -> CallbackServer {
    CallbackServer::bind_with("127.0.0.1:0", receiver, config.with_path_token(TOKEN))
        .await
        .unwrap()
}

fn path(query: &str) -> String {
    format!("/{TOKEN}/callback?{query}")
}

#[tokio::test]
async fn a_number_that_named_nothing_costs_no_call_when_repeated() {
    let platform = Platform::default();
    let (handler, seen) = recording_handler();
    let receiver = CallbackReceiver::new(common::client_over(platform.clone()), handler);
    let reply = receiver.handle("type=instance&no=I-FORGED-1").await;
    assert!(reply.is_success(), "names nothing: the platform may stop");
    let calls = platform.calls();
    assert_eq!(calls, 1);
    for _ in 0..20 {
        let reply = receiver.handle("type=instance&no=I-FORGED-1").await;
        // Remembered: no call, and "retry later" rather than success, so a genuine
        // callback for a number an attacker named first is only delayed.
        assert_eq!(reply.status, 503, "{reply:?}");
    }
    assert_eq!(platform.calls(), calls);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn after_a_429_one_call_per_callback_then_the_receiver_backs_off() {
    let platform = Platform::default();
    platform.add_order("C-1", "APP-1", 1);
    platform.set_too_many(true);
    let (handler, seen) = recording_handler();
    let limits =
        RefetchLimits::default().backoff(Duration::from_secs(600), Duration::from_secs(600));
    let receiver = CallbackReceiver::builder(handler)
        .refetch_limits(limits)
        .build(common::client_over(platform.clone()));
    let reply = receiver.handle("type=order&no=C-1&op=1").await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(
        platform.calls(),
        1,
        "one call: no retry, no second lookup by appOrderNo"
    );
    // Backing off: other callbacks wait without a call.
    for i in 0..10 {
        let reply = receiver.handle(&format!("type=order&no=C-{i}&op=1")).await;
        assert_eq!(reply.status, 503);
        assert!(reply.body.contains("slow down"), "{}", reply.body);
    }
    assert_eq!(platform.calls(), 1);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_orders_filling_their_share_leave_room_for_instances() {
    let platform = Platform::default();
    platform.add_instance("I-GENUINE-1");
    platform.hold_orders();
    let (handler, seen) = recording_handler();
    let receiver = CallbackReceiver::builder(handler)
        .max_in_flight(30)
        .refetch_limits(RefetchLimits::unlimited())
        .build(common::client_over(platform.clone()));
    // Thirty forged order callbacks at once, each stuck at a slow platform: as many as
    // the whole bound, but they get only their kind's share of it (10).
    let mut forged = JoinSet::new();
    for i in 0..30 {
        let receiver = receiver.clone();
        forged.spawn(async move { receiver.handle(&format!("type=order&no=C-F{i}&op=1")).await });
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.in_flight() < 10 {
        assert!(Instant::now() < deadline, "the forgeries never got going");
        tokio::task::yield_now().await;
    }
    let reply = receiver.handle("type=instance&no=I-GENUINE-1").await;
    assert!(reply.is_success(), "{reply:?}");
    assert_eq!(seen.lock().unwrap().as_slice(), ["instance:I-GENUINE-1"]);
    assert!(
        receiver.in_flight() <= 10,
        "{} in flight",
        receiver.in_flight()
    );
    // The ten in flight are held by the platform, so the first twenty answers are the
    // forgeries past their share, each told to retry later (waited for before the
    // release: a forgery that started late would otherwise find a slot free again).
    for _ in 0..20 {
        let reply = forged.join_next().await.expect("a forgery").unwrap();
        assert_eq!(
            reply.status, 503,
            "past their share, forgeries are told to retry later: {reply:?}"
        );
    }
    assert_eq!(receiver.in_flight(), 10);
    platform.release_orders();
    while let Some(reply) = forged.join_next().await {
        reply.unwrap();
    }
}

#[tokio::test]
async fn a_refused_request_closes_its_connection() {
    let (handler, _seen) = recording_handler();
    let server = serve(
        CallbackReceiver::trusting_query(handler),
        ServerConfig::default(),
    )
    .await;
    let addr = server.local_addr();
    // Kept-alive requests; the answer comes, then the close (or the helper would wait
    // 30 s and return nothing).
    for (request, status) in [
        (
            "GET /wrong/path?type=order&no=1&op=1 HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
            "404",
        ),
        (
            format!(
                "POST /{TOKEN}/cb?type=order&no=1&op=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
            ),
            "405",
        ),
        (
            format!(
                "GET /{TOKEN}/cb?{} HTTP/1.1\r\nHost: x\r\n\r\n",
                "n".repeat(4000)
            ),
            "414",
        ),
    ] {
        let answer = raw_request(addr, &request).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer:?}"
        );
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
    }
    // hyper's own refusals close the connection too: a head too large (431), garbage
    // (400).
    for (request, status) in [
        (
            format!(
                "GET /{TOKEN}/cb?type=product&no=P HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "b".repeat(20_000)
            ),
            "431",
        ),
        ("NOT HTTP AT ALL\r\n\r\n".to_owned(), "400"),
    ] {
        let answer = raw_request(addr, &request).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer:?}"
        );
    }
    // A good request keeps its connection for the next one.
    let mut conn = KeepAlive::connect(PLATFORM, addr).await.unwrap();
    for i in 0..3 {
        let (status, _) = conn
            .get(&path(&format!("type=instance&no=I-{i}")))
            .await
            .unwrap();
        assert_eq!(status, 200);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn one_peer_gets_its_share_of_connections_and_no_more() {
    let (handler, _seen) = recording_handler();
    let config = ServerConfig::default().with_max_connections_per_peer(2);
    let server = serve(CallbackReceiver::trusting_query(handler), config).await;
    let addr = server.local_addr();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut conn = KeepAlive::connect(ATTACKER, addr).await.unwrap();
        // A served connection: it answers.
        assert_eq!(conn.get(&path("type=product&no=P-1")).await.unwrap().0, 200);
        held.push(conn);
    }
    // The third from the same peer is closed without an answer.
    let mut third = KeepAlive::connect(ATTACKER, addr).await.unwrap();
    assert!(third.get(&path("type=product&no=P-2")).await.is_none());
    // Another peer is served.
    let (status, ack) = get(addr, &path("type=product&no=P-3")).await;
    assert_eq!((status, ack.is_success()), (200, true));
    // Once the peer closes one, it may open another.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut conn = KeepAlive::connect(ATTACKER, addr).await.unwrap();
        if conn.get(&path("type=product&no=P-4")).await.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the peer's share never came back"
        );
        tokio::task::yield_now().await;
    }
    server.shutdown().await;
}

#[tokio::test]
async fn connections_from_outside_the_allow_list_are_closed_unread() {
    let (handler, seen) = recording_handler();
    let config = ServerConfig::default().allow_from("127.0.0.1/32".parse().unwrap());
    let server = serve(CallbackReceiver::trusting_query(handler), config).await;
    let addr = server.local_addr();
    let mut outsider = KeepAlive::connect(ATTACKER, addr).await.unwrap();
    assert!(
        outsider
            .get(&path("type=order&no=C-OUT&op=1"))
            .await
            .is_none()
    );
    let mut insider = KeepAlive::connect(PLATFORM, addr).await.unwrap();
    assert_eq!(
        insider
            .get(&path("type=order&no=C-IN&op=1"))
            .await
            .unwrap()
            .0,
        200
    );
    assert_eq!(seen.lock().unwrap().as_slice(), ["order:C-IN"]);
    server.shutdown().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let (handler, _seen) = recording_handler();
    let config = ServerConfig::default().with_idle_timeout(Duration::from_millis(300));
    let server = serve(CallbackReceiver::trusting_query(handler), config).await;
    let addr = server.local_addr();
    let mut conn = KeepAlive::connect(PLATFORM, addr).await.unwrap();
    assert_eq!(conn.get(&path("type=product&no=P-1")).await.unwrap().0, 200);
    // Idle between requests: closed by the server's idle deadline (well before hyper's
    // 10 s header-read timer could).
    assert!(conn.closed_within(Duration::from_secs(5)).await);
    // One that never sent a byte, too.
    let mut silent = connect_from(PLATFORM, addr).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read(&mut silent, &mut buf),
    )
    .await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "{read:?}");
    server.shutdown().await;
}

/// A memory store that can act frozen: a claim is recorded but its answer lost (as a
/// frozen server runs the queued command later), and abandons fail.
#[derive(Debug, Default)]
struct FreezingStore {
    inner: MemoryStore,
    frozen: AtomicBool,
    abandons: AtomicU64,
}

#[derive(Debug)]
struct Frozen;

impl std::fmt::Display for Frozen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("store frozen")
    }
}

impl std::error::Error for Frozen {}

impl CallbackStore for FreezingStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async move {
            let claimed = self.inner.claim(key, token, lease).await;
            if self.frozen.load(Ordering::SeqCst) {
                return Err(Box::new(Frozen) as StoreError);
            }
            claimed
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<Completion, StoreError>> {
        Box::pin(async move {
            if self.frozen.load(Ordering::SeqCst) {
                return Err(Box::new(Frozen) as StoreError);
            }
            self.inner.complete(key, token).await
        })
    }

    fn abandon<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if self.frozen.load(Ordering::SeqCst) {
                return Err(Box::new(Frozen) as StoreError);
            }
            self.abandons.fetch_add(1, Ordering::SeqCst);
            self.inner.abandon(key, token).await
        })
    }

    fn is_done<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            if self.frozen.load(Ordering::SeqCst) {
                return Err(Box::new(Frozen) as StoreError);
            }
            self.inner.is_done(key).await
        })
    }
}

#[tokio::test]
async fn a_claim_left_by_a_frozen_store_is_released_once_it_answers() {
    let store = Arc::new(FreezingStore::default());
    let handled = Arc::new(Mutex::new(Vec::new()));
    let make = |store: Arc<FreezingStore>| {
        let handled = Arc::clone(&handled);
        CallbackReceiver::builder(handler_fn(move |delivery: Delivery| {
            handled.lock().unwrap().push(delivery.callback.no);
            std::future::ready(Ok::<(), std::convert::Infallible>(()))
        }))
        .shared_store(store)
        .build_trusting_query()
    };
    let a = make(Arc::clone(&store));
    let b = make(Arc::clone(&store));

    store.frozen.store(true, Ordering::SeqCst);
    for no in ["C-1", "C-2"] {
        let reply = a.handle(&format!("type=order&no={no}&op=1")).await;
        assert_eq!(reply.status, 503, "{reply:?}");
    }
    assert_eq!(a.orphaned_claims(), 2);
    store.frozen.store(false, Ordering::SeqCst);

    // The same receiver takes its own claim over at once.
    let reply = a.handle("type=order&no=C-1&op=1").await;
    assert!(reply.is_success(), "{reply:?}");
    // Another receiver sharing the store gets the other key as soon as the first one
    // abandoned it in the background: within seconds, not the 60 s lease.
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.orphaned_claims() > 0 || store.abandons.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the orphaned claim was never abandoned"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reply = b.handle("type=order&no=C-2&op=1").await;
    assert!(reply.is_success(), "{reply:?}");
    assert_eq!(handled.lock().unwrap().as_slice(), ["C-1", "C-2"]);
}

/// A `MakeWriter` into a shared buffer, to read the server's logs.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn a_server_without_a_token_off_loopback_warns() {
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let read = || String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    let (handler, _seen) = recording_handler();
    let receiver = CallbackReceiver::trusting_query(handler);

    // Loopback without a token, and anywhere with one: no warning.
    let quiet = CallbackServer::bind("127.0.0.1:0", receiver.clone())
        .await
        .unwrap();
    quiet.shutdown().await;
    let config = ServerConfig::default().with_path_token(TOKEN);
    let tokened = CallbackServer::bind_with("0.0.0.0:0", receiver.clone(), config)
        .await
        .unwrap();
    tokened.shutdown().await;
    assert!(!read().contains("without a path token"), "{}", read());

    // Every interface without a token: a warning.
    let open = CallbackServer::bind("0.0.0.0:0", receiver).await.unwrap();
    open.shutdown().await;
    let logged = read();
    assert!(logged.contains("WARN"), "{logged}");
    assert!(logged.contains("without a path token"), "{logged}");
}
