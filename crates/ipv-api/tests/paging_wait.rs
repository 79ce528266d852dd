//! Pagination streams and order waiting over a scripted server.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{client_over, ok_body, open_request};
use futures_util::{StreamExt as _, TryStreamExt as _};
use http::StatusCode;
use ipv_api::{Error, WaitOptions};
use ipv_transport::test_util::{CaptureTransport, json_response};
use ipv_types::{InstanceListRequest, OrderStatus, OrdersRequest};
use serde_json::{Value, json};

fn instances(range: std::ops::Range<u64>) -> Vec<Value> {
    range
        .map(|n| json!({"instanceNo": format!("inst-{n}"), "status": 3}))
        .collect()
}

/// An order of `total` instances in status `status`, page `page` of `size`.
fn order_page(status: i64, total: u64, page: u64, size: u64) -> Value {
    let start = (page - 1) * size;
    let end = (start + size).min(total);
    json!({
        "orderNo": "ORD-1", "appOrderNo": "APP-1", "type": 1, "status": status,
        "count": total, "amount": "1.00", "refund": 0, "page": page, "pageSize": size, "total": total,
        "instances": instances(start.min(end)..end),
    })
}

fn page_params(params: &Value) -> (u64, u64) {
    (
        params["page"].as_u64().unwrap(),
        params["pageSize"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn order_instances_walks_every_page() {
    let capture = CaptureTransport::with_responder(|request| {
        let seen = open_request(request);
        let (page, size) = page_params(&seen.params);
        json_response(
            StatusCode::OK,
            ok_body(&seen.req_id, &order_page(3, 250, page, size)),
        )
    });
    let client = client_over(capture.clone());
    let all: Vec<_> = client.order_instances("ORD-1").try_collect().await.unwrap();
    assert_eq!(all.len(), 250);
    assert_eq!(all[0].instance_no, "inst-0");
    assert_eq!(all[249].instance_no, "inst-249");
    let pages: Vec<u64> = capture
        .requests()
        .iter()
        .map(|r| page_params(&open_request(r).params).0)
        .collect();
    assert_eq!(pages, [1, 2, 3]);
}

#[tokio::test]
async fn a_server_ignoring_pages_ends_the_stream_with_an_error() {
    let capture = CaptureTransport::with_responder(|request| {
        let seen = open_request(request);
        // Always the same full first page, with a total far away.
        let data = json!({"page": 1, "pageSize": 100, "total": 100000, "curPage": 1,
                          "list": (0..100).map(|n| json!({"orderNo": format!("o{n}")})).collect::<Vec<_>>()});
        json_response(StatusCode::OK, ok_body(&seen.req_id, &data))
    });
    let client = client_over(capture.clone());
    let results: Vec<_> = client
        .orders_stream(OrdersRequest::default())
        .collect()
        .await;
    assert_eq!(results.len(), 101, "one page of items, then the error");
    let err = results.last().unwrap().as_ref().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Pagination {
                endpoint: "orders",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(capture.len(), 2, "stopped at the second page");
}

#[tokio::test]
async fn instance_list_stream_stops_on_a_short_page() {
    let capture = CaptureTransport::with_responder(|request| {
        let seen = open_request(request);
        let (page, size) = page_params(&seen.params);
        let start = (page - 1) * size;
        let end = (start + size).min(7);
        // No total reported: the short page ends it.
        let data = json!({"page": page, "pageSize": size, "total": 0, "curPage": page,
                          "list": instances(start.min(end)..end)});
        json_response(StatusCode::OK, ok_body(&seen.req_id, &data))
    });
    let client = client_over(capture.clone());
    let request = InstanceListRequest::default().with_page_size(3);
    let all: Vec<_> = client
        .instance_list_stream(request)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
    assert_eq!(capture.len(), 3);
}

#[tokio::test]
async fn wait_for_order_polls_until_final_and_fetches_every_instance() {
    let polls = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&polls);
    let capture = CaptureTransport::with_responder(move |request| {
        let seen = open_request(request);
        let (page, size) = page_params(&seen.params);
        let status = if page == 1 {
            // Page-1 requests are the polls: pending, processing, then done.
            match counter.fetch_add(1, Ordering::SeqCst) {
                0 => 1,
                1 => 2,
                _ => 3,
            }
        } else {
            3
        };
        json_response(
            StatusCode::OK,
            ok_body(&seen.req_id, &order_page(status, 150, page, size)),
        )
    });
    let client = client_over(capture.clone());
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&statuses);
    let options = WaitOptions::default()
        .with_deadline(Duration::from_secs(30))
        .with_intervals(Duration::from_millis(1), Duration::from_millis(2))
        .on_progress(move |order| log.lock().unwrap().push(order.status));
    let order = client.wait_for_order("ORD-1", options).await.unwrap();
    assert_eq!(order.status, OrderStatus::Succeeded);
    assert_eq!(order.instances.len(), 150, "all pages");
    assert_eq!(order.instances[149].instance_no, "inst-149");
    assert_eq!(
        *statuses.lock().unwrap(),
        [
            OrderStatus::Pending,
            OrderStatus::Processing,
            OrderStatus::Succeeded
        ]
    );
}

#[tokio::test]
async fn wait_for_order_gives_up_at_the_deadline_with_the_last_status() {
    let capture = CaptureTransport::with_responder(|request| {
        let seen = open_request(request);
        json_response(
            StatusCode::OK,
            ok_body(&seen.req_id, &order_page(2, 1, 1, 100)),
        )
    });
    let client = client_over(capture.clone());
    let options = WaitOptions::default()
        .with_deadline(Duration::from_millis(30))
        .with_intervals(Duration::from_millis(5), Duration::from_millis(5));
    let err = client.wait_for_order("ORD-1", options).await.unwrap_err();
    let Error::WaitTimedOut {
        order_no,
        last_status,
        waited,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(order_no, "ORD-1");
    assert_eq!(*last_status, Some(OrderStatus::Processing));
    assert!(*waited >= Duration::from_millis(30));
    assert!(capture.len() >= 2, "polled more than once");
    assert!(err.to_string().contains("processing"), "{err}");
}
