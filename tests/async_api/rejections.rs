//! What a push that waits counts in `stats().rejected` (and a labelled queue's `rejected`
//! series): nothing when it waits and then pushes, however often it was woken and found the
//! queue full again; one when it ends in an error. On every composition, and for the sink.

use std::sync::Arc;

use elasticq::metrics::names;
use elasticq::PushError;
use futures::SinkExt;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};

use crate::batches::{
    FreeParts, FreePartsQueue, Labelled, LabelledQueue, StoredParts, StoredPartsQueue,
};
use crate::common::*;

/// Fills `$queue` (at most 4 per lane, in one lane: `$make` keeps the lane), starts three
/// `push_async`s that wait for room, frees the room one message at a time (each pop wakes
/// every waiting push, two of which find the queue full again), then checks that no
/// rejection was counted; then a wait that ends at `close` counts exactly one.
macro_rules! waits_count_no_rejection {
    ($test:ident, |$dir:ident| $queue:expr, |$n:ident| $make:expr) => {
        #[test]
        fn $test() {
            let $dir = tempfile::tempdir().unwrap();
            let queue = Arc::new($queue);
            let make = move |$n: u32| $make;
            current_thread().block_on(async {
                for n in 0..4 {
                    queue.push(make(n)).unwrap();
                }
                let waiting: Vec<_> = (4..7)
                    .map(|n| {
                        let queue = Arc::clone(&queue);
                        tokio::spawn(async move { queue.push_async(make(n)).await })
                    })
                    .collect();
                for _ in 0..3 {
                    tokio::task::yield_now().await; // the pushes try, find it full and wait
                    assert!(queue.pop().is_some());
                }
                for push in waiting {
                    tokio::time::timeout(HANG, push)
                        .await
                        .unwrap()
                        .unwrap()
                        .unwrap();
                }
                assert_eq!(queue.len(), 4);
                assert_eq!(
                    queue.stats().rejected,
                    0,
                    "waits that pushed are no rejections"
                );

                let refused = tokio::spawn({
                    let queue = Arc::clone(&queue);
                    async move { queue.push_async(make(7)).await }
                });
                tokio::task::yield_now().await;
                queue.close();
                let refused = tokio::time::timeout(HANG, refused).await.unwrap().unwrap();
                assert!(matches!(refused, Err(PushError::Closed(_))));
                assert_eq!(queue.stats().rejected, 1, "a wait ended by an error is one");
            });
            drop($dir);
        }
    };
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

waits_count_no_rejection!(locked_engine, |_dir| JobQueue::new().unwrap(), |n| Job {
    producer: 0,
    seq: n
});
waits_count_no_rejection!(lock_free_engine, |_dir| FreeJobQueue::new().unwrap(), |n| {
    FreeJob {
        producer: 0,
        seq: n,
    }
});
waits_count_no_rejection!(
    partitions_and_priorities,
    |_dir| KeyedQueue::new().unwrap(),
    |n| Keyed {
        producer: 1,
        seq: n,
        level: Level::High
    }
);
waits_count_no_rejection!(
    lock_free_partitions,
    |_dir| FreePartsQueue::builder().max_capacity(4).build().unwrap(),
    |n| FreeParts {
        producer: 1,
        seq: n
    }
);
waits_count_no_rejection!(
    map_mode,
    |_dir| GaugeQueue::builder()
        .initial_capacity(2)
        .min_capacity(1)
        .max_capacity(4)
        .partitions(1)
        .build()
        .unwrap(),
    |n| Gauge { name: n, value: n }
);
waits_count_no_rejection!(
    persisted,
    |dir| StoredQueue::open(dir.path()).unwrap(),
    |n| Stored {
        producer: 0,
        seq: n
    }
);
waits_count_no_rejection!(
    persisted_partitions,
    |dir| StoredPartsQueue::builder()
        .max_capacity(4)
        .dir(dir.path())
        .build()
        .unwrap(),
    |n| StoredParts {
        producer: 1,
        seq: n
    }
);

#[test]
fn a_labelled_queue_reports_no_rejection_for_a_wait() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let queue = Arc::new(metrics::with_local_recorder(&recorder, || {
        LabelledQueue::builder()
            .initial_capacity(1)
            .min_capacity(1)
            .max_capacity(1)
            .build()
            .unwrap()
    }));
    current_thread().block_on(async {
        queue.push(Labelled { seq: 0 }).unwrap();
        let waiting = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.push_async(Labelled { seq: 1 }).await }
        });
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert_eq!(queue.pop(), Some(Labelled { seq: 0 }));
        tokio::time::timeout(HANG, waiting)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        // A plain push that is refused still counts.
        assert!(queue.push(Labelled { seq: 2 }).unwrap_err().is_full());
    });
    assert_eq!(queue.stats().rejected, 1);
    queue.publish_metrics();
    let rejected = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .find(|(key, _, _, _)| {
            let key = key.key();
            key.name() == names::REJECTED
                && key
                    .labels()
                    .any(|l| l.key() == "queue" && l.value() == "async_batches")
        })
        .map(|(_, _, _, value)| value);
    assert_eq!(
        rejected,
        Some(DebugValue::Counter(1)),
        "the series counts the plain push only"
    );
}

#[test]
fn a_sink_that_waits_counts_no_rejection() {
    current_thread().block_on(async {
        let queue = Arc::new(JobQueue::new().unwrap());
        let consumer = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                let mut seqs = Vec::new();
                while let Some(job) = queue.pop_async().await {
                    seqs.push(job.seq);
                    tokio::task::yield_now().await;
                }
                seqs
            }
        });
        let mut sink = queue.sink();
        for seq in 0..50 {
            sink.send(Job { producer: 0, seq }).await.unwrap();
        }
        queue.close();
        let seqs = tokio::time::timeout(HANG, consumer).await.unwrap().unwrap();
        assert_eq!(seqs, (0..50).collect::<Vec<_>>());
        assert_eq!(queue.stats().rejected, 0);
    });
}
