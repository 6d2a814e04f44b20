//! `PartitionLog`: one partition's log: appends, acknowledgements, group commit, rolling to
//! new segments and deleting consumed ones.
//!
//! Appends go into an in-memory buffer under the state lock. Who writes the buffer out
//! depends on the sync policy: under `EveryWrite`, a caller waiting for its record becomes
//! the committer if no one is (else it waits for the one who is), writes the whole buffer
//! (under the state lock, so that writes reach the file in offset order and no later write
//! can land past a hole) and syncs once, outside the lock, for every record in it: that is
//! the group commit. Producers keep appending meanwhile, so the next commit carries
//! everything that arrived during this one. Under the other policies the buffer is written
//! when it fills, and synced by `sync` (or the periodic thread).
//!
//! Rolling to the next segment costs no more than a commit: the next segment is prepared
//! (created, zero-filled, synced and renamed into place) ahead of need, by the committer that
//! finds the active segment half full, outside every lock but its own `maintenance` one; the
//! roll itself writes the old segment's tail to the page cache and switches files, and the
//! next commit syncs that tail before it reports anything durable. Consumed segments are
//! deleted the same way, oldest first, each deletion made durable (the directory synced)
//! before the next: a deleted segment that came back after a power loss, in front of later
//! ones that did not, would look like lost records to recovery.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::fs::{FileSystem, LogFile};
use super::record::{self, ACK_RECORD};
use super::segment::{self, HEADER};
use super::SyncPolicy;
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::PersistError;

/// Buffered bytes that are written out without waiting for a sync (policies other than
/// `EveryWrite`).
const WRITE_BEHIND: usize = 64 << 10;

/// The longest a commit waits for callers to gather.
const MAX_GATHER: Duration = Duration::from_micros(250);

/// What the log knows of one segment file.
#[derive(Debug)]
pub(crate) struct SegmentInfo {
    pub(crate) path: PathBuf,
    pub(crate) bytes: u64,
    /// The sequence numbers of the first and last message in it (`None`: no message).
    pub(crate) seqs: Option<(u64, u64)>,
    /// Messages in it not yet acknowledged.
    pub(crate) live: u64,
    /// The position (in `appended`) the last acknowledgement of one of its messages must be
    /// synced past: a consumed segment is deleted only once its acknowledgements are
    /// durable, so that a crash cannot leave a message acknowledged by nothing on disk.
    pub(crate) acked_at: u64,
}

impl SegmentInfo {
    fn holds(&self, seq: u64) -> bool {
        self.seqs
            .is_some_and(|(first, last)| (first..=last).contains(&seq))
    }
}

struct Active {
    file: Arc<dyn LogFile>,
    path: PathBuf,
    index: u64,
    /// Where the next buffered bytes go in the file.
    written: u64,
    /// Where the next record goes: `written` plus what is buffered.
    end: u64,
    bytes: u64,
}

/// A segment created ahead of the roll that will use it: on disk under its own name, empty.
struct Prepared {
    file: Arc<dyn LogFile>,
    path: PathBuf,
    index: u64,
    bytes: u64,
}

struct State {
    next_seq: u64,
    next_index: u64,
    buffer: Vec<u8>,
    /// Bytes appended since the log was opened: the position a record must be synced past.
    appended: u64,
    active: Active,
    /// Earlier segments whose last writes the next commit must sync before the active one.
    unsynced: Vec<(Arc<dyn LogFile>, PathBuf)>,
    prepared: Option<Prepared>,
    /// Whether a segment is being prepared (its index is taken).
    preparing: bool,
    /// Oldest first; the last one is the active segment.
    segments: VecDeque<SegmentInfo>,
    /// Set by the first failed write or sync: after it, what is on disk is unknown, so the
    /// log takes no more writes.
    failed: Option<PersistError>,
}

/// Counters for `persist_stats`.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) records: AtomicU64,
    pub(crate) acks: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) fsyncs: AtomicU64,
}

