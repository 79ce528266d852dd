#!/bin/sh
# OpenSSL's AES-CBC throughput on 16 KiB blocks, in MB/s (10^6 bytes per second), for the
# four cases `cargo bench -p ipv-crypto --bench raw` measures: encrypt and decrypt, AES-128
# and AES-256. Run it right beside the bench so both see the same machine load.
#
#   crates/ipv-crypto/benches/openssl-speed.sh [seconds] [cpu]   # default: 3, wall clock
#
# By default it passes `-elapsed`, so openssl divides by wall-clock time as criterion
# does. Without it (second argument `cpu`) openssl divides by its user CPU time, which
# on a shared, loaded machine reads far higher than any wall-clock figure: it was 1.39
# against 0.87 GB/s for AES-128 encrypt in one minute here, with 4 runnable jobs on 2 cores.
set -eu
seconds=${1:-3}
clock=-elapsed
[ "${2:-}" = cpu ] && clock=
for bits in 128 256; do
    for dir in encrypt decrypt; do
        flag=
        [ "$dir" = decrypt ] && flag=-decrypt
        # The last line of `openssl speed` is "aes-128-cbc  <k bytes per second>k"
        # for the one -bytes size asked for.
        kbps=$(openssl speed $clock -evp "aes-$bits-cbc" $flag -bytes 16384 -seconds "$seconds" 2>/dev/null |
            awk 'tolower($1) ~ /^aes-/ { v = $NF } END { sub(/k$/, "", v); print v }')
        awk -v b="$bits" -v d="$dir" -v k="$kbps" \
            'BEGIN { printf "openssl aes%s/%s 16 KiB: %.0f MB/s\n", b, d, k * 1000 / 1e6 }'
    done
done
