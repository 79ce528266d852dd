//! Backfill of a large account, killed at random points and resumed.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ipv_sync::{BackfillOptions, BackfillProgress};

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_killed_three_times_and_resumed_equals_a_fresh_read() {
    let pg = common::postgres().await;
    let emulator = common::emulator(Duration::from_secs(2 * 366 * 86_400), None).await;
    let client = common::client(&emulator);
    let target = common::target_instances();
    common::fill(&emulator, &client, target, 24).await;
    let total = common::platform_instances(&client).await.len();
    assert!(
        total >= target,
        "the account holds {total} instances, wanted {target}"
    );

    let mirror = common::mirror(&pg, true).await;
    // A short lease, so a window a killed run held is taken over soon.
    let options = BackfillOptions::default()
        .lease(Duration::from_millis(500))
        .window(Duration::from_secs(30 * 86_400));
    // Three kills, each after a random number of API calls of its run (pages are
    // written five at a time, so a kill lands mid-run of pages as often as not).
    for kill in 0..3 {
        let pages = Arc::new(AtomicU64::new(0));
        let stop_after = 3 + rand::random::<u64>() % 25;
        let counter = Arc::clone(&pages);
        let (client, mirror, options) = (client.clone(), mirror.clone(), options.clone());
        let run = tokio::spawn(async move {
            let on_progress = move |p: &BackfillProgress| {
                counter.store(p.api_calls, Ordering::SeqCst);
            };
            ipv_sync::backfill(&client, &mirror, &options, &on_progress).await
        });
        let reached = common::eventually(Duration::from_secs(300), || {
            let pages = Arc::clone(&pages);
            let finished = run.is_finished();
            async move { finished || pages.load(Ordering::SeqCst) >= stop_after }
        })
        .await;
        assert!(reached, "kill {kill}: the run made no progress");
        assert!(
            !run.is_finished(),
            "kill {kill}: the run ended before the kill point"
        );
        run.abort();
        let _ = run.await;
    }
    let report = ipv_sync::backfill(&client, &mirror, &options, &|_| {})
        .await
        .expect("resumed backfill");
    let status = ipv_sync::status(&mirror).await.expect("status");
    let cursor = status.backfill.expect("a run");
    assert!(cursor.finished, "the run finished");
    assert_eq!(
        cursor.run_id, report.run_id,
        "the resumed call continued the same run"
    );
    assert!(
        cursor.windows >= 24,
        "two years in 30-day windows: {}",
        cursor.windows
    );
    common::assert_instances_match(&client, &mirror, true).await;
    common::assert_orders_match(&client, &mirror).await;
    let products = status.rows["products"];
    assert!(products > 0, "the catalogue was mirrored");
    emulator.shutdown().await;
}

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_backfill_one_run_together_sharing_its_windows() {
    let pg = common::postgres().await;
    let emulator = common::emulator(Duration::from_secs(366 * 86_400), None).await;
    let client = common::client(&emulator);
    common::fill(&emulator, &client, 2_000, 12).await;
    // Two "processes": separate pools, started together.
    let (a, b) = tokio::join!(common::mirror(&pg, true), common::mirror(&pg, true));
    let options = BackfillOptions::default().window(Duration::from_secs(14 * 86_400));
    let (ra, rb) = tokio::join!(
        ipv_sync::backfill(&client, &a, &options, &|_| {}),
        ipv_sync::backfill(&client, &b, &options, &|_| {}),
    );
    let (ra, rb) = (ra.expect("a"), rb.expect("b"));
    assert_eq!(ra.run_id, rb.run_id, "one run, shared");
    let status = ipv_sync::status(&a).await.expect("status");
    let cursor = status.backfill.expect("run");
    assert!(cursor.finished);
    assert_eq!(
        i64::try_from(ra.windows + rb.windows).expect("windows"),
        cursor.windows,
        "each window read by exactly one of them"
    );
    common::assert_instances_match(&client, &a, true).await;
    common::assert_orders_match(&client, &a).await;
    emulator.shutdown().await;
}
