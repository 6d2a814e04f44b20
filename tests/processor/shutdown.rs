//! Shutdown: everything buffered is processed, an unbounded timeout waits as long as it takes,
//! dropping the handle drains in the background, and a shutdown timeout hands back the batch
//! in flight (on tasks) or leaves the busy worker to finish (on threads).

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use elasticq::ProcessorOptions;
use parking_lot::Mutex;

use crate::common::*;

#[tokio::test]
async fn shutdown_processes_everything_buffered() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let record = recorder(&batches);
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(10)
        .spawn(move |batch| std::future::ready(record(batch)));
    for seq in 0..100 {
        queue.push(reading(seq)).unwrap();
    }
    tokio::time::sleep(ms(20)).await;
    // The interval has not passed: the workers wait.
    assert_eq!(handle.stats().processed, 0);
    assert_eq!(queue.len(), 100);

    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 100);
    assert!(queue.is_empty());
    let pushed: Vec<u64> = (0..100).collect();
    check_reading_batches(&queue, &batches.lock(), 10, &pushed, |_| 0);
}

/// PartitionedBuffer's timeout may be `:infinity`; its port is `Duration::MAX`, a deadline
/// no clock can represent.
#[tokio::test]
async fn an_unbounded_shutdown_timeout_waits_as_long_as_it_takes() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let slow = |_: Vec<Job>| async {
        tokio::time::sleep(ms(10)).await;
        Ok::<(), Infallible>(())
    };
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(2)
        .timeout(Duration::MAX)
        .spawn(slow);
    queue.push_batch((0..6).map(|id| Job { id })).unwrap();
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 6);

    let handle = queue
        .processor()
        .interval(HOUR)
        .spawn_threads(|_: Vec<Job>| {
            std::thread::sleep(ms(10));
            Ok::<(), Infallible>(())
        })
        .unwrap();
    handle
        .update_options(ProcessorOptions::new().timeout(Duration::MAX))
        .unwrap();
    queue.push_batch((0..6).map(|id| Job { id })).unwrap();
    let report = tokio::task::spawn_blocking(move || handle.shutdown())
        .await
        .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 6);
}

#[tokio::test]
async fn dropping_the_handle_processes_what_is_queued_in_the_background() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let record = recorder(&batches);
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(5)
        .spawn(move |batch| std::future::ready(record(batch)));
    for seq in 0..40 {
        queue.push(reading(seq)).unwrap();
    }
    drop(handle);
    eventually("the background drain", || {
        batches.lock().iter().map(Vec::len).sum::<usize>() == 40
    })
    .await;
    // Every worker exits once drained, letting go of the queue.
    eventually("the workers to exit", || Arc::strong_count(&queue) == 1).await;
    let pushed: Vec<u64> = (0..40).collect();
    check_reading_batches(&queue, &batches.lock(), 5, &pushed, |_| 0);
}

#[tokio::test]
async fn a_shutdown_timeout_hands_back_the_batch_in_flight() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let started = Arc::new(AtomicUsize::new(0));
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(3)
        .timeout(ms(200))
        .spawn({
            let started = Arc::clone(&started);
            move |_: Vec<Job>| {
                started.fetch_add(1, Ordering::Relaxed);
                // Hangs forever: only the timeout ends it.
                std::future::pending::<Result<(), Infallible>>()
            }
        });
    queue.push_batch((0..10).map(|id| Job { id })).unwrap();
    let report = handle.shutdown().await;
    assert!(report.timed_out);
    assert!(!report.is_complete());
    assert_eq!(
        report.unprocessed,
        [Job { id: 0 }, Job { id: 1 }, Job { id: 2 }]
    );
    assert_eq!(report.remaining, 7);
    assert_eq!(report.in_progress, 0);
    assert_eq!(report.stats.processed, 0);
    assert_eq!(started.load(Ordering::Relaxed), 1);
    // The cut-off task let go of the queue, which keeps the rest in order.
    assert_eq!(Arc::strong_count(&queue), 1);
    assert_eq!(queue.len(), 7);
    assert_eq!(queue.pop(), Some(Job { id: 3 }));
}

#[test]
fn a_thread_shutdown_timeout_leaves_the_busy_worker_to_finish() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let gate = Arc::new(Mutex::new(()));
    let done = Arc::new(AtomicUsize::new(0));
    let closed = gate.lock();
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(3)
        .timeout(ms(100))
        .spawn_threads({
            let (gate, done) = (Arc::clone(&gate), Arc::clone(&done));
            move |batch: Vec<Job>| {
                drop(gate.lock());
                done.fetch_add(batch.len(), Ordering::Relaxed);
                Ok::<(), Infallible>(())
            }
        })
        .unwrap();
    queue.push_batch((0..10).map(|id| Job { id })).unwrap();
    let report = handle.shutdown();
    assert!(report.timed_out);
    assert!(!report.is_complete());
    // A thread cannot be cut off: its batch stays with it, counted, not handed back.
    assert_eq!(report.in_progress, 3);
    assert!(report.unprocessed.is_empty());
    assert_eq!(report.remaining, 7);
    drop(closed);
    // Released, the worker finishes its shutdown drain in the background.
    eventually_blocking("the background drain", || {
        done.load(Ordering::Relaxed) == 10 && queue.is_empty()
    });
}

/// Workers that ended before the timeout are not awaited again when the rest are cut off
/// (a resolved task handle polled twice panics).
#[tokio::test]
async fn a_shutdown_timeout_after_some_workers_ended_cuts_off_only_the_rest() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    // A sensor of the last partition: its batches hang; the other partitions' end at once.
    let last = 3; // of `partitions = 4`
    let stuck = (0..).find(|s| queue.partition_of(s) == last).unwrap();
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(4)
        .timeout(ms(200))
        .spawn(move |batch: Vec<Reading>| async move {
            if batch.iter().any(|r| r.sensor == stuck) {
                std::future::pending::<()>().await;
            }
            Ok::<(), Infallible>(())
        });
    for seq in 0..40 {
        queue.push(reading(seq)).unwrap();
    }
    queue
        .push(Reading {
            sensor: stuck,
            seq: 40,
        })
        .unwrap();
    let report = handle.shutdown().await;
    assert!(report.timed_out);
    // Only the stuck partition's batch is handed back; the others were processed.
    assert!(!report.unprocessed.is_empty());
    assert!(report
        .unprocessed
        .iter()
        .all(|r| queue.partition_of(&r.sensor) == last));
    let handed_back = report.unprocessed.len() as u64 + report.remaining as u64;
    assert_eq!(report.stats.processed + handed_back, 41);
}
