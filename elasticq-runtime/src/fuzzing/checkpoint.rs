//! The checkpoint decoder (`persist/checkpoint.rs`) over arbitrary bytes.

use super::input::Input;
use crate::persist::checkpoint::{Checkpoint, CoveredSegment, Place};

/// `Checkpoint::decode` over arbitrary bytes.
///
/// The first byte chooses how the rest becomes a checkpoint file:
/// - bit 0 clear: the bytes as they are;
/// - bit 0 set: a checkpoint built from them (segments of increasing index, owed records in
///   them), encoded, then one byte of it changed as the input says;
/// - bit 1 set: the last four bytes replaced by the checksum of the others, so that the
///   fuzzer reaches the field checks behind the checksum.
///
/// Every input must hold: `decode` never panics; what it accepts is canonical (encodes back
/// to exactly the bytes read, so two different files never pass for one checkpoint); what it
/// refuses it names; and a checkpoint built within the rules decodes to itself.
pub fn checkpoint_decode(data: &[u8]) {
    let mut input = Input(data);
    let mode = input.byte().unwrap_or(0);
    let mut bytes = if mode & 1 == 0 {
        input.rest().to_vec()
    } else {
        let built = build(&mut input);
        let encoded = built.encode();
        assert_eq!(
            Checkpoint::decode(&encoded).as_ref(),
            Ok(&built),
            "a checkpoint within the rules does not decode to itself"
        );
        let mut encoded = encoded;
        let at = input.u64() as usize;
        let change = input.byte().unwrap_or(0);
        if let (Some(byte), true) = (encoded.get_mut(at), change != 0) {
            *byte ^= change;
        }
        encoded
    };
    if mode & 2 != 0 && bytes.len() >= 4 {
        let body = bytes.len() - 4;
        let crc = crc32fast::hash(&bytes[..body]);
        bytes[body..].copy_from_slice(&crc.to_le_bytes());
    }
    match Checkpoint::decode(&bytes) {
        Ok(checkpoint) => assert_eq!(
            checkpoint.encode(),
            bytes,
            "decoded from bytes it does not encode to: {checkpoint:?}"
        ),
        Err(reason) => assert!(!reason.is_empty(), "a refusal without a reason"),
    }
}

/// A checkpoint within the rules, shaped by the input: up to 8 segments, each with up to 8
/// owed records in increasing order.
fn build(input: &mut Input<'_>) -> Checkpoint {
    let segments = usize::from(input.byte().unwrap_or(0) % 8) + 1;
    let mut index = input.u64() % 1_000;
    let mut seq = 1 + input.u64() % 1_000;
    let mut covered = Vec::with_capacity(segments);
    let mut owed = Vec::new();
    let mut offset = 32;
    for position in 0..segments {
        let records = u64::from(input.byte().unwrap_or(0) % 8);
        let bytes = 4_096 + records * 64;
        offset = 32;
        let first = seq;
        for _ in 0..records {
            let len = 24 + u32::from(input.byte().unwrap_or(0) % 40);
            if input.byte().unwrap_or(0).is_multiple_of(2) {
                owed.push((position as u32, Place { seq, offset, len }));
            }
            offset += u64::from(len);
            seq += 1;
        }
        let seqs = (records > 0).then(|| (first, seq - 1));
        covered.push(CoveredSegment { index, bytes, seqs });
        index += 1 + input.u64() % 3;
    }
    let last = covered.last().map_or(0, |segment| segment.index);
    Checkpoint {
        partition: (input.u64() % 64) as u32,
        clean: input.byte().unwrap_or(0) % 2 == 1,
        index: last,
        offset,
        next_seq: seq,
        segments: covered,
        owed,
    }
}
