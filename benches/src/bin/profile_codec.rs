//! A tiny driver for profilers (perf, callgrind): repeats one codec operation.
//!
//! `cargo build --release -p ipv-benches --bin profile_codec` then
//! `valgrind --tool=callgrind target/release/profile_codec open 20` (or `seal`, `seal100`),
//! or `perf record -e cpu-clock target/release/profile_codec open 1000`.
use std::hint::black_box;

use ipv_api::codec;
use ipv_benches::{APP_KEY, REQUEST_SECRET, RESPONSE_SECRET, fixture};
use ipv_crypto::Key;
use ipv_types::{ApiCode, OpenInstancesRequest, Product};

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "open".to_owned());
    let rounds: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    match what.as_str() {
        "open" => {
            let key = Key::new(RESPONSE_SECRET).expect("fixture key");
            let body = fixture("response-products-100.aes256.json");
            for _ in 0..rounds {
                let opened = codec::open_response::<Vec<Product>>(&key, black_box(&body))
                    .expect("fixture opens");
                black_box(opened);
            }
        }
        "seal" => {
            let key = Key::new(REQUEST_SECRET).expect("fixture key");
            let request: OpenInstancesRequest =
                serde_json::from_slice(&fixture("open-request-2-params.json")).expect("fixture");
            for _ in 0..rounds {
                black_box(
                    codec::seal_request(&key, APP_KEY, "reqId_1", Some(black_box(&request)))
                        .expect("seals"),
                );
            }
        }
        "seal100" => {
            let key = Key::new(RESPONSE_SECRET).expect("fixture key");
            let products: Vec<Product> =
                serde_json::from_slice(&fixture("products-100.json")).expect("fixture");
            for _ in 0..rounds {
                black_box(
                    codec::seal_response(&key, "r", ApiCode::Ok, "ok", Some(black_box(&products)))
                        .expect("seals"),
                );
            }
        }
        other => eprintln!("unknown operation {other}: use open, seal or seal100"),
    }
}
