//! Arbitrary bytes through the segment record reader (`persist/record.rs`); the checks are
//! `elasticq_runtime::__fuzz::record_reader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elasticq_runtime::__fuzz::record_reader(data));
