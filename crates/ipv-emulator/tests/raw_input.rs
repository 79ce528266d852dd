//! Bad input sent raw (through the hyper transport, not the client): every request that
//! cannot be authenticated and decrypted gets one byte-identical answer, an oversized
//! body is refused cleanly, and the emulator keeps serving.

mod common;

use bytes::Bytes;
use ipv_api::codec;
use ipv_crypto::Key;
use ipv_emulator::{DEFAULT_APP_KEY, DEFAULT_APP_SECRET, UNDECRYPTABLE_ANSWER};
use ipv_transport::{HttpTransport, HyperTransport};

use common::{client, config, start};

const PATH: &str = "/api/open/app/product/info/v2";

fn envelope(app_key: &str, encrypt: &str, params: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "version": "v2",
        "encrypt": encrypt,
        "appKey": app_key,
        "reqId": "raw-req-1",
        "params": params,
    }))
    .expect("json")
}

async fn post(transport: &HyperTransport, url: &str, body: Vec<u8>) -> (u16, Bytes) {
    post_with(transport, url, body, None).await
}

/// A control request: state-changing ones carry the emulator's per-run token.
async fn post_control(
    transport: &HyperTransport,
    token: &str,
    url: &str,
    body: Vec<u8>,
) -> (u16, Bytes) {
    post_with(transport, url, body, Some(token)).await
}

async fn post_with(
    transport: &HyperTransport,
    url: &str,
    body: Vec<u8>,
    token: Option<&str>,
) -> (u16, Bytes) {
    let mut req = http::Request::builder()
        .method(http::Method::POST)
        .uri(url)
        .header(http::header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        req = req.header("x-emulator-token", token);
    }
    let req = req.body(Bytes::from(body)).expect("request");
    let resp = transport.send(req).await.expect("an answer");
    (resp.status().as_u16(), resp.into_body())
}

