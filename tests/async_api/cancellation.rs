//! Cancellation: a timed-out `pop_async_timeout` that is kept takes no wake-up, a dropped
//! `pop_async` passes its wake-up on, and `pop_async` cancelled at any point loses no message.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use elasticq::PopError;

use crate::common::*;

#[test]
fn a_timed_out_pop_async_timeout_that_is_kept_takes_no_wake_up() {
    runtime().block_on(async {
        let queue = JobQueue::new().unwrap();
        // Completed but kept (a future held in a struct or pinned in a loop): it must no
        // longer count as waiting.
        let mut timed_out = pin!(queue.pop_async_timeout(Duration::from_millis(1)));
        assert_eq!(timed_out.as_mut().await, Err(PopError::Timeout));

        let (count, waker) = counting();
        let mut waiting = pin!(queue.pop_async());
        assert!(waiting
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        queue
            .push(Job {
                producer: 0,
                seq: 1,
            })
            .unwrap();
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the push woke the task that still waits"
        );
        assert_eq!(
            waiting.as_mut().poll(&mut Context::from_waker(&waker)),
            Poll::Ready(Some(Job {
                producer: 0,
                seq: 1
            }))
        );
    });
}

#[test]
fn a_dropped_pop_async_loses_no_message_and_passes_its_wake_up_on() {
    let queue = JobQueue::new().unwrap();
    let (first_count, first_waker) = counting();
    let (second_count, second_waker) = counting();
    let mut first = Box::pin(queue.pop_async());
    let mut second = Box::pin(queue.pop_async());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());

    queue
        .push(Job {
            producer: 0,
            seq: 7,
        })
        .unwrap();
    assert_eq!(
        first_count.0.load(Ordering::SeqCst),
        1,
        "one push, one wake-up"
    );
    assert_eq!(second_count.0.load(Ordering::SeqCst), 0);

    // The woken waiter is cancelled before it runs: its wake-up goes to the other one, and
    // the message is still queued for it.
    drop(first);
    assert_eq!(second_count.0.load(Ordering::SeqCst), 1);
    assert_eq!(queue.len(), 1);
    match second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
    {
        Poll::Ready(popped) => assert_eq!(
            popped,
            Some(Job {
                producer: 0,
                seq: 7
            })
        ),
        Poll::Pending => panic!("the second waiter was woken but found nothing"),
    }
}

#[test]
fn a_pop_async_cancelled_at_any_point_loses_no_message() {
    // Consumers give up on `pop_async` after a random short time, over and over, while
    // producers push: whatever the cancellations hit, every message is popped exactly once.
    runtime().block_on(async {
        let queue = Arc::new(
            FreeJobQueue::builder()
                .max_capacity(1 << 20)
                .build()
                .unwrap(),
        );
        const PRODUCERS: u32 = 2;
        const PER_PRODUCER: u32 = 5_000;
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|producer| {
                let queue = Arc::clone(&queue);
                std::thread::spawn(move || {
                    for seq in 0..PER_PRODUCER {
                        queue.push(FreeJob { producer, seq }).unwrap();
                        if seq % 64 == 0 {
                            std::thread::sleep(Duration::from_micros(50));
                        }
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..3u64)
            .map(|consumer| {
                let queue = Arc::clone(&queue);
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    let mut round = consumer;
                    loop {
                        round = round.wrapping_mul(6364136223846793005).wrapping_add(1);
                        let patience = Duration::from_micros(round % 200);
                        match tokio::time::timeout(patience, queue.pop_async()).await {
                            Ok(Some(job)) => got.push(job),
                            Ok(None) => return got,
                            Err(_) => continue, // cancelled while waiting
                        }
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.join().unwrap();
        }
        queue.close();
        let mut seen: HashMap<u32, Vec<u32>> = HashMap::new();
        for consumer in consumers {
            let got = tokio::time::timeout(HANG, consumer).await.unwrap().unwrap();
            // One consumer sees each producer's messages in push order.
            let mut last: HashMap<u32, u32> = HashMap::new();
            for job in got {
                if let Some(previous) = last.insert(job.producer, job.seq) {
                    assert!(previous < job.seq, "reordered within one consumer");
                }
                seen.entry(job.producer).or_default().push(job.seq);
            }
        }
        for producer in 0..PRODUCERS {
            let mut seqs = seen.remove(&producer).unwrap_or_default();
            seqs.sort_unstable();
            assert_eq!(
                seqs,
                (0..PER_PRODUCER).collect::<Vec<_>>(),
                "producer {producer}"
            );
        }
    });
}
