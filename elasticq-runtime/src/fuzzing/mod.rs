//! What the coverage-guided fuzz targets in `fuzz/` run, and what
//! `tests/fuzz_regressions.rs` replays: built only with the `fuzzing` feature, and not part
//! of the API.
//!
//! Each check takes the fuzzer's bytes, runs one part of the log or of the codec over them,
//! and panics when an invariant does not hold; returning means the input passed. The fuzz
//! targets are one call each, so that a crashing input replayed by a test runs exactly the
//! code and the assertions that failed under the fuzzer.
//!
//! One file per target: `record_reader`, `recovery`, `checkpoint` (`checkpoint_decode`) and
//! `codec` (`codec_decode`); `input` is the small language the first two build segment files
//! in, `seeds` the starting corpus.

use std::path::{Path, PathBuf};

mod checkpoint;
mod codec;
mod input;
mod record_reader;
mod recovery;
mod seeds;

pub use self::checkpoint::checkpoint_decode;
pub use self::codec::{codec_decode, round_trip};
pub use self::record_reader::record_reader;
pub use self::recovery::{recovery, Loose, Strict};
pub use self::seeds::seed_corpus;

/// The bytes a segment header takes (`persist/segment.rs`).
pub const HEADER: usize = 32;

/// The header of segment `index` of partition 0, as the log writes it: magic, format version
/// 1, partition, index, the checksum of those 24 bytes, 4 zero bytes. Tested against a header
/// the log wrote, so that the fuzzer's valid headers stay valid.
pub fn segment_header(index: u64) -> [u8; HEADER] {
    let mut bytes = [0; HEADER];
    bytes[..8].copy_from_slice(b"ELQ-WAL\0");
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    bytes[12..16].copy_from_slice(&0u32.to_le_bytes());
    bytes[16..24].copy_from_slice(&index.to_le_bytes());
    let crc = crc32fast::hash(&bytes[..24]);
    bytes[24..28].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// The file name of segment `index` of partition 0.
pub fn segment_file_name(index: u64) -> String {
    format!("p0000-{index:016x}.wal")
}

/// Where a fuzz target keeps the logs it writes: under `/dev/shm` (memory) when there is one,
/// one directory per process.
pub fn scratch_dir(target: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    base.join(format!("elasticq-fuzz-{target}-{}", std::process::id()))
}
