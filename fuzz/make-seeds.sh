#!/usr/bin/env bash
# Writes the committed seed corpus, crates/ipv-fuzz-bodies/seeds/<target>/<name>: small inputs that start
# libFuzzer in useful places and that `cargo test` runs through the same bodies.
# Deterministic; valid ciphertexts come from `openssl enc` (IV = the first 16 key bytes).
#
# Usage: fuzz/make-seeds.sh   (needs bash and openssl)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../crates/ipv-fuzz-bodies"
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
products="$(cat ../ipv-fixtures/data/products-100.json)"
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

# The codec targets (src/codec.rs). App keys select the secret on the server side:
# AK20240708150154 -> k128, AK20250101000256 -> k256, anything else -> k192.
ak128=AK20240708150154
ak256=AK20250101000256
sealed() { printf '%s' "$2" | enc "$1" -a -A; } # sealed KEY JSON -> base64 text
response() { printf '{"reqId":"%s","code":%s,"msg":"%s","data":"%s"}' "$@"; }
request() { printf '{"version":"%s","encrypt":"%s","appKey":"%s","reqId":"%s","params":"%s"}' "$@"; }
two_products="[$first_product,$first_product]"
receipt='{"orderNo":"C20240726000001","amount":"4.00"}'

# open_response: selector byte (secret), then a response body.
: | seed open_response empty
printf '\x02' | seed open_response selector-only
{ printf '\x02'; response r1 200 ok "$(sealed "$k256" "$two_products")"; } | seed open_response aes256-two-products
{ printf '\x00'; response r2 200 ok "$(sealed "$k128" '[1,2,3]')"; } | seed open_response aes128-number-list
{ printf '\x01'; response r3 200 ok "$(sealed "$k192" "$receipt")"; } | seed open_response aes192-order-receipt
{ printf '\x00'; response r4 200 ok ''; } | seed open_response ok-empty-data
{ printf '\x00'; printf '{"reqId":"r5","code":"200","msg":"ok","data":"%s","extra":[1]}' "$(sealed "$k128" 'null')"; } \
    | seed open_response code-as-string-null-data
{ printf '\x00'; response r6 10001 'decrypt failed' 'not base64 at all'; } | seed open_response error-code-garbage-data
{ printf '\x00'; printf '{"reqId":null,"code":10004,"msg":null,"data":null}'; } | seed open_response error-code-nulls
{ printf '\x00'; response r7 200 ok '5cfJMwX0w65sEQVBxu9zHw='; } | seed open_response ok-bad-base64
{ printf '\x02'; response r8 200 ok "$(sealed "$k128" '[1]')"; } | seed open_response ok-wrong-key
{ printf '\x00'; response r9 200 ok "$(sealed "$k128" '{"list":')"; } | seed open_response ok-truncated-json
{ printf '\x02'; response r10 200 ok "$(sealed "$k256" "$two_products")" | head -c 200; } | seed open_response truncated-envelope
{ printf '\x01'; head -c 64 /dev/zero | tr '\0' '\377'; } | seed open_response garbage

# Found by fuzzing (2026-11-28): an AES-192 payload whose unknown field `orderNo` holds
# invalid UTF-8. Typed decodes skip it unchecked, untyped JSON refuses it: not a bug,
# but it showed the body's "typed implies untyped" property was too strong.
unhex() { sed 's/../\\x&/g' | xargs -0 printf '%b'; }
printf '%s' 017b227265714964223a22727e33222c22636f6465223a3230302c226d7367223a226f6b222c2264617461223a22336a777a2f44656d34716341625352624862467268706c565a376a51446d6374613041627639546d664e757073672f624277494f2b6d41304a32513977307372227d | unhex | seed open_response typed-skips-invalid-utf8-unknown-field

