//! Recovery: reading a partition's log back into the messages still owed, cutting the log
//! at the first torn or corrupt record. `scan` reads segments record by record; `shortcut`
//! starts from the partition's checkpoint, so that only what is owed and what came after
//! the checkpoint is read.

mod scan;
mod shortcut;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::fs::{self, FileSystem, LogFile, Open};
use super::log::{Resume, SegmentInfo};
use super::segment::{self, HEADER};
use super::PersistError;
use crate::codec::Codec;
use scan::Scan;
use shortcut::Shortcut;

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
    /// Read from the partition's checkpoint (`shortcut`).
    pub(crate) from_checkpoint: bool,
}

/// Reads `partition`'s log back: from its checkpoint when one checks out against the log
/// (`shortcut`), else every segment (by index). Records are kept up to the first one that
/// is torn or corrupt; the rest of that segment and every later segment is cut: saved
/// beside it as `*.cut`, and removed from the log so that new writes never follow damage.
pub(crate) fn recover<M: Codec>(
    fs: &dyn FileSystem,
    dir: &Path,
    partition: u32,
    files: &BTreeMap<u64, PathBuf>,
) -> Result<Recovered<M>, PersistError> {
    let checkpointed = match shortcut::recover::<M>(fs, dir, partition, files)? {
        Shortcut::Taken(mut recovered) => {
            recovered.from_checkpoint = true;
            return Ok(recovered);
        }
        Shortcut::Refused(reason) => {
            tracing::debug!(
                partition,
                reason,
                "elasticq: reading the whole log: its checkpoint does not match it"
            );
            true
        }
        Shortcut::None => false,
    };
    let mut scan = Scan::<M>::new(partition);
    for (&index, path) in files {
        let info = SegmentInfo::empty(index, path.clone(), 0);
        scan.segment(fs, index, path, info, HEADER as u64)?;
    }
    Ok(scan.finish(Vec::new(), files, checkpointed))
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

/// A segment's bytes, its header and everything from `from` on (zeros in between), read
/// with positioned reads: a file that is shorter than it said (cut by another process) or a
/// read that fails is an error naming the file, never a signal, as touching a memory map of
/// it would be.
fn read_range(
    path: &Path,
    file: &dyn LogFile,
    len: u64,
    from: u64,
) -> Result<Vec<u8>, PersistError> {
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
    let from = usize::try_from(from).unwrap_or(len).clamp(HEADER, len);
    let read = |buf: &mut [u8], offset: usize| {
        fs::read_exact_at(file, buf, offset as u64).map_err(|e| PersistError::io(path, "read", &e))
    };
    read(&mut bytes[..HEADER], 0)?;
    read(&mut bytes[from..], from)?;
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
