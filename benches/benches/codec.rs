//! The codec and cipher on the shared fixtures, comparable with the Go SDK's figures in
//! the `ipv-fixtures` crate's `data/README.md`.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ipv_api::codec;
use ipv_benches::{APP_KEY, REQUEST_SECRET, RESPONSE_SECRET, fixture};
use ipv_crypto::Key;
use ipv_types::{ApiCode, OpenInstancesRequest, Product};

fn seal(c: &mut Criterion) {
    let key = Key::new(REQUEST_SECRET).unwrap();
    let request: OpenInstancesRequest =
        serde_json::from_slice(&fixture("open-request-2-params.json")).unwrap();
    let mut group = c.benchmark_group("seal");
    group.bench_function("request open 2 params aes128", |b| {
        b.iter(|| {
            codec::seal_request(
                &key,
                APP_KEY,
                black_box("reqId_1732780800000000001"),
                Some(black_box(&request)),
            )
            .unwrap()
        });
    });

    let key256 = Key::new(RESPONSE_SECRET).unwrap();
    let products: Vec<Product> = serde_json::from_slice(&fixture("products-100.json")).unwrap();
    let json_len = serde_json::to_vec(&products).unwrap().len() as u64;
    group.throughput(Throughput::Bytes(json_len));
    group.bench_function("response 100 products aes256", |b| {
        b.iter(|| {
            codec::seal_response(&key256, "r", ApiCode::Ok, "ok", Some(black_box(&products)))
                .unwrap()
        });
    });
    group.bench_function("request 100 products as params aes256", |b| {
        b.iter(|| codec::seal_request(&key256, APP_KEY, "r", Some(black_box(&products))).unwrap());
    });
    group.finish();
}

fn open(c: &mut Criterion) {
    let key = Key::new(RESPONSE_SECRET).unwrap();
    let body = fixture("response-products-100.aes256.json");
    let mut group = c.benchmark_group("open");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("response 100 products aes256", |b| {
        b.iter(|| {
            let opened = codec::open_response::<Vec<Product>>(&key, black_box(&body)).unwrap();
            assert_eq!(opened.data.as_ref().map(Vec::len), Some(100));
            opened
        });
    });
    group.finish();
}

fn cipher(c: &mut Criterion) {
    const LEN: usize = 16 * 1024;
    let plaintext: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
    let mut group = c.benchmark_group("cipher 16 KiB");
    group.throughput(Throughput::Bytes(LEN as u64));
    for (name, secret) in [("aes128", REQUEST_SECRET), ("aes256", RESPONSE_SECRET)] {
        let key = Key::new(secret).unwrap();
        group.bench_function(format!("encrypt {name}"), |b| {
            b.iter_batched_ref(
                || {
                    let mut buf = Vec::with_capacity(Key::ciphertext_len(LEN));
                    buf.extend_from_slice(&plaintext);
                    buf
                },
                |buf| key.encrypt_in_place(buf),
                BatchSize::SmallInput,
            );
        });
        let ciphertext = key.encrypt(&plaintext);
        group.bench_function(format!("decrypt {name}"), |b| {
            b.iter_batched_ref(
                || ciphertext.clone(),
                |buf| key.decrypt_in_place(buf).unwrap(),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, seal, open, cipher);
criterion_main!(benches);
