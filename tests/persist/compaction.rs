//! Compaction keeps the disk bounded, and an old delivery holds it back.

use std::path::Path;

use crate::common::*;
use crate::records::*;

fn wal_files(dir: &Path) -> usize {
    segment_files(dir).len()
}

#[test]
fn compaction_keeps_the_disk_bounded_and_an_old_delivery_holds_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let queue = open_jobs(dir.path()).unwrap();
    // Consumers keeping up: rolling deletes the consumed segments.
    let mut max_segments = 0;
    for id in 0..3000 {
        queue.push(job(id, 60)).unwrap();
        if id % 3 == 2 {
            assert_eq!(queue.pop_batch(3).len(), 3);
        }
        let stats = queue.persist_stats();
        max_segments = max_segments.max(stats.segments);
        assert!(stats.segments <= 3, "{} segments at {id}", stats.segments);
        assert!(
            stats.disk_bytes <= 3 * 4096,
            "{} bytes at {id}",
            stats.disk_bytes
        );
    }
    assert!(queue.persist_stats().records_written >= 3000);
    assert!(queue.persist_stats().bytes_written > 50 * 4096);
    assert_eq!(wal_files(dir.path()), queue.persist_stats().segments);

    // An old delivery, not acknowledged: nothing from its segment on can go.
    queue.push(job(10_000, 60)).unwrap();
    let held = queue.pop_delivery().unwrap();
    assert_eq!(held.id, 10_000);
    for id in 0..2000 {
        queue.push(job(id, 60)).unwrap();
        queue.pop().unwrap();
    }
    assert_eq!(queue.compact().unwrap(), 0);
    let blocked = queue.persist_stats().segments;
    assert!(blocked > 20, "{blocked} segments");
    assert_eq!(wal_files(dir.path()), blocked);

    // Dropped unacknowledged, it comes back, alone.
    drop(held);
    drop(queue);
    let queue = open_jobs(dir.path()).unwrap();
    assert_eq!(queue.persist_stats().recovered, 1);
    assert_eq!(queue.persist_stats().segments, blocked);
    let held = queue.pop_delivery().unwrap();
    assert_eq!(held.id, 10_000);
    assert_eq!(queue.compact().unwrap(), 0);

    // Acknowledged: compaction frees everything but the active segment.
    held.ack().unwrap();
    assert!(queue.compact().unwrap() > 0);
    assert_eq!(queue.persist_stats().segments, 1);
    assert_eq!(wal_files(dir.path()), 1);
    drop(queue);
    let queue = open_jobs(dir.path()).unwrap();
    assert!(queue.is_empty());
    assert_eq!(queue.persist_stats().recovered, 0);
}

/// A message whose declaration sets the log's segment size to the smallest allowed.
#[derive(elasticq::ElasticQueue, Debug, Clone, PartialEq)]
#[elastic_queue(persist(sync = none, segment_bytes = 4096))]
struct SmallSegment {
    id: u64,
    body: String,
}

/// Pushes 200 messages of about 80 bytes each (16 KB in all) and syncs.
fn push_200(queue: &SmallSegmentQueue) {
    for id in 0..200 {
        let body = "x".repeat(60);
        queue.push(SmallSegment { id, body }).unwrap();
    }
    queue.sync().unwrap();
}

#[test]
fn the_declared_segment_size_is_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let queue = SmallSegmentQueue::open(dir.path()).unwrap();
    push_200(&queue);
    // 16 KB in segments of at most 4096 bytes.
    let files = segment_files(dir.path());
    assert!(files.len() >= 4, "{} segments", files.len());
    for file in &files {
        let len = std::fs::metadata(file).unwrap().len();
        assert!(len <= 4096, "{} is {len} bytes", file.display());
    }
    assert_eq!(queue.persist_stats().segments, files.len());
    drop(queue);

    // The builder still overrides the declaration.
    let other = tempfile::tempdir().unwrap();
    let queue = SmallSegmentQueue::builder()
        .dir(other.path())
        .segment_bytes(1 << 20)
        .build()
        .unwrap();
    push_200(&queue);
    assert_eq!(segment_files(other.path()).len(), 1);
}
