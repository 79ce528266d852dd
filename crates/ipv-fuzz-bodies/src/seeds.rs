//! Reading a target's committed seeds (this crate's `seeds/`), for the stable runners in
//! `tests/` that replay them under `cargo test`.

use std::fs;
use std::path::PathBuf;

/// Every seed of `target` in this crate's `seeds/<target>/`, by file name, sorted so
/// failures are reproducible.
///
/// # Panics
/// When the directory or a seed cannot be read: the runner's test fails, naming the path.
pub fn read(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut seeds: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .path();
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, bytes)
        })
        .collect();
    seeds.sort();
    seeds
}
