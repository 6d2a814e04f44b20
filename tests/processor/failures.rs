//! Failures: a failing batch is retried with backoff then dead-lettered, or dropped and
//! counted without a dead letter; a panicking processor (in the call or its future) or dead
//! letter is isolated, on tasks and on threads.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use elasticq::{Cause, Failure};

use crate::common::*;

#[tokio::test]
async fn a_failing_batch_is_retried_with_backoff_then_dead_lettered() {
    const POISON: u32 = 2;
    let queue = Arc::new(JobQueue::new().unwrap());
    let poison_tries = shared::<Vec<Instant>>();
    let processed = shared::<Vec<u32>>();
    let dead = shared::<Vec<(Vec<Job>, Failure<String>)>>();
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(1)
        .retries(2)
        .backoff(ms(20))
        .dead_letter({
            let dead = Arc::clone(&dead);
            move |batch: Vec<Job>, failure: Failure<String>| dead.lock().push((batch, failure))
        })
        .spawn({
            let (poison_tries, processed) = (Arc::clone(&poison_tries), Arc::clone(&processed));
            move |batch: Vec<Job>| {
                let result = if batch[0].id == POISON {
                    poison_tries.lock().push(Instant::now());
                    Err(format!("job {POISON} rejected"))
                } else {
                    processed.lock().extend(job_ids(&batch));
                    Ok(())
                };
                async move { result }
            }
        });
    for id in 1..=3 {
        queue.push(Job { id }).unwrap();
    }
    eventually("the poison dead-lettered", || dead.lock().len() == 1).await;
    // The worker goes on with later batches.
    queue.push(Job { id: 4 }).unwrap();
    // Counters move once a call returns, after the recording inside it: wait on them.
    eventually("job 4", || handle.stats().processed == 3).await;
    assert_eq!(*processed.lock(), [1, 3, 4]);

    let (batch, failure) = dead.lock().pop().unwrap();
    assert_eq!(batch, [Job { id: POISON }]);
    assert_eq!(
        failure,
        Failure {
            partition: 0,
            attempts: 3,
            cause: Cause::Error(format!("job {POISON} rejected")),
        }
    );
    let stats = handle.stats();
    assert_eq!((stats.failures, stats.retries), (3, 2));
    assert_eq!((stats.dead_lettered, stats.dropped), (1, 0));
    assert_eq!((stats.processed, stats.batches), (3, 3));
    // Backoff doubles: 20 ms before the first retry, 40 ms before the second (lower bounds
    // only; a slow machine only makes them longer).
    let tries = poison_tries.lock().clone();
    assert_eq!(tries.len(), 3);
    assert!(tries[1] - tries[0] >= ms(20), "{:?}", tries[1] - tries[0]);
    assert!(tries[2] - tries[1] >= ms(40), "{:?}", tries[2] - tries[1]);

    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert!(queue.is_empty());
}

