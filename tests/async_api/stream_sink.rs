//! Stream and sink: `stream()` yields in order and ends at close, `sink()` applies
//! backpressure and keeps order, and hands the message back when the queue closes.

use std::sync::Arc;
use std::time::Duration;

use elasticq::PushError;
use futures::{SinkExt, StreamExt};

use crate::common::*;

#[test]
fn stream_yields_in_order_and_ends_at_close() {
    runtime().block_on(async {
        let queue = Arc::new(JobQueue::builder().max_capacity(1024).build().unwrap());
        let collecting = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.stream().map(|job| job.seq).collect::<Vec<_>>().await }
        });
        for seq in 0..100 {
            queue.push_async(Job { producer: 0, seq }).await.unwrap();
            if seq % 10 == 0 {
                tokio::task::yield_now().await;
            }
        }
        queue.close();
        let seqs = tokio::time::timeout(HANG, collecting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seqs, (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn sink_applies_backpressure_and_keeps_order() {
    runtime().block_on(async {
        // At most 4 queued: the sink waits for the slow consumer instead of failing.
        let queue = Arc::new(JobQueue::new().unwrap());
        let consumer = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                let mut seqs = Vec::new();
                let mut most_queued = 0;
                while let Some(job) = queue.pop_async().await {
                    most_queued = most_queued.max(queue.len());
                    seqs.push(job.seq);
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                (seqs, most_queued)
            }
        });
        let mut sink = queue.sink();
        let mut jobs = futures::stream::iter((0..200).map(|seq| Ok(Job { producer: 0, seq })));
        tokio::time::timeout(HANG, sink.send_all(&mut jobs))
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(HANG, sink.close())
            .await
            .unwrap()
            .unwrap();
        assert!(!queue.is_closed(), "closing the sink leaves the queue open");
        queue.close();
        let (seqs, most_queued) = tokio::time::timeout(HANG, consumer).await.unwrap().unwrap();
        assert_eq!(seqs, (0..200).collect::<Vec<_>>());
        assert!(
            most_queued <= 4,
            "the queue never held more than its maximum"
        );
        assert!(
            most_queued >= 3,
            "the sink kept the queue filled while the consumer was slow"
        );
    });
}

#[test]
fn sink_hands_the_message_back_when_the_queue_closes() {
    runtime().block_on(async {
        let queue = JobQueue::new().unwrap();
        queue.close();
        let mut sink = queue.sink();
        let refused = sink
            .send(Job {
                producer: 0,
                seq: 3,
            })
            .await;
        assert_eq!(
            refused,
            Err(PushError::Closed(Job {
                producer: 0,
                seq: 3
            }))
        );
    });
}
