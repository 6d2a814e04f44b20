//! What the coverage-guided fuzz targets in `fuzz/` run, and what
//! `tests/fuzz_regressions.rs` replays: built only with the `fuzzing` feature, and not part
//! of the API.
//!
//! Each check takes the fuzzer's bytes, runs one part of the log or of the codec over them,
//! and panics when an invariant does not hold; returning means the input passed. The fuzz
//! targets are one call each, so that a crashing input replayed by a test runs exactly the
//! code and the assertions that failed under the fuzzer.

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::codec::{from_bytes, to_bytes, Codec, DecodeError};
use crate::config::Config;
use crate::engine::LockedQueue;
use crate::error::Error;
use crate::layer::Lane;
use crate::message::{Durable, Message, Recorded};
use crate::persist::{PersistError, PersistOptions, Persistent, SyncPolicy, MIN_SEGMENT_BYTES};

use crate::persist::record::{self, Read, Record, ACK_RECORD, FRAME};

/// The bytes a segment header takes (`persist/segment.rs`).
pub const HEADER: usize = 32;

/// The header of segment `index` of partition 0, as the log writes it: magic, format version
/// 1, partition, index, the checksum of those 24 bytes, 4 zero bytes. Tested against a header
/// the log wrote, so that the fuzzer's valid headers stay valid.
pub fn segment_header(index: u64) -> [u8; HEADER] {
    let mut bytes = [0; HEADER];
    bytes[..8].copy_from_slice(b"ELQ-WAL\0");
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    bytes[12..16].copy_from_slice(&0u32.to_le_bytes());
    bytes[16..24].copy_from_slice(&index.to_le_bytes());
    let crc = crc32fast::hash(&bytes[..24]);
    bytes[24..28].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// The file name of segment `index` of partition 0.
pub fn segment_file_name(index: u64) -> String {
    format!("p0000-{index:016x}.wal")
}

/// Where a fuzz target keeps the logs it writes: under `/dev/shm` (memory) when there is one,
/// one directory per process.
pub fn scratch_dir(target: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    base.join(format!("elasticq-fuzz-{target}-{}", std::process::id()))
}

/// The fuzzer's bytes, read front to back; past their end every read gives zeros.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }

    fn u64(&mut self) -> u64 {
        let mut word = [0; 8];
        let bytes = self.take(8);
        word[..bytes.len()].copy_from_slice(bytes);
        u64::from_le_bytes(word)
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
}

/// A segment file the fuzzer described: its index (its name) and its contents.
struct Segment {
    index: u64,
    bytes: Vec<u8>,
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
fn build(input: &mut Input<'_>, first_index: u64, headers: bool) -> Vec<Segment> {
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
fn append(out: &mut Vec<u8>, seq: u64, level: u16, payload: &[u8]) -> usize {
    let raw: fn(&&[u8], &mut Vec<u8>) = |payload, out| out.extend_from_slice(payload);
    record::append_message(out, seq, level, &payload, raw)
        .expect("a payload of at most 255 bytes fits in a record")
}

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
fn walk(bytes: &[u8], mut at: usize) -> usize {
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

/// A message type whose encoding is any bytes at all: every checksummed record decodes, so
/// recovery goes on past the codec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loose(pub Vec<u8>);

/// A message type with a strict encoding (a `u32`, then a `String`): most payloads do not
/// decode, which `open` must report as [`PersistError::Decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strict(pub u32, pub String);

impl Codec for Loose {
    const MIN_ENCODED_LEN: usize = 0;

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        Ok(Loose(std::mem::take(input).to_vec()))
    }
}

impl Codec for Strict {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
        self.1.encode(out);
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        Ok(Strict(u32::decode(input)?, String::decode(input)?))
    }
}

macro_rules! persisted_message {
    ($($name:ident),*) => {$(
        impl Message for $name {
            type Queue = ();
            type Lanes<E: Lane<Self>> = E;
            const NAME: &'static str = stringify!($name);
        }

        impl Durable for $name {
            type RecordedLanes<E: Lane<Recorded<Self>>> = E;
        }
    )*};
}
persisted_message!(Loose, Strict);

/// A message the check pushes into a recovered queue.
trait Fresh: Codec + Durable + Clone + Debug + PartialEq + Send + 'static {
    fn fresh(n: u8) -> Self;
}

impl Fresh for Loose {
    fn fresh(n: u8) -> Self {
        Loose(vec![b'f', n])
    }
}

impl Fresh for Strict {
    fn fresh(n: u8) -> Self {
        Strict(u32::from(n), format!("fresh {n}"))
    }
}

type Queue<M> = Persistent<M, LockedQueue<Recorded<M>>>;

/// Recovery over arbitrary segment bytes, through the public API: the bytes are written to
/// `scratch` as the segments of partition 0 and a persisted queue is opened over them.
///
/// The first byte chooses:
/// - bit 0: the rest is built with the language of `build` (valid headers and checksums,
///   several segments; the next byte is the first segment's index, `0xff` then 8 bytes of
///   it); otherwise the rest is one segment file `p0000-0000000000000000.wal` as it is, after
///   a valid header when bit 4 is set;
/// - bit 1: [`SyncPolicy::EveryWrite`] rather than [`SyncPolicy::None`];
/// - bit 2: a queue of at most 2 messages;
/// - bit 3: messages are [`Strict`] rather than [`Loose`];
/// - bit 5: `compact()` after the recovered messages are popped;
/// - bit 6: the recovered messages are taken as deliveries and dropped unacknowledged
///   rather than popped.
///
/// `open` must return `Ok` or a typed error (a damaged header, a message that does not
/// decode, more messages than the queue holds, a priority out of range), never panic, and an
/// `open` that fails must leave every file as it was. When it opens, the recovered messages
/// are taken, two more are pushed, and the queue is closed and opened again: that `open` must
/// succeed with no cut (the log recovery left is clean) and give back exactly what is owed,
/// in order.
pub fn recovery(data: &[u8], scratch: &Path) {
    let mut input = Input(data);
    let flags = input.byte().unwrap_or(0);
    let segments = if flags & 1 == 0 {
        let mut bytes = Vec::new();
        if flags & 0x10 != 0 {
            bytes.extend_from_slice(&segment_header(0));
        }
        bytes.extend_from_slice(input.rest());
        vec![Segment { index: 0, bytes }]
    } else {
        let first = match input.byte() {
            Some(0xff) => input.u64(),
            other => u64::from(other.unwrap_or(0)),
        };
        build(&mut input, first, true)
    };
    let check = Check {
        segments,
        dir: scratch.join("log"),
        sync: if flags & 2 == 0 {
            SyncPolicy::None
        } else {
            SyncPolicy::EveryWrite
        },
        // Deliveries left unacknowledged come back with what is pushed after them: a queue
        // of 2 would not hold them all.
        config: if flags & 4 == 0 || flags & 0x40 != 0 {
            Config::new().initial_capacity(4)
        } else {
            Config::new()
                .initial_capacity(2)
                .min_capacity(1)
                .max_capacity(2)
        },
        compact: flags & 0x20 != 0,
        unacked: flags & 0x40 != 0,
    };
    if flags & 8 == 0 {
        check.run::<Loose>();
    } else {
        check.run::<Strict>();
    }
    // Left only if empty: the next input's directory is made again.
    let _ = std::fs::remove_dir(scratch);
}

struct Check {
    segments: Vec<Segment>,
    dir: PathBuf,
    sync: SyncPolicy,
    config: Config,
    compact: bool,
    unacked: bool,
}

impl Check {
    fn options(&self) -> PersistOptions {
        PersistOptions::new(&self.dir)
            .sync(self.sync)
            .segment_bytes(MIN_SEGMENT_BYTES)
    }

    fn run<M: Fresh>(&self) {
        let dir = &self.dir;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("create the scratch directory");
        for segment in &self.segments {
            std::fs::write(dir.join(segment_file_name(segment.index)), &segment.bytes)
                .expect("write a segment");
        }
        match Queue::<M>::open(self.config, self.options()) {
            Err(error) => self.refused(&error),
            Ok(queue) => self.recovered(queue),
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    /// `open` failed: with a typed error about the content, and without touching a file.
    fn refused(&self, error: &Error) {
        // Errors about the log's content are expected: a damaged or foreign header, a message
        // that does not decode, a priority out of range, more messages than the queue holds.
        // These are not: the files are ours, on a healthy file system, for one partition.
        assert!(
            !matches!(
                error,
                Error::InvalidConfig { .. }
                    | Error::Persist(
                        PersistError::Io { .. }
                            | PersistError::Locked { .. }
                            | PersistError::Partitions { .. }
                    )
            ),
            "open failed with an error that is not about the log's content: {error:?}"
        );
        for segment in &self.segments {
            let path = self.dir.join(segment_file_name(segment.index));
            let now = std::fs::read(&path).expect("a segment is still there after a failed open");
            assert!(
                now == segment.bytes,
                "an open that failed ({error}) changed {}",
                path.display()
            );
        }
        assert_eq!(
            self.cut_files(),
            0,
            "an open that failed ({error}) saved a cut"
        );
    }

    fn recovered<M: Fresh>(&self, queue: Queue<M>) {
        let stats = queue.persist_stats();
        for cut in &stats.cuts {
            let name = cut.path.file_name().and_then(|name| name.to_str());
            let original = self
                .segments
                .iter()
                .find(|segment| Some(segment_file_name(segment.index).as_str()) == name)
                .unwrap_or_else(|| panic!("a cut of a file that is not a segment: {cut:?}"));
            assert!(
                cut.offset.saturating_add(cut.bytes) <= original.bytes.len() as u64,
                "a cut beyond the end of its segment: {cut:?}"
            );
        }
        let mut owed = Vec::new();
        let mut deliveries = Vec::new();
        if self.unacked {
            while let Some(delivery) = queue.pop_delivery() {
                owed.push(delivery.message().clone());
                deliveries.push(delivery);
            }
        } else {
            while let Some(message) = queue.pop() {
                owed.push(message);
            }
        }
        assert_eq!(
            owed.len() as u64,
            stats.recovered,
            "open reported {} messages recovered; the queue held {}",
            stats.recovered,
            owed.len()
        );
        drop(deliveries);
        if self.compact {
            queue.compact().expect("compact a recovered log");
        }
        if !self.unacked {
            owed.clear();
        }
        for n in 1..=2 {
            let message = M::fresh(n);
            if let Err(error) = queue.push(message.clone()) {
                panic!("a push after recovery failed: {error:?}");
            }
            owed.push(message);
        }
        drop(queue);
        let queue = match Queue::<M>::open(self.config, self.options()) {
            Ok(queue) => queue,
            Err(error) => panic!("the log recovery left does not open again: {error:?}"),
        };
        let again = queue.persist_stats();
        assert!(
            again.cuts.is_empty(),
            "the log recovery left is cut again: {:?} (first open: {:?})",
            again.cuts,
            stats.cuts
        );
        let mut back = Vec::new();
        while let Some(message) = queue.pop() {
            back.push(message);
        }
        assert_eq!(back, owed, "the second open gave back something else");
    }

    fn cut_files(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.file_name().to_string_lossy().ends_with(".cut"))
                    .count()
            })
            .unwrap_or(0)
    }
}

