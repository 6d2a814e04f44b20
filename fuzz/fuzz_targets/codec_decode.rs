//! Arbitrary bytes decoded as `Codec` types (standard and derived), with round trips; the
//! checks are `elasticq_runtime::__fuzz::round_trip`, the types are in `fuzz/derived.rs`.
#![no_main]

// Its `seeds` are for the test that writes and checks the corpus.
#[allow(dead_code)]
#[path = "../derived.rs"]
mod derived;

libfuzzer_sys::fuzz_target!(|data: &[u8]| derived::codec_decode(data));
