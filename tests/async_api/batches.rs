//! `pop_batch_async(max)`: at least one message, then up to `max` without waiting, on every
//! composition (both engines, priorities, partitions, map mode, labelled, persisted,
//! `#[elasticq::queue]`); empty only once closed and empty, or for `max == 0`; one wake-up
//! for a batch; persisted queues' `pop_delivery_async` and `pop_delivery_batch_async`; and a
//! stress run of async producers into batch consumers.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use elasticq::{Delivery, ElasticQueue};

use crate::common::*;

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(capacity(initial = 2, min = 1, max = 8), fair(max_consecutive = 2))]
pub(crate) struct Ranked {
    #[elastic_queue(priority)]
    pub(crate) level: Level,
    pub(crate) seq: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(engine = lock_free, partitions = 3, capacity(initial = 2, min = 1, max = 8))]
pub(crate) struct FreeParts {
    #[elastic_queue(partition_key)]
    pub(crate) producer: u32,
    pub(crate) seq: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(metrics = "async_batches", capacity(initial = 2, min = 1, max = 8))]
pub(crate) struct Labelled {
    pub(crate) seq: u32,
}

#[derive(ElasticQueue, Clone, Debug, PartialEq)]
#[elastic_queue(
    persist(sync = none),
    partitions = 2,
    metrics = "async_batches_stored",
    capacity(initial = 2, min = 1, max = 8)
)]
pub(crate) struct StoredParts {
    #[elastic_queue(partition_key)]
    pub(crate) producer: u32,
    pub(crate) seq: u32,
}

#[elasticq::queue(message = Job, engine = lock_free, partitions = 2)]
pub(crate) struct JobParts;

/// `pop_batch_async` on one composition: `$queue` builds it (`$dir` is a fresh directory),
/// `$make` makes the message numbered `seq` (distinct keys in map mode), `$seq` reads it back.
macro_rules! batches_on {
    ($test:ident, $ty:ty, |$dir:ident| $queue:expr, |$n:ident| $make:expr, |$m:ident| $seq:expr) => {
        #[test]
        fn $test() {
            fn seqs(batch: &[$ty]) -> Vec<u32> {
                let mut seqs: Vec<u32> = batch.iter().map(|$m| $seq).collect();
                seqs.sort();
                seqs
            }
            let $dir = tempfile::tempdir().unwrap();
            let queue = $queue;
            let make = |$n: u32| -> $ty { $make };
            futures::executor::block_on(async {
                // What is queued, up to `max`, without waiting.
                for n in 0..3 {
                    queue.push(make(n)).unwrap();
                }
                let first = queue.pop_batch_async(2).await;
                assert_eq!(first.len(), 2);
                let rest = queue.pop_batch_async(100).await;
                assert_eq!(seqs(&[first, rest].concat()), [0, 1, 2]);

                // An empty queue waits, then one wake-up brings the whole batch.
                let (count, waker) = counting();
                let mut waiting = pin!(queue.pop_batch_async(100));
                let mut cx = Context::from_waker(&waker);
                assert!(waiting.as_mut().poll(&mut cx).is_pending());
                queue.push_batch((3..6).map(make)).unwrap();
                assert!(
                    count.0.load(Ordering::SeqCst) >= 1,
                    "the push woke the batch"
                );
                let Poll::Ready(batch) = waiting.as_mut().poll(&mut cx) else {
                    panic!("a woken batch finds its messages");
                };
                assert_eq!(seqs(&batch), [3, 4, 5]);

                // `max == 0` takes nothing, at once.
                queue.push(make(6)).unwrap();
                assert!(queue.pop_batch_async(0).await.is_empty());
                assert_eq!(queue.len(), 1);

                // Closed: what is queued, then empty.
                queue.close();
                assert_eq!(seqs(&queue.pop_batch_async(100).await), [6]);
                assert!(queue.pop_batch_async(100).await.is_empty());
                assert_eq!(queue.stats().dequeued, 7);
            });
            drop($dir);
        }
    };
}

