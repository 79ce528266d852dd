//! Proxies: `CONNECT` tunnels for https, absolute form for http, `NO_PROXY`, through a
//! tiny proxy on loopback.

mod common;

use bytes::Bytes;
use http::{Request, Version};
use ipv_transport::{HttpTransport, HyperTransport, ProxyConfig, TlsRoots, TransportErrorKind};

use common::{CA_DER, ProxyMode, closed_port, http1_server, proxy, tls_server};

fn via(config: ProxyConfig) -> HyperTransport {
    HyperTransport::builder()
        .proxy(config)
        .tls_roots(TlsRoots::AddedOnly)
        .add_root_certificate_der(CA_DER)
        .build()
        .expect("build")
}

fn get(uri: String) -> Request<Bytes> {
    Request::get(uri).body(Bytes::new()).unwrap()
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel() {
    let server = tls_server(&[b"h2", b"http/1.1"]).await;
    let (proxy_addr, log) = proxy(ProxyMode::Tunnel).await;
    let transport = via(ProxyConfig::new().https(format!("http://{proxy_addr}")));

    let response = transport
        .send(get(format!(
            "https://localhost:{}/tunnelled",
            server.port()
        )))
        .await
        .expect("through the tunnel");
    assert_eq!(response.body().as_ref(), b"hello from /tunnelled");
    // TLS (and ALPN) run end to end inside the tunnel.
    assert_eq!(response.version(), Version::HTTP_2);

    let heads = log.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with(&format!("CONNECT localhost:{} HTTP/1.1\r\n", server.port())),
        "{heads:?}"
    );
    assert!(!heads[0].contains("Proxy-Authorization"), "{heads:?}");
}

#[tokio::test]
async fn proxy_credentials_go_on_the_connect() {
    let server = tls_server(&[b"http/1.1"]).await;
    // base64("user:pa ss")
    let (proxy_addr, log) = proxy(ProxyMode::TunnelWithAuth("Basic dXNlcjpwYSBzcw==")).await;
    let transport = via(ProxyConfig::new().all(format!("http://user:pa%20ss@{proxy_addr}")));

    let response = transport
        .send(get(format!("https://localhost:{}/authed", server.port())))
        .await
        .expect("authorised tunnel");
    assert_eq!(response.body().as_ref(), b"hello from /authed");
    assert!(log.heads()[0].contains("Proxy-Authorization: Basic dXNlcjpwYSBzcw=="));
}

#[tokio::test]
async fn a_407_from_the_proxy_is_other_and_hides_the_password() {
    let server = tls_server(&[b"http/1.1"]).await;
    let (proxy_addr, _log) = proxy(ProxyMode::TunnelWithAuth("Basic c29tZW9uZTplbHNl")).await;
    let transport = via(ProxyConfig::new().https(format!("http://user:hunter2@{proxy_addr}")));

    let err = transport
        .send(get(format!("https://localhost:{}/", server.port())))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Other, "{err}");
    assert!(err.message().contains("proxy refused"), "{err}");
    assert!(err.message().contains("authorization required"), "{err}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[tokio::test]
async fn a_refused_tunnel_is_other() {
    let server = tls_server(&[b"http/1.1"]).await;
    let (proxy_addr, log) = proxy(ProxyMode::Refuse).await;
    let transport = via(ProxyConfig::new().https(format!("http://{proxy_addr}")));
    let err = transport
        .send(get(format!("https://localhost:{}/", server.port())))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Other, "{err}");
    assert_eq!(log.connections(), 1);
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_connect_error() {
    let port = closed_port().await;
    let transport = via(ProxyConfig::new().https(format!("http://127.0.0.1:{port}")));
    let err = transport
        .send(get("https://localhost:9/".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
}

#[tokio::test]
async fn http_goes_to_the_proxy_in_absolute_form() {
    let (proxy_addr, log) = proxy(ProxyMode::Tunnel).await;
    let transport = via(ProxyConfig::new().http(format!("http://u:p@{proxy_addr}")));
    // The destination does not exist: only the proxy is ever contacted.
    let response = transport
        .send(get("http://api.example.invalid/v2/info?x=1".to_owned()))
        .await
        .expect("answered by the proxy");
    assert_eq!(
        response.body().as_ref(),
        b"proxied: GET http://api.example.invalid/v2/info?x=1 HTTP/1.1; auth: Basic dTpw"
    );
    assert_eq!(log.connections(), 1);
}

#[tokio::test]
async fn no_proxy_destinations_connect_directly() {
    let (server, accepted) = http1_server().await;
    let (proxy_addr, log) = proxy(ProxyMode::Tunnel).await;
    let transport = via(ProxyConfig::new()
        .all(format!("http://{proxy_addr}"))
        .no_proxy("localhost, 127.0.0.1"));
    let response = transport
        .send(get(format!("http://{server}/direct")))
        .await
        .expect("direct");
    assert_eq!(response.body().as_ref(), b"hello from /direct");
    assert_eq!(accepted.count(), 1);
    assert_eq!(log.connections(), 0);
}

#[tokio::test]
async fn no_proxy_method_ignores_configured_proxies() {
    let (server, _) = http1_server().await;
    let (proxy_addr, log) = proxy(ProxyMode::Tunnel).await;
    let transport = HyperTransport::builder()
        .proxy(ProxyConfig::new().all(format!("http://{proxy_addr}")))
        .no_proxy()
        .build()
        .unwrap();
    let response = transport
        .send(get(format!("http://{server}/plain")))
        .await
        .unwrap();
    assert_eq!(response.body().as_ref(), b"hello from /plain");
    assert_eq!(log.connections(), 0);
}

#[tokio::test]
async fn unsupported_proxy_urls_fail_the_build() {
    let err = HyperTransport::builder()
        .proxy(ProxyConfig::new().all("socks5://127.0.0.1:1080"))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Other);
    assert!(err.message().contains("ProxyConfig::all"), "{err}");
}
