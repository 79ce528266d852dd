//! CBC over the `aes` backend through RustCrypto's `cbc` crate, and PKCS#7 padding.
//!
//! The mode is `cbc`'s: the chaining and its parallel decryptor are theirs, driven on
//! whole blocks ([`encrypt`], [`decrypt`]); the padding is added and checked here.
//!
//! Two things are chosen here, not in `cbc`, because its drivers are slow on the CPUs
//! `aes` 0.9 gives its VAES back ends (see `docs/performance.md` for the figures):
//!
//! * how blocks are fed to its encryptor ([`Staged`]: through a stage on our stack, so
//!   the chaining value stays in a register);
//! * how many blocks its decryptor deciphers per batch ([`Batched`]). `cbc` takes the
//!   width from the cipher's back end, and the VAES-512 one (any CPU with `avx512f` and
//!   `vaes`) asks for 64 blocks, which `cbc` copies twice on the stack around the call.
//!   [`Batched`] hands `cbc` the same back end with a narrower batch, deciphered block
//!   by block through the back end's own `decrypt_block` (AES-NI), which the CPU
//!   overlaps. The width that measured best depends on the key's round count: 8 for
//!   AES-128, 6 for AES-192, 5 for AES-256 ([`DecryptBatch128`] and its siblings).
//!
//! Why the padding check is ours: `cbc` re-exports `block-padding` (0.4) for its
//! `*_padded` calls, and its `Pkcs7::unpad` is not constant-time: it returns early when
//! the length byte is 0 or above the block size, and its strict check is an
//! `iter().any(..)` that stops at the first wrong byte. With the protocol's IV = key, a
//! timing difference on where padding goes wrong is the start of a padding oracle, so
//! [`unpadded_len`] reads the whole last block with no early exit, and the caller turns
//! every failure into the one opaque `DecryptError`.

use core::marker::PhantomData;

use aes::cipher::array::ArraySize;
use aes::cipher::consts::{U5, U6, U8, U16};
use aes::cipher::{
    Array, BlockCipherDecBackend, BlockCipherDecClosure, BlockCipherDecrypt, BlockCipherEncrypt,
    BlockModeDecrypt, BlockModeEncBackend, BlockModeEncClosure, BlockModeEncrypt, BlockSizeUser,
    InOut, InnerIvInit, ParBlocks, ParBlocksSizeUser,
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
    cbc::Encryptor::<&C>::inner_iv_init(cipher, &Block16::from(*iv))
        .encrypt_with_backend(Staged(blocks));
}

/// Blocks per stage of [`Staged`]: 16 (256 bytes of stack).
const STAGE_BLOCKS: usize = 16;

/// Drives `cbc`'s encrypting back end over `blocks`, a stage of [`STAGE_BLOCKS`] at a
/// time, through a copy on the stack.
///
/// Why the copy: `cbc`'s back end keeps the chaining value behind a `&mut` it was handed
/// from outside the cipher's (non-inlined, `target_feature`) call, and writes each block
/// through another pointer; the compiler cannot tell the two apart, so over the caller's
/// buffer it stores the chaining value and loads it back for every block, a
/// store-to-load forward on the serial path of each block. Written into a buffer of our
/// own stack frame, which nothing outside can point into, the chaining value stays in a
/// register for the whole stage. Measured on an AMD EPYC with VAES-512, AES-128, 16 KiB:
/// 1.04 GB/s over the caller's buffer, 1.37 GB/s staged (see `docs/performance.md`).
/// The chaining itself (the XOR with the previous block, and carrying it on) is still
/// `cbc`'s; the stage holds nothing but ciphertext once each block is done.
struct Staged<'a>(&'a mut [Block16]);

impl BlockSizeUser for Staged<'_> {
    type BlockSize = U16;
}

impl BlockModeEncClosure for Staged<'_> {
    #[inline(always)]
    fn call<B: BlockModeEncBackend<BlockSize = U16>>(self, backend: &mut B) {
        let mut stage = [Block16::default(); STAGE_BLOCKS];
        for chunk in self.0.chunks_mut(STAGE_BLOCKS) {
            let stage = &mut stage[..chunk.len()];
            stage.copy_from_slice(chunk);
            for block in stage.iter_mut() {
                backend.encrypt_block(block.into());
            }
            chunk.copy_from_slice(stage);
        }
    }
}

/// CBC-decrypts `blocks` (a whole number of blocks) in place, chaining from `iv`; the
/// caller checks and strips the padding.
/// `N` is the batch width for `C` ([`DecryptBatch128`] and its siblings).
pub(crate) fn decrypt<C, N>(cipher: &C, iv: &[u8; BLOCK_LEN], blocks: &mut [u8])
where
    C: BlockCipherDecrypt + BlockSizeUser<BlockSize = U16>,
    N: ArraySize,
{
    let (blocks, rest) = Block16::slice_as_chunks_mut(blocks);
    debug_assert!(rest.is_empty(), "callers pass whole blocks");
    // `cbc` deciphers batches in temporaries of its own and does not wipe them; unlike
    // the buffer (wiped by the caller on refusal), those stack bytes are out of our reach.
    cbc::Decryptor::<Batched<'_, C, N>>::inner_iv_init(
        Batched(cipher, PhantomData),
        &Block16::from(*iv),
    )
    .decrypt_blocks(blocks);
}

