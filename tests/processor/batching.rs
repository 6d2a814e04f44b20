//! Batching: batches arrive in order per partition within the batch size, and with
//! concurrent producers every message is processed exactly once, on tokio tasks and on
//! threads.

use std::sync::Arc;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_arrive_in_order_per_partition_within_the_batch_size() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let record = recorder(&batches);
    let handle = queue
        .processor()
        .interval(ms(5))
        .batch_size(7)
        .spawn(move |batch| std::future::ready(record(batch)));
    // Pushes spread over several drains, so that order holds across batches and cycles.
    for seq in 0..400 {
        queue.push(reading(seq)).unwrap();
        if seq % 50 == 49 {
            tokio::time::sleep(ms(3)).await;
        }
    }
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 400);
    let batches = batches.lock();
    assert_eq!(report.stats.batches, batches.len() as u64);
    let pushed: Vec<u64> = (0..400).collect();
    check_reading_batches(&queue, &batches, 7, &pushed, |_| 0);
}

/// Four threads push `per_producer` readings each; returns every seq pushed. Producer `p`
/// pushes seqs `p * per_producer ..`, so a seq names its producer.
fn produce(queue: &Arc<ReadingQueue>, per_producer: u64) -> Vec<u64> {
    let producers: Vec<_> = (0..4)
        .map(|producer| {
            let queue = Arc::clone(queue);
            std::thread::spawn(move || {
                for seq in producer * per_producer..(producer + 1) * per_producer {
                    queue.push(reading(seq)).unwrap();
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    (0..4 * per_producer).collect()
}

const PER_PRODUCER: u64 = 2500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_producers_every_message_processed_exactly_once_on_tasks() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let record = recorder(&batches);
    let handle = queue
        .processor()
        .interval(ms(1))
        .batch_size(16)
        .spawn(move |batch| std::future::ready(record(batch)));
    let pushed = tokio::task::spawn_blocking({
        let queue = Arc::clone(&queue);
        move || produce(&queue, PER_PRODUCER)
    })
    .await
    .unwrap();
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 4 * PER_PRODUCER);
    check_reading_batches(&queue, &batches.lock(), 16, &pushed, |seq| {
        seq / PER_PRODUCER
    });
}

#[test]
fn concurrent_producers_every_message_processed_exactly_once_on_threads() {
    let queue = Arc::new(ReadingQueue::new().unwrap());
    let batches = shared::<Vec<Vec<Reading>>>();
    let handle = queue
        .processor()
        .interval(ms(1))
        .batch_size(16)
        .spawn_threads(recorder(&batches))
        .unwrap();
    let pushed = produce(&queue, PER_PRODUCER);
    let report = handle.shutdown();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.processed, 4 * PER_PRODUCER);
    check_reading_batches(&queue, &batches.lock(), 16, &pushed, |seq| {
        seq / PER_PRODUCER
    });
}
