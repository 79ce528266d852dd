//! One peer (127.0.0.2) with 600 idle connections that reconnect as soon as they are
//! closed cannot lock the platform (127.0.0.1) out: one peer holds at most its share
//! of the slots, and its excess connections are closed at once.

mod common;
mod siege_common;
mod siege_peers;

use siege_peers::{Attack, GENUINE, siege};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_hundred_reconnecting_idle_connections_leave_room_for_the_platform() {
    let (answered, connections) = siege(Attack::IdleReconnecting).await;
    println!(
        "idle reconnecting siege: {answered}/{GENUINE} genuine callbacks answered 200; \
         the attacker made {connections} connections"
    );
    assert!(
        answered * 10 >= GENUINE * 9,
        "only {answered} of {GENUINE} genuine callbacks answered 200"
    );
}
