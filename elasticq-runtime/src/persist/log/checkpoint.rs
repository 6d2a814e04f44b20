//! Writing a partition's checkpoint (`persist::checkpoint`): what it owes and where, as of
//! a place in its log that is durable.
//!
//! A checkpoint is written when the queue is closed (clean: nothing comes after it), when
//! the log is opened over an existing one (not clean, before any append: a clean one must
//! not outlive the first write after it), and while the queue runs, once the log has grown
//! by a quarter segment (or eight times the last checkpoint, whichever is more) since the
//! last one, by the maintenance after a commit. Under `SyncPolicy::None` nothing is
//! checkpointed while the queue runs, since that would sync what the policy says it never
//! syncs on its own: a crash then reads the log back from the last open.

use std::path::PathBuf;

use super::{PartitionLog, State};
use crate::persist::checkpoint::{self, Checkpoint, CoveredSegment};
use crate::persist::fs::Open;
use crate::persist::{PersistError, SyncPolicy};

impl PartitionLog {
    /// Writes a checkpoint of the log as it is now, once what it covers is durable; then
    /// syncs the directory when `durable`. `clean`: no append may follow (the queue is
    /// closing).
    pub(super) fn write_checkpoint(&self, clean: bool, durable: bool) -> Result<(), PersistError> {
        let (checkpoint, position) = {
            let mut state = self.state.lock();
            if let Some(error) = &state.failed {
                return Err(error.clone());
            }
            state.checkpointed_at = state.appended;
            (self.snapshot(&state, clean), state.appended)
        };
        // Rule 1 of `persist::checkpoint`: never name a record the log could still lose.
        self.commit_through(position)?;
        let bytes = checkpoint.encode();
        let path = self.dir.join(checkpoint::file_name(self.partition));
        let temporary: PathBuf = self.dir.join(checkpoint::temporary_name(self.partition));
        let io = |operation, error: std::io::Error| PersistError::io(&temporary, operation, &error);
        let file = self
            .fs
            .open(&temporary, Open::Create)
            .map_err(|e| io("create", e))?;
        file.write_all_at(&bytes, 0).map_err(|e| io("write", e))?;
        file.sync_data().map_err(|e| io("fsync", e))?;
        drop(file);
        self.fs
            .rename(&temporary, &path)
            .map_err(|e| io("rename", e))?;
        self.dir_changed();
        if durable {
            self.sync_dir_if_changed()?;
        }
        let mut state = self.state.lock();
        let every = (self.segment_bytes / 4).max(8 * bytes.len() as u64);
        state.checkpoint_due = state.checkpointed_at + every;
        Ok(())
    }

    /// Writes a checkpoint if the log grew enough since the last one (maintenance only).
    pub(super) fn checkpoint_if_due(&self) {
        let due = {
            let state = self.state.lock();
            self.checkpoint_is_due(&state)
        };
        if due {
            if let Err(error) = self.write_checkpoint(false, false) {
                // Nothing is lost: recovery reads from the last checkpoint, only further.
                tracing::warn!(%error, partition = self.partition, "elasticq: could not write a log checkpoint");
            }
        }
    }

    /// Whether the maintenance should write a checkpoint.
    pub(super) fn checkpoint_is_due(&self, state: &State) -> bool {
        self.policy != SyncPolicy::None
            && state.failed.is_none()
            && state.appended >= state.checkpoint_due
    }

    fn snapshot(&self, state: &State, clean: bool) -> Checkpoint {
        let mut segments = Vec::with_capacity(state.segments.len());
        let mut owed = Vec::new();
        for (position, info) in state.segments.iter().enumerate() {
            segments.push(CoveredSegment {
                index: info.index,
                bytes: info.bytes,
                seqs: info.seqs,
            });
            // Far fewer segments than 2^32: each is at least `MIN_SEGMENT_BYTES`.
            owed.extend(info.places.iter().map(|place| (position as u32, place)));
        }
        Checkpoint {
            partition: self.partition,
            clean,
            index: state.active.index,
            offset: state.active.end,
            next_seq: state.next_seq,
            segments,
            owed,
        }
    }
}
