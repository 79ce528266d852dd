//! The codec fuzz targets' bodies (`ipv_fuzz_bodies::codec`, the very code cargo-fuzz builds)
//! run over the committed seeds `crates/ipv-fuzz-bodies/seeds/<target>/`, so every `cargo test` on the
//! stable toolchain exercises the fuzz properties, and each named seed is checked to take
//! the path it was written for (opened, or refused at which stage).

use ipv_fuzz_bodies::{codec as bodies, seeds as seed_files};

/// Every seed of `target`, by file name, sorted so failures are reproducible.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let seeds = seed_files::read(target);
    assert!(
        (5..=40).contains(&seeds.len()),
        "{target}: {} seeds",
        seeds.len()
    );
    seeds
}

/// Runs `body` over every seed of `target` and checks the results of the named ones.
fn run<R: PartialEq + std::fmt::Debug + Copy>(
    target: &str,
    body: fn(&[u8]) -> R,
    expected: &[(&str, R)],
) {
    let results: Vec<(String, R)> = seeds(target)
        .iter()
        .map(|(name, bytes)| (name.clone(), body(bytes)))
        .collect();
    for (name, want) in expected {
        let got = results.iter().find(|(n, _)| n == name).map(|(_, r)| *r);
        assert_eq!(got, Some(*want), "{target}/{name}");
    }
}

#[test]
fn open_response_seeds() {
    run(
        "open_response",
        bodies::open_response,
        &[
            ("empty", "empty"),
            ("selector-only", "refused envelope"),
            ("aes256-two-products", "opened 200"),
            ("aes128-number-list", "opened 200"),
            ("aes192-order-receipt", "opened 200"),
            ("ok-empty-data", "opened 200"),
            ("code-as-string-null-data", "opened 200"),
            ("error-code-garbage-data", "opened other code"),
            ("error-code-nulls", "opened other code"),
            ("ok-bad-base64", "refused base64"),
            ("ok-wrong-key", "refused decrypt"),
            ("ok-truncated-json", "refused payload"),
            ("truncated-envelope", "refused envelope"),
            ("garbage", "refused envelope"),
            // Untyped JSON refuses its invalid UTF-8; typed decodes skip the field.
            ("typed-skips-invalid-utf8-unknown-field", "refused payload"),
        ],
    );
}

#[test]
fn open_request_seeds() {
    run(
        "open_request",
        bodies::open_request,
        &[
            ("empty", "refused envelope"),
            ("aes128-open-fixture", "opened params"),
            ("app-info-empty-params", "opened empty params"),
            ("aes256-products-query", "opened params"),
            ("aes192-order-java-style", "opened params"),
            ("appid-alias-escaped-reqid", "opened params"),
            ("bad-base64", "refused base64"),
            ("wrong-key", "refused decrypt"),
            ("params-not-json", "refused payload"),
            ("params-wrong-types", "opened params"),
            ("truncated-envelope", "refused envelope"),
            ("not-an-object", "refused envelope"),
        ],
    );
}

#[test]
fn codec_roundtrip_seeds() {
    run(
        "codec_roundtrip",
        bodies::codec_roundtrip,
        &[
            ("empty", "round trip 200"),
            ("document-like", "round trip 200"),
            ("escapes-error-code", "round trip other code"),
            ("max-code-float", "round trip other code"),
            ("extreme-numbers", "round trip 200"),
            ("nested-objects", "round trip 200"),
        ],
    );
}

#[test]
fn decode_all_responses_seeds() {
    // `NoData` (endpoint 23) accepts any JSON at all and nothing else accepts a bare
    // string or number; text that is not JSON decodes as nothing.
    run(
        "decode_all_responses",
        bodies::decode_all_responses,
        &[("empty", 0), ("string", 1), ("big-number", 1), ("null", 1)],
    );
    // Every realistic seed decodes as at least one real response type besides `NoData`.
    for (name, bytes) in seeds("decode_all_responses") {
        let accepted = bodies::decode_all_responses(&bytes);
        if !matches!(name.as_str(), "empty" | "string" | "big-number" | "null") {
            assert!(
                accepted >= 2,
                "decode_all_responses/{name}: only {accepted} accepted it"
            );
        }
    }
}

#[test]
fn every_endpoint_is_covered() {
    let covered = bodies::covered_paths();
    let listed: Vec<&str> = ipv_protocol::ENDPOINTS.iter().map(|e| e.path).collect();
    assert_eq!(covered.len(), 30);
    assert_eq!(covered, listed);
}
