//! Shared inputs of the `ipv` benchmarks: the wire fixtures in `benches/fixtures/` and
//! their keys, and the [`load`] test (client + in-process emulator) used by the `load`
//! binary and by `tests/load.rs`.
//!
//! Run the benchmarks with `cargo bench -p ipv-benches`; see `README.md` for the
//! reference figures they compare with.
//!
//! ```no_run
//! let json = ipv_benches::fixture("open-request-2-params.json");
//! assert!(json.starts_with(b"{"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::path::PathBuf;

pub mod load;

/// The AES-128 key of the request fixture.
pub const REQUEST_SECRET: &[u8] = b"qwertyuiop123456";
/// The AES-256 key of the response fixture.
pub const RESPONSE_SECRET: &[u8] = b"xx1vsogzzvqvrgml7f6sc233p8vdqev2";
/// The appKey of the request fixture.
pub const APP_KEY: &str = "AK20240708150154";

/// The path of fixture `name`.
#[must_use]
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The bytes of fixture `name`.
///
/// # Panics
/// When the fixture cannot be read: the benchmarks cannot run without it.
#[must_use]
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
