//! Loopback servers for the integration tests: hyper servers (HTTP/1.1, HTTP/2, TLS),
//! raw TCP servers that misbehave on purpose, and a tiny HTTP proxy.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const CA_DER: &[u8] = include_bytes!("../data/ca.der");
const LEAF_DER: &[u8] = include_bytes!("../data/localhost.der");
const LEAF_KEY_DER: &[u8] = include_bytes!("../data/localhost.key.der");

/// A bound loopback listener and its address.
pub async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    (listener, addr)
}

/// A port on which nothing listens (bound, then released).
pub async fn closed_port() -> u16 {
    let (listener, addr) = listener().await;
    drop(listener);
    addr.port()
}

/// The test routes:
/// - `POST /echo`: 200 with the request body; `x-echo-method`, `x-echo-version` and
///   `x-echo-custom` (the request's `x-custom`) headers describe the request;
/// - `/status/404`, `/status/500`: that status with a short text body;
/// - `/big/N`: 200 with N bytes (`Content-Length` set);
/// - anything else: 200 with `hello from <path>`.
pub async fn route(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let version = format!("{:?}", req.version());
    let custom = req.headers().get("x-custom").cloned();
    let path = req.uri().path().to_owned();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let mut response = match path.as_str() {
        "/echo" => Response::new(Full::new(body)),
        "/status/404" => Response::builder()
            .status(404)
            .body(Full::new(Bytes::from_static(b"no such thing")))
            .unwrap(),
        "/status/500" => Response::builder()
            .status(500)
            .body(Full::new(Bytes::from_static(b"boom")))
            .unwrap(),
        big if big.starts_with("/big/") => {
            let n: usize = big["/big/".len()..].parse().unwrap();
            Response::new(Full::new(Bytes::from(vec![b'x'; n])))
        }
        other => Response::new(Full::new(Bytes::from(format!("hello from {other}")))),
    };
    let headers = response.headers_mut();
    headers.insert("x-echo-method", method.parse().unwrap());
    headers.insert("x-echo-version", version.parse().unwrap());
    if let Some(custom) = custom {
        headers.insert("x-echo-custom", custom);
    }
    Ok(response)
}

/// Counts the connections a server accepted.
#[derive(Clone, Default)]
pub struct Accepted(Arc<AtomicUsize>);

impl Accepted {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
    fn bump(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// An HTTP/1.1 server with [`route`].
pub async fn http1_server() -> (SocketAddr, Accepted) {
    let (listener, addr) = listener().await;
    let accepted = Accepted::default();
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.bump();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(route))
                    .await;
            });
        }
    });
    (addr, accepted)
}

/// An HTTP/2 server (prior knowledge, no TLS) with [`route`].
pub async fn h2c_server() -> SocketAddr {
    let (listener, addr) = listener().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service_fn(route))
                    .await;
            });
        }
    });
    addr
}

/// A TLS server for `localhost` / `127.0.0.1` (certificate signed by the test CA) with
/// [`route`], offering `alpn` (for example `[b"h2", b"http/1.1"]`).
pub async fn tls_server(alpn: &[&[u8]]) -> SocketAddr {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(LEAF_DER.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(LEAF_KEY_DER.to_vec())),
        )
        .expect("test certificate and key");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let (listener, addr) = listener().await;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate aborts the handshake: fine.
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                let io = TokioIo::new(tls);
                if h2 {
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(io, service_fn(route))
                        .await;
                } else {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service_fn(route))
                        .await;
                }
            });
        }
    });
    addr
}

/// Reads an HTTP/1 head (up to the blank line; at most 16 KiB).
pub async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).ok()
}

/// A raw server: each connection's head is read, then `behave` gets the stream.
pub async fn raw_server<F, Fut>(behave: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (listener, addr) = listener().await;
    let behave = Arc::new(behave);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let behave = Arc::clone(&behave);
            tokio::spawn(async move {
                if read_head(&mut stream).await.is_some() {
                    behave(stream).await;
                }
            });
        }
    });
    addr
}

/// Keeps a connection open without ever answering.
pub async fn hold_forever(stream: TcpStream) {
    std::future::pending::<()>().await;
    drop(stream);
}

/// What the test proxy saw.
#[derive(Clone, Default)]
pub struct ProxyLog {
    heads: Arc<Mutex<Vec<String>>>,
    connections: Accepted,
}

impl ProxyLog {
    /// Each request head received, in order.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
    /// How many connections reached the proxy.
    pub fn connections(&self) -> usize {
        self.connections.count()
    }
}

/// How the test proxy treats `CONNECT`.
#[derive(Clone, Copy)]
pub enum ProxyMode {
    /// Tunnels to 127.0.0.1 at the requested port.
    Tunnel,
    /// Tunnels only when `Proxy-Authorization` equals this value; answers 407 otherwise.
    TunnelWithAuth(&'static str),
    /// Refuses every `CONNECT` with 403.
    Refuse,
}

/// A tiny HTTP proxy on loopback. `CONNECT host:port` opens a tunnel to 127.0.0.1:port
/// (per `mode`); an absolute-form request is answered by the proxy itself with
/// `proxied: <request line>` so the test can see what it got.
pub async fn proxy(mode: ProxyMode) -> (SocketAddr, ProxyLog) {
    let (listener, addr) = listener().await;
    let log = ProxyLog::default();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            seen.connections.bump();
            let seen = seen.clone();
            tokio::spawn(async move {
                let Some(head) = read_head(&mut client).await else {
                    return;
                };
                seen.heads.lock().unwrap().push(head.clone());
                let request_line = head.lines().next().unwrap_or_default().to_owned();
                let auth = head
                    .lines()
                    .find_map(|l| l.strip_prefix("proxy-authorization: "))
                    .or_else(|| {
                        head.lines()
                            .find_map(|l| l.strip_prefix("Proxy-Authorization: "))
                    })
                    .map(str::to_owned);
                if let Some(target) = request_line.strip_prefix("CONNECT ") {
                    let allowed = match mode {
                        ProxyMode::Tunnel => true,
                        ProxyMode::TunnelWithAuth(expected) => auth.as_deref() == Some(expected),
                        ProxyMode::Refuse => false,
                    };
                    if !allowed {
                        let status = match mode {
                            ProxyMode::Refuse => "403 Forbidden",
                            _ => "407 Proxy Authentication Required",
                        };
                        let _ = client
                            .write_all(
                                format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n")
                                    .as_bytes(),
                            )
                            .await;
                        return;
                    }
                    let authority = target.split(' ').next().unwrap_or_default();
                    let port: u16 = authority.rsplit(':').next().unwrap().parse().unwrap();
                    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port)).await else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                        return;
                    };
                    let _ = client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await;
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                } else {
                    let body = format!(
                        "proxied: {request_line}; auth: {}",
                        auth.as_deref().unwrap_or("none")
                    );
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = client.write_all(reply.as_bytes()).await;
                }
            });
        }
    });
    (addr, log)
}
