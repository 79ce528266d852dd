//! The callback dispatcher runs at most `callback_concurrency` deliveries at once: the
//! rest wait in the outbox and go out as slots free up.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ipv_emulator::{AppConfig, CallbackPolicy, DEFAULT_CALLBACK_CONCURRENCY, EmulatorConfig};
use ipv_types::{OpenInstancesRequest, OpenParam};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use common::{client, config, start};

/// A callback receiver that holds every request until a permit lets it answer, counting
/// how many it holds at once.
struct Receiver {
    addr: std::net::SocketAddr,
    active: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    served: Arc<AtomicUsize>,
    permits: Arc<Semaphore>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let active = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let served = Arc::new(AtomicUsize::new(0));
        let permits = Arc::new(Semaphore::new(0));
        let gate = Arc::clone(&permits);
        let (a, m, s) = (active.clone(), most.clone(), served.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let (a, m, s) = (a.clone(), m.clone(), s.clone());
                let gate = Arc::clone(&gate);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let now = a.fetch_add(1, Ordering::SeqCst) + 1;
                    m.fetch_max(now, Ordering::SeqCst);
                    gate.acquire().await.expect("the gate stays open").forget();
                    a.fetch_sub(1, Ordering::SeqCst);
                    s.fetch_add(1, Ordering::SeqCst);
                    let body = r#"{"code":"success","msg":""}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self {
            addr,
            active,
            most,
            served,
            permits,
        }
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_capped_and_the_rest_wait_their_turn() {
    let receiver = Receiver::start().await;
    let app = AppConfig::default_app().with_callback_url(format!("http://{}/cb", receiver.addr));
    let policy = CallbackPolicy {
        timeout: Duration::from_secs(60),
        ..CallbackPolicy::default()
    };
    let emu = start(
        config()
            .with_apps(vec![app])
            .with_callback_policy(policy)
            .with_callback_concurrency(2),
    )
    .await;
    let api = client(&emu);
    for i in 0..3 {
        api.open_instances(&OpenInstancesRequest::new(
            format!("CAP-{i}"),
            vec![OpenParam::by_product("ipv_dc_us_sjc_w", 2, 1)],
        ))
        .await
        .expect("open");
    }
    let queued = emu.control().summary().callbacks_pending;
    assert!(queued >= 6, "{queued} callbacks queued");

    // Two deliveries start and are held; no third one starts while they are.
    wait_until("two deliveries in flight", || {
        receiver.active.load(Ordering::SeqCst) == 2
    })
    .await;
    // Let them answer one at a time: each answer frees a slot, and the next queued
    // delivery takes it. An uncapped dispatcher would have started every queued delivery
    // at once (all held here), so `most` would read more than two.
    for answered in 1..=queued {
        receiver.permits.add_permits(1);
        wait_until("one more answered", || {
            receiver.served.load(Ordering::SeqCst) >= answered
        })
        .await;
        let active = receiver.active.load(Ordering::SeqCst);
        assert!(
            active <= 2,
            "{active} deliveries at once after {answered} answers"
        );
    }
    assert_eq!(receiver.most.load(Ordering::SeqCst), 2, "capped at two");

    // Every queued callback is delivered, never more than two at a time.
    receiver.permits.add_permits(1_000);
    assert!(
        emu.control()
            .wait_for_callbacks(Duration::from_secs(30))
            .await,
        "all delivered"
    );
    assert!(receiver.served.load(Ordering::SeqCst) >= queued);
    assert!(receiver.most.load(Ordering::SeqCst) <= 2);
    emu.shutdown().await;
}

#[test]
fn the_default_cap_is_documented_and_used() {
    assert_eq!(
        EmulatorConfig::default().callback_concurrency,
        DEFAULT_CALLBACK_CONCURRENCY
    );
    const { assert!(DEFAULT_CALLBACK_CONCURRENCY >= 1) };
}
