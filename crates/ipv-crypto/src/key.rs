//! The key type and the cipher operations on it.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use aes::cipher::KeyInit;
use aes::{Aes128, Aes192, Aes256};
use zeroize::Zeroize;

use crate::b64;
use crate::chain;

/// AES's block length in bytes; ciphertexts are always a positive multiple of it.
pub const BLOCK_LEN: usize = 16;

/// Which AES variant a key selects, by its length.
///
/// ```
/// use ipv_crypto::KeySize;
///
/// assert_eq!(KeySize::from_len(24), Some(KeySize::Aes192));
/// assert_eq!(KeySize::Aes192.len(), 24);
/// assert_eq!(KeySize::from_len(20), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySize {
    /// 16-byte key.
    Aes128,
    /// 24-byte key.
    Aes192,
    /// 32-byte key.
    Aes256,
}

impl KeySize {
    /// The key length in bytes.
    // A key size is never empty, so an `is_empty` would only ever say `false`.
    #[allow(clippy::len_without_is_empty)]
    #[must_use]
    pub const fn len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }

    /// The variant for a key of `len` bytes, if there is one.
    #[must_use]
    pub const fn from_len(len: usize) -> Option<Self> {
        match len {
            16 => Some(Self::Aes128),
            24 => Some(Self::Aes192),
            32 => Some(Self::Aes256),
            _ => None,
        }
    }
}

/// The expanded key schedule; built once per [`Key`] so no call pays for it again.
#[derive(Clone)]
enum Schedule {
    Aes128(Aes128),
    Aes192(Aes192),
    Aes256(Aes256),
}

/// An app secret ready for the protocol's cipher.
///
/// Built from the secret's bytes: 16, 24 or 32 of them select AES-128, -192 or -256.
/// The IV is the key's first 16 bytes (the protocol's rule) unless given explicitly
/// with [`Key::with_iv`]. The AES key schedule is expanded once, here, so each call
/// pays only for the cipher itself.
///
/// Key schedule and IV are zeroized when the value (or a clone) is dropped, and `Debug`
/// shows only the key size. A `Key` is `Send + Sync`: share one (for instance in an
/// `Arc`) between all the requests of a client.
///
/// ```
/// use ipv_crypto::Key;
///
/// let key = Key::new(b"qwertyuiop123456")?;
/// assert_eq!(format!("{key:?}"), r#"Key { size: Aes128, secret: "[redacted]" }"#);
/// # Ok::<(), ipv_crypto::KeyLengthError>(())
/// ```
#[derive(Clone)]
pub struct Key {
    schedule: Schedule,
    iv: [u8; BLOCK_LEN],
}

impl Drop for Key {
    fn drop(&mut self) {
        // The schedule zeroizes itself (aes's `zeroize` feature); the IV is key bytes.
        self.iv.zeroize();
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("size", &self.size())
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The secret was not 16, 24 or 32 bytes long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyLengthError {
    /// The length that was given.
    pub len: usize,
}

impl fmt::Display for KeyLengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "app secret is {} bytes long; AES needs 16, 24 or 32",
            self.len
        )
    }
}

impl core::error::Error for KeyLengthError {}

/// A ciphertext did not decrypt.
///
/// Deliberately one opaque value for every cause (empty input, a length that is not a
/// multiple of 16, bad padding): with the protocol's IV = key, telling the causes apart
/// would hand an attacker a padding oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecryptError;

impl fmt::Display for DecryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ciphertext did not decrypt under this key")
    }
}

impl core::error::Error for DecryptError {}

/// Why [`Key::open`] failed: the text was not base64, or its bytes did not decrypt.
///
/// Base64 is public framing, so naming it leaks nothing; every decryption failure is
/// still the one opaque [`DecryptError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// The text was not valid padded standard base64.
    Base64,
    /// The decoded bytes did not decrypt (see [`DecryptError`]).
    Decrypt,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Base64 => f.write_str("sealed text is not valid base64"),
            Self::Decrypt => DecryptError.fmt(f),
        }
    }
}

impl core::error::Error for OpenError {}

impl From<DecryptError> for OpenError {
    fn from(_: DecryptError) -> Self {
        Self::Decrypt
    }
}

impl From<b64::InvalidBase64> for OpenError {
    fn from(_: b64::InvalidBase64) -> Self {
        Self::Base64
    }
}

