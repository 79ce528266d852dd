//! `HyperTransport` against real servers on 127.0.0.1.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode, Version};
use ipv_transport::{HyperTransport, SharedTransport, TransportError, TransportErrorKind};
use tokio::io::AsyncWriteExt;

use common::{closed_port, hold_forever, http1_server, raw_server};

fn transport() -> SharedTransport {
    Arc::new(HyperTransport::builder().no_proxy().build().expect("build"))
}

fn post(uri: String, body: &'static str) -> Request<Bytes> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("content-type", "application/json")
        .header("x-custom", "kept")
        .body(Bytes::from_static(body.as_bytes()))
        .unwrap()
}

fn get(uri: String) -> Request<Bytes> {
    Request::get(uri).body(Bytes::new()).unwrap()
}

/// Asserts that neither the message nor the Debug form of `err` holds `secret`.
fn assert_not_leaked(err: &TransportError, secret: &str) {
    assert!(!err.to_string().contains(secret), "{err}");
    assert!(!format!("{err:?}").contains(secret), "{err:?}");
}

#[tokio::test]
async fn post_is_echoed_over_http1() {
    let (addr, _) = http1_server().await;
    let response = transport()
        .send(post(format!("http://{addr}/echo"), r#"{"reqId":"r1"}"#))
        .await
        .expect("echo");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.body().as_ref(), br#"{"reqId":"r1"}"#);
    assert_eq!(response.headers()["x-echo-method"], "POST");
    assert_eq!(response.headers()["x-echo-version"], "HTTP/1.1");
    assert_eq!(response.headers()["x-echo-custom"], "kept");
}

#[tokio::test]
async fn error_statuses_are_answers_with_their_bodies() {
    let (addr, _) = http1_server().await;
    let transport = transport();
    let not_found = transport
        .send(get(format!("http://{addr}/status/404")))
        .await
        .expect("a 404 is a response");
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    assert_eq!(not_found.body().as_ref(), b"no such thing");
    let failed = transport
        .send(get(format!("http://{addr}/status/500")))
        .await
        .expect("a 500 is a response");
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.body().as_ref(), b"boom");
}

#[tokio::test]
async fn one_transport_serves_many_requests_and_clones() {
    let (addr, _) = http1_server().await;
    let transport = HyperTransport::builder().no_proxy().build().unwrap();
    let clone = transport.clone();
    let shared: SharedTransport = Arc::new(clone);
    for n in 0..5 {
        let response = shared
            .send(get(format!("http://{addr}/item/{n}")))
            .await
            .unwrap();
        assert_eq!(response.body(), &format!("hello from /item/{n}"));
    }
    let direct = ipv_transport::HttpTransport::send(&transport, get(format!("http://{addr}/x")))
        .await
        .unwrap();
    assert_eq!(direct.body().as_ref(), b"hello from /x");
}

#[tokio::test]
async fn concurrent_requests_all_complete() {
    let (addr, _) = http1_server().await;
    let transport = transport();
    let mut tasks = Vec::new();
    for n in 0..8 {
        let transport = Arc::clone(&transport);
        tasks.push(tokio::spawn(async move {
            transport
                .send(get(format!("http://{addr}/job/{n}")))
                .await
                .map(|r| r.into_body())
        }));
    }
    for (n, task) in tasks.into_iter().enumerate() {
        let body = task.await.unwrap().unwrap();
        assert_eq!(body, format!("hello from /job/{n}"));
    }
}

#[tokio::test]
async fn body_at_the_limit_is_accepted() {
    let (addr, _) = http1_server().await;
    let transport = HyperTransport::builder()
        .no_proxy()
        .max_response_body(1000)
        .build()
        .unwrap();
    let response =
        ipv_transport::HttpTransport::send(&transport, get(format!("http://{addr}/big/1000")))
            .await
            .expect("exactly the limit");
    assert_eq!(response.body().len(), 1000);
}

#[tokio::test]
async fn declared_length_over_the_limit_is_body_too_large() {
    let (addr, _) = http1_server().await;
    let transport = HyperTransport::builder()
        .no_proxy()
        .max_response_body(1000)
        .build()
        .unwrap();
    let err =
        ipv_transport::HttpTransport::send(&transport, get(format!("http://{addr}/big/1001")))
            .await
            .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge);
    assert!(err.is_body_too_large());
    assert!(err.message().contains("1000 bytes"), "{err}");
}

#[tokio::test]
async fn chunked_body_over_the_limit_is_body_too_large() {
    // No Content-Length: the limit must be enforced while reading.
    let addr = raw_server(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        for _ in 0..4 {
            let _ = stream.write_all(b"100\r\n").await;
            let _ = stream.write_all(&[b'y'; 0x100]).await;
            let _ = stream.write_all(b"\r\n").await;
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
    })
    .await;
    let transport = HyperTransport::builder()
        .no_proxy()
        .max_response_body(600)
        .build()
        .unwrap();
    let err = ipv_transport::HttpTransport::send(&transport, get(format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let addr = raw_server(hold_forever).await;
    let transport = HyperTransport::builder()
        .no_proxy()
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = ipv_transport::HttpTransport::send(
        &transport,
        post(format!("http://{addr}/echo"), "SECRET-BODY"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Timeout);
    assert!(err.is_timeout());
    assert!(err.message().contains(&format!("http://{addr}")), "{err}");
    assert_not_leaked(&err, "SECRET-BODY");
}

#[tokio::test]
async fn a_body_that_stalls_times_out() {
    let addr = raw_server(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part")
            .await;
        hold_forever(stream).await;
    })
    .await;
    let transport = HyperTransport::builder()
        .no_proxy()
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = ipv_transport::HttpTransport::send(&transport, get(format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Timeout);
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let port = closed_port().await;
    let err = transport()
        .send(post(format!("http://127.0.0.1:{port}/echo"), "SECRET-BODY"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Connect);
    assert!(err.is_connect());
    assert!(
        err.message()
            .starts_with(&format!("cannot connect to http://127.0.0.1:{port}")),
        "{err}"
    );
    assert!(std::error::Error::source(&err).is_some());
    assert_not_leaked(&err, "SECRET-BODY");
}

#[tokio::test]
async fn a_connection_dropped_mid_exchange_is_io() {
    // The server reads the request and hangs up without answering.
    let addr = raw_server(|stream| async move { drop(stream) }).await;
    let err = transport()
        .send(post(format!("http://{addr}/echo"), "SECRET-BODY"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Io, "{err}");
    assert_not_leaked(&err, "SECRET-BODY");
}

#[tokio::test]
async fn a_malformed_response_is_io() {
    let addr = raw_server(|mut stream| async move {
        let _ = stream.write_all(b"this is not http\r\n\r\n").await;
    })
    .await;
    let err = transport()
        .send(get(format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Io, "{err}");
}

#[tokio::test]
async fn bad_uris_are_other_errors() {
    let transport = transport();
    for uri in ["/relative/path", "ftp://127.0.0.1/file"] {
        let err = transport.send(get(uri.to_owned())).await.unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Other, "{uri}: {err}");
    }
}

#[tokio::test]
async fn http2_with_prior_knowledge() {
    let addr = common::h2c_server().await;
    let transport = HyperTransport::builder()
        .no_proxy()
        .http2_prior_knowledge(true)
        .build()
        .unwrap();
    let response = ipv_transport::HttpTransport::send(
        &transport,
        post(format!("http://{addr}/echo"), "over h2c"),
    )
    .await
    .expect("h2c echo");
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.headers()["x-echo-version"], "HTTP/2.0");
    assert_eq!(response.body().as_ref(), b"over h2c");
}
