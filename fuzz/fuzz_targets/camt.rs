#![no_main]
// The camt parser must never panic, whatever the bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = fordra_formats::camt::parse(data);
});
