//! What the persistence tests share: their message types (plain, lock-free, `Priority`
//! levels, an integer priority, partitions with priorities, and two small ones), payloads,
//! the proptest case count, and writing and opening a log of jobs.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use elasticq::{ElasticQueue, Error, Priority, SyncPolicy};

use crate::records::*;

#[derive(Priority, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Level {
    Low,
    Mid,
    High,
}

pub(crate) const LEVELS: [Level; 3] = [Level::Low, Level::Mid, Level::High];

/// A plain queue: one partition, one level.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
pub(crate) struct Job {
    pub(crate) id: u64,
    pub(crate) payload: Vec<u8>,
}

/// The same on the lock-free engine.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none), engine = lock_free)]
pub(crate) struct Fast {
    pub(crate) id: u64,
    pub(crate) payload: Vec<u8>,
}

/// Priorities: strict by level, FIFO within a level.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
pub(crate) struct Task {
    #[elastic_queue(priority)]
    pub(crate) level: Level,
    pub(crate) id: u64,
    pub(crate) payload: Vec<u8>,
}

/// An integer priority: levels 0, 1, 2, the highest first.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
pub(crate) struct Urgent {
    #[elastic_queue(priority(levels = 3))]
    pub(crate) urgency: u8,
    pub(crate) id: u64,
    pub(crate) payload: Vec<u8>,
}

/// Partitions by key, and priorities within them.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 4, persist(sync = none))]
pub(crate) struct Event {
    #[elastic_queue(priority)]
    pub(crate) level: Level,
    #[elastic_queue(partition_key)]
    pub(crate) client: String,
    pub(crate) id: u64,
    pub(crate) payload: Vec<u8>,
}

/// Reads logs written for `Small` as another type.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
pub(crate) struct Small {
    pub(crate) v: u8,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
pub(crate) struct Flag {
    pub(crate) on: bool,
}

pub(crate) fn payload(id: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (id as usize).wrapping_mul(31).wrapping_add(i) as u8)
        .collect()
}

pub(crate) fn job(id: u64, len: usize) -> Job {
    Job {
        id,
        payload: payload(id, len),
    }
}

/// Proptest cases: `default`, or `PROPTEST_CASES` when set (the explicit counts below would
/// otherwise override it), for longer hunts: `PROPTEST_CASES=2000 cargo test --release ...`.
pub(crate) fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

/// A log of `n` jobs in several segments of 4096 bytes; returns its segment files.
pub(crate) fn write_jobs(dir: &Path, n: u64) -> Vec<PathBuf> {
    let queue = JobQueue::builder()
        .dir(dir)
        .sync(SyncPolicy::None)
        .segment_bytes(4096)
        .build()
        .unwrap();
    queue.push_batch((0..n).map(|id| job(id, 100))).unwrap();
    drop(queue);
    segment_files(dir)
}

pub(crate) fn open_jobs(dir: &Path) -> Result<JobQueue, Error> {
    JobQueue::builder()
        .dir(dir)
        .sync(SyncPolicy::None)
        .segment_bytes(4096)
        .build()
}

/// Runs the test `name` of this binary alone in a child process, with `env` set to `dir`;
/// returns how it ended (the children here abort, as a crash would).
pub(crate) fn run_child(name: &str, env: &str, dir: &Path) -> std::process::ExitStatus {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, dir)
        .status()
        .unwrap()
}
