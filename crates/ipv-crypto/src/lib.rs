//! The ipipv open API's cipher: AES-CBC with PKCS#7 padding, where the key is the app
//! secret's bytes and the IV is the first 16 bytes of that key, plus the base64 `seal` /
//! `open` wrappers that put ciphertext on the wire.
//!
//! This crate stands alone: no serde, no HTTP, no async, no operating system required,
//! and no dependencies beyond `aes`, `cbc`, `base64-simd` and `zeroize`. The mode is
//! RustCrypto's `cbc` over the `aes` crate's AES-NI/VAES backend; the PKCS#7 padding
//! and its constant-time check are written here. Any program that has to speak the
//! protocol's cipher (a proxy, a log decoder, another SDK's test) can use it.
//!
//! ```
//! use ipv_crypto::Key;
//!
//! let key = Key::new(b"qwertyuiop123456")?; // 16 bytes: AES-128
//! let sealed = key.seal(b"TestMessage");
//! assert_eq!(sealed, "5cfJMwX0w65sEQVBxu9zHw==");
//! assert_eq!(key.open(sealed.as_bytes())?, b"TestMessage");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Which call to use
//!
//! | you have | you want | call |
//! |---|---|---|
//! | bytes | base64 text for an envelope | [`Key::seal`], or [`Key::seal_into`] to append to a `String` |
//! | a `Vec` you own (say, fresh JSON) | base64 text, no copy | [`Key::seal_buffer_into`] |
//! | base64 text from an envelope | the bytes | [`Key::open`], or [`Key::open_into`] to reuse a buffer |
//! | bytes | raw ciphertext | [`Key::encrypt`], [`Key::encrypt_in_place`], [`Key::encrypt_into`] |
//! | raw ciphertext | the bytes | [`Key::decrypt`], [`Key::decrypt_in_place`] |
//! | base64 alone | | the [`b64`] module |
//!
//! # Errors
//!
//! * [`KeyLengthError`]: the secret is not 16, 24 or 32 bytes; it carries the length.
//! * [`DecryptError`]: one opaque value for every ciphertext that does not decrypt.
//! * [`OpenError`]: `Base64` for text that is not canonical padded base64 (public
//!   framing, safe to name), `Decrypt` for everything after that.
//!
//! No input of any length or content panics; this is property-tested and fuzzed
//! (see `fuzz/` in the repository).
//!
//! # Security
//!
//! The protocol's construction is weak and this crate does not pretend otherwise:
//! * the IV is the key (its first 16 bytes), so it is fixed: equal plaintexts give equal
//!   ciphertexts, and equal prefixes give equal leading blocks;
//! * CBC without a MAC has no integrity: anyone can flip plaintext bits by flipping
//!   ciphertext bits, and a decryption that succeeds proves nothing about who sent it;
//! * with IV = key, a party that learns the decryption of a crafted ciphertext can
//!   recover the key itself.
//!
//! What this crate does about it:
//! * every malformed ciphertext (empty, ragged length, bad padding) gives the same
//!   opaque [`DecryptError`], so callers cannot build a padding oracle by accident, and a
//!   refused buffer is emptied (and wiped, once decryption has touched it);
//! * the key schedule and IV are zeroized on drop, and no `Debug` or `Display` output
//!   shows key bytes or plaintext.
//!
//! What it cannot do is make the protocol authenticated: treat decrypted data as
//! untrusted input, and never reveal to a peer why a ciphertext was refused.
//!
//! # Features
//!
//! * `std` (default): runtime CPU detection for the base64 SIMD code. Without it the
//!   crate is `#![no_std]` and needs only `alloc`, so it builds for targets without an
//!   operating system; every call and type is the same.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(any(feature = "std", test, doctest))]
extern crate std;

mod chain;
mod key;

/// The README's example, compiled and run as a doctest so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use key::{BLOCK_LEN, DecryptError, Key, KeyLengthError, KeySize, OpenError};

/// The base64 the protocol uses: the standard alphabet, with `=` padding, canonical.
///
/// Decoding refuses missing or extra padding, non-zero trailing bits, whitespace and the
/// URL-safe alphabet, so each byte string has exactly one accepted text.
///
/// ```
/// use ipv_crypto::b64;
///
/// assert_eq!(b64::encode(b"ipv"), "aXB2");
/// assert_eq!(b64::decode(b"aXB2").unwrap(), b"ipv");
/// assert!(b64::decode(b"aXB2\n").is_err());
/// assert!(b64::decode(b"aXA").is_err()); // unpadded
/// ```
pub mod b64 {
    // base64-simd's STANDARD engine: padded, canonical, several times faster than a
    // scalar codec on the protocol's large payloads (see docs/performance.md). A test
    // (`tests/base64_equivalence.rs`) checks it accepts, refuses and writes exactly what
    // the `base64` crate's strict STANDARD engine does.
    use alloc::string::String;
    use alloc::vec::Vec;
    use base64_simd::STANDARD;

    /// Appends the base64 text of `bytes` to `out`.
    pub fn encode_into(bytes: &[u8], out: &mut String) {
        STANDARD.encode_append(bytes, out);
    }

    /// The base64 text of `bytes`.
    #[must_use]
    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        encode_into(bytes, &mut out);
        out
    }

    /// Decodes base64 `text`, appending the bytes to `out`; on error `out` is as it was.
    ///
    /// # Errors
    /// [`InvalidBase64`] when `text` is not canonical padded standard base64.
    pub fn decode_into(text: &[u8], out: &mut Vec<u8>) -> Result<(), InvalidBase64> {
        let before = out.len();
        STANDARD.decode_append(text, out).map_err(|_| {
            out.truncate(before);
            InvalidBase64
        })
    }

    /// Decoded bytes of base64 `text`.
    ///
    /// # Errors
    /// [`InvalidBase64`] when `text` is not canonical padded standard base64.
    pub fn decode(text: &[u8]) -> Result<Vec<u8>, InvalidBase64> {
        let mut out = Vec::with_capacity(text.len() / 4 * 3);
        decode_into(text, &mut out)?;
        Ok(out)
    }

    /// The text was not valid padded standard base64.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct InvalidBase64;

    impl core::fmt::Display for InvalidBase64 {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("invalid base64")
        }
    }

    impl core::error::Error for InvalidBase64 {}
}
