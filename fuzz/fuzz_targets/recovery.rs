//! Arbitrary bytes as a persisted queue's segment files, opened through the public API; the
//! checks are `elasticq_runtime::__fuzz::recovery`. The logs are written under /dev/shm.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

static SCRATCH: OnceLock<PathBuf> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let scratch = SCRATCH.get_or_init(|| elasticq_runtime::__fuzz::scratch_dir("recovery"));
    elasticq_runtime::__fuzz::recovery(data, scratch);
});
