//! Threaded stress tests of held places, drop_oldest and byte bounds on both engines, at small
//! maximums (1, 2, 3, 8), through one generic helper per behaviour over
//! `E: Engine<u64> + Room<u64> + Lane<u64>`.
//!
//! What is checkable under concurrency, and how:
//! - **len + held never exceeds max.** The test keeps its own count of outstanding permits,
//!   raised after a grant and lowered before the permit's push, so it never exceeds the
//!   places the engine holds. Without consumers the queue only grows, so `len()` read first
//!   and the count read after sum to at most what the engine held at the second read: that
//!   sum must stay within the maximum (`held_places_never_pass_the_maximum`).
//! - **Delivery.** Per-producer FIFO at every consumer, no duplicates, nothing lost, and
//!   `enqueued == dequeued + dropped + len` at quiescence (`permits_and_pushes_deliver`).
//! - **Eviction.** Under drop_oldest every message is popped or handed to the eviction hook
//!   exactly once, and `dropped` counts the latter (`drop_oldest_hands_over_exactly_once`).
//! - **Bytes.** With random weights and `max_bytes`, at quiescence `stats().bytes` is the
//!   sum of the queued weights and within the bound (`bytes_add_up`).
//!
//! Waits are bounded: a refused producer yields and retries while consumers make progress;
//! consumers leave once every producer is done and the queue is empty.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use elasticq_runtime::{
    Config, Engine, Hooks, Lane, LockFreeQueue, LockedQueue, Overflow, Room, Stats,
};

const MAXIMUMS: [usize; 4] = [1, 2, 3, 8];

const PER_PRODUCER: u64 = if cfg!(debug_assertions) {
    3_000
} else {
    20_000
};

trait Subject: Engine<u64> + Room<u64> + Lane<u64> + Send + Sync + 'static {}
impl<E: Engine<u64> + Room<u64> + Lane<u64> + Send + Sync + 'static> Subject for E {}

fn config(max: usize, overflow: Overflow) -> Config {
    Config::new()
        .initial_capacity(1)
        .min_capacity(1)
        .max_capacity(max)
        .overflow(overflow)
}

fn msg(producer: u64, seq: u64) -> u64 {
    producer << 32 | seq
}

/// A weight in 1..=7 that depends on the message only.
fn weight(value: &u64) -> usize {
    (value.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 61) as usize + 1
}

fn check_conservation(stats: &Stats) {
    assert_eq!(
        stats.enqueued,
        stats.dequeued + stats.dropped + stats.len as u64,
        "{stats:?}"
    );
}

/// Checks per-producer order within each consumer's sequence and exactly-once over all.
fn check_delivery(seen: &[Vec<u64>], producers: u64, per_producer: u64) {
    for sequence in seen {
        let mut last = vec![None; producers as usize];
        for &m in sequence {
            let (p, i) = ((m >> 32) as usize, m & 0xFFFF_FFFF);
            assert!(last[p] < Some(i), "producer {p} reordered at {i}");
            last[p] = Some(i);
        }
    }
    let mut all: Vec<u64> = seen.iter().flatten().copied().collect();
    all.sort_unstable();
    let expected: Vec<u64> = (0..producers)
        .flat_map(|p| (0..per_producer).map(move |i| msg(p, i)))
        .collect();
    assert_eq!(all.len(), expected.len(), "lost or duplicated messages");
    assert_eq!(all, expected, "lost or duplicated messages");
}

/// Pushes `value`, retrying (with a yield) while it is refused.
fn push_until_accepted<E: Subject>(queue: &E, mut value: u64) {
    while let Err(refused) = queue.push(value) {
        value = refused.into_inner();
        thread::yield_now();
    }
}

/// Pops until every producer is done and the queue is empty, checking `len() <= max`.
fn consume<E: Subject>(queue: &E, producing: &AtomicUsize, max: usize) -> Vec<u64> {
    let mut seen = Vec::new();
    loop {
        let finished = producing.load(Ordering::SeqCst) == 0;
        match queue.pop() {
            Some(m) => seen.push(m),
            None if finished => return seen,
            None => thread::yield_now(),
        }
        assert!(queue.len() <= max);
    }
}

