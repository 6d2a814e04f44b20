//! The log's directory: its lock, its manifest, and the segments it holds.

use std::any::Any;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fs::{self, FileSystem, Open};
use super::segment;
use super::PersistError;

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
    fs: Arc<dyn FileSystem>,
    /// The directory's id, once asked for (`log_id`).
    id: parking_lot::Mutex<Option<Arc<str>>>,
    _lock: Box<dyn Any + Send + Sync>,
}

/// The segments of each partition, by index.
pub(crate) type Segments = BTreeMap<u32, BTreeMap<u64, PathBuf>>;

impl Directory {
    /// Opens (creating if needed) the log directory of a queue of `partitions` partitions.
    pub(crate) fn open(
        fs: Arc<dyn FileSystem>,
        path: &Path,
        partitions: usize,
    ) -> Result<(Self, Segments), PersistError> {
        fs.create_dir_all(path)
            .map_err(|e| PersistError::io(path, "create", &e))?;
        let lock_path = path.join(LOCK);
        // A lock can outlive its queue for a moment: a process forked by any thread of the
        // owner (to run a command) shares the owner's open files until it execs, and with
        // them the lock. So a held lock is retried briefly before it counts as another
        // queue's.
        let started = Instant::now();
        let lock = loop {
            match fs.try_lock(&lock_path) {
                Ok(Some(lock)) => break lock,
                Ok(None) if started.elapsed() < LOCK_PATIENCE => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => {
                    return Err(PersistError::Locked {
                        dir: path.to_path_buf(),
                    })
                }
                Err(error) => return Err(PersistError::io(&lock_path, "lock", &error)),
            }
        };
        let directory = Directory {
            path: path.to_path_buf(),
            fs,
            id: parking_lot::Mutex::new(None),
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

    /// The directory's id, written into it the first time it is asked for. Only this
    /// directory's holder writes it: the lock is held.
    pub(crate) fn log_id(&self) -> Result<Arc<str>, PersistError> {
        let mut id = self.id.lock();
        if let Some(id) = &*id {
            return Ok(Arc::clone(id));
        }
        let read: Arc<str> = super::log_id::read_or_create(&*self.fs, &self.path)?.into();
        *id = Some(Arc::clone(&read));
        Ok(read)
    }

    fn list(&self) -> Result<Segments, PersistError> {
        let names = self
            .fs
            .list(&self.path)
            .map_err(|e| PersistError::io(&self.path, "read directory", &e))?;
        let mut segments = Segments::new();
        for name in names {
            let path = self.path.join(&name);
            if segment::is_temporary(&name) || super::checkpoint::is_temporary(&name) {
                // A segment whose creation a crash interrupted (it holds no record), or a
                // checkpoint whose writing one did (the old checkpoint is still there).
                self.fs
                    .remove_file(&path)
                    .map_err(|e| PersistError::io(&path, "remove", &e))?;
            } else if let Some((partition, index)) = segment::parse_file_name(&name) {
                segments.entry(partition).or_default().insert(index, path);
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
        match self.read_manifest(&path) {
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
                let text = format!("elasticq-wal 1\npartitions {partitions}\n");
                self.fs
                    .open(&temporary, Open::Create)
                    .and_then(|file| {
                        file.write_all_at(text.as_bytes(), 0)?;
                        file.sync_data()
                    })
                    .map_err(|e| PersistError::io(&temporary, "write", &e))?;
                self.fs
                    .rename(&temporary, &path)
                    .map_err(|e| PersistError::io(&path, "rename", &e))?;
                segment::sync_dir(&*self.fs, &self.path)?;
            }
            Err(error) => return Err(PersistError::io(&path, "read", &error)),
        }
        Ok(())
    }

    /// The manifest's bytes.
    fn read_manifest(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        read_manifest(&*self.fs, path)
    }
}

/// The partition count the manifest in `dir` records, if there is a readable one: a queue
/// declared with `partitions = auto` reopens its log with the count that wrote it, whatever
/// the parallelism of the machine it restarts on (what is wrong with the manifest, if
/// anything, `Directory::open` reports).
pub(crate) fn recorded_partitions(fs: &dyn FileSystem, dir: &Path) -> Option<usize> {
    parse_manifest(&read_manifest(fs, &dir.join(MANIFEST)).ok()?)
}

/// A manifest's bytes (it is a few dozen bytes; more is not a manifest).
fn read_manifest(fs: &dyn FileSystem, path: &Path) -> std::io::Result<Vec<u8>> {
    let file = fs.open(path, Open::Read)?;
    let len = file.len()?.min(4096) as usize;
    let mut bytes = vec![0; len];
    fs::read_exact_at(&*file, &mut bytes, 0)?;
    Ok(bytes)
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
