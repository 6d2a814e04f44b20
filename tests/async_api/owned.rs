//! The owned adapters: `into_sink()` and `into_stream()` hold an `Arc` of the queue, so they
//! move into spawned tasks (`'static`); backpressure, order and the end at close as the
//! borrowed ones.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};

use crate::common::*;

#[test]
fn an_owned_sink_and_stream_move_into_spawned_tasks() {
    runtime().block_on(async {
        // At most 4 queued: the sink waits for the consumer.
        let queue = Arc::new(JobQueue::new().unwrap());
        let consumer = tokio::spawn({
            let stream = Arc::clone(&queue).into_stream();
            async move { stream.map(|job| job.seq).collect::<Vec<_>>().await }
        });
        let producer = tokio::spawn({
            let mut sink = Arc::clone(&queue).into_sink();
            async move {
                let mut jobs =
                    futures::stream::iter((0..500).map(|seq| Ok(Job { producer: 0, seq })));
                sink.send_all(&mut jobs).await?;
                sink.close().await
            }
        });
        tokio::time::timeout(HANG, producer)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(!queue.is_closed(), "closing the sink leaves the queue open");
        queue.close();
        let seqs = tokio::time::timeout(HANG, consumer).await.unwrap().unwrap();
        assert_eq!(seqs, (0..500).collect::<Vec<_>>());
        assert_eq!(queue.stats().rejected, 0);
        assert_eq!(
            Arc::strong_count(&queue),
            1,
            "the adapters let go of the queue"
        );
    });
}

#[test]
fn an_owned_sink_hands_the_message_back_at_close() {
    runtime().block_on(async {
        let queue = Arc::new(
            JobQueue::builder()
                .initial_capacity(1)
                .min_capacity(1)
                .max_capacity(1)
                .build()
                .unwrap(),
        );
        queue
            .push(Job {
                producer: 0,
                seq: 0,
            })
            .unwrap();
        let mut sink = Arc::clone(&queue).into_sink();
        let sending = tokio::spawn(async move {
            let sent = sink
                .send(Job {
                    producer: 0,
                    seq: 1,
                })
                .await;
            (sent, sink.take_pending())
        });
        tokio::task::yield_now().await;
        queue.close();
        let (sent, pending) = tokio::time::timeout(HANG, sending).await.unwrap().unwrap();
        assert_eq!(
            sent,
            Err(elasticq::PushError::Closed(Job {
                producer: 0,
                seq: 1
            }))
        );
        assert_eq!(pending, None, "the error handed it back");
        assert_eq!(queue.stats().rejected, 1);
    });
}
