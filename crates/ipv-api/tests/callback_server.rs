//! The callback server over real loopback HTTP: answers, duplicates, leases, store
//! failures, methods, path token, limits and shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use ipv_api::callback::{
    BoxFuture, CallbackHandler, CallbackReceiver, CallbackServer, CallbackStore, Claim, Completion,
    Delivery, LeaseToken, MemoryStore, ServerConfig, StoreError, handler_fn,
};
use ipv_types::{CallbackAck, CallbackKind};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};

use ipv_test_services::callback_client::{get, raw_request};

/// A handler that does nothing but count its runs, and the count.
fn counting_handler() -> (impl CallbackHandler, Arc<AtomicU32>) {
    let runs = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&runs);
    let handler = handler_fn(move |_delivery: Delivery| {
        counter.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok::<(), std::convert::Infallible>(()))
    });
    (handler, runs)
}

#[tokio::test]
async fn duplicates_are_acknowledged_and_handled_once() {
    let runs = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&runs);
    // Runs are held at this gate until the test opens it (then it stays open).
    let (open, gate) = watch::channel(false);
    let receiver = CallbackReceiver::trusting_query(handler_fn(move |delivery: Delivery| {
        let counter = Arc::clone(&counter);
        let mut gate = gate.clone();
        async move {
            assert_eq!(delivery.callback.kind, CallbackKind::Order);
            assert!(
                delivery.fetched.is_none(),
                "trusting the query fetches nothing"
            );
            gate.wait_for(|open| *open).await.expect("the gate stays");
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<(), std::convert::Infallible>(())
        }
    }));
    let server = CallbackServer::bind("127.0.0.1:0", receiver.clone())
        .await
        .unwrap();

    // Three at once (the gate opens once one run holds them all), then one more later:
    // one handler run, four acknowledgements.
    let query = "/callback?type=order&no=ORD-1&op=1";
    let release = async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !(receiver.in_flight() == 1 && receiver.joined() == 2) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the duplicates never joined the run"
            );
            tokio::task::yield_now().await;
        }
        open.send_replace(true);
    };
    let (a, b, c, ()) = tokio::join!(
        get(server.local_addr(), query),
        get(server.local_addr(), query),
        get(server.local_addr(), query),
        release
    );
    let later = get(
        server.local_addr(),
        "/any/other/path?type=order&no=ORD-1&op=1",
    )
    .await;
    for (status, ack) in [a, b, c, later] {
        assert_eq!(status, 200);
        assert_eq!(ack, CallbackAck::success());
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // Another operation on the same order is another callback.
    let (status, ack) = get(server.local_addr(), "/?type=order&no=ORD-1&op=3").await;
    assert_eq!((status, ack.is_success()), (200, true));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn instance_and_product_callbacks_are_never_suppressed() {
    let (handler, runs) = counting_handler();
    let receiver = CallbackReceiver::trusting_query(handler);
    for _ in 0..3 {
        assert!(
            receiver
                .handle("type=instance&no=inst-1")
                .await
                .is_success()
        );
        assert!(receiver.handle("type=product&no=p-1").await.is_success());
    }
    // Each announces a change: six callbacks, six runs.
    assert_eq!(runs.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn a_failing_handler_gets_a_retry_and_then_success() {
    let attempts = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&attempts);
    let receiver = CallbackReceiver::trusting_query(handler_fn(move |_delivery: Delivery| {
        let attempt = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if attempt == 0 {
                Err("database is down")
            } else {
                Ok(())
            }
        }
    }));
    let server = CallbackServer::bind("127.0.0.1:0", receiver).await.unwrap();

    let query = "/?type=order&no=C-7&op=1";
    let (status, ack) = get(server.local_addr(), query).await;
    assert_eq!(status, 503);
    assert_eq!(ack.code, "fail");
    assert_eq!(ack.msg, "database is down");

    let (status, ack) = get(server.local_addr(), query).await;
    assert_eq!((status, ack), (200, CallbackAck::success()));
    let (status, _) = get(server.local_addr(), query).await;
    assert_eq!(status, 200);
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "not run again once done"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn garbage_unknown_types_and_orders_without_op_stop_without_the_handler() {
    let (handler, runs) = counting_handler();
    let receiver = CallbackReceiver::trusting_query(handler);
    let server = CallbackServer::bind("127.0.0.1:0", receiver).await.unwrap();
    let long_no = "x".repeat(200);
    for query in [
        "/?type=order&no=ORD-1".to_owned(),
        "/?type=refund&no=ORD-1&op=1".to_owned(),
        "/".to_owned(),
        "/?%zz=1".to_owned(),
        "/?type=order&no=C1&op=open".to_owned(),
        format!("/?type=instance&no={long_no}"),
    ] {
        let (status, ack) = get(server.local_addr(), &query).await;
        assert_eq!((status, ack), (200, CallbackAck::success()), "{query}");
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "nothing reached the handler"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn only_get_runs_the_handler() {
    let (handler, runs) = counting_handler();
    let receiver = CallbackReceiver::trusting_query(handler);
    let server = CallbackServer::bind("127.0.0.1:0", receiver).await.unwrap();
    for method in ["HEAD", "POST", "PUT", "DELETE", "OPTIONS"] {
        let answer = raw_request(
            server.local_addr(),
            &format!("{method} /?type=product&no=p1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 405"), "{method}: {answer}");
        assert!(
            answer.to_ascii_lowercase().contains("allow: get"),
            "{answer}"
        );
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "HEAD and others never run it"
    );
    let (status, _) = get(server.local_addr(), "/?type=product&no=p1").await;
    assert_eq!(status, 200);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_path_token_hides_everything_else() {
    let token = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let (handler, runs) = counting_handler();
    let receiver = CallbackReceiver::trusting_query(handler);
    let config = ServerConfig::default().with_path_token(token);
    let server = CallbackServer::bind_with("127.0.0.1:0", receiver, config)
        .await
        .unwrap();
    for path in [
        "/?type=product&no=p1".to_owned(),
        "/callback?type=product&no=p1".to_owned(),
        format!("/{}?type=product&no=p1", &token[..31]),
        format!("/{token}x/callback?type=product&no=p1"),
        format!("/x/{token}?type=product&no=p1"),
    ] {
        let (status, ack) = get(server.local_addr(), &path).await;
        assert_eq!((status, ack.code.as_str()), (404, "fail"), "{path}");
    }
    // Wrong path with another method: still 404, revealing nothing.
    let answer = raw_request(
        server.local_addr(),
        "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert_eq!(runs.load(Ordering::SeqCst), 0);

    for path in [
        format!("/{token}?type=product&no=p1"),
        format!("/{token}/ipv/callback?type=product&no=p1"),
    ] {
        let (status, ack) = get(server.local_addr(), &path).await;
        assert_eq!((status, ack), (200, CallbackAck::success()), "{path}");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    server.shutdown().await;

    let refused = CallbackServer::bind_with(
        "127.0.0.1:0",
        CallbackReceiver::trusting_query(handler_fn(|_d: Delivery| {
            std::future::ready(Ok::<(), std::convert::Infallible>(()))
        })),
        ServerConfig::default().with_path_token("short"),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_long_query_gets_414_without_reaching_the_receiver() {
    let (handler, runs) = counting_handler();
    let receiver = CallbackReceiver::trusting_query(handler);
    let config = ServerConfig::default().with_max_query_len(64);
    let server = CallbackServer::bind_with("127.0.0.1:0", receiver, config)
        .await
        .unwrap();
    let query = format!("/?type=product&no=p1&pad={}", "y".repeat(64));
    let (status, ack) = get(server.local_addr(), &query).await;
    assert_eq!((status, ack.code.as_str()), (414, "fail"));
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn a_panicking_handler_is_a_failure_not_a_crash() {
    let receiver = CallbackReceiver::trusting_query(handler_fn(|delivery: Delivery| async move {
        if delivery.callback.no == "boom" {
            panic!("handler bug");
        }
        Ok::<(), std::convert::Infallible>(())
    }));
    let reply = receiver.handle("type=product&no=boom").await;
    assert_eq!(reply.status, 503);
    assert!(!reply.is_success());
    let reply = receiver.handle("?type=product&no=fine").await;
    assert!(reply.is_success());
    assert_eq!(receiver.in_flight(), 0);
}

/// A store that fails while `down` is set, and otherwise defers to a memory store.
#[derive(Debug, Default)]
struct FlakyStore {
    down: AtomicBool,
    inner: MemoryStore,
}

impl FlakyStore {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err("connection refused (test store is down)".into())
        } else {
            Ok(())
        }
    }
}

impl CallbackStore for FlakyStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async move {
            self.check()?;
            self.inner.claim(key, token, lease).await
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<Completion, StoreError>> {
        Box::pin(async move {
            self.check()?;
            self.inner.complete(key, token).await
        })
    }

    fn abandon<'a>(
        &'a self,
        key: &'a str,
        token: &'a LeaseToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.check()?;
            self.inner.abandon(key, token).await
        })
    }
}

#[tokio::test]
async fn a_store_that_is_down_means_retry_later_until_it_recovers() {
    let store = Arc::new(FlakyStore::default());
    store.down.store(true, Ordering::SeqCst);
    let (handler, runs) = counting_handler();
    let receiver = CallbackReceiver::builder(handler)
        .shared_store(store.clone())
        .build_trusting_query();
    let server = CallbackServer::bind("127.0.0.1:0", receiver).await.unwrap();
    for query in ["/?type=order&no=C1&op=1", "/?type=instance&no=i1"] {
        for _ in 0..3 {
            let (status, ack) = get(server.local_addr(), query).await;
            assert_eq!(status, 503, "{query}");
            assert!(!ack.is_success(), "never success while the store is down");
        }
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0, "no claim, no run");

    store.down.store(false, Ordering::SeqCst);
    let (status, ack) = get(server.local_addr(), "/?type=order&no=C1&op=1").await;
    assert_eq!((status, ack), (200, CallbackAck::success()));
    let (status, _) = get(server.local_addr(), "/?type=instance&no=i1").await;
    assert_eq!(status, 200);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    // Recorded: the order's duplicate is answered without a run.
    let (status, _) = get(server.local_addr(), "/?type=order&no=C1&op=1").await;
    assert_eq!(status, 200);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_key_held_by_another_receiver_is_retry_later_never_success() {
    let store = Arc::new(MemoryStore::default());
    // Another receiver holds the key (and may still fail).
    let other = LeaseToken::new("another-receiver");
    assert_eq!(
        store
            .claim("order:C9:1", &other, Duration::from_secs(60))
            .await
            .unwrap(),
        Claim::Claimed
    );
    let (handler, runs) = counting_handler();
    let receiver = CallbackReceiver::builder(handler)
        .shared_store(store.clone())
        .build_trusting_query();
    let reply = receiver.handle("type=order&no=C9&op=1").await;
    assert_eq!(reply.status, 503);
    assert!(!reply.is_success());
    assert_eq!(runs.load(Ordering::SeqCst), 0);

    // The other receiver gives up: now this one handles it.
    store.abandon("order:C9:1", &other).await.unwrap();
    assert!(receiver.handle("type=order&no=C9&op=1").await.is_success());
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_client_that_drops_mid_request_leaves_no_gate_and_the_handler_finishes() {
    let release = Arc::new(Notify::new());
    let started = Arc::new(Notify::new());
    let finished = Arc::new(AtomicU32::new(0));
    let (r, s, f) = (release.clone(), started.clone(), finished.clone());
    let receiver = CallbackReceiver::trusting_query(handler_fn(move |_delivery: Delivery| {
        let (release, started, finished) = (r.clone(), s.clone(), f.clone());
        async move {
            started.notify_one();
            release.notified().await;
            finished.fetch_add(1, Ordering::SeqCst);
            Ok::<(), std::convert::Infallible>(())
        }
    }));
    let server = CallbackServer::bind("127.0.0.1:0", receiver.clone())
        .await
        .unwrap();

    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(b"GET /?type=order&no=C-DROP&op=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(15), started.notified())
        .await
        .expect("the handler starts");
    drop(stream); // the caller goes away mid-request
    assert_eq!(receiver.in_flight(), 1);
    release.notify_one();
    tokio::time::timeout(Duration::from_secs(15), receiver.wait_idle())
        .await
        .expect("the run ends and its gate is released");
    assert_eq!(finished.load(Ordering::SeqCst), 1, "the handler finished");
    assert_eq!(receiver.in_flight(), 0);

    // Its outcome was recorded: the retry is answered without a second run.
    let (status, _) = get(server.local_addr(), "/?type=order&no=C-DROP&op=1").await;
    assert_eq!(status, 200);
    assert_eq!(finished.load(Ordering::SeqCst), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_finishes_in_flight_handlers_and_acknowledges_nothing_unfinished() {
    // One handler finishes within the deadline, another outlives it.
    let quick_started = Arc::new(Notify::new());
    let slow_started = Arc::new(Notify::new());
    let (q, s) = (quick_started.clone(), slow_started.clone());
    let receiver = CallbackReceiver::trusting_query(handler_fn(move |delivery: Delivery| {
        let (quick, slow) = (q.clone(), s.clone());
        async move {
            if delivery.callback.no == "QUICK" {
                quick.notify_one();
                tokio::time::sleep(Duration::from_millis(300)).await;
            } else {
                slow.notify_one();
                tokio::time::sleep(Duration::from_secs(600)).await;
            }
            Ok::<(), std::convert::Infallible>(())
        }
    }));
    let config = ServerConfig::default().with_shutdown_deadline(Duration::from_secs(3));
    let server = CallbackServer::bind_with("127.0.0.1:0", receiver, config)
        .await
        .unwrap();
    let addr = server.local_addr();
    let quick = tokio::spawn(raw_request(
        addr,
        "GET /?type=order&no=QUICK&op=1 HTTP/1.1\r\nHost: x\r\n\r\n",
    ));
    let slow = tokio::spawn(raw_request(
        addr,
        "GET /?type=order&no=SLOW&op=1 HTTP/1.1\r\nHost: x\r\n\r\n",
    ));
    for started in [&quick_started, &slow_started] {
        tokio::time::timeout(Duration::from_secs(15), started.notified())
            .await
            .expect("both handlers start");
    }
    tokio::time::timeout(Duration::from_secs(30), server.shutdown())
        .await
        .expect("shutdown ends after its deadline");

    let quick = quick.await.unwrap();
    assert!(quick.starts_with("HTTP/1.1 200"), "{quick}");
    assert!(quick.ends_with(r#"{"code":"success","msg":""}"#), "{quick}");
    let slow = slow.await.unwrap();
    assert!(
        !slow.contains("success"),
        "an unfinished handler was acknowledged: {slow}"
    );

    // And the listener is closed.
    let mut late = TcpStream::connect(addr).await;
    if let Ok(stream) = late.as_mut() {
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf).await;
    }
}

#[tokio::test]
async fn a_handler_past_its_timeout_is_abandoned_and_retried() {
    let calls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&calls);
    let receiver = CallbackReceiver::builder(handler_fn(move |_delivery: Delivery| {
        let call = counter.fetch_add(1, Ordering::SeqCst);
        async move {
            if call == 0 {
                // Far past the timeout.
                tokio::time::sleep(Duration::from_secs(600)).await;
            }
            Ok::<(), std::convert::Infallible>(())
        }
    }))
    .handler_timeout(Duration::from_millis(200))
    .lease(Duration::from_secs(5))
    .build_trusting_query();
    let reply = receiver.handle("type=order&no=C-SLOW&op=1").await;
    assert_eq!(reply.status, 503);
    assert!(reply.body.contains("timed out"), "{}", reply.body);
    // The key was abandoned, not left leased: the retry runs at once.
    let reply = receiver.handle("type=order&no=C-SLOW&op=1").await;
    assert!(reply.is_success(), "{reply:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
#[should_panic(expected = "must be longer than the handler timeout")]
fn a_lease_shorter_than_the_handler_timeout_is_refused() {
    let _ = CallbackReceiver::builder(handler_fn(|_delivery: Delivery| {
        std::future::ready(Ok::<(), std::convert::Infallible>(()))
    }))
    .handler_timeout(Duration::from_secs(30))
    .lease(Duration::from_secs(30))
    .build_trusting_query();
}

#[tokio::test]
async fn past_max_in_flight_new_callbacks_are_told_to_retry() {
    // A gate every run waits at until the test opens it; a watch is level-triggered, so
    // a run that reaches it after it opened passes at once.
    let (release, gate) = watch::channel(false);
    let receiver = CallbackReceiver::builder(handler_fn(move |_delivery: Delivery| {
        let mut gate = gate.clone();
        async move {
            gate.wait_for(|open| *open).await.expect("the gate stays");
            Ok::<(), std::convert::Infallible>(())
        }
    }))
    .max_in_flight(2)
    // The default share of one kind is a third of the bound; this test is about the
    // bound itself.
    .max_in_flight_per_kind(2)
    .build_trusting_query();
    let first = tokio::spawn({
        let receiver = receiver.clone();
        async move { receiver.handle("type=instance&no=a").await }
    });
    let second = tokio::spawn({
        let receiver = receiver.clone();
        async move { receiver.handle("type=instance&no=b").await }
    });
    tokio::time::timeout(Duration::from_secs(15), async {
        while receiver.in_flight() < 2 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("both runs start");
    let third = receiver.handle("type=instance&no=c").await;
    assert_eq!(third.status, 503);
    assert!(third.body.contains("too many"), "{}", third.body);
    // A duplicate of a run in progress joins it instead of being refused.
    let joined = tokio::spawn({
        let receiver = receiver.clone();
        async move { receiver.handle("type=instance&no=a").await }
    });
    release.send_replace(true);
    for run in [first, second, joined] {
        assert!(run.await.unwrap().is_success());
    }
    assert_eq!(receiver.in_flight(), 0, "every gate released");
}

#[tokio::test]
async fn a_receiver_that_died_mid_handling_loses_its_key_when_the_lease_runs_out() {
    let store = Arc::new(MemoryStore::default());
    // A receiver claimed the key for 1 s, then died: it never completes nor abandons.
    let dead = LeaseToken::new("dead-receiver");
    assert_eq!(
        store
            .claim("order:C-DIED:1", &dead, Duration::from_secs(1))
            .await
            .unwrap(),
        Claim::Claimed
    );
    let (handler, runs) = counting_handler();
    let receiver = CallbackReceiver::builder(handler)
        .shared_store(store.clone())
        .build_trusting_query();
    let reply = receiver.handle("type=order&no=C-DIED&op=1").await;
    assert_eq!(reply.status, 503, "held by the dead receiver's lease");

    // The platform calls again later: once the lease ran out, this receiver takes over.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let reply = receiver.handle("type=order&no=C-DIED&op=1").await;
        if reply.is_success() {
            break;
        }
        assert_eq!(reply.status, 503);
        assert!(tokio::time::Instant::now() < deadline, "never taken over");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // The dead receiver's token can no longer touch the key.
    assert_eq!(
        store.complete("order:C-DIED:1", &dead).await.unwrap(),
        Completion::AlreadyDone
    );
}
