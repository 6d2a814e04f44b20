//! The record format of a segment file, and the reader that tells a record from a torn or
//! corrupt one.
//!
//! A record is `len: u32 LE | crc32: u32 LE | body`, where `len` counts the body and the
//! checksum covers it. A body is `kind: u8 | seq: u64 LE`, then for a message
//! `level: u16 LE | payload` (the message's [`Codec`](crate::Codec) encoding). A void record
//! is a message record whose push was refused while it was still buffered: its kind byte
//! changed (and its checksum resealed) in place, it keeps its sequence number and owes
//! nothing. Segment files
//! are preallocated with zeros, so a zero length where a record would start is the end of the
//! log; anything else that does not check out is damage.

/// The length and checksum in front of every body.
pub(crate) const FRAME: usize = 8;
const KIND_MESSAGE: u8 = 1;
const KIND_ACK: u8 = 2;
const KIND_VOID: u8 = 3;
/// kind + seq.
const ACK_BODY: usize = 9;
/// kind + seq + level.
const MESSAGE_HEAD: usize = 11;
/// The bytes an acknowledgement takes in the log.
pub(crate) const ACK_RECORD: usize = FRAME + ACK_BODY;

/// The longest message encoding a log record holds: 1 GiB, the largest segment file.
/// (The frame's `u32` length could count up to 4 GiB; a message of that size in a queue is a
/// mistake more often than a need, and a segment must hold its record.)
///
/// ```
/// assert_eq!(elasticq_runtime::MAX_RECORD_BYTES, 1 << 30);
/// ```
pub const MAX_RECORD_BYTES: u64 = 1 << 30;

/// One record read back from a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Record<'a> {
    /// A pushed message.
    Message {
        seq: u64,
        level: u16,
        payload: &'a [u8],
    },
    /// The message with this sequence number was delivered and acknowledged.
    Ack { seq: u64 },
    /// The message with this sequence number was refused after its record was buffered.
    Void { seq: u64 },
}

/// What is found at an offset of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read<'a> {
    /// A whole, checksummed record of `len` bytes (frame included).
    Record(Record<'a>, usize),
    /// Zeros to the end: nothing more was written.
    End,
    /// Bytes that are not a record: a torn write or corruption.
    Damaged(&'static str),
}

/// Why a message cannot be recorded (nothing of it is left in the buffer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unrecordable {
    /// Its encoding is this many bytes, more than [`MAX_RECORD_BYTES`].
    TooLarge(u64),
    /// Its values nest deeper than [`MAX_DECODE_DEPTH`](crate::MAX_DECODE_DEPTH): recovery
    /// could not decode it.
    TooDeep,
}

/// Appends a message record to `out`, the payload written by `encode`; returns its length
/// in bytes. A message that could not be read back ([`Unrecordable`]) is taken out of `out`
/// again.
pub(crate) fn append_message<M>(
    out: &mut Vec<u8>,
    seq: u64,
    level: u16,
    message: &M,
    encode: fn(&M, &mut Vec<u8>),
) -> Result<usize, Unrecordable> {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME]);
    out.push(KIND_MESSAGE);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&level.to_le_bytes());
    // If `encode` panics, the half-written record must not stay in the buffer: written out,
    // it would read back as damage and cut every record after it.
    let mut guard = Unwritten {
        out: Some(out),
        start,
    };
    crate::codec::encoded_too_deep();
    if let Some(out) = guard.out.as_deref_mut() {
        encode(message, out);
    }
    let Some(out) = guard.out.take() else {
        return Ok(0);
    };
    let payload = (out.len() - start - FRAME - MESSAGE_HEAD) as u64;
    if payload > MAX_RECORD_BYTES {
        out.truncate(start);
        return Err(Unrecordable::TooLarge(payload));
    }
    if crate::codec::encoded_too_deep() {
        out.truncate(start);
        return Err(Unrecordable::TooDeep);
    }
    Ok(seal(out, start))
}

