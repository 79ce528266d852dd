//! CBC over the `aes` backend through RustCrypto's `cbc` crate, and PKCS#7 padding.
//!
//! The mode is `cbc`'s: the chaining and its parallel decryptor are theirs, driven on
//! whole blocks ([`encrypt`], [`decrypt`]); the padding is added and checked here.
//!
//! Why the padding check is ours: `cbc` re-exports `block-padding` (0.4) for its
//! `*_padded` calls, and its `Pkcs7::unpad` is not constant-time: it returns early when
//! the length byte is 0 or above the block size, and its strict check is an
//! `iter().any(..)` that stops at the first wrong byte. With the protocol's IV = key, a
//! timing difference on where padding goes wrong is the start of a padding oracle, so
//! [`unpadded_len`] reads the whole last block with no early exit, and the caller turns
//! every failure into the one opaque `DecryptError`.

use aes::cipher::consts::U16;
use aes::cipher::{
    Array, BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt,
    BlockSizeUser, InnerIvInit,
};

use crate::key::BLOCK_LEN;

/// A 16-byte block as the cipher crates take it.
type Block16 = Array<u8, U16>;

/// CBC-encrypts `blocks` (a whole number of blocks, already padded) in place, chaining
/// from `iv`, with the expanded key schedule `cipher`.
pub(crate) fn encrypt<C>(cipher: &C, iv: &[u8; BLOCK_LEN], blocks: &mut [u8])
where
    C: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16>,
{
    let (blocks, rest) = Block16::slice_as_chunks_mut(blocks);
    debug_assert!(rest.is_empty(), "callers pass whole blocks");
    // Borrowing the schedule (`&C` is itself a block cipher) costs no copy of the round
    // keys per call; the encryptor's own IV copy is wiped when it drops.
    cbc::Encryptor::<&C>::inner_iv_init(cipher, &Block16::from(*iv)).encrypt_blocks(blocks);
}

/// CBC-decrypts `blocks` (a whole number of blocks) in place, chaining from `iv`; the
/// caller checks and strips the padding.
pub(crate) fn decrypt<C>(cipher: &C, iv: &[u8; BLOCK_LEN], blocks: &mut [u8])
where
    C: BlockCipherDecrypt + BlockSizeUser<BlockSize = U16>,
{
    let (blocks, rest) = Block16::slice_as_chunks_mut(blocks);
    debug_assert!(rest.is_empty(), "callers pass whole blocks");
    // `cbc` deciphers batches in temporaries of its own and does not wipe them; unlike
    // the buffer (wiped by the caller on refusal), those stack bytes are out of our reach.
    cbc::Decryptor::<&C>::inner_iv_init(cipher, &Block16::from(*iv)).decrypt_blocks(blocks);
}

/// The PKCS#7 padding length for a message of `msg_len` bytes: 1..=16, and every
/// padding byte holds it.
pub(crate) const fn pad_len(msg_len: usize) -> u8 {
    // 1..=16, so the cast is exact.
    (BLOCK_LEN - msg_len % BLOCK_LEN) as u8
}

/// The plaintext length of a decrypted buffer, if its PKCS#7 padding is well formed.
///
/// Strict: the padding length must be 1..=16 and every padding byte must equal it. The
/// last block is checked in full with no early exit, so the time taken does not depend
/// on where the padding goes wrong.
pub(crate) fn unpadded_len(plain: &[u8]) -> Option<usize> {
    let last: &[u8; BLOCK_LEN] = plain.last_chunk()?;
    let pad_len = last[BLOCK_LEN - 1];
    let mut bad = u8::from(pad_len == 0) | u8::from(usize::from(pad_len) > BLOCK_LEN);
    for (i, &byte) in last.iter().enumerate() {
        // Position from the end, 1..=16; bytes inside the padding must equal `pad_len`.
        let from_end = (BLOCK_LEN - i) as u8;
        let in_padding = u8::from(from_end <= pad_len);
        bad |= in_padding & u8::from(byte != pad_len);
    }
    (bad == 0).then(|| plain.len() - usize::from(pad_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::prelude::rust_2024::*;
    use std::vec;

    #[test]
    fn pad_adds_one_to_sixteen_bytes() {
        for len in 0..40 {
            let mut buf = vec![0xAA; len];
            let pad = pad_len(len);
            buf.resize(len + usize::from(pad), pad);
            assert_eq!(buf.len() % BLOCK_LEN, 0);
            let pad_len = buf.len() - len;
            assert!((1..=16).contains(&pad_len), "{len}: {pad_len}");
            assert!(buf[len..].iter().all(|&b| usize::from(b) == pad_len));
            assert_eq!(unpadded_len(&buf), Some(len));
        }
    }

    #[test]
    fn unpad_refuses_every_malformed_tail() {
        assert_eq!(unpadded_len(&[]), None);
        let mut block = [5u8; 16];
        assert_eq!(unpadded_len(&block), Some(11));
        block[15] = 0;
        assert_eq!(unpadded_len(&block), None, "zero padding length");
        block[15] = 17;
        assert_eq!(unpadded_len(&block), None, "padding longer than a block");
        let mut block = [3u8; 16];
        block[13] = 2;
        assert_eq!(unpadded_len(&block), None, "a padding byte differs");
        block[12] = 9; // outside the padding: ignored
        block[13] = 3;
        assert_eq!(unpadded_len(&block), Some(13));
        assert_eq!(unpadded_len(&[16u8; 16]), Some(0));
        let mut two = [16u8; 32];
        two[..16].fill(1);
        assert_eq!(unpadded_len(&two), Some(16));
    }
}
