#!/usr/bin/env bash
# One sitting of every performance figure in docs/performance.md, printed side by side:
# our codec and raw AES-CBC timings, `openssl speed` run beside them, the vendor's Go SDK
# reference figures, the ratios against the targets, then the load test.
#
#   bash benches/run.sh            # about 1-2 minutes after the release build
#   QUICK=1 bash benches/run.sh    # rough figures in a few seconds
#
# Exits non-zero if the load test sees an error or a broken invariant. Speed targets
# are reported (pass/FAIL), not enforced: figures drift with the machine's load.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "## Machine"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1), $(nproc) cores online"
echo "- load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "- $(rustc --version)"
echo "- $(openssl version 2>/dev/null || echo 'openssl: not installed')"
echo

cargo build --release --quiet -p ipv-benches --bin figures --bin load

echo "## Codec and cipher"
echo
if [ -n "${QUICK:-}" ]; then
    target/release/figures --quick
else
    target/release/figures
fi
echo
echo "## Load test (client + emulator over loopback)"
echo
target/release/load --total "${LOAD_TOTAL:-10000}" --in-flight "${LOAD_IN_FLIGHT:-64}"
