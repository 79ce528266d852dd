//! The callback server over real loopback HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ipv_api::callback::{CallbackReceiver, CallbackServer, handler_fn};
use ipv_transport::{Bytes, HttpTransport, HyperTransport};
use ipv_types::{Callback, CallbackAck, CallbackKind};

/// GETs `path_and_query` from the server; returns status and parsed acknowledgement.
async fn get(
    transport: &HyperTransport,
    server: &CallbackServer,
    path_and_query: &str,
) -> (u16, CallbackAck) {
    let uri = format!("http://{}{path_and_query}", server.local_addr());
    let request = http::Request::get(uri).body(Bytes::new()).unwrap();
    let response = transport.send(request).await.unwrap();
    let ack = serde_json::from_slice(response.body()).unwrap();
    (response.status().as_u16(), ack)
}

#[tokio::test]
async fn duplicates_are_acknowledged_and_handled_once() {
    let runs = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&runs);
    let receiver = CallbackReceiver::new(handler_fn(move |callback: Callback| {
        let counter = Arc::clone(&counter);
        async move {
            assert_eq!(callback.kind, CallbackKind::Order);
            // Slow enough that concurrent duplicates overlap.
            tokio::time::sleep(Duration::from_millis(20)).await;
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<(), std::convert::Infallible>(())
        }
    }));
    let server = CallbackServer::bind("127.0.0.1:0", receiver).await.unwrap();
    let transport = HyperTransport::builder().no_proxy().build().unwrap();

    // Three at once, then one more later: one handler run, four acknowledgements.
    let query = "/callback?type=order&no=ORD-1&op=1";
    let (a, b, c) = tokio::join!(
        get(&transport, &server, query),
        get(&transport, &server, query),
        get(&transport, &server, query)
    );
    let later = get(
        &transport,
        &server,
        "/any/other/path?type=order&no=ORD-1&op=1",
    )
    .await;
    for (status, ack) in [a, b, c, later] {
        assert_eq!(status, 200);
        assert_eq!(ack, CallbackAck::success());
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // Another operation on the same order is another callback.
    let (status, ack) = get(&transport, &server, "/?type=order&no=ORD-1&op=3").await;
    assert_eq!((status, ack.is_success()), (200, true));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn a_failing_handler_gets_a_retry_and_then_success() {
    let attempts = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&attempts);
    let receiver = CallbackReceiver::new(handler_fn(move |_callback: Callback| {
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
    let transport = HyperTransport::builder().no_proxy().build().unwrap();

    let query = "/?type=instance&no=inst-7";
    let (status, ack) = get(&transport, &server, query).await;
    assert_eq!(status, 500);
    assert_eq!(ack.code, "fail");
    assert_eq!(ack.msg, "database is down");

    let (status, ack) = get(&transport, &server, query).await;
    assert_eq!((status, ack), (200, CallbackAck::success()));
    let (status, _) = get(&transport, &server, query).await;
    assert_eq!(status, 200);
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "not run again once handled"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn bad_queries_and_methods_are_refused() {
    let receiver = CallbackReceiver::new(handler_fn(|_callback: Callback| async {
        Ok::<(), std::convert::Infallible>(())
    }));
    let server = CallbackServer::bind("127.0.0.1:0", receiver).await.unwrap();
    let transport = HyperTransport::builder().no_proxy().build().unwrap();

    let (status, ack) = get(&transport, &server, "/?type=order&no=ORD-1").await;
    assert_eq!(status, 400);
    assert!(ack.msg.contains("op"), "{}", ack.msg);
    let (status, ack) = get(&transport, &server, "/").await;
    assert_eq!(status, 400);
    assert!(ack.msg.contains("type"), "{}", ack.msg);

    let uri = format!("http://{}/?type=product&no=p1", server.local_addr());
    let post = http::Request::post(uri).body(Bytes::new()).unwrap();
    let response = transport.send(post).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::METHOD_NOT_ALLOWED);
    server.shutdown().await;
}

#[tokio::test]
async fn a_panicking_handler_is_a_failure_not_a_crash() {
    let receiver = CallbackReceiver::new(handler_fn(|callback: Callback| async move {
        if callback.no == "boom" {
            panic!("handler bug");
        }
        Ok::<(), std::convert::Infallible>(())
    }));
    let reply = receiver.handle("type=product&no=boom").await;
    assert_eq!(reply.status, 500);
    assert!(!reply.is_success());
    let reply = receiver.handle("?type=product&no=fine").await;
    assert!(reply.is_success());
}