#[tokio::test]
async fn undecryptable_requests_get_one_identical_answer() {
    let emu = start(config()).await;
    let url = format!("{}{PATH}", emu.base_url());
    let transport = HyperTransport::new().expect("transport");
    let key = Key::new(DEFAULT_APP_SECRET.as_bytes()).expect("key");
    let other_key = Key::new(b"zyxwvutsrqponmlk").expect("other key");
    let params = serde_json::json!({"productNo": "ipv_res_us_nyc_m"});

    let good =
        codec::seal_request(&key, DEFAULT_APP_KEY, "raw-req-1", Some(&params)).expect("seal");
    let sealed = codec::seal_payload(&key, &params).expect("seal params");
    let wrong_key = codec::seal_payload(&other_key, &params).expect("seal with another key");
    // 32 bytes whose decryption does not end in valid padding under the app key.
    let bad_padding = ipv_crypto::b64::encode(&[0x41; 32]);
    assert!(
        key.open(bad_padding.as_bytes()).is_err(),
        "the probe must have bad padding"
    );
    let truncated_ciphertext = sealed[..sealed.len() - 4].to_owned();

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage JSON", b"{this is not json".to_vec()),
        ("not an object", b"[1,2,3]".to_vec()),
        ("empty body", Vec::new()),
        ("missing fields", b"{}".to_vec()),
        (
            "bad base64",
            envelope(DEFAULT_APP_KEY, "AES", "!!!not base64!!!"),
        ),
        (
            "bad padding",
            envelope(DEFAULT_APP_KEY, "AES", &bad_padding),
        ),
        ("wrong key", envelope(DEFAULT_APP_KEY, "AES", &wrong_key)),
        (
            "truncated ciphertext",
            envelope(DEFAULT_APP_KEY, "AES", &truncated_ciphertext),
        ),
        ("truncated envelope", good[..good.len() / 2].to_vec()),
        ("unknown appKey", envelope("AK_NOBODY", "AES", &sealed)),
        ("cipher not AES", envelope(DEFAULT_APP_KEY, "RSA", &sealed)),
        (
            "not JSON inside",
            envelope(DEFAULT_APP_KEY, "AES", &key.seal(b"plain words, no json")),
        ),
    ];
    let mut answers = Vec::new();
    for (name, body) in cases {
        let (status, answer) = post(&transport, &url, body).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(
            answer,
            Bytes::from_static(UNDECRYPTABLE_ANSWER.as_bytes()),
            "{name}"
        );
        answers.push(answer);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(emu.control().summary().faults.undecryptable, 12);

    // Oversized: refused with 413 before it is read in full.
    let huge = vec![b'x'; ipv_emulator::DEFAULT_BODY_LIMIT + 1];
    let (status, answer) = post(&transport, &url, huge).await;
    assert_eq!(status, 413);
    assert!(String::from_utf8_lossy(&answer).contains("larger than"));

    // Wrong method and unknown paths: 404.
    let get = http::Request::builder()
        .method(http::Method::GET)
        .uri(&url)
        .body(Bytes::new())
        .expect("request");
    assert_eq!(transport.send(get).await.expect("answer").status(), 404);
    let (status, _) = post(
        &transport,
        &format!("{}/api/open/app/nope/v2", emu.base_url()),
        good.to_vec(),
    )
    .await;
    assert_eq!(status, 404);

    // The good request, raw and through the client, still works.
    let (status, answer) = post(&transport, &url, good.to_vec()).await;
    assert_eq!(status, 200);
    let opened = codec::open_response::<ipv_types::Product>(&key, &answer).expect("opens");
    assert_eq!(opened.code, ipv_types::ApiCode::Ok);
    assert_eq!(opened.data.expect("data").product_no, "ipv_res_us_nyc_m");
    let api = client(&emu);
    assert!(api.app_info().await.is_ok());
    emu.control().check_invariants().expect("invariants");
    emu.shutdown().await;
}

#[tokio::test]
async fn control_api_over_http() {
    let emu = start(config()).await;
    let base = emu.base_url();
    let transport = HyperTransport::new().expect("transport");
    let get = |path: &str| {
        http::Request::builder()
            .method(http::Method::GET)
            .uri(format!("{base}/__emulator/{path}"))
            .body(Bytes::new())
            .expect("request")
    };
    let json = |resp: http::Response<Bytes>| -> serde_json::Value {
        serde_json::from_slice(resp.body()).expect("JSON")
    };

    let clock = json(transport.send(get("clock")).await.expect("clock"));
    assert_eq!(clock["offsetSeconds"], 0);
    let (status, body) = post_control(
        &transport,
        emu.control_token(),
        &format!("{base}/__emulator/clock/advance"),
        br#"{"seconds":3600}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 200);
    let advanced: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(advanced["offsetSeconds"], 3600);
    assert_eq!(
        advanced["unix"].as_i64(),
        Some(clock["unix"].as_i64().expect("unix") + 3600)
    );

    let (status, body) = post_control(
        &transport,
        emu.control_token(),
        &format!("{base}/__emulator/faults"),
        br#"{"latencyMs":1,"dropAfterApplyRate":0.25,"seed":9}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let faults = json(transport.send(get("faults")).await.expect("faults"));
    assert_eq!(faults["dropAfterApplyRate"], 0.25);
    let (status, body) = post_control(
        &transport,
        emu.control_token(),
        &format!("{base}/__emulator/faults"),
        br#"{"http5xxRate":2}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("http5xxRate"));

    let (status, _) = post_control(&transport, emu.control_token(), &format!("{base}/__emulator/apps"),
        br#"{"appKey":"AK_HTTP_ADDED","secret":"abcdefghijklmnop","name":"added","balance":"12.50"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post_control(
        &transport,
        emu.control_token(),
        &format!("{base}/__emulator/topup"),
        br#"{"appKey":"AK_HTTP_ADDED","amount":"7.50"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 200);
    let summary = json(transport.send(get("summary")).await.expect("summary"));
    let added = summary["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .find(|a| a["appKey"] == "AK_HTTP_ADDED")
        .expect("added app")
        .clone();
    assert_eq!(added["balance"], "20.00");

    let state = json(transport.send(get("state")).await.expect("state"));
    let text = state.to_string();
    assert!(
        !text.contains(ipv_emulator::DEFAULT_APP_SECRET),
        "secrets are redacted"
    );
    assert!(!text.contains("abcdefghijklmnop"), "secrets are redacted");
    assert!(
        state["catalogue"]["products"]
            .as_array()
            .expect("products")
            .len()
            >= 20
    );

    let ok = json(transport.send(get("invariants")).await.expect("invariants"));
    assert_eq!(ok["ok"], true);
    let (status, _) = post_control(
        &transport,
        emu.control_token(),
        &format!("{base}/__emulator/orders/process"),
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200);
    let callbacks = json(transport.send(get("callbacks")).await.expect("callbacks"));
    assert!(callbacks.as_array().expect("array").is_empty());
    let (status, _) = post_control(
        &transport,
        emu.control_token(),
        &format!("{base}/__emulator/reset"),
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200);
    let summary = json(transport.send(get("summary")).await.expect("summary"));
    assert_eq!(summary["apps"].as_array().expect("apps").len(), 1);
    assert_eq!(
        transport.send(get("nope")).await.expect("answer").status(),
        404
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_too() {
    let emu = start(config()).await;
    let transport = HyperTransport::builder()
        .http2_prior_knowledge(true)
        .build()
        .expect("h2c transport");
    let key = Key::new(DEFAULT_APP_SECRET.as_bytes()).expect("key");
    let body = codec::seal_request(
        &key,
        DEFAULT_APP_KEY,
        "h2-req-1",
        Some(&serde_json::json!({"productNo": "ipv_wa_sg_m"})),
    )
    .expect("seal");
    let req = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!("{}{PATH}", emu.base_url()))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body)
        .expect("request");
    let resp = transport.send(req).await.expect("an h2 answer");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), http::Version::HTTP_2);
    let opened = codec::open_response::<ipv_types::Product>(&key, resp.body()).expect("opens");
    assert_eq!(opened.data.expect("data").product_no, "ipv_wa_sg_m");
    emu.shutdown().await;
}
