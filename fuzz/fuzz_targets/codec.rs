//! cargo-fuzz wrapper of `eventsourcing_fuzz::targets::codec`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eventsourcing_fuzz::targets::codec(data));
