#![no_main]
//! See `imagelock::fuzzing::manifest` for the property checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imagelock::fuzzing::manifest(data));
