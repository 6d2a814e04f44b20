//! `PartitionLog`: one partition's log: appends, acknowledgements, group commit, rolling to
//! new segments and deleting consumed ones.
//!
//! Appends go into an in-memory buffer under the state lock. Who writes the buffer out
//! depends on the sync policy: under `EveryWrite`, a caller waiting for its record becomes
//! the committer if no one is (else it waits for the one who is), takes the whole buffer,
//! writes it at a reserved offset and syncs once for every record in it: that is the group
//! commit. Producers keep appending to a fresh buffer meanwhile, so the next commit carries
//! everything that arrived during this one. Under the other policies the buffer is written
//! when it fills, and synced by `sync` (or the periodic thread).

use std::collections::VecDeque;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::record::{self, ACK_RECORD};
use super::segment::{self, HEADER};
use super::SyncPolicy;
use crate::sync::{AtomicU64, AtomicUsize, Ordering};
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
}

impl SegmentInfo {
    fn holds(&self, seq: u64) -> bool {
        self.seqs
            .is_some_and(|(first, last)| (first..=last).contains(&seq))
    }
}

struct Active {
    file: Arc<File>,
    path: PathBuf,
    /// Where the next buffered bytes go in the file.
    written: u64,
    /// Where the next record goes: `written` plus what is buffered.
    end: u64,
    bytes: u64,
}

