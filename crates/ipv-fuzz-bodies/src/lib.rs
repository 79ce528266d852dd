//! The bodies of the workspace's fuzz targets.
//!
//! Each cargo-fuzz target in `fuzz/fuzz_targets/` is one `fuzz_target!` line calling a
//! function here. The bodies are plain functions over bytes with no libfuzzer dependency,
//! so this crate's tests (`tests/*_seeds.rs`) run the very same code over the committed
//! seeds in `seeds/<target>/` on the stable toolchain, with every `cargo test`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod crypto;
pub mod emulator;
pub mod seeds;
pub mod types;
