//! Plain HTTP/1.1 over loopback for the callback tests of several crates: a raw
//! exchange, a GET that reads the receiver's acknowledgement, and the parser of both.

use std::net::SocketAddr;
use std::time::Duration;

use ipv_types::CallbackAck;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Sends `request` as is on a new connection and returns everything read back until
/// the server closes (or 30 s pass); an empty string when the connection failed.
pub async fn raw_request(addr: SocketAddr, request: &str) -> String {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        // A reset after a partial answer still returns what came.
        let _ = stream.read_to_end(&mut buf).await;
        Some(String::from_utf8_lossy(&buf).into_owned())
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// GETs `path_and_query` (connection closed after); returns status and acknowledgement.
pub async fn get(addr: SocketAddr, path_and_query: &str) -> (u16, CallbackAck) {
    let answer = raw_request(
        addr,
        &format!("GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    parse_answer(&answer)
        .unwrap_or_else(|| panic!("no HTTP answer to {path_and_query}: {answer:?}"))
}

/// Status and acknowledgement of a raw HTTP/1.1 answer.
pub fn parse_answer(answer: &str) -> Option<(u16, CallbackAck)> {
    let status = answer.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let (_, body) = answer.split_once("\r\n\r\n")?;
    let ack = serde_json::from_str(body).ok()?;
    Some((status, ack))
}
