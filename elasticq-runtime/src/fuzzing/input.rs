//! The fuzzer's bytes, and the small language that builds segment files from them: valid
//! headers and checksums, so that the fuzzer reaches past the reader's first checks.

use crate::codec::Codec;

use super::recovery::Strict;
use super::{segment_header, HEADER};
use crate::persist::record::{self};

/// The fuzzer's bytes, read front to back; past their end every read gives zeros.
pub(super) struct Input<'a>(pub(super) &'a [u8]);

impl<'a> Input<'a> {
    pub(super) fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }

    pub(super) fn u64(&mut self) -> u64 {
        let mut word = [0; 8];
        let bytes = self.take(8);
        word[..bytes.len()].copy_from_slice(bytes);
        u64::from_le_bytes(word)
    }

    pub(super) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
}

/// A segment file the fuzzer described: its index (its name) and its contents.
pub(super) struct Segment {
    pub(super) index: u64,
    pub(super) bytes: Vec<u8>,
}

/// Builds segments from a small language, so that the fuzzer gets past the checksums: each
/// operation is a byte `op` (its low 4 bits say which), then its operands.
///
/// | op | what it appends |
/// |---|---|
/// | 0, 13-15 | a message record with the next sequence number, level `op >> 4`, a length byte and that many payload bytes |
/// | 1 | an acknowledgement of the sequence number `next - 1 - byte` |
/// | 2 | a message record with an explicit sequence number (8 bytes) |
/// | 3 | an acknowledgement of an explicit sequence number (8 bytes) |
/// | 4 | a length byte and that many raw bytes |
/// | 5 | `byte + 1` zero bytes |
/// | 6 | flips bit `op >> 4` of the byte at `byte` (modulo) of the last record |
/// | 7 | tears the last record: drops `byte + 1` (modulo) bytes from its end |
/// | 8 | starts the next segment, `op >> 4` indexes further on (`headers` only; not past `u64::MAX`) |
/// | 9 | damages the current segment's header at `byte` (modulo) (`headers` only) |
/// | 10 | a message record with the next sequence number whose payload is a valid [`Strict`] message: 8 bytes (its number, as `u32`), a length byte and that much text |
/// | 11 | zeros to the next multiple of `64 * ((op >> 4) + 1)` bytes, as a preallocated file ends |
/// | 12 | as 0, then voided in place (the log's record of a refused push) |
pub(super) fn build(input: &mut Input<'_>, first_index: u64, headers: bool) -> Vec<Segment> {
    let start = |index: u64| Segment {
        index,
        bytes: if headers {
            segment_header(index).to_vec()
        } else {
            Vec::new()
        },
    };
    let mut segments = vec![start(first_index)];
    let mut next_seq: u64 = 1;
    // Where the last record of the current segment starts, while it is the last thing in it.
    let mut last: Option<usize> = None;
    while let Some(op) = input.byte() {
        let high = op >> 4;
        let current = segments.last_mut().expect("there is always a segment");
        let out = &mut current.bytes;
        let at = out.len();
        let mut appended = true;
        match op & 0x0f {
            1 => {
                let back = u64::from(input.byte().unwrap_or(0));
                record::append_ack(out, next_seq.wrapping_sub(1).wrapping_sub(back));
            }
            2 => {
                let seq = input.u64();
                let len = usize::from(input.byte().unwrap_or(0));
                let payload = input.take(len);
                append(out, seq, u16::from(high), payload);
                next_seq = seq.wrapping_add(1);
            }
            3 => record::append_ack(out, input.u64()),
            4 => {
                let len = usize::from(input.byte().unwrap_or(0));
                out.extend_from_slice(input.take(len));
            }
            5 => {
                let zeros = usize::from(input.byte().unwrap_or(0)) + 1;
                out.resize(at + zeros, 0);
            }
            6 => {
                appended = false;
                if let Some(start) = last {
                    let span = out.len() - start;
                    let position = start + usize::from(input.byte().unwrap_or(0)) % span;
                    out[position] ^= 1 << (high & 7);
                }
            }
            7 => {
                if let Some(start) = last {
                    let span = out.len() - start;
                    let drop = usize::from(input.byte().unwrap_or(0)) % span + 1;
                    out.truncate(out.len() - drop);
                }
                last = None;
                continue;
            }
            8 => {
                // Indexes only go up: at the top of the range, the segment goes on.
                let next = current.index.checked_add(1 + u64::from(high));
                if let (true, Some(index)) = (headers, next) {
                    segments.push(start(index));
                    last = None;
                }
                continue;
            }
            9 => {
                let position = usize::from(input.byte().unwrap_or(0)) % HEADER;
                if headers && out.len() > position {
                    out[position] ^= high | 1;
                }
                continue;
            }
            10 => {
                let number = input.u64() as u32;
                let len = usize::from(input.byte().unwrap_or(0));
                let text = String::from_utf8_lossy(input.take(len)).into_owned();
                let message = Strict(number, text);
                record::append_message(out, next_seq, u16::from(high), &message, Codec::encode)
                    .expect("a short message fits in a record");
                next_seq = next_seq.wrapping_add(1);
            }
            11 => {
                let block = 64 * (usize::from(high) + 1);
                out.resize(at.div_ceil(block) * block, 0);
                last = None;
                continue;
            }
            12 => {
                let len = usize::from(input.byte().unwrap_or(0));
                append(out, next_seq, u16::from(high), input.take(len));
                record::void(&mut out[at..]);
                next_seq = next_seq.wrapping_add(1);
            }
            _ => {
                let len = usize::from(input.byte().unwrap_or(0));
                append(out, next_seq, u16::from(high), input.take(len));
                next_seq = next_seq.wrapping_add(1);
            }
        }
        if appended {
            last = (out.len() > at).then_some(at);
        }
    }
    segments
}

/// Appends a message record of `payload`, as the log writes one; returns its length.
pub(super) fn append(out: &mut Vec<u8>, seq: u64, level: u16, payload: &[u8]) -> usize {
    let raw: fn(&&[u8], &mut Vec<u8>) = |payload, out| out.extend_from_slice(payload);
    record::append_message(out, seq, level, &payload, raw)
        .expect("a payload of at most 255 bytes fits in a record")
}
