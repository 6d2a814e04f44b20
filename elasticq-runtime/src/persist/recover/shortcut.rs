//! Recovery from a checkpoint: read the records it says are owed, and scan only what was
//! appended after its place, so that `open` costs what is owed plus the segments, not every
//! record kept.
//!
//! The checkpoint is checked against the log before anything of it is used, and any
//! disagreement sends recovery back to reading the whole log (`Shortcut::Refused`), which
//! is always right, only slower:
//! - the segments listed must be the checkpoint's, less a prefix deleted since (a segment
//!   is deleted only once all its messages are acknowledged, durably);
//! - each owed record is read back where the checkpoint says, and must check out with the
//!   sequence number and the length it names;
//! - the log after the checkpoint's place is scanned as a whole log's tail would be, with
//!   the checkpoint's next sequence number.
//!
//! A clean checkpoint (nothing appended after it) also spares reading the zeros after its
//! place and the empty segments prepared after it: only the first 128 KiB after it, where a
//! torn write would be, are checked. Damage elsewhere in bytes recovery does not need (in
//! acknowledged records, or far into zeros after a clean close) is found only by a full
//! read, which deleting the checkpoint asks for.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

use super::scan::Scan;
use super::{Found, Recovered};
use crate::codec::Codec;
use crate::persist::checkpoint::{self, Checkpoint};
use crate::persist::fs::{self, FileSystem, Open};
use crate::persist::log::{Place, SegmentInfo};
use crate::persist::record::{self, Read, Record};
use crate::persist::segment::{self, HEADER};
use crate::persist::PersistError;

/// What the checkpoint made of recovery.
pub(super) enum Shortcut<M> {
    /// The log, recovered from its checkpoint.
    Taken(Recovered<M>),
    /// The checkpoint does not match the log, for this reason: read the whole log.
    Refused(&'static str),
    /// No checkpoint.
    None,
}

/// Owed records of one segment closer together than this are read in one read.
const GAP: u64 = 64 << 10;

pub(super) fn recover<M: Codec>(
    fs: &dyn FileSystem,
    dir: &Path,
    partition: u32,
    files: &BTreeMap<u64, PathBuf>,
) -> Result<Shortcut<M>, PersistError> {
    let path = dir.join(checkpoint::file_name(partition));
    let bytes = match read_file(fs, &path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(Shortcut::None),
        Err(_) => return Ok(Shortcut::Refused("it could not be read")),
    };
    let checkpoint = match Checkpoint::decode(&bytes) {
        Ok(checkpoint) if checkpoint.partition == partition => checkpoint,
        Ok(_) => return Ok(Shortcut::Refused("it is another partition's")),
        Err(reason) => return Ok(Shortcut::Refused(reason)),
    };
    let plan = match Plan::new(&checkpoint, files) {
        Ok(plan) => plan,
        Err(reason) => return Ok(Shortcut::Refused(reason)),
    };
    let Plan {
        covered,
        continued,
        later,
    } = plan;
    let mut scan = Scan::<M>::after(partition, covered, checkpoint.next_seq, continued.is_some());
    // Headers are cheap to check and name a misplaced or foreign segment: every one is.
    for (&index, path) in files.range(..=checkpoint.index) {
        if !header_checks_out(fs, path, partition, index) {
            return Ok(Shortcut::Refused("a segment's header does not check out"));
        }
    }
    if let Some((path, _)) = &continued {
        if length(fs, path).map_or(true, |len| len < checkpoint.offset) {
            return Ok(Shortcut::Refused("its segment is shorter than its place"));
        }
    }
    match continued {
        Some((path, info)) if checkpoint.clean => {
            // Rule 2: nothing was written after its place, in it or in a later segment. A
            // torn write would be right after it, had there been one: that much is checked.
            if !zeros_after(fs, &path, checkpoint.offset) {
                return Ok(Shortcut::Refused(
                    "records after a clean checkpoint's place",
                ));
            }
            scan.segments.push_back(info);
            scan.tail = Some(checkpoint.offset);
            for (index, path) in later {
                if !header_checks_out(fs, &path, partition, index)
                    || !zeros_after(fs, &path, HEADER as u64)
                {
                    return Ok(Shortcut::Refused(
                        "records in a segment after a clean checkpoint",
                    ));
                }
                let Ok(bytes) = length(fs, &path) else {
                    return Ok(Shortcut::Refused("a segment could not be opened"));
                };
                scan.empty_segment(index, path, bytes);
            }
        }
        continued => {
            if let Some((path, info)) = continued {
                scan.segment(fs, checkpoint.index, &path, info, checkpoint.offset)?;
            }
            for (index, path) in later {
                let info = SegmentInfo::empty(index, path.clone(), 0);
                scan.segment(fs, index, &path, info, HEADER as u64)?;
            }
        }
    }
    let owed = match read_owed::<M>(fs, checkpoint.next_seq, &scan.segments)? {
        Ok(owed) => owed,
        Err(reason) => return Ok(Shortcut::Refused(reason)),
    };
    let mut recovered = scan.finish(owed, files, true);
    // A clean checkpoint is written only after the closing queue synced its whole log.
    recovered.resume.synced = checkpoint.clean;
    Ok(Shortcut::Taken(recovered))
}

/// The checkpoint matched against the segments listed.
struct Plan {
    /// The segments before the checkpoint's, with the places they owe.
    covered: VecDeque<SegmentInfo>,
    /// The checkpoint's own segment, if it is still there.
    continued: Option<(PathBuf, SegmentInfo)>,
    /// The segments after it.
    later: Vec<(u64, PathBuf)>,
}

impl Plan {
    fn new(checkpoint: &Checkpoint, files: &BTreeMap<u64, PathBuf>) -> Result<Plan, &'static str> {
        let Some(&first) = files.keys().next() else {
            return Err("the log has no segment");
        };
        let mut covered = VecDeque::new();
        let mut continued = None;
        let mut listed = checkpoint.segments.iter().map(|s| s.index).peekable();
        for (position, segment) in checkpoint.segments.iter().enumerate() {
            let Some(path) = files.get(&segment.index) else {
                if segment.index >= first {
                    return Err("a segment it covers is missing, and an older one is not");
                }
                continue;
            };
            let mut info = SegmentInfo::empty(segment.index, path.clone(), segment.bytes);
            info.seqs = segment.seqs;
            for (_, place) in checkpoint
                .owed
                .iter()
                .filter(|(holder, _)| *holder as usize == position)
            {
                info.places.push(*place);
            }
            if segment.index == checkpoint.index {
                continued = Some((path.clone(), info));
            } else {
                covered.push_back(info);
            }
        }
        // Every segment up to the checkpoint's is one it covers.
        for &index in files.keys().take_while(|&&index| index <= checkpoint.index) {
            while listed.next_if(|&covered| covered < index).is_some() {}
            if listed.next_if_eq(&index).is_none() {
                return Err("a segment it does not cover");
            }
        }
        let later = files
            .range(checkpoint.index + 1..)
            .map(|(&index, path)| (index, path.clone()))
            .collect();
        Ok(Plan {
            covered,
            continued,
            later,
        })
    }
}

