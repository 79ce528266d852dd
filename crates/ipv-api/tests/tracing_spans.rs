//! Every call runs in an `ipv_api.call` span that names the endpoint, the reqId, the
//! number of attempts and the outcome: the fields an operator greps for. Checked on the
//! span-close lines of a fmt subscriber writing into a buffer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ipv_api::codec;
use ipv_api::{Client, ReqIdProvider, RetryPolicy};
use ipv_crypto::Key;
use ipv_transport::TransportError;
use ipv_transport::http::StatusCode;
use ipv_transport::test_util::{FnTransport, json_response};
use ipv_types::{ApiCode, ProductRequest};
use tracing_subscriber::fmt::format::FmtSpan;

const SECRET: &str = "qwertyuiop123456";

fn client(transport: FnTransport, req_id: &str) -> Client {
    Client::builder()
        .base_url("http://127.0.0.1:9")
        .app_key("AK20240708150154")
        .app_secret(SECRET)
        .req_id_provider(ReqIdProvider::fixed(req_id))
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .transport(transport)
        .build()
        .expect("client builds")
}

/// The `ipv_api.call` span-close lines of the call with `req_id`.
fn closes<'a>(logs: &'a str, req_id: &str) -> Vec<&'a str> {
    logs.lines()
        .filter(|l| l.contains("ipv_api.call") && l.contains("close") && l.contains(req_id))
        .collect()
}

#[tokio::test]
async fn call_spans_carry_endpoint_req_id_attempts_and_outcome() {
    let buffer = ipv_test_services::TraceCapture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(buffer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // Fails twice at the transport, then answers: one span, three attempts, ok.
    let calls = Arc::new(AtomicU32::new(0));
    let seen = calls.clone();
    let key = Key::new(SECRET.as_bytes()).expect("key");
    let flaky = FnTransport::new(move |req| {
        if seen.fetch_add(1, Ordering::SeqCst) < 2 {
            return Err(TransportError::io("connection reset"));
        }
        let envelope = codec::parse_request_envelope(req.body()).expect("envelope");
        let product = serde_json::json!({"productNo": "p1", "proxyType": 103, "costPrice": "2.00", "inventory": 1});
        let body = codec::seal_response(&key, &envelope.req_id, ApiCode::Ok, "ok", Some(&product))
            .expect("seals");
        Ok(json_response(StatusCode::OK, body))
    });
    let product = client(flaky, "span-ok-0001")
        .product(&ProductRequest::new("p1"))
        .await
        .expect("third attempt succeeds");
    assert_eq!(product.product_no, "p1");
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // An API error: one attempt, outcome api_error.
    let key = Key::new(SECRET.as_bytes()).expect("key");
    let refusing = FnTransport::new(move |req| {
        let envelope = codec::parse_request_envelope(req.body()).expect("envelope");
        let body = codec::seal_response::<()>(
            &key,
            &envelope.req_id,
            ApiCode::InvalidParams,
            "bad parameters",
            None,
        )
        .expect("seals");
        Ok(json_response(StatusCode::OK, body))
    });
    let error = client(refusing, "span-err-0002")
        .product(&ProductRequest::new("p1"))
        .await
        .expect_err("10004");
    assert_eq!(error.api_code(), Some(ApiCode::InvalidParams));

    let logs = buffer.text();
    let ok = closes(&logs, "span-ok-0001");
    assert_eq!(ok.len(), 1, "one span per logical call:\n{logs}");
    for field in ["endpoint=\"product\"", "attempts=3", "outcome=\"ok\""] {
        let field_plain = field.replace('"', "");
        assert!(
            ok[0].contains(field) || ok[0].contains(&field_plain),
            "{field} in {}",
            ok[0]
        );
    }
    let err = closes(&logs, "span-err-0002");
    assert_eq!(err.len(), 1, "one span per logical call:\n{logs}");
    for field in ["attempts=1", "outcome=\"api_error\""] {
        let field_plain = field.replace('"', "");
        assert!(
            err[0].contains(field) || err[0].contains(&field_plain),
            "{field} in {}",
            err[0]
        );
    }
    assert!(!logs.contains(SECRET), "no secret in the logs");
}
