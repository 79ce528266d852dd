//! A Redis that freezes (SIGSTOP) for 12 s in the middle of a run, then thaws: the
//! claims sent while it was frozen run when it thaws, after their receivers gave up on
//! them. Those claims are abandoned as soon as Redis answers again, so every callback
//! is handled within seconds of the thaw (not after the 60 s lease), and none is lost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ipv_fleet::{Fleet, FleetConfig, StoreKind};
use tokio::task::JoinSet;

const SUCCESS: &str = r#""code":"success""#;

/// Delivers `no`'s callback to receiver `index` until it is answered success, like the
/// platform (a retry every 200 ms); returns when that happened.
async fn deliver_until_success(fleet: Arc<Fleet>, index: usize, no: String) -> Instant {
    let query = format!("type=order&no={no}&op=1");
    loop {
        if let Ok((200, body)) = fleet.deliver(index, &query).await
            && body.contains(SUCCESS)
        {
            return Instant::now();
        }
        // The platform's own retry pace.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

// needs: redis
#[cfg_attr(
    not(ipv_redis),
    ignore = "needs Redis (redis-server): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_delays_callbacks_by_seconds_not_by_a_lease() {
    let mut config = FleetConfig::quiet(StoreKind::Redis);
    // The default lease: a claim stuck in the store would hold its key this long.
    config.lease = Duration::from_secs(60);
    config.handler_timeout = Duration::from_secs(20);
    let fleet = Fleet::start(&config)
        .await
        .unwrap_or_else(|e| panic!("starting the fleet: {e}"));
    let orders = fleet
        .buy_orders(40, 8)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let _moved = fleet.emulator.control().process_orders();
    let fleet = Arc::new(fleet);
    let receivers = fleet.receivers.len();

    // The run: every order's callback, all at once, retried until success.
    let mut deliveries = JoinSet::new();
    for (i, no) in orders.iter().enumerate() {
        deliveries.spawn(deliver_until_success(
            Arc::clone(&fleet),
            i % receivers,
            no.clone(),
        ));
    }
    // Mid-run: once the first callbacks are handled, the rest are being claimed.
    let deadline = Instant::now() + Duration::from_secs(60);
    while fleet.tally.orders_completed() < 3 {
        assert!(Instant::now() < deadline, "the run never got going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    fleet.pause_store().unwrap_or_else(|e| panic!("{e}"));
    let frozen_at = Instant::now();
    let completed_before = fleet.tally.orders_completed();
    // Frozen for 12 s (the outage itself; the deliveries go on meanwhile).
    tokio::time::sleep(Duration::from_secs(12)).await;
    fleet.resume_store();
    let resumed = Instant::now();
    println!(
        "froze Redis with {completed_before}/{} orders handled; resumed after {:?}",
        orders.len(),
        resumed - frozen_at
    );

    let mut last = resumed;
    let collect = async {
        while let Some(done) = deliveries.join_next().await {
            last = last.max(done.unwrap());
        }
    };
    let all_in_time = tokio::time::timeout(Duration::from_secs(30), collect).await;
    let after_resume = last.saturating_duration_since(resumed);
    println!(
        "{} of {} callbacks still refused 30 s after the resume; the last one answered \
         success was {after_resume:?} after the resume",
        deliveries.len(),
        orders.len()
    );
    assert!(
        all_in_time.is_ok(),
        "callbacks still refused 30 s after the resume"
    );
    assert!(
        after_resume <= Duration::from_secs(10),
        "the last callback was handled {after_resume:?} after the resume"
    );
    let completions = fleet.tally.completions();
    for no in &orders {
        let key = format!("order:{no}:1");
        assert!(completions.contains_key(&key), "{key} was lost");
    }
    if let Ok(fleet) = Arc::try_unwrap(fleet) {
        fleet.shutdown().await;
    }
}
