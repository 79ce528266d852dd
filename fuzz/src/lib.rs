//! Fuzz targets for the `ipv` workspace: every body lives in the workspace crate
//! `ipv-fuzz-bodies` (its tests replay the seeds under a plain `cargo test`), re-exported
//! here so each target in `fuzz_targets/` stays one line.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use ipv_fuzz_bodies::{codec, crypto, emulator, types};
