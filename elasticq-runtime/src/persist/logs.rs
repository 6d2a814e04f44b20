//! `Logs`: the logs of a persisted queue's partitions, shared by the queue and its
//! deliveries, and the thread that syncs them under `SyncPolicy::Periodic`.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::directory::Directory;
use super::log::PartitionLog;
use super::recover::Cut;
use super::SyncPolicy;
use crate::sync::{AtomicBool, AtomicU64, Ordering};
use crate::PersistError;

/// The logs of a persisted queue's partitions, and the directory they are in (held, so
/// locked, as long as the queue or one of its deliveries is alive).
pub(crate) struct Logs {
    pub(super) partitions: Box<[CachePadded<PartitionLog>]>,
    pub(super) policy: SyncPolicy,
    pub(super) recovered: u64,
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

/// The periodic sync thread; stopped and joined when the queue is dropped.
pub(super) struct Syncer {
    pub(super) stop: Arc<AtomicBool>,
    pub(super) thread: JoinHandle<()>,
}

impl Syncer {
    pub(super) fn start(logs: &Arc<Logs>, interval: Duration) -> Result<Self, PersistError> {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = Arc::downgrade(logs);
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("elasticq-log-sync".into())
            .spawn(move || loop {
                std::thread::park_timeout(interval);
                if stopped.load(Ordering::Acquire) {
                    return;
                }
                let Some(logs) = weak.upgrade() else { return };
                for log in logs.partitions.iter() {
                    if let Err(error) = log.sync() {
                        tracing::warn!(%error, partition = log.partition(), "elasticq: periodic log sync failed");
                    }
                }
            })
            .map_err(|e| PersistError::io(logs.directory.path(), "start the sync thread", &e))?;
        Ok(Syncer { stop, thread })
    }
}
