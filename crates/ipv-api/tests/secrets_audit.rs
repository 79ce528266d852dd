//! Secrets audit: neither the app secret (in any of its spellings) nor a decrypted
//! payload shows in the Debug or Display of anything holding them, in any error variant,
//! or in the logs at trace level.
//!
//! The secret and the payload markers are distinctive strings, so a leak anywhere is
//! found by substring search.

use std::time::Duration;

use ipv_api::codec::{self, DecodeStage};
use ipv_api::{ApiError, Client, Error, InvalidInput, RetryPolicy};
use ipv_crypto::{Key, b64};
use ipv_transport::TransportError;
use ipv_transport::http::StatusCode;
use ipv_transport::test_util::{FnTransport, NeverTransport, json_response};
use ipv_types::{ApiCode, OrderStatus, ProductRequest, ResetPasswordsRequest};

/// The app secret under audit (16 bytes: AES-128).
const SECRET: &str = "ZZsecretZZsecret";
const APP_KEY: &str = "AKaudit000000001";
/// Put into request payloads: must never come back out in clear.
const REQUEST_MARKER: &str = "ZZrequestMarkerZZ";
/// Put into decrypted response payloads: must never come back out in clear.
const RESPONSE_MARKER: &str = "ZZresponseMarkerZZ";

/// Every spelling of the secret a careless format could produce.
fn secret_forms() -> Vec<String> {
    let bytes = SECRET.as_bytes();
    vec![
        SECRET.to_owned(),
        hex::encode(bytes),
        hex::encode_upper(bytes),
        b64::encode(bytes),
        format!("{bytes:?}"),
        format!(
            "{:?}",
            bytes
                .iter()
                .map(|b| format!("{b:#04x}"))
                .collect::<Vec<_>>()
        ),
    ]
}

/// Asserts `text` (named `what`) holds no form of the secret and neither marker.
fn assert_clean(what: &str, text: &str) {
    for form in secret_forms() {
        assert!(
            !text.contains(&form),
            "{what} shows the secret as {form:?}: {text}"
        );
    }
    for marker in [REQUEST_MARKER, RESPONSE_MARKER] {
        assert!(
            !text.contains(marker),
            "{what} shows the payload marker {marker}: {text}"
        );
    }
}

/// Both Debug and Display of `value`.
fn assert_display_clean<T: std::fmt::Debug + std::fmt::Display>(what: &str, value: &T) {
    assert_clean(&format!("Debug of {what}"), &format!("{value:?}"));
    assert_clean(
        &format!("alternate Debug of {what}"),
        &format!("{value:#?}"),
    );
    assert_clean(&format!("Display of {what}"), &value.to_string());
}

fn key() -> Key {
    Key::new(SECRET.as_bytes()).expect("16-byte secret")
}

/// A client over `transport`, no retries, short timeout.
fn client(transport: FnTransport) -> Client {
    Client::builder()
        .base_url("http://127.0.0.1:9")
        .app_key(APP_KEY)
        .app_secret(SECRET)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_millis(300))
        .transport(transport)
        .build()
        .expect("client builds")
}

/// A server double answering every request with `data` sealed under `key`, code 200.
fn answering(data: serde_json::Value, key: Key) -> FnTransport {
    FnTransport::new(move |req| {
        let envelope = codec::parse_request_envelope(req.body()).expect("a request envelope");
        let body = codec::seal_response(&key, &envelope.req_id, ApiCode::Ok, "ok", Some(&data))
            .expect("seals");
        Ok(json_response(StatusCode::OK, body))
    })
}

#[test]
fn key_client_and_builder_never_show_the_secret() {
    let key = key();
    assert_clean("Debug of Key", &format!("{key:?} {key:#?}"));
    // A transport of its own, so the client builds without the `hyper` feature too.
    let builder = Client::builder()
        .base_url("http://127.0.0.1:9")
        .app_key(APP_KEY)
        .app_secret(SECRET)
        .transport(NeverTransport::new());
    assert_clean(
        "Debug of ClientBuilder",
        &format!("{builder:?} {builder:#?}"),
    );
    let with_key = Client::builder().key(Key::new(SECRET.as_bytes()).expect("key"));
    assert_clean(
        "Debug of ClientBuilder with a key",
        &format!("{with_key:?}"),
    );
    let client = builder.build().expect("builds");
    assert_clean("Debug of Client", &format!("{client:?} {client:#?}"));
    // A wrong-length secret: the error names the length, not the bytes.
    let err = Key::new(b"ZZsecretZZsecretZZ").expect_err("18 bytes is no AES key");
    assert_display_clean("KeyLengthError", &err);
    let err = Client::builder()
        .base_url("http://127.0.0.1:9")
        .app_key(APP_KEY)
        .app_secret("ZZsecretZZsecretZZ")
        .build()
        .expect_err("a wrong-length secret is refused");
    assert_display_clean("BuildError", &err);
}

