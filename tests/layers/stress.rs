//! Threaded stress tests of the layers: producers push messages with random priority levels
//! into partitioned queues while consumers take them with `pop`, `pop_from` and
//! `pop_timeout`. Checked: every message is delivered exactly once, each consumer sees every
//! (producer, level) stream in push order (FIFO per partition and level: a producer's key
//! routes all its messages to one partition), and the counters add up.
//!
//! Every wait is bounded by the library's own progress: consumers leave once the queue is
//! closed and empty, and the main thread closes it when the producers are done.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use elasticq::{
    Config, Engine, Fairness, Lane, LockFreeQueue, LockedQueue, Partitioned, PopError,
    PriorityLevels, PushError,
};

const LEVELS: u8 = 3;

/// Messages per producer; debug builds run the same code an order of magnitude slower.
const PER_PRODUCER: u32 = if cfg!(debug_assertions) {
    20_000
} else {
    100_000
};

#[derive(elasticq::ElasticQueue, Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Tagged {
    #[elastic_queue(partition_key)]
    producer: u32,
    #[elastic_queue(priority(levels = 3))]
    level: u8,
    /// Position within the producer's messages of this level.
    seq: u32,
}

type Queue<E> = Partitioned<Tagged, PriorityLevels<Tagged, E>>;

/// How a consumer takes messages.
#[derive(Clone, Copy, Debug)]
enum Taking {
    Pop,
    /// Only from this partition, as a per-partition worker does.
    From(usize),
    Timeout,
}

fn produce<E: Lane<Tagged>>(queue: &Queue<E>, producer: u32) {
    let mut next = [0u32; LEVELS as usize];
    // A fixed pseudo-random level sequence per producer (xorshift), so runs are repeatable.
    let mut state = 0x9e37_79b9u32 ^ producer.wrapping_mul(0x85eb_ca6b) | 1;
    for _ in 0..PER_PRODUCER {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let level = (state % u32::from(LEVELS)) as u8;
        let seq = &mut next[usize::from(level)];
        let mut message = Tagged {
            producer,
            level,
            seq: *seq,
        };
        *seq += 1;
        loop {
            match queue.push(message) {
                Ok(()) => break,
                Err(PushError::Full(back)) => {
                    message = back;
                    thread::yield_now();
                }
                Err(other) => panic!("producer {producer}: unexpected {other:?}"),
            }
        }
    }
}

fn consume<E: Lane<Tagged>>(queue: &Queue<E>, taking: Taking) -> Vec<Tagged> {
    let mut received = Vec::new();
    loop {
        let next = match taking {
            Taking::Pop => queue.pop().ok_or(PopError::Timeout),
            Taking::From(partition) => queue.pop_from(partition).ok_or(PopError::Timeout),
            Taking::Timeout => queue.pop_timeout(Duration::from_millis(20)),
        };
        match next {
            Ok(message) => received.push(message),
            Err(PopError::Timeout) if queue.is_closed() && queue.is_empty() => return received,
            Err(PopError::Timeout) => thread::yield_now(),
            Err(PopError::Closed) => return received,
        }
    }
}

fn run<E: Lane<Tagged> + Send + Sync + 'static>(
    producers: u32,
    partitions: usize,
    fairness: Fairness,
    max_capacity: usize,
) {
    let label =
        format!("{producers} producers, {partitions} partitions, {fairness:?}, max {max_capacity}");
    let config = Config::new()
        .initial_capacity(16.min(max_capacity))
        .min_capacity(1)
        .max_capacity(max_capacity)
        .partitions(partitions)
        .fairness(fairness);
    let queue = Arc::new(Queue::<E>::with_config(config).expect("valid config"));
    let mut takings = vec![Taking::Pop, Taking::Timeout];
    takings.extend((0..partitions).map(Taking::From));
    let consumers: Vec<_> = takings
        .into_iter()
        .map(|taking| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || consume(&queue, taking))
        })
        .collect();
    let producing: Vec<_> = (0..producers)
        .map(|producer| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || produce(&queue, producer))
        })
        .collect();
    for handle in producing {
        handle.join().expect("producer panicked");
    }
    queue.close();
    let received: Vec<Vec<Tagged>> = consumers
        .into_iter()
        .map(|handle| handle.join().expect("consumer panicked"))
        .collect();

    let total = u64::from(producers) * u64::from(PER_PRODUCER);
    let mut seen = HashSet::new();
    for (consumer, messages) in received.iter().enumerate() {
        let mut last = std::collections::HashMap::new();
        for message in messages {
            assert!(
                seen.insert(*message),
                "{label}: {message:?} delivered twice"
            );
            let stream = (message.producer, message.level);
            if let Some(previous) = last.insert(stream, message.seq) {
                assert!(
                    previous < message.seq,
                    "{label}: consumer {consumer} saw {stream:?} #{} after #{previous}",
                    message.seq
                );
            }
        }
    }
    assert_eq!(seen.len() as u64, total, "{label}: messages lost");
    let stats = queue.stats();
    assert_eq!(stats.enqueued, total, "{label}: {stats:?}");
    assert_eq!(stats.dequeued, total, "{label}: {stats:?}");
    assert_eq!(stats.len, 0, "{label}");
    assert_eq!(stats.partitions.len(), partitions);
    assert_eq!(stats.levels.len(), usize::from(LEVELS));
    let per_level: u64 = stats.levels.iter().map(|level| level.dequeued).sum();
    assert_eq!(per_level, total, "{label}: per-level counters");
}

fn scenarios<E: Lane<Tagged> + Send + Sync + 'static>() {
    let fair = Fairness::Fair { max_consecutive: 3 };
    for (producers, partitions) in [(1, 1), (4, 1), (4, 4), (2, 3)] {
        run::<E>(producers, partitions, Fairness::Strict, 1 << 20);
        run::<E>(producers, partitions, fair, 1 << 20);
    }
    // Held at a small maximum: producers meet `Full` and retry.
    run::<E>(4, 2, Fairness::Strict, 8);
    run::<E>(4, 2, fair, 8);
}

#[test]
fn locked_layers_deliver_everything_in_order() {
    scenarios::<LockedQueue<Tagged>>();
}

#[test]
fn lock_free_layers_deliver_everything_in_order() {
    scenarios::<LockFreeQueue<Tagged>>();
}
