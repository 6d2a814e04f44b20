//! `Logs`: the logs of a persisted queue's partitions, shared by the queue and its
//! deliveries (the thread that syncs them under `SyncPolicy::Periodic` is `syncer`).

use crossbeam_utils::CachePadded;

use super::directory::Directory;
use super::log::PartitionLog;
use super::recover::Cut;
use super::SyncPolicy;
use crate::sync::{AtomicU64, Ordering};

/// The logs of a persisted queue's partitions, and the directory they are in (held, so
/// locked, as long as the queue or one of its deliveries is alive).
pub(crate) struct Logs {
    pub(super) partitions: Box<[CachePadded<PartitionLog>]>,
    pub(super) policy: SyncPolicy,
    pub(super) recovered: u64,
    pub(super) from_checkpoint: usize,
    pub(super) cuts: Vec<Cut>,
    pub(super) ack_failures: AtomicU64,
    // Dropped after the logs (fields drop in order), which sync on drop.
    pub(super) directory: Directory,
}

impl Logs {
    pub(super) fn log(&self, partition: u32) -> &PartitionLog {
        &self.partitions[partition as usize]
    }

    /// Acknowledges records without waiting for the acknowledgements to be durable. A failure
    /// is counted and logged: the message was delivered, and comes back after a restart.
    pub(super) fn ack_quietly(&self, partition: u32, seqs: impl IntoIterator<Item = u64>) {
        if let Err(error) = self.log(partition).ack(seqs) {
            self.ack_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%error, partition, "elasticq: could not acknowledge a delivered message; it is delivered again after the queue reopens");
        }
    }
}
