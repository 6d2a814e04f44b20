//! The log's directory: its lock, its manifest, and the segments it holds.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::segment;
use crate::PersistError;

const LOCK: &str = "LOCK";
/// How long a held lock is retried before `open` reports it held.
const LOCK_PATIENCE: Duration = Duration::from_millis(200);
const MANIFEST: &str = "MANIFEST";

/// An open log directory. Holding it holds an exclusive lock on the directory's `LOCK` file:
/// a second queue on the directory, in this process or another, gets
/// [`PersistError::Locked`]. The lock goes with the value (the operating system releases it
/// if the process dies).
pub(crate) struct Directory {
    path: PathBuf,
    _lock: File,
}

/// The segments of each partition, by index.
pub(crate) type Segments = BTreeMap<u32, BTreeMap<u64, PathBuf>>;

impl Directory {
    /// Opens (creating if needed) the log directory of a queue of `partitions` partitions.
    pub(crate) fn open(path: &Path, partitions: usize) -> Result<(Self, Segments), PersistError> {
        std::fs::create_dir_all(path).map_err(|e| PersistError::io(path, "create", &e))?;
        let lock_path = path.join(LOCK);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| PersistError::io(&lock_path, "open", &e))?;
        // A lock can outlive its queue for a moment: a process forked by any thread of the
        // owner (to run a command) shares the owner's open files until it execs, and with
        // them the lock. So a held lock is retried briefly before it counts as another
        // queue's.
        let started = Instant::now();
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_PATIENCE => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(PersistError::Locked {
                        dir: path.to_path_buf(),
                    })
                }
                Err(TryLockError::Error(error)) => {
                    return Err(PersistError::io(&lock_path, "lock", &error))
                }
            }
        }
        let directory = Directory {
            path: path.to_path_buf(),
            _lock: lock,
        };
        let segments = directory.list()?;
        directory.check_manifest(partitions, &segments)?;
        // The manifest and the queue agree; a segment beyond them is not ours to ignore.
        if let Some((&partition, files)) = segments.range(partitions as u32..).next() {
            if let Some(path) = files.values().next() {
                return Err(PersistError::Header {
                    path: path.clone(),
                    offset: 12,
                    detail: format!(
                        "a segment of partition {partition}, but the log has {partitions} partitions"
                    ),
                });
            }
        }
        Ok((directory, segments))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn list(&self) -> Result<Segments, PersistError> {
        let io = |e: std::io::Error| PersistError::io(&self.path, "read directory", &e);
        let mut segments = Segments::new();
        for entry in std::fs::read_dir(&self.path).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if segment::is_temporary(name) {
                // A segment whose creation a crash interrupted: it holds no record.
                let path = entry.path();
                std::fs::remove_file(&path).map_err(|e| PersistError::io(&path, "remove", &e))?;
            } else if let Some((partition, index)) = segment::parse_file_name(name) {
                segments
                    .entry(partition)
                    .or_default()
                    .insert(index, entry.path());
            }
        }
        Ok(segments)
    }

    /// The manifest records the partition count: opening a log with another count would put
    /// keys in the wrong partitions, so it is an error, not a silent reshuffle.
    fn check_manifest(&self, partitions: usize, segments: &Segments) -> Result<(), PersistError> {
        let path = self.path.join(MANIFEST);
        let mismatch = |found: usize| PersistError::Partitions {
            dir: self.path.clone(),
            found,
            configured: partitions,
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let found = parse_manifest(&bytes).ok_or_else(|| PersistError::Header {
                    path: path.clone(),
                    offset: 0,
                    detail: "not an elasticq log manifest".into(),
                })?;
                if found != partitions {
                    return Err(mismatch(found));
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if let Some((&partition, _)) = segments.iter().next_back() {
                    if partition as usize >= partitions {
                        return Err(mismatch(partition as usize + 1));
                    }
                }
                let temporary = self.path.join("MANIFEST.tmp");
                std::fs::write(
                    &temporary,
                    format!("elasticq-wal 1\npartitions {partitions}\n"),
                )
                .and_then(|()| File::open(&temporary)?.sync_all())
                .map_err(|e| PersistError::io(&temporary, "write", &e))?;
                std::fs::rename(&temporary, &path)
                    .map_err(|e| PersistError::io(&path, "rename", &e))?;
                segment::sync_dir(&self.path)?;
            }
            Err(error) => return Err(PersistError::io(&path, "read", &error)),
        }
        Ok(())
    }
}

fn parse_manifest(bytes: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    (lines.next()? == "elasticq-wal 1").then_some(())?;
    let partitions = lines.next()?.strip_prefix("partitions ")?.parse().ok()?;
    (partitions > 0).then_some(partitions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_parse_strictly() {
        assert_eq!(parse_manifest(b"elasticq-wal 1\npartitions 4\n"), Some(4));
        for bad in [
            &b""[..],
            b"elasticq-wal 2\npartitions 4\n",
            b"elasticq-wal 1\npartitions 0\n",
            b"\xff\xfe",
        ] {
            assert_eq!(parse_manifest(bad), None);
        }
    }
}
