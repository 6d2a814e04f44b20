//! `Scan`: reading segments record by record, in index order, keeping what is owed and
//! planning a cut at the first damage. Recovery scans the whole log this way, or, from a
//! checkpoint, only what was appended after the checkpoint's place.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use super::{read_range, Found, PlannedCut, Recovered, MAX_COUNTER};
use crate::codec::Codec;
use crate::persist::fs::{FileSystem, Open};
use crate::persist::log::{Place, Resume, SegmentInfo};
use crate::persist::record::{self, Read, Record};
use crate::persist::segment::{self, HEADER};
use crate::persist::PersistError;

/// A partition's log being read back, segment after segment.
pub(super) struct Scan<M> {
    partition: u32,
    /// The messages the scan read, `None` once acknowledged.
    messages: Vec<Option<Found<M>>>,
    /// seq -> (position in `messages`, position in `segments`) of each message still owed.
    owed: HashMap<u64, (usize, usize)>,
    pub(super) segments: VecDeque<SegmentInfo>,
    pub(super) cuts: Vec<PlannedCut>,
    pub(super) next_seq: u64,
    /// After the first message, each one must carry the next sequence number: segments are
    /// only ever deleted from the front, so a gap means records were lost in between.
    contiguous: bool,
    damaged: bool,
    pub(super) tail: Option<u64>,
    /// Sequence numbers below this are a checkpoint's, owed in `segments`' places but not
    /// read: their acknowledgements are looked up there.
    covered_below: u64,
}

impl<M: Codec> Scan<M> {
    /// A scan of a whole log.
    pub(super) fn new(partition: u32) -> Self {
        Self::after(partition, VecDeque::new(), 1, false)
    }

    /// A scan that goes on after a checkpoint: `segments` are the ones it covers (with the
    /// places of what they owe), and the next record carries `next_seq`, right after the
    /// checkpoint's when `contiguous`.
    pub(super) fn after(
        partition: u32,
        segments: VecDeque<SegmentInfo>,
        next_seq: u64,
        contiguous: bool,
    ) -> Self {
        Scan {
            partition,
            messages: Vec::new(),
            owed: HashMap::new(),
            segments,
            cuts: Vec::new(),
            next_seq,
            contiguous,
            damaged: false,
            tail: None,
            covered_below: next_seq,
        }
    }

    /// The messages read and still owed, in the order they were appended.
    pub(super) fn take_messages(&mut self) -> Vec<Found<M>> {
        std::mem::take(&mut self.messages)
            .into_iter()
            .flatten()
            .collect()
    }

