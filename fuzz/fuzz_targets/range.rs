#![no_main]
//! See `imagelock::fuzzing::range` for the property checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| imagelock::fuzzing::range(data));
