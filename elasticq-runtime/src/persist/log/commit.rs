//! Making appends durable: the group commit (one committer writes the buffer and syncs every
//! file with unsynced writes for everyone waiting), and the write-behind of the policies that
//! do not sync on every write.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{PartitionLog, State, MAX_GATHER, WRITE_BEHIND};
use crate::persist::PersistError;
use crate::persist::SyncPolicy;
use crate::sync::Ordering;

impl PartitionLog {
    /// Waits until everything appended up to `position` is durable, committing it if no one
    /// else is (group commit). Returns at once under policies other than `EveryWrite`.
    pub(crate) fn wait_durable(&self, position: u64) -> Result<(), PersistError> {
        if self.policy != SyncPolicy::EveryWrite {
            return Ok(());
        }
        self.sync_through(position)
    }

    /// Writes and syncs everything appended so far.
    pub(crate) fn sync(&self) -> Result<(), PersistError> {
        let position = self.state.lock().appended;
        self.sync_through(position)
    }

    /// Makes everything appended up to `position` durable, whatever the policy; then does
    /// the maintenance a commit may have asked for.
    pub(crate) fn sync_through(&self, position: u64) -> Result<(), PersistError> {
        self.commit_through(position)?;
        if self.needs_maintenance.load(Ordering::Relaxed) {
            self.maintain();
        }
        Ok(())
    }

    pub(super) fn commit_through(&self, position: u64) -> Result<(), PersistError> {
        if self.durable.load(Ordering::Acquire) >= position {
            return Ok(());
        }
        let mut committing = self.committing.lock();
        loop {
            if self.durable.load(Ordering::Acquire) >= position {
                return Ok(());
            }
            if *committing {
                self.committed.wait(&mut committing);
                continue;
            }
            *committing = true;
            drop(committing);
            let result = self.commit();
            committing = self.committing.lock();
            *committing = false;
            self.committed.notify_all();
            result?;
        }
    }

    /// Writes the buffer (under the state lock: writes go out in offset order) and syncs
    /// every file with unsynced writes, the active one last, outside the lock so appends
    /// continue meanwhile. Only one commit runs at a time (`committing`).
    pub(super) fn commit(&self) -> Result<(), PersistError> {
        self.gather();
        let started = Instant::now();
        let (files, position) = {
            let mut state = self.state.lock();
            if let Some(error) = &state.failed {
                return Err(error.clone());
            }
            let taken = self.buffered.swap(0, Ordering::AcqRel);
            self.last_group.store(taken, Ordering::Relaxed);
            self.write_buffer(&mut state)?;
            let mut files = std::mem::take(&mut state.unsynced);
            files.push((Arc::clone(&state.active.file), state.active.path.clone()));
            (files, state.appended)
        };
        let mut result = Ok(());
        for (file, path) in &files {
            result = file
                .sync_data()
                .map_err(|e| PersistError::io(path, "fsync", &e));
            self.counters.fsyncs.fetch_add(1, Ordering::Relaxed);
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            // Segments made since the last directory sync are reachable only once it is.
            result = self.sync_dir_if_changed();
        }
        let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_commit_nanos.store(took, Ordering::Relaxed);
        if let Err(error) = result {
            self.state.lock().failed.get_or_insert(error.clone());
            return Err(error);
        }
        self.durable.fetch_max(position, Ordering::Release);
        Ok(())
    }

    /// Before a commit takes the buffer: when the last commit carried several messages,
    /// waits (a quarter of a commit at most) for as many to be buffered again. A committer
    /// that has just returned is usually first back with its next record, and would
    /// otherwise sync it almost alone while the producers it woke are still appending
    /// theirs: commits would alternate between one message and the rest. A lone producer
    /// never waits here.
    pub(super) fn gather(&self) {
        let group = self.last_group.load(Ordering::Relaxed);
        if group > 1 {
            let budget = Duration::from_nanos(self.last_commit_nanos.load(Ordering::Relaxed) / 4)
                .min(MAX_GATHER);
            let start = Instant::now();
            while self.buffered.load(Ordering::Acquire) < group && start.elapsed() < budget {
                std::thread::yield_now();
            }
        }
    }

    /// Under the policies without a sync per write, writes a full buffer out.
    pub(super) fn write_behind(&self, state: &mut State) -> Result<(), PersistError> {
        if self.policy == SyncPolicy::EveryWrite || state.buffer.len() < WRITE_BEHIND {
            return Ok(());
        }
        self.write_buffer(state)
    }

    pub(super) fn write_buffer(&self, state: &mut State) -> Result<(), PersistError> {
        if state.buffer.is_empty() {
            return Ok(());
        }
        let offset = state.active.written;
        if let Err(error) = state.active.file.write_all_at(&state.buffer, offset) {
            let error = PersistError::io(&state.active.path, "write", &error);
            state.failed.get_or_insert(error.clone());
            return Err(error);
        }
        state.active.written += state.buffer.len() as u64;
        state.buffer.clear();
        Ok(())
    }
}
