//! One peer against the platform: the attack runs from 127.0.0.2 while a genuine
//! callback comes from 127.0.0.1 once a second for 30 s.
#![allow(dead_code, unreachable_pub)] // each test binary uses a part

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use ipv_api::callback::{CallbackReceiver, CallbackServer, Delivery, ServerConfig, handler_fn};
use tokio::task::JoinSet;

use crate::siege_common::{KeepAlive, TOKEN, connect_from};
use ipv_test_services::callback_client::parse_answer;

pub const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
pub const PLATFORM: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// How many connections the attacker keeps.
pub const ATTACK_CONNECTIONS: usize = 600;
/// How long the genuine callbacks are sent, one a second.
pub const GENUINE: u32 = 30;

/// What the attacker's connections do.
#[derive(Debug, Clone, Copy)]
pub enum Attack {
    /// Keep the connection and send a wrong-path request every 8 s; reconnect at once
    /// when closed.
    WrongPathEvery8s,
    /// Connect and send nothing; reconnect at once when closed.
    IdleReconnecting,
}

/// A callback server (trusting the query, path token set, default limits otherwise).
pub async fn server() -> CallbackServer {
    let receiver = CallbackReceiver::trusting_query(handler_fn(|_delivery: Delivery| {
        std::future::ready(Ok::<(), std::convert::Infallible>(()))
    }));
    let config = ServerConfig::default().with_path_token(TOKEN);
    CallbackServer::bind_with("127.0.0.1:0", receiver, config)
        .await
        .unwrap()
}

/// One attacker connection's life, until `stop`; counts connections made.
async fn attacker(addr: SocketAddr, attack: Attack, stop: Arc<AtomicBool>, made: Arc<AtomicU64>) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut conn) = KeepAlive::connect(ATTACKER, addr).await else {
            // Out of ports or descriptors for a moment: let others run, then again.
            tokio::task::yield_now().await;
            continue;
        };
        made.fetch_add(1, Ordering::Relaxed);
        match attack {
            Attack::WrongPathEvery8s => {
                while !stop.load(Ordering::Relaxed) {
                    if conn.get("/wrong/path?type=order&no=X&op=1").await.is_none() {
                        break;
                    }
                    // The attack's own pace, not a synchronisation.
                    tokio::time::sleep(Duration::from_secs(8)).await;
                }
            }
            Attack::IdleReconnecting => {
                while !stop.load(Ordering::Relaxed) {
                    if conn.closed_within(Duration::from_millis(500)).await {
                        break;
                    }
                }
            }
        }
    }
}

/// Runs `attack` with 600 connections from 127.0.0.2 while 30 genuine callbacks come
/// from 127.0.0.1, one a second; returns how many genuine ones were answered 200 and
/// how many connections the attacker made.
pub async fn siege(attack: Attack) -> (u32, u64) {
    // Two descriptors a connection (both ends live in this process), and some more.
    let _ = rlimit::increase_nofile_limit(8192);
    let server = server().await;
    let addr = server.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let made = Arc::new(AtomicU64::new(0));
    let mut attackers = JoinSet::new();
    for _ in 0..ATTACK_CONNECTIONS {
        attackers.spawn(attacker(addr, attack, Arc::clone(&stop), Arc::clone(&made)));
    }
    // Let the attack take hold first: its connections are open before the first
    // genuine callback.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while made.load(Ordering::Relaxed) < ATTACK_CONNECTIONS as u64
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut genuine = JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for i in 0..GENUINE {
        tick.tick().await;
        genuine.spawn(async move {
            let request = format!(
                "GET /{TOKEN}/callback?type=instance&no=GENUINE-{i} HTTP/1.1\r\nHost: cb\r\nConnection: close\r\n\r\n"
            );
            let exchange = async {
                let mut stream = connect_from(PLATFORM, addr).await.ok()?;
                tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes())
                    .await
                    .ok()?;
                let mut answer = Vec::new();
                let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer).await;
                parse_answer(&String::from_utf8_lossy(&answer))
            };
            // The platform's own patience with one callback.
            match tokio::time::timeout(Duration::from_secs(5), exchange).await {
                Ok(Some((200, ack))) if ack.is_success() => 1u32,
                _ => 0,
            }
        });
    }
    let mut answered = 0;
    while let Some(ok) = genuine.join_next().await {
        answered += ok.unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    attackers.abort_all();
    while attackers.join_next().await.is_some() {}
    server.shutdown().await;
    (answered, made.load(Ordering::Relaxed))
}
