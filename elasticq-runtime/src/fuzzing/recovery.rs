//! Recovery over arbitrary segment files, through a persisted queue's public API.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use crate::codec::{Codec, DecodeError};
use crate::config::Config;
use crate::engine::LockedQueue;
use crate::error::Error;
use crate::layer::Lane;
use crate::message::{Durable, Message, Recorded};
use crate::persist::{PersistError, PersistOptions, Persistent, SyncPolicy, MIN_SEGMENT_BYTES};

use super::input::{build, Input, Segment};
use super::{segment_file_name, segment_header};

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
pub(super) trait Fresh:
    Codec + Durable + Clone + Debug + PartialEq + Send + 'static
{
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

pub(super) type Queue<M> = Persistent<M, LockedQueue<Recorded<M>>>;

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

pub(super) struct Check {
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