/// [`Codec`] decoding over arbitrary bytes: the first byte chooses a type (modulo 32), the
/// rest is decoded as one (see [`round_trip`]).
pub fn codec_decode(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    type Composite = (
        u8,
        i64,
        Option<String>,
        Vec<(bool, char)>,
        [u16; 3],
        Box<f64>,
        Duration,
        Vec<Vec<u8>>,
    );
    match which % 32 {
        0 => round_trip::<u8>(bytes),
        1 => round_trip::<u16>(bytes),
        2 => round_trip::<u32>(bytes),
        3 => round_trip::<u64>(bytes),
        4 => round_trip::<u128>(bytes),
        5 => round_trip::<i32>(bytes),
        6 => round_trip::<i64>(bytes),
        7 => round_trip::<f32>(bytes),
        8 => round_trip::<f64>(bytes),
        9 => round_trip::<usize>(bytes),
        10 => round_trip::<isize>(bytes),
        11 => round_trip::<bool>(bytes),
        12 => round_trip::<char>(bytes),
        13 => round_trip::<String>(bytes),
        14 => round_trip::<Vec<u8>>(bytes),
        15 => round_trip::<Option<u32>>(bytes),
        16 => round_trip::<Option<String>>(bytes),
        17 => round_trip::<(u8, String)>(bytes),
        18 => round_trip::<Vec<String>>(bytes),
        19 => round_trip::<Vec<Option<bool>>>(bytes),
        20 => round_trip::<[u16; 3]>(bytes),
        21 => round_trip::<Box<Option<u64>>>(bytes),
        22 => round_trip::<Duration>(bytes),
        23 => round_trip::<Vec<(u32, Vec<u8>)>>(bytes),
        24 => round_trip::<Vec<[u8; 0]>>(bytes),
        25 => round_trip::<Option<Option<char>>>(bytes),
        26 => round_trip::<(bool, char, Option<String>, Duration)>(bytes),
        27 => round_trip::<Composite>(bytes),
        28 => round_trip::<Vec<Vec<u8>>>(bytes),
        29 => round_trip::<[Option<u8>; 4]>(bytes),
        30 => round_trip::<(i8, i16, i128, Strict)>(bytes),
        _ => round_trip::<Vec<Duration>>(bytes),
    }
}

