//! An attacker's flood of huge callbacks: memory stays bounded and nothing reaches the
//! handler. (Its own test binary, so the RSS it reads is this test's alone.)

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures_util::StreamExt as _;
use ipv_api::callback::{CallbackReceiver, CallbackServer, Delivery, handler_fn};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use ipv_test_services::callback_client::parse_answer;

/// This process's resident set, in KiB (`VmRSS` in /proc/self/status).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Sends one request with a huge `no`; returns the HTTP status, if one came back (a
/// server may also cut the connection before reading it all).
async fn send_huge(addr: SocketAddr, i: usize, no_len: usize) -> Option<u16> {
    let no = format!("{i:06}{}", "N".repeat(no_len - 6));
    let request =
        format!("GET /cb?type=order&op=1&no={no} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        // The server may answer and close before taking it all: a broken pipe is fine.
        let _ = stream.write_all(request.as_bytes()).await;
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf).await;
        let answer = String::from_utf8_lossy(&buf);
        answer.get(9..12)?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .ok()
        .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_thousand_huge_callbacks_leave_memory_bounded() {
    const FLOOD: usize = 3000;
    const NO_LEN: usize = 60 * 1024;

    let runs = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&runs);
    // Trusting the query is the weakest mode: if it holds here, verifying does too.
    let receiver = CallbackReceiver::trusting_query(handler_fn(move |_delivery: Delivery| {
        counter.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok::<(), std::convert::Infallible>(()))
    }));
    let server = CallbackServer::bind("127.0.0.1:0", receiver.clone())
        .await
        .unwrap();
    let addr = server.local_addr();
    // Warm up (runtime, server, allocator) before the baseline.
    let (status, _) =
        ipv_test_services::callback_client::get(addr, "/cb?type=product&no=warm").await;
    assert_eq!(status, 200);
    let before = rss_kib();

    // Over HTTP: refused by the server's caps, 16 at a time.
    let statuses: Vec<Option<u16>> = futures_util::stream::iter(0..FLOOD)
        .map(|i| send_huge(addr, i, NO_LEN))
        .buffer_unordered(16)
        .collect()
        .await;
    let answered = statuses.iter().flatten().count();
    assert!(
        statuses
            .iter()
            .flatten()
            .all(|s| matches!(s, 414 | 431 | 400)),
        "huge queries are refused: {:?}",
        statuses
            .iter()
            .flatten()
            .filter(|s| !matches!(s, 414 | 431 | 400))
            .take(5)
            .collect::<Vec<_>>()
    );

    // Straight into the receiver (as a framework without those caps would call it):
    // refused at parsing, answered so the platform stops, nothing kept.
    for i in 0..FLOOD {
        let query = format!("type=order&op=1&no={i:06}{}", "N".repeat(NO_LEN - 6));
        let reply = receiver.handle(&query).await;
        assert!(reply.is_success(), "{reply:?}");
    }
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "only the warm-up ran the handler"
    );
    assert_eq!(receiver.in_flight(), 0);

    let after = rss_kib();
    let grown_mib = after.saturating_sub(before) / 1024;
    println!(
        "RSS before {before} KiB, after {after} KiB (+{grown_mib} MiB); {answered}/{FLOOD} HTTP answers"
    );
    assert!(
        grown_mib < 64,
        "memory grew by {grown_mib} MiB under the flood"
    );

    // Still serving normal callbacks.
    let answer = ipv_test_services::callback_client::raw_request(
        addr,
        "GET /cb?type=product&no=after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        parse_answer(&answer).map(|(s, a)| (s, a.is_success())),
        Some((200, true))
    );
    server.shutdown().await;
}
