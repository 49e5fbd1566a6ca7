#![no_main]
//! See `imagelock::fuzzing::lock` for the property checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imagelock::fuzzing::lock(data));
