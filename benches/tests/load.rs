//! The load test, small enough for CI: 1,000 requests at 64 in flight across all 30
//! endpoints against an in-process emulator. Correctness only (no timing assertions).

use std::time::Duration;

use ipv_benches::load::{self, LoadConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_requests_at_64_in_flight_all_succeed_and_the_books_balance() {
    let report = load::run(LoadConfig {
        total: 1000,
        in_flight: 64,
        timeout: Duration::from_secs(60),
        ..LoadConfig::default()
    })
    .await
    .expect("the load test starts");

    assert_eq!(report.errors, 0, "first errors: {:?}", report.first_errors);
    assert_eq!(report.requests, 1000);
    assert_eq!(report.latencies.len(), 1000);
    assert_eq!(
        report.per_endpoint.len(),
        30,
        "endpoints called: {:?}",
        report.per_endpoint.keys()
    );
    assert_eq!(report.per_endpoint.values().sum::<usize>(), 1000);
    report
        .invariants
        .as_ref()
        .expect("the emulator's invariants hold");
    report
        .stock_never_negative
        .as_ref()
        .expect("no stock below zero");
    let app = &report.summary.apps[0];
    // Every cycle buys something: the books moved, and still add up.
    assert!(app.charges > 0 && app.refunds > 0, "{app:?}");
    assert_eq!(
        (app.starting_balance - app.charged + app.refunded + app.top_ups).as_decimal(),
        app.balance.as_decimal()
    );
    assert!(report.is_clean());
}

#[tokio::test]
async fn a_total_beyond_the_stock_bound_is_refused_before_anything_starts() {
    let err = load::run(LoadConfig {
        total: load::MAX_TOTAL + 1,
        ..LoadConfig::default()
    })
    .await
    .expect_err("too many requests for the seeded stock");
    assert!(err.to_string().contains("total must be"), "{err}");
}