/// No consumers: reservers hold, release and use places, plain producers push, and a sampler
/// checks `len + outstanding <= max` throughout.
fn held_places_never_pass_the_maximum<E: Subject>() {
    for max in MAXIMUMS {
        let queue = Arc::new(E::with_config(config(max, Overflow::Reject)).expect("config"));
        let outstanding = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..4u64)
            .map(|t| {
                let (queue, outstanding) = (Arc::clone(&queue), Arc::clone(&outstanding));
                thread::spawn(move || {
                    for i in 0..PER_PRODUCER / 4 {
                        if t % 2 == 1 {
                            let _ = queue.push(msg(t, i));
                            continue;
                        }
                        if queue.try_reserve(1).is_ok() {
                            outstanding.fetch_add(1, Ordering::SeqCst);
                            thread::yield_now();
                            outstanding.fetch_sub(1, Ordering::SeqCst);
                            if i % 8 == 0 {
                                queue.push_reserved(msg(t, i));
                            } else {
                                queue.release(1);
                            }
                        }
                    }
                })
            })
            .collect();
        let sampler = {
            let (queue, outstanding, done) = (
                Arc::clone(&queue),
                Arc::clone(&outstanding),
                Arc::clone(&done),
            );
            thread::spawn(move || {
                while !done.load(Ordering::SeqCst) {
                    let len = queue.len();
                    let held = outstanding.load(Ordering::SeqCst);
                    assert!(len + held <= max, "len {len} + held {held} > max {max}");
                }
            })
        };
        for worker in workers {
            worker.join().expect("worker");
        }
        done.store(true, Ordering::SeqCst);
        sampler.join().expect("sampler");
        let stats = queue.stats();
        check_conservation(&stats);
        assert!(stats.len <= max);
        // Every permit was used or released: the whole maximum can be held again once empty.
        queue.clear();
        queue.try_reserve(max).expect("nothing held");
        queue.release(max);
    }
}

/// Two producers push through permits, two push plainly, two consumers pop.
fn permits_and_pushes_deliver<E: Subject>() {
    const PRODUCERS: u64 = 4;
    for max in MAXIMUMS {
        let queue = Arc::new(E::with_config(config(max, Overflow::Reject)).expect("config"));
        let producing = Arc::new(AtomicUsize::new(PRODUCERS as usize));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (queue, producing) = (Arc::clone(&queue), Arc::clone(&producing));
                thread::spawn(move || {
                    for i in 0..PER_PRODUCER {
                        if p < 2 {
                            while queue.try_reserve(1).is_err() {
                                thread::yield_now();
                            }
                            queue.push_reserved(msg(p, i));
                        } else {
                            push_until_accepted(&*queue, msg(p, i));
                        }
                    }
                    producing.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let (queue, producing) = (Arc::clone(&queue), Arc::clone(&producing));
                thread::spawn(move || consume(&*queue, &producing, max))
            })
            .collect();
        for producer in producers {
            producer.join().expect("producer");
        }
        let mut seen: Vec<Vec<u64>> = consumers
            .into_iter()
            .map(|c| c.join().expect("consumer"))
            .collect();
        seen.push(queue.drain());
        let stats = queue.stats();
        check_conservation(&stats);
        assert_eq!(stats.dropped, 0);
        assert_eq!(stats.enqueued, PRODUCERS * PER_PRODUCER);
        check_delivery(&seen, PRODUCERS, PER_PRODUCER);
    }
}