#[test]
fn decode_errors_never_quote_the_payload() {
    let key = key();
    // Each response decrypts, but its payload (holding the marker) is not the expected
    // type: the error names the path and the kind, not the text.
    let payloads = [
        serde_json::json!({"productNo": 7, "productName": RESPONSE_MARKER, "inventory": RESPONSE_MARKER}),
        serde_json::json!({"productNo": RESPONSE_MARKER, "inventory": {"x": RESPONSE_MARKER}}),
        serde_json::json!([RESPONSE_MARKER]),
        serde_json::json!(RESPONSE_MARKER),
        serde_json::json!({"productNo": RESPONSE_MARKER, "useType": RESPONSE_MARKER}),
        serde_json::json!({"productNo": RESPONSE_MARKER, "costPrice": RESPONSE_MARKER}),
        serde_json::json!({"productNo": RESPONSE_MARKER, "proxyType": RESPONSE_MARKER}),
    ];
    for payload in payloads {
        let body =
            codec::seal_response(&key, "r1", ApiCode::Ok, "ok", Some(&payload)).expect("seals");
        let err = codec::open_response::<ipv_types::Product>(&key, &body)
            .expect_err("the payload is not a product");
        assert!(
            matches!(err.stage, DecodeStage::PayloadJson { .. }),
            "{err:?}"
        );
        assert_display_clean("DecodeError (payload)", &err);
    }
    // Broken JSON after decryption: a syntax error, again without the text.
    let mut broken = format!("{{\"productNo\":\"{RESPONSE_MARKER}").into_bytes();
    key.encrypt_in_place(&mut broken);
    let body = format!(
        "{{\"reqId\":\"r\",\"code\":200,\"msg\":\"ok\",\"data\":\"{}\"}}",
        b64::encode(&broken)
    );
    let err = codec::open_response::<ipv_types::Product>(&key, body.as_bytes())
        .expect_err("truncated JSON");
    assert_display_clean("DecodeError (syntax)", &err);
    // The wrong key: the decrypt (or payload) stage, without key or text.
    let other = Key::new(b"0123456789abcdef").expect("key");
    let sealed =
        codec::seal_response(&key, "r", ApiCode::Ok, "ok", Some(&RESPONSE_MARKER)).expect("seals");
    let err = codec::open_response::<String>(&other, &sealed).expect_err("wrong key");
    assert_display_clean("DecodeError (wrong key)", &err);
    // Server side: request params holding the marker, opened as the wrong type.
    let body = codec::seal_request(
        &key,
        APP_KEY,
        "r",
        Some(&serde_json::json!({"productNo": [REQUEST_MARKER]})),
    )
    .expect("seals");
    let envelope = codec::parse_request_envelope(&body).expect("parses");
    let err = codec::open_request_params::<ProductRequest>(&key, &envelope)
        .expect_err("productNo is not a list");
    assert_display_clean("DecodeError (request params)", &err);
    // An encode error (a map with non-string keys cannot be JSON).
    let mut map = std::collections::BTreeMap::new();
    map.insert(vec![REQUEST_MARKER], 1);
    let err = codec::seal_payload(&key, &map).expect_err("non-string keys");
    assert_display_clean("EncodeError", &err);
}

