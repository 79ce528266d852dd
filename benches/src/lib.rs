//! Shared inputs of the `ipv` benchmarks: the wire fixtures (from the `ipv-fixtures` crate)
//! and their keys, and the [`load`] test (client + in-process emulator) used by the `load`
//! binary and by `tests/load.rs`.
//!
//! Run the benchmarks with `cargo bench -p ipv-benches`; see `README.md` for the
//! reference figures they compare with.
//!
//! ```
//! let json = ipv_benches::fixture("open-request-2-params.json");
//! assert!(json.starts_with(b"{"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod load;

pub use ipv_fixtures::{APP_KEY, REQUEST_SECRET, RESPONSE_SECRET};

/// The bytes of fixture `name` (a file name of the `ipv-fixtures` crate's `data/`).
///
/// # Panics
/// When there is no such fixture: the benchmarks cannot run without it.
#[must_use]
pub fn fixture(name: &str) -> Vec<u8> {
    ipv_fixtures::by_name(name)
        .unwrap_or_else(|| panic!("no fixture named {name}"))
        .as_bytes()
        .to_vec()
}