#[tokio::test]
async fn without_a_dead_letter_a_failed_batch_is_dropped_and_counted() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let tries = Arc::new(AtomicUsize::new(0));
    let processed = shared::<Vec<u32>>();
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(2)
        .retries(0)
        .spawn({
            let (tries, processed) = (Arc::clone(&tries), Arc::clone(&processed));
            move |batch: Vec<Job>| {
                tries.fetch_add(1, Ordering::Relaxed);
                let result = if batch.iter().any(|job| job.id == 0) {
                    Err("job 0 rejected")
                } else {
                    processed.lock().extend(job_ids(&batch));
                    Ok(())
                };
                async move { result }
            }
        });
    // One batch of two, with the failing job.
    queue.push_batch([Job { id: 0 }, Job { id: 1 }]).unwrap();
    eventually("the batch dropped", || handle.stats().dropped == 2).await;
    queue.push_batch([Job { id: 2 }, Job { id: 3 }]).unwrap();
    eventually("the next batch", || handle.stats().processed == 2).await;
    assert_eq!(*processed.lock(), [2, 3]);
    // retries(0): tried once, never again.
    assert_eq!(tries.load(Ordering::Relaxed), 2);
    let stats = handle.stats();
    assert_eq!((stats.failures, stats.retries), (1, 0));
    assert_eq!((stats.dropped, stats.dead_lettered), (2, 0));
    assert_eq!((stats.processed, stats.batches), (2, 1));
    assert!(handle.shutdown().await.is_complete());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_processor_is_isolated_whether_it_panics_in_the_call_or_the_future() {
    const SYNC_PANIC: u32 = 10;
    const ASYNC_PANIC: u32 = 20;
    let queue = Arc::new(JobQueue::new().unwrap());
    let processed = shared::<Vec<u32>>();
    let dead = shared::<Vec<(Vec<Job>, Failure<Infallible>)>>();
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(1)
        .retries(1)
        .backoff(ms(1))
        .dead_letter({
            let dead = Arc::clone(&dead);
            move |batch: Vec<Job>, failure: Failure<Infallible>| dead.lock().push((batch, failure))
        })
        .spawn({
            let processed = Arc::clone(&processed);
            move |batch: Vec<Job>| {
                let id = batch[0].id;
                if id == SYNC_PANIC {
                    panic!("sync boom {id}");
                }
                let processed = Arc::clone(&processed);
                async move {
                    tokio::task::yield_now().await;
                    if id == ASYNC_PANIC {
                        panic!("async boom {id}");
                    }
                    processed.lock().push(id);
                    Ok(())
                }
            }
        });
    for id in [1, SYNC_PANIC, 2, ASYNC_PANIC, 3] {
        queue.push(Job { id }).unwrap();
    }
    eventually("both panics dead-lettered", || dead.lock().len() == 2).await;
    // The same worker, and the queue, carry on.
    queue.push(Job { id: 4 }).unwrap();
    eventually("job 4", || handle.stats().processed == 4).await;
    assert_eq!(*processed.lock(), [1, 2, 3, 4]);

    let dead = std::mem::take(&mut *dead.lock());
    assert_eq!(
        dead,
        [
            (
                vec![Job { id: SYNC_PANIC }],
                Failure {
                    partition: 0,
                    attempts: 2,
                    cause: Cause::Panic(format!("sync boom {SYNC_PANIC}")),
                }
            ),
            (
                vec![Job { id: ASYNC_PANIC }],
                Failure {
                    partition: 0,
                    attempts: 2,
                    cause: Cause::Panic(format!("async boom {ASYNC_PANIC}")),
                }
            ),
        ]
    );
    let stats = handle.stats();
    assert_eq!((stats.failures, stats.retries), (4, 2));
    assert_eq!((stats.dead_lettered, stats.dropped), (2, 0));
    assert_eq!(stats.processed, 4);
    assert!(handle.shutdown().await.is_complete());
}

#[test]
fn a_thread_worker_survives_a_panicking_processor_and_dead_letter() {
    let queue = Arc::new(JobQueue::new().unwrap());
    let processed = shared::<Vec<u32>>();
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(1)
        .retries(0)
        // A dead letter that panics too: the batch counts as dropped.
        .dead_letter(|batch: Vec<Job>, failure: Failure<Infallible>| {
            panic!("dead letter boom: {batch:?} {}", failure.cause)
        })
        .spawn_threads({
            let processed = Arc::clone(&processed);
            move |batch: Vec<Job>| {
                if batch[0].id == 0 {
                    panic!("thread boom");
                }
                processed.lock().extend(job_ids(&batch));
                Ok(())
            }
        })
        .unwrap();
    queue.push_batch((0..3).map(|id| Job { id })).unwrap();
    eventually_blocking("jobs 1 and 2", || processed.lock().len() == 2);
    let stats = handle.stats();
    assert_eq!(
        (stats.failures, stats.dropped, stats.dead_lettered),
        (1, 1, 0)
    );
    queue.push(Job { id: 3 }).unwrap();
    let report = handle.shutdown();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(*processed.lock(), [1, 2, 3]);
    assert_eq!(report.stats.processed, 3);
}
