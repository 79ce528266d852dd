#!/usr/bin/env bash
# Runs one fuzz target on the stable toolchain, starting from the committed seeds.
#
# Usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags...]   (SECONDS defaults to 60)
#
# New inputs go to corpus/TARGET (committed after `cargo fuzz cmin TARGET`); the seeds in
# crates/ipv-fuzz-bodies/seeds/TARGET are only read. A crash is saved under artifacts/TARGET/ and makes this script fail.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

target="${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags...]}"
seconds="${2:-60}"
shift $(($# < 2 ? $# : 2))

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p "corpus/$target"
# cargo-fuzz passes nightly-only flags (sanitizers); RUSTC_BOOTSTRAP lets stable take them.
RUSTC_BOOTSTRAP=1 exec cargo fuzz run "$target" "corpus/$target" "../crates/ipv-fuzz-bodies/seeds/$target" -- \
    -max_total_time="$seconds" "$@"