# open_request: a request body, as the server reads it.
mkdir -p seeds/open_request
cp ../ipv-fixtures/data/request-open-2-params.aes128.json seeds/open_request/aes128-open-fixture
: | seed open_request empty
request v2 AES "$ak128" req-1 '' | seed open_request app-info-empty-params
request v2 AES "$ak256" req-2 "$(sealed "$k256" '{"proxyType":[103],"productNo":"p1"}')" | seed open_request aes256-products-query
request 2.0 aes other-app req-3 "$(sealed "$k192" '{"orderNo":"C1"}')" | seed open_request aes192-order-java-style
printf '{"version":"v2","encrypt":"AES","appId":"%s","reqId":"r\\"4\\n","params":"%s"}' "$ak128" "$(sealed "$k128" '{"instances":["ins_1"]}')" \
    | seed open_request appid-alias-escaped-reqid
request v2 AES "$ak128" req-5 'not*base64' | seed open_request bad-base64
request v2 AES "$ak128" req-6 "$(sealed "$k256" '{}')" | seed open_request wrong-key
request v2 AES "$ak128" req-7 "$(sealed "$k128" 'not json')" | seed open_request params-not-json
request v2 AES "$ak128" req-8 "$(sealed "$k128" '{"page":"x"}')" | seed open_request params-wrong-types
request v2 AES "$ak128" req-9 "$(sealed "$k128" '{}')" | head -c 60 | seed open_request truncated-envelope
printf '[1,2,3]' | seed open_request not-an-object

# codec_roundtrip: a stream of choices (src/codec.rs, `Choices`): secret, app key, reqId,
# code, msg, then a JSON value (0 null, 1 bool, 2 u64, 3 i64, 4 f64, 5 string, 6 array,
# 7 object).
: | seed codec_roundtrip empty
printf '\x00\x10%s\x05req-1\x00\x02ok\x07\x01\x05codes\x06\x01\x05\x03USA' "$ak128" | seed codec_roundtrip document-like
printf '\x01\x04a"\\k\x03r\n1\x02\x01\x05\x01\x1f\x7f\x05\x09\xc3\xa9\xe6\xbc\xa2\xff\x00\x22\\' | seed codec_roundtrip escapes-error-code
printf '\x02\x00\x00\x03\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x04\x00\x00\x00\x00\x00\x00\xf0\x3f' | seed codec_roundtrip max-code-float
printf '\x02\x01A\x01B\x00\x00\x06\x04\x02\xff\xff\xff\xff\xff\xff\xff\xff\x03\x00\x00\x00\x00\x00\x00\x00\x80\x04\x01\x00\x00\x00\x00\x00\x00\x00\x01\x01' \
    | seed codec_roundtrip extreme-numbers
printf '\x00\x00\x00\x00\x00\x07\x04\x00\x07\x04\x00\x07\x04\x00\x07\x04\x00\x05\x01x' | seed codec_roundtrip nested-objects

# decode_all_responses: JSON for the 30 response types.
: | seed decode_all_responses empty
printf 'null' | seed decode_all_responses null
printf '{}' | seed decode_all_responses empty-object
printf '[]' | seed decode_all_responses empty-list
printf '%s' "$first_product" | seed decode_all_responses product-from-fixture
printf '%s' "$two_products" | seed decode_all_responses products-two
printf '%s' "$receipt" | seed decode_all_responses order-receipt
printf '%s' '{"page":1,"pageSize":20,"total":1,"curPage":1,"list":[{"instanceNo":"ins_1","status":3}]}' | seed decode_all_responses instance-page
printf '%s' '[{"code":"USA","name":"United States","cname":"美国","children":[]}]' | seed decode_all_responses areas
printf '%s' '{"appName":"demo","coin":"123.4500","useBridge":2,"status":1}' | seed decode_all_responses app-info
printf '%s' '{"list":[{"proxyIp":"1.2.3.4","proxyPort":8080,"username":"u","password":"p"}],"extra":1}' | seed decode_all_responses proxy-list
printf '%s' '{"balance":"12.5","flowBalance":1024,"list":null}' | seed decode_all_responses balance-like
printf '"a string"' | seed decode_all_responses string
printf '12345678901234567890123' | seed decode_all_responses big-number

for dir in seeds/*/; do echo "$dir: $(ls "$dir" | wc -l) seeds"; done
