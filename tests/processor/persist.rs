#![cfg(all(feature = "tokio", feature = "persist"))]
//! The processor over persisted queues: a batch is acknowledged in the log only once it is
//! handled (processed, or given up on into the dead letter or dropped), so what a shutdown
//! cuts off comes back after the queue reopens, and what was handled never does.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use elasticq::{Cause, ElasticQueue, Failure};
use parking_lot::Mutex;

use crate::common::HOUR;

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(partitions = 2, persist(sync = every_write))]
struct Export {
    #[elastic_queue(partition_key)]
    tenant: u32,
    id: u32,
}

/// One partition, so batches follow push order.
#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(persist(sync = every_write))]
struct Upload {
    id: u32,
}

fn upload_ids(batch: &[Upload]) -> Vec<u32> {
    batch.iter().map(|upload| upload.id).collect()
}

/// Drops the last reference to a queue, so that its directory can be opened again; fails
/// if a processor still holds it.
fn close<Q>(queue: Arc<Q>) {
    drop(Arc::into_inner(queue).expect("the processor let go of the queue"));
}

fn reopened_ids(dir: &Path) -> Vec<u32> {
    let queue = UploadQueue::open(dir).unwrap();
    upload_ids(&queue.drain())
}

#[tokio::test]
async fn handled_batches_are_acknowledged_and_never_come_back() {
    const POISON: u32 = 99;
    let dir = tempfile::tempdir().unwrap();
    let queue = Arc::new(ExportQueue::open(dir.path()).unwrap());
    // Every batch fails its first try (a transient error) and succeeds on its retry; the
    // poison panics on every try and ends in the dead letter.
    let tries = Arc::new(Mutex::new(BTreeMap::<u32, u32>::new()));
    let processed = Arc::new(Mutex::new(Vec::<u32>::new()));
    let dead = Arc::new(Mutex::new(Vec::<(Vec<Export>, Failure<String>)>::new()));
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(1)
        .retries(2)
        .backoff(Duration::from_millis(1))
        .dead_letter({
            let dead = Arc::clone(&dead);
            move |batch: Vec<Export>, failure: Failure<String>| dead.lock().push((batch, failure))
        })
        .spawn({
            let (tries, processed) = (Arc::clone(&tries), Arc::clone(&processed));
            move |batch: Vec<Export>| {
                let id = batch[0].id;
                let first_try = {
                    let mut tries = tries.lock();
                    let count = tries.entry(id).or_default();
                    *count += 1;
                    *count == 1
                };
                let processed = Arc::clone(&processed);
                async move {
                    if id == POISON {
                        panic!("cannot export {id}");
                    }
                    if first_try {
                        return Err(format!("{id}: try again"));
                    }
                    processed.lock().push(id);
                    Ok(())
                }
            }
        });
    for id in (0..20).chain([POISON]) {
        queue.push(Export { tenant: id % 5, id }).unwrap();
    }
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    let stats = report.stats;
    assert_eq!((stats.processed, stats.batches), (20, 20));
    // 20 batches failed once each; the poison failed on all three of its tries.
    assert_eq!((stats.failures, stats.retries), (20 + 3, 20 + 2));
    assert_eq!(
        (stats.dead_lettered, stats.dropped, stats.ack_failures),
        (1, 0, 0)
    );
    let mut processed = processed.lock().clone();
    processed.sort_unstable();
    assert_eq!(processed, (0..20).collect::<Vec<_>>());
    let (batch, failure) = dead.lock().pop().unwrap();
    assert_eq!(
        batch,
        [Export {
            tenant: 4,
            id: POISON
        }]
    );
    assert_eq!(failure.attempts, 3);
    assert_eq!(failure.partition, queue.partition_of(&4u32));
    assert_eq!(
        failure.cause,
        Cause::Panic(format!("cannot export {POISON}"))
    );
    assert_eq!(queue.persist_stats().ack_failures, 0);

    close(queue);
    let queue = ExportQueue::open(dir.path()).unwrap();
    assert_eq!(queue.persist_stats().recovered, 0);
    assert!(queue.is_empty(), "{:?}", queue.drain());
}

