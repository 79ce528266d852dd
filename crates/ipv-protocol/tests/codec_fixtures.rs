//! The codec against the shared wire fixtures (made with openssl) and against the
//! openssl binary as an independent oracle.

use std::io::Write as _;
use std::process::{Command, Stdio};

use ipv_crypto::Key;
use ipv_protocol::codec::{self, DecodeStage};
use ipv_types::ApiCode;

use ipv_fixtures::{APP_KEY, REQUEST_SECRET as REQUEST_KEY, RESPONSE_SECRET as RESPONSE_KEY};

fn fixture(name: &str) -> Vec<u8> {
    ipv_fixtures::by_name(name)
        .unwrap_or_else(|| panic!("no fixture named {name}"))
        .as_bytes()
        .to_vec()
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).expect("fixture is JSON")
}

#[test]
fn products_response_fixture_opens_into_the_plaintext() {
    let key = Key::new(RESPONSE_KEY).unwrap();
    let body = fixture("response-products-100.aes256.json");
    let opened = codec::open_response_raw(&key, &body).unwrap();
    assert_eq!(opened.code, ApiCode::Ok);
    assert_eq!(opened.req_id, "reqId_1732780800000000000");
    assert_eq!(opened.msg, "ok");
    let data = opened.data.expect("code 200 decodes data");
    assert_eq!(data, json(&fixture("products-100.json")));
    assert_eq!(data.as_array().map(Vec::len), Some(100));
}

#[test]
fn request_fixture_opens_on_the_server_side() {
    let key = Key::new(REQUEST_KEY).unwrap();
    let envelope = codec::parse_request_envelope(&fixture("request-open-2-params.aes128.json"))
        .expect("fixture envelope parses");
    assert_eq!(envelope.app_key, APP_KEY);
    assert!(envelope.is_aes() && envelope.is_v2());
    let params: serde_json::Value = codec::open_request_params(&key, &envelope).unwrap();
    assert_eq!(params, json(&fixture("open-request-2-params.json")));
}

