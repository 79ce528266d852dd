//! HTTPS through rustls against a loopback TLS server whose certificate is signed by a
//! test CA (`tests/data`, see its README).

mod common;

use bytes::Bytes;
use http::{Request, StatusCode, Version};
use ipv_transport::{HttpTransport, HyperTransport, TlsRoots, TransportErrorKind};

use common::{CA_DER, tls_server};

fn trusting_test_ca() -> HyperTransport {
    HyperTransport::builder()
        .no_proxy()
        .tls_roots(TlsRoots::AddedOnly)
        .add_root_certificate_der(CA_DER)
        .build()
        .expect("build")
}

fn get(uri: String) -> Request<Bytes> {
    Request::get(uri).body(Bytes::new()).unwrap()
}

#[tokio::test]
async fn https_negotiates_http2_by_alpn() {
    let addr = tls_server(&[b"h2", b"http/1.1"]).await;
    let response = trusting_test_ca()
        .send(get(format!("https://localhost:{}/secure", addr.port())))
        .await
        .expect("https over h2");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.body().as_ref(), b"hello from /secure");
}

#[tokio::test]
async fn https_falls_back_to_http1_when_the_server_only_offers_it() {
    let addr = tls_server(&[b"http/1.1"]).await;
    let response = trusting_test_ca()
        .send(get(format!("https://localhost:{}/one", addr.port())))
        .await
        .expect("https over http/1.1");
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.headers()["x-echo-version"], "HTTP/1.1");
}

#[tokio::test]
async fn https_to_an_ip_address_checks_the_ip_san() {
    let addr = tls_server(&[b"h2", b"http/1.1"]).await;
    let response = trusting_test_ca()
        .send(get(format!("https://{addr}/by-ip")))
        .await
        .expect("https to 127.0.0.1");
    assert_eq!(response.body().as_ref(), b"hello from /by-ip");
}

#[tokio::test]
async fn the_default_roots_reject_an_unknown_issuer_as_connect() {
    let addr = tls_server(&[b"h2", b"http/1.1"]).await;
    let mozilla_only = HyperTransport::builder().no_proxy().build().unwrap();
    let err = mozilla_only
        .send(get(format!("https://localhost:{}/", addr.port())))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
    assert!(err.message().contains("certificate"), "{err}");
}

#[tokio::test]
async fn plain_http_to_a_tls_port_is_a_failed_exchange() {
    let addr = tls_server(&[b"http/1.1"]).await;
    let err = trusting_test_ca()
        .send(get(format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Io, "{err}");
}
