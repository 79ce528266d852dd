//! The fuzz targets' bodies (`ipv_fuzz_bodies::crypto`, the very code cargo-fuzz builds) run
//! over the committed seed corpus `crates/ipv-fuzz-bodies/seeds/<target>/`, so every `cargo test` on the
//! stable toolchain exercises the fuzz properties, and each seed is checked to take the
//! path it was written for.

use ipv_fuzz_bodies::{crypto as bodies, seeds as seed_files};

use bodies::Verdict;

/// Every seed of `target`, by file name, sorted so failures are reproducible.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let seeds = seed_files::read(target);
    assert!(
        (5..=20).contains(&seeds.len()),
        "{target}: {} seeds",
        seeds.len()
    );
    seeds
}

/// Runs `body` over every seed of `target` and checks the verdicts of the named ones.
fn run(target: &str, body: fn(&[u8]) -> Verdict, expected: &[(&str, Verdict)]) {
    let seeds = seeds(target);
    let verdicts: Vec<(String, Verdict)> = seeds
        .iter()
        .map(|(name, bytes)| (name.clone(), body(bytes)))
        .collect();
    for (name, want) in expected {
        let got = verdicts.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        assert_eq!(got, Some(*want), "{target}/{name}");
    }
}

#[test]
fn decrypt_seeds() {
    use Verdict::{Accepted, NotDecrypted};
    run(
        "decrypt",
        bodies::decrypt,
        &[
            ("empty", NotDecrypted),
            ("one-byte", NotDecrypted),
            ("aes128-document-vector", Accepted),
            ("aes128-ragged-15", NotDecrypted),
            ("aes128-ragged-17", NotDecrypted),
            ("aes192-valid-48", Accepted),
            ("aes256-full-padding-block", Accepted),
            ("aes256-corrupted-last-byte", NotDecrypted),
            ("aes256-short-key", NotDecrypted),
        ],
    );
}

#[test]
fn decrypt_seed_document_vector_is_what_it_says() {
    let (_, bytes) = seeds("decrypt")
        .into_iter()
        .find(|(name, _)| name == "aes128-document-vector")
        .unwrap();
    let (key, ciphertext) = bodies::split_key(&bytes);
    assert_eq!(key.decrypt(ciphertext).unwrap(), b"TestMessage");
}

#[test]
fn roundtrip_seeds() {
    let seeds = seeds("roundtrip");
    for (_, bytes) in &seeds {
        bodies::roundtrip(bytes);
    }
    let lengths: Vec<usize> = seeds
        .iter()
        .map(|(_, bytes)| bodies::split_key(bytes).1.len())
        .collect();
    for edge in [0, 15, 16, 17] {
        assert!(lengths.contains(&edge), "no roundtrip seed of {edge} bytes");
    }
}

#[test]
fn open_b64_seeds() {
    use Verdict::{Accepted, NotBase64, NotDecrypted};
    run(
        "open_b64",
        bodies::open_b64,
        &[
            ("empty", NotDecrypted),
            ("one-byte", NotDecrypted),
            ("aes128-document-vector", Accepted),
            ("aes128-missing-pad", NotBase64),
            ("aes128-trailing-bits", NotBase64),
            ("aes128-url-safe-alphabet", NotBase64),
            ("fifteen-chars", NotBase64),
            ("only-padding", NotBase64),
            ("non-ascii", NotBase64),
            ("aes192-valid", Accepted),
            ("aes256-valid", Accepted),
            ("aes256-line-wrapped", NotBase64),
        ],
    );
}

#[test]
fn split_key_zero_fills_short_input() {
    // Selector 2 picks AES-256; five key bytes given, the other 27 are zero.
    let (key, rest) = bodies::split_key(b"\x02short");
    assert!(rest.is_empty());
    let mut secret = [0u8; 32];
    secret[..5].copy_from_slice(b"short");
    let expected = ipv_crypto::Key::new(&secret).unwrap();
    assert_eq!(key.size(), ipv_crypto::KeySize::Aes256);
    assert_eq!(key.encrypt(b"x"), expected.encrypt(b"x"));
}
