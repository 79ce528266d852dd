//! The emulator's listener under slow clients: connections past the cap are closed at
//! once, slow request heads are cut at the header timeout, and the API answers again.

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use common::{client, config, start};

/// The emulator's connection cap (`server::MAX_CONNECTIONS`).
const CAP: usize = 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_capped_and_cut_at_the_header_timeout() {
    let emu = start(config()).await;
    let addr = emu.local_addr();
    let attack_start = Instant::now();
    let mut closers = Vec::new();
    for _ in 0..CAP + 16 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"POST /api/open/app/info/v2 HTTP/1.1\r\nX-Slow: ")
            .await
            .expect("write");
        // Each waits for the server to close it and says when.
        closers.push(tokio::spawn(async move {
            let mut buf = [0u8; 256];
            loop {
                match tokio::time::timeout(Duration::from_secs(60), stream.read(&mut buf)).await {
                    Ok(Ok(0) | Err(_)) => return Some(attack_start.elapsed()),
                    Ok(Ok(_)) => {}
                    Err(_) => return None,
                }
            }
        }));
    }
    let mut closed_at = Vec::new();
    for closer in closers {
        closed_at.push(closer.await.unwrap());
    }
    let never = closed_at.iter().filter(|c| c.is_none()).count();
    assert_eq!(never, 0, "slow connections still open after 60 s");
    let quick = closed_at
        .iter()
        .flatten()
        .filter(|c| **c < Duration::from_secs(5))
        .count();
    assert!(
        quick >= 16,
        "only {quick} connections past the cap were closed at once"
    );
    let slowest = closed_at.iter().flatten().max().copied().unwrap();
    assert!(
        slowest >= Duration::from_secs(5),
        "held connections are cut by the header timeout, not at once ({slowest:?})"
    );

    // The API answers again.
    let info = client(&emu).app_info().await.expect("the API answers");
    assert!(!info.app_name.is_empty());
    emu.shutdown().await;
}
