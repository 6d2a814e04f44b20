//! Segment files: their names, their header, and their creation.
//!
//! A segment is `{dir}/p{partition:04}-{index:016x}.wal`: a 32-byte header, then records
//! (see `record`), then zeros to the file's preallocated end. The header is
//! `magic (8) | format version u32 | partition u32 | index u64 | crc32 of the 24 bytes before
//! it | 4 zero bytes`. A segment is created under a temporary name and renamed into place once
//! its header is on disk, so a crash never leaves a half-made segment under a segment's name.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::fs::{FileSystem, LogFile, Open};
use super::PersistError;

pub(crate) const HEADER: usize = 32;
const MAGIC: &[u8; 8] = b"ELQ-WAL\0";
const VERSION: u32 = 1;
const TEMPORARY: &str = ".wal.tmp";

pub(crate) fn file_name(partition: u32, index: u64) -> String {
    format!("p{partition:04}-{index:016x}.wal")
}

/// The partition and index a segment's file name gives, or `None` for any other name.
pub(crate) fn parse_file_name(name: &str) -> Option<(u32, u64)> {
    let stem = name.strip_suffix(".wal")?.strip_prefix('p')?;
    let (partition, index) = stem.split_once('-')?;
    if partition.len() != 4 || index.len() != 16 {
        return None;
    }
    Some((
        partition.parse().ok()?,
        u64::from_str_radix(index, 16).ok()?,
    ))
}

/// Whether a file name is a segment that was being created when the process stopped.
pub(crate) fn is_temporary(name: &str) -> bool {
    name.ends_with(TEMPORARY)
}

fn header(partition: u32, index: u64) -> [u8; HEADER] {
    let mut bytes = [0; HEADER];
    bytes[..8].copy_from_slice(MAGIC);
    bytes[8..12].copy_from_slice(&VERSION.to_le_bytes());
    bytes[12..16].copy_from_slice(&partition.to_le_bytes());
    bytes[16..24].copy_from_slice(&index.to_le_bytes());
    let crc = crc32fast::hash(&bytes[..24]);
    bytes[24..28].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// Checks that `bytes` start with the header of segment `index` of `partition`.
pub(crate) fn check_header(
    path: &Path,
    bytes: &[u8],
    partition: u32,
    index: u64,
) -> Result<(), PersistError> {
    let damaged = |offset: u64, detail: String| PersistError::Header {
        path: path.to_path_buf(),
        offset,
        detail,
    };
    if bytes.len() < HEADER {
        return Err(damaged(
            bytes.len() as u64,
            format!(
                "the file is {} bytes, shorter than a segment header ({HEADER})",
                bytes.len()
            ),
        ));
    }
    if &bytes[..8] != MAGIC {
        return Err(damaged(
            0,
            "not an elasticq log segment (wrong magic bytes)".into(),
        ));
    }
    let expected = header(partition, index);
    if bytes[24..28] != expected[24..28] || bytes[..24] != expected[..24] {
        if crc32fast::hash(&bytes[..24]).to_le_bytes() != bytes[24..28] {
            return Err(damaged(
                24,
                "the segment header's checksum does not match".into(),
            ));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != VERSION {
            return Err(damaged(
                8,
                format!("log format version {version}; this elasticq reads version {VERSION}"),
            ));
        }
        return Err(damaged(
            12,
            format!("the header names another segment than p{partition:04}, index {index}"),
        ));
    }
    if bytes[28..HEADER] != [0; 4] {
        return Err(damaged(
            28,
            "the segment header's padding is not zero".into(),
        ));
    }
    Ok(())
}

/// Creates segment `index` of `partition`: header written, `size` bytes long (zeros written
/// out when `zero_fill`, so later syncs touch no file metadata; a sparse file otherwise),
/// synced, and renamed into place. The directory entry is synced too when `durable`. A
/// failure removes the temporary file, as far as it can.
pub(crate) fn create(
    fs: &dyn FileSystem,
    dir: &Path,
    partition: u32,
    index: u64,
    size: u64,
    zero_fill: bool,
    durable: bool,
) -> Result<(Arc<dyn LogFile>, PathBuf), PersistError> {
    let path = dir.join(file_name(partition, index));
    let temporary = dir.join(format!("p{partition:04}-{index:016x}{TEMPORARY}"));
    let made = (|| {
        let io = |operation, error: io::Error| PersistError::io(&temporary, operation, &error);
        let file = fs
            .open(&temporary, Open::Create)
            .map_err(|e| io("create", e))?;
        file.write_all_at(&header(partition, index), 0)
            .map_err(|e| io("write", e))?;
        if zero_fill {
            let zeros = vec![0u8; (1 << 20).min(size as usize)];
            let mut at = HEADER as u64;
            while at < size {
                let chunk = (size - at).min(zeros.len() as u64) as usize;
                file.write_all_at(&zeros[..chunk], at)
                    .map_err(|e| io("write", e))?;
                at += chunk as u64;
            }
        } else {
            file.set_len(size).map_err(|e| io("resize", e))?;
        }
        // Whatever the policy: a name that points at a file whose header a crash lost would
        // make the log impossible to open.
        file.sync_data().map_err(|e| io("fsync", e))?;
        fs.rename(&temporary, &path).map_err(|e| io("rename", e))?;
        Ok(file)
    })();
    let file = made.inspect_err(|_| {
        let _ = fs.remove_file(&temporary);
    })?;
    if durable {
        sync_dir(fs, dir)?;
    }
    Ok((file, path))
}

/// Makes the directory's entries (created, renamed, removed files) durable.
pub(crate) fn sync_dir(fs: &dyn FileSystem, dir: &Path) -> Result<(), PersistError> {
    fs.sync_dir(dir)
        .map_err(|error| PersistError::io(dir, "fsync", &error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_not_segments() {
        assert_eq!(file_name(3, 0x1f), "p0003-000000000000001f.wal");
        assert_eq!(
            parse_file_name("p0003-000000000000001f.wal"),
            Some((3, 0x1f))
        );
        for other in [
            "LOCK",
            "p3-1f.wal",
            "p0003-000000000000001f.wal.tmp",
            "x0003-000000000000001f.wal",
        ] {
            assert_eq!(parse_file_name(other), None, "{other}");
        }
    }

    #[test]
    fn headers_check_out_and_damage_is_named() {
        let path = Path::new("p0001-0000000000000002.wal");
        let good = header(1, 2);
        assert_eq!(check_header(path, &good, 1, 2), Ok(()));
        let offset = |result: Result<(), PersistError>| match result {
            Err(PersistError::Header { offset, .. }) => offset,
            other => panic!("expected a header error, got {other:?}"),
        };
        assert_eq!(offset(check_header(path, &good[..10], 1, 2)), 10);
        assert_eq!(offset(check_header(path, &good, 1, 3)), 12);
        let mut foreign = good;
        foreign[0] = b'X';
        assert_eq!(offset(check_header(path, &foreign, 1, 2)), 0);
        let mut flipped = good;
        flipped[17] ^= 4;
        assert_eq!(offset(check_header(path, &flipped, 1, 2)), 24);
    }
}
