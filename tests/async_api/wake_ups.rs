//! Wake-ups: the async calls need no tokio runtime to wait, a pending `pop_async` is woken by
//! every kind of push and a pending `push_async` by every kind of pop.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Context;
use std::time::Duration;

use futures::StreamExt;

use crate::common::*;

#[test]
fn async_calls_need_no_tokio_runtime_to_wait() {
    // `push_async`, `pop_async`, `stream` and `sink` use no tokio timer: any executor runs
    // them (here futures' own).
    let queue = Arc::new(JobQueue::new().unwrap());
    let producer = std::thread::spawn({
        let queue = Arc::clone(&queue);
        move || {
            futures::executor::block_on(async {
                for seq in 0..50 {
                    queue.push_async(Job { producer: 0, seq }).await.unwrap();
                }
            });
            queue.close();
        }
    });
    let seqs = futures::executor::block_on(queue.stream().map(|job| job.seq).collect::<Vec<_>>());
    producer.join().unwrap();
    assert_eq!(seqs, (0..50).collect::<Vec<_>>());
}

#[test]
fn a_pending_pop_async_is_woken_by_every_kind_of_push() {
    // push, push_timeout, push_batch: each wakes a waiting task.
    let queue = JobQueue::builder().max_capacity(64).build().unwrap();
    let pushes: [&dyn Fn(&JobQueue); 3] = [
        &|queue| {
            queue
                .push(Job {
                    producer: 0,
                    seq: 0,
                })
                .unwrap()
        },
        &|queue| {
            queue
                .push_timeout(
                    Job {
                        producer: 0,
                        seq: 0,
                    },
                    Duration::from_millis(1),
                )
                .unwrap()
        },
        &|queue| {
            queue
                .push_batch([Job {
                    producer: 0,
                    seq: 0,
                }])
                .unwrap()
        },
    ];
    for push in pushes {
        let (count, waker) = counting();
        let mut pop = pin!(queue.pop_async());
        assert!(pop
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        push(&queue);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(pop
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready());
    }
}

#[test]
fn a_pending_push_async_is_woken_by_every_kind_of_pop() {
    let queue = JobQueue::new().unwrap();
    let pops: [&dyn Fn(&JobQueue); 5] = [
        &|queue| assert!(queue.pop().is_some()),
        &|queue| assert_eq!(queue.pop_batch(1).len(), 1),
        &|queue| assert!(queue.pop_timeout(Duration::from_millis(1)).is_ok()),
        &|queue| assert_eq!(queue.drain().len(), 4),
        &|queue| queue.clear(),
    ];
    for pop in pops {
        while queue.len() < 4 {
            queue
                .push(Job {
                    producer: 0,
                    seq: 0,
                })
                .unwrap();
        }
        let (count, waker) = counting();
        let mut push = pin!(queue.push_async(Job {
            producer: 0,
            seq: 1
        }));
        assert!(push
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        pop(&queue);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(push
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready());
    }
}