pub(crate) struct PartitionLog {
    partition: u32,
    dir: PathBuf,
    fs: Arc<dyn FileSystem>,
    policy: SyncPolicy,
    segment_bytes: u64,
    state: Mutex<State>,
    /// Whether a commit (write + sync of the buffer) is under way.
    committing: Mutex<bool>,
    committed: Condvar,
    /// The `appended` position up to which everything is synced.
    durable: AtomicU64,
    /// Message records in the buffer.
    buffered: AtomicUsize,
    /// How many message records the last commit took.
    last_group: AtomicUsize,
    /// How long the last commit's write and sync took.
    last_commit_nanos: AtomicU64,
    /// Set when a segment should be prepared or deleted; cleared by `maintain`.
    needs_maintenance: AtomicBool,
    /// Held while preparing or deleting segments: one at a time, so deletions stay in order.
    maintenance: Mutex<()>,
    /// Whether the directory has entries not yet synced (segments made or removed without a
    /// directory sync, under policy `None`, or a directory sync that failed): the next commit
    /// syncs it, and no deletion goes ahead of that.
    dir_dirty: AtomicBool,
    pub(crate) counters: Counters,
}

/// Where recovery left a partition's log.
pub(crate) struct Resume {
    pub(crate) next_seq: u64,
    pub(crate) next_index: u64,
    pub(crate) segments: VecDeque<SegmentInfo>,
    /// Where the last of `segments` ends: appends continue there (`None`: no segment).
    pub(crate) tail: Option<u64>,
}

impl PartitionLog {
    /// Opens the log of `partition` after recovery: writes continue after the last record
    /// of the last segment, or in a new segment when there is none. Segments whose messages
    /// were all acknowledged before the restart are deleted.
    pub(crate) fn new(
        fs: Arc<dyn FileSystem>,
        dir: &Path,
        partition: u32,
        policy: SyncPolicy,
        segment_bytes: u64,
        resume: Resume,
    ) -> Result<Self, PersistError> {
        let Resume {
            next_seq,
            mut next_index,
            mut segments,
            tail,
        } = resume;
        let active = match (tail, segments.back()) {
            (Some(end), Some(last)) => {
                let file = fs
                    .open(&last.path, super::fs::Open::ReadWrite)
                    .map_err(|e| PersistError::io(&last.path, "open", &e))?;
                Active {
                    file,
                    path: last.path.clone(),
                    index: next_index.saturating_sub(1),
                    written: end,
                    end,
                    bytes: last.bytes,
                }
            }
            _ => {
                let (file, path) = segment::create(
                    &*fs,
                    dir,
                    partition,
                    next_index,
                    segment_bytes,
                    policy == SyncPolicy::EveryWrite,
                    policy != SyncPolicy::None,
                )?;
                segments.push_back(SegmentInfo {
                    path: path.clone(),
                    bytes: segment_bytes,
                    seqs: None,
                    live: 0,
                    acked_at: 0,
                });
                next_index += 1;
                Active {
                    file,
                    path,
                    index: next_index - 1,
                    written: HEADER as u64,
                    end: HEADER as u64,
                    bytes: segment_bytes,
                }
            }
        };
        let log = PartitionLog {
            partition,
            dir: dir.to_path_buf(),
            fs,
            policy,
            segment_bytes,
            state: Mutex::new(State {
                next_seq,
                next_index,
                buffer: Vec::with_capacity(WRITE_BEHIND),
                appended: 0,
                active,
                unsynced: Vec::new(),
                prepared: None,
                preparing: false,
                segments,
                failed: None,
            }),
            committing: Mutex::new(false),
            committed: Condvar::new(),
            durable: AtomicU64::new(0),
            buffered: AtomicUsize::new(0),
            last_group: AtomicUsize::new(0),
            last_commit_nanos: AtomicU64::new(0),
            needs_maintenance: AtomicBool::new(false),
            maintenance: Mutex::new(()),
            dir_dirty: AtomicBool::new(policy == SyncPolicy::None),
            counters: Counters::default(),
        };
        log.delete_consumed(&log.maintenance.lock());
        Ok(log)
    }

