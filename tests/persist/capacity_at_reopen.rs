//! Capacity at reopen: the log owes the queued messages *and* the deliveries not yet
//! acknowledged, so a reopen can need more room than the queue ever held at once.

use std::fmt::Debug;
use std::path::Path;

use elasticq::{ElasticQueue, Error, SyncPolicy};

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = none))]
struct Capped {
    id: u64,
}

fn open_capped(dir: &Path, max: usize) -> Result<CappedQueue, Error> {
    CappedQueue::builder()
        .dir(dir)
        .sync(SyncPolicy::None)
        .max_capacity(max)
        .build()
}

/// A full queue of 4 with 2 deliveries out: 6 messages owed.
fn full_queue_with_deliveries_out(dir: &Path) {
    let queue = open_capped(dir, 4).unwrap();
    for id in 0..4 {
        queue.push(Capped { id }).unwrap();
    }
    let first = queue.pop_delivery().unwrap();
    let second = queue.pop_delivery().unwrap();
    for id in 4..6 {
        queue.push(Capped { id }).unwrap();
    }
    assert!(queue.push(Capped { id: 6 }).unwrap_err().is_full());
    drop((first, second)); // not acknowledged
}

/// Nothing is lost: the same capacity reads all six back, in push order.
#[test]
fn a_log_owing_more_than_the_capacity_reopens_with_the_same_one() {
    let dir = tempfile::tempdir().unwrap();
    full_queue_with_deliveries_out(dir.path());
    let queue = open_capped(dir.path(), 4).unwrap();
    assert_eq!(queue.persist_stats().recovered, 6);
    assert!(queue.push(Capped { id: 6 }).unwrap_err().is_full());
    let ids: Vec<u64> = queue.drain().iter().map(|c| c.id).collect();
    assert_eq!(ids, (0..6).collect::<Vec<_>>());
}

/// And a larger capacity reads all six back too.
#[test]
fn a_log_owing_more_than_the_capacity_reopens_with_a_larger_one() {
    let dir = tempfile::tempdir().unwrap();
    full_queue_with_deliveries_out(dir.path());
    let queue = open_capped(dir.path(), 8).unwrap();
    assert_eq!(queue.persist_stats().recovered, 6);
    let ids: Vec<u64> = queue.drain().iter().map(|c| c.id).collect();
    assert_eq!(ids, (0..6).collect::<Vec<_>>());
}
