//! The one vector the vendor's API document gives: `TestMessage` under the app secret
//! `qwertyuiop123456` (AES-128, IV = the key) seals to `5cfJMwX0w65sEQVBxu9zHw==`.

use ipv_crypto::{Key, KeySize, b64};

const SECRET: &[u8] = b"qwertyuiop123456";
const PLAINTEXT: &[u8] = b"TestMessage";
const SEALED: &str = "5cfJMwX0w65sEQVBxu9zHw==";

#[test]
fn seals_to_the_documented_text() {
    let key = Key::new(SECRET).unwrap();
    assert_eq!(key.size(), KeySize::Aes128);
    assert_eq!(key.seal(PLAINTEXT), SEALED);

    let mut appended = String::from("params=");
    key.seal_into(PLAINTEXT, &mut appended);
    assert_eq!(appended, format!("params={SEALED}"));
}

#[test]
fn encrypts_to_the_documented_bytes() {
    let key = Key::new(SECRET).unwrap();
    let ciphertext = b64::decode(SEALED.as_bytes()).unwrap();
    assert_eq!(hex::encode(&ciphertext), "e5c7c93305f4c3ae6c110541c6ef731f");
    assert_eq!(key.encrypt(PLAINTEXT), ciphertext);
}

#[test]
fn opens_to_the_documented_message() {
    let key = Key::new(SECRET).unwrap();
    assert_eq!(key.open(SEALED.as_bytes()).unwrap(), PLAINTEXT);
    let ciphertext = b64::decode(SEALED.as_bytes()).unwrap();
    assert_eq!(key.decrypt(&ciphertext).unwrap(), PLAINTEXT);
}

#[test]
fn the_iv_is_the_key_itself() {
    let explicit = Key::with_iv(SECRET, *b"qwertyuiop123456").unwrap();
    assert_eq!(explicit.seal(PLAINTEXT), SEALED);
    // Any other IV gives another first block, so the rule is really in use.
    let zero_iv = Key::with_iv(SECRET, [0; 16]).unwrap();
    assert_ne!(zero_iv.seal(PLAINTEXT), SEALED);
}