    /// Appends a message record; returns its sequence number and the position to sync past
    /// for it to be durable. A message whose encoding is longer than
    /// [`MAX_RECORD_BYTES`](record::MAX_RECORD_BYTES) is refused before anything is written.
    pub(crate) fn append<M>(
        &self,
        level: usize,
        message: &M,
        encode: fn(&M, &mut Vec<u8>),
    ) -> Result<(u64, u64), PersistError> {
        let mut state = self.state.lock();
        if let Some(error) = &state.failed {
            return Err(error.clone());
        }
        let seq = state.next_seq;
        let start = state.buffer.len();
        let level = u16::try_from(level).unwrap_or(u16::MAX);
        let len = record::append_message(&mut state.buffer, seq, level, message, encode).map_err(
            |bytes| PersistError::RecordTooLarge {
                bytes,
                max: record::MAX_RECORD_BYTES,
            },
        )? as u64;
        let mut rolled = false;
        if state.active.end + len > state.active.bytes {
            let record: Vec<u8> = state.buffer.drain(start..).collect();
            while state.active.end + len > state.active.bytes {
                self.roll(&mut state, len)?;
            }
            state.buffer.extend_from_slice(&record);
            rolled = true;
        }
        state.next_seq += 1;
        state.active.end += len;
        state.appended += len;
        let active = state
            .segments
            .back_mut()
            .expect("the active segment is always listed");
        active.live += 1;
        active.seqs = Some(active.seqs.map_or((seq, seq), |(first, _)| (first, seq)));
        self.counters.records.fetch_add(1, Ordering::Relaxed);
        if self.policy == SyncPolicy::EveryWrite {
            self.buffered.fetch_add(1, Ordering::Release);
        }
        self.counters.bytes.fetch_add(len, Ordering::Relaxed);
        self.note_fill(&state);
        self.write_behind(&mut state)?;
        let position = state.appended;
        drop(state);
        if rolled && self.policy == SyncPolicy::None {
            // No commit comes to delete consumed segments under this policy.
            self.maintain();
        }
        Ok((seq, position))
    }

    /// Appends acknowledgements of `seqs`; returns the position to sync past for them to be
    /// durable.
    pub(crate) fn ack(&self, seqs: impl IntoIterator<Item = u64>) -> Result<u64, PersistError> {
        let mut state = self.state.lock();
        if let Some(error) = &state.failed {
            return Err(error.clone());
        }
        for seq in seqs {
            let len = ACK_RECORD as u64;
            while state.active.end + len > state.active.bytes {
                self.roll(&mut state, len)?;
            }
            record::append_ack(&mut state.buffer, seq);
            state.active.end += len;
            state.appended += len;
            let appended = state.appended;
            // Acknowledgements mostly cover the oldest segments, and there are few segments.
            if let Some(segment) = state.segments.iter_mut().find(|s| s.holds(seq)) {
                segment.live = segment.live.saturating_sub(1);
                segment.acked_at = appended;
            }
            self.counters.acks.fetch_add(1, Ordering::Relaxed);
            self.counters.bytes.fetch_add(len, Ordering::Relaxed);
        }
        if state.segments.len() > 1 && state.segments[0].live == 0 {
            self.needs_maintenance.store(true, Ordering::Relaxed);
        }
        self.note_fill(&state);
        self.write_behind(&mut state)?;
        Ok(state.appended)
    }

    /// Asks for the next segment to be prepared once the active one is half full.
    fn note_fill(&self, state: &State) {
        if self.policy != SyncPolicy::None
            && state.prepared.is_none()
            && !state.preparing
            && state.active.end - HEADER as u64 >= (state.active.bytes - HEADER as u64) / 2
        {
            self.needs_maintenance.store(true, Ordering::Relaxed);
        }
    }

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

