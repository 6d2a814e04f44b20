//! Work a commit leaves for after it, outside the log's locks: preparing the next segment
//! before a roll needs it, and deleting consumed segments in order, each deletion durable
//! before the next.

use std::path::Path;

use super::{PartitionLog, Prepared};
use crate::persist::segment::{self, HEADER};
use crate::persist::PersistError;
use crate::persist::SyncPolicy;
use crate::sync::Ordering;

impl PartitionLog {
    /// Prepares the next segment and deletes consumed ones, when asked to and no other
    /// thread is at it. Failures here lose nothing: a roll without a prepared segment makes
    /// one itself, and a segment not deleted is read again by recovery.
    pub(super) fn maintain(&self) {
        let Some(guard) = self.maintenance.try_lock() else {
            return;
        };
        self.needs_maintenance.store(false, Ordering::Relaxed);
        self.prepare(&guard);
        self.delete_consumed(&guard);
        self.checkpoint_if_due();
    }

    pub(super) fn prepare(&self, _maintenance: &parking_lot::MutexGuard<'_, ()>) {
        let index = {
            let mut state = self.state.lock();
            let wanted = self.policy != SyncPolicy::None
                && state.failed.is_none()
                && state.prepared.is_none()
                && !state.preparing;
            if !wanted {
                return;
            }
            state.preparing = true;
            state.next_index += 1;
            state.next_index - 1
        };
        let made = segment::create(
            &*self.fs,
            &self.dir,
            self.partition,
            index,
            self.segment_bytes,
            self.policy == SyncPolicy::EveryWrite,
            true,
        );
        let mut state = self.state.lock();
        state.preparing = false;
        match made {
            // A roll that could not wait made a later segment already: this one would sit
            // between it and the older ones, empty; it is deleted instead.
            Ok((_, path)) if index < state.active.index => {
                drop(state);
                self.remove(&path);
            }
            Ok((file, path)) => {
                state.prepared = Some(Prepared {
                    file,
                    path,
                    index,
                    bytes: self.segment_bytes,
                });
            }
            Err(error) => {
                tracing::warn!(%error, partition = self.partition, "elasticq: could not prepare the next log segment; the roll will make it");
            }
        }
    }

    /// Deletes segments at the front whose messages are all acknowledged, durably. Only a
    /// prefix, one at a time, each deletion synced before the next: a segment's
    /// acknowledgements are in it or in later ones, so a later segment gone while an earlier
    /// one is still there could bring acknowledged messages back at recovery. Returns the
    /// bytes freed.
    pub(super) fn delete_consumed(&self, _maintenance: &parking_lot::MutexGuard<'_, ()>) -> u64 {
        let mut freed = 0;
        loop {
            let segment = {
                let mut state = self.state.lock();
                let durable = self.durable.load(Ordering::Acquire);
                let consumed = state.segments.len() > 1 && state.segments[0].live() == 0;
                if !consumed {
                    return freed;
                }
                if self.policy != SyncPolicy::None && state.segments[0].acked_at > durable {
                    // Consumed, but its acknowledgements are not durable yet: the commit
                    // that makes them so comes back for it.
                    self.needs_maintenance.store(true, Ordering::Relaxed);
                    return freed;
                }
                match state.segments.pop_front() {
                    Some(segment) => segment,
                    None => return freed,
                }
            };
            if self.remove(&segment.path) {
                freed += segment.bytes;
            } else {
                // Left in place: recovery reads it again, which is correct, only slower.
                self.state.lock().segments.push_front(segment);
                return freed;
            }
        }
    }

    /// Removes a segment file and, unless the policy is `None`, syncs the directory; first
    /// syncs an earlier removal whose directory sync failed, so removals reach the disk in
    /// order. Returns whether the file is gone.
    pub(super) fn remove(&self, path: &Path) -> bool {
        let durable = self.policy != SyncPolicy::None;
        let warn = |error: PersistError| {
            tracing::warn!(%error, "elasticq: could not delete a consumed log segment");
        };
        if durable {
            if let Err(error) = self.sync_dir_if_changed() {
                warn(error);
                return false;
            }
        }
        if let Err(error) = self.fs.remove_file(path) {
            warn(PersistError::io(path, "remove", &error));
            return false;
        }
        self.dir_changed();
        if durable {
            if let Err(error) = self.sync_dir_if_changed() {
                // Gone, but perhaps not durably: the next commit or removal syncs it first.
                warn(error);
            }
        }
        true
    }

    /// Deletes every consumed segment, rolling the active one first if all of it is
    /// consumed, and syncing first so that the acknowledgements are durable. Returns the
    /// bytes freed.
    pub(crate) fn compact(&self) -> Result<u64, PersistError> {
        let position = {
            let mut state = self.state.lock();
            if let Some(error) = &state.failed {
                return Err(error.clone());
            }
            let active_consumed = state.segments.iter().all(|segment| segment.live() == 0)
                && state.active.end > HEADER as u64;
            if active_consumed {
                self.roll(&mut state, 0)?;
            }
            state.appended
        };
        self.commit_through(position)?;
        let maintenance = self.maintenance.lock();
        Ok(self.delete_consumed(&maintenance))
    }
}
