//! `PersistError`: why a persisted queue could not open, write or sync its log.
//!
//! It lives outside the `persist` feature so that [`Error`](crate::Error) and
//! [`PushError`](crate::PushError) have the same shape with and without it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::codec::DecodeError;

/// A failure of a persisted queue's log. Every variant names the file (and, for content, the
/// byte offset) it is about.
///
/// ```
/// use std::path::PathBuf;
/// use elasticq_runtime::PersistError;
///
/// let error = PersistError::Locked { dir: PathBuf::from("/var/lib/queue") };
/// assert_eq!(
///     error.to_string(),
///     "/var/lib/queue is already open by another queue (in this or another process)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PersistError {
    /// An operating-system call on a file of the log failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done ("open", "write", "fsync", ...).
        operation: &'static str,
        /// The error's kind.
        kind: io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
    /// Another queue, in this process or another, has the directory open.
    Locked {
        /// The directory.
        dir: PathBuf,
    },
    /// A file that is not an elasticq log, or whose header is damaged.
    Header {
        /// The file.
        path: PathBuf,
        /// Where in the file.
        offset: u64,
        /// What is wrong there.
        detail: String,
    },
    /// A record whose checksum is right but whose message does not decode: the log was
    /// written for another message type, or another version of it.
    Decode {
        /// The segment file.
        path: PathBuf,
        /// The record's offset in the file.
        offset: u64,
        /// Why the message did not decode.
        error: DecodeError,
    },
    /// The directory was written by a queue with another number of partitions.
    Partitions {
        /// The directory.
        dir: PathBuf,
        /// The partitions its manifest records.
        found: usize,
        /// The partitions the queue was configured with.
        configured: usize,
    },
    /// A recovered message's priority is outside the queue's levels: the log was written
    /// by a version of the message with more levels.
    Priority {
        /// The segment file.
        path: PathBuf,
        /// The record's offset in the file.
        offset: u64,
    },
    /// A message whose encoding is longer than a log record holds
    /// (`MAX_RECORD_BYTES`, 1 GiB); nothing was written for it.
    RecordTooLarge {
        /// The length of the message's encoding.
        bytes: u64,
        /// The most a record holds.
        max: u64,
    },
    /// A message whose values nest (through `Box` and `Vec`) deeper than recovery decodes
    /// ([`MAX_DECODE_DEPTH`](crate::MAX_DECODE_DEPTH)); nothing was written for it.
    NestedTooDeep {
        /// The deepest nesting recovery decodes.
        max: usize,
    },
}

impl PersistError {
    #[cfg_attr(not(feature = "persist"), allow(dead_code))]
    pub(crate) fn io(path: &Path, operation: &'static str, error: &io::Error) -> Self {
        PersistError::Io {
            path: path.to_path_buf(),
            operation,
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

impl fmt::Display for PersistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersistError::Io {
                path,
                operation,
                message,
                ..
            } => write!(f, "{operation} {}: {message}", path.display()),
            PersistError::Locked { dir } => write!(
                f,
                "{} is already open by another queue (in this or another process)",
                dir.display()
            ),
            PersistError::Header {
                path,
                offset,
                detail,
            } => write!(f, "{} at offset {offset}: {detail}", path.display()),
            PersistError::Decode {
                path,
                offset,
                error,
            } => write!(
                f,
                "{} at offset {offset}: a record's message does not decode ({error}); \
                 was the log written for another message type?",
                path.display()
            ),
            PersistError::Partitions {
                dir,
                found,
                configured,
            } => write!(
                f,
                "{} holds a log of {found} partitions, but the queue has {configured}; \
                 open it with partitions({found})",
                dir.display()
            ),
            PersistError::Priority { path, offset } => write!(
                f,
                "{} at offset {offset}: the recovered message's priority is outside the \
                 queue's levels; was the log written with more levels?",
                path.display()
            ),
            PersistError::RecordTooLarge { bytes, max } => write!(
                f,
                "a message of {bytes} bytes does not fit in a log record (at most {max} bytes)"
            ),
            PersistError::NestedTooDeep { max } => write!(
                f,
                "a message whose values nest deeper than {max} levels could not be read back \
                 from the log"
            ),
        }
    }
}

impl std::error::Error for PersistError {}
