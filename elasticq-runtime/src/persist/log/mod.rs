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
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

mod checkpoint;
mod commit;
mod maintenance;
mod places;

pub(crate) use places::{Place, Places};

use super::fs::{FileSystem, LogFile};
use super::record::{self, ACK_RECORD};
use super::segment::{self, HEADER};
use super::SyncPolicy;
use crate::persist::PersistError;
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// Buffered bytes that are written out without waiting for a sync (policies other than
/// `EveryWrite`).
const WRITE_BEHIND: usize = 64 << 10;

/// The longest a commit waits for callers to gather.
const MAX_GATHER: Duration = Duration::from_micros(250);

/// What the log knows of one segment file.
#[derive(Debug)]
pub(crate) struct SegmentInfo {
    pub(crate) index: u64,
    pub(crate) path: PathBuf,
    pub(crate) bytes: u64,
    /// The sequence numbers of the first and last message in it (`None`: no message).
    pub(crate) seqs: Option<(u64, u64)>,
    /// Its message records not yet acknowledged.
    pub(crate) places: Places,
    /// The position (in `appended`) the last acknowledgement of one of its messages must be
    /// synced past: a consumed segment is deleted only once its acknowledgements are
    /// durable, so that a crash cannot leave a message acknowledged by nothing on disk.
    pub(crate) acked_at: u64,
}

impl SegmentInfo {
    /// A segment with no record yet.
    pub(crate) fn empty(index: u64, path: PathBuf, bytes: u64) -> Self {
        SegmentInfo {
            index,
            path,
            bytes,
            seqs: None,
            places: Places::default(),
            acked_at: 0,
        }
    }

    /// How many of its messages are not acknowledged.
    pub(crate) fn live(&self) -> u64 {
        self.places.live()
    }

    pub(crate) fn holds(&self, seq: u64) -> bool {
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
    /// `appended` when the last checkpoint was taken, and where the next one is due.
    checkpointed_at: u64,
    checkpoint_due: u64,
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
    /// Changes to the directory's entries (segments made or removed without a directory
    /// sync: under policy `None`, or when a directory sync failed), counted; and how many of
    /// them the last successful directory sync covered. The next commit syncs what is not
    /// covered, and no deletion goes ahead of it. Counting, not a flag: a sync that starts
    /// after a change covers it, and clearing a flag could hide a change made meanwhile.
    dir_changes: AtomicU64,
    dir_synced: AtomicU64,
    pub(crate) counters: Counters,
}

/// A message record just appended: its sequence number, the position its end has in
/// `appended`, and its length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Appended {
    pub(crate) seq: u64,
    pub(crate) end: u64,
    pub(crate) len: u64,
}

