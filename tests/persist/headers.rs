//! Damaged headers and manifests, and logs of another message type: named errors, never a
//! panic.

use std::path::Path;

use elasticq::{Error, PersistError, SyncPolicy};

use crate::common::*;
use crate::harness::*;
use crate::records::*;

/// Expects a header error naming `path` and `offset`, whose message names both too.
#[track_caller]
fn expect_header_error(result: Result<JobQueue, Error>, path: &Path, offset: u64) -> String {
    match result {
        Err(Error::Persist(PersistError::Header {
            path: found,
            offset: at,
            detail,
        })) => {
            assert_eq!(found, path, "{detail}");
            assert_eq!(at, offset, "{}: {detail}", path.display());
            let error = Error::Persist(PersistError::Header {
                path: found,
                offset: at,
                detail: detail.clone(),
            });
            let shown = error.to_string();
            assert!(
                shown.contains(&path.display().to_string()),
                "{shown} does not name the file"
            );
            assert!(
                shown.contains(&format!("offset {offset}")),
                "{shown} does not name the offset"
            );
            detail
        }
        Err(other) => panic!(
            "expected a header error at {}:{offset}, got {other}",
            path.display()
        ),
        Ok(_) => panic!(
            "expected a header error at {}:{offset}, the log opened",
            path.display()
        ),
    }
}

#[test]
fn a_bit_flip_in_a_segment_header_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_jobs(dir.path(), 120);
    assert!(files.len() >= 3, "{files:?}");
    for (n, file) in files.iter().enumerate().take(3) {
        let original = std::fs::read(file).unwrap();
        // The magic, the version, partition and index, and the checksum; the last 4 bytes
        // of the header are padding.
        for at in 0..28 {
            let bit = (at + n) % 8;
            let mut bytes = original.clone();
            bytes[at] ^= 1 << bit;
            std::fs::write(file, &bytes).unwrap();
            let offset = if at < 8 { 0 } else { 24 };
            expect_header_error(open_jobs(dir.path()), file, offset);
            // Nothing was changed by the refusal.
            assert_eq!(std::fs::read(file).unwrap(), bytes);
        }
        std::fs::write(file, &original).unwrap();
    }
    // Repaired, every message is there.
    let queue = open_jobs(dir.path()).unwrap();
    assert_eq!(queue.persist_stats().recovered, 120);
    assert!(queue.persist_stats().cuts.is_empty());
    let ids: Vec<u64> = queue.drain().iter().map(|j| j.id).collect();
    assert_eq!(ids, (0..120).collect::<Vec<_>>());
}

#[test]
fn foreign_short_and_misplaced_segments_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_jobs(dir.path(), 120);
    let second = &files[1];
    let original = std::fs::read(second).unwrap();

    // Foreign magic.
    let mut bytes = original.clone();
    bytes[..8].copy_from_slice(b"NOT-A-WA");
    std::fs::write(second, &bytes).unwrap();
    let detail = expect_header_error(open_jobs(dir.path()), second, 0);
    assert!(detail.contains("magic"), "{detail}");

    // Shorter than a header, down to empty.
    for len in [31, 17, 8, 1, 0] {
        std::fs::write(second, &original[..len]).unwrap();
        expect_header_error(open_jobs(dir.path()), second, len as u64);
    }

    // Another format version, with a valid checksum.
    let mut bytes = original.clone();
    bytes[..HEADER].copy_from_slice(&header(0, 1, 2));
    std::fs::write(second, &bytes).unwrap();
    expect_header_error(open_jobs(dir.path()), second, 8);

    // The header of another index, or of another partition.
    for (partition, index) in [(0, 0), (0, 2), (1, 1), (3, 7)] {
        let mut bytes = original.clone();
        bytes[..HEADER].copy_from_slice(&header(partition, index, 1));
        std::fs::write(second, &bytes).unwrap();
        expect_header_error(open_jobs(dir.path()), second, 12);
    }

    // A segment renamed: its header names another index.
    std::fs::write(second, &original).unwrap();
    let moved = dir.path().join(segment_name(0, 40));
    std::fs::rename(&files[0], &moved).unwrap();
    expect_header_error(open_jobs(dir.path()), &moved, 12);
    std::fs::rename(&moved, &files[0]).unwrap();

    assert_eq!(open_jobs(dir.path()).unwrap().len(), 120);
}

#[test]
fn a_segment_of_another_partition_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = EventQueue::builder()
            .dir(dir.path())
            .sync(SyncPolicy::None)
            .build()
            .unwrap();
        for id in 0..40 {
            queue
                .push(EventH::make(
                    id,
                    Spec {
                        level: id as usize,
                        key: id as usize,
                        len: 10,
                    },
                ))
                .unwrap();
        }
    }
    // Partition 1's segment moved under partition 2's name (after partition 2's own).
    let from = dir.path().join(segment_name(1, 0));
    let to = dir.path().join(segment_name(2, 5));
    std::fs::rename(&from, &to).unwrap();
    match EventQueue::open(dir.path()) {
        Err(Error::Persist(PersistError::Header { path, offset, .. })) => {
            assert_eq!((path, offset), (to, 12));
        }
        other => panic!("expected a header error, got {:?}", other.err()),
    }
}

#[test]
fn a_garbage_manifest_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    write_jobs(dir.path(), 10);
    let manifest = dir.path().join("MANIFEST");
    assert_eq!(
        std::fs::read_to_string(&manifest).unwrap(),
        "elasticq-wal 1\npartitions 1\n"
    );
    for garbage in [
        &b""[..],
        b"\xff\xfe\x00garbage",
        b"elasticq-wal 2\npartitions 1\n",
        b"elasticq-wal 1\npartitions 0\n",
        b"elasticq-wal 1\npartitions -1\n",
        b"elasticq-wal 1\n",
        b"partitions 1\n",
    ] {
        std::fs::write(&manifest, garbage).unwrap();
        let detail = expect_header_error(open_jobs(dir.path()), &manifest, 0);
        assert!(detail.contains("manifest"), "{detail}");
    }
    std::fs::write(&manifest, "elasticq-wal 1\npartitions 1\n").unwrap();
    assert_eq!(open_jobs(dir.path()).unwrap().len(), 10);
}

#[test]
fn a_log_of_another_message_type_is_a_decode_error() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = SmallQueue::open(dir.path()).unwrap();
        // As a `Flag`, 0 and 1 decode; 7 does not.
        for v in [0, 1, 1, 0, 7, 1] {
            queue.push(Small { v }).unwrap();
        }
    }
    let segment = dir.path().join(segment_name(0, 0));
    let before = std::fs::read(&segment).unwrap();
    let record = 8 + 11 + 1;
    match FlagQueue::open(dir.path()) {
        Err(Error::Persist(PersistError::Decode {
            path,
            offset,
            error,
        })) => {
            assert_eq!(path, segment);
            assert_eq!(offset, (HEADER + 4 * record) as u64, "{error}");
            let shown = Error::Persist(PersistError::Decode {
                path,
                offset,
                error,
            })
            .to_string();
            assert!(shown.contains(&segment.display().to_string()), "{shown}");
            assert!(shown.contains(&format!("offset {offset}")), "{shown}");
        }
        other => panic!("expected a decode error, got {:?}", other.err()),
    }
    // The refusal changed nothing: the right type reads everything back.
    assert_eq!(std::fs::read(&segment).unwrap(), before);
    let queue = SmallQueue::open(dir.path()).unwrap();
    let values: Vec<u8> = queue.drain().iter().map(|s| s.v).collect();
    assert_eq!(values, vec![0, 1, 1, 0, 7, 1]);
}
