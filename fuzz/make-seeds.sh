#!/usr/bin/env bash
# Writes the committed seed corpus, seeds/<target>/<name>: small inputs that start
# libFuzzer in useful places and that `cargo test` runs through the same bodies.
# Deterministic; valid ciphertexts come from `openssl enc` (IV = the first 16 key bytes).
#
# Usage: fuzz/make-seeds.sh   (needs bash and openssl)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export LC_ALL=C

k128=qwertyuiop123456                 # the API document's key; selector byte 0
k192=ipv-fuzz-aes192-key-0001         # OPEN_KEYS[1] in src/crypto.rs; selector 1
k256=xx1vsogzzvqvrgml7f6sc233p8vdqev2 # the fixtures' AES-256 key; selector 2

hexkey() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# `enc KEY [openssl args]`: stdin encrypted under KEY with the protocol's IV.
enc() {
    local key="$1" hex
    shift
    hex="$(hexkey "$key")"
    openssl enc "-aes-$((${#key} * 8))-cbc" -K "$hex" -iv "${hex:0:32}" "$@"
}
seed() { mkdir -p "seeds/$1" && cat >"seeds/$1/$2"; }
bytes() { head -c "$1" /dev/zero | tr '\0' "${2:-x}"; }

rm -rf seeds
# decrypt: selector byte, key bytes, ciphertext.
: | seed decrypt empty
printf '\x00' | seed decrypt one-byte
{ printf '\x00%s' "$k128"; printf TestMessage | enc "$k128"; } | seed decrypt aes128-document-vector
{ printf '\x00%s' "$k128"; printf TestMessage | enc "$k128" | head -c 15; } | seed decrypt aes128-ragged-15
{ printf '\x00%s' "$k128"; printf TestMessage | enc "$k128"; printf '\x01'; } | seed decrypt aes128-ragged-17
{ printf '\x00%s' "$k128"; bytes 16 '\0'; } | seed decrypt aes128-zero-block
{ printf '\x01%s' "$k192"; bytes 40 a | enc "$k192"; } | seed decrypt aes192-valid-48
{ printf '\x01'; bytes 24 '\0'; bytes 16 '\377'; } | seed decrypt aes192-zero-key-ones-block
{ printf '\x02%s' "$k256"; bytes 16 b | enc "$k256"; } | seed decrypt aes256-full-padding-block
{ printf '\x02%s' "$k256"; bytes 20 c | enc "$k256" | head -c 31; printf '\x00'; } | seed decrypt aes256-corrupted-last-byte
printf '\x02short' | seed decrypt aes256-short-key
printf '%s' "$k256" | seed decrypt key-length-32-prefix

# roundtrip: selector byte, key bytes, plaintext.
: | seed roundtrip empty
printf '\x01' | seed roundtrip one-byte
printf '\x00%s' "$k128" | seed roundtrip aes128-empty-plaintext
printf '\x00%sTestMessage' "$k128" | seed roundtrip aes128-document-message
{ printf '\x00%s' "$k128"; bytes 15; } | seed roundtrip aes128-15
{ printf '\x00%s' "$k128"; bytes 16; } | seed roundtrip aes128-16
{ printf '\x00%s' "$k128"; bytes 17; } | seed roundtrip aes128-17
{ printf '\x01%s' "$k192"; bytes 100 '\0'; } | seed roundtrip aes192-100-zeros
{ printf '\x02%s' "$k256"; bytes 255 '\377'; } | seed roundtrip aes256-255
{ printf '\x02%s{"code":200,"msg":"ok","data":[]}' "$k256"; } | seed roundtrip aes256-json

# open_b64: selector byte, sealed text.
: | seed open_b64 empty
printf '\x00' | seed open_b64 one-byte
printf '\x005cfJMwX0w65sEQVBxu9zHw==' | seed open_b64 aes128-document-vector
printf '\x005cfJMwX0w65sEQVBxu9zHw=' | seed open_b64 aes128-missing-pad
printf '\x005cfJMwX0w65sEQVBxu9zHx==' | seed open_b64 aes128-trailing-bits
printf '\x005cfJMwX0w65s-QVBxu9zHw__' | seed open_b64 aes128-url-safe-alphabet
printf '\x00AAAAAAAAAAAAAAAAAAAAAA==' | seed open_b64 aes128-zero-block
printf '\x00AAAAAAAAAAAAAAA' | seed open_b64 fifteen-chars
printf '\x00====' | seed open_b64 only-padding
printf '\x00\303\251t\303\251\n' | seed open_b64 non-ascii
{ printf '\x01'; bytes 40 a | enc "$k192" -a -A; } | seed open_b64 aes192-valid
{ printf '\x02'; printf '{"list":null}' | enc "$k256" -a -A; } | seed open_b64 aes256-valid
{ printf '\x02'; bytes 32 z | enc "$k256" -a; } | seed open_b64 aes256-line-wrapped

# decode_types: JSON (and callback queries) as the platform sends them.
products="$(cat ../benches/fixtures/products-100.json)"
first_product="${products%%\},\{\"productNo*}}"  # up to the end of the first object
first_product="${first_product#\[}"
: | seed decode_types empty
printf '{}' | seed decode_types empty-object
printf '[]' | seed decode_types empty-list
printf 'null' | seed decode_types null
printf '%s' "$first_product" | seed decode_types product-from-fixture
printf '[%s,%s]' "$first_product" "$first_product" | seed decode_types products-two
printf '%s' '{"productNo":"p1","inventory":"1000","costPrice":"2.00","proxyType":999,"cidrBlocks":null,"newField":{"a":[1,2.5,"x"]}}' \
    | seed decode_types product-loose
printf '%s' '{"instanceNo":"ins_1","proxyType":103,"protocol":"1,2","ip":"1.2.3.4","port":"8080","userExpired":1735689600,"flowTotal":"1024","flowBalance":12.5,"status":3,"renew":1,"bridges":null,"openAt":"2024-07-26T09:49:27+08:00","renewAt":"0001-01-01T00:00:00Z","releaseAt":"0001-01-01T00:00:00Z","productNo":"p1","extendIp":"","vendorNew":7}' \
    | seed decode_types instance
printf '%s' '{"orderNo":"C1","appOrderNo":"A1","type":1,"status":5,"count":"2","amount":"4.00","refund":1,"page":1,"pageSize":10,"total":1,"instances":[{"instanceNo":"ins_1","status":77}]}' \
    | seed decode_types order
printf '%s' '{"page":"1","pageSize":20,"total":1,"curPage":1,"list":[{"orderNo":"C1","type":9,"status":3,"amount":"0.10","createdAt":"2024-07-26T09:49:27Z","extra":true}]}' \
    | seed decode_types order-page
printf '%s' '{"appName":"demo","coin":"123.4500","useBridge":2,"callbackUrl":"https://example.invalid/cb","status":1}' \
    | seed decode_types app-info
printf '%s' '{"reqId":"reqId_1","code":200,"msg":"ok","data":"5cfJMwX0w65sEQVBxu9zHw=="}' | seed decode_types response-envelope
printf '%s' '{"reqId":"reqId_2","code":10031,"msg":"no such order","data":null}' | seed decode_types response-envelope-error
printf '%s' 'type=order&no=C20240726&op=1' | seed decode_types callback-order
printf '%s' '?type=instance&no=ins%5F1+x&op=' | seed decode_types callback-instance-escaped

for dir in seeds/*/; do echo "$dir: $(ls "$dir" | wc -l) seeds"; done
