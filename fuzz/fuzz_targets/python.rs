//! cargo-fuzz wrapper of `eventsourcing_fuzz::targets::python`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eventsourcing_fuzz::targets::python(data));
