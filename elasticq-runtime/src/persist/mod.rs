//! Persistence: a write-ahead log per partition, so that a queue's messages survive a crash
//! until they are delivered and acknowledged.
//!
//! The files: `directory` (lock, manifest, listing), `segment` (file names, headers,
//! creation), `record` (the record format and its reader), `log` (appends, group commit,
//! rolling and deleting segments), `recover` (reading a log back), `queue` (the layer the
//! generated queues use, and deliveries).

mod directory;
mod fs;
mod log;
mod options;
mod owed;
mod queue;
mod record;
mod recover;
mod segment;
#[cfg(test)]
mod tests;

pub use self::options::{PersistOptions, SyncPolicy, MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES};
pub use self::queue::{AckError, Delivery, PersistStats, Persistent};
pub use self::record::MAX_RECORD_BYTES;
pub use self::recover::Cut;
