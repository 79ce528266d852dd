#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ipv_fuzz::crypto::open_b64(data);
});