    /// Reads segment `index` at `path` from offset `from` (the header is checked whatever
    /// `from` is), continuing `info`. Everything after the first damage is cut.
    pub(super) fn segment(
        &mut self,
        fs: &dyn FileSystem,
        index: u64,
        path: &Path,
        mut info: SegmentInfo,
        from: u64,
    ) -> Result<(), PersistError> {
        if index >= MAX_COUNTER {
            return Err(PersistError::Header {
                path: path.to_path_buf(),
                offset: 16,
                detail: format!("segment index {index} is beyond the range of a log"),
            });
        }
        let file = fs
            .open(path, Open::Read)
            .map_err(|e| PersistError::io(path, "open", &e))?;
        let len = file.len().map_err(|e| PersistError::io(path, "stat", &e))?;
        if self.damaged {
            // Everything after the first damage is cut, so that the log stays a prefix.
            self.cuts.push(PlannedCut {
                path: path.to_path_buf(),
                offset: 0,
                bytes: len,
                reason: "after damage in an earlier segment",
                whole: true,
            });
            return Ok(());
        }
        let map = read_range(path, &*file, len, from)?;
        segment::check_header(path, &map, self.partition, index)?;
        info.bytes = len;
        let position = self.segments.len();
        let mut at = usize::try_from(from).unwrap_or(usize::MAX).max(HEADER);
        let mut damage = None;
        loop {
            let (record, record_len) = match record::read(&map, at) {
                Read::Record(record, len) => (record, len),
                Read::End => break,
                Read::Damaged(reason) => {
                    damage = Some((
                        at,
                        record::nonzero_extent(map.get(at..).unwrap_or(&[])),
                        reason,
                    ));
                    break;
                }
            };
            match record {
                Record::Message { seq, .. } | Record::Void { seq } => {
                    let wrong = if seq >= MAX_COUNTER {
                        Some("a sequence number beyond the range of a log")
                    } else if seq < self.next_seq {
                        Some("a sequence number out of order")
                    } else if self.contiguous && seq > self.next_seq {
                        Some("a sequence number that skips records: the records before it are lost")
                    } else {
                        None
                    };
                    if let Some(reason) = wrong {
                        damage = Some((at, record::nonzero_extent(&map[at..]), reason));
                        break;
                    }
                    self.contiguous = true;
                    self.next_seq = seq + 1;
                    // A void record keeps its place in the sequence and owes nothing.
                    let Record::Message { payload, .. } = record else {
                        at += record_len;
                        continue;
                    };
                    let message = crate::codec::from_bytes::<M>(payload).map_err(|error| {
                        PersistError::Decode {
                            path: path.to_path_buf(),
                            offset: at as u64,
                            error,
                        }
                    })?;
                    self.owed.insert(seq, (self.messages.len(), position));
                    self.messages.push(Some(Found {
                        seq,
                        len: record_len as u64,
                        message,
                        path: path.to_path_buf(),
                        offset: at as u64,
                    }));
                    info.places.push(Place {
                        seq,
                        offset: at as u64,
                        // At most `MAX_RECORD_BYTES` plus a head: `record::read` checked
                        // it against a `u32` length.
                        len: record_len as u32,
                    });
                    info.seqs = Some(info.seqs.map_or((seq, seq), |(first, _)| (first, seq)));
                }
                Record::Ack { seq } => self.acknowledge(seq, &mut info),
            }
            at += record_len;
        }
        drop(map);
        if let Some((at, extent, reason)) = damage {
            self.cuts.push(PlannedCut {
                path: path.to_path_buf(),
                offset: at as u64,
                bytes: extent as u64,
                reason,
                whole: false,
            });
            self.damaged = true;
        }
        // Zeros from `at` to the end (checked, or zeroed by the cut): appends can go on there.
        self.tail = Some(at as u64);
        self.segments.push_back(info);
        Ok(())
    }

    /// An acknowledgement of `seq`, read in the segment `current` (not yet in `segments`).
    /// One of a message in a deleted segment finds nothing.
    fn acknowledge(&mut self, seq: u64, current: &mut SegmentInfo) {
        if let Some((slot, holder)) = self.owed.remove(&seq) {
            self.messages[slot] = None;
            match self.segments.get_mut(holder) {
                Some(holder) => holder.places.remove(seq),
                None => current.places.remove(seq),
            };
        } else if seq < self.covered_below {
            if current.holds(seq) {
                current.places.remove(seq);
            } else if let Some(holder) = self.segments.iter_mut().find(|s| s.holds(seq)) {
                holder.places.remove(seq);
            }
        }
    }

    /// What the scan recovered: the messages `before` it (a checkpoint's, all older than
    /// the scan's), then its own.
    pub(super) fn finish(
        mut self,
        mut before: Vec<Found<M>>,
        files: &BTreeMap<u64, PathBuf>,
        replace_checkpoint: bool,
    ) -> Recovered<M> {
        before.extend(self.take_messages());
        Recovered {
            messages: before,
            resume: Resume {
                next_seq: self.next_seq,
                next_index: files.keys().next_back().map_or(0, |last| last + 1),
                segments: self.segments,
                tail: self.tail,
                replace_checkpoint,
                synced: false,
            },
            cuts: self.cuts,
            from_checkpoint: false,
        }
    }

    /// Notes segment `index`, which nothing was written in (a segment prepared before a
    /// clean close), as the last one: appends go on after its header.
    pub(super) fn empty_segment(&mut self, index: u64, path: PathBuf, bytes: u64) {
        self.segments
            .push_back(SegmentInfo::empty(index, path, bytes));
        self.tail = Some(HEADER as u64);
    }
}