struct State {
    next_seq: u64,
    next_index: u64,
    buffer: Vec<u8>,
    spare: Vec<u8>,
    /// Bytes appended since the log was opened: the position a record must be synced past.
    appended: u64,
    active: Active,
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
    /// of the last segment, or in a new segment when there is none.
    pub(crate) fn new(
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
        let (file, path, written, bytes) = match (tail, segments.back()) {
            (Some(end), Some(last)) => {
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&last.path)
                    .map_err(|e| PersistError::io(&last.path, "open", &e))?;
                (file, last.path.clone(), end, last.bytes)
            }
            _ => {
                let (file, path) = segment::create(
                    dir,
                    partition,
                    next_index,
                    segment_bytes,
                    policy == SyncPolicy::EveryWrite,
                    policy != SyncPolicy::None,
                )?;
                next_index += 1;
                segments.push_back(SegmentInfo {
                    path: path.clone(),
                    bytes: segment_bytes,
                    seqs: None,
                    live: 0,
                });
                (file, path, HEADER as u64, segment_bytes)
            }
        };
        let log = PartitionLog {
            partition,
            dir: dir.to_path_buf(),
            policy,
            segment_bytes,
            state: Mutex::new(State {
                next_seq,
                next_index,
                buffer: Vec::with_capacity(WRITE_BEHIND),
                spare: Vec::with_capacity(WRITE_BEHIND),
                appended: 0,
                active: Active {
                    file: Arc::new(file),
                    path,
                    written,
                    end: written,
                    bytes,
                },
                segments,
                failed: None,
            }),
            committing: Mutex::new(false),
            committed: Condvar::new(),
            durable: AtomicU64::new(0),
            buffered: AtomicUsize::new(0),
            last_group: AtomicUsize::new(0),
            last_commit_nanos: AtomicU64::new(0),
            counters: Counters::default(),
        };
        // Segments all of whose messages were acknowledged before the restart.
        log.delete_consumed(&mut log.state.lock());
        Ok(log)
    }

    /// Appends a message record; returns its sequence number and the position to sync past
    /// for it to be durable.
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
        let len = record::append_message(&mut state.buffer, seq, level, message, encode) as u64;
        if state.active.end + len > state.active.bytes {
            let record: Vec<u8> = state.buffer.drain(start..).collect();
            self.roll(&mut state, len)?;
            state.buffer.extend_from_slice(&record);
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
        self.write_behind(&mut state)?;
        Ok((seq, state.appended))
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
            if state.active.end + len > state.active.bytes {
                self.roll(&mut state, len)?;
            }
            record::append_ack(&mut state.buffer, seq);
            state.active.end += len;
            state.appended += len;
            // Acknowledgements mostly cover the oldest segments, and there are few segments.
            if let Some(segment) = state.segments.iter_mut().find(|s| s.holds(seq)) {
                segment.live = segment.live.saturating_sub(1);
            }
            self.counters.acks.fetch_add(1, Ordering::Relaxed);
            self.counters.bytes.fetch_add(len, Ordering::Relaxed);
        }
        self.write_behind(&mut state)?;
        Ok(state.appended)
    }

    /// Waits until everything appended up to `position` is durable, committing it if no one
    /// else is (group commit). Returns at once under policies other than `EveryWrite`.
    pub(crate) fn wait_durable(&self, position: u64) -> Result<(), PersistError> {
        if self.policy != SyncPolicy::EveryWrite {
            return Ok(());
        }
        self.commit_through(position)
    }

    /// Writes and syncs everything appended so far.
    pub(crate) fn sync(&self) -> Result<(), PersistError> {
        let position = self.state.lock().appended;
        self.commit_through(position)
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

    /// Writes the buffer at its reserved offset and syncs the file, outside the state lock
    /// so appends continue meanwhile. Only one commit runs at a time (`committing`).
    fn commit(&self) -> Result<(), PersistError> {
        self.gather();
        let started = Instant::now();
        let (file, path, bytes, offset, position) = {
            let mut state = self.state.lock();
            if let Some(error) = &state.failed {
                return Err(error.clone());
            }
            let taken = self.buffered.swap(0, Ordering::AcqRel);
            self.last_group.store(taken, Ordering::Relaxed);
            let spare = std::mem::take(&mut state.spare);
            let bytes = std::mem::replace(&mut state.buffer, spare);
            let offset = state.active.written;
            state.active.written += bytes.len() as u64;
            let path = state.active.path.clone();
            (
                Arc::clone(&state.active.file),
                path,
                bytes,
                offset,
                state.appended,
            )
        };
        let result = file
            .write_all_at(&bytes, offset)
            .map_err(|e| PersistError::io(&path, "write", &e))
            .and_then(|()| {
                file.sync_data()
                    .map_err(|e| PersistError::io(&path, "fsync", &e))
            });
        self.counters.fsyncs.fetch_add(1, Ordering::Relaxed);
        let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_commit_nanos.store(took, Ordering::Relaxed);
        let mut state = self.state.lock();
        if let Err(error) = result {
            state.failed.get_or_insert(error.clone());
            return Err(error);
        }
        self.durable.fetch_max(position, Ordering::Release);
        let mut bytes = bytes;
        bytes.clear();
        if bytes.capacity() > state.spare.capacity() {
            state.spare = bytes;
        }
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

    /// Closes the active segment (its buffer written and, unless the policy is `None`,
    /// synced) and starts the next, large enough for a record of `need` bytes; then deletes
    /// the consumed segments at the front.
    fn roll(&self, state: &mut State, need: u64) -> Result<u64, PersistError> {
        self.write_buffer(state)?;
        if self.policy != SyncPolicy::None {
            // A commit may be writing an earlier part of this file right now; it syncs the
            // file itself before it reports anything durable. This sync covers what was just
            // written, which a commit of the next segment will report durable.
            if let Err(error) = state.active.file.sync_data() {
                let error = PersistError::io(&state.active.path, "fsync", &error);
                state.failed.get_or_insert(error.clone());
                return Err(error);
            }
            self.counters.fsyncs.fetch_add(1, Ordering::Relaxed);
        }
        let bytes = self.segment_bytes.max(HEADER as u64 + need);
        let index = state.next_index;
        let (file, path) = segment::create(
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
        state.next_index += 1;
        state.active = Active {
            file: Arc::new(file),
            path: path.clone(),
            written: HEADER as u64,
            end: HEADER as u64,
            bytes,
        };
        state.segments.push_back(SegmentInfo {
            path,
            bytes,
            seqs: None,
            live: 0,
        });
        Ok(self.delete_consumed(state))
    }

    /// Deletes segments at the front whose messages are all acknowledged. Only a prefix: a
    /// segment's acknowledgements are in it or in later ones, so deleting a later segment
    /// first could bring acknowledged messages back at recovery. Returns the bytes freed.
    fn delete_consumed(&self, state: &mut State) -> u64 {
        let mut freed = 0;
        while state.segments.len() > 1 && state.segments[0].live == 0 {
            let Some(segment) = state.segments.pop_front() else {
                break;
            };
            match std::fs::remove_file(&segment.path) {
                Ok(()) => freed += segment.bytes,
                Err(error) => {
                    // Left in place: recovery reads it again, which is correct, only slower.
                    tracing::warn!(path = %segment.path.display(), %error, "elasticq: could not delete a consumed log segment");
                    state.segments.push_front(segment);
                    break;
                }
            }
        }
        freed
    }

    /// Deletes every consumed segment, rolling the active one first if all of it is
    /// consumed. Returns the bytes freed.
    pub(crate) fn compact(&self) -> Result<u64, PersistError> {
        let mut state = self.state.lock();
        if let Some(error) = &state.failed {
            return Err(error.clone());
        }
        let active_consumed = state.segments.iter().all(|segment| segment.live == 0)
            && state.active.end > HEADER as u64;
        let freed = if active_consumed {
            self.roll(&mut state, 0)?
        } else {
            0
        };
        Ok(freed + self.delete_consumed(&mut state))
    }

    /// Segment files and their total size.
    pub(crate) fn disk(&self) -> (usize, u64) {
        let state = self.state.lock();
        (
            state.segments.len(),
            state.segments.iter().map(|s| s.bytes).sum(),
        )
    }

    pub(crate) fn partition(&self) -> usize {
        self.partition as usize
    }
}

impl Drop for PartitionLog {
    fn drop(&mut self) {
        // A queue going away writes what it buffered and syncs it, whatever its policy.
        if let Err(error) = self.sync() {
            tracing::warn!(%error, "elasticq: could not sync the log while closing it");
        }
    }
}
