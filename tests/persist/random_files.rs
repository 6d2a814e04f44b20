//! Random files under segment names: `open` never panics.

use std::fmt::Debug;

use proptest::prelude::*;

use crate::common::*;
use crate::records::*;

#[derive(Clone, Debug)]
enum Piece {
    /// A valid record of a message that decodes.
    Message {
        seq: u64,
        level: u16,
        id: u64,
        len: usize,
    },
    /// A valid record of the next message (sequence numbers counting up from the file's
    /// `first_seq`).
    Next {
        id: u64,
        len: usize,
    },
    /// A checksum-valid message record whose payload is random bytes.
    Undecodable {
        seq: u64,
        payload: Vec<u8>,
    },
    Ack {
        seq: u64,
    },
    /// A checksum-valid record with a random body.
    Framed(Vec<u8>),
    Raw(Vec<u8>),
    Zeros(usize),
}

#[derive(Clone, Debug)]
struct RandomFile {
    partition: u32,
    index: u64,
    /// `None`: no header; `Some((partition, index))`: a valid header naming them.
    header: Option<(u32, u64)>,
    first_seq: u64,
    pieces: Vec<Piece>,
}

fn small_or_any() -> impl Strategy<Value = u64> {
    // Values near u64::MAX have tests of their own, at the end of the file.
    prop_oneof![3 => 0..8u64, 1 => 0..(1u64 << 62)]
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        4 => (small_or_any(), 0..4u16, any::<u64>(), 0..64usize)
            .prop_map(|(seq, level, id, len)| Piece::Message { seq, level, id, len }),
        4 => (any::<u64>(), 0..64usize).prop_map(|(id, len)| Piece::Next { id, len }),
        1 => (small_or_any(), proptest::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(seq, payload)| Piece::Undecodable { seq, payload }),
        2 => small_or_any().prop_map(|seq| Piece::Ack { seq }),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Piece::Framed),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Piece::Raw),
        1 => (0..64usize).prop_map(Piece::Zeros),
    ]
}

fn random_file() -> impl Strategy<Value = RandomFile> {
    (
        prop_oneof![4 => Just(0u32), 1 => 0..3u32],
        small_or_any(),
        prop_oneof![
            1 => Just(None),
            4 => Just(Some(None)),
            1 => (0..3u32, small_or_any()).prop_map(|h| Some(Some(h))),
        ],
        proptest::collection::vec(piece(), 0..12),
        proptest::collection::vec(any::<u8>(), 0..200),
        small_or_any(),
    )
        .prop_map(
            |(partition, index, header, pieces, raw, first_seq)| RandomFile {
                partition,
                index,
                first_seq,
                // `Some(None)`: the header of the file's own name.
                header: header.map(|h| h.unwrap_or((partition, index))),
                pieces: if header.is_none() && pieces.is_empty() {
                    vec![Piece::Raw(raw)]
                } else {
                    pieces
                },
            },
        )
}

fn file_bytes(file: &RandomFile) -> Vec<u8> {
    let mut bytes = match file.header {
        Some((partition, index)) => header(partition, index, 1).to_vec(),
        None => Vec::new(),
    };
    let mut next = file.first_seq;
    for piece in &file.pieces {
        match piece {
            Piece::Next { id, len } => {
                bytes.extend(message_record(
                    next,
                    0,
                    &elasticq::to_bytes(&job(*id, *len)),
                ));
                next += 1;
            }
            Piece::Undecodable { seq, payload } => bytes.extend(message_record(*seq, 0, payload)),
            Piece::Message {
                seq,
                level,
                id,
                len,
            } => bytes.extend(message_record(
                *seq,
                *level,
                &elasticq::to_bytes(&job(*id, *len)),
            )),
            Piece::Ack { seq } => bytes.extend(ack_record(*seq)),
            Piece::Framed(body) => bytes.extend(frame(body)),
            Piece::Raw(raw) => bytes.extend_from_slice(raw),
            Piece::Zeros(n) => bytes.resize(bytes.len() + n, 0),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn random_segment_files_never_make_open_panic(
        files in proptest::collection::vec(random_file(), 1..4),
        keep_first in any::<bool>(),
        keep_manifest in any::<bool>(),
        zero_fill in 0..4096usize,
    ) {
        let dir = tempfile::tempdir().unwrap();
        drop(open_jobs(dir.path()).unwrap());
        if !keep_first {
            std::fs::remove_file(dir.path().join(segment_name(0, 0))).unwrap();
        }
        if !keep_manifest {
            std::fs::remove_file(dir.path().join("MANIFEST")).unwrap();
        }
        for file in &files {
            let mut bytes = file_bytes(file);
            // Segments are usually zero-filled to their size.
            if file.header.is_some() {
                bytes.resize(bytes.len() + zero_fill, 0);
            }
            std::fs::write(dir.path().join(segment_name(file.partition, file.index)), bytes).unwrap();
        }
        match open_jobs(dir.path()) {
            Ok(queue) => {
                // Whatever was cut, the log is clean now: it takes writes and reopens as is.
                let len = queue.len();
                prop_assert_eq!(queue.persist_stats().recovered, len as u64);
                let held = queue.pop_delivery();
                queue.push(job(u64::MAX, 5)).unwrap();
                queue.compact().unwrap();
                drop(queue);
                drop(held);
                let queue = open_jobs(dir.path()).unwrap();
                let stats = queue.persist_stats();
                prop_assert!(stats.cuts.is_empty(), "{:?}", stats.cuts);
                prop_assert_eq!(queue.len(), len + 1);
                let all = queue.drain();
                prop_assert_eq!(all.last(), Some(&job(u64::MAX, 5)));
            }
            Err(error) => {
                prop_assert!(!error.to_string().is_empty());
            }
        }
    }
}
