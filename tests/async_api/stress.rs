//! Wake-up stress: async producers held at a tiny maximum and async consumers, on both
//! engines and on partitions with priorities; nothing is lost, duplicated or reordered, and
//! no waiter hangs.

use std::collections::HashMap;
use std::sync::Arc;

use crate::common::*;

/// Producers on threads, consumers on tasks awaiting `pop_async`, and a queue whose maximum
/// is tiny so producers also await `push_async`: every message arrives once, each
/// producer's in order (per consumer), and nobody hangs.
macro_rules! wake_up_stress {
    ($name:ident, $queue:ty, $make:expr, $message:expr) => {
        #[test]
        fn $name() {
            runtime().block_on(async {
                let queue: Arc<$queue> = Arc::new($make);
                const PRODUCERS: u32 = 2;
                const PER_PRODUCER: u32 = 4_000;
                let producers: Vec<_> = (0..PRODUCERS)
                    .map(|producer| {
                        let queue = Arc::clone(&queue);
                        tokio::spawn(async move {
                            for seq in 0..PER_PRODUCER {
                                let message = $message(producer, seq);
                                queue.push_async(message).await.unwrap();
                            }
                        })
                    })
                    .collect();
                let consumers: Vec<_> = (0..2)
                    .map(|_| {
                        let queue = Arc::clone(&queue);
                        tokio::spawn(async move {
                            let mut got = Vec::new();
                            while let Some(message) = queue.pop_async().await {
                                got.push((message.producer, message.seq));
                            }
                            got
                        })
                    })
                    .collect();
                for producer in producers {
                    tokio::time::timeout(HANG, producer)
                        .await
                        .expect("a producer hung: lost wake-up on the room side")
                        .unwrap();
                }
                queue.close();
                let mut all = Vec::new();
                for consumer in consumers {
                    let got = tokio::time::timeout(HANG, consumer)
                        .await
                        .expect("a consumer hung: lost wake-up on the message side")
                        .unwrap();
                    let mut last: HashMap<u32, u32> = HashMap::new();
                    for &(producer, seq) in &got {
                        if let Some(previous) = last.insert(producer, seq) {
                            assert!(previous < seq, "producer {producer} reordered");
                        }
                    }
                    all.extend(got);
                }
                all.sort_unstable();
                let expected: Vec<(u32, u32)> = (0..PRODUCERS)
                    .flat_map(|producer| (0..PER_PRODUCER).map(move |seq| (producer, seq)))
                    .collect();
                assert_eq!(all, expected);
            });
        }
    };
}

wake_up_stress!(
    locked_engine_wakes_every_waiter,
    JobQueue,
    JobQueue::new().unwrap(),
    |producer, seq| Job { producer, seq }
);
wake_up_stress!(
    lock_free_engine_wakes_every_waiter,
    FreeJobQueue,
    FreeJobQueue::new().unwrap(),
    |producer, seq| FreeJob { producer, seq }
);
wake_up_stress!(
    partitions_and_priorities_wake_every_waiter,
    KeyedQueue,
    KeyedQueue::new().unwrap(),
    |producer, seq: u32| Keyed {
        producer,
        seq,
        // One level per producer: a producer's messages stay in one lane, in order.
        level: if producer % 2 == 0 {
            Level::Low
        } else {
            Level::High
        },
    }
);
