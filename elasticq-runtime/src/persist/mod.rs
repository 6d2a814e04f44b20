//! Persistence: a write-ahead log per partition, so that a queue's messages survive a crash
//! until they are delivered and acknowledged.
//!
//! # On disk
//!
//! A log directory holds `LOCK` (held while a queue has it open), `MANIFEST` (the partition
//! count) and, per partition, segment files `p{partition:04}-{index:016x}.wal`: a header, then
//! length-prefixed, checksummed records (`record`), then zeros. A message record carries a
//! sequence number, contiguous within a partition; an acknowledgement names the sequence
//! number it consumes. What a partition owes is every message record with no
//! acknowledgement, in sequence order.
//!
//! # Invariants
//!
//! 1. A record is durable before the call that wrote it reports success under
//!    `every_write` (`log/commit`), and writes reach a file in offset order, so a crash
//!    leaves a prefix of the records, at worst with a torn tail that recovery cuts.
//! 2. A segment's name points only at a file whose header is durable (`segment::create`).
//! 3. Segments are deleted oldest first, once their acknowledgements are durable, each
//!    deletion durable before the next (`log/maintenance`): a crash never leaves an older
//!    segment without the newer ones, so a gap in sequence numbers is always damage.
//! 4. A push that is refused leaves no record that a crash could bring back (`push`).
//! 5. Recovery always opens a log with the declaration that wrote it: what a lane cannot
//!    take under its maximum waits in order (`owed`).
//!
//! # Files
//!
//! `fs` (the one trait every file operation goes through), `directory` (lock, manifest,
//! listing), `segment` (names, headers, creation), `record` (the format and its reader),
//! `log` (appends, rolls; `commit`: group commit; `maintenance`: preparing and deleting
//! segments), `recover` (reading a log back), `owed` (recovered messages above the maximum),
//! `queue` (the layer generated queues use; `push` and `pop` its two sides), `logs` (the
//! partitions' logs and the periodic sync thread), `delivery`, `stats`. `tests/` runs the
//! log over a simulated file system that crashes at every operation.

mod delivery;
mod directory;
mod fs;
mod log;
mod logs;
mod options;
mod owed;
mod pop;
mod push;
mod queue;
// The fuzz targets' entry points (`crate::fuzzing`) read records too.
pub(crate) mod record;
mod recover;
mod segment;
mod stats;
#[cfg(test)]
mod tests;

pub use self::delivery::{AckError, Delivery};
pub use self::options::{PersistOptions, SyncPolicy, MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES};
pub use self::queue::Persistent;
pub use self::record::MAX_RECORD_BYTES;
pub use self::recover::Cut;
pub use self::stats::PersistStats;
