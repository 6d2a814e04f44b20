//! Cancellation at random moments: producers wait for permits inside timeouts of random
//! length, so that pending `reserve` futures are dropped at every point of their wait, and
//! consumers pop meanwhile. A cancelled reservation holds nothing: the message, kept by the
//! producer until a permit is granted, is retried, so every message arrives exactly once and
//! in its producer's order, and at the end the whole maximum is free again.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;

/// A small deterministic generator, so that a failure can be replayed from its seed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const PRODUCERS: u32 = 4;
const PER_PRODUCER: u32 = 300;

macro_rules! cancelled_reservations_lose_nothing {
    ($name:ident, $queue:ident, $message:ident) => {
        #[test]
        fn $name() {
            runtime().block_on(async {
                let queue = Arc::new($queue::new().unwrap());
                let mut producers = Vec::new();
                for producer in 0..PRODUCERS {
                    let queue = Arc::clone(&queue);
                    producers.push(tokio::spawn(async move {
                        let mut random = XorShift(0x9e37_79b9 + u64::from(producer));
                        let mut cancelled = 0u32;
                        for seq in 0..PER_PRODUCER {
                            let message = $message { producer, seq };
                            loop {
                                let wait = Duration::from_micros(random.next() % 300);
                                match tokio::time::timeout(wait, queue.reserve()).await {
                                    Ok(permit) => {
                                        permit.expect("the queue stays open").push(message);
                                        break;
                                    }
                                    Err(_) => cancelled += 1,
                                }
                            }
                        }
                        cancelled
                    }));
                }
                let consumer = tokio::spawn({
                    let queue = Arc::clone(&queue);
                    async move {
                        let mut next = vec![0u32; PRODUCERS as usize];
                        let mut random = XorShift(0x51ed);
                        for _ in 0..PRODUCERS * PER_PRODUCER {
                            if random.next() % 4 == 0 {
                                tokio::time::sleep(Duration::from_micros(random.next() % 200))
                                    .await;
                            }
                            let got = tokio::time::timeout(HANG, queue.pop_async())
                                .await
                                .expect("no wake-up lost")
                                .expect("open");
                            assert_eq!(got.seq, next[got.producer as usize], "order of {got:?}");
                            next[got.producer as usize] += 1;
                        }
                        next
                    }
                });
                let mut cancelled = 0;
                for producer in producers {
                    cancelled += tokio::time::timeout(HANG, producer).await.unwrap().unwrap();
                }
                let next = tokio::time::timeout(HANG, consumer).await.unwrap().unwrap();
                assert_eq!(next, vec![PER_PRODUCER; PRODUCERS as usize]);
                assert!(queue.is_empty());
                // No place leaked by a cancelled wait.
                assert!(
                    queue.try_reserve_many(MAX).is_ok(),
                    "after {cancelled} cancellations"
                );
                let stats = queue.stats();
                assert_eq!(stats.enqueued, u64::from(PRODUCERS * PER_PRODUCER));
                assert_eq!(stats.dequeued, stats.enqueued);
            });
        }
    };
}

cancelled_reservations_lose_nothing!(
    locked_cancelled_reservations_lose_nothing,
    LockedQueue,
    Locked
);
cancelled_reservations_lose_nothing!(
    lock_free_cancelled_reservations_lose_nothing,
    FreeQueue,
    Free
);
