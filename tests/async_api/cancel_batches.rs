//! Cancelling the new futures: a dropped `pop_batch_async` passes its wake-up on and loses
//! nothing; `PushAsync::into_message` hands back a message that was not pushed; and
//! `pop_batch_async`s and `push_async`s cancelled at random moments (chosen by a seeded
//! generator, against short sleeps in `select!`) lose and duplicate no message and leave
//! no waiter asleep.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Context;
use std::time::Duration;

use crate::common::*;

#[test]
fn a_dropped_pop_batch_async_loses_nothing_and_passes_its_wake_up_on() {
    let queue = JobQueue::new().unwrap();
    let (first_count, first_waker) = counting();
    let (second_count, second_waker) = counting();
    let mut first = Box::pin(queue.pop_batch_async(10));
    let mut second = Box::pin(queue.pop_batch_async(10));
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
            seq: 1,
        })
        .unwrap();
    assert_eq!(first_count.0.load(Ordering::SeqCst), 1);
    assert_eq!(second_count.0.load(Ordering::SeqCst), 0);
    drop(first);
    assert_eq!(
        second_count.0.load(Ordering::SeqCst),
        1,
        "the dropped batch passed its wake-up on"
    );
    assert_eq!(queue.len(), 1, "nothing left the queue");
    let taken = second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker));
    assert_eq!(
        taken,
        std::task::Poll::Ready(vec![Job {
            producer: 0,
            seq: 1
        }])
    );
}

#[test]
fn into_message_hands_back_a_message_that_was_not_pushed() {
    let queue = JobQueue::builder()
        .initial_capacity(1)
        .min_capacity(1)
        .max_capacity(1)
        .build()
        .unwrap();
    queue
        .push(Job {
            producer: 0,
            seq: 0,
        })
        .unwrap();
    let (_count, waker) = counting();
    let mut push = queue.push_async(Job {
        producer: 0,
        seq: 1,
    });
    assert!(pin!(&mut push)
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    assert_eq!(
        push.into_message(),
        Some(Job {
            producer: 0,
            seq: 1
        })
    );
    assert_eq!(queue.len(), 1);
    assert_eq!(
        queue.stats().rejected,
        0,
        "a push given up on is no rejection"
    );

    // Once pushed, there is nothing to hand back.
    queue.pop().unwrap();
    let mut push = queue.push_async(Job {
        producer: 0,
        seq: 2,
    });
    assert!(pin!(&mut push)
        .poll(&mut Context::from_waker(&waker))
        .is_ready());
    assert_eq!(push.into_message(), None);
    assert_eq!(
        queue.pop(),
        Some(Job {
            producer: 0,
            seq: 2
        })
    );
}

/// A small seeded generator (xorshift), so that a failing schedule can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn batches_and_pushes_cancelled_at_random_moments_lose_nothing() {
    const PRODUCERS: u32 = 3;
    const EACH: u32 = 400;
    for seed in [0x9e37_79b9_7f4a_7c15_u64, 0x2545_f491_4f6c_dd1d] {
        runtime().block_on(async {
            let queue = Arc::new(JobQueue::new().unwrap());
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|producer| {
                    let queue = Arc::clone(&queue);
                    tokio::spawn(async move {
                        let mut rng = Rng(seed ^ u64::from(producer + 1));
                        let mut cancelled = 0u32;
                        for seq in 0..EACH {
                            let mut job = Job { producer, seq };
                            loop {
                                let mut push = queue.push_async(job);
                                let pause = Duration::from_micros(rng.below(40));
                                tokio::select! {
                                    pushed = &mut push => {
                                        pushed.unwrap();
                                        break;
                                    }
                                    _ = tokio::time::sleep(pause) => {}
                                }
                                match push.into_message() {
                                    Some(back) => {
                                        cancelled += 1;
                                        job = back;
                                    }
                                    None => break,
                                }
                            }
                        }
                        cancelled
                    })
                })
                .collect();
            let consumers: Vec<_> = (0..2u64)
                .map(|consumer| {
                    let queue = Arc::clone(&queue);
                    tokio::spawn(async move {
                        let mut rng = Rng(seed.rotate_left(17) ^ (consumer + 7));
                        let mut taken = Vec::new();
                        loop {
                            let max = 1 + rng.below(8) as usize;
                            // Half the time wait with no timer: a lost wake-up could then leave both
                            // consumers asleep beside a full queue and the producers waiting
                            // for room, a hang.
                            if rng.below(2) == 0 {
                                let batch = queue.pop_batch_async(max).await;
                                if batch.is_empty() {
                                    return taken;
                                }
                                taken.extend(batch);
                                continue;
                            }
                            let pause = Duration::from_micros(rng.below(60));
                            tokio::select! {
                                batch = queue.pop_batch_async(max) => {
                                    if batch.is_empty() {
                                        return taken;
                                    }
                                    assert!(batch.len() <= max);
                                    taken.extend(batch);
                                }
                                _ = tokio::time::sleep(pause) => {}
                            }
                        }
                    })
                })
                .collect();
            joined(producers).await;
            queue.close();
            let mut all = Vec::new();
            for taken in joined(consumers).await {
                let mut last: HashMap<u32, u32> = HashMap::new();
                for job in &taken {
                    if let Some(before) = last.insert(job.producer, job.seq) {
                        assert!(before < job.seq, "seed {seed:#x}: producer order");
                    }
                }
                all.extend(taken.into_iter().map(|job| (job.producer, job.seq)));
            }
            all.sort();
            let expected = every_message(PRODUCERS, EACH);
            assert_eq!(all, expected, "seed {seed:#x}: every message exactly once");
            assert_eq!(queue.stats().rejected, 0);
        });
    }
}