/// Three producers under drop_oldest, one consumer: every message popped or evicted once.
fn drop_oldest_hands_over_exactly_once<E: Subject>() {
    const PRODUCERS: u64 = 3;
    for max in MAXIMUMS {
        let evicted = Arc::new(Mutex::new(Vec::new()));
        let mut lane = E::with_config(config(max, Overflow::DropOldest)).expect("config");
        let sink = Arc::clone(&evicted);
        Lane::set_hooks(
            &mut lane,
            &Hooks::new().evicted(move |m: u64| sink.lock().expect("sink").push(m)),
        );
        let queue = Arc::new(lane);
        let producing = Arc::new(AtomicUsize::new(PRODUCERS as usize));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (queue, producing) = (Arc::clone(&queue), Arc::clone(&producing));
                thread::spawn(move || {
                    for i in 0..PER_PRODUCER {
                        // Refused only while other pushes, admitted and not landed, fill
                        // every place (the lock-free engine; see its room notes).
                        push_until_accepted(&*queue, msg(p, i));
                    }
                    producing.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        let consumer = {
            let (queue, producing) = (Arc::clone(&queue), Arc::clone(&producing));
            thread::spawn(move || consume(&*queue, &producing, max))
        };
        for producer in producers {
            producer.join().expect("producer");
        }
        let mut popped = consumer.join().expect("consumer");
        popped.extend(queue.drain());
        let stats = queue.stats();
        check_conservation(&stats);
        let evicted = evicted.lock().expect("sink").clone();
        assert_eq!(stats.dropped, evicted.len() as u64);
        assert_eq!(stats.dequeued, popped.len() as u64);
        // Popped messages keep per-producer order; with evictions, all exactly once.
        check_delivery_with_gaps(&popped, PRODUCERS);
        let mut all: Vec<u64> = popped.iter().chain(evicted.iter()).copied().collect();
        all.sort_unstable();
        let unique: HashSet<u64> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len(), "a message popped or evicted twice");
        assert_eq!(all.len() as u64, PRODUCERS * PER_PRODUCER, "lost messages");
    }
}

/// Per-producer order in one sequence that may miss messages (they were evicted).
fn check_delivery_with_gaps(seen: &[u64], producers: u64) {
    let mut last = vec![None; producers as usize];
    for &m in seen {
        let (p, i) = ((m >> 32) as usize, m & 0xFFFF_FFFF);
        assert!(last[p] < Some(i), "producer {p} reordered at {i}");
        last[p] = Some(i);
    }
}

/// Random weights under a byte bound, with and without drop_oldest; producers, some with
/// permits, and a consumer. At quiescence `bytes` is the queued weight, within the bound.
fn bytes_add_up<E: Subject>() {
    for overflow in [Overflow::Reject, Overflow::DropOldest] {
        for max in MAXIMUMS {
            let bound = 3 * max + 4;
            let mut lane = E::with_config(config(max, overflow).max_bytes(bound)).expect("config");
            Lane::set_hooks(&mut lane, &Hooks::new().weight(weight));
            let queue = Arc::new(lane);
            let producers: Vec<_> = (0..3u64)
                .map(|p| {
                    let queue = Arc::clone(&queue);
                    thread::spawn(move || {
                        for i in 0..PER_PRODUCER / 4 {
                            let _ = queue.push(msg(p, i));
                            if i % 2 == 0 {
                                let _ = queue.pop();
                            }
                        }
                    })
                })
                .collect();
            for producer in producers {
                producer.join().expect("producer");
            }
            let stats = queue.stats();
            check_conservation(&stats);
            let queued = queue.drain();
            let sum: usize = queued.iter().map(weight).sum();
            assert_eq!(stats.bytes, sum, "{overflow:?} max {max}");
            assert!(sum <= bound, "{sum} bytes queued past the bound {bound}");
            assert_eq!(queue.stats().bytes, 0);
            // A message heavier than the bound alone is refused and evicts nothing.
            queue.push(msg(0, 0)).expect("room");
            let before = queue.stats().dropped;
            let heavy = (0..)
                .map(|i| msg(9, i))
                .find(|m| weight(m) > 3)
                .expect("heavy");
            let tight = {
                let mut lane = E::with_config(config(max, overflow).max_bytes(3)).expect("config");
                Lane::set_hooks(&mut lane, &Hooks::new().weight(weight));
                lane
            };
            assert!(tight.push(heavy).is_err());
            assert_eq!(tight.stats().dropped, 0);
            assert_eq!(queue.stats().dropped, before);
        }
    }
}

/// One test per engine for each helper.
macro_rules! on_both_engines {
    ($($helper:ident => $locked:ident, $lock_free:ident;)*) => {$(
        #[test]
        fn $locked() {
            $helper::<LockedQueue<u64>>();
        }

        #[test]
        fn $lock_free() {
            $helper::<LockFreeQueue<u64>>();
        }
    )*};
}

on_both_engines! {
    held_places_never_pass_the_maximum =>
        locked_held_places_never_pass_the_maximum, lock_free_held_places_never_pass_the_maximum;
    permits_and_pushes_deliver => locked_permits_and_pushes_deliver, lock_free_permits_and_pushes_deliver;
    drop_oldest_hands_over_exactly_once =>
        locked_drop_oldest_hands_over_exactly_once, lock_free_drop_oldest_hands_over_exactly_once;
    bytes_add_up => locked_bytes_add_up, lock_free_bytes_add_up;
}
