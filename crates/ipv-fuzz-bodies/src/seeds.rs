//! Reading a target's committed seeds, for the stable runners that replay them under
//! `cargo test` (each includes this file with `#[path]`, as it includes its bodies).

use std::fs;
use std::path::PathBuf;

/// Every seed of `target` in `fuzz/seeds/<target>/`, by file name, sorted so failures are
/// reproducible. `manifest_dir` is the runner's `CARGO_MANIFEST_DIR`: a crate under
/// `crates/`, or `fuzz/` itself.
///
/// # Panics
/// When the directory or a seed cannot be read: the runner's test fails, naming the path.
pub fn read(manifest_dir: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = ["../../fuzz/seeds", "seeds"]
        .iter()
        .map(|base| PathBuf::from(manifest_dir).join(base).join(target))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| panic!("no fuzz/seeds/{target} beside {manifest_dir}"));
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
