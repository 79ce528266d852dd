//! Bodies of the `ipv-crypto` fuzz targets.
//!
//! The cargo-fuzz targets in `fuzz/` call these bodies, and `tests/crypto_seeds.rs` runs them
//! over the committed seeds under a plain `cargo test`. Every body panics (fails) only when
//! a property is broken.

use ipv_crypto::{BLOCK_LEN, Key, KeySize, OpenError, b64};

/// What a body made of its input, returned so that the seed tests can check which path
/// each seed takes (a fuzzer ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The input decrypted (or opened) to a plaintext.
    Accepted,
    /// The bytes did not decrypt: the one opaque error.
    NotDecrypted,
    /// The text was not base64 (`open_b64` only).
    NotBase64,
}

/// Splits fuzz input into a key and the bytes after it.
///
/// The first byte picks the key size (its value mod 3: AES-128, -192, -256); the next
/// 16, 24 or 32 bytes are the key, zero-filled when the input runs out, so every input,
/// the empty one included, reaches the cipher.
pub fn split_key(data: &[u8]) -> (Key, &[u8]) {
    let (selector, rest) = match data.split_first() {
        Some((selector, rest)) => (*selector, rest),
        None => (0, data),
    };
    let size = match selector % 3 {
        0 => KeySize::Aes128,
        1 => KeySize::Aes192,
        _ => KeySize::Aes256,
    };
    let taken = size.len().min(rest.len());
    let mut secret = [0u8; 32];
    secret[..taken].copy_from_slice(&rest[..taken]);
    let key = Key::new(&secret[..size.len()]).expect("16, 24 and 32 are valid key lengths");
    (key, &rest[taken..])
}

/// Target `decrypt`: key from [`split_key`], the rest is ciphertext.
///
/// No input panics; `decrypt` and `decrypt_in_place` agree; a refused input leaves the
/// buffer empty; and an accepted one is canonical: re-encrypting the plaintext gives back
/// exactly the input (strict PKCS#7 makes decryption one-to-one).
pub fn decrypt(data: &[u8]) -> Verdict {
    // Any length is a typed error naming itself, except the three valid ones.
    let prefix = &data[..data.len().min(40)];
    match Key::new(prefix) {
        Ok(key) => assert_eq!(key.size().len(), prefix.len()),
        Err(err) => {
            assert_eq!(err.len, prefix.len());
            assert!(KeySize::from_len(prefix.len()).is_none());
        }
    }

    let (key, ciphertext) = split_key(data);
    let mut in_place = ciphertext.to_vec();
    let in_place_result = key.decrypt_in_place(&mut in_place);
    match key.decrypt(ciphertext) {
        Ok(plaintext) => {
            assert!(
                in_place_result.is_ok(),
                "decrypt accepted, decrypt_in_place refused"
            );
            assert!(in_place == plaintext, "the two decryptions differ");
            assert_eq!(Key::ciphertext_len(plaintext.len()), ciphertext.len());
            assert!(
                key.encrypt(&plaintext) == ciphertext,
                "an accepted ciphertext does not re-encrypt to itself"
            );
            Verdict::Accepted
        }
        Err(_) => {
            assert!(
                in_place_result.is_err(),
                "decrypt refused, decrypt_in_place accepted"
            );
            assert!(in_place.is_empty(), "a refused buffer was not cleared");
            // Only whole, non-empty blocks can ever decrypt.
            let aligned = !ciphertext.is_empty() && ciphertext.len().is_multiple_of(BLOCK_LEN);
            if !aligned {
                assert!(key.open(b64::encode(ciphertext).as_bytes()) == Err(OpenError::Decrypt));
            }
            Verdict::NotDecrypted
        }
    }
}

