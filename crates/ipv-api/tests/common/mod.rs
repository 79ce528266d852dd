//! Helpers shared by the client tests: a client over a test transport, and a server-side
//! view of what it sent.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use ipv_api::codec;
use ipv_api::{Client, ReqIdProvider, RetryPolicy};
use ipv_crypto::Key;
use ipv_transport::HttpTransport;
use ipv_transport::test_util::{CaptureTransport, json_response};
use ipv_types::ApiCode;
use serde_json::Value;

pub const SECRET: &[u8] = b"qwertyuiop123456";
pub const APP_KEY: &str = "AK20240708150154";
pub const BASE: &str = "http://127.0.0.1:9";

pub fn key() -> Key {
    Key::new(SECRET).unwrap()
}

/// A client with tiny backoffs, so retry tests run fast.
pub fn client_over(transport: impl HttpTransport + 'static) -> Client {
    Client::builder()
        .base_url(BASE)
        .app_key(APP_KEY)
        .app_secret(SECRET)
        .transport(transport)
        .retry_policy(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .req_id_provider(ReqIdProvider::seeded(42))
        .build()
        .unwrap()
}

/// A sealed 200 response carrying `data`, echoing `req_id`.
pub fn ok_body(req_id: &str, data: &Value) -> Bytes {
    codec::seal_response(&key(), req_id, ApiCode::Ok, "ok", Some(data)).unwrap()
}

/// A sealed response with `code` and no data.
pub fn code_body(req_id: &str, code: ApiCode, msg: &str) -> Bytes {
    codec::seal_response::<()>(&key(), req_id, code, msg, None).unwrap()
}

/// What a server sees of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: http::Method,
    pub path: String,
    pub content_type: Option<String>,
    pub user_agent: Option<String>,
    pub req_id: String,
    pub app_key: String,
    pub params: Value,
    pub body: Bytes,
}

pub fn open_request(request: &http::Request<Bytes>) -> Seen {
    let envelope = codec::parse_request_envelope(request.body()).unwrap();
    assert_eq!(envelope.version, "v2");
    assert_eq!(envelope.encrypt, "AES");
    let params = if envelope.params.is_empty() {
        Value::Null
    } else {
        codec::open_request_params(&key(), &envelope).unwrap()
    };
    let header = |name: http::header::HeaderName| {
        request
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    Seen {
        method: request.method().clone(),
        path: request.uri().path().to_owned(),
        content_type: header(http::header::CONTENT_TYPE),
        user_agent: header(http::header::USER_AGENT),
        req_id: envelope.req_id,
        app_key: envelope.app_key,
        params,
        body: request.body().clone(),
    }
}

/// A transport answering every request with `data` (code 200), and the client over it.
pub fn answering(data: Value) -> (Client, CaptureTransport) {
    let capture = CaptureTransport::with_responder(move |request| {
        let envelope = codec::parse_request_envelope(request.body()).unwrap();
        json_response(StatusCode::OK, ok_body(&envelope.req_id, &data))
    });
    (client_over(capture.clone()), capture)
}

/// Asserts that every key of `expected` is in `actual` with the same value
/// (recursively for objects; arrays and scalars compare whole).
pub fn assert_json_contains(actual: &Value, expected: &Value, context: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (k, ev) in e {
                let av = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{context}: key `{k}` missing in {actual}"));
                assert_json_contains(av, ev, &format!("{context}.{k}"));
            }
        }
        _ => assert_eq!(actual, expected, "{context}"),
    }
}