/// Reads and decodes the records the checkpoint says are owed (sequence numbers below
/// `below`) and no acknowledgement after it consumed, oldest first. `Err(reason)`: one of
/// them is not where the checkpoint says.
#[allow(clippy::type_complexity)]
fn read_owed<M: Codec>(
    fs: &dyn FileSystem,
    below: u64,
    segments: &VecDeque<SegmentInfo>,
) -> Result<Result<Vec<Found<M>>, &'static str>, PersistError> {
    let mut owed = Vec::new();
    for info in segments {
        let places: Vec<Place> = info.places.iter().take_while(|p| p.seq < below).collect();
        if places.is_empty() {
            continue;
        }
        let Ok(file) = fs.open(&info.path, Open::Read) else {
            return Ok(Err("a segment with owed records could not be opened"));
        };
        let mut at = 0;
        while at < places.len() {
            // One read for places close together.
            let start = places[at].offset;
            let mut end = at + 1;
            while end < places.len() && places[end].offset <= place_end(places[end - 1]) + GAP {
                end += 1;
            }
            let stop = place_end(places[end - 1]);
            let mut bytes = vec![0; (stop - start) as usize];
            if fs::read_exact_at(&*file, &mut bytes, start).is_err() {
                return Ok(Err("an owed record could not be read"));
            }
            for place in &places[at..end] {
                let offset = (place.offset - start) as usize;
                let payload = match record::read(&bytes, offset) {
                    Read::Record(Record::Message { seq, payload, .. }, len)
                        if seq == place.seq && len == place.len as usize =>
                    {
                        payload
                    }
                    _ => return Ok(Err("an owed record is not where it says")),
                };
                let message = crate::codec::from_bytes::<M>(payload).map_err(|error| {
                    PersistError::Decode {
                        path: info.path.clone(),
                        offset: place.offset,
                        error,
                    }
                })?;
                owed.push(Found {
                    seq: place.seq,
                    len: u64::from(place.len),
                    message,
                    path: info.path.clone(),
                    offset: place.offset,
                });
            }
            at = end;
        }
    }
    Ok(Ok(owed))
}

fn place_end(place: Place) -> u64 {
    place.offset + u64::from(place.len)
}

/// The file's bytes, `None` when there is no such file.
fn read_file(fs: &dyn FileSystem, path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let file = match fs.open(path, Open::Read) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let len = usize::try_from(file.len()?).map_err(std::io::Error::other)?;
    let mut bytes = vec![0; len];
    fs::read_exact_at(&*file, &mut bytes, 0)?;
    Ok(Some(bytes))
}

/// How far after a clean checkpoint's place zeros are checked: further than any one write
/// of the log reaches past a record (`WRITE_BEHIND`), so a torn one would show.
const CHECKED_AFTER: u64 = 128 << 10;

/// Whether `path` holds zeros from `from` for [`CHECKED_AFTER`] bytes (or to its end).
fn zeros_after(fs: &dyn FileSystem, path: &Path, from: u64) -> bool {
    let read = || -> std::io::Result<bool> {
        let file = fs.open(path, Open::Read)?;
        let end = file.len()?.min(from + CHECKED_AFTER);
        let mut bytes = vec![0; end.saturating_sub(from) as usize];
        fs::read_exact_at(&*file, &mut bytes, from)?;
        Ok(bytes.iter().all(|&b| b == 0))
    };
    read().unwrap_or(false)
}

fn header_checks_out(fs: &dyn FileSystem, path: &Path, partition: u32, index: u64) -> bool {
    let mut header = [0; HEADER];
    fs.open(path, Open::Read)
        .and_then(|file| fs::read_exact_at(&*file, &mut header, 0))
        .is_ok()
        && segment::check_header(path, &header, partition, index).is_ok()
}

fn length(fs: &dyn FileSystem, path: &Path) -> std::io::Result<u64> {
    fs.open(path, Open::Read)?.len()
}
