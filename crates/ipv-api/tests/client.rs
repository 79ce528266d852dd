//! The client's behaviour around the wire: retries, timeouts, HTTP and API errors,
//! decode stages, validation, raw calls.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{BASE, SECRET, answering, client_over, code_body, ok_body, open_request};
use http::StatusCode;
use ipv_api::codec::DecodeStage;
use ipv_api::{Client, Error, RetryPolicy};
use ipv_transport::test_util::{
    CaptureTransport, FnTransport, NeverTransport, json_response, text_response,
};
use ipv_transport::{TransportError, TransportErrorKind};
use ipv_types::{
    ApiCode, DrawWithPasswordRequest, OpenInstancesRequest, OpenParam, OrderReceipt,
    ProductRequest, ProxyBalanceRequest, ProxyType, ResetPasswordsRequest,
};
use serde_json::json;

fn open_request_dto() -> OpenInstancesRequest {
    OpenInstancesRequest::new("APP-42", vec![OpenParam::by_product("p1", 2, 1)])
}

/// A transport that fails the first `failures` sends with `kind`, then answers a receipt;
/// it records every body it was given.
fn flaky(failures: usize, kind: TransportErrorKind) -> (FnTransport, Arc<Mutex<Vec<Bytes>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&bodies);
    let transport = FnTransport::new(move |request| {
        let mut seen = seen.lock().unwrap();
        seen.push(request.body().clone());
        if seen.len() <= failures {
            return Err(TransportError::new(kind, "connection reset by test"));
        }
        let req_id = open_request(&request).req_id;
        let receipt = json!({"orderNo": "ORD-9", "appOrderNo": "APP-42", "amount": "4.00"});
        Ok(json_response(StatusCode::OK, ok_body(&req_id, &receipt)))
    });
    (transport, bodies)
}

#[tokio::test]
async fn transport_failures_are_retried_with_one_req_id_and_identical_bodies() {
    let (transport, bodies) = flaky(2, TransportErrorKind::Io);
    let client = client_over(transport);
    let reply = client.send_with_meta(&open_request_dto()).await.unwrap();
    assert_eq!(reply.attempts, 3);
    assert_eq!(reply.value.order_no, "ORD-9");

    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 3);
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "byte-identical bodies"
    );
    let req_ids: Vec<String> = bodies
        .iter()
        .map(|b| ipv_api::codec::parse_request_envelope(b).unwrap().req_id)
        .collect();
    assert!(req_ids.iter().all(|id| id == &reply.req_id), "{req_ids:?}");
}

#[tokio::test]
async fn attempts_are_bounded() {
    let (transport, bodies) = flaky(10, TransportErrorKind::Timeout);
    let client = client_over(transport);
    let err = client.send(&open_request_dto()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { source, .. } if source.is_timeout()),
        "{err}"
    );
    assert!(err.may_have_been_sent());
    assert_eq!(bodies.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_10004_is_not_retried() {
    let capture = CaptureTransport::with_responder(|request| {
        let req_id = open_request(request).req_id;
        json_response(
            StatusCode::OK,
            code_body(&req_id, ApiCode::InvalidParams, "bad params"),
        )
    });
    let client = client_over(capture.clone());
    let err = client.send(&open_request_dto()).await.unwrap_err();
    assert_eq!(capture.len(), 1, "not retried");
    assert_eq!(err.api_code(), Some(ApiCode::InvalidParams));
    let Error::Api(api) = &err else {
        panic!("{err}")
    };
    assert_eq!(api.msg, "bad params");
    assert_eq!(Some(api.req_id.as_str()), err.req_id());
    assert!(err.may_have_been_sent());
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("10004"), "{err}");
}

#[tokio::test]
async fn code_500_is_retried_then_surfaces() {
    let capture = CaptureTransport::with_responder(|request| {
        let req_id = open_request(request).req_id;
        json_response(
            StatusCode::OK,
            code_body(&req_id, ApiCode::SystemError, "busy"),
        )
    });
    let client = client_over(capture.clone());
    let err = client.send(&ProductRequest::new("p1")).await.unwrap_err();
    assert_eq!(err.api_code(), Some(ApiCode::SystemError));
    assert_eq!(capture.len(), 3);
}

#[tokio::test]
async fn a_never_answering_transport_times_out() {
    let never = NeverTransport::new();
    let client = Client::builder()
        .base_url(BASE)
        .app_key("ak")
        .app_secret(SECRET)
        .transport(never.clone())
        .timeout(Duration::from_millis(20))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.send(&ProductRequest::new("p1")).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after, .. } if after == Duration::from_millis(20)),
        "{err}"
    );
    assert!(err.may_have_been_sent());
    assert!(err.req_id().is_some());
    assert_eq!(never.calls(), 1);
}

