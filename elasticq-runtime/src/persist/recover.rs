//! Recovery: reading a partition's segments back into the messages still owed, cutting
//! the log at the first torn or corrupt record.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use super::fs::{self, FileSystem, LogFile, Open};
use super::log::{Resume, SegmentInfo};
use super::record::{self, Read, Record};
use super::segment::{self, HEADER};
use super::PersistError;
use crate::codec::Codec;

/// Bytes recovery did not keep: from `offset` in `path` (the saved copy is `path` with
/// `.cut` appended).
///
/// ```
/// use elasticq_runtime::Cut;
/// fn describe(cut: &Cut) -> String {
///     format!("{} bytes cut at {}:{} ({})", cut.bytes, cut.path.display(), cut.offset, cut.reason)
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cut {
    /// The segment file.
    pub path: PathBuf,
    /// Where the first byte not kept was.
    pub offset: u64,
    /// How many bytes were not kept (up to the last non-zero byte).
    pub bytes: u64,
    /// What was wrong at `offset`.
    pub reason: &'static str,
}

/// A message recovery found not acknowledged, and where its record is.
pub(crate) struct Found<M> {
    pub(crate) seq: u64,
    /// The record's length in the log.
    pub(crate) len: u64,
    pub(crate) message: M,
    pub(crate) path: PathBuf,
    pub(crate) offset: u64,
}

/// Sequence numbers and segment indexes stay below this: a log would take centuries of
/// writes to reach it, so a value beyond it is damage (and `+ 1` never overflows).
pub(crate) const MAX_COUNTER: u64 = 1 << 62;

/// A partition's log, read back.
pub(crate) struct Recovered<M> {
    /// The messages not acknowledged, in the order they were appended.
    pub(crate) messages: Vec<Found<M>>,
    pub(crate) resume: Resume,
    /// What must be cut before the log takes writes again: done by [`apply`] once every
    /// partition has been read back, so that an `open` that fails changes no file.
    pub(crate) cuts: Vec<PlannedCut>,
}

