//! Backfill of a large account, killed at random points and resumed.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ipv_sync::{BackfillOptions, BackfillProgress, Mirror, SyncConfig};
use ipv_types::InstanceListRequest;
use time::OffsetDateTime;

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

// needs: postgres
#[cfg_attr(
    not(ipv_postgres),
    ignore = "needs PostgreSQL (initdb, postgres): not installed here; bash .ci/services installs it"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_copies_the_rows_a_mirror_lacks_and_upserts_those_it_holds() {
    let pg = common::postgres().await;
    let emulator = common::emulator(Duration::from_secs(200 * 86_400), None).await;
    let client = common::client(&emulator);
    common::fill(&emulator, &client, 1_000, 6).await;
    let options = BackfillOptions::default().window(Duration::from_secs(30 * 86_400));

    // An empty mirror: every instance and order goes in with COPY.
    let empty = common::mirror(&pg, true).await;
    let report = ipv_sync::backfill(&client, &empty, &options, &|_| {})
        .await
        .expect("backfill into an empty mirror");
    assert!(report.instances >= 1_000, "{report:?}");
    assert_eq!(
        report.copied,
        report.instances + report.orders,
        "{report:?}"
    );
    common::assert_instances_match(&client, &empty, true).await;
    common::assert_orders_match(&client, &empty).await;

    // A mirror that already holds one instance, with data fetched after this backfill
    // reads it (as a callback would have written): the run of pages holding it finds
    // it there and is upserted, so the fresher row stays; the other windows are copied.
    let held = Mirror::connect(SyncConfig::new(pg.url()).schema("held"))
        .await
        .expect("mirror");
    let page = client
        .instance_list(&InstanceListRequest::default().with_page_size(1))
        .await
        .expect("a page");
    let mut fresher = page.list[0].clone();
    let real_ip = fresher.ip.clone();
    fresher.ip = "203.0.113.77".to_owned();
    let later = OffsetDateTime::now_utc() + Duration::from_secs(3_600);
    held.write_instances(std::slice::from_ref(&fresher), later)
        .await
        .expect("the held row");
    let report = ipv_sync::backfill(&client, &held, &options, &|_| {})
        .await
        .expect("backfill over a held row");
    let total = report.instances + report.orders;
    assert!(
        report.copied > 0 && report.copied < total,
        "some runs copied, the one holding the row upserted: {report:?}"
    );
    let db = held.pool().get().await.expect("db");
    let ip: String = db
        .query_one(
            "SELECT ip FROM held.instances WHERE instance_no = $1",
            &[&fresher.instance_no],
        )
        .await
        .expect("the held row")
        .get(0);
    assert_eq!(ip, "203.0.113.77", "the older page left the fresher row");
    // With the platform's own value written fresher still, every row equals a fresh
    // read: none missing, none twice.
    fresher.ip = real_ip;
    held.write_instances(&[fresher], later + Duration::from_secs(1))
        .await
        .expect("the platform's value");
    common::assert_instances_match(&client, &held, true).await;
    common::assert_orders_match(&client, &held).await;
    emulator.shutdown().await;
}
