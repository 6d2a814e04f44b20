//! The floor under `every_write`, shared by the persistence benches: a record-sized write
//! and an `fdatasync` into a zero-filled file, no queue.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The file's size, as a segment of the benches' logs.
pub const FILE_BYTES: u64 = 8 << 20;
/// Bytes per write, about a message record of the benches' messages.
pub const RECORD: usize = 160;

/// A file of `FILE_BYTES` zero-filled and synced, as a segment under `every_write`, so that
/// an `fdatasync` after a write inside it has no size or allocation to record.
pub fn zero_filled(dir: &Path) -> File {
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(dir.join("disk_fdatasync"))
        .expect("a file in the temporary directory");
    let zeros = vec![0u8; 1 << 20];
    for at in (0..FILE_BYTES).step_by(zeros.len()) {
        file.write_all_at(&zeros, at).expect("room on disk");
    }
    file.sync_all().expect("a sync");
    file
}

/// One write of `record` (`RECORD` bytes, or what the caller measures) at the `n`-th slot
/// of its length in `file` (wrapping within it) and an `fdatasync`: what `every_write`
/// cannot go below per push.
pub fn write_and_sync(file: &File, record: &[u8], n: u64) {
    let offset = n * record.len() as u64 % FILE_BYTES;
    file.write_all_at(record, offset).expect("a write");
    file.sync_data().expect("an fdatasync");
}
