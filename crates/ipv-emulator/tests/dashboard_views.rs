//! The dashboard's views without a browser: instances and orders paged and filtered on
//! the server, the balance history from the ledger, the delivery log's attempt details
//! (status, neutralised answer, latency, next retry), and resend.

mod common;
mod dashboard_support;

use std::time::Duration;

use ipv_emulator::{AppConfig, CallbackPolicy, Control, InstanceFilter, OrderFilter, PageRequest};
use ipv_types::{Money, OpenInstancesRequest, OpenParam};

use common::{client, config, start};
use dashboard_support::{MARKUP_ANSWER, Receiver, raw_request, wait_for};

fn page(page: usize, per_page: usize) -> PageRequest {
    PageRequest { page, per_page }
}

fn filter(status: Option<&str>, product: Option<&str>, days: Option<u32>) -> InstanceFilter {
    InstanceFilter {
        app_key: None,
        status: status.map(str::to_owned),
        product_no: product.map(str::to_owned),
        expires_within_days: days,
    }
}

fn total(control: &Control, f: &InstanceFilter) -> usize {
    control
        .instances_page(f, PageRequest::default())
        .expect("a page")
        .total
}

#[tokio::test]
async fn instances_are_paged_and_filtered_on_the_server() {
    let emu = start(config()).await;
    let api = client(&emu);
    let control = emu.control();
    for (no, product, count) in [
        ("V-1", "ipv_dc_us_sjc_w", 2), // a week
        ("V-2", "ipv_dc_sg_d30", 1),   // 30 days
        ("V-3", "ipv_dc_gb_lon_u", 1), // no end
    ] {
        api.open_instances(&OpenInstancesRequest::new(
            no,
            vec![OpenParam::by_product(product, count, 1)],
        ))
        .await
        .expect("open");
    }
    let all = control
        .instances_page(&InstanceFilter::default(), page(1, 3))
        .expect("page 1");
    assert_eq!((all.total, all.rows.len()), (4, 3));
    let second = control
        .instances_page(&InstanceFilter::default(), page(2, 3))
        .expect("page 2");
    assert_eq!(second.rows.len(), 1);
    assert!(
        !all.rows
            .iter()
            .any(|r| r.instance_no == second.rows[0].instance_no)
    );
    let beyond = control
        .instances_page(&InstanceFilter::default(), page(99, 3))
        .expect("past the end");
    assert_eq!((beyond.total, beyond.rows.len()), (4, 0));

    assert_eq!(total(&control, &filter(Some("running"), None, None)), 4);
    assert_eq!(total(&control, &filter(Some("RUNNING"), None, None)), 4);
    assert_eq!(total(&control, &filter(Some("stopped"), None, None)), 0);
    assert_eq!(
        total(&control, &filter(None, Some("ipv_dc_us_sjc_w"), None)),
        2
    );
    assert_eq!(total(&control, &filter(None, None, Some(6))), 0);
    assert_eq!(total(&control, &filter(None, None, Some(8))), 2);
    assert_eq!(total(&control, &filter(None, None, Some(31))), 3);
    let other_app = InstanceFilter {
        app_key: Some("AK_NOBODY".into()),
        ..InstanceFilter::default()
    };
    assert_eq!(total(&control, &other_app), 0);

    // Ten days later the week-long ones have run out; running out "within N days" counts
    // live instances only, and the stopped ones are still live.
    control.advance_clock(10 * 86_400).expect("advance");
    assert_eq!(total(&control, &filter(Some("stopped"), None, None)), 2);
    assert_eq!(total(&control, &filter(Some("running"), None, None)), 2);
    assert_eq!(total(&control, &filter(None, None, Some(21))), 3);

    // Refusals, in Rust and over HTTP (400 naming the field).
    for bad in [page(0, 10), page(1, 0), page(1, 501)] {
        assert!(
            control
                .instances_page(&InstanceFilter::default(), bad)
                .is_err(),
            "{bad:?}"
        );
    }
    assert!(
        control
            .instances_page(&filter(Some("bogus"), None, None), PageRequest::default())
            .is_err()
    );
    let host = emu.local_addr().to_string();
    for query in [
        "page=0",
        "perPage=1000",
        "page=abc",
        "colour=red",
        "status=bogus",
        "expiresWithinDays=-1",
        "productNo=%zz",
    ] {
        let answer = raw_request(
            emu.local_addr(),
            "GET",
            &format!("/__emulator/instances?{query}"),
            &[("host", host.as_str())],
            "",
        )
        .await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
    }
    let answer = raw_request(
        emu.local_addr(),
        "GET",
        "/__emulator/instances?status=stopped&productNo=ipv_dc_us_sjc_w&perPage=1&page=2",
        &[("host", host.as_str())],
        "",
    )
    .await;
    assert_eq!(answer.status, 200);
    let body: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(body["total"], 2);
    assert_eq!(body["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["rows"][0]["status"], "stopped");
    emu.shutdown().await;
}

#[tokio::test]
async fn orders_come_newest_first_with_their_moves() {
    let second = common::second_app();
    let emu = start(config().with_apps(vec![AppConfig::default_app(), second.clone()])).await;
    let api = client(&emu);
    let control = emu.control();
    for no in ["O-1", "O-2"] {
        api.open_instances(&OpenInstancesRequest::new(
            no,
            vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
        ))
        .await
        .expect("open");
    }
    let orders = control
        .orders_page(&OrderFilter::default(), PageRequest::default())
        .expect("orders");
    assert_eq!(orders.total, 2);
    assert_eq!(orders.rows[0].app_order_no, "O-2", "newest first");
    let row = &orders.rows[1];
    assert_eq!(row.status, "succeeded");
    let moves: Vec<&str> = row.moves.iter().map(|m| m.status.as_str()).collect();
    assert_eq!(moves, ["pending", "processing", "succeeded"]);
    assert_eq!(row.amount.to_string(), "1.40");
    assert_eq!(row.instance_count, 1);
    assert_eq!((row.count, row.success_count), (1, 1));
    let by_status = |status: &str| {
        control
            .orders_page(
                &OrderFilter {
                    app_key: None,
                    status: Some(status.to_owned()),
                },
                PageRequest::default(),
            )
            .expect("orders")
            .total
    };
    assert_eq!(by_status("succeeded"), 2);
    assert_eq!(by_status("pending"), 0);
    assert_eq!(by_status("partly done"), 0);
    let of_second = control
        .orders_page(
            &OrderFilter {
                app_key: Some(second.app_key.clone()),
                status: None,
            },
            PageRequest::default(),
        )
        .expect("orders");
    assert_eq!(of_second.total, 0);
    assert!(
        control
            .orders_page(
                &OrderFilter {
                    app_key: None,
                    status: Some("done".into())
                },
                PageRequest::default()
            )
            .is_err()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn the_balance_history_follows_the_ledger() {
    let emu = start(config()).await;
    let api = client(&emu);
    let control = emu.control();
    let app = ipv_emulator::DEFAULT_APP_KEY;
    let fresh = control.balance_history(app).expect("history");
    assert_eq!(fresh.points.len(), 1);
    assert_eq!(fresh.points[0].kind, "start");
    assert_eq!(fresh.points[0].balance.to_string(), "10000.00");
    let receipt = api
        .open_instances(&OpenInstancesRequest::new(
            "B-1",
            vec![OpenParam::by_product("ipv_dc_us_sjc_w", 2, 1)],
        ))
        .await
        .expect("open");
    control.top_up(app, Money::from_int(5)).expect("top up");
    let history = control.balance_history(app).expect("history");
    let kinds: Vec<&str> = history.points.iter().map(|p| p.kind.as_str()).collect();
    assert_eq!(kinds, ["start", "charge", "topUp"]);
    assert_eq!(history.points[1].amount, receipt.amount);
    assert_eq!(history.points[1].reference, receipt.order_no);
    assert_eq!(
        history.points[1].balance,
        Money::from_int(10_000) - receipt.amount
    );
    assert_eq!(history.spent, receipt.amount);
    let summary = control.summary();
    assert_eq!(history.balance, summary.apps[0].balance);
    assert_eq!(history.points[2].balance, summary.apps[0].balance);
    assert!(control.balance_history("AK_NOBODY").is_err());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_keep_status_answer_latency_and_next_retry_and_can_be_resent() {
    // The receiver fails each callback's first attempt with a long answer holding markup
    // and terminal escapes.
    let failure = format!("{MARKUP_ANSWER}\u{1b}[2J{}", "x".repeat(5_000));
    let receiver = Receiver::start_with(true, failure).await;
    let app = AppConfig::default_app().with_callback_url(receiver.url());
    let emu = start(config().with_apps(vec![app])).await;
    let control = emu.control();
    let receipt = client(&emu)
        .open_instances(&OpenInstancesRequest::new(
            "R-1",
            vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
        ))
        .await
        .expect("open");
    assert!(control.wait_for_callbacks(Duration::from_secs(20)).await);
    let log = control.deliveries(100);
    assert_eq!(log.total, log.attempts.len());
    assert!(log.queued.is_empty());
    let order: Vec<_> = log
        .attempts
        .iter()
        .filter(|a| a.no == receipt.order_no)
        .cloned()
        .collect();
    assert_eq!(order.len(), 2, "{order:?}");
    let (second, first) = (&order[0], &order[1]);
    assert_eq!((first.attempt, second.attempt), (1, 2), "newest first");
    assert_eq!(first.status_code, Some(500));
    assert!(!first.acknowledged);
    assert!(
        first.answer.starts_with(MARKUP_ANSWER),
        "kept as sent: {}",
        first.answer
    );
    assert!(
        !first.answer.contains('\u{1b}'),
        "terminal escapes neutralised"
    );
    assert!(first.answer.chars().count() <= ipv_emulator::ANSWER_SHOWN_CHARS + 20);
    assert!(first.answer.ends_with('…'), "cut and marked");
    assert!(first.next_attempt_at.is_some_and(|t| t >= first.at));
    assert!(first.url.starts_with(&receiver.url()) && first.url.contains("type=order"));
    assert_eq!(second.status_code, Some(200));
    assert!(second.acknowledged);
    assert_eq!(second.answer, r#"{"code":"success","msg":""}"#);
    assert_eq!(second.next_attempt_at, None);

    // Resend: one more attempt under the same id, numbered on.
    assert!(control.resend_callback(999_999).is_err(), "unknown id");
    let served = receiver.served.load(std::sync::atomic::Ordering::SeqCst);
    control.resend_callback(first.id).expect("resend");
    let third = wait_for("the resent attempt", Duration::from_secs(20), || async {
        control
            .callbacks()
            .into_iter()
            .find(|a| a.id == first.id && a.attempt == 3)
    })
    .await;
    assert!(third.acknowledged);
    assert_eq!(third.no, receipt.order_no);
    assert!(receiver.served.load(std::sync::atomic::Ordering::SeqCst) > served);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_callback_still_queued_is_not_resent() {
    // Nothing listens at the callback URL, and the retry waits 30 s: the callback stays
    // queued after its first attempt.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/cb", closed.local_addr().expect("addr"));
    drop(closed);
    let policy = CallbackPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_secs(30),
        max_backoff: Duration::from_secs(30),
        timeout: Duration::from_secs(5),
    };
    let emu = start(
        config()
            .with_apps(vec![AppConfig::default_app().with_callback_url(url)])
            .with_callback_policy(policy),
    )
    .await;
    let control = emu.control();
    client(&emu)
        .open_instances(&OpenInstancesRequest::new(
            "Q-1",
            vec![OpenParam::by_product("ipv_dc_us_sjc_w", 1, 1)],
        ))
        .await
        .expect("open");
    let attempt = wait_for(
        "a failed first attempt",
        Duration::from_secs(20),
        || async { control.callbacks().into_iter().find(|a| a.attempt == 1) },
    )
    .await;
    assert_eq!(attempt.status_code, None, "nobody answered");
    assert!(
        attempt.outcome.starts_with("transport error"),
        "{}",
        attempt.outcome
    );
    assert!(attempt.next_attempt_at.is_some());
    assert!(control.deliveries(10).queued.contains(&attempt.id));
    let refused = control
        .resend_callback(attempt.id)
        .expect_err("still queued");
    assert!(refused.0.contains("still queued"), "{refused}");
    emu.shutdown().await;
}