/// Decrypts base64 `sealed` with the openssl binary, an implementation independent of ours.
fn openssl_open(secret: &[u8], sealed: &str) -> Vec<u8> {
    let cipher = match secret.len() {
        16 => "-aes-128-cbc",
        24 => "-aes-192-cbc",
        32 => "-aes-256-cbc",
        n => panic!("bad key length {n}"),
    };
    let mut child = Command::new("openssl")
        .args(["enc", "-d", cipher, "-K"])
        .arg(hex::encode(secret))
        .arg("-iv")
        .arg(hex::encode(&secret[..16]))
        .args(["-base64", "-A"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sealed.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl failed: {:?}", out.status);
    out.stdout
}

#[test]
fn sealed_request_decrypts_with_openssl() {
    let key = Key::new(REQUEST_KEY).unwrap();
    let params = json(&fixture("open-request-2-params.json"));
    let body = codec::seal_request(&key, APP_KEY, "reqId_1", Some(&params)).unwrap();
    let envelope = json(&body);
    assert_eq!(envelope["version"], "v2");
    assert_eq!(envelope["encrypt"], "AES");
    assert_eq!(envelope["appKey"], APP_KEY);
    assert_eq!(envelope["reqId"], "reqId_1");
    let sealed = envelope["params"].as_str().unwrap();
    assert_eq!(json(&openssl_open(REQUEST_KEY, sealed)), params);
}

#[test]
fn sealed_response_decrypts_with_openssl_aes256() {
    let key = Key::new(RESPONSE_KEY).unwrap();
    let products = json(&fixture("products-100.json"));
    let body = codec::seal_response(&key, "r-9", ApiCode::Ok, "ok", Some(&products)).unwrap();
    let envelope = json(&body);
    assert_eq!(envelope["code"], 200);
    let sealed = envelope["data"].as_str().unwrap();
    assert_eq!(json(&openssl_open(RESPONSE_KEY, sealed)), products);
}

#[test]
fn malformed_envelopes_name_their_stage() {
    let key = Key::new(REQUEST_KEY).unwrap();
    let other_key = Key::new(b"0123456789abcdef").unwrap();
    let good_data = key.seal(br#"{"a":1}"#);
    let under_other_key = other_key.seal(br#"{"a":1}"#);
    let cases: Vec<(String, DecodeStage)> = vec![
        ("not json".into(), DecodeStage::EnvelopeJson),
        (
            r#"{"reqId":"r","msg":"ok"}"#.into(),
            DecodeStage::EnvelopeJson,
        ),
        (r#"[1,2]"#.into(), DecodeStage::EnvelopeJson),
        (
            r#"{"reqId":"r","code":200,"msg":"ok","data":"%%%"}"#.into(),
            DecodeStage::Base64,
        ),
        (
            format!(r#"{{"reqId":"r","code":200,"msg":"ok","data":"{under_other_key}"}}"#),
            DecodeStage::Decrypt,
        ),
        (
            // 16 bytes that are not a padded ciphertext under any key we hold.
            r#"{"reqId":"r","code":200,"msg":"ok","data":"AAAAAAAAAAAAAAAAAAAAAA=="}"#.into(),
            DecodeStage::Decrypt,
        ),
        (
            format!(r#"{{"reqId":"r","code":200,"msg":"ok","data":"{good_data}"}}"#),
            DecodeStage::PayloadJson {
                path: "a".to_owned(),
            },
        ),
    ];
    for (body, stage) in cases {
        let err = codec::open_response::<std::collections::BTreeMap<String, String>>(
            &key,
            body.as_bytes(),
        )
        .unwrap_err();
        assert_eq!(err.stage, stage, "{body}: {err}");
        assert!(err.to_string().contains("decode failed at"), "{err}");
    }
}

#[test]
fn payload_errors_name_the_path_and_hide_the_plaintext() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        #[serde(rename = "cityCode")]
        city_code: u32,
    }
    let key = Key::new(REQUEST_KEY).unwrap();
    let payload = serde_json::json!([{"cityCode": 1}, {"cityCode": "secret stuff"}]);
    let body = codec::seal_response(&key, "r", ApiCode::Ok, "", Some(&payload)).unwrap();
    let err = codec::open_response::<Vec<Item>>(&key, &body).unwrap_err();
    assert_eq!(
        err.stage,
        DecodeStage::PayloadJson {
            path: "[1].cityCode".to_owned()
        }
    );
    let text = err.to_string();
    assert!(text.contains("[1].cityCode"), "{text}");
    assert!(
        text.contains("invalid type: string, expected u32"),
        "{text}"
    );
    assert!(err.position().is_some());
    assert!(!text.contains("secret"), "{text}");
    assert!(!format!("{err:?}").contains("secret"));
    assert!(!text.contains("qwerty"), "{text}");
}

#[test]
fn non_200_codes_do_not_decode_data() {
    let key = Key::new(REQUEST_KEY).unwrap();
    let body = br#"{"reqId":"r-1","code":10004,"msg":"bad params","data":"not even base64"}"#;
    let opened = codec::open_response::<Vec<u32>>(&key, body).unwrap();
    assert_eq!(opened.code, ApiCode::InvalidParams);
    assert_eq!(opened.msg, "bad params");
    assert_eq!(opened.req_id, "r-1");
    assert_eq!(opened.data, None);
}

#[test]
fn empty_data_on_200_decodes_from_null() {
    let key = Key::new(REQUEST_KEY).unwrap();
    for body in [
        &br#"{"reqId":"r","code":200,"msg":"ok","data":""}"#[..],
        br#"{"reqId":"r","code":200,"msg":"ok","data":null}"#,
        br#"{"reqId":"r","code":200,"msg":"ok"}"#,
    ] {
        let opened = codec::open_response::<Option<u32>>(&key, body).unwrap();
        assert_eq!(opened.data, Some(None));
        // A list reads an absent payload as empty (a Go server's nil slice).
        let opened = codec::open_response::<Vec<u32>>(&key, body).unwrap();
        assert_eq!(opened.data, Some(Vec::new()));
        let err = codec::open_response::<u32>(&key, body).unwrap_err();
        assert!(matches!(err.stage, DecodeStage::PayloadJson { .. }));
        assert!(err.to_string().contains("payload is empty"), "{err}");
    }
}

#[test]
fn server_side_round_trip_and_empty_params() {
    let key = Key::new(RESPONSE_KEY).unwrap();
    let body = codec::seal_request::<()>(&key, APP_KEY, "r-2", None).unwrap();
    let envelope = codec::parse_request_envelope(&body).unwrap();
    assert_eq!(envelope.params, "");
    let unit: () = codec::open_request_params(&key, &envelope).unwrap();
    assert_eq!(unit, ());
    let nothing: Option<u8> = codec::open_request_params(&key, &envelope).unwrap();
    assert_eq!(nothing, None);

    let reply = codec::seal_response::<()>(&key, "r-2", ApiCode::Unknown(-42), "odd \"msg\"", None)
        .unwrap();
    let opened = codec::open_response::<()>(&key, &reply).unwrap();
    assert_eq!(opened.code, ApiCode::Unknown(-42));
    assert_eq!(opened.msg, "odd \"msg\"");
    assert_eq!(json(&reply)["data"], "");
}

#[test]
fn escaped_strings_in_the_envelope_still_open() {
    // Some servers escape `/` as `\/`: the borrowed fast path must fall back to a copy.
    let key = Key::new(REQUEST_KEY).unwrap();
    let sealed = key.seal(b"[7]");
    let escaped = sealed.replace('/', "\\/");
    let body = format!(r#"{{"reqId":"a\/b","code":"200","msg":null,"data":"{escaped}"}}"#);
    let opened = codec::open_response::<Vec<u8>>(&key, body.as_bytes()).unwrap();
    assert_eq!(opened.req_id, "a/b");
    assert_eq!(opened.msg, "");
    assert_eq!(opened.data, Some(vec![7]));
}
#[test]
fn products_response_fixture_opens_into_typed_products() {
    let key = Key::new(RESPONSE_KEY).unwrap();
    let body = fixture("response-products-100.aes256.json");
    let opened = codec::open_response::<Vec<ipv_types::Product>>(&key, &body).unwrap();
    let products = opened.data.expect("code 200 decodes data");
    assert_eq!(products.len(), 100);
    assert_eq!(products[0].product_no, "ipideash_500");
    assert_eq!(products[0].cidr_blocks.len(), 2);
}