/// Decodes `bytes` as a `T` and checks what the codec promises:
/// - decoding never panics; [`from_bytes`] is `decode` plus the trailing-bytes check, with the
///   same error or the exact offset and count of what is left over;
/// - a value that decodes re-encodes ([`to_bytes`]) to bytes no longer than those it was read
///   from and at least `T::MIN_ENCODED_LEN` long (collections trust that bound), which decode
///   to the same value and re-encode to the same bytes;
/// - no strict prefix of an encoding decodes.
///
/// Values are compared through their encoding and `Debug`, so that floats (NaN) compare too.
pub fn round_trip<T: Codec + Debug>(bytes: &[u8]) {
    let mut rest = bytes;
    let decoded = T::decode(&mut rest);
    let whole = from_bytes::<T>(bytes);
    let value = match decoded {
        Err(error) => {
            assert_eq!(whole.err(), Some(error), "from_bytes is not decode");
            return;
        }
        Ok(value) => value,
    };
    let used = bytes.len() - rest.len();
    match whole {
        Ok(whole) => {
            assert!(
                rest.is_empty(),
                "from_bytes accepted {} trailing bytes",
                rest.len()
            );
            assert_eq!(format!("{whole:?}"), format!("{value:?}"));
        }
        Err(error) => assert_eq!(
            error,
            DecodeError::TrailingBytes {
                offset: used,
                count: rest.len()
            }
        ),
    }
    let encoded = to_bytes(&value);
    assert!(
        encoded.len() <= used,
        "{value:?} decoded from {used} bytes encodes to {}",
        encoded.len()
    );
    assert!(
        encoded.len() >= T::MIN_ENCODED_LEN,
        "{value:?} encodes to {} bytes, below MIN_ENCODED_LEN = {}",
        encoded.len(),
        T::MIN_ENCODED_LEN
    );
    let again = match from_bytes::<T>(&encoded) {
        Ok(again) => again,
        Err(error) => panic!("the encoding of {value:?} does not decode: {error}"),
    };
    assert_eq!(to_bytes(&again), encoded, "{value:?} does not round-trip");
    assert_eq!(format!("{again:?}"), format!("{value:?}"));
    if let Some((_, shorter)) = encoded.split_last() {
        assert!(
            from_bytes::<T>(shorter).is_err(),
            "a strict prefix of the encoding of {value:?} decodes"
        );
    }
}