/// Reads the segments of `partition` (by index). Records are kept up to the first one that
/// is torn or corrupt; the rest of that segment and every later segment is cut: saved beside
/// it as `*.cut`, and removed from the log so that new writes never follow damage.
pub(crate) fn recover<M: Codec>(
    fs: &dyn FileSystem,
    partition: u32,
    files: &BTreeMap<u64, PathBuf>,
) -> Result<Recovered<M>, PersistError> {
    let mut messages: Vec<Option<Found<M>>> = Vec::new();
    // seq -> (position in `messages`, position in `segments`)
    let mut owed: HashMap<u64, (usize, usize)> = HashMap::new();
    let mut segments: VecDeque<SegmentInfo> = VecDeque::new();
    let mut cuts = Vec::new();
    let mut next_seq = 1;
    // After the first message, each one must carry the next sequence number: segments are
    // only ever deleted from the front, so a gap means records were lost in between.
    let mut contiguous = false;
    let mut damaged = false;
    let mut tail = None;
    for (&index, path) in files {
        if index >= MAX_COUNTER {
            return Err(PersistError::Header {
                path: path.clone(),
                offset: 16,
                detail: format!("segment index {index} is beyond the range of a log"),
            });
        }
        let file = fs
            .open(path, Open::Read)
            .map_err(|e| PersistError::io(path, "open", &e))?;
        let len = file.len().map_err(|e| PersistError::io(path, "stat", &e))?;
        if damaged {
            // Everything after the first damage is cut, so that the log stays a prefix.
            cuts.push(PlannedCut {
                path: path.clone(),
                offset: 0,
                bytes: len,
                reason: "after damage in an earlier segment",
                whole: true,
            });
            continue;
        }
        let map = read_segment(path, &*file, len)?;
        segment::check_header(path, &map, partition, index)?;
        let position = segments.len();
        let mut info = SegmentInfo {
            path: path.clone(),
            bytes: len,
            seqs: None,
            live: 0,
            acked_at: 0,
        };
        let mut at = HEADER;
        let mut damage = None;
        loop {
            let (record, record_len) = match record::read(&map, at) {
                Read::Record(record, len) => (record, len),
                Read::End => break,
                Read::Damaged(reason) => {
                    damage = Some((at, record::nonzero_extent(&map[at..]), reason));
                    break;
                }
            };
            match record {
                Record::Message { seq, .. } | Record::Void { seq } => {
                    let wrong = if seq >= MAX_COUNTER {
                        Some("a sequence number beyond the range of a log")
                    } else if seq < next_seq {
                        Some("a sequence number out of order")
                    } else if contiguous && seq > next_seq {
                        Some("a sequence number that skips records: the records before it are lost")
                    } else {
                        None
                    };
                    if let Some(reason) = wrong {
                        damage = Some((at, record::nonzero_extent(&map[at..]), reason));
                        break;
                    }
                    contiguous = true;
                    next_seq = seq + 1;
                    // A void record keeps its place in the sequence and owes nothing.
                    let Record::Message { payload, .. } = record else {
                        at += record_len;
                        continue;
                    };
                    let message = crate::codec::from_bytes::<M>(payload).map_err(|error| {
                        PersistError::Decode {
                            path: path.clone(),
                            offset: at as u64,
                            error,
                        }
                    })?;
                    owed.insert(seq, (messages.len(), position));
                    messages.push(Some(Found {
                        seq,
                        len: record_len as u64,
                        message,
                        path: path.clone(),
                        offset: at as u64,
                    }));
                    info.live += 1;
                    info.seqs = Some(info.seqs.map_or((seq, seq), |(first, _)| (first, seq)));
                }
                Record::Ack { seq } => {
                    // An acknowledgement of a message in a deleted segment finds nothing.
                    if let Some((slot, holder)) = owed.remove(&seq) {
                        messages[slot] = None;
                        match segments.get_mut(holder) {
                            Some(holder) => holder.live -= 1,
                            None => info.live -= 1,
                        }
                    }
                }
            }
            at += record_len;
        }
        drop(map);
        if let Some((at, extent, reason)) = damage {
            cuts.push(PlannedCut {
                path: path.clone(),
                offset: at as u64,
                bytes: extent as u64,
                reason,
                whole: false,
            });
            damaged = true;
        }
        // Zeros from `at` to the end (checked, or zeroed by the cut): appends can go on there.
        tail = Some(at as u64);
        segments.push_back(info);
    }
    let next_index = files.keys().next_back().map_or(0, |last| last + 1);
    Ok(Recovered {
        messages: messages.into_iter().flatten().collect(),
        resume: Resume {
            next_seq,
            next_index,
            segments,
            tail,
        },
        cuts,
    })
}

/// A cut recovery decided on: the bytes from `offset` of `path` (the whole file when
/// `whole`).
pub(crate) struct PlannedCut {
    path: PathBuf,
    offset: u64,
    bytes: u64,
    reason: &'static str,
    whole: bool,
}

/// Makes the cuts: saves what each one removes beside its segment, zeroes a cut tail in
/// place and renames a wholly cut segment away; then syncs the directory when `durable`.
pub(crate) fn apply(
    fs: &dyn FileSystem,
    dir: &Path,
    planned: Vec<PlannedCut>,
    durable: bool,
) -> Result<Vec<Cut>, PersistError> {
    let mut cuts = Vec::with_capacity(planned.len());
    for cut in planned {
        let PlannedCut {
            path,
            offset,
            bytes,
            reason,
            whole,
        } = cut;
        if whole {
            let saved = cut_path(fs, &path, 0)?;
            fs.rename(&path, &saved)
                .map_err(|e| PersistError::io(&path, "rename", &e))?;
            cuts.push(report(&path, &saved, 0, bytes, reason));
        } else {
            let file = fs
                .open(&path, Open::ReadWrite)
                .map_err(|e| PersistError::io(&path, "open", &e))?;
            cuts.push(set_aside(fs, &path, &*file, offset, bytes, reason)?);
        }
    }
    if durable && !cuts.is_empty() {
        segment::sync_dir(fs, dir)?;
    }
    Ok(cuts)
}

