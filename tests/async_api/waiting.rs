//! Waiting: `pop_async` waits for a push and ends at close, `push_async` waits for room and
//! hands the message back at close, other refusals come back at once, and
//! `pop_async_timeout` times out, returns what is queued and reports the close.

use std::sync::Arc;
use std::time::Duration;

use elasticq::{PopError, PushError};

use crate::common::*;

#[test]
fn pop_async_waits_for_a_push_and_ends_at_close() {
    runtime().block_on(async {
        let queue = Arc::new(JobQueue::new().unwrap());
        let waiting = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.pop_async().await }
        });
        tokio::task::yield_now().await;
        queue
            .push(Job {
                producer: 0,
                seq: 1,
            })
            .unwrap();
        let popped = tokio::time::timeout(HANG, waiting).await.unwrap().unwrap();
        assert_eq!(
            popped,
            Some(Job {
                producer: 0,
                seq: 1
            })
        );

        let ending = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.pop_async().await }
        });
        queue
            .push(Job {
                producer: 0,
                seq: 2,
            })
            .unwrap();
        queue.close();
        // The message pushed before the close is still delivered, then the end.
        let first = tokio::time::timeout(HANG, ending).await.unwrap().unwrap();
        assert_eq!(
            first,
            Some(Job {
                producer: 0,
                seq: 2
            })
        );
        assert_eq!(queue.pop_async().await, None);
    });
}

#[test]
fn push_async_waits_for_room_and_hands_back_on_close() {
    runtime().block_on(async {
        let queue = Arc::new(JobQueue::new().unwrap());
        for seq in 0..4 {
            queue.push(Job { producer: 0, seq }).unwrap();
        }
        assert!(matches!(
            queue.push(Job {
                producer: 0,
                seq: 4
            }),
            Err(PushError::Full(_))
        ));
        let pushing = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                queue
                    .push_async(Job {
                        producer: 0,
                        seq: 4,
                    })
                    .await
            }
        });
        tokio::task::yield_now().await;
        assert_eq!(
            queue.pop(),
            Some(Job {
                producer: 0,
                seq: 0
            })
        );
        tokio::time::timeout(HANG, pushing)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let order: Vec<u32> = queue.drain().into_iter().map(|job| job.seq).collect();
        assert_eq!(order, vec![1, 2, 3, 4]);

        for seq in 0..4 {
            queue.push(Job { producer: 1, seq }).unwrap();
        }
        let blocked = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move {
                queue
                    .push_async(Job {
                        producer: 1,
                        seq: 9,
                    })
                    .await
            }
        });
        tokio::task::yield_now().await;
        queue.close();
        let refused = tokio::time::timeout(HANG, blocked).await.unwrap().unwrap();
        assert_eq!(
            refused,
            Err(PushError::Closed(Job {
                producer: 1,
                seq: 9
            }))
        );
    });
}

#[test]
fn push_async_returns_other_refusals_at_once() {
    runtime().block_on(async {
        let queue = JobQueue::new().unwrap();
        queue.close();
        assert_eq!(
            queue
                .push_async(Job {
                    producer: 0,
                    seq: 0
                })
                .await,
            Err(PushError::Closed(Job {
                producer: 0,
                seq: 0
            }))
        );
    });
}

#[test]
fn pop_async_timeout_times_out_returns_queued_messages_and_reports_close() {
    runtime().block_on(async {
        let queue = JobQueue::new().unwrap();
        assert_eq!(
            queue.pop_async_timeout(Duration::from_millis(5)).await,
            Err(PopError::Timeout)
        );
        queue
            .push(Job {
                producer: 0,
                seq: 0,
            })
            .unwrap();
        // A queued message is returned even with a zero timeout.
        assert_eq!(
            queue.pop_async_timeout(Duration::ZERO).await,
            Ok(Job {
                producer: 0,
                seq: 0
            })
        );
        queue.close();
        assert_eq!(
            queue.pop_async_timeout(Duration::from_secs(5)).await,
            Err(PopError::Closed)
        );
    });
}
