#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ipv_fuzz::codec::decode_all_responses(data);
});
