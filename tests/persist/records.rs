//! Reading logs back in the test, independently of the library: segment names and headers,
//! record framing and checksums, parsing a segment, and what a log owes.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::{Path, PathBuf};

use elasticq::Delivery;

use crate::common::*;

pub(crate) const HEADER: usize = 32;
pub(crate) const KIND_MESSAGE: u8 = 1;
pub(crate) const KIND_ACK: u8 = 2;

/// CRC-32 (IEEE, reflected), as the log uses.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub(crate) fn segment_name(partition: u32, index: u64) -> String {
    format!("p{partition:04}-{index:016x}.wal")
}

pub(crate) fn header(partition: u32, index: u64, version: u32) -> [u8; HEADER] {
    let mut bytes = [0; HEADER];
    bytes[..8].copy_from_slice(b"ELQ-WAL\0");
    bytes[8..12].copy_from_slice(&version.to_le_bytes());
    bytes[12..16].copy_from_slice(&partition.to_le_bytes());
    bytes[16..24].copy_from_slice(&index.to_le_bytes());
    let crc = crc32(&bytes[..24]);
    bytes[24..28].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// A framed record: `len | crc | body`.
pub(crate) fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + body.len());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

pub(crate) fn message_record(seq: u64, level: u16, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![KIND_MESSAGE];
    body.extend_from_slice(&seq.to_le_bytes());
    body.extend_from_slice(&level.to_le_bytes());
    body.extend_from_slice(payload);
    frame(&body)
}

pub(crate) fn ack_record(seq: u64) -> Vec<u8> {
    let mut body = vec![KIND_ACK];
    body.extend_from_slice(&seq.to_le_bytes());
    frame(&body)
}

/// One record of a segment written by the library.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rec {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: u8,
    pub(crate) seq: u64,
}

/// The records of an undamaged segment (checked as it goes), and where they end.
pub(crate) fn parse_segment(bytes: &[u8]) -> (Vec<Rec>, usize) {
    let mut at = HEADER;
    let mut records = Vec::new();
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if len == 0 {
            break;
        }
        let crc = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap());
        let body = &bytes[at + 8..at + 8 + len];
        assert_eq!(crc32(body), crc, "the library wrote a bad checksum at {at}");
        records.push(Rec {
            start: at,
            end: at + 8 + len,
            kind: body[0],
            seq: u64::from_le_bytes(body[1..9].try_into().unwrap()),
        });
        at += 8 + len;
    }
    assert!(
        bytes[at..].iter().all(|&b| b == 0),
        "non-zero bytes after the last record at {at}"
    );
    (records, at)
}

pub(crate) fn nonzero_extent(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1)
}

/// The segment files of a directory, in log order (partition, then index).
pub(crate) fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            name.starts_with('p') && name.ends_with(".wal")
        })
        .collect();
    files.sort();
    files
}

pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The messages a list of records owes: those not acknowledged later in the list, by seq.
pub(crate) fn owed(records: &[Rec]) -> Vec<u64> {
    let mut owed = BTreeMap::new();
    for record in records {
        match record.kind {
            KIND_MESSAGE => {
                owed.insert(record.seq, ());
            }
            KIND_ACK => {
                owed.remove(&record.seq);
            }
            other => panic!("unknown record kind {other}"),
        }
    }
    owed.into_keys().collect()
}

/// Takes every queued message as an unacknowledged delivery: they stay owed.
pub(crate) fn peek_all(queue: &JobQueue) -> Vec<Job> {
    std::iter::from_fn(|| queue.pop_delivery().map(Delivery::into_unacked)).collect()
}

/// Deletes the partitions' checkpoints (`p{partition:04}.ckpt`): the next `open` reads the
/// whole log.
pub(crate) fn remove_checkpoints(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ckpt") {
            std::fs::remove_file(path).unwrap();
        }
    }
}
