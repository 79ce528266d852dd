//! Fuzz target bodies for the `ipv` workspace.
//!
//! Each target in `fuzz_targets/` is one `fuzz_target!` line calling a function here. The
//! bodies are plain functions over bytes with no libfuzzer dependency, so the main
//! workspace's `cargo test` runs the very same code over the committed seeds in `seeds/`
//! (see `crates/ipv-crypto/tests/fuzz_seeds.rs`, `crates/ipv-api/tests/fuzz_seeds.rs`,
//! `crates/ipv-emulator/tests/fuzz_seeds.rs` and `seed_tests/types_seeds.rs`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod crypto;
pub mod emulator;
pub mod seeds;
pub mod types;