/// Blocks per decryption batch for AES-128 (of 4, 6, 8, 12, 16, 32 and the back end's
/// own 64, as measured on an AMD EPYC with VAES-512: 10.0 GB/s against 5.9 at 64).
pub(crate) type DecryptBatch128 = U8;
/// Blocks per decryption batch for AES-192 (of 5, 6 and 8 as measured: 7.3 GB/s
/// against 6.3 and 6.5).
pub(crate) type DecryptBatch192 = U6;
/// Blocks per decryption batch for AES-256 (of 2 to 8 and 64 as measured: 5.9 GB/s at
/// 5 against 5.3 at 8 and 5.4 at 64). With 15 round keys and only 16 registers for
/// AES-NI, a wider batch spills.
pub(crate) type DecryptBatch256 = U5;

/// A block cipher seen through a back end that deciphers `N` blocks per batch;
/// everything else (the key schedule, the back end `aes` picks for the CPU, the
/// single-block path) is the inner cipher's.
struct Batched<'a, C, N>(&'a C, PhantomData<N>);

impl<C, N> BlockSizeUser for Batched<'_, C, N> {
    type BlockSize = U16;
}

impl<C, N> BlockCipherDecrypt for Batched<'_, C, N>
where
    C: BlockCipherDecrypt + BlockSizeUser<BlockSize = U16>,
    N: ArraySize,
{
    #[inline]
    fn decrypt_with_backend(&self, f: impl BlockCipherDecClosure<BlockSize = U16>) {
        /// Passes the inner cipher's back end on to `f`, narrowed to `N` blocks.
        struct Narrowing<F, N>(F, PhantomData<N>);

        impl<F, N> BlockSizeUser for Narrowing<F, N> {
            type BlockSize = U16;
        }

        impl<F, N> BlockCipherDecClosure for Narrowing<F, N>
        where
            F: BlockCipherDecClosure<BlockSize = U16>,
            N: ArraySize,
        {
            #[inline(always)]
            fn call<B: BlockCipherDecBackend<BlockSize = U16>>(self, backend: &B) {
                self.0.call(&Narrow::<B, N>(backend, PhantomData));
            }
        }

        self.0
            .decrypt_with_backend(Narrowing::<_, N>(f, PhantomData));
    }
}

/// The inner back end `B`, deciphering `N` blocks per batch one at a time.
struct Narrow<'a, B, N>(&'a B, PhantomData<N>);

impl<B, N> BlockSizeUser for Narrow<'_, B, N> {
    type BlockSize = U16;
}

impl<B, N: ArraySize> ParBlocksSizeUser for Narrow<'_, B, N> {
    type ParBlocksSize = N;
}

impl<B, N> BlockCipherDecBackend for Narrow<'_, B, N>
where
    B: BlockCipherDecBackend<BlockSize = U16>,
    N: ArraySize,
{
    #[inline(always)]
    fn decrypt_block(&self, block: InOut<'_, '_, Block16>) {
        self.0.decrypt_block(block);
    }

    #[inline(always)]
    fn decrypt_par_blocks(&self, mut blocks: InOut<'_, '_, ParBlocks<Self>>) {
        // Independent blocks: the CPU runs their AES rounds side by side.
        for i in 0..N::USIZE {
            self.0.decrypt_block(blocks.get(i));
        }
    }
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

    /// The staged encryptor and the narrowed decryptor give what `cbc` gives driven
    /// directly, for every length around the stage and batch widths (a stage of 16,
    /// batches of 5, 6 and 8 here; 8 to 64 in the back ends) and every key size. `cbc`
    /// is on both sides of this comparison; the openssl and NIST vectors in `tests/`
    /// (through `Key`, with the widths it picks) check against outside truth.
    #[test]
    fn staged_and_narrowed_paths_match_cbc_driven_directly() {
        use aes::cipher::KeyInit;
        fn check<C>(cipher: &C)
        where
            C: BlockCipherEncrypt + BlockCipherDecrypt + BlockSizeUser<BlockSize = U16>,
        {
            let iv: [u8; BLOCK_LEN] = core::array::from_fn(|i| (i * 7) as u8);
            for blocks in [1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 130] {
                let plain: Vec<u8> = (0..blocks * BLOCK_LEN)
                    .map(|i| (i * 31 % 251) as u8)
                    .collect();
                let mut ours = plain.clone();
                encrypt(cipher, &iv, &mut ours);
                let mut direct = plain.clone();
                let (chunks, _) = Block16::slice_as_chunks_mut(&mut direct);
                cbc::Encryptor::<&C>::inner_iv_init(cipher, &Block16::from(iv))
                    .encrypt_blocks(chunks);
                assert_eq!(ours, direct, "{blocks} blocks staged, encrypted");
                let mut theirs = ours.clone();
                let mut six = ours.clone();
                decrypt::<C, U6>(cipher, &iv, &mut six);
                assert_eq!(six, plain, "{blocks} blocks, batches of 6");
                let mut five = ours.clone();
                decrypt::<C, U5>(cipher, &iv, &mut five);
                assert_eq!(five, plain, "{blocks} blocks, batches of 5");
                decrypt::<C, U8>(cipher, &iv, &mut ours);
                let (chunks, _) = Block16::slice_as_chunks_mut(&mut theirs);
                cbc::Decryptor::<&C>::inner_iv_init(cipher, &Block16::from(iv))
                    .decrypt_blocks(chunks);
                assert_eq!(ours, plain, "{blocks} blocks");
                assert_eq!(theirs, plain, "{blocks} blocks, back end's batches");
            }
        }
        check(&aes::Aes128::new(&[1u8; 16].into()));
        check(&aes::Aes192::new(&[2u8; 24].into()));
        check(&aes::Aes256::new(&[3u8; 32].into()));
    }

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
