//! Forgeries from an attacker who knows the path token, against a counting test
//! platform: 10 s of forged order callbacks cost the platform at most one call per
//! ten, while a genuine one sent in the middle is handled; a duplicate of a handled
//! order of thousands of instances costs no call. (Only APIs main already had, so the
//! same file measures main's receiver.)

mod common;
mod siege_common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ipv_api::callback::{CallbackReceiver, CallbackServer, ServerConfig};
use tokio::task::JoinSet;

use ipv_test_services::callback_client::get;
use siege_common::{KeepAlive, Platform, TOKEN, recording_handler};

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const PLATFORM: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn serve<H: ipv_api::callback::CallbackHandler>(
    receiver: CallbackReceiver<H>,
    config: ServerConfig,
) -> CallbackServer {
    CallbackServer::bind_with("127.0.0.1:0", receiver, config.with_path_token(TOKEN))
        .await
        .unwrap()
}

fn path(query: &str) -> String {
    format!("/{TOKEN}/callback?{query}")
}

/// Forged order callbacks with random numbers from one keep-alive connection, as fast
/// as it goes, until `stop`; returns how many were answered.
async fn forge(addr: SocketAddr, stop: Arc<AtomicBool>) -> u64 {
    let mut sent = 0;
    let mut conn = None;
    while !stop.load(Ordering::Relaxed) {
        if conn.is_none() {
            conn = KeepAlive::connect(ATTACKER, addr).await.ok();
        }
        let Some(c) = conn.as_mut() else { continue };
        let no = format!("C{:016x}", rand::random::<u64>());
        match c.get(&path(&format!("type=order&no={no}&op=1"))).await {
            Some(_) => sent += 1,
            None => conn = None,
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_seconds_of_forged_orders_cost_at_most_one_call_in_ten() {
    let platform = Platform::default();
    platform.add_order("C-GENUINE-1", "APP-GENUINE-1", 3);
    let (handler, seen) = recording_handler();
    let receiver = CallbackReceiver::new(common::client_over(platform.clone()), handler);
    let server = serve(receiver, ServerConfig::default()).await;
    let addr = server.local_addr();

    let stop = Arc::new(AtomicBool::new(false));
    let mut forgers = JoinSet::new();
    // One client: a few kept-alive connections, to send as fast as it can.
    for _ in 0..8 {
        forgers.spawn(forge(addr, Arc::clone(&stop)));
    }
    let started = Instant::now();
    // In the middle of the flood, the genuine callback, retried like the platform does.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let genuine_sent = Instant::now();
    let mut genuine_tries = 0;
    let genuine_answered = loop {
        genuine_tries += 1;
        let answer = match KeepAlive::connect(PLATFORM, addr).await {
            Ok(mut conn) => conn.get(&path("type=order&no=C-GENUINE-1&op=1")).await,
            Err(_) => None,
        };
        if answer.is_some_and(|(status, _)| status == 200) {
            break Some(genuine_sent.elapsed());
        }
        if genuine_sent.elapsed() > Duration::from_secs(30) {
            break None;
        }
        // The platform's retry pace.
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let left = Duration::from_secs(10).saturating_sub(started.elapsed());
    tokio::time::sleep(left).await;
    stop.store(true, Ordering::Relaxed);
    let mut forged = 0;
    while let Some(sent) = forgers.join_next().await {
        forged += sent.unwrap();
    }
    let calls = platform.calls();
    println!(
        "forged order flood: {forged} forged callbacks in {:?}, {calls} platform calls \
         ({:.4} per forged callback); genuine handled after {genuine_answered:?} \
         ({genuine_tries} tries; None: not within 30 s)",
        started.elapsed(),
        calls as f64 / forged.max(1) as f64
    );
    assert!(
        forged >= 100,
        "the flood was too slow to mean anything: {forged}"
    );
    assert!(
        genuine_answered.is_some(),
        "the genuine callback was not handled within 30 s"
    );
    assert!(
        calls as u64 * 10 <= forged,
        "{calls} platform calls for {forged} forged callbacks"
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["order:C-GENUINE-1:3"],
        "the genuine callback was handled, once, and no forgery was"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_duplicate_of_a_handled_order_of_thousands_of_instances_costs_no_call() {
    let platform = Platform::default();
    platform.add_order("C-BIG-1", "APP-BIG-1", 4360);
    let (handler, seen) = recording_handler();
    let receiver = CallbackReceiver::new(common::client_over(platform.clone()), handler);
    let server = serve(receiver, ServerConfig::default()).await;
    let addr = server.local_addr();

    let (status, ack) = get(addr, &path("type=order&no=C-BIG-1&op=1")).await;
    assert_eq!((status, ack.is_success()), (200, true));
    let first = platform.calls();
    assert_eq!(first, 44, "4,360 instances are 44 pages");
    assert_eq!(seen.lock().unwrap().as_slice(), ["order:C-BIG-1:4360"]);

    for _ in 0..5 {
        let (status, ack) = get(addr, &path("type=order&no=C-BIG-1&op=1")).await;
        assert_eq!((status, ack.is_success()), (200, true));
    }
    assert_eq!(
        platform.calls(),
        first,
        "duplicates were answered from the store"
    );

    // By the caller's number, the receiver cannot know the key before one lookup
    // finds the order; the other 43 pages are still spared.
    let (status, ack) = get(addr, &path("type=order&no=APP-BIG-1&op=1")).await;
    assert_eq!((status, ack.is_success()), (200, true));
    let by_app_no = platform.calls() - first;
    assert!(
        by_app_no <= 2,
        "{by_app_no} calls for a duplicate by appOrderNo"
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "handled once");
    server.shutdown().await;
}
