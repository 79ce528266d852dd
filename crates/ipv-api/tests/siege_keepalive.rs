//! One peer (127.0.0.2) with 600 kept-alive connections, each sending a wrong-path
//! request every 8 s, cannot lock the platform (127.0.0.1) out: each refused request
//! closes its connection and one peer holds at most its share of the slots.

mod common;
mod siege_common;
mod siege_peers;

use siege_peers::{Attack, GENUINE, siege};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_hundred_wrong_path_keepalive_connections_leave_room_for_the_platform() {
    let (answered, connections) = siege(Attack::WrongPathEvery8s).await;
    println!(
        "wrong-path keep-alive siege: {answered}/{GENUINE} genuine callbacks answered 200; \
         the attacker made {connections} connections"
    );
    assert!(
        answered * 10 >= GENUINE * 9,
        "only {answered} of {GENUINE} genuine callbacks answered 200"
    );
}