/// Where recovery left a partition's log.
pub(crate) struct Resume {
    pub(crate) next_seq: u64,
    pub(crate) next_index: u64,
    pub(crate) segments: VecDeque<SegmentInfo>,
    /// Where the last of `segments` ends: appends continue there (`None`: no segment).
    pub(crate) tail: Option<u64>,
    /// A checkpoint exists: it is replaced, durably, before the first append, since it may
    /// be clean or may not match the log recovery read (`persist::checkpoint`, rule 2).
    pub(crate) replace_checkpoint: bool,
    /// Read from a clean checkpoint: the queue that closed the log synced all of it.
    pub(crate) synced: bool,
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
            replace_checkpoint,
            synced,
        } = resume;
        if policy != SyncPolicy::None && !segments.is_empty() && !synced {
            // What recovery read may be only in the page cache: a process killed before its
            // last commit leaves writes, and directory entries, no sync has made durable.
            // New records go on top of them, so they are made durable first: else a power
            // loss later could take an older segment's tail, and with it (through the gap in
            // sequence numbers) every newer record.
            for segment in &segments {
                fs.open(&segment.path, super::fs::Open::Read)
                    .and_then(|file| file.sync_data())
                    .map_err(|e| PersistError::io(&segment.path, "fsync", &e))?;
            }
            segment::sync_dir(&*fs, dir)?;
        }
        let active = match (tail, segments.back()) {
            (Some(end), Some(last)) => {
                let file = fs
                    .open(&last.path, super::fs::Open::ReadWrite)
                    .map_err(|e| PersistError::io(&last.path, "open", &e))?;
                Active {
                    file,
                    path: last.path.clone(),
                    // The last segment's own index: not `next_index - 1`, which after a cut
                    // of whole segments names one that was cut away.
                    index: last.index,
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
                segments.push_back(SegmentInfo::empty(next_index, path.clone(), segment_bytes));
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
                checkpointed_at: 0,
                checkpoint_due: segment_bytes / 4,
            }),
            committing: Mutex::new(false),
            committed: Condvar::new(),
            durable: AtomicU64::new(0),
            buffered: AtomicUsize::new(0),
            last_group: AtomicUsize::new(0),
            last_commit_nanos: AtomicU64::new(0),
            needs_maintenance: AtomicBool::new(false),
            maintenance: Mutex::new(()),
            dir_changes: AtomicU64::new(u64::from(policy == SyncPolicy::None)),
            dir_synced: AtomicU64::new(0),
            counters: Counters::default(),
        };
        log.delete_consumed(&log.maintenance.lock());
        if replace_checkpoint {
            log.write_checkpoint(false, true)?;
        }
        Ok(log)
    }

    /// Appends a message record; returns its sequence number, the position to sync past
    /// for it to be durable, and its length. A message whose encoding is longer than
    /// [`MAX_RECORD_BYTES`](record::MAX_RECORD_BYTES) is refused before anything is written.
    pub(crate) fn append<M>(
        &self,
        level: usize,
        message: &M,
        encode: fn(&M, &mut Vec<u8>),
    ) -> Result<Appended, PersistError> {
        let mut state = self.state.lock();
        if let Some(error) = &state.failed {
            return Err(error.clone());
        }
        let seq = state.next_seq;
        let start = state.buffer.len();
        let level = u16::try_from(level).unwrap_or(u16::MAX);
        let len = record::append_message(&mut state.buffer, seq, level, message, encode).map_err(
            |unrecordable| match unrecordable {
                record::Unrecordable::TooLarge(bytes) => PersistError::RecordTooLarge {
                    bytes,
                    max: record::MAX_RECORD_BYTES,
                },
                record::Unrecordable::TooDeep => PersistError::NestedTooDeep {
                    max: crate::codec::MAX_DECODE_DEPTH,
                },
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
        let offset = state.active.end;
        state.active.end += len;
        state.appended += len;
        let active = state
            .segments
            .back_mut()
            .expect("the active segment is always listed");
        active.places.push(Place {
            seq,
            offset,
            // A record is at most `MAX_RECORD_BYTES` plus its head: it fits.
            len: len as u32,
        });
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
        Ok(Appended {
            seq,
            end: position,
            len,
        })
    }

    /// Takes back the record `appended` made, whose message the queue refused. While it is
    /// still in the buffer it becomes a void record in place (nothing owed, nothing to
    /// sync): returns `None`. Once written out, an acknowledgement is appended instead:
    /// returns the position to sync past for the withdrawal to be durable.
    pub(crate) fn withdraw(&self, appended: Appended) -> Result<Option<u64>, PersistError> {
        let mut state = self.state.lock();
        if let Some(error) = &state.failed {
            return Err(error.clone());
        }
        let buffered_from = state.appended - state.buffer.len() as u64;
        let start = appended.end - appended.len;
        if start < buffered_from {
            drop(state);
            return self.ack([appended.seq]).map(Some);
        }
        let at = (start - buffered_from) as usize;
        record::void(&mut state.buffer[at..at + appended.len as usize]);
        if let Some(segment) = state.segments.iter_mut().find(|s| s.holds(appended.seq)) {
            segment.places.remove(appended.seq);
        }
        Ok(None)
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
                segment.places.remove(seq);
                segment.acked_at = appended;
            }
            self.counters.acks.fetch_add(1, Ordering::Relaxed);
            self.counters.bytes.fetch_add(len, Ordering::Relaxed);
        }
        if state.segments.len() > 1 && state.segments[0].live() == 0 {
            self.needs_maintenance.store(true, Ordering::Relaxed);
        }
        self.note_fill(&state);
        self.write_behind(&mut state)?;
        Ok(state.appended)
    }

    /// Notes a change to the directory's entries that no sync covers yet.
    fn dir_changed(&self) {
        self.dir_changes.fetch_add(1, Ordering::AcqRel);
    }

    /// Syncs the directory if it has changes no sync covered.
    fn sync_dir_if_changed(&self) -> Result<(), PersistError> {
        let changes = self.dir_changes.load(Ordering::Acquire);
        if self.dir_synced.load(Ordering::Acquire) >= changes {
            return Ok(());
        }
        segment::sync_dir(&*self.fs, &self.dir)?;
        self.dir_synced.fetch_max(changes, Ordering::AcqRel);
        Ok(())
    }

    /// Asks for the next segment to be prepared once the active one is half full, and for a
    /// checkpoint once one is due.
    fn note_fill(&self, state: &State) {
        if self.checkpoint_is_due(state) {
            self.needs_maintenance.store(true, Ordering::Relaxed);
        }
        if self.policy != SyncPolicy::None
            && state.prepared.is_none()
            && !state.preparing
            && state.active.end - HEADER as u64 >= (state.active.bytes - HEADER as u64) / 2
        {
            self.needs_maintenance.store(true, Ordering::Relaxed);
        }
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
                    self.dir_changed();
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
        state
            .segments
            .push_back(SegmentInfo::empty(next.index, next.path, next.bytes));
        self.needs_maintenance.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Segment files, their total size, and the message records in them not acknowledged.
    pub(crate) fn disk(&self) -> (usize, u64, u64) {
        let state = self.state.lock();
        let prepared = state.prepared.as_ref().map_or(0, |p| p.bytes);
        (
            state.segments.len() + usize::from(state.prepared.is_some()),
            state.segments.iter().map(|s| s.bytes).sum::<u64>() + prepared,
            state.segments.iter().map(SegmentInfo::live).sum(),
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
            return;
        }
        // Lets the next `open` read only what is owed (`persist::checkpoint`).
        if let Err(error) = self.write_checkpoint(true, self.policy != SyncPolicy::None) {
            tracing::warn!(%error, "elasticq: could not write the log's checkpoint while closing it");
        }
    }
}