/// Target `roundtrip`: key from [`split_key`], the rest is plaintext.
///
/// Every encrypt entry point gives the same ciphertext of the expected length, and
/// `decrypt(encrypt(x)) == x`, `open(seal(x)) == x`.
pub fn roundtrip(data: &[u8]) {
    let (key, plaintext) = split_key(data);

    let ciphertext = key.encrypt(plaintext);
    assert_eq!(ciphertext.len(), Key::ciphertext_len(plaintext.len()));
    assert!(
        key.decrypt(&ciphertext).as_deref() == Ok(plaintext),
        "decrypt(encrypt(x)) != x"
    );

    let mut in_place = plaintext.to_vec();
    key.encrypt_in_place(&mut in_place);
    assert!(
        in_place == ciphertext,
        "encrypt_in_place differs from encrypt"
    );
    assert!(key.decrypt_in_place(&mut in_place).is_ok());
    assert!(
        in_place == plaintext,
        "decrypt_in_place(encrypt_in_place(x)) != x"
    );

    let mut appended = vec![0xa5; 3];
    key.encrypt_into(plaintext, &mut appended);
    assert!(
        appended[..3] == [0xa5; 3] && appended[3..] == ciphertext,
        "encrypt_into differs"
    );

    let sealed = key.seal(plaintext);
    assert!(b64::decode(sealed.as_bytes()).as_deref() == Ok(&ciphertext[..]));
    assert!(
        key.open(sealed.as_bytes()).as_deref() == Ok(plaintext),
        "open(seal(x)) != x"
    );

    let mut buffer = plaintext.to_vec();
    let mut sealed_again = String::from("=");
    key.seal_buffer_into(&mut buffer, &mut sealed_again);
    assert!(
        buffer == ciphertext && sealed_again[1..] == sealed,
        "seal_buffer_into differs"
    );

    let mut opened = b"stale".to_vec();
    assert!(key.open_into(sealed.as_bytes(), &mut opened).is_ok());
    assert!(opened == plaintext, "open_into(seal(x)) != x");
}

/// The three fixed keys of [`open_b64`]: the API document's, a 24-byte one, and the
/// shared fixtures' AES-256 key, so seeds can be real sealed text.
pub const OPEN_KEYS: [&[u8]; 3] = [
    b"qwertyuiop123456",
    b"ipv-fuzz-aes192-key-0001",
    b"xx1vsogzzvqvrgml7f6sc233p8vdqev2",
];

/// Target `open_b64`: the first byte picks one of [`OPEN_KEYS`] (mod 3), the rest is
/// sealed text as it would arrive in an envelope.
///
/// No input panics; text that is not base64 gives [`OpenError::Base64`] and text that is
/// gives the result of decrypting its bytes; base64 decoding is canonical (re-encoding
/// gives the text back), and so an opened text seals back to itself.
pub fn open_b64(data: &[u8]) -> Verdict {
    let (selector, text) = match data.split_first() {
        Some((selector, text)) => (usize::from(*selector), text),
        None => (0, data),
    };
    let key = Key::new(OPEN_KEYS[selector % 3]).expect("fixed keys are valid");

    let mut out = b"stale".to_vec();
    let opened = key.open_into(text, &mut out);
    assert!(
        key.open(text) == opened.map(|()| out.clone()),
        "open and open_into differ"
    );
    match b64::decode(text) {
        Err(_) => {
            assert!(opened == Err(OpenError::Base64));
            Verdict::NotBase64
        }
        Ok(bytes) => {
            assert!(
                b64::encode(&bytes).as_bytes() == text,
                "base64 decoding is not canonical"
            );
            match key.decrypt(&bytes) {
                Ok(plaintext) => {
                    assert!(opened.is_ok() && out == plaintext);
                    assert!(
                        key.seal(&plaintext).as_bytes() == text,
                        "opened text reseals differently"
                    );
                    Verdict::Accepted
                }
                Err(_) => {
                    assert!(opened == Err(OpenError::Decrypt));
                    assert!(out.is_empty(), "a refused open left bytes behind");
                    Verdict::NotDecrypted
                }
            }
        }
    }
}