#[tokio::test]
async fn every_error_variant_is_clean() {
    let mut errors: Vec<(&str, Error)> = Vec::new();

    // InvalidInput, from a real call (nothing is sent).
    let unused = client(FnTransport::new(|_| Err(TransportError::other("unused"))));
    let err = unused
        .reset_passwords(&ResetPasswordsRequest::new(
            ["inst-1"],
            format!("{REQUEST_MARKER}-{SECRET}"),
        ))
        .await
        .expect_err("a '-' in resetNo is refused");
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    errors.push(("InvalidInput", err));
    errors.push((
        "InvalidInput (constructed)",
        Error::InvalidInput(InvalidInput::new("resetNo", "bad")),
    ));

    // Encode: a payload serde_json cannot write.
    let mut map = std::collections::BTreeMap::new();
    map.insert(vec![SECRET], REQUEST_MARKER);
    errors.push((
        "Encode",
        Error::Encode(codec::seal_payload(&key(), &map).expect_err("non-string keys")),
    ));

    // Transport: the transport fails; the request body (sealed marker) is not echoed.
    let failing = client(FnTransport::new(|_| {
        Err(TransportError::connect("refused"))
    }));
    let err = failing
        .product(&ProductRequest::new(REQUEST_MARKER))
        .await
        .expect_err("transport fails");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    errors.push(("Transport", err));

    // Timeout: the transport never answers.
    let hanging = Client::builder()
        .base_url("http://127.0.0.1:9")
        .app_key(APP_KEY)
        .app_secret(SECRET)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_millis(50))
        .transport(NeverTransport::new())
        .build()
        .expect("builds");
    let err = hanging
        .product(&ProductRequest::new(REQUEST_MARKER))
        .await
        .expect_err("times out");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    errors.push(("Timeout", err));

    // Http: a 500 whose body is not ours to show in clear; the body kept is the
    // server's (a proxy's page), which never holds the secret or a decrypted payload.
    let http = client(FnTransport::new(|_| {
        Ok(json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "upstream failed",
        ))
    }));
    let err = http
        .product(&ProductRequest::new(REQUEST_MARKER))
        .await
        .expect_err("HTTP 500");
    assert!(matches!(err, Error::Http { .. }), "{err:?}");
    errors.push(("Http", err));

    // Decode: a response sealed under the right key whose payload (holding the marker)
    // is not a product.
    let decode = client(answering(
        serde_json::json!({"productNo": [RESPONSE_MARKER], "productName": RESPONSE_MARKER}),
        key(),
    ));
    let err = decode
        .product(&ProductRequest::new(REQUEST_MARKER))
        .await
        .expect_err("not a product");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    errors.push(("Decode (payload)", err));
    // Decode at the decrypt stage: sealed under another key.
    let wrong_key = client(answering(
        serde_json::json!({"productNo": RESPONSE_MARKER}),
        Key::new(b"0123456789abcdef").expect("key"),
    ));
    let err = wrong_key
        .product(&ProductRequest::new(REQUEST_MARKER))
        .await
        .expect_err("undecryptable");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    errors.push(("Decode (decrypt)", err));

    // Api: the platform's code and message.
    let api = client(FnTransport::new(|req| {
        let envelope = codec::parse_request_envelope(req.body()).expect("envelope");
        let body = codec::seal_response::<()>(
            &key(),
            &envelope.req_id,
            ApiCode::from(10001),
            "decrypt failed",
            None,
        )
        .expect("seals");
        Ok(json_response(StatusCode::OK, body))
    }));
    let err = api
        .product(&ProductRequest::new(REQUEST_MARKER))
        .await
        .expect_err("API error");
    assert!(matches!(err, Error::Api(_)), "{err:?}");
    errors.push(("Api", err));
    errors.push((
        "Api (constructed)",
        Error::Api(ApiError {
            code: ApiCode::from(10004),
            msg: "invalid params".into(),
            req_id: "r".into(),
        }),
    ));

    // The two that only the helpers raise.
    errors.push((
        "Pagination",
        Error::Pagination {
            endpoint: "order/list",
            reason: "page 2 answered as page 1".into(),
        },
    ));
    errors.push((
        "WaitTimedOut",
        Error::WaitTimedOut {
            order_no: "O1".into(),
            last_status: Some(OrderStatus::Pending),
            waited: Duration::from_secs(1),
        },
    ));

    for (what, err) in &errors {
        assert_display_clean(what, err);
        // The source chain too.
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            assert_clean(&format!("source of {what}"), &format!("{inner} {inner:?}"));
            source = inner.source();
        }
    }
}

#[tokio::test]
async fn trace_logs_of_calls_hold_no_secret_and_no_payload() {
    let buffer = ipv_test_services::TraceCapture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buffer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // A success (its payload holds the marker), a decode failure, an API error and a
    // transport failure, each through the client's whole path.
    let ok = client(answering(
        serde_json::json!({"productNo": RESPONSE_MARKER, "productName": RESPONSE_MARKER,
            "proxyType": 103, "costPrice": "1.00", "inventory": 1}),
        key(),
    ));
    let product = ok
        .product(&ProductRequest::new(REQUEST_MARKER))
        .await
        .expect("a product");
    assert_eq!(product.product_no, RESPONSE_MARKER);
    let bad = client(answering(serde_json::json!([RESPONSE_MARKER]), key()));
    let _ = bad.product(&ProductRequest::new(REQUEST_MARKER)).await;
    let failing = client(FnTransport::new(|_| Err(TransportError::io("reset"))));
    let _ = failing.product(&ProductRequest::new(REQUEST_MARKER)).await;

    let logs = buffer.text();
    assert!(!logs.is_empty(), "the client logs at trace level");
    assert_clean("trace logs", &logs);
}