impl Key {
    /// A key from the app secret's bytes, with the protocol's IV (the first 16 key bytes).
    ///
    /// ```
    /// use ipv_crypto::{Key, KeySize};
    ///
    /// let key = Key::new(b"xx1vsogzzvqvrgml7f6sc233p8vdqev2")?;
    /// assert_eq!(key.size(), KeySize::Aes256);
    ///
    /// let err = Key::new(b"too short").unwrap_err();
    /// assert_eq!(err.len, 9);
    /// # Ok::<(), ipv_crypto::KeyLengthError>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyLengthError`] naming the length when it is not 16, 24 or 32.
    pub fn new(secret: &[u8]) -> Result<Self, KeyLengthError> {
        let mut iv = [0u8; BLOCK_LEN];
        if secret.len() >= BLOCK_LEN {
            iv.copy_from_slice(&secret[..BLOCK_LEN]);
        }
        let key = Self::with_iv(secret, iv);
        // The IV is key material; do not leave this copy on the stack.
        iv.zeroize();
        key
    }

    /// A key with an explicit IV, for known-answer tests against published vectors.
    /// The protocol itself always uses [`Key::new`].
    ///
    /// ```
    /// use ipv_crypto::Key;
    ///
    /// // NIST SP 800-38A, F.2.1 (CBC-AES128), first block; PKCS#7 then adds one block.
    /// let key = Key::with_iv(
    ///     &[0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c],
    ///     [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    /// )?;
    /// let plaintext = [0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a];
    /// let ciphertext = key.encrypt(&plaintext);
    /// assert_eq!(
    ///     ciphertext[..16],
    ///     [0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46, 0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d]
    /// );
    /// # Ok::<(), ipv_crypto::KeyLengthError>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyLengthError`] naming the length when it is not 16, 24 or 32.
    pub fn with_iv(secret: &[u8], iv: [u8; BLOCK_LEN]) -> Result<Self, KeyLengthError> {
        let err = KeyLengthError { len: secret.len() };
        let schedule = match KeySize::from_len(secret.len()) {
            Some(KeySize::Aes128) => {
                Schedule::Aes128(Aes128::new_from_slice(secret).map_err(|_| err)?)
            }
            Some(KeySize::Aes192) => {
                Schedule::Aes192(Aes192::new_from_slice(secret).map_err(|_| err)?)
            }
            Some(KeySize::Aes256) => {
                Schedule::Aes256(Aes256::new_from_slice(secret).map_err(|_| err)?)
            }
            None => return Err(err),
        };
        Ok(Self { schedule, iv })
    }

    /// The AES variant this key selects.
    #[must_use]
    pub fn size(&self) -> KeySize {
        match self.schedule {
            Schedule::Aes128(_) => KeySize::Aes128,
            Schedule::Aes192(_) => KeySize::Aes192,
            Schedule::Aes256(_) => KeySize::Aes256,
        }
    }

    /// The ciphertext length for a plaintext of `len` bytes (PKCS#7 always adds 1..=16).
    ///
    /// ```
    /// use ipv_crypto::Key;
    ///
    /// assert_eq!(Key::ciphertext_len(0), 16);
    /// assert_eq!(Key::ciphertext_len(15), 16);
    /// assert_eq!(Key::ciphertext_len(16), 32);
    /// ```
    #[must_use]
    pub const fn ciphertext_len(len: usize) -> usize {
        (len / BLOCK_LEN + 1) * BLOCK_LEN
    }