/// A segment's bytes, read with positioned reads: a file that is shorter than it said (cut
/// by another process) or a read that fails is an error naming the file, never a signal, as
/// touching a memory map of it would be.
fn read_segment(path: &Path, file: &dyn LogFile, len: u64) -> Result<Vec<u8>, PersistError> {
    if len < HEADER as u64 {
        return Err(PersistError::Header {
            path: path.to_path_buf(),
            offset: len,
            detail: format!("the file is {len} bytes, shorter than a segment header ({HEADER})"),
        });
    }
    let len = usize::try_from(len).map_err(|_| PersistError::Header {
        path: path.to_path_buf(),
        offset: 0,
        detail: format!("the file is {len} bytes, more than this machine can address"),
    })?;
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(len)
        .map_err(|_| PersistError::Header {
            path: path.to_path_buf(),
            offset: 0,
            detail: format!("the file is {len} bytes, more than can be read into memory"),
        })?;
    bytes.resize(len, 0);
    fs::read_exact_at(file, &mut bytes, 0).map_err(|e| PersistError::io(path, "read", &e))?;
    Ok(bytes)
}

/// Saves `bytes` bytes from `offset` of a segment to `{path}.cut`, then zeroes them in the
/// segment so that the log ends cleanly before them.
fn set_aside(
    fs: &dyn FileSystem,
    path: &Path,
    file: &dyn LogFile,
    offset: u64,
    bytes: u64,
    reason: &'static str,
) -> Result<Cut, PersistError> {
    let mut saved = vec![0; bytes as usize];
    fs::read_exact_at(file, &mut saved, offset).map_err(|e| PersistError::io(path, "read", &e))?;
    let cut_path = cut_path(fs, path, offset)?;
    fs.open(&cut_path, Open::Create)
        .and_then(|copy| {
            copy.write_all_at(&saved, 0)?;
            copy.sync_data()
        })
        .map_err(|e| PersistError::io(&cut_path, "write", &e))?;
    saved.fill(0);
    file.write_all_at(&saved, offset)
        .and_then(|()| file.sync_data())
        .map_err(|e| PersistError::io(path, "write", &e))?;
    Ok(report(path, &cut_path, offset, bytes, reason))
}

/// Where the bytes cut at `offset` of `path` are saved: `{path}.{offset}.cut`, or with a
/// counter after it when an earlier cut at the same place was saved there (appends resume
/// where a cut was, so a later crash can tear the same offset again): `{path}.{offset}-{n}.cut`.
fn cut_path(fs: &dyn FileSystem, path: &Path, offset: u64) -> Result<PathBuf, PersistError> {
    let named = |suffix: String| {
        let mut saved = path.as_os_str().to_owned();
        saved.push(suffix);
        PathBuf::from(saved)
    };
    let taken = |candidate: &Path| {
        fs.exists(candidate)
            .map_err(|e| PersistError::io(candidate, "stat", &e))
    };
    let first = named(format!(".{offset}.cut"));
    if !taken(&first)? {
        return Ok(first);
    }
    for n in 1.. {
        let candidate = named(format!(".{offset}-{n}.cut"));
        if !taken(&candidate)? {
            return Ok(candidate);
        }
    }
    Ok(first)
}

fn report(path: &Path, saved: &Path, offset: u64, bytes: u64, reason: &'static str) -> Cut {
    tracing::warn!(
        path = %path.display(),
        offset,
        bytes,
        reason,
        saved = %saved.display(),
        "elasticq: recovery cut a damaged log tail"
    );
    Cut {
        path: path.to_path_buf(),
        offset,
        bytes,
        reason,
    }
}