#[tokio::test]
async fn a_batch_cut_off_by_the_shutdown_timeout_comes_back_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let queue = Arc::new(UploadQueue::open(dir.path()).unwrap());
    let processed = Arc::new(Mutex::new(Vec::<Vec<u32>>::new()));
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(4)
        .timeout(Duration::from_millis(300))
        .spawn({
            let processed = Arc::clone(&processed);
            move |batch: Vec<Upload>| {
                let ids = upload_ids(&batch);
                let processed = Arc::clone(&processed);
                async move {
                    // The second batch hangs: only the shutdown's timeout ends it.
                    if ids.contains(&4) {
                        std::future::pending::<()>().await;
                    }
                    processed.lock().push(ids);
                    Ok::<(), Infallible>(())
                }
            }
        });
    queue.push_batch((0..10).map(|id| Upload { id })).unwrap();
    let report = handle.shutdown().await;
    assert!(report.timed_out, "{report:?}");
    assert_eq!(*processed.lock(), [vec![0, 1, 2, 3]]);
    assert_eq!(report.stats.processed, 4);
    assert_eq!(upload_ids(&report.unprocessed), [4, 5, 6, 7]);
    assert_eq!(report.remaining, 2);

    // The batch handed back is also still in the log, behind nothing that was processed.
    close(queue);
    assert_eq!(reopened_ids(dir.path()), [4, 5, 6, 7, 8, 9]);
}

#[tokio::test]
async fn what_comes_back_after_a_reopen_is_processed_once_more_and_then_gone() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = Arc::new(UploadQueue::open(dir.path()).unwrap());
        queue.push_batch((0..6).map(|id| Upload { id })).unwrap();
        let handle = queue
            .processor()
            .interval(HOUR)
            .batch_size(2)
            .timeout(Duration::from_millis(200))
            .spawn(|_: Vec<Upload>| async {
                std::future::pending::<()>().await;
                Ok::<(), Infallible>(())
            });
        let report = handle.shutdown().await;
        assert_eq!(upload_ids(&report.unprocessed), [0, 1]);
        assert_eq!(report.remaining, 4);
        close(queue);
    }
    // Reopened, a processor that succeeds gets every message, the cut-off batch first.
    let queue = Arc::new(UploadQueue::open(dir.path()).unwrap());
    let processed = Arc::new(Mutex::new(Vec::<u32>::new()));
    let handle = queue
        .processor()
        .interval(HOUR)
        .batch_size(4)
        .spawn_threads({
            let processed = Arc::clone(&processed);
            move |batch: Vec<Upload>| {
                processed.lock().extend(upload_ids(&batch));
                Ok::<(), Infallible>(())
            }
        })
        .unwrap();
    let report = handle.shutdown();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(*processed.lock(), [0, 1, 2, 3, 4, 5]);
    close(queue);
    assert_eq!(reopened_ids(dir.path()), Vec::<u32>::new());
}

/// A failed batch of a persisted queue waits out its backoff at the front of its partition
/// (its deliveries `nack`ed), not in the worker's hand: a processor stopped during the
/// backoff leaves it there, and the next processor takes it before what was pushed since.
#[tokio::test]
async fn a_failed_batch_keeps_its_place_before_newer_messages() {
    let dir = tempfile::tempdir().unwrap();
    let queue = Arc::new(UploadQueue::open(dir.path()).unwrap());
    queue
        .push_batch([Upload { id: 1 }, Upload { id: 2 }])
        .unwrap();
    let tried = crate::common::shared::<Vec<Vec<u32>>>();
    let failing = queue
        .processor()
        .interval(crate::common::ms(1))
        .batch_size(10)
        .retries(3)
        .backoff(elasticq::MAX_BACKOFF)
        .timeout(crate::common::ms(50))
        .spawn({
            let tried = Arc::clone(&tried);
            move |batch: Vec<Upload>| {
                tried.lock().push(upload_ids(&batch));
                async { Err::<(), _>("the export is down") }
            }
        });
    crate::common::eventually("the first try", || !tried.lock().is_empty()).await;
    // Pushed while the failed batch waits for its retry.
    queue.push(Upload { id: 3 }).unwrap();
    let report = failing.shutdown().await;
    assert!(report.unprocessed.is_empty(), "{report:?}");
    assert_eq!(report.remaining, 3);

    let processed = crate::common::shared::<Vec<Vec<u32>>>();
    let next = queue
        .processor()
        .interval(crate::common::ms(1))
        .batch_size(10)
        .spawn({
            let processed = Arc::clone(&processed);
            move |batch: Vec<Upload>| {
                processed.lock().push(upload_ids(&batch));
                async { Ok::<(), Infallible>(()) }
            }
        });
    crate::common::eventually("every upload", || processed.lock().concat().len() == 3).await;
    assert_eq!(processed.lock().concat(), vec![1, 2, 3]);
    assert_eq!(tried.lock()[0], vec![1, 2]);
    drop(next.shutdown().await);
    close(queue);
    assert_eq!(
        reopened_ids(dir.path()),
        Vec::<u32>::new(),
        "each acknowledged once"
    );
}
