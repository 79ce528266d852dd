//! Helpers for the dashboard tests: a callback receiver that fails its first answers,
//! raw HTTP/1.1 requests with any `Host` and `Origin`, and polling with a deadline.
#![allow(dead_code, unreachable_pub)]

pub mod webdriver;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What the receiver answers to its first `fail_first` requests: HTTP 500 with markup,
/// which the dashboard must show as text.
pub const MARKUP_ANSWER: &str = r#"<img src="x" id="injected"><b>receiver down</b>"#;

/// A callback receiver on loopback. With `fail_first_attempts`, the first request for
/// each callback (each distinct request line) gets HTTP 500 with [`MARKUP_ANSWER`] and
/// the later ones `{"code":"success"}`; without, every request succeeds.
pub struct Receiver {
    pub addr: SocketAddr,
    pub served: Arc<AtomicUsize>,
}

impl Receiver {
    pub async fn start(fail_first_attempts: bool) -> Self {
        Self::start_with(fail_first_attempts, MARKUP_ANSWER.to_owned()).await
    }

    /// As [`Receiver::start`], failing with `failure_body` instead.
    pub async fn start_with(fail_first_attempts: bool, failure_body: String) -> Self {
        let failure_body: Arc<str> = failure_body.into();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let served = Arc::new(AtomicUsize::new(0));
        let count = served.clone();
        let seen = Arc::new(Mutex::new(HashSet::new()));
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let count = count.clone();
                let seen = seen.clone();
                let failure_body = failure_body.clone();
                tokio::spawn(async move {
                    let Some(head) = read_head(&mut stream).await else {
                        return;
                    };
                    count.fetch_add(1, Ordering::SeqCst);
                    let line = String::from_utf8_lossy(&head)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let first = seen.lock().expect("lock").insert(line);
                    let (status, body) = if fail_first_attempts && first {
                        ("500 Internal Server Error", &*failure_body)
                    } else {
                        ("200 OK", r#"{"code":"success","msg":""}"#)
                    };
                    let answer = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { addr, served }
    }

    pub fn url(&self) -> String {
        format!("http://{}/callbacks", self.addr)
    }
}

async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return None;
        }
    }
    Some(head)
}

/// An answer to a raw request.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    /// Header lines, lower-cased names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one HTTP/1.1 request to `addr` with exactly these header lines (a `Host` line
/// is not added), and reads the whole answer.
pub async fn raw_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawAnswer {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    RawAnswer {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Polls `check` until it gives a value or `within` passes (then panics naming `what`).
pub async fn wait_for<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
