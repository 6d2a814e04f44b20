//! Threads holding places while others push and pop: producers that reserve before they
//! push beside producers that push plainly, at a maximum of 4, with consumers popping.
//! Checked: every message arrives once and in its producer's order, `enqueued == dequeued`
//! at the end, and no place is left held.

use std::sync::Arc;
use std::thread;

use crate::common::*;

const PRODUCERS: u32 = 4;
const PER_PRODUCER: u32 = 5_000;
const CONSUMERS: usize = 2;

macro_rules! held_places_under_contention {
    ($name:ident, $queue:ident, $message:ident) => {
        #[test]
        fn $name() {
            let queue = Arc::new($queue::new().unwrap());
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|producer| {
                    let queue = Arc::clone(&queue);
                    thread::spawn(move || {
                        for seq in 0..PER_PRODUCER {
                            let mut message = $message { producer, seq };
                            if producer % 2 == 0 {
                                let permit = loop {
                                    match queue.try_reserve() {
                                        Ok(permit) => break permit,
                                        Err(_) => thread::yield_now(),
                                    }
                                };
                                permit.push(message);
                            } else {
                                while let Err(refused) = queue.push(message) {
                                    message = refused.into_inner();
                                    thread::yield_now();
                                }
                            }
                        }
                    })
                })
                .collect();
            let consumers: Vec<_> = (0..CONSUMERS)
                .map(|_| {
                    let queue = Arc::clone(&queue);
                    thread::spawn(move || {
                        let mut seen = Vec::new();
                        while !(queue.is_closed() && queue.is_empty()) {
                            match queue.pop() {
                                Some(message) => seen.push(message),
                                None => thread::yield_now(),
                            }
                        }
                        seen
                    })
                })
                .collect();
            for producer in producers {
                producer.join().unwrap();
            }
            queue.close();
            let mut next = vec![0u32; PRODUCERS as usize];
            let mut total = 0;
            for consumer in consumers {
                let mut last = vec![None::<u32>; PRODUCERS as usize];
                for message in consumer.join().unwrap() {
                    let producer = message.producer as usize;
                    // Each consumer sees a producer's messages in order.
                    assert!(last[producer] < Some(message.seq), "reordered {message:?}");
                    last[producer] = Some(message.seq);
                    next[producer] += 1;
                    total += 1;
                }
            }
            assert_eq!(
                next,
                vec![PER_PRODUCER; PRODUCERS as usize],
                "lost or duplicated"
            );
            assert_eq!(total, PRODUCERS * PER_PRODUCER);
            let stats = queue.stats();
            assert_eq!(stats.enqueued, stats.dequeued);
            assert_eq!(stats.len, 0);
        }
    };
}

held_places_under_contention!(locked_held_places_under_contention, LockedQueue, Locked);
held_places_under_contention!(lock_free_held_places_under_contention, FreeQueue, Free);
