//! Arbitrary bytes through the checkpoint decoder (`persist/checkpoint.rs`); the checks are
//! `elasticq_runtime::__fuzz::checkpoint_decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| elasticq_runtime::__fuzz::checkpoint_decode(data));
