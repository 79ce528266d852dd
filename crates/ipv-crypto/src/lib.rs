//! The ipipv open API's cipher: AES-CBC with PKCS#7 padding, where the key is the app
//! secret's bytes and the IV is the first 16 bytes of that key, plus the base64 `seal` /
//! `open` wrappers that put ciphertext on the wire.
//!
//! This crate stands alone: no serde, no HTTP, no async. Any program that has to speak
//! the protocol's cipher (a proxy, a log decoder, another SDK's test) can use it.
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
//! # Security
//!
//! The protocol's construction is weak and this crate does not pretend otherwise:
//! the IV equals (part of) the key, so equal plaintexts give equal ciphertexts, and
//! CBC without a MAC has no integrity. What this crate does about it:
//! * every malformed ciphertext (empty, ragged length, bad padding) gives the same
//!   opaque [`DecryptError`], so callers cannot build a padding oracle by accident;
//! * the key and IV are zeroized on drop, and no `Debug` output shows them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod key;

pub use key::{BLOCK_LEN, DecryptError, Key, KeyLengthError, KeySize, OpenError};

/// The base64 alphabet the protocol uses: the standard one, with `=` padding.
pub mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    /// Appends the base64 text of `bytes` to `out`.
    pub fn encode_into(bytes: &[u8], out: &mut String) {
        STANDARD.encode_string(bytes, out);
    }

    /// The base64 text of `bytes`.
    #[must_use]
    pub fn encode(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    /// Decodes base64 `text`, appending the bytes to `out`.
    ///
    /// # Errors
    /// [`InvalidBase64`] when `text` is not canonical padded standard base64.
    pub fn decode_into(text: &[u8], out: &mut Vec<u8>) -> Result<(), InvalidBase64> {
        STANDARD.decode_vec(text, out).map_err(|_| InvalidBase64)
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

    impl std::error::Error for InvalidBase64 {}
}
