//! `Syncer`: the thread that syncs a persisted queue's logs every interval under
//! `SyncPolicy::Periodic`. It holds the logs weakly, so it never keeps a dropped queue's
//! directory locked; the queue stops and joins it when dropped.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::logs::Logs;
use super::PersistError;
use crate::sync::{AtomicBool, Ordering};

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