/// Truncates the buffer back to `start` when dropped still holding it, i.e. when `encode`
/// unwound.
struct Unwritten<'a> {
    out: Option<&'a mut Vec<u8>>,
    start: usize,
}

impl Drop for Unwritten<'_> {
    fn drop(&mut self) {
        if let Some(out) = self.out.as_deref_mut() {
            out.truncate(self.start);
        }
    }
}

/// Appends an acknowledgement of `seq` to `out`.
pub(crate) fn append_ack(out: &mut Vec<u8>, seq: u64) {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME]);
    out.push(KIND_ACK);
    out.extend_from_slice(&seq.to_le_bytes());
    seal(out, start);
}

/// Turns the message record `record` (frame included, as `append_message` made it) into a
/// void record of the same length and sequence number.
pub(crate) fn void(record: &mut [u8]) {
    record[FRAME] = KIND_VOID;
    let crc = crc32fast::hash(&record[FRAME..]);
    record[4..8].copy_from_slice(&crc.to_le_bytes());
}

/// Writes the length and checksum of the body that starts at `start + FRAME`.
fn seal(out: &mut [u8], start: usize) -> usize {
    let body = &out[start + FRAME..];
    // Bodies are at most `MAX_RECORD_BYTES` plus a head (`append_message` refuses longer
    // ones), far inside a `u32`.
    let len = body.len() as u32;
    let crc = crc32fast::hash(body);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    out.len() - start
}

/// Reads what lies at `at` in `bytes` (a segment's contents). Never panics, whatever the
/// bytes: every length is checked against what remains.
pub(crate) fn read(bytes: &[u8], at: usize) -> Read<'_> {
    let Some(rest) = bytes.get(at..) else {
        return Read::Damaged("offset beyond the end of the file");
    };
    if rest.len() < FRAME {
        return if all_zero(rest) {
            Read::End
        } else {
            Read::Damaged("a record frame cut short by the end of the file")
        };
    }
    let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    if len == 0 {
        return if all_zero(rest) {
            Read::End
        } else {
            Read::Damaged("a zero record length followed by data")
        };
    }
    let Some(body) = rest[FRAME..].get(..len) else {
        return Read::Damaged("a record longer than the rest of the file");
    };
    if crc32fast::hash(body) != crc {
        return Read::Damaged("a record whose checksum does not match");
    }
    let seq = |body: &[u8]| {
        let mut word = [0; 8];
        word.copy_from_slice(&body[1..9]);
        u64::from_le_bytes(word)
    };
    match body[0] {
        KIND_MESSAGE if len >= MESSAGE_HEAD => Read::Record(
            Record::Message {
                seq: seq(body),
                level: u16::from_le_bytes([body[9], body[10]]),
                payload: &body[MESSAGE_HEAD..],
            },
            FRAME + len,
        ),
        KIND_ACK if len == ACK_BODY => Read::Record(Record::Ack { seq: seq(body) }, FRAME + len),
        KIND_VOID if len >= MESSAGE_HEAD => {
            Read::Record(Record::Void { seq: seq(body) }, FRAME + len)
        }
        _ => Read::Damaged("a record of an unknown kind"),
    }
}

/// How many bytes from the start of `bytes` to its last non-zero byte (inclusive).
pub(crate) fn nonzero_extent(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1)
}