#[tokio::test]
async fn timeouts_are_retried_like_transport_errors() {
    let never = NeverTransport::new();
    let client = Client::builder()
        .base_url(BASE)
        .app_key("ak")
        .app_secret(SECRET)
        .transport(never.clone())
        .timeout(Duration::from_millis(5))
        .retry_policy(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let err = client.send(&ProductRequest::new("p1")).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }));
    assert_eq!(never.calls(), 3);
}

#[tokio::test]
async fn http_errors_keep_status_and_body() {
    for (status, retried) in [
        (StatusCode::INTERNAL_SERVER_ERROR, true),
        (StatusCode::NOT_FOUND, false),
    ] {
        let capture = CaptureTransport::new(text_response(status, "upstream says no"));
        let client = client_over(capture.clone());
        let err = client.send(&ProductRequest::new("p1")).await.unwrap_err();
        let Error::Http {
            status: got,
            body,
            req_id,
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(*got, status.as_u16());
        assert_eq!(body, "upstream says no");
        assert_eq!(req_id.len(), 32);
        assert_eq!(err.http_status(), Some(status.as_u16()));
        assert_eq!(capture.len(), if retried { 3 } else { 1 }, "{status}");
    }
}

#[tokio::test]
async fn too_many_requests_is_retried_even_for_draws() {
    let calls = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&calls);
    let transport = FnTransport::new(move |request| {
        let mut calls = counter.lock().unwrap();
        *calls += 1;
        if *calls == 1 {
            let mut response = text_response(StatusCode::TOO_MANY_REQUESTS, "slow down");
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static("0"),
            );
            return Ok(response);
        }
        let req_id = open_request(&request).req_id;
        Ok(json_response(
            StatusCode::OK,
            ok_body(
                &req_id,
                &json!({"list": [{"proxyUrl": "gw:1", "list": ["a"]}]}),
            ),
        ))
    });
    let client = client_over(transport);
    let drawn = client
        .draw_with_password(&DrawWithPasswordRequest::new("alice", "d1"))
        .await
        .unwrap();
    assert_eq!(drawn.list[0].proxy_url, "gw:1");
    assert_eq!(*calls.lock().unwrap(), 2);
}

