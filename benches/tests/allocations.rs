//! Heap allocations of the codec's hot paths, counted with dhat's global allocator.
//!
//! Allocation counts are deterministic (unlike timings), so they can be asserted. This
//! file holds a single test: dhat counts the whole process, and one test at a time keeps
//! other tests' allocations out of the count.

use ipv_api::codec;
use ipv_benches::{APP_KEY, REQUEST_SECRET, RESPONSE_SECRET, fixture};
use ipv_crypto::Key;
use ipv_types::{OpenInstancesRequest, Product};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Heap blocks allocated while `f` runs.
fn blocks_during<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let before = dhat::HeapStats::get().total_blocks;
    let out = f();
    let after = dhat::HeapStats::get().total_blocks;
    (after - before, out)
}

#[test]
fn seal_of_the_two_param_request_makes_at_most_three_allocations() {
    let _profiler = dhat::Profiler::builder().testing().build();

    let key = Key::new(REQUEST_SECRET).expect("fixture key");
    let request: OpenInstancesRequest =
        serde_json::from_slice(&fixture("open-request-2-params.json")).expect("fixture parses");
    // The first seal on a thread sizes its reusable scratch buffer.
    let first = codec::seal_request(&key, APP_KEY, "reqId_warm", Some(&request)).expect("seals");

    let (one, body) = blocks_during(|| {
        codec::seal_request(&key, APP_KEY, "reqId_1732780800000000001", Some(&request))
            .expect("seals")
    });
    assert!(one <= 3, "one seal made {one} allocations");
    // The body is the real thing: same length as the warm-up (same reqId length aside).
    assert_eq!(
        body.len() - "reqId_1732780800000000001".len(),
        first.len() - "reqId_warm".len()
    );

    const ROUNDS: u64 = 1000;
    let (many, ()) = blocks_during(|| {
        for _ in 0..ROUNDS {
            let body =
                codec::seal_request(&key, APP_KEY, "reqId_1", Some(&request)).expect("seals");
            assert!(!body.is_empty());
        }
    });
    assert!(many <= 3 * ROUNDS, "{ROUNDS} seals made {many} allocations");
    println!("seal of the 2-param request: {one} allocation(s); {many} over {ROUNDS} seals");

    // Opening 100 products allocates what the owned result needs (its strings and
    // lists) plus a fixed few for the envelope and the plaintext; report it.
    let key256 = Key::new(RESPONSE_SECRET).expect("fixture key");
    let envelope = fixture("response-products-100.aes256.json");
    let (open_blocks, opened) =
        blocks_during(|| codec::open_response::<Vec<Product>>(&key256, &envelope).expect("opens"));
    assert_eq!(opened.data.as_ref().map(Vec::len), Some(100));
    println!("open of the 100-product response: {open_blocks} allocations");
}
