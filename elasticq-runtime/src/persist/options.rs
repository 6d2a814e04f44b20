//! Where a persisted queue keeps its log and when it makes writes durable.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;

/// When a persisted queue's writes reach the disk (`fdatasync`).
///
/// ```
/// use std::time::Duration;
/// use elasticq_runtime::SyncPolicy;
///
/// let policy = SyncPolicy::Periodic(Duration::from_millis(100));
/// assert_ne!(policy, SyncPolicy::EveryWrite);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncPolicy {
    /// Never on its own: records are written to the operating system when the write buffer
    /// fills (64 KiB), at [`sync`](crate::Persistent::sync), and when the queue is dropped. A
    /// process crash loses what was still buffered; the operating system keeps the rest.
    None,
    /// Each push (and each [`Delivery::ack`](crate::Delivery::ack)) returns only after its
    /// record is on disk. Concurrent callers share one `fdatasync` (group commit).
    EveryWrite,
    /// A background thread writes and syncs every interval: a crash loses at most the last
    /// interval's writes.
    Periodic(Duration),
}

/// The log's settings: its directory, its [`SyncPolicy`] and the size of its segment files.
///
/// ```
/// use elasticq_runtime::{PersistOptions, SyncPolicy};
///
/// let options = PersistOptions::new("/tmp/queue").sync(SyncPolicy::EveryWrite);
/// assert_eq!(options.get_sync(), SyncPolicy::EveryWrite);
/// assert!(PersistOptions::new("/tmp/queue").segment_bytes(100).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistOptions {
    dir: PathBuf,
    sync: SyncPolicy,
    segment_bytes: u64,
}

pub use super::{MAX_SEGMENT_BYTES, MIN_SEGMENT_BYTES};

impl PersistOptions {
    /// A log in `dir`, synced on every write, in segments of 16 MiB.
    ///
    /// ```
    /// # use elasticq_runtime::PersistOptions;
    /// assert_eq!(PersistOptions::new("q").get_segment_bytes(), 16 << 20);
    /// ```
    pub fn new(dir: impl AsRef<Path>) -> Self {
        PersistOptions {
            dir: dir.as_ref().to_path_buf(),
            sync: SyncPolicy::EveryWrite,
            segment_bytes: 16 << 20,
        }
    }

    /// Options with `sync` and no directory yet: [`validate`](Self::validate) asks for one
    /// until [`dir`](Self::dir) sets it. What a generated builder starts from.
    ///
    /// ```
    /// # use elasticq_runtime::{PersistOptions, SyncPolicy};
    /// let options = PersistOptions::with_sync(SyncPolicy::None);
    /// assert_eq!(options.validate().unwrap_err().to_string(), "invalid dir = \"\": a persisted queue needs a directory: open(dir), or builder().dir(dir)");
    /// assert!(options.dir("q").validate().is_ok());
    /// ```
    pub fn with_sync(sync: SyncPolicy) -> Self {
        PersistOptions {
            dir: PathBuf::new(),
            sync,
            segment_bytes: 16 << 20,
        }
    }

    /// Sets the directory.
    ///
    /// ```
    /// # use elasticq_runtime::PersistOptions;
    /// assert_eq!(PersistOptions::new("a").dir("b").get_dir(), std::path::Path::new("b"));
    /// ```
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = dir.as_ref().to_path_buf();
        self
    }

    /// Sets when writes are synced.
    ///
    /// ```
    /// # use elasticq_runtime::{PersistOptions, SyncPolicy};
    /// assert_eq!(PersistOptions::new("q").sync(SyncPolicy::None).get_sync(), SyncPolicy::None);
    /// ```
    pub fn sync(mut self, sync: SyncPolicy) -> Self {
        self.sync = sync;
        self
    }

    /// Sets the size of a segment file: a log rolls to a new file when one is full, and
    /// compaction deletes whole files. A record larger than this gets a file of its own size.
    ///
    /// ```
    /// # use elasticq_runtime::PersistOptions;
    /// assert_eq!(PersistOptions::new("q").segment_bytes(1 << 20).get_segment_bytes(), 1 << 20);
    /// ```
    pub fn segment_bytes(mut self, bytes: u64) -> Self {
        self.segment_bytes = bytes;
        self
    }

    /// The directory.
    ///
    /// ```
    /// # use elasticq_runtime::PersistOptions;
    /// assert_eq!(PersistOptions::new("q").get_dir(), std::path::Path::new("q"));
    /// ```
    pub fn get_dir(&self) -> &Path {
        &self.dir
    }

    /// The sync policy.
    ///
    /// ```
    /// # use elasticq_runtime::{PersistOptions, SyncPolicy};
    /// assert_eq!(PersistOptions::new("q").get_sync(), SyncPolicy::EveryWrite);
    /// ```
    pub fn get_sync(&self) -> SyncPolicy {
        self.sync
    }

    /// The segment size.
    ///
    /// ```
    /// # use elasticq_runtime::PersistOptions;
    /// assert_eq!(PersistOptions::new("q").get_segment_bytes(), 16 << 20);
    /// ```
    pub fn get_segment_bytes(&self) -> u64 {
        self.segment_bytes
    }

    /// Checks the settings: a segment size in
    /// [`MIN_SEGMENT_BYTES`]..=[`MAX_SEGMENT_BYTES`], a periodic interval of at least 1 ms.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use elasticq_runtime::{PersistOptions, SyncPolicy};
    /// let zero = PersistOptions::new("q").sync(SyncPolicy::Periodic(Duration::ZERO));
    /// assert_eq!(
    ///     zero.validate().unwrap_err().to_string(),
    ///     "invalid sync = periodic(ms = 0): the interval must be at least 1 ms"
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        if self.dir.as_os_str().is_empty() {
            return Err(Error::InvalidConfig {
                field: "dir",
                value: "\"\"".into(),
                requirement:
                    "a persisted queue needs a directory: open(dir), or builder().dir(dir)".into(),
            });
        }
        if !(MIN_SEGMENT_BYTES..=MAX_SEGMENT_BYTES).contains(&self.segment_bytes) {
            return Err(Error::InvalidConfig {
                field: "segment_bytes",
                value: self.segment_bytes.to_string(),
                requirement: format!("must be between {MIN_SEGMENT_BYTES} and {MAX_SEGMENT_BYTES}"),
            });
        }
        if let SyncPolicy::Periodic(interval) = self.sync {
            if interval < Duration::from_millis(1) {
                return Err(Error::InvalidConfig {
                    field: "sync",
                    value: format!("periodic(ms = {})", interval.as_millis()),
                    requirement: "the interval must be at least 1 ms".into(),
                });
            }
        }
        Ok(())
    }
}