batches_on!(
    locked_engine,
    Job,
    |_dir| JobQueue::builder().max_capacity(8).build().unwrap(),
    |n| Job {
        producer: 0,
        seq: n
    },
    |job| job.seq
);
batches_on!(
    lock_free_engine,
    FreeJob,
    |_dir| FreeJobQueue::builder().max_capacity(8).build().unwrap(),
    |n| FreeJob {
        producer: 0,
        seq: n
    },
    |job| job.seq
);
batches_on!(
    priorities_fair,
    Ranked,
    |_dir| RankedQueue::new().unwrap(),
    |n| Ranked {
        level: if n.is_multiple_of(2) {
            Level::Low
        } else {
            Level::High
        },
        seq: n
    },
    |m| m.seq
);
batches_on!(
    partitions_and_priorities,
    Keyed,
    |_dir| KeyedQueue::builder().max_capacity(8).build().unwrap(),
    |n| Keyed {
        producer: n,
        seq: n,
        level: if n.is_multiple_of(2) {
            Level::Low
        } else {
            Level::High
        }
    },
    |m| m.seq
);
batches_on!(
    lock_free_partitions,
    FreeParts,
    |_dir| FreePartsQueue::new().unwrap(),
    |n| FreeParts {
        producer: n,
        seq: n
    },
    |m| m.seq
);
batches_on!(
    map_mode,
    Gauge,
    |_dir| GaugeQueue::new().unwrap(),
    |n| Gauge { name: n, value: n },
    |gauge| gauge.value
);
batches_on!(
    labelled,
    Labelled,
    |_dir| LabelledQueue::new().unwrap(),
    |n| Labelled { seq: n },
    |m| m.seq
);
batches_on!(
    persisted,
    Stored,
    |dir| StoredQueue::builder()
        .max_capacity(8)
        .dir(dir.path())
        .build()
        .unwrap(),
    |n| Stored {
        producer: 0,
        seq: n
    },
    |m| m.seq
);
batches_on!(
    persisted_labelled_partitions,
    StoredParts,
    |dir| StoredPartsQueue::open(dir.path()).unwrap(),
    |n| StoredParts {
        producer: n,
        seq: n
    },
    |m| m.seq
);
batches_on!(
    attribute_queue,
    Job,
    |_dir| JobParts::builder().max_capacity(8).build().unwrap(),
    |n| Job {
        producer: n,
        seq: n
    },
    |job| job.seq
);

#[test]
fn a_batch_keeps_fifo_order_per_lane() {
    futures::executor::block_on(async {
        let queue = JobQueue::builder().max_capacity(64).build().unwrap();
        queue
            .push_batch((0..50).map(|seq| Job { producer: 0, seq }))
            .unwrap();
        let mut seqs = Vec::new();
        loop {
            let batch = queue.pop_batch_async(7).await;
            assert!((1..=7).contains(&batch.len()));
            seqs.extend(batch.into_iter().map(|job| job.seq));
            if queue.is_empty() {
                break;
            }
        }
        assert_eq!(seqs, (0..50).collect::<Vec<_>>());
    });
}

#[test]
fn a_pending_batch_ends_empty_at_close() {
    let queue = JobQueue::new().unwrap();
    let (count, waker) = counting();
    let mut cx = Context::from_waker(&waker);
    let mut waiting = pin!(queue.pop_batch_async(10));
    assert!(waiting.as_mut().poll(&mut cx).is_pending());
    queue.close();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert_eq!(waiting.as_mut().poll(&mut cx), Poll::Ready(Vec::new()));
}

