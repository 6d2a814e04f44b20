//! Routing: a key field, a key function or the whole message sends every message of a key to
//! one worker.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use elasticq::{Cause, Failure, GeneratedQueue, ProcessorBuilder, TakenBatch};

use crate::common::*;

/// Pushes `messages` and reports, per batch, the worker that was handed it. A batch's
/// `Failure::partition` is the one public record of the worker that ran it, so every batch
/// is failed straight into the dead letter.
async fn worker_of_each_batch<Q>(
    queue: &Arc<Q>,
    builder: ProcessorBuilder<Q>,
    messages: Vec<Q::Message>,
) -> Vec<(usize, Vec<Q::Message>)>
where
    Q: GeneratedQueue + Send + Sync + 'static,
    Q::Batch: TakenBatch<Item = Q::Message>,
    Q::Message: Clone + Send + std::fmt::Debug + 'static,
{
    let count = messages.len() as u64;
    for message in messages {
        assert!(queue.push(message).is_ok());
    }
    let seen = shared::<Vec<(usize, Vec<Q::Message>)>>();
    let handle = builder
        .interval(HOUR)
        .batch_size(3)
        .retries(0)
        .dead_letter({
            let seen = Arc::clone(&seen);
            move |batch: Vec<Q::Message>, failure: Failure<&'static str>| {
                assert_eq!(failure.cause, Cause::Error("observed"));
                seen.lock().push((failure.partition, batch));
            }
        })
        .spawn(|_| async { Err::<(), _>("observed") });
    let report = handle.shutdown().await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.dead_lettered, count);
    let seen = std::mem::take(&mut *seen.lock());
    assert!(seen.iter().all(|(_, batch)| batch.len() <= 3));
    assert_eq!(
        seen.iter()
            .map(|(_, batch)| batch.len() as u64)
            .sum::<u64>(),
        count
    );
    let partitions: BTreeSet<usize> = seen.iter().map(|(partition, _)| *partition).collect();
    assert!(
        partitions.len() > 1,
        "every key went to one worker: {seen:?}"
    );
    seen
}

#[tokio::test]
async fn a_key_field_routes_every_message_of_a_key_to_one_worker() {
    let queue = Arc::new(PublishQueue::new().unwrap());
    let messages = (0..60)
        .map(|n| Publish {
            client: format!("client-{}", n % 9),
            n,
        })
        .collect();
    for (worker, batch) in worker_of_each_batch(&queue, queue.processor(), messages).await {
        for message in batch {
            assert_eq!(queue.partition_of(&message.client), worker, "{message:?}");
        }
    }
}

#[tokio::test]
async fn a_key_function_routes_every_message_of_a_key_to_one_worker() {
    let queue = Arc::new(EventQueue::new().unwrap());
    let messages = (0..60u32)
        .map(|n| match n % 2 {
            0 => Event::Alarm { device: n % 11 },
            _ => Event::Sample(n % 11, i64::from(n)),
        })
        .collect();
    for (worker, batch) in worker_of_each_batch(&queue, queue.processor(), messages).await {
        for message in batch {
            assert_eq!(queue.partition_of(&message.device()), worker, "{message:?}");
        }
    }
}

#[tokio::test]
async fn the_whole_message_routes_when_it_is_the_key() {
    let queue = Arc::new(TokenQueue::new().unwrap());
    // Each token twice: equal messages meet in one worker.
    let messages = (0..30).chain(0..30).map(Token).collect();
    let mut worker_of = BTreeMap::new();
    for (worker, batch) in worker_of_each_batch(&queue, queue.processor(), messages).await {
        for token in batch {
            assert_eq!(queue.partition_of(&token), worker, "{token:?}");
            assert_eq!(*worker_of.entry(token.0).or_insert(worker), worker);
        }
    }
    assert_eq!(worker_of.len(), 30);
}
