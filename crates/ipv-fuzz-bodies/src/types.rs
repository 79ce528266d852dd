//! Body of the `decode_types` fuzz target: arbitrary bytes decoded as each of the big
//! response types of `ipv-types`, and as a callback query.
//!
//! The cargo-fuzz target in `fuzz/` calls this body, and `tests/types_seeds.rs` runs it over
//! the committed seeds under a plain `cargo test`.

use ipv_types::{AppInfo, Callback, Instance, Order, OrderItem, Page, Product, ResponseEnvelope};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Target `decode_types`: `data` as JSON for every big response type, and as a callback
/// query string.
///
/// No input panics. Whatever decodes must encode, decode again to an equal value, and
/// encode to the same JSON the second time (so nothing read from the wire is lost or
/// changed by a write). A parsed callback renders to a query that parses back to it.
///
/// Returns the names of the types that accepted the input, for the seed tests.
pub fn decode_types(data: &[u8]) -> Vec<&'static str> {
    let mut accepted = Vec::new();
    check_json::<ResponseEnvelope>("ResponseEnvelope", data, &mut accepted);
    check_json::<Product>("Product", data, &mut accepted);
    check_json::<Vec<Product>>("Vec<Product>", data, &mut accepted);
    check_json::<Instance>("Instance", data, &mut accepted);
    check_json::<Vec<Instance>>("Vec<Instance>", data, &mut accepted);
    check_json::<Page<Instance>>("Page<Instance>", data, &mut accepted);
    check_json::<Order>("Order", data, &mut accepted);
    check_json::<Page<OrderItem>>("Page<OrderItem>", data, &mut accepted);
    check_json::<AppInfo>("AppInfo", data, &mut accepted);
    if let Ok(query) = std::str::from_utf8(data) {
        check_callback(query, &mut accepted);
    }
    accepted
}

/// Decodes `data` as `T`; if that works, checks the value survives a write and a read.
fn check_json<T>(name: &'static str, data: &[u8], accepted: &mut Vec<&'static str>)
where
    T: Serialize + DeserializeOwned + PartialEq,
{
    let Ok(value) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let json = serde_json::to_vec(&value)
        .unwrap_or_else(|e| panic!("{name}: a decoded value does not encode: {e}"));
    let again: T = serde_json::from_slice(&json)
        .unwrap_or_else(|e| panic!("{name}: its own JSON does not decode: {e}"));
    assert!(again == value, "{name}: decode(encode(x)) != x");
    let json_again = serde_json::to_vec(&again).expect("encoded once already");
    assert!(
        json_again == json,
        "{name}: the second encoding differs from the first"
    );
    accepted.push(name);
}

/// Parses `query` as a callback; if that works, its own query must parse back to it.
fn check_callback(query: &str, accepted: &mut Vec<&'static str>) {
    let Ok(callback) = Callback::parse_query(query) else {
        return;
    };
    let rendered = callback.to_query();
    let again = Callback::parse_query(&rendered)
        .unwrap_or_else(|e| panic!("Callback: its own query does not parse: {e}"));
    assert!(again == callback, "Callback: parse(to_query(x)) != x");
    assert!(
        again.to_query() == rendered,
        "Callback: the second query differs"
    );
    accepted.push("Callback");
}
