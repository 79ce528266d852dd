//! Slow connections cannot lock everyone out: a callback server limited to 1,024 file
//! descriptors, attacked by 1,100 connections that never finish their headers, still
//! answers a normal callback sent once a second, within 15 s of the attack's start and
//! every time after that.
//!
//! The server runs in a child process (this same test binary, re-run with
//! `IPV_CALLBACK_FDS_SERVER` set) so that its descriptor limit is its own: the
//! attacker's 1,100 sockets live in the parent.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ipv_api::callback::{CallbackReceiver, CallbackServer, Delivery, ServerConfig, handler_fn};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const ROLE: &str = "IPV_CALLBACK_FDS_SERVER";
const ADDR_LINE: &str = "callback-fds-server: ";
const ATTACKERS: usize = 1100;
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The child: a server under a 1,024-descriptor limit, until its stdin closes.
fn serve_limited() {
    rlimit::setrlimit(rlimit::Resource::NOFILE, 1024, 1024).expect("lower the descriptor limit");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(async {
        let receiver = CallbackReceiver::trusting_query(handler_fn(|_delivery: Delivery| {
            std::future::ready(Ok::<(), std::convert::Infallible>(()))
        }));
        let config = ServerConfig::default().with_header_read_timeout(HEADER_TIMEOUT);
        CallbackServer::bind_with("127.0.0.1:0", receiver, config)
            .await
            .unwrap()
    });
    println!("{ADDR_LINE}{}", server.local_addr());
    // Serve (on the runtime's workers) until the parent closes our stdin.
    let mut sink = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
    runtime.block_on(server.shutdown());
}

/// One normal callback; true when answered success within 10 s.
async fn callback_answered(addr: SocketAddr, i: u32) -> bool {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let request = format!(
            "GET /cb?type=product&no=p{i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        stream.read_to_end(&mut buf).await.ok()?;
        let answer = String::from_utf8_lossy(&buf).into_owned();
        Some(
            answer.starts_with("HTTP/1.1 200")
                && answer.ends_with(r#"{"code":"success","msg":""}"#),
        )
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}

#[test]
fn slow_connections_cannot_lock_out_callbacks_under_a_descriptor_limit() {
    if std::env::var_os(ROLE).is_some() {
        serve_limited();
        return;
    }
    // The attacker needs more descriptors than the server has.
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    assert!(
        hard >= 2048,
        "the attacker needs a hard descriptor limit of at least 2,048 (have {hard})"
    );
    rlimit::setrlimit(rlimit::Resource::NOFILE, hard.min(65_536), hard).unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "slow_connections_cannot_lock_out_callbacks_under_a_descriptor_limit",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr: SocketAddr = loop {
        let line = lines
            .next()
            .expect("the server prints its address")
            .unwrap();
        // The harness prints the test's name on the same line first.
        if let Some((_, addr)) = line.split_once(ADDR_LINE) {
            break addr.trim().parse().unwrap();
        }
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime.block_on(async {
        // The attack: 1,100 connections that send half a request head and hold.
        let attack_start = Instant::now();
        let mut held = Vec::with_capacity(ATTACKERS);
        for _ in 0..ATTACKERS {
            if let Ok(mut stream) = TcpStream::connect(addr).await {
                let _ = stream
                    .write_all(b"GET /cb?type=product&no=slow HTTP/1.1\r\nX-Slow: ")
                    .await;
                held.push(stream);
            }
        }
        let opened = held.len();

        // A normal callback once a second for 25 s.
        let mut answers = Vec::new();
        let mut i = 0;
        while attack_start.elapsed() < Duration::from_secs(25) {
            let sent = attack_start.elapsed();
            let ok = callback_answered(addr, i).await;
            answers.push((sent, attack_start.elapsed(), ok));
            i += 1;
            let next = Duration::from_secs(u64::from(i));
            if let Some(wait) = next.checked_sub(attack_start.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        drop(held);
        (opened, answers)
    });
    drop(child.stdin.take()); // tells the server to stop
    let status = child.wait().unwrap();

    let (opened, answers) = outcome;
    println!("{opened} attacking connections opened; answers (sent, done, ok): {answers:?}");
    assert!(status.success(), "the limited server exited with {status}");
    let first_ok = answers
        .iter()
        .position(|(_, _, ok)| *ok)
        .expect("a callback was answered during the attack");
    let (_, done, _) = answers[first_ok];
    assert!(
        done <= Duration::from_secs(15),
        "first answer {done:?} after the attack started"
    );
    assert!(
        answers[first_ok..].iter().all(|(_, _, ok)| *ok),
        "every callback after the first answer is answered: {answers:?}"
    );
    assert!(answers.len() >= 10, "{answers:?}");
}
