//! Who waits for whom: a pop never waits for a push's fsync, a `push_timeout` counts one
//! refusal however long it waited, and `partitions = auto` reopens the log it wrote.

use std::sync::Arc;
use std::time::Duration;

use super::scenario::{self, msg, Queue};
use super::sim::SimFs;
use crate::config::Config;
use crate::persist::SyncPolicy;

fn open(fs: &SimFs, config: Config) -> Queue {
    Queue::open_in(
        Arc::new(fs.clone()),
        config,
        scenario::options(SyncPolicy::EveryWrite),
    )
    .unwrap()
}

/// A `push_timeout` that found room writes and syncs its record; pops meanwhile take what
/// is queued without waiting for that sync (they used to wait behind it, on the lock of the
/// queue of pushes waiting for room, which the push held through its I/O).
#[test]
fn a_pop_does_not_wait_for_a_push_timeouts_fsync() {
    let fs = SimFs::new();
    let queue = Arc::new(open(&fs, Config::new().max_capacity(2)));
    queue.push(msg(1, 0, 0, 10)).unwrap();
    queue.push(msg(2, 0, 0, 10)).unwrap();
    fs.hold_syncs();
    let producer = {
        let queue = Arc::clone(&queue);
        std::thread::spawn(move || queue.push_timeout(msg(3, 0, 0, 10), Duration::from_secs(60)))
    };
    // The producer waits for room; this pop makes it, and the producer's sync is held.
    assert_eq!(queue.pop().map(|m| m.id), Some(1));
    while fs.syncs_held() == 0 {
        std::thread::yield_now();
    }
    // Were this pop to wait for the held sync, it would never return: the gate opens only
    // after it. (The producer's own record cannot be popped before its push returns.)
    let guard = std::thread::spawn({
        let fs = fs.clone();
        move || {
            std::thread::sleep(Duration::from_secs(30));
            fs.open_syncs();
        }
    });
    assert_eq!(queue.pop().map(|m| m.id), Some(2));
    assert!(queue.pop().is_none());
    assert!(fs.syncs_held() > 0, "the producer's sync was still held");
    fs.open_syncs();
    producer.join().unwrap().unwrap();
    assert_eq!(queue.pop().map(|m| m.id), Some(3));
    drop(guard);
}

#[test]
fn push_timeout_counts_one_refusal_however_long_it_waits() {
    let fs = SimFs::new();
    let queue = Arc::new(open(&fs, Config::new().max_capacity(1)));
    queue.push(msg(1, 0, 0, 10)).unwrap();
    let refused = queue.push_timeout(msg(2, 0, 0, 10), Duration::from_millis(30));
    assert!(refused.unwrap_err().is_full());
    assert_eq!(queue.stats().rejected, 1);
    let consumer = {
        let queue = Arc::clone(&queue);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            queue.pop()
        })
    };
    queue
        .push_timeout(msg(3, 0, 0, 10), Duration::from_secs(60))
        .unwrap();
    assert_eq!(consumer.join().unwrap().map(|m| m.id), Some(1));
    assert_eq!(
        queue.stats().rejected,
        1,
        "a push that waited and got in is no refusal"
    );
}

/// `partitions = auto` resolves to this machine's parallelism; a log written on a machine
/// with another reopens with the count that wrote it.
#[test]
fn auto_partitions_reopen_the_log_they_wrote() {
    let cores = Config::new().auto_partitions().get_partitions();
    let fs = SimFs::new();
    let written = open(&fs, Config::new().partitions(cores + 1));
    written.push(msg(1, 0, 0, 10)).unwrap();
    drop(written);
    let reopened = open(&fs, Config::new().auto_partitions());
    assert_eq!(reopened.partitions(), cores + 1);
    assert_eq!(scenario::drain(&reopened).len(), 1);
}
