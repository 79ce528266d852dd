//! Secrets audit of the transport: its errors never quote the request (body or headers)
//! or the response body, and the Debug of the transport and of its proxy settings never
//! shows a proxy password, whatever fails.

use std::time::Duration;

use bytes::Bytes;
use ipv_transport::{HttpTransport, HyperTransport, ProxyConfig, TransportError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// Placed in request bodies and headers, and in response bodies: must not be echoed.
const MARKER: &str = "ZZpayloadMarkerZZ";
/// A proxy password.
const PASSWORD: &str = "ZZproxyPasswordZZ";

fn assert_clean(what: &str, text: &str) {
    for secret in [MARKER, PASSWORD] {
        assert!(!text.contains(secret), "{what} shows {secret}: {text}");
    }
}

fn assert_error_clean(what: &str, err: &TransportError) {
    assert_clean(what, &format!("{err} {err:?} {err:#?}"));
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        assert_clean(&format!("source of {what}"), &format!("{inner} {inner:?}"));
        source = inner.source();
    }
}

/// A request whose body and a header hold the marker.
fn request(url: &str) -> http::Request<Bytes> {
    http::Request::post(url)
        .header("content-type", "application/json")
        .header("x-audit", MARKER)
        .body(Bytes::from(format!("{{\"params\":\"{MARKER}\"}}")))
        .expect("a request")
}

fn transport() -> HyperTransport {
    HyperTransport::builder()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_millis(500))
        .max_response_body(64)
        .no_proxy()
        .build()
        .expect("transport builds")
}

/// A one-shot server on 127.0.0.1:0 that reads the request, then writes `reply` (or
/// closes at once for `None`) and closes.
async fn server(reply: Option<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        if let Ok((mut socket, _)) = listener.accept().await {
            if let Some(reply) = reply {
                let mut buf = vec![0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(reply.as_bytes()).await;
            }
            let _ = socket.shutdown().await;
        }
    });
    format!("http://{addr}/api")
}

#[tokio::test]
async fn transport_errors_never_quote_request_or_response() {
    let transport = transport();
    let mut failures = Vec::new();

    // Nothing listens: a connect error.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    failures.push((
        "connect",
        transport
            .send(request(&format!("http://{closed}/api")))
            .await,
    ));
    // The server hangs up without answering.
    failures.push((
        "hang-up",
        transport.send(request(&server(None).await)).await,
    ));
    // The server answers garbage that echoes the marker.
    failures.push((
        "garbage",
        transport
            .send(request(
                &server(Some(format!("NOT HTTP {MARKER}\r\n\r\n"))).await,
            ))
            .await,
    ));
    // The server answers a body beyond the limit, full of the marker.
    let big = MARKER.repeat(20);
    failures.push((
        "too large",
        transport
            .send(request(
                &server(Some(format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{big}",
                    big.len()
                )))
                .await,
            ))
            .await,
    ));
    // The server accepts and never answers: the request timeout.
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let silent_url = format!("http://{}/api", silent.local_addr().expect("addr"));
    let keep = tokio::spawn(async move {
        let conn = silent.accept().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(conn);
    });
    failures.push(("timeout", transport.send(request(&silent_url)).await));
    keep.abort();

    for (what, outcome) in &failures {
        let err = outcome.as_ref().expect_err(what);
        assert_error_clean(what, err);
    }
    assert!(
        failures[0]
            .1
            .as_ref()
            .is_err_and(TransportError::is_connect)
    );
    assert!(
        failures[3]
            .1
            .as_ref()
            .is_err_and(TransportError::is_body_too_large)
    );
    assert!(
        failures[4]
            .1
            .as_ref()
            .is_err_and(TransportError::is_timeout)
    );
    assert_clean("Debug of HyperTransport", &format!("{transport:?}"));
}

#[tokio::test]
async fn proxy_passwords_stay_hidden() {
    let url = format!("http://audit:{PASSWORD}@127.0.0.1:9");
    let config = ProxyConfig::new().all(url.as_str());
    assert_clean("Debug of ProxyConfig", &format!("{config:?} {config:#?}"));
    let transport = HyperTransport::builder()
        .connect_timeout(Duration::from_millis(500))
        .request_timeout(Duration::from_millis(500))
        .proxy(config)
        .build()
        .expect("transport builds");
    assert_clean(
        "Debug of HyperTransport with a proxy",
        &format!("{transport:?} {transport:#?}"),
    );
    // Nothing listens on the proxy's port: the connect error names no password.
    let err = transport
        .send(request("http://example.invalid/api"))
        .await
        .expect_err("the proxy is unreachable");
    assert_error_clean("proxy connect", &err);
}