#[test]
fn persisted_deliveries_wait_and_are_acknowledged_once_handled() {
    let dir = tempfile::tempdir().unwrap();
    {
        let queue = StoredPartsQueue::open(dir.path()).unwrap();
        let (_count, waker) = counting();
        let mut cx = Context::from_waker(&waker);
        {
            let mut one = pin!(queue.pop_delivery_async());
            assert!(one.as_mut().poll(&mut cx).is_pending());
            queue
                .push(StoredParts {
                    producer: 1,
                    seq: 0,
                })
                .unwrap();
            let Poll::Ready(Some(delivery)) = one.as_mut().poll(&mut cx) else {
                panic!("the push wakes the delivery");
            };
            assert_eq!(
                delivery.ack().unwrap(),
                StoredParts {
                    producer: 1,
                    seq: 0
                }
            );
        }
        let mut batch = Box::pin(queue.pop_delivery_batch_async(10));
        assert!(batch.as_mut().poll(&mut cx).is_pending());
        queue
            .push_batch((1..5).map(|seq| StoredParts { producer: seq, seq }))
            .unwrap();
        let Poll::Ready(mut deliveries) = batch.as_mut().poll(&mut cx) else {
            panic!("the push wakes the batch");
        };
        drop(batch);
        assert_eq!(deliveries.len(), 4);
        // Two acknowledged, two left unacknowledged: those come back after a reopen.
        let kept = deliveries.split_off(2);
        let acked = Delivery::ack_all(deliveries).unwrap();
        let mut left: Vec<u32> = kept.iter().map(|d| d.seq).collect();
        left.sort();
        drop(kept);
        queue.close();
        futures::executor::block_on(async {
            assert!(queue.pop_delivery_async().await.is_none());
            assert!(queue.pop_delivery_batch_async(10).await.is_empty());
        });
        assert_eq!(acked.len(), 2);
        drop(queue);
        let reopened = StoredPartsQueue::open(dir.path()).unwrap();
        let mut back: Vec<u32> = reopened.drain().iter().map(|m| m.seq).collect();
        back.sort();
        assert_eq!(back, left);
    }
}

/// Async producers at a small maximum into `pop_batch_async` consumers: every message once,
/// each producer's messages in order within each lane, nothing hung.
macro_rules! stress_on {
    ($test:ident, $queue:expr, |$p:ident, $s:ident| $make:expr, |$m:ident| ($producer:expr, $lane:expr, $seq:expr)) => {
        #[test]
        fn $test() {
            const PRODUCERS: u32 = 4;
            const EACH: u32 = 2_000;
            runtime().block_on(async {
                let queue = Arc::new($queue);
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|$p| {
                        let queue = Arc::clone(&queue);
                        tokio::spawn(async move {
                            for $s in 0..EACH {
                                queue.push_async($make).await.unwrap();
                            }
                        })
                    })
                    .collect();
                let consumers: Vec<_> = (0..2usize)
                    .map(|consumer| {
                        let queue = Arc::clone(&queue);
                        tokio::spawn(async move {
                            let mut last: HashMap<(u32, u32), u32> = HashMap::new();
                            let mut taken = Vec::new();
                            loop {
                                let batch = queue.pop_batch_async(16 + consumer).await;
                                if batch.is_empty() {
                                    return taken;
                                }
                                assert!(batch.len() <= 16 + consumer);
                                for $m in batch {
                                    let (producer, lane, seq) = ($producer, $lane, $seq);
                                    if let Some(before) = last.insert((producer, lane), seq) {
                                        assert!(before < seq, "producer {producer} out of order");
                                    }
                                    taken.push((producer, seq));
                                }
                            }
                        })
                    })
                    .collect();
                joined(producers).await;
                queue.close();
                let mut all: Vec<(u32, u32)> = joined(consumers).await.concat();
                all.sort();
                let expected = every_message(PRODUCERS, EACH);
                assert_eq!(all, expected, "every message exactly once");
                let stats = queue.stats();
                assert_eq!(stats.enqueued, stats.dequeued);
                assert_eq!(stats.rejected, 0, "waits for room are not rejections");
            });
        }
    };
}

stress_on!(
    stress_locked,
    JobQueue::new().unwrap(),
    |p, s| Job {
        producer: p,
        seq: s
    },
    |m| (m.producer, 0, m.seq)
);
stress_on!(
    stress_lock_free,
    FreeJobQueue::new().unwrap(),
    |p, s| FreeJob {
        producer: p,
        seq: s
    },
    |m| (m.producer, 0, m.seq)
);
stress_on!(
    stress_partitions_and_priorities,
    KeyedQueue::new().unwrap(),
    |p, s| Keyed {
        producer: p,
        seq: s,
        level: if s.is_multiple_of(3) {
            Level::High
        } else {
            Level::Low
        }
    },
    |m| (m.producer, m.level as u32, m.seq)
);
