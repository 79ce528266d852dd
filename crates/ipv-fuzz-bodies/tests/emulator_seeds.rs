//! The `emulator_request` fuzz target's body (`fuzz/src/emulator.rs`, the very file
//! cargo-fuzz builds) over its committed seeds `crates/ipv-fuzz-bodies/seeds/emulator_request/`, so every
//! `cargo test` exercises the in-process request properties on the stable toolchain, and
//! each named seed is checked to be answered as it was written to be.

use ipv_fuzz_bodies::{emulator as bodies, seeds as seed_files};

use bodies::Answer;

#[test]
fn emulator_request_seeds() {
    let seeds = seed_files::read("emulator_request");
    assert!(seeds.len() >= 10, "{} seeds", seeds.len());

    let expected: &[(&str, Answer)] = &[
        ("app-info-sealed-empty", Answer::Undecryptable),
        ("app-info-sealed-null", Answer::Code(200)),
        ("products-sealed", Answer::Code(200)),
        ("product-info-sealed", Answer::Code(200)),
        ("open-sealed", Answer::Code(200)),
        ("open-count-too-big", Answer::Code(10004)),
        ("order-unknown", Answer::Code(10031)),
        ("sealed-not-json", Answer::Undecryptable),
        ("raw-garbage", Answer::Undecryptable),
        ("raw-empty-envelope", Answer::Undecryptable),
        ("raw-bad-base64", Answer::Undecryptable),
        ("unknown-path", Answer::NotFound),
        // Dynamic purchases for the harness's main account, and their arithmetic.
        ("open-dynamic-sealed", Answer::Code(200)),
        ("open-dynamic-flows-past-i64", Answer::Code(10003)),
        ("open-dynamic-flow-u64-max", Answer::Code(10003)),
        ("open-dynamic-flow-past-u64", Answer::Code(10004)),
        ("open-dynamic-balance-too-low", Answer::Code(10002)),
        ("open-dynamic-no-account", Answer::Code(10071)),
        ("open-cycles-u32-max", Answer::Code(10004)),
        ("return-flow-u64-max", Answer::Code(10081)),
    ];
    let mut seen = 0;
    for (name, bytes) in &seeds {
        let answer = bodies::emulator_request(bytes);
        if let Some((_, want)) = expected.iter().find(|(n, _)| n == name) {
            assert_eq!(answer, *want, "seed {name}");
            seen += 1;
        }
    }
    assert_eq!(seen, expected.len(), "every named seed is present");
}