#[tokio::test]
async fn non_idempotent_calls_are_not_retried_after_they_may_have_been_processed() {
    let (transport, bodies) = flaky(1, TransportErrorKind::Io);
    let client = client_over(transport);
    let err = client
        .draw_with_password(&DrawWithPasswordRequest::new("alice", "d1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert_eq!(bodies.lock().unwrap().len(), 1);

    // A connect failure certainly did not reach the platform: retried.
    let (transport, bodies) = flaky(1, TransportErrorKind::Connect);
    let client = client_over(transport);
    let err = client
        .draw_with_password(&DrawWithPasswordRequest::new("alice", "d1"))
        .await
        .unwrap_err();
    // The flaky transport answers the retry with a receipt, which is not a draw: the
    // draw's required `list` is missing.
    assert!(err.to_string().contains("missing field `list`"), "{err}");
    assert_eq!(bodies.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn malformed_responses_give_decode_stages() {
    let other_key = ipv_crypto::Key::new(b"0123456789abcdef").unwrap();
    let under_other_key = ipv_api::codec::seal_response(
        &other_key,
        "r",
        ApiCode::Ok,
        "ok",
        Some(&json!({"orderNo": "x"})),
    )
    .unwrap();
    let cases: Vec<(Bytes, DecodeStage)> = vec![
        (
            Bytes::from_static(b"<html>gateway</html>"),
            DecodeStage::EnvelopeJson,
        ),
        (
            Bytes::from_static(br#"{"reqId":"r","code":200,"msg":"ok","data":"***"}"#),
            DecodeStage::Base64,
        ),
        (under_other_key, DecodeStage::Decrypt),
        (
            ok_body("r", &json!({"orderNo": 5})),
            DecodeStage::PayloadJson {
                path: "orderNo".into(),
            },
        ),
    ];
    for (body, stage) in cases {
        let capture = CaptureTransport::new(json_response(StatusCode::OK, body));
        let client = client_over(capture.clone());
        let err = client
            .send::<OpenInstancesRequest>(&open_request_dto())
            .await
            .unwrap_err();
        let Error::Decode { source, req_id } = &err else {
            panic!("{err}")
        };
        assert_eq!(source.stage, stage);
        assert_eq!(req_id.len(), 32);
        assert_eq!(capture.len(), 1, "decode errors are not retried");
        assert!(!err.to_string().contains("qwerty"));
    }
}

#[tokio::test]
async fn invalid_requests_name_the_field_and_send_nothing() {
    let long = "x".repeat(33);
    let cases: Vec<(Result<OrderReceipt, Error>, &str)> = {
        let (client, _) = answering(json!(null));
        vec![
            (
                client
                    .open_instances(&OpenInstancesRequest::new(
                        "A",
                        vec![OpenParam::by_product("p", 21, 1)],
                    ))
                    .await,
                "params[0].count",
            ),
            (
                client
                    .open_instances(&OpenInstancesRequest::new(
                        "A",
                        vec![OpenParam::by_product("p", 0, 1)],
                    ))
                    .await,
                "params[0].count",
            ),
            (
                client
                    .open_instances(&OpenInstancesRequest::new(
                        long.clone(),
                        vec![OpenParam::by_product("p", 1, 1)],
                    ))
                    .await,
                "appOrderNo",
            ),
            (
                client
                    .open_instances(&OpenInstancesRequest::new("A", vec![]))
                    .await,
                "params",
            ),
            (
                client
                    .open_instances(&OpenInstancesRequest::new(
                        "A",
                        vec![
                            OpenParam::by_product("p", 1, 1),
                            OpenParam::dynamic_flow("d", "", 10),
                        ],
                    ))
                    .await,
                "params[1].appUsername",
            ),
        ]
    };
    for (result, field) in cases {
        let Err(Error::InvalidInput(invalid)) = result else {
            panic!("{field}: expected invalid input")
        };
        assert_eq!(invalid.field, field);
    }

    // Other endpoints, with the transport checked to be untouched.
    let (client, capture) = answering(json!(null));
    let reset = |no: &str| ResetPasswordsRequest::new(["i"], no);
    let err = client
        .reset_passwords(&reset("bad-char"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(i) if i.field == "resetNo"),
        "{err}"
    );
    let err = client.reset_passwords(&reset(&long)).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(i) if i.field == "resetNo"),
        "{err}"
    );
    let draw = DrawWithPasswordRequest::new("alice", "d1").with_sess_time(121);
    let err = client.draw_with_password(&draw).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(i) if i.field == "sessTime"),
        "{err}"
    );
    let neither = {
        let mut proxy_balance_request = ProxyBalanceRequest::default();
        proxy_balance_request.proxy_type = ProxyType::DynamicAbroad;
        proxy_balance_request.product_no = "d1".into();
        proxy_balance_request
    };
    let err = client.proxy_balance(&neither).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(i) if i.field == "username|appUsername"),
        "{err}"
    );
    assert!(!err.may_have_been_sent());
    assert_eq!(err.req_id(), None);
    assert!(capture.is_empty(), "nothing was sent");
    // Both names are allowed (the document: one of the two is required): it is sent.
    let both = {
        let mut proxy_balance_request = neither;
        proxy_balance_request.username = Some("u".into());
        proxy_balance_request.app_username = Some("a".into());
        proxy_balance_request
    };
    let err = client.proxy_balance(&both).await.unwrap_err();
    assert!(!matches!(err, Error::InvalidInput(_)), "{err}");
    assert_eq!(capture.requests().len(), 1);
}

#[tokio::test]
async fn callers_can_supply_the_req_id() {
    let (client, capture) = answering(
        json!({"productNo": "p1", "proxyType": 103, "costPrice": "2.00", "inventory": 5}),
    );
    let reply = client
        .send_with_req_id(&ProductRequest::new("p1"), "my-own-id-1")
        .await
        .unwrap();
    assert_eq!(reply.req_id, "my-own-id-1");
    assert_eq!(reply.attempts, 1);
    assert_eq!(open_request(&capture.requests()[0]).req_id, "my-own-id-1");
}

#[tokio::test]
async fn raw_calls_reach_any_path() {
    let (client, capture) = answering(json!({"anything": [1, 2]}));
    let value = client
        .send_raw("brand/new/thing", &json!({"x": 1}))
        .await
        .unwrap();
    assert_eq!(value, json!({"anything": [1, 2]}));
    let value = client
        .send_raw("/api/open/app/info/v2", &serde_json::Value::Null)
        .await
        .unwrap();
    assert_eq!(value["anything"][1], 2);
    let requests = capture.requests();
    let first = open_request(&requests[0]);
    assert_eq!(first.path, "/api/open/app/brand/new/thing/v2");
    assert_eq!(first.params, json!({"x": 1}));
    let second = open_request(&requests[1]);
    assert_eq!(second.path, "/api/open/app/info/v2");
    assert!(second.params.is_null());
    let err = client.send_raw("/bad path", &json!({})).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(i) if i.field == "path"),
        "{err}"
    );
}

#[test]
fn the_secret_stays_out_of_debug_output() {
    let client = Client::builder()
        .base_url(BASE)
        .app_key("ak")
        .app_secret(SECRET)
        .transport(NeverTransport::new())
        .build()
        .unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains("qwerty"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    let builder = Client::builder().app_secret(SECRET);
    assert!(!format!("{builder:?}").contains("qwerty"));
}
