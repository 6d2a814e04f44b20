//! Persistence: a write-ahead log per partition, so that a queue's messages survive a crash
//! until they are delivered and acknowledged.
//!
//! `Persistent` is a layer over the partition layer, whose lanes hold
//! [`Recorded`](crate::message::Recorded) messages: a message and the place of its record.
//! It sits above `layer/` and `engine/` and below the generated queue, and nothing under it
//! names it. Its error type, [`PersistError`], is compiled without the `persist` feature
//! too, because [`Error::Persist`](crate::Error::Persist) and
//! [`PushError::Persist`](crate::PushError::Persist) name it.
//!
//! # On disk
//!
//! A log directory holds:
//! - `LOCK`: an exclusive lock, held while a queue has the directory open (`directory`); a
//!   second queue on it, in any process, gets [`PersistError::Locked`].
//! - `ID` (`log_id`), once something asked for it: the text `elasticq-log-id 1` and 32 hex
//!   digits, a random id that, with a partition and a sequence number, names a message
//!   uniquely everywhere ([`Delivery::message_id`]).
//! - `MANIFEST`: the text `elasticq-wal 1` and `partitions {n}`, one a line. Opening the log
//!   with another partition count is [`PersistError::Partitions`]: it would put keys in the
//!   wrong partitions.
//! - per partition, segment files `p{partition:04}-{index:016x}.wal`, by increasing index.
//!   A segment being created is named `p{partition:04}-{index:016x}.wal.tmp` until it is
//!   complete; bytes recovery cut are saved beside their segment as `{segment}.{offset}.cut`
//!   (`{segment}.{offset}-{n}.cut` when that name is taken).
//! - per partition, at most one checkpoint `p{partition:04}.ckpt` (`checkpoint`): the
//!   segments and the place of every message record owed as of one point of the log, so
//!   that `open` reads those records and the log after that point only (`recover/shortcut`).
//!   It is always checked against the log, and the whole log is read when they disagree.
//!
//! ## Segment files (`segment`)
//!
//! ```text
//! +-------------------+----------------------+-----------------------+
//! | header (32 bytes) | record | record | ...| zeros to the file end |
//! +-------------------+----------------------+-----------------------+
//! ```
//!
//! The header, little endian:
//!
//! | offset | size | field                                   |
//! |-------:|-----:|-----------------------------------------|
//! | 0      | 8    | magic `ELQ-WAL\0`                       |
//! | 8      | 4    | format version (`u32`, 1)               |
//! | 12     | 4    | partition (`u32`)                       |
//! | 16     | 8    | segment index (`u64`)                   |
//! | 24     | 4    | crc32 of bytes 0..24                    |
//! | 28     | 4    | zero                                    |
//!
//! A header that does not check out (short file, wrong magic, checksum, version, another
//! segment's partition or index, padding not zero) is an error naming the file and the
//! offset of the field at fault. Segments are preallocated (zeros written out, or a sparse
//! file), so the first zero length where a record would start marks the end of the log.
//!
//! ## Records (`record`)
//!
//! ```text
//! frame (8 bytes)              body (len bytes)
//! +-----------+-------------+  +----------+-----------+----------------------------------+
//! | len: u32  | crc32: u32  |  | kind: u8 | seq: u64  | message, void: level u16, payload |
//! +-----------+-------------+  +----------+-----------+----------------------------------+
//! ```
//!
//! `len` counts the body and the checksum covers it; all integers are little endian. The
//! kinds:
//! - message (1): 11 bytes of head (kind, seq, level), then the payload, the message's
//!   [`Codec`](crate::Codec) encoding, at most [`MAX_RECORD_BYTES`];
//! - acknowledgement (2): a body of exactly 9 bytes, naming the sequence number it consumes
//!   (17 bytes in the log with its frame);
//! - void (3): a message record whose push was refused while it was still buffered, its kind
//!   byte changed and its checksum resealed in place. It keeps its sequence number and owes
//!   nothing.
//!
//! Message and void records carry sequence numbers contiguous within a partition. What a
//! partition owes is every message record with no acknowledgement, in sequence order.
//!
//! ## Recovery (`recover`)
//!
//! `open` reads each partition's segments in index order and keeps every record up to the
//! first that is damaged: a frame cut short, a length beyond the file, a checksum that does
//! not match, an unknown kind, a zero length followed by data, or a sequence number out of
//! order, skipping records, or beyond the range of a log. From there on the log is cut: the
//! rest of that segment (up to its last non-zero byte) is saved to a `.cut` file and zeroed
//! in place, and every later segment is renamed away whole (to its `.0.cut` name). Each cut is reported as a
//! [`Cut`] in [`PersistStats`] and logged as a `tracing` warning. The cuts are made only once
//! every partition has been read, so an `open` that fails changes no file. A payload that
//! does not decode, a damaged header, or an I/O error while reading is an error naming the
//! file and offset, not a cut: nothing valid is discarded silently. Segments are read with
//! positioned reads, never through a memory map, so a file cut short by another process is
//! an error, not a signal.
//!
//! # Invariants
//!
//! 1. A record is durable before the call that wrote it reports success under
//!    `every_write` (`log/commit`), and writes reach a file in offset order, so a crash
//!    leaves a prefix of the records, at worst with a torn tail that recovery cuts.
//! 2. A segment's name points only at a file whose header is durable: it is written and
//!    synced under the temporary name, then renamed (`segment::create`).
//! 3. Segments are deleted oldest first, once their acknowledgements are durable, each
//!    deletion durable before the next (`log/maintenance`): a crash never leaves an older
//!    segment without the newer ones, so a gap in sequence numbers is always damage.
//! 4. A push that is refused leaves no record that a crash could bring back (`push`): a
//!    record still buffered when its push is refused is voided in place (`record::void`).
//! 5. Recovery always opens a log with the declaration that wrote it: owed messages come
//!    back in their partitions and levels, and what a lane cannot take under its maximum
//!    waits in order (`owed`) while new pushes wait for room.
//! 6. After recovery the log is a prefix of what was written, with zeros from the resume
//!    point to the end of the last segment: appends never follow damage.
//!
//! # Files
//!
//! `fs` (the one trait every file operation goes through), `directory` (lock, manifest,
//! listing), `segment` (names, headers, creation), `record` (the format and its reader),
//! `log` (appends, rolls; `commit`: group commit; `maintenance`: preparing and deleting
//! segments), `recover` (reading a log back), `owed` (recovered messages above the maximum),
//! `queue` (the layer generated queues use; `push` and `pop` its two sides), `logs` (the
//! partitions' logs, shared with deliveries), `returns` (deliveries handed back with `nack`,
//! waiting at the front of their lanes, and the `nack_after` timer; nothing of a `nack` is
//! written, so a returned record stays owed), `syncer` (the periodic sync thread),
//! `delivery`, `stats`, `options`, `error`, and `doc`, the fixture of the examples (reached
//! as `__doc`). `tests/` runs the log over a simulated file
//! system that crashes at every operation.

