//! Raw AES-CBC throughput on 16 KiB buffers, in place and without allocation, for
//! AES-128 and AES-256: the figures to set beside `openssl speed -evp aes-{128,256}-cbc
//! -bytes 16384` (printed by `benches/openssl-speed.sh`, run in the same sitting).
//!
//! Encrypt is measured on a full 16 KiB buffer whose padding block is already reserved
//! (so the cipher runs over 16,400 bytes, as `encrypt_in_place` always does), and decrypt
//! on the 16 KiB + 16 ciphertext of it. Each iteration first restores its input with a
//! copy into the reused buffer (`openssl speed` instead re-encrypts its buffer in place);
//! that copy is included in the figures, so they understate the cipher slightly. The
//! `copy` case measures the copy alone, to subtract if wanted.

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ipv_crypto::Key;

/// The payload size `openssl speed -bytes 16384` uses.
const LEN: usize = 16 * 1024;

fn keys() -> [(&'static str, Key); 2] {
    [
        (
            "aes128",
            Key::new(b"qwertyuiop123456").expect("16-byte key"),
        ),
        (
            "aes256",
            Key::new(b"xx1vsogzzvqvrgml7f6sc233p8vdqev2").expect("32-byte key"),
        ),
    ]
}

fn raw(c: &mut Criterion) {
    let plaintext: Vec<u8> = (0..LEN).map(|i| (i * 31 % 251) as u8).collect();
    let mut group = c.benchmark_group("raw_cbc_16k");
    group.throughput(Throughput::BytesDecimal(LEN as u64));
    let mut buf = Vec::with_capacity(LEN);
    group.bench_function("copy", |b| {
        b.iter(|| {
            buf.clear();
            buf.extend_from_slice(black_box(&plaintext));
            black_box(buf.len())
        });
    });
    for (name, key) in keys() {
        // Capacity for the padding block up front: the loop never reallocates.
        let mut buf = Vec::with_capacity(Key::ciphertext_len(LEN));
        group.bench_function(format!("{name}/encrypt"), |b| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(&plaintext);
                key.encrypt_in_place(black_box(&mut buf));
                black_box(buf.len())
            });
        });

        let ciphertext = key.encrypt(&plaintext);
        let mut buf = Vec::with_capacity(ciphertext.len());
        group.bench_function(format!("{name}/decrypt"), |b| {
            b.iter(|| {
                buf.clear();
                buf.extend_from_slice(&ciphertext);
                key.decrypt_in_place(black_box(&mut buf))
                    .expect("own ciphertext decrypts");
                black_box(buf.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, raw);
criterion_main!(benches);
