//! The wire fixtures of `data/` (their README says how each was made), embedded, with the
//! keys and appKey they were made with. Tests and benches of every crate read them from
//! here instead of reaching into another crate's folder.
//!
//! ```
//! let products: serde_json::Value = serde_json::from_str(ipv_fixtures::PRODUCTS_100).unwrap();
//! assert_eq!(products.as_array().unwrap().len(), 100);
//! assert_eq!(ipv_fixtures::by_name("products-100.json"), Some(ipv_fixtures::PRODUCTS_100));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Plaintext JSON of an `instance/open` request with two params, as the Go SDK writes it.
pub const OPEN_REQUEST_2_PARAMS: &str = include_str!("../data/open-request-2-params.json");
/// Plaintext JSON of a `product/query` answer: 100 products.
pub const PRODUCTS_100: &str = include_str!("../data/products-100.json");
/// The request envelope of [`OPEN_REQUEST_2_PARAMS`] under [`REQUEST_SECRET`] (AES-128).
pub const REQUEST_OPEN_2_PARAMS_AES128: &str =
    include_str!("../data/request-open-2-params.aes128.json");
/// A response envelope whose `data` is [`PRODUCTS_100`] under [`RESPONSE_SECRET`] (AES-256).
pub const RESPONSE_PRODUCTS_100_AES256: &str =
    include_str!("../data/response-products-100.aes256.json");
/// The README of the fixtures, with the Go SDK's reference figures per CPU.
pub const README: &str = include_str!("../data/README.md");

/// The AES-128 key of the request fixture.
pub const REQUEST_SECRET: &[u8] = b"qwertyuiop123456";
/// The AES-256 key of the response fixture.
pub const RESPONSE_SECRET: &[u8] = b"xx1vsogzzvqvrgml7f6sc233p8vdqev2";
/// The appKey of the request fixture.
pub const APP_KEY: &str = "AK20240708150154";

/// Every fixture by its file name in `data/`.
pub const ALL: [(&str, &str); 4] = [
    ("open-request-2-params.json", OPEN_REQUEST_2_PARAMS),
    ("products-100.json", PRODUCTS_100),
    (
        "request-open-2-params.aes128.json",
        REQUEST_OPEN_2_PARAMS_AES128,
    ),
    (
        "response-products-100.aes256.json",
        RESPONSE_PRODUCTS_100_AES256,
    ),
];

/// The fixture named `name` (a file name in `data/`), if there is one.
#[must_use]
pub fn by_name(name: &str) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}
