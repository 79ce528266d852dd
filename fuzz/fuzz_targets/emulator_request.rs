#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ipv_fuzz::emulator::emulator_request(data);
});
