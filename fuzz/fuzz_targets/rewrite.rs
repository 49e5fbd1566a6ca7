#![no_main]
//! See `imagelock::fuzzing::rewrite` for the property checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imagelock::fuzzing::rewrite(data));
