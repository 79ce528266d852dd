//! CBC chaining and PKCS#7 padding, written directly over the AES backend.
//!
//! Why not the `cbc` crate: measured on 16 KiB (see `benches/raw.rs` and
//! `docs/performance.md`), its encryptor keeps the chaining value behind a reference, so
//! every block stores it to memory and loads it back (a store-to-load forward on the
//! serial critical path, ~20% of the time), and its parallel decryptor copies every
//! 64-block batch twice before and once after the cipher (a third of the time in
//! `memmove`). Here the chaining value stays in a register, and decryption goes
//! backwards through the buffer, deciphering a batch into a stack scratch and XOR-ing
//! it with ciphertext that has not been overwritten yet, so no byte is copied twice.
//!
//! Both closures run inside `encrypt_with_backend` / `decrypt_with_backend`, that is
//! inside the AES crate's `#[target_feature]` context (AES-NI, VAES), so the per-block
//! cipher is inlined into the loop rather than dispatched on every call.

use aes::cipher::consts::U16;
use aes::cipher::{
    Array, BlockCipherDecBackend, BlockCipherDecClosure, BlockCipherEncBackend,
    BlockCipherEncClosure, BlockSizeUser,
};

use zeroize::Zeroize;

use crate::key::BLOCK_LEN;

/// A 16-byte block as the AES backends take it.
type Block16 = Array<u8, U16>;

/// XORs `other` into `block`, as two 64-bit words (one vector op once compiled).
#[inline(always)]
fn xor_into(block: &mut Block16, other: &Block16) {
    for (b, o) in block.iter_mut().zip(other.iter()) {
        *b ^= *o;
    }
}

/// CBC-encrypts `blocks` (a whole number of blocks) in place, chaining from `iv`.
pub(crate) struct Encrypt<'a> {
    pub(crate) iv: &'a [u8; BLOCK_LEN],
    pub(crate) blocks: &'a mut [u8],
}

impl BlockSizeUser for Encrypt<'_> {
    type BlockSize = U16;
}

impl BlockCipherEncClosure for Encrypt<'_> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        let (blocks, rest) = Block16::slice_as_chunks_mut(self.blocks);
        debug_assert!(rest.is_empty(), "callers pass whole blocks");
        // The chaining value lives in a local the compiler keeps in a register: the only
        // work on the serial path is one XOR and the AES rounds.
        let mut chain = Block16::from(*self.iv);
        for block in blocks {
            xor_into(&mut chain, block);
            backend.encrypt_block_inplace(&mut chain);
            *block = chain;
        }
    }
}

/// CBC-decrypts `blocks` (a whole number of blocks) in place, chaining from `iv`.
pub(crate) struct Decrypt<'a> {
    pub(crate) iv: &'a [u8; BLOCK_LEN],
    pub(crate) blocks: &'a mut [u8],
}

impl BlockSizeUser for Decrypt<'_> {
    type BlockSize = U16;
}

impl BlockCipherDecClosure for Decrypt<'_> {
    #[inline(always)]
    fn call<B: BlockCipherDecBackend<BlockSize = U16>>(self, backend: &B) {
        let (blocks, rest) = Block16::slice_as_chunks_mut(self.blocks);
        debug_assert!(rest.is_empty(), "callers pass whole blocks");
        // Plain `[u8; 16]`s so the plaintext left here can be wiped below.
        let mut scratch_bytes = [[0u8; BLOCK_LEN]; DECRYPT_BATCH];
        let scratch = Block16::cast_slice_from_core_mut(&mut scratch_bytes);

        // Batches from the end: plaintext block i needs ciphertext block i - 1, which is
        // still intact because everything below the current batch is untouched.
        let mut end = blocks.len();
        while end > 0 {
            let start = end.saturating_sub(DECRYPT_BATCH);
            let (below, batch) = blocks[..end].split_at_mut(start);
            let scratch = &mut scratch[..batch.len()];
            // Independent blocks: the out-of-order core overlaps their AES rounds.
            for (cipher, plain) in batch.iter().zip(scratch.iter_mut()) {
                backend.decrypt_block((cipher, plain).into());
            }
            // Highest block first, so `batch[i - 1]` is still ciphertext when read.
            for i in (1..batch.len()).rev() {
                let mut plain = scratch[i];
                xor_into(&mut plain, &batch[i - 1]);
                batch[i] = plain;
            }
            let previous = below.last().map_or(Block16::from(*self.iv), |b| *b);
            let mut plain = scratch[0];
            xor_into(&mut plain, &previous);
            batch[0] = plain;
            end = start;
        }
        // Deciphered bytes on the stack are plaintext; do not leave them there.
        scratch_bytes.zeroize();
    }
}

/// Blocks deciphered before their XOR pass: enough independent AES chains in flight to
/// fill the AES units, small enough to stay in registers and L1.
const DECRYPT_BATCH: usize = 16;

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
