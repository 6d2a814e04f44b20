//! `PersistStats`: what a persisted queue's log has done.

use super::recover::Cut;

/// What a persisted queue's log has done (see [`Persistent::persist_stats`](super::Persistent::persist_stats)).
///
/// ```
/// use elasticq_runtime::PersistStats;
/// fn per_fsync(stats: &PersistStats) -> f64 {
///     stats.records_written as f64 / stats.fsyncs.max(1) as f64
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PersistStats {
    /// Message records written since `open`.
    pub records_written: u64,
    /// Acknowledgements written since `open`.
    pub acks_written: u64,
    /// Bytes appended to the log since `open`.
    pub bytes_written: u64,
    /// `fdatasync` calls since `open`.
    pub fsyncs: u64,
    /// Segment files on disk now.
    pub segments: usize,
    /// Their total size in bytes.
    pub disk_bytes: u64,
    /// Messages `open` read back from the log.
    pub recovered: u64,
    /// Partitions `open` read back from their checkpoint (what they owed, and the log
    /// after it) rather than from every record of the log.
    pub from_checkpoint: usize,
    /// What `open` cut from a damaged log (empty when nothing was).
    pub cuts: Vec<Cut>,
    /// Acknowledgements that could not be written (their messages come back after a
    /// restart).
    pub ack_failures: u64,
    /// Messages in the log not yet acknowledged: those queued, and those delivered and not
    /// yet acknowledged (less [`Stats::len`](crate::Stats::len), the deliveries awaiting an
    /// acknowledgement).
    pub live_records: u64,
}
