//! The segment record reader over arbitrary bytes.

use super::input::{append, build, Input};
use crate::persist::record::{self, Read, Record, ACK_RECORD, FRAME};

/// The record reader over arbitrary bytes (`persist/record.rs`, `read`).
///
/// The first byte chooses: bit 0, the rest is built with the language of `build` (valid
/// checksums) rather than taken as it is; bit 1, the walk starts at offset `first >> 2`
/// rather than 0. Records are read to the end; every step must hold:
/// - `read` never panics, and a record's reported length is within the input, at least a
///   frame and a body, and moves the offset forward;
/// - a record read back re-encodes to exactly the bytes it was read from (so the reader takes
///   nothing for a record that the writer would not have written);
/// - the end of the log is zeros to the end of the input, and damage is reported only where
///   a non-zero byte remains (recovery saves those bytes; a cut of nothing would be wrong).
pub fn record_reader(data: &[u8]) {
    let mut input = Input(data);
    let mode = input.byte().unwrap_or(0);
    let bytes: Vec<u8> = if mode & 1 == 0 {
        input.rest().to_vec()
    } else {
        build(&mut input, 0, false)
            .into_iter()
            .flat_map(|segment| segment.bytes)
            .collect()
    };
    let start = if mode & 2 == 0 {
        0
    } else {
        usize::from(mode >> 2)
    };
    walk(&bytes, start);
}

/// Reads every record of `bytes` from `at`, checking each step; returns how many it read.
pub(super) fn walk(bytes: &[u8], mut at: usize) -> usize {
    let mut records = 0;
    loop {
        match record::read(bytes, at) {
            Read::Record(found, len) => {
                assert!(
                    len > FRAME && at + len <= bytes.len(),
                    "a record of {len} bytes at {at} of {}",
                    bytes.len()
                );
                let framed = &bytes[at..at + len];
                let mut again = Vec::new();
                let written = match found {
                    Record::Message {
                        seq,
                        level,
                        payload,
                    } => {
                        let inside = framed.as_ptr_range();
                        assert!(
                            inside.contains(&payload.as_ptr()) || payload.is_empty(),
                            "a payload outside its record"
                        );
                        append(&mut again, seq, level, payload)
                    }
                    // A void record is a message record voided in place: rebuild that
                    // message from the bytes the reader passed over, and void it.
                    Record::Void { seq } => {
                        let head = FRAME + 11;
                        assert!(len >= head, "a void record of {len} bytes");
                        let level = u16::from_le_bytes([framed[FRAME + 9], framed[FRAME + 10]]);
                        let written = append(&mut again, seq, level, &framed[head..]);
                        record::void(&mut again);
                        written
                    }
                    Record::Ack { seq } => {
                        record::append_ack(&mut again, seq);
                        assert_eq!(again.len(), ACK_RECORD, "an acknowledgement's length");
                        again.len()
                    }
                };
                assert_eq!(written, len, "a record re-encodes to another length");
                assert_eq!(
                    again, framed,
                    "a record at {at} re-encodes to other bytes: {found:?}"
                );
                at += len;
                records += 1;
            }
            Read::End => {
                assert!(at <= bytes.len(), "the end reported beyond the input");
                assert_eq!(
                    record::nonzero_extent(&bytes[at..]),
                    0,
                    "the end of the log reported at {at} before non-zero bytes"
                );
                return records;
            }
            Read::Damaged(reason) => {
                assert!(!reason.is_empty());
                if at <= bytes.len() {
                    assert!(
                        record::nonzero_extent(&bytes[at..]) > 0,
                        "damage ({reason}) reported at {at} where only zeros remain"
                    );
                }
                return records;
            }
        }
    }
}