fn all_zero(bytes: &[u8]) -> bool {
    nonzero_extent(bytes) == 0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::codec::Codec;

    fn records(bytes: &[u8]) -> (Vec<Record<'_>>, Read<'_>) {
        let mut at = 0;
        let mut found = Vec::new();
        loop {
            match read(bytes, at) {
                Read::Record(record, len) => {
                    found.push(record);
                    at += len;
                }
                end => return (found, end),
            }
        }
    }

    #[test]
    fn the_format_is_pinned() {
        let mut out = Vec::new();
        append_message(&mut out, 7, 2, &"hi".to_string(), Codec::encode).unwrap();
        append_ack(&mut out, 7);
        let body = [1, 7, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, b'h', b'i'];
        assert_eq!(&out[..4], &14u32.to_le_bytes());
        assert_eq!(&out[4..8], &crc32fast::hash(&body).to_le_bytes());
        assert_eq!(&out[8..22], &body);
        assert_eq!(&out[22..26], &9u32.to_le_bytes());
        assert_eq!(out.len(), 22 + ACK_RECORD);
    }

    #[test]
    fn a_voided_record_reads_back_as_void_with_its_length() {
        let mut out = Vec::new();
        let len = append_message(&mut out, 9, 1, &"refused".to_string(), Codec::encode).unwrap();
        append_ack(&mut out, 3);
        void(&mut out[..len]);
        let (found, end) = records(&out);
        assert_eq!(found, vec![Record::Void { seq: 9 }, Record::Ack { seq: 3 }]);
        assert_eq!(end, Read::End);
    }

    #[test]
    fn a_panicking_encoder_leaves_no_partial_record() {
        let mut out = Vec::new();
        append_ack(&mut out, 1);
        let before = out.clone();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            append_message(&mut out, 2, 0, &(), |_, out| {
                out.extend_from_slice(b"partial");
                panic!("encoder failed")
            })
        }));
        assert!(panicked.is_err());
        assert_eq!(out, before);
    }

    #[test]
    fn zeros_end_the_log_and_records_read_back() {
        let mut out = Vec::new();
        append_message(&mut out, 1, 0, &5u32, Codec::encode).unwrap();
        append_ack(&mut out, 1);
        out.extend_from_slice(&[0; 100]);
        let (found, end) = records(&out);
        assert_eq!(
            found,
            vec![
                Record::Message {
                    seq: 1,
                    level: 0,
                    payload: &5u32.to_le_bytes()
                },
                Record::Ack { seq: 1 }
            ]
        );
        assert_eq!(end, Read::End);
    }

    proptest! {
        /// Every record before the damage reads back; the damage is reported, never a panic
        /// and never a record that was not written.
        #[test]
        fn damage_cuts_cleanly(
            messages in proptest::collection::vec(any::<Vec<u8>>(), 1..20),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
            bit in 0u8..8,
        ) {
            let mut log = Vec::new();
            let mut starts = Vec::new();
            for (seq, message) in messages.iter().enumerate() {
                starts.push(log.len());
                append_message(&mut log, seq as u64, 0, message, Codec::encode).unwrap();
            }
            // Truncation: every record wholly before the cut survives, nothing after it.
            let cut = cut.index(log.len() + 1);
            let (found, end) = records(&log[..cut]);
            let ends: Vec<usize> = starts.iter().skip(1).copied().chain([log.len()]).collect();
            let whole = ends.iter().filter(|&&end| end <= cut).count();
            prop_assert_eq!(found.len(), whole);
            // A partial record is damage, unless what is left of it is all zeros.
            let kept = if whole == 0 { 0 } else { ends[whole - 1] };
            if nonzero_extent(&log[kept..cut]) > 0 {
                prop_assert!(matches!(end, Read::Damaged(_)));
            } else {
                prop_assert_eq!(end, Read::End);
            }
            // A bit flip: the records before the damaged one survive unchanged.
            let at = flip.index(log.len());
            let mut flipped = log.clone();
            flipped[at] ^= 1 << bit;
            let (found, _) = records(&flipped);
            let intact = starts.iter().filter(|&&start| start <= at).count() - 1;
            prop_assert_eq!(found.len(), intact);
            for (seq, record) in found.iter().enumerate().take(intact) {
                let expected = Record::Message { seq: seq as u64, level: 0, payload: &crate::codec::to_bytes(&messages[seq])[..] };
                prop_assert_eq!(*record, expected);
            }
        }

        #[test]
        fn random_bytes_never_panic(bytes in any::<Vec<u8>>(), at in 0usize..64) {
            let _ = records(&bytes);
            let _ = read(&bytes, at);
        }
    }
}
