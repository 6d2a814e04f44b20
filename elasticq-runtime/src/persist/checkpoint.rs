//! Checkpoints: what a partition owes as of one place in its log, so that `open` reads the
//! records still owed and the log after that place, not every record ever kept.
//!
//! A partition has at most one checkpoint, `p{partition:04}.ckpt`, replaced whole: written
//! as `p{partition:04}.ckpt.tmp`, synced, then renamed over the old one. It says: up to
//! `offset` of segment `index`, the log holds these segments and owes exactly these message
//! records, each named by its segment, offset and length. Little endian throughout:
//!
//! ```text
//! magic "ELQ-CKP\0" (8) | version u32 | partition u32 | clean u8, 7 zero bytes
//! index u64 | offset u64 | next_seq u64 | segments u32 | owed u32
//! segments × (index u64 | bytes u64 | first seq u64 | last seq u64)   (0, 0: no message)
//! owed × (seq u64 | segment u32 (its position above) | len u32 | offset u64)
//! crc32 of every byte before it (4)
//! ```
//!
//! A checkpoint is only ever a shortcut. Recovery checks it against the log (the segments
//! listed, each owed record read back and matched by checksum and sequence number) and reads
//! the whole log the old way when anything disagrees; a checkpoint that does not decode is
//! ignored. Two rules keep it true:
//! 1. It is written only once the log up to its place is durable (`log/checkpoint`), so
//!    a crash cannot leave it naming records the log lost.
//! 2. `clean` means nothing was written after its place: it is written when a queue is
//!    closed, and replaced by one that is not clean (durably) when the log is opened again,
//!    before any append. Only a clean checkpoint lets recovery skip reading the zeros after
//!    its place.

pub(crate) use super::log::Place;

/// The name of `partition`'s checkpoint.
pub(crate) fn file_name(partition: u32) -> String {
    format!("p{partition:04}.ckpt")
}

/// The name a checkpoint is written under before it replaces the old one.
pub(crate) fn temporary_name(partition: u32) -> String {
    format!("p{partition:04}.ckpt.tmp")
}

/// Whether a file name is a checkpoint whose writing a crash interrupted.
pub(crate) fn is_temporary(name: &str) -> bool {
    name.ends_with(".ckpt.tmp")
}

const MAGIC: &[u8; 8] = b"ELQ-CKP\0";
const VERSION: u32 = 1;
const HEAD: usize = 56;
const SEGMENT: usize = 32;
const OWED: usize = 24;

/// One segment a checkpoint covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CoveredSegment {
    pub(crate) index: u64,
    pub(crate) bytes: u64,
    /// The sequence numbers of its first and last message (`None`: no message).
    pub(crate) seqs: Option<(u64, u64)>,
}

/// What a partition's log held and owed as of `offset` in segment `index`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub(crate) partition: u32,
    /// Nothing was appended after this place (see the module's rule 2).
    pub(crate) clean: bool,
    pub(crate) index: u64,
    pub(crate) offset: u64,
    /// The sequence number the next message record takes.
    pub(crate) next_seq: u64,
    /// Oldest first, the last being segment `index`.
    pub(crate) segments: Vec<CoveredSegment>,
    /// The message records owed, by increasing sequence number, each with the position of
    /// its segment in `segments`.
    pub(crate) owed: Vec<(u32, Place)>,
}

impl Checkpoint {
    /// The checkpoint's bytes, checksum included.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(HEAD + self.segments.len() * SEGMENT + self.owed.len() * OWED + 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.partition.to_le_bytes());
        out.push(u8::from(self.clean));
        out.extend_from_slice(&[0; 7]);
        for word in [self.index, self.offset, self.next_seq] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        // A log has far fewer than 2^32 segments or owed records per partition: each
        // owed record is in memory too, and segments are at least 4 KiB.
        out.extend_from_slice(&(self.segments.len() as u32).to_le_bytes());
        out.extend_from_slice(&(self.owed.len() as u32).to_le_bytes());
        for segment in &self.segments {
            let (first, last) = segment.seqs.unwrap_or((0, 0));
            for word in [segment.index, segment.bytes, first, last] {
                out.extend_from_slice(&word.to_le_bytes());
            }
        }
        for (segment, place) in &self.owed {
            out.extend_from_slice(&place.seq.to_le_bytes());
            out.extend_from_slice(&segment.to_le_bytes());
            out.extend_from_slice(&place.len.to_le_bytes());
            out.extend_from_slice(&place.offset.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads a checkpoint back; says what is wrong with bytes that are not one. Never
    /// panics, whatever the bytes.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Checkpoint, &'static str> {
        if bytes.len() < HEAD + 4 {
            return Err("shorter than a checkpoint");
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(body) != u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]) {
            return Err("a checksum that does not match");
        }
        let mut reader = Reader { bytes: body, at: 0 };
        if reader.take(8)? != MAGIC {
            return Err("wrong magic bytes");
        }
        if reader.u32()? != VERSION {
            return Err("an unknown version");
        }
        let partition = reader.u32()?;
        let clean = match reader.take(8)? {
            [flag @ (0 | 1), 0, 0, 0, 0, 0, 0, 0] => *flag == 1,
            _ => return Err("a clean flag that is not 0 or 1"),
        };
        let index = reader.u64()?;
        let offset = reader.u64()?;
        let next_seq = reader.u64()?;
        let segment_count = reader.u32()? as usize;
        let owed_count = reader.u32()? as usize;
        let expected = segment_count
            .checked_mul(SEGMENT)
            .and_then(|s| owed_count.checked_mul(OWED)?.checked_add(s));
        if expected != Some(body.len() - HEAD) {
            return Err("counts that do not match its length");
        }
        let mut segments = Vec::with_capacity(segment_count);
        for _ in 0..segment_count {
            let index = reader.u64()?;
            let bytes = reader.u64()?;
            let (first, last) = (reader.u64()?, reader.u64()?);
            let seqs = match (first, last) {
                (0, 0) => None,
                (first, last) if 0 < first && first <= last => Some((first, last)),
                _ => return Err("a segment whose sequence numbers are out of order"),
            };
            segments.push(CoveredSegment { index, bytes, seqs });
        }
        let mut owed = Vec::with_capacity(owed_count);
        for _ in 0..owed_count {
            let seq = reader.u64()?;
            let segment = reader.u32()?;
            let len = reader.u32()?;
            let offset = reader.u64()?;
            owed.push((segment, Place { seq, offset, len }));
        }
        let checkpoint = Checkpoint {
            partition,
            clean,
            index,
            offset,
            next_seq,
            segments,
            owed,
        };
        checkpoint.check()?;
        Ok(checkpoint)
    }