    fn commit_through(&self, position: u64) -> Result<(), PersistError> {
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
    fn commit(&self) -> Result<(), PersistError> {
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
        if result.is_ok() && self.dir_dirty.swap(false, Ordering::AcqRel) {
            // Segments made since the last directory sync are reachable only once it is.
            result = segment::sync_dir(&*self.fs, &self.dir);
            if result.is_err() {
                self.dir_dirty.store(true, Ordering::Release);
            }
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
    fn gather(&self) {
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
    fn write_behind(&self, state: &mut State) -> Result<(), PersistError> {
        if self.policy == SyncPolicy::EveryWrite || state.buffer.len() < WRITE_BEHIND {
            return Ok(());
        }
        self.write_buffer(state)
    }

    fn write_buffer(&self, state: &mut State) -> Result<(), PersistError> {
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

    /// Closes the active segment (its buffer written; the next commit syncs it) and
    /// continues in the next: the prepared one if there is one, else one made now, large
    /// enough for a record of `need` bytes. A prepared segment too small for the record is
    /// used all the same (empty): the caller rolls again.
    fn roll(&self, state: &mut State, need: u64) -> Result<(), PersistError> {
        self.write_buffer(state)?;
        let next = match state.prepared.take() {
            Some(prepared) => prepared,
            None => {
                let bytes = self.segment_bytes.max(HEADER as u64 + need);
                let index = state.next_index;
                let (file, path) = segment::create(
                    &*self.fs,
                    &self.dir,
                    self.partition,
                    index,
                    bytes,
                    self.policy == SyncPolicy::EveryWrite,
                    self.policy != SyncPolicy::None,
                )
                .inspect_err(|error| {
                    state.failed.get_or_insert(error.clone());
                })?;
                if self.policy == SyncPolicy::None {
                    self.dir_dirty.store(true, Ordering::Release);
                }
                state.next_index += 1;
                Prepared {
                    file,
                    path,
                    index,
                    bytes,
                }
            }
        };
        let old = std::mem::replace(
            &mut state.active,
            Active {
                file: next.file,
                path: next.path.clone(),
                index: next.index,
                written: HEADER as u64,
                end: HEADER as u64,
                bytes: next.bytes,
            },
        );
        state.unsynced.push((old.file, old.path));
        state.segments.push_back(SegmentInfo {
            path: next.path,
            bytes: next.bytes,
            seqs: None,
            live: 0,
            acked_at: 0,
        });
        self.needs_maintenance.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Prepares the next segment and deletes consumed ones, when asked to and no other
    /// thread is at it. Failures here lose nothing: a roll without a prepared segment makes
    /// one itself, and a segment not deleted is read again by recovery.
    fn maintain(&self) {
        let Some(guard) = self.maintenance.try_lock() else {
            return;
        };
        self.needs_maintenance.store(false, Ordering::Relaxed);
        self.prepare(&guard);
        self.delete_consumed(&guard);
    }

    fn prepare(&self, _maintenance: &parking_lot::MutexGuard<'_, ()>) {
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
    fn delete_consumed(&self, _maintenance: &parking_lot::MutexGuard<'_, ()>) -> u64 {
        let mut freed = 0;
        loop {
            let segment = {
                let mut state = self.state.lock();
                let durable = self.durable.load(Ordering::Acquire);
                let consumed = state.segments.len() > 1
                    && state.segments[0].live == 0
                    && (self.policy == SyncPolicy::None || state.segments[0].acked_at <= durable);
                if !consumed {
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
    fn remove(&self, path: &Path) -> bool {
        let durable = self.policy != SyncPolicy::None;
        let warn = |error: PersistError| {
            tracing::warn!(%error, "elasticq: could not delete a consumed log segment");
        };
        if durable && self.dir_dirty.load(Ordering::Acquire) {
            if let Err(error) = segment::sync_dir(&*self.fs, &self.dir) {
                warn(error);
                return false;
            }
            self.dir_dirty.store(false, Ordering::Release);
        }
        if let Err(error) = self.fs.remove_file(path) {
            warn(PersistError::io(path, "remove", &error));
            return false;
        }
        if !durable {
            self.dir_dirty.store(true, Ordering::Release);
        } else if let Err(error) = segment::sync_dir(&*self.fs, &self.dir) {
            // Gone, but perhaps not durably: the next commit or removal syncs it first.
            self.dir_dirty.store(true, Ordering::Release);
            warn(error);
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
            let active_consumed = state.segments.iter().all(|segment| segment.live == 0)
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

    /// Segment files and their total size.
    pub(crate) fn disk(&self) -> (usize, u64) {
        let state = self.state.lock();
        let prepared = state.prepared.as_ref().map_or(0, |p| p.bytes);
        (
            state.segments.len() + usize::from(state.prepared.is_some()),
            state.segments.iter().map(|s| s.bytes).sum::<u64>() + prepared,
        )
    }

    pub(crate) fn partition(&self) -> usize {
        self.partition as usize
    }
}

impl Drop for PartitionLog {
    fn drop(&mut self) {
        // A queue going away writes what it buffered and syncs it, whatever its policy.
        let position = self.state.lock().appended;
        if let Err(error) = self.commit_through(position) {
            tracing::warn!(%error, "elasticq: could not sync the log while closing it");
        }
    }
}
