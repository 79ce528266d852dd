//! The hand-written CBC chaining (`src/chain.rs`) against a textbook CBC built on the
//! `aes` crate's one-block cipher, for every key size and for every length from 0 to
//! 2,100 bytes: that crosses the decryptor's 16-block batches many times, with full and
//! short front batches, and one, two and many batches.

use aes::cipher::consts::U16;
use aes::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, BlockSizeUser, KeyInit};
use aes::{Aes128, Aes192, Aes256};
use ipv_crypto::{BLOCK_LEN, Key};

/// Textbook CBC with PKCS#7 and IV = first 16 key bytes, one block at a time.
fn reference_encrypt<C: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16> + KeyInit>(
    secret: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    let cipher = C::new_from_slice(secret).expect("valid key length");
    let pad = BLOCK_LEN - plaintext.len() % BLOCK_LEN;
    let mut padded = plaintext.to_vec();
    padded.extend(std::iter::repeat_n(pad as u8, pad));
    let mut chain: [u8; BLOCK_LEN] = secret[..BLOCK_LEN].try_into().unwrap();
    let mut out = Vec::with_capacity(padded.len());
    for block in padded.chunks_exact(BLOCK_LEN) {
        let mut b = Array::from(chain);
        for (x, p) in b.iter_mut().zip(block) {
            *x ^= p;
        }
        cipher.encrypt_block(&mut b);
        chain = b.into();
        out.extend_from_slice(&chain);
    }
    out
}

/// Textbook CBC decryption without unpadding, one block at a time.
fn reference_decrypt_raw<C: BlockCipherDecrypt + BlockSizeUser<BlockSize = U16> + KeyInit>(
    secret: &[u8],
    ciphertext: &[u8],
) -> Vec<u8> {
    let cipher = C::new_from_slice(secret).expect("valid key length");
    let mut previous: [u8; BLOCK_LEN] = secret[..BLOCK_LEN].try_into().unwrap();
    let mut out = Vec::with_capacity(ciphertext.len());
    for block in ciphertext.chunks_exact(BLOCK_LEN) {
        let mut b = Array::try_from(block).unwrap();
        cipher.decrypt_block(&mut b);
        for (x, p) in b.iter_mut().zip(previous) {
            *x ^= p;
        }
        out.extend_from_slice(&b);
        previous = block.try_into().unwrap();
    }
    out
}

fn check_all_lengths<
    C: BlockCipherEncrypt + BlockCipherDecrypt + BlockSizeUser<BlockSize = U16> + KeyInit,
>(
    secret: &[u8],
) {
    let key = Key::new(secret).unwrap();
    let data: Vec<u8> = (0..2100u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for len in 0..=data.len() {
        let plaintext = &data[..len];
        let expected = reference_encrypt::<C>(secret, plaintext);
        let ciphertext = key.encrypt(plaintext);
        assert_eq!(ciphertext, expected, "encrypt, {} bytes", len);
        assert_eq!(
            key.decrypt(&ciphertext).unwrap(),
            plaintext,
            "decrypt, {len} bytes"
        );
        // Raw decryption of arbitrary whole blocks, checked through the padding rule:
        // a ciphertext whose raw plaintext ends in a valid pad decrypts to the rest.
        if len % BLOCK_LEN == 0 && len > 0 {
            let raw = reference_decrypt_raw::<C>(secret, &data[..len]);
            let pad = usize::from(raw[len - 1]);
            let well_padded = (1..=BLOCK_LEN).contains(&pad)
                && raw[len - pad..].iter().all(|&b| usize::from(b) == pad);
            match key.decrypt(&data[..len]) {
                Ok(plain) => {
                    assert!(well_padded, "accepted a bad pad, {len} bytes");
                    assert_eq!(plain, raw[..len - pad], "raw decrypt, {len} bytes");
                }
                Err(_) => assert!(!well_padded, "refused a good pad, {len} bytes"),
            }
        }
    }
}

#[test]
fn aes128_matches_textbook_cbc_at_every_length() {
    check_all_lengths::<Aes128>(b"qwertyuiop123456");
}

#[test]
fn aes192_matches_textbook_cbc_at_every_length() {
    check_all_lengths::<Aes192>(b"0123456789abcdefghijklmn");
}

#[test]
fn aes256_matches_textbook_cbc_at_every_length() {
    check_all_lengths::<Aes256>(b"xx1vsogzzvqvrgml7f6sc233p8vdqev2");
}

/// Ciphertexts chosen so that the raw plaintext ends in each possible padding, through
/// several decrypt batches: the unpadding sees exactly the last block.
#[test]
fn every_padding_length_through_long_buffers() {
    let key = Key::new(b"qwertyuiop123456").unwrap();
    for blocks in [1usize, 15, 16, 17, 33, 100] {
        for pad in 1..=BLOCK_LEN {
            let msg_len = blocks * BLOCK_LEN - pad;
            let plaintext: Vec<u8> = (0..msg_len).map(|i| i as u8).collect();
            let ciphertext = key.encrypt(&plaintext);
            assert_eq!(ciphertext.len(), blocks * BLOCK_LEN);
            assert_eq!(key.decrypt(&ciphertext).unwrap(), plaintext);
        }
    }
}
