//! No key material in `Debug` or `Display`, for every key size and every error type.

use ipv_crypto::{DecryptError, Key, KeyLengthError, OpenError};

/// Every way a key's bytes could appear in text: raw, hex in either case, as the decimal
/// list `{:?}` prints for a byte slice, and as the first few bytes of such a list.
fn spellings(secret: &[u8]) -> Vec<String> {
    let decimal: Vec<String> = secret.iter().map(u8::to_string).collect();
    vec![
        String::from_utf8_lossy(secret).into_owned(),
        String::from_utf8_lossy(&secret[..8]).into_owned(),
        hex::encode(secret),
        hex::encode_upper(secret),
        hex::encode(&secret[..4]),
        format!("{secret:?}"),
        decimal[..4].join(", "),
        decimal[..4].join(","),
    ]
}

fn assert_hides(text: &str, secret: &[u8]) {
    for spelling in spellings(secret) {
        assert!(
            !text.contains(&spelling),
            "{text:?} contains key material {spelling:?}"
        );
    }
}

#[test]
fn key_debug_shows_only_the_size() {
    let secrets: [&[u8]; 3] = [
        b"qwertyuiop123456",
        b"ZXCVBNMASDFGHJKL12345678",
        b"xx1vsogzzvqvrgml7f6sc233p8vdqev2",
    ];
    for (secret, size) in secrets.into_iter().zip(["Aes128", "Aes192", "Aes256"]) {
        for key in [
            Key::new(secret).unwrap(),
            Key::with_iv(secret, [0xab; 16]).unwrap(),
        ] {
            for text in [format!("{key:?}"), format!("{key:#?}")] {
                assert_hides(&text, secret);
                assert!(text.contains(size), "{text}");
                assert!(text.contains("[redacted]"), "{text}");
            }
            // A clone is the same secret and must stay as quiet.
            assert_hides(&format!("{:?}", key.clone()), secret);
        }
    }
}

#[test]
fn binary_keys_do_not_leak_either() {
    for len in [16, 24, 32] {
        let secret: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
        let key = Key::new(&secret).unwrap();
        assert_hides(&format!("{key:?}"), &secret);
        assert_hides(&format!("{key:#?}"), &secret);
    }
}

#[test]
fn errors_hold_no_key_material() {
    let secret = b"qwertyuiop12345"; // 15 bytes: refused
    let err: KeyLengthError = Key::new(secret).unwrap_err();
    assert_eq!(err, KeyLengthError { len: 15 });
    assert_eq!(
        err.to_string(),
        "app secret is 15 bytes long; AES needs 16, 24 or 32"
    );
    assert_eq!(format!("{err:?}"), "KeyLengthError { len: 15 }");

    assert_eq!(
        DecryptError.to_string(),
        "ciphertext did not decrypt under this key"
    );
    assert_eq!(OpenError::Decrypt.to_string(), DecryptError.to_string());
    assert_eq!(
        OpenError::Base64.to_string(),
        "sealed text is not valid base64"
    );
}

#[test]
fn decrypt_errors_do_not_echo_the_input() {
    let key = Key::new(b"qwertyuiop123456").unwrap();
    let garbage = [0x5a_u8; 32];
    let err = key.decrypt(&garbage).unwrap_err();
    assert_eq!(format!("{err:?}"), "DecryptError");
    let err = key.open(b"not base64 at all!").unwrap_err();
    assert_eq!(format!("{err:?}"), "Base64");
}