/// The seed corpus of each target, `(target, file name, bytes)`: a few valid inputs for each,
/// committed in `fuzz/corpus/<target>/` (a test checks that they match).
pub fn seed_corpus() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut seeds = Vec::new();
    let mut log = Vec::new();
    append(&mut log, 1, 0, b"hello");
    append(&mut log, 2, 1, b"world");
    let voided = log.len();
    append(&mut log, 3, 0, b"refused");
    record::void(&mut log[voided..]);
    record::append_ack(&mut log, 1);
    let mut padded = log.clone();
    padded.resize(log.len() + 64, 0);

    let prefixed = |flag: u8, bytes: &[u8]| [&[flag][..], bytes].concat();
    seeds.push(("record_reader", "empty".into(), vec![0]));
    seeds.push(("record_reader", "records".into(), prefixed(0, &padded)));
    seeds.push((
        "record_reader",
        "torn".into(),
        prefixed(0, &log[..log.len() - 3]),
    ));
    // Messages "abc" and "de" (level 1), a void "vw", an ack of the first, a torn message,
    // zeros.
    let ops = [
        0x00, 3, b'a', b'b', b'c', 0x10, 2, b'd', b'e', 0x0c, 2, b'v', b'w', 0x01, 2, 0x00, 2,
        b'x', b'y', 0x07, 4, 0x05, 16,
    ];
    seeds.push(("record_reader", "built".into(), prefixed(1, &ops)));

    seeds.push((
        "recovery",
        "raw-header-flag".into(),
        prefixed(0x10, &padded),
    ));
    let mut file = segment_header(0).to_vec();
    file.extend_from_slice(&padded);
    seeds.push(("recovery", "raw-whole-file".into(), prefixed(0x00, &file)));
    let mut two = vec![
        0x00, 0x00, 3, b'a', b'b', b'c', 0x00, 1, b'd', 0x01, 1, 0x08,
    ];
    two.extend_from_slice(&[0x00, 2, b'e', b'f', 0x0c, 1, b'z', 0x01, 1, 0x0b]);
    seeds.push((
        "recovery",
        "built-two-segments".into(),
        prefixed(0x01, &two),
    ));
    let mut strict = vec![0x00, 0x0a, 7, 0, 0, 0, 0, 0, 0, 0, 2, b'h', b'i'];
    strict.extend_from_slice(&[0x0a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 40]);
    seeds.push((
        "recovery",
        "built-strict".into(),
        prefixed(0x01 | 0x08, &strict),
    ));
    let torn = [
        0x03, 0x00, 3, b'a', b'b', b'c', 0x00, 4, 1, 2, 3, 4, 0x07, 2, 0x08, 0x00, 0,
    ];
    seeds.push((
        "recovery",
        "built-torn-unacked-compact".into(),
        prefixed(0x01 | 0x02 | 0x20 | 0x40, &torn),
    ));

    let codec = |which: u8, bytes: Vec<u8>| [vec![which], bytes].concat();
    seeds.push(("codec_decode", "u64".into(), codec(3, to_bytes(&7u64))));
    seeds.push((
        "codec_decode",
        "string".into(),
        codec(13, to_bytes(&"topic".to_string())),
    ));
    seeds.push((
        "codec_decode",
        "pairs".into(),
        codec(23, to_bytes(&vec![(1u32, vec![2u8, 3]), (4, vec![])])),
    ));
    let composite = (
        9u8,
        -3i64,
        Some("x".to_string()),
        vec![(true, 'é')],
        [1u16, 2, 3],
        Box::new(1.5f64),
        Duration::new(5, 6),
        vec![vec![1u8], vec![]],
    );
    seeds.push((
        "codec_decode",
        "composite".into(),
        codec(27, to_bytes(&composite)),
    ));
    seeds.push((
        "codec_decode",
        "strict".into(),
        codec(30, to_bytes(&(1i8, -2i16, 3i128, Strict(4, "s".into())))),
    ));
    seeds
}