// The error type is user facing without the feature too: `Error::Persist` names it.
mod error;
pub use self::error::PersistError;

#[cfg(feature = "persist")]
pub(crate) mod checkpoint;
#[cfg(feature = "persist")]
mod delivery;
#[cfg(feature = "persist")]
mod directory;

// Outside the feature: the derive checks `persist(segment_bytes = N)` against them, and it
// is built without the runtime's features.
/// The smallest segment file `PersistOptions::segment_bytes` accepts.
pub const MIN_SEGMENT_BYTES: u64 = 4096;
/// The largest segment file `PersistOptions::segment_bytes` accepts.
pub const MAX_SEGMENT_BYTES: u64 = 1 << 30;
#[cfg(feature = "persist")]
pub(crate) mod doc;
#[cfg(feature = "persist")]
mod fs;
#[cfg(feature = "persist")]
mod log;
#[cfg(feature = "persist")]
mod log_id;
#[cfg(feature = "persist")]
mod logs;
#[cfg(feature = "persist")]
mod options;
#[cfg(feature = "persist")]
mod owed;
#[cfg(feature = "persist")]
mod pop;
#[cfg(feature = "persist")]
mod push;
#[cfg(feature = "persist")]
mod queue;
// The fuzz targets' entry points (`crate::__fuzz`) read records too.
#[cfg(feature = "persist")]
pub(crate) mod record;
#[cfg(feature = "persist")]
mod recover;
#[cfg(feature = "persist")]
mod returns;
#[cfg(feature = "persist")]
mod segment;
#[cfg(feature = "persist")]
mod stats;
#[cfg(feature = "persist")]
mod syncer;
#[cfg(all(test, feature = "persist"))]
mod tests;

#[cfg(feature = "persist")]
pub use self::delivery::{AckError, Delivery};
#[cfg(feature = "persist")]
pub use self::options::{PersistOptions, SyncPolicy};
#[cfg(feature = "persist")]
pub use self::queue::Persistent;
#[cfg(feature = "persist")]
pub use self::record::MAX_RECORD_BYTES;
#[cfg(feature = "persist")]
pub use self::recover::Cut;
#[cfg(feature = "persist")]
pub use self::stats::PersistStats;
