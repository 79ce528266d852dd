#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ipv_fuzz::types::decode_types(data);
});
