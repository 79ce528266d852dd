//! `blocking::Client` over test transports: the same retries, errors and reqIds as the
//! async client, from a plain thread, and a clear refusal inside an async runtime. The
//! end-to-end run against the emulator is `crates/ipv-emulator/tests/blocking_client.rs`.
#![cfg(feature = "blocking")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{APP_KEY, BASE, SECRET, code_body, ok_body, open_request};
use http::StatusCode;
use ipv_api::blocking::{BlockingBuildError, Client};
use ipv_api::{BuildError, Error, ReqIdProvider, RetryPolicy};
use ipv_transport::test_util::{FnTransport, json_response};
use ipv_transport::{TransportError, TransportErrorKind};
use ipv_types::{ApiCode, OpenInstancesRequest, OpenParam, ProductRequest};
use serde_json::json;

fn builder() -> ipv_api::ClientBuilder {
    Client::builder()
        .base_url(BASE)
        .app_key(APP_KEY)
        .app_secret(SECRET)
        .retry_policy(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .req_id_provider(ReqIdProvider::seeded(7))
}

/// Fails the first `failures` sends, then answers an order receipt; records the bodies.
fn flaky(failures: usize) -> (FnTransport, Arc<Mutex<Vec<Bytes>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&bodies);
    let transport = FnTransport::new(move |request| {
        let mut seen = seen.lock().unwrap();
        seen.push(request.body().clone());
        if seen.len() <= failures {
            return Err(TransportError::new(
                TransportErrorKind::Io,
                "connection reset by test",
            ));
        }
        let sent = open_request(&request);
        // A receipt answers its own purchase: the client refuses one for another order.
        let app_order_no = sent.params["appOrderNo"].clone();
        let req_id = sent.req_id;
        let receipt = json!({"orderNo": "ORD-1", "appOrderNo": app_order_no, "amount": "4.00"});
        Ok(json_response(StatusCode::OK, ok_body(&req_id, &receipt)))
    });
    (transport, bodies)
}

#[test]
fn retries_resend_one_req_id_and_identical_bodies() {
    let (transport, bodies) = flaky(2);
    let client = builder().transport(transport).build_blocking().unwrap();
    let request = OpenInstancesRequest::new("APP-1", vec![OpenParam::by_product("p1", 1, 1)]);
    let reply = client.send_with_meta(&request).unwrap();
    assert_eq!(reply.attempts, 3);
    assert_eq!(reply.value.order_no, "ORD-1");
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|b| b == &bodies[0]));
}

#[test]
fn api_errors_and_validation_are_the_async_clients() {
    let transport = FnTransport::new(|request| {
        let req_id = open_request(&request).req_id;
        Ok(json_response(
            StatusCode::OK,
            code_body(&req_id, ApiCode::OrderNotFound, "no such product"),
        ))
    });
    let client = builder().transport(transport).build_blocking().unwrap();
    match client.product(&ProductRequest::new("nope")) {
        Err(Error::Api(api)) => assert_eq!(api.code, ApiCode::OrderNotFound),
        other => panic!("expected the API error, got {other:?}"),
    }
    // Validation refuses before anything is sent, as in the async client.
    let empty = OpenInstancesRequest::new("APP-1", Vec::new());
    assert!(matches!(
        client.open_instances(&empty),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn a_bad_setting_is_the_builders_error() {
    let err = Client::builder()
        .base_url(BASE)
        .app_key(APP_KEY)
        .app_secret("short")
        .build_blocking()
        .unwrap_err();
    assert!(
        matches!(err, BlockingBuildError::Client(BuildError::Secret(_))),
        "{err:?}"
    );
    assert!(err.to_string().contains("16, 24 or 32"), "{err}");
}

#[test]
fn one_client_serves_several_threads() {
    let (transport, bodies) = flaky(0);
    let client = builder().transport(transport).build_blocking().unwrap();
    std::thread::scope(|scope| {
        for i in 0..4 {
            let client = &client;
            scope.spawn(move || {
                let request = OpenInstancesRequest::new(
                    format!("APP-{i}"),
                    vec![OpenParam::by_product("p1", 1, 1)],
                );
                client.open_instances(&request).unwrap();
            });
        }
    });
    assert_eq!(bodies.lock().unwrap().len(), 4);
}

#[test]
fn a_call_inside_an_async_runtime_panics_with_a_clear_message() {
    let (transport, bodies) = flaky(0);
    let client = builder().transport(transport).build_blocking().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let panic = runtime.block_on(async {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            client.open_instances(&OpenInstancesRequest::new(
                "APP-1",
                vec![OpenParam::by_product("p1", 1, 1)],
            ))
        }))
        .unwrap_err()
    });
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("blocking::Client::send")
            && message.contains("inside an async runtime")
            && message.contains("async ipv_api::Client"),
        "{message}"
    );
    assert!(bodies.lock().unwrap().is_empty(), "nothing was sent");
    // Dropping the client inside a runtime is allowed.
    runtime.block_on(async move { drop(client) });
}
