//! Property tests: round trips for every key size, no panic on any input, and every kind
//! of broken padding refused with the one opaque error.

use ipv_crypto::{BLOCK_LEN, DecryptError, Key, OpenError, b64};
use proptest::prelude::*;

/// A secret of a valid length (16, 24 or 32 bytes) with arbitrary bytes.
fn secret() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![Just(16_usize), Just(24), Just(32)]
        .prop_flat_map(|len| proptest::collection::vec(any::<u8>(), len))
}

/// Up to four arbitrary whole blocks that come before the last one.
fn leading_blocks() -> impl Strategy<Value = Vec<u8>> {
    (0..=4_usize).prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n * BLOCK_LEN))
}

/// Raw CBC (no padding) of block-aligned `blocks`: PKCS#7 appends a whole block to
/// block-aligned input, so dropping that block leaves exactly the raw encryption.
/// Decrypting the result unpads `blocks`' own last block, whatever it holds.
fn raw_cbc(key: &Key, blocks: &[u8]) -> Vec<u8> {
    assert!(blocks.len().is_multiple_of(BLOCK_LEN));
    let mut ciphertext = key.encrypt(blocks);
    ciphertext.truncate(blocks.len());
    ciphertext
}

/// `ciphertext` must be refused through every entry point, leaving nothing behind.
fn assert_refused(key: &Key, ciphertext: &[u8]) -> Result<(), TestCaseError> {
    prop_assert_eq!(key.decrypt(ciphertext), Err(DecryptError));
    let mut buf = ciphertext.to_vec();
    prop_assert_eq!(key.decrypt_in_place(&mut buf), Err(DecryptError));
    prop_assert!(buf.is_empty(), "decrypt_in_place left {} bytes", buf.len());
    let sealed = b64::encode(ciphertext);
    prop_assert_eq!(key.open(sealed.as_bytes()), Err(OpenError::Decrypt));
    let mut out = b"stale".to_vec();
    prop_assert_eq!(
        key.open_into(sealed.as_bytes(), &mut out),
        Err(OpenError::Decrypt)
    );
    prop_assert!(out.is_empty(), "open_into left {} bytes", out.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn round_trip_for_any_key_and_plaintext(
        secret in secret(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let key = Key::new(&secret).unwrap();
        let ciphertext = key.encrypt(&plaintext);
        prop_assert_eq!(ciphertext.len(), Key::ciphertext_len(plaintext.len()));
        prop_assert!(ciphertext.len() > plaintext.len());
        prop_assert!(ciphertext.len() - plaintext.len() <= BLOCK_LEN);
        prop_assert_eq!(key.decrypt(&ciphertext).unwrap(), plaintext.clone());

        let sealed = key.seal(&plaintext);
        prop_assert_eq!(b64::decode(sealed.as_bytes()).unwrap(), ciphertext.clone());
        prop_assert_eq!(key.open(sealed.as_bytes()).unwrap(), plaintext.clone());

        let mut buf = plaintext.clone();
        key.encrypt_in_place(&mut buf);
        prop_assert_eq!(&buf, &ciphertext);
        key.decrypt_in_place(&mut buf).unwrap();
        prop_assert_eq!(&buf, &plaintext);

        // The protocol's IV rule: the first 16 key bytes.
        let iv: [u8; BLOCK_LEN] = secret[..BLOCK_LEN].try_into().unwrap();
        prop_assert_eq!(Key::with_iv(&secret, iv).unwrap().encrypt(&plaintext), ciphertext);
    }

    #[test]
    fn decrypt_never_panics_and_ok_means_canonical(
        secret in secret(),
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let key = Key::new(&secret).unwrap();
        let mut buf = bytes.clone();
        let in_place = key.decrypt_in_place(&mut buf);
        match key.decrypt(&bytes) {
            Ok(plaintext) => {
                prop_assert_eq!(in_place, Ok(()));
                prop_assert_eq!(&buf, &plaintext);
                // Strict PKCS#7 makes decryption injective: re-encrypting gives the input.
                prop_assert_eq!(key.encrypt(&plaintext), bytes);
            }
            Err(DecryptError) => {
                prop_assert_eq!(in_place, Err(DecryptError));
                prop_assert!(buf.is_empty());
            }
        }
    }

    #[test]
    fn whole_blocks_of_noise_decrypt_only_when_canonical(
        secret in secret(),
        blocks in (1..=8_usize).prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n * BLOCK_LEN)),
    ) {
        // Block-aligned noise reaches the padding check, unlike most of the lengths above.
        let key = Key::new(&secret).unwrap();
        if let Ok(plaintext) = key.decrypt(&blocks) {
            prop_assert_eq!(key.encrypt(&plaintext), blocks);
        }
    }

    #[test]
    fn last_byte_zero_is_refused(
        secret in secret(),
        lead in leading_blocks(),
        mut last in proptest::array::uniform16(any::<u8>()),
    ) {
        last[BLOCK_LEN - 1] = 0;
        let key = Key::new(&secret).unwrap();
        assert_refused(&key, &raw_cbc(&key, &[lead, last.to_vec()].concat()))?;
    }

    #[test]
    fn last_byte_over_sixteen_is_refused(
        secret in secret(),
        lead in leading_blocks(),
        mut last in proptest::array::uniform16(any::<u8>()),
        pad in 17..=255_u8,
    ) {
        last[BLOCK_LEN - 1] = pad;
        let key = Key::new(&secret).unwrap();
        assert_refused(&key, &raw_cbc(&key, &[lead, last.to_vec()].concat()))?;
    }

    #[test]
    fn inconsistent_padding_bytes_are_refused(
        secret in secret(),
        lead in leading_blocks(),
        mut last in proptest::array::uniform16(any::<u8>()),
        (pad, wrong_at, wrong_by) in (2..=16_u8).prop_flat_map(|pad| (Just(pad), 1..pad, 1..=255_u8)),
    ) {
        // A claimed padding of `pad` bytes where the byte `wrong_at` places before the
        // last one differs from `pad`.
        let pad_start = BLOCK_LEN - usize::from(pad);
        last[pad_start..].fill(pad);
        last[BLOCK_LEN - 1 - usize::from(wrong_at)] = pad.wrapping_add(wrong_by);
        let key = Key::new(&secret).unwrap();
        assert_refused(&key, &raw_cbc(&key, &[lead, last.to_vec()].concat()))?;
    }

    #[test]
    fn consistent_padding_is_accepted_exactly(
        secret in secret(),
        lead in leading_blocks(),
        mut last in proptest::array::uniform16(any::<u8>()),
        pad in 1..=16_u8,
    ) {
        // The control for the three classes above: the same construction with a good pad.
        let pad_start = BLOCK_LEN - usize::from(pad);
        last[pad_start..].fill(pad);
        let key = Key::new(&secret).unwrap();
        let ciphertext = raw_cbc(&key, &[lead.clone(), last.to_vec()].concat());
        let expected = [&lead[..], &last[..pad_start]].concat();
        prop_assert_eq!(key.decrypt(&ciphertext).unwrap(), expected);
    }

    #[test]
    fn ragged_lengths_are_refused(
        secret in secret(),
        bytes in proptest::collection::vec(any::<u8>(), 1..600)
            .prop_filter("not whole blocks", |b| !b.len().is_multiple_of(BLOCK_LEN)),
    ) {
        assert_refused(&Key::new(&secret).unwrap(), &bytes)?;
    }

    #[test]
    fn a_valid_ciphertext_cut_short_is_refused(
        secret in secret(),
        plaintext in proptest::collection::vec(any::<u8>(), 0..200),
        cut in 1..=BLOCK_LEN - 1,
    ) {
        let key = Key::new(&secret).unwrap();
        let mut ciphertext = key.encrypt(&plaintext);
        ciphertext.truncate(ciphertext.len() - cut);
        assert_refused(&key, &ciphertext)?;
    }

    #[test]
    fn open_refuses_text_that_is_not_base64(
        secret in secret(),
        bytes in proptest::collection::vec(any::<u8>(), 0..100),
        bad in prop::sample::select(vec!["!", "-", "_", " ", "\n", "*", "é", "\0", "=", "A"]),
        at in any::<prop::sample::Index>(),
    ) {
        // Valid base64 with one foreign character put in. "=" and "A" are alphabet
        // characters, but one more breaks the length or the padding, so they count too.
        let key = Key::new(&secret).unwrap();
        let mut text = b64::encode(&key.encrypt(&bytes));
        text.insert_str(at.index(text.len() + 1), bad);
        prop_assert_eq!(key.open(text.as_bytes()), Err(OpenError::Base64));
        let mut out = b"stale".to_vec();
        prop_assert_eq!(key.open_into(text.as_bytes(), &mut out), Err(OpenError::Base64));
        prop_assert!(out.is_empty());
    }
}

#[test]
fn empty_input_is_refused() {
    for secret in [&[1_u8; 16][..], &[2; 24], &[3; 32]] {
        let key = Key::new(secret).unwrap();
        assert_refused(&key, b"").unwrap();
    }
}

#[test]
fn open_names_base64_for_every_malformed_text() {
    let key = Key::new(b"qwertyuiop123456").unwrap();
    for text in [
        &b"5cfJMwX0w65sEQVBxu9zHw="[..], // one '=' short
        b"5cfJMwX0w65sEQVBxu9zHw===",    // one '=' too many
        b"5cfJMwX0w65sEQVBxu9zHw",       // no padding
        b"5cfJMwX0w65sEQVBxu9zHx==",     // non-zero trailing bits
        b"5cfJMwX0w65s EQVBxu9zHw==",    // a space
        b"5cfJMwX0w65s-QVBxu9zHw==",     // URL-safe alphabet
        b"\xff\xfe",                     // not even UTF-8
    ] {
        assert_eq!(key.open(text), Err(OpenError::Base64), "{text:?}");
    }
    // The empty text is valid base64 of no bytes, which then does not decrypt.
    assert_eq!(key.open(b""), Err(OpenError::Decrypt));
}
