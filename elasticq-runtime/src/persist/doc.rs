//! The one fixture of the persistence layer's examples: a message with what the derive
//! implements for it, and a log directory that goes away with the example.

use std::ops::Deref;
use std::path::{Path, PathBuf};

use crate::codec::{Codec, DecodeError};
use crate::layer::Lane;
use crate::message::{Durable, Message, Recorded};

/// A job, the message of the examples, implemented as `#[derive(ElasticQueue, Codec)]` would
/// implement it: no priorities, no partition key, encoded as its `u32`. Its impls are never
/// recommended, so that a user's "not an elasticq message" error does not offer it.
#[derive(Debug, PartialEq, Eq)]
pub struct Job(pub u32);

#[diagnostic::do_not_recommend]
impl Message for Job {
    type Queue = ();
    type Lanes<E: Lane<Self>> = E;
    const NAME: &'static str = "Job";
}

#[diagnostic::do_not_recommend]
impl Durable for Job {
    type RecordedLanes<E: Lane<Recorded<Self>>> = E;
}

#[diagnostic::do_not_recommend]
impl Codec for Job {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out)
    }

    fn decode(input: &mut &[u8]) -> Result<Self, DecodeError> {
        u32::decode(input).map(Job)
    }
}

/// An empty log directory for the example `name`, removed when dropped: declared before the
/// queue, it outlives it.
#[derive(Debug)]
pub struct LogDir(PathBuf);

/// The directory `elasticq-doc-{name}-{pid}` under the system's temporary directory, emptied
/// of what an earlier run may have left.
pub fn log_dir(name: &str) -> LogDir {
    let path = std::env::temp_dir().join(format!("elasticq-doc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    LogDir(path)
}

impl Deref for LogDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for LogDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for LogDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