    /// Encrypts `plaintext` with PKCS#7 padding.
    ///
    /// The same plaintext under the same key always gives the same ciphertext (the IV is
    /// fixed by the protocol).
    ///
    /// ```
    /// use ipv_crypto::Key;
    ///
    /// let key = Key::new(b"qwertyuiop123456")?;
    /// let ciphertext = key.encrypt(b"TestMessage");
    /// assert_eq!(ciphertext.len(), 16);
    /// assert_eq!(key.decrypt(&ciphertext).unwrap(), b"TestMessage");
    /// # Ok::<(), ipv_crypto::KeyLengthError>(())
    /// ```
    #[must_use]
    pub fn encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut buf = Vec::with_capacity(Self::ciphertext_len(plaintext.len()));
        buf.extend_from_slice(plaintext);
        self.encrypt_in_place(&mut buf);
        buf
    }

    /// Encrypts the whole of `buf` in place: the plaintext it holds becomes ciphertext,
    /// growing by the padding. Lets a caller serialise straight into the buffer it will
    /// encrypt, with no copy of the payload.
    ///
    /// ```
    /// use std::io::Write as _;
    /// use ipv_crypto::Key;
    ///
    /// let key = Key::new(b"qwertyuiop123456")?;
    /// let mut buf = Vec::with_capacity(64);
    /// write!(buf, "TestMessage")?; // a JSON serialiser would write here
    /// key.encrypt_in_place(&mut buf);
    /// assert_eq!(buf, key.encrypt(b"TestMessage"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn encrypt_in_place(&self, buf: &mut Vec<u8>) {
        let pad_len = chain::pad_len(buf.len());
        buf.resize(buf.len() + usize::from(pad_len), pad_len);
        self.encrypt_blocks(buf);
    }

    /// Appends the ciphertext of `plaintext` to `out`, keeping what `out` already holds.
    pub fn encrypt_into(&self, plaintext: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        out.reserve(Self::ciphertext_len(plaintext.len()));
        out.extend_from_slice(plaintext);
        let pad_len = chain::pad_len(plaintext.len());
        out.resize(out.len() + usize::from(pad_len), pad_len);
        self.encrypt_blocks(&mut out[start..]);
    }

    /// CBC-encrypts whole blocks in place (the caller has padded them).
    fn encrypt_blocks(&self, blocks: &mut [u8]) {
        match &self.schedule {
            Schedule::Aes128(c) => chain::encrypt(c, &self.iv, blocks),
            Schedule::Aes192(c) => chain::encrypt(c, &self.iv, blocks),
            Schedule::Aes256(c) => chain::encrypt(c, &self.iv, blocks),
        }
    }

    /// CBC-decrypts whole blocks in place (the caller strips the padding).
    fn decrypt_blocks(&self, blocks: &mut [u8]) {
        match &self.schedule {
            Schedule::Aes128(c) => chain::decrypt::<_, chain::DecryptBatch128>(c, &self.iv, blocks),
            Schedule::Aes192(c) => chain::decrypt::<_, chain::DecryptBatch192>(c, &self.iv, blocks),
            Schedule::Aes256(c) => chain::decrypt::<_, chain::DecryptBatch256>(c, &self.iv, blocks),
        }
    }

    /// Decrypts `ciphertext` and strips its padding.
    ///
    /// ```
    /// use ipv_crypto::{DecryptError, Key};
    ///
    /// let key = Key::new(b"qwertyuiop123456")?;
    /// let ciphertext = key.encrypt(b"TestMessage");
    /// assert_eq!(key.decrypt(&ciphertext).unwrap(), b"TestMessage");
    /// // Too short, ragged, or badly padded: one and the same error.
    /// assert_eq!(key.decrypt(&ciphertext[..15]), Err(DecryptError));
    /// assert_eq!(key.decrypt(&[0u8; 16]), Err(DecryptError));
    /// # Ok::<(), ipv_crypto::KeyLengthError>(())
    /// ```
    ///
    /// # Errors
    /// [`DecryptError`] for every malformed input, whatever the cause.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let mut buf = ciphertext.to_vec();
        self.decrypt_in_place(&mut buf)?;
        Ok(buf)
    }

    /// Decrypts `buf` in place and truncates it to the plaintext.
    ///
    /// On error the buffer's content is unspecified (it may hold partly decrypted bytes)
    /// and it is cleared, so no half-decrypted data is left behind.
    ///
    /// # Errors
    /// [`DecryptError`] for every malformed input, whatever the cause.
    pub fn decrypt_in_place(&self, buf: &mut Vec<u8>) -> Result<(), DecryptError> {
        if buf.is_empty() || !buf.len().is_multiple_of(BLOCK_LEN) {
            buf.clear();
            return Err(DecryptError);
        }
        self.decrypt_blocks(buf);
        match chain::unpadded_len(buf) {
            Some(len) => {
                buf.truncate(len);
                Ok(())
            }
            None => {
                buf.zeroize();
                buf.clear();
                Err(DecryptError)
            }
        }
    }

    /// Encrypts `plaintext` and returns the base64 text, as sent on the wire.
    ///
    /// ```
    /// use ipv_crypto::Key;
    ///
    /// let key = Key::new(b"qwertyuiop123456")?;
    /// assert_eq!(key.seal(b"TestMessage"), "5cfJMwX0w65sEQVBxu9zHw==");
    /// # Ok::<(), ipv_crypto::KeyLengthError>(())
    /// ```
    #[must_use]
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let mut out = String::with_capacity(Self::ciphertext_len(plaintext.len()).div_ceil(3) * 4);
        self.seal_into(plaintext, &mut out);
        out
    }

    /// Appends the base64 text of `plaintext`'s ciphertext to `out`.
    pub fn seal_into(&self, plaintext: &[u8], out: &mut String) {
        let ct = self.encrypt(plaintext);
        b64::encode_into(&ct, out);
    }

    /// Encrypts `buf` in place and appends its base64 text to `out`; `buf` is left
    /// holding the ciphertext. The copy-free path for a caller that owns the plaintext.
    ///
    /// ```
    /// use ipv_crypto::Key;
    ///
    /// let key = Key::new(b"qwertyuiop123456")?;
    /// let mut json = br#"TestMessage"#.to_vec();
    /// let mut body = String::from(r#"{"params":""#);
    /// key.seal_buffer_into(&mut json, &mut body);
    /// body.push_str(r#""}"#);
    /// assert_eq!(body, r#"{"params":"5cfJMwX0w65sEQVBxu9zHw=="}"#);
    /// # Ok::<(), ipv_crypto::KeyLengthError>(())
    /// ```
    pub fn seal_buffer_into(&self, buf: &mut Vec<u8>, out: &mut String) {
        self.encrypt_in_place(buf);
        b64::encode_into(buf, out);
    }

    /// Decodes base64 `sealed` and decrypts it.
    ///
    /// ```
    /// use ipv_crypto::{Key, OpenError};
    ///
    /// let key = Key::new(b"qwertyuiop123456")?;
    /// assert_eq!(key.open(b"5cfJMwX0w65sEQVBxu9zHw==").unwrap(), b"TestMessage");
    /// assert_eq!(key.open(b"not base64!"), Err(OpenError::Base64));
    /// assert_eq!(key.open(b"AAAAAAAAAAAAAAAAAAAAAA=="), Err(OpenError::Decrypt));
    /// # Ok::<(), ipv_crypto::KeyLengthError>(())
    /// ```
    ///
    /// # Errors
    /// [`OpenError::Base64`] for text that is not base64, [`OpenError::Decrypt`] for
    /// bytes that do not decrypt.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let mut out = Vec::new();
        self.open_into(sealed, &mut out)?;
        Ok(out)
    }

    /// Decodes and decrypts `sealed` into `out`, replacing its contents with the
    /// plaintext. `out`'s capacity is reused, so a caller can keep one buffer.
    ///
    /// ```
    /// use ipv_crypto::Key;
    ///
    /// let key = Key::new(b"qwertyuiop123456")?;
    /// let mut out = Vec::new();
    /// for _ in 0..3 {
    ///     key.open_into(b"5cfJMwX0w65sEQVBxu9zHw==", &mut out).unwrap();
    ///     assert_eq!(out, b"TestMessage");
    /// }
    /// # Ok::<(), ipv_crypto::KeyLengthError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Key::open`]; `out` is left empty.
    pub fn open_into(&self, sealed: &[u8], out: &mut Vec<u8>) -> Result<(), OpenError> {
        out.clear();
        out.reserve(sealed.len() / 4 * 3);
        if let Err(e) = b64::decode_into(sealed, out) {
            out.clear();
            return Err(e.into());
        }
        self.decrypt_in_place(out)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2024::*;
    use std::{format, vec};

    #[test]
    fn document_vector() {
        let key = Key::new(b"qwertyuiop123456").unwrap();
        assert_eq!(key.seal(b"TestMessage"), "5cfJMwX0w65sEQVBxu9zHw==");
        assert_eq!(
            key.open(b"5cfJMwX0w65sEQVBxu9zHw==").unwrap(),
            b"TestMessage"
        );
    }

    #[test]
    fn bad_lengths_are_typed() {
        for len in [0usize, 1, 15, 17, 23, 25, 31, 33, 64] {
            let err = Key::new(&vec![7u8; len]).unwrap_err();
            assert_eq!(err.len, len);
            assert!(err.to_string().contains(&len.to_string()));
        }
    }

    #[test]
    fn debug_shows_no_key() {
        let key = Key::new(b"qwertyuiop123456").unwrap();
        let dbg = format!("{key:?}");
        assert!(!dbg.contains("qwerty"), "{dbg}");
        assert!(dbg.contains("Aes128"));
    }

    #[test]
    fn in_place_and_into_agree() {
        let key = Key::new(&[9u8; 32]).unwrap();
        for len in 0..70 {
            let pt: Vec<u8> = (0..len as u8).collect();
            let mut a = pt.clone();
            key.encrypt_in_place(&mut a);
            let mut b = vec![1, 2, 3];
            key.encrypt_into(&pt, &mut b);
            assert_eq!(&b[3..], &a[..]);
            assert_eq!(a.len(), Key::ciphertext_len(len));
            assert_eq!(key.decrypt(&a).unwrap(), pt);
        }
    }
}
