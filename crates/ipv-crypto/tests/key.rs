//! The key type's contract: which lengths it takes, what it is (Send, Sync, Clone), and
//! the sizes it reports.

use ipv_crypto::{BLOCK_LEN, Key, KeyLengthError, KeySize};

#[test]
fn only_16_24_and_32_byte_secrets_make_keys() {
    for len in 0..=80 {
        let secret = vec![0x42; len];
        match (Key::new(&secret), KeySize::from_len(len)) {
            (Ok(key), Some(size)) => {
                assert_eq!(key.size(), size);
                assert_eq!(size.len(), len);
            }
            (Err(err), None) => {
                assert_eq!(err, KeyLengthError { len });
                assert!(err.to_string().contains(&format!("{len} bytes")), "{err}");
            }
            (result, size) => panic!("len {len}: {:?} vs {size:?}", result.map(|_| ())),
        }
        // The explicit-IV constructor applies the same rule.
        assert_eq!(
            Key::with_iv(&secret, [0; BLOCK_LEN]).is_ok(),
            matches!(len, 16 | 24 | 32)
        );
    }
}

#[test]
fn key_sizes_name_their_lengths() {
    assert_eq!(KeySize::Aes128.len(), 16);
    assert_eq!(KeySize::Aes192.len(), 24);
    assert_eq!(KeySize::Aes256.len(), 32);
    assert_eq!(BLOCK_LEN, 16);
}

#[test]
fn ciphertext_len_is_the_next_whole_block() {
    for len in 0..200 {
        let expected = (len / 16 + 1) * 16;
        assert_eq!(Key::ciphertext_len(len), expected, "{len}");
        assert_eq!(
            Key::new(&[1; 16]).unwrap().encrypt(&vec![0; len]).len(),
            expected
        );
    }
}

#[test]
fn keys_can_be_shared_between_threads() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<Key>();

    let key = std::sync::Arc::new(Key::new(b"qwertyuiop123456").unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let key = key.clone();
            std::thread::spawn(move || key.seal(format!("message {i}").as_bytes()))
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        let sealed = handle.join().unwrap();
        assert_eq!(
            key.open(sealed.as_bytes()).unwrap(),
            format!("message {i}").as_bytes()
        );
    }
}

#[test]
fn a_clone_is_the_same_key() {
    let key = Key::new(b"xx1vsogzzvqvrgml7f6sc233p8vdqev2").unwrap();
    let clone = key.clone();
    drop(key);
    assert_eq!(clone.size(), KeySize::Aes256);
    assert_eq!(clone.open(clone.seal(b"x").as_bytes()).unwrap(), b"x");
}

#[test]
fn the_same_plaintext_always_seals_the_same() {
    // The protocol's fixed IV makes sealing deterministic; callers may rely on it (for
    // instance to compare envelopes in tests), and must know it leaks equality.
    let key = Key::new(b"qwertyuiop123456").unwrap();
    assert_eq!(key.seal(b"{\"a\":1}"), key.seal(b"{\"a\":1}"));
    assert_ne!(key.seal(b"{\"a\":1}"), key.seal(b"{\"a\":2}"));
    // Equal first blocks give equal first ciphertext blocks.
    let a = key.encrypt(b"0123456789abcdefXXXX");
    let b = key.encrypt(b"0123456789abcdefYYYY");
    assert_eq!(a[..16], b[..16]);
    assert_ne!(a[16..], b[16..]);
}