    /// The rules a checkpoint's fields keep among themselves.
    fn check(&self) -> Result<(), &'static str> {
        if self.segments.last().map(|s| s.index) != Some(self.index) {
            return Err("a last segment that is not the one it names");
        }
        if !self.segments.windows(2).all(|w| w[0].index < w[1].index) {
            return Err("segments out of order");
        }
        if self
            .segments
            .iter()
            .any(|s| s.seqs.is_some_and(|(_, last)| last >= self.next_seq))
        {
            return Err("a segment holding a sequence number past the next one");
        }
        let mut previous = 0;
        for (segment, place) in &self.owed {
            let Some(holder) = self.segments.get(*segment as usize) else {
                return Err("an owed record in a segment it does not list");
            };
            let inside = holder
                .seqs
                .is_some_and(|(first, last)| (first..=last).contains(&place.seq));
            let ends = place.offset.checked_add(u64::from(place.len));
            if !inside || place.seq <= previous || ends.is_none_or(|end| end > holder.bytes) {
                return Err("an owed record out of order or outside its segment");
            }
            if holder.index == self.index && ends.is_some_and(|end| end > self.offset) {
                return Err("an owed record past the checkpoint's place");
            }
            previous = place.seq;
        }
        Ok(())
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let taken = self.bytes.get(self.at..self.at + n).ok_or("cut short")?;
        self.at += n;
        Ok(taken)
    }

    fn u32(&mut self) -> Result<u32, &'static str> {
        let mut word = [0; 4];
        word.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(word))
    }

    fn u64(&mut self) -> Result<u64, &'static str> {
        let mut word = [0; 8];
        word.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            partition: 3,
            clean: true,
            index: 7,
            offset: 4000,
            next_seq: 40,
            segments: vec![
                CoveredSegment {
                    index: 5,
                    bytes: 4096,
                    seqs: Some((1, 20)),
                },
                CoveredSegment {
                    index: 6,
                    bytes: 4096,
                    seqs: None,
                },
                CoveredSegment {
                    index: 7,
                    bytes: 8192,
                    seqs: Some((21, 39)),
                },
            ],
            owed: vec![
                (
                    0,
                    Place {
                        seq: 4,
                        offset: 100,
                        len: 30,
                    },
                ),
                (
                    2,
                    Place {
                        seq: 39,
                        offset: 3900,
                        len: 100,
                    },
                ),
            ],
        }
    }

    #[test]
    fn a_checkpoint_reads_back_as_written() {
        let checkpoint = sample();
        assert_eq!(Checkpoint::decode(&checkpoint.encode()), Ok(checkpoint));
    }

    #[test]
    fn every_flipped_bit_and_every_cut_is_refused() {
        let bytes = sample().encode();
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[at] ^= 1 << bit;
                assert!(
                    Checkpoint::decode(&damaged).is_err(),
                    "bit {bit} of byte {at}"
                );
            }
            assert!(Checkpoint::decode(&bytes[..at]).is_err(), "cut at {at}");
        }
    }

    #[test]
    fn inconsistent_fields_are_refused_even_with_a_good_checksum() {
        let mut past = sample();
        past.owed[1].1.len = 200;
        assert_eq!(
            Checkpoint::decode(&past.encode()),
            Err("an owed record past the checkpoint's place")
        );
        let mut outside = sample();
        outside.owed[0].1.seq = 25;
        assert!(Checkpoint::decode(&outside.encode()).is_err());
        let mut unordered = sample();
        unordered.owed.swap(0, 1);
        assert!(Checkpoint::decode(&unordered.encode()).is_err());
        let mut last = sample();
        last.index = 6;
        assert!(Checkpoint::decode(&last.encode()).is_err());
    }

    #[test]
    fn names_are_not_segment_names() {
        assert_eq!(file_name(2), "p0002.ckpt");
        assert!(is_temporary(&temporary_name(2)));
        assert_eq!(super::super::segment::parse_file_name(&file_name(2)), None);
    }
}
