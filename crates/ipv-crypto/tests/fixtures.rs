//! The shared wire fixtures (the `ipv-fixtures` crate, made with `openssl enc`): each sealed
//! envelope field opens to exactly the plaintext file beside it, and seals back to the
//! same text.
//!
//! The envelopes are read with a tiny string search rather than a JSON parser, so this
//! crate needs no serde even in its tests.

use ipv_crypto::{Key, KeySize};

macro_rules! fixture {
    ($name:literal) => {
        ipv_fixtures::by_name($name)
            .expect("a fixture of that name")
            .as_bytes()
    };
}

/// The value of the top-level string field `field` in a flat JSON object. Base64 never
/// needs JSON escapes, so a value holding a backslash is refused rather than unescaped.
fn string_field<'a>(json: &'a [u8], field: &str) -> &'a [u8] {
    let json = std::str::from_utf8(json).expect("envelope is UTF-8");
    let marker = format!("\"{field}\":\"");
    let start = json.find(&marker).expect("field present") + marker.len();
    let len = json[start..].find('"').expect("closing quote");
    let value = &json[start..start + len];
    assert!(!value.contains('\\'), "field {field} has escapes");
    value.as_bytes()
}

#[test]
fn request_params_open_to_the_open_request() {
    let envelope = fixture!("request-open-2-params.aes128.json");
    let plaintext = fixture!("open-request-2-params.json");
    let key = Key::new(b"qwertyuiop123456").unwrap();
    assert_eq!(key.size(), KeySize::Aes128);

    let params = string_field(envelope, "params");
    let opened = key.open(params).unwrap();
    assert_eq!(opened.len(), 559);
    assert_eq!(opened, plaintext);
    assert_eq!(key.seal(plaintext).as_bytes(), params);
}

#[test]
fn response_data_opens_to_the_products() {
    let envelope = fixture!("response-products-100.aes256.json");
    let plaintext = fixture!("products-100.json");
    let key = Key::new(b"xx1vsogzzvqvrgml7f6sc233p8vdqev2").unwrap();
    assert_eq!(key.size(), KeySize::Aes256);

    let data = string_field(envelope, "data");
    let mut opened = Vec::new();
    key.open_into(data, &mut opened).unwrap();
    assert_eq!(opened.len(), 113_203);
    assert!(
        opened == plaintext,
        "decrypted products differ from products-100.json"
    );
    assert!(
        key.seal(plaintext).as_bytes() == data,
        "sealed products differ"
    );
}

#[test]
fn a_fixture_does_not_open_under_the_other_key() {
    let envelope = fixture!("request-open-2-params.aes128.json");
    // A different 16-byte secret: the padding check rejects the result (it could pass by
    // chance with probability about 1/256; for this fixed input it does not).
    let other = Key::new(b"qwertyuiop123457").unwrap();
    assert_eq!(
        other.open(string_field(envelope, "params")),
        Err(ipv_crypto::OpenError::Decrypt)
    );
}
