//! The `decode_types` fuzz body (`ipv_fuzz_bodies::types`, the very code cargo-fuzz builds) run
//! over the committed seeds in `crates/ipv-fuzz-bodies/seeds/decode_types/`, so a plain `cargo test` on the
//! stable toolchain exercises it, and each seed is checked to decode as what it holds.
//!

use ipv_fuzz_bodies::{seeds as seed_files, types as bodies};

/// Every seed by file name, sorted so failures are reproducible.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let seeds = seed_files::read("decode_types");
    assert!((5..=20).contains(&seeds.len()), "{} seeds", seeds.len());
    seeds
}

#[test]
fn every_seed_runs_and_decodes_as_what_it_holds() {
    let accepted: Vec<(String, Vec<&str>)> = seeds()
        .into_iter()
        .map(|(name, bytes)| {
            let types = bodies::decode_types(&bytes);
            (name, types)
        })
        .collect();
    let expect = |seed: &str, wanted: &[&str]| {
        let (_, types) = accepted
            .iter()
            .find(|(name, _)| name == seed)
            .unwrap_or_else(|| panic!("seed {seed} is missing"));
        for ty in wanted {
            assert!(
                types.contains(ty),
                "{seed} did not decode as {ty}: {types:?}"
            );
        }
    };
    let expect_none = |seed: &str| {
        let (_, types) = accepted.iter().find(|(name, _)| name == seed).unwrap();
        assert!(types.is_empty(), "{seed} decoded as {types:?}");
    };

    expect_none("empty");
    expect_none("null");
    expect("empty-list", &["Vec<Product>", "Vec<Instance>"]);
    // Pages are all optional numbers and lists; the records the document gives required
    // fields must not pass as `{}`.
    expect("empty-object", &["Page<OrderItem>"]);
    let (_, empty_object) = accepted.iter().find(|(n, _)| n == "empty-object").unwrap();
    for ty in ["Product", "Instance", "Order", "AppInfo"] {
        assert!(!empty_object.contains(&ty), "`{{}}` decoded as {ty}");
    }
    expect("product-from-fixture", &["Product"]);
    expect("products-two", &["Vec<Product>"]);
    expect("product-loose", &["Product"]);
    expect("instance", &["Instance"]);
    expect("order", &["Order"]);
    expect("order-page", &["Page<OrderItem>"]);
    expect("app-info", &["AppInfo"]);
    expect("response-envelope", &["ResponseEnvelope"]);
    expect("response-envelope-error", &["ResponseEnvelope"]);
    expect("callback-order", &["Callback"]);
    expect("callback-instance-escaped", &["Callback"]);
}
