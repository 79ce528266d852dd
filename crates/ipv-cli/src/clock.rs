//! The emulator's clock, read from its control API (`GET /__emulator/clock`).
//!
//! Asked only of an endpoint on this machine (`http://` to a loopback address or
//! `localhost`): a real platform is never sent a request it does not know. The answer
//! is read with a deadline, at most [`MAX_ANSWER`] bytes, and believed only when it is
//! an HTTP 200 whose JSON body has a `unix` time in the range `time` can hold.

use std::net::IpAddr;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The longest answer read.
const MAX_ANSWER: usize = 16 * 1024;
/// How long the whole exchange may take.
const DEADLINE: Duration = Duration::from_secs(2);

/// The emulator's time at `base_url`, or `None` when it is not an emulator on this
/// machine (or did not answer in time, or answered something else).
pub(crate) async fn emulator_clock(base_url: &str) -> Option<OffsetDateTime> {
    let authority = loopback_authority(base_url)?;
    tokio::time::timeout(DEADLINE, ask(&authority)).await.ok()?
}

/// `host:port` of an `http://` URL whose host is a loopback address or `localhost`.
fn loopback_authority(base_url: &str) -> Option<String> {
    let rest = base_url.strip_prefix("http://")?;
    let authority = rest.split('/').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (host, port),
        _ => (authority, "80"),
    };
    let port: u16 = port.parse().ok()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    loopback.then(|| format!("{host}:{port}"))
}

async fn ask(authority: &str) -> Option<OffsetDateTime> {
    let mut stream = tokio::net::TcpStream::connect(authority).await.ok()?;
    let request = format!(
        "GET /__emulator/clock HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        if answer.len() + n > MAX_ANSWER {
            return None;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    clock_from_answer(&answer)
}

/// The time in an HTTP answer: status 200 and a JSON object with `unix` in its body
/// (read between the first `{` and the last `}`, which also passes a chunked body of
/// one chunk).
fn clock_from_answer(answer: &[u8]) -> Option<OffsetDateTime> {
    let text = std::str::from_utf8(answer).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.lines().next()?.split_whitespace().nth(1)?;
    if status != "200" {
        return None;
    }
    let json = &body[body.find('{')?..=body.rfind('}')?];
    let value: serde_json::Value = serde_json::from_str(json).ok()?;
    OffsetDateTime::from_unix_timestamp(value.get("unix")?.as_i64()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_endpoints_are_asked() {
        assert_eq!(
            loopback_authority("http://127.0.0.1:8080").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(
            loopback_authority("http://localhost:9/x").as_deref(),
            Some("localhost:9")
        );
        assert_eq!(
            loopback_authority("http://[::1]:7").as_deref(),
            Some("[::1]:7")
        );
        assert_eq!(loopback_authority("https://127.0.0.1:8080"), None);
        assert_eq!(loopback_authority("http://sandbox.ipipv.com"), None);
        assert_eq!(loopback_authority("http://10.0.0.1:80"), None);
    }

    #[test]
    fn only_a_200_with_a_unix_time_is_believed() {
        let ok =
            b"HTTP/1.1 200 OK\r\ncontent-length: 30\r\n\r\n{\"unix\":86400,\"offsetSeconds\":0}";
        assert_eq!(
            clock_from_answer(ok).map(OffsetDateTime::unix_timestamp),
            Some(86_400)
        );
        assert_eq!(
            clock_from_answer(b"HTTP/1.1 404 Not Found\r\n\r\n{\"unix\":1}"),
            None
        );
        assert_eq!(
            clock_from_answer(b"HTTP/1.1 200 OK\r\n\r\n{\"unix\":\"soon\"}"),
            None
        );
        assert_eq!(clock_from_answer(b"garbage"), None);
    }
}
