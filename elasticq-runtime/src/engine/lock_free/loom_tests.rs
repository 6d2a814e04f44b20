//! loom models of the lock-free engine: pushes and pops racing with growth (a producer seals
//! a full ring and links a larger one) and with shrink (a consumer seals a sparse ring and
//! links a smaller one), consumers racing to retire a sealed ring, and a retirement replacing
//! a ring cut short by the maximum while a producer pushes into it.
//!
//! Each model checks, over every interleaving loom explores, that nothing is lost or
//! duplicated, that one producer's messages come out in push order, and that the capacity
//! accounting returns to a consistent value. Run them with
//! `RUSTFLAGS="--cfg loom" cargo test -p elasticq-runtime --release --lib loom`;
//! `LOOM_MAX_PREEMPTIONS` (default 2 in `.ci/run`) bounds the search.

use loom::sync::Arc;
use loom::thread;

use super::LockFreeQueue;
use crate::config::Config;

/// A queue whose first ring has `initial` slots, that may grow to `max` and shrink to 1.
fn queue(initial: usize, max: usize) -> Arc<LockFreeQueue<(u8, u8)>> {
    let config = Config::new()
        .initial_capacity(initial)
        .min_capacity(1)
        .max_capacity(max)
        .growth_factor(2.0)
        .shrink_threshold(0.5);
    Arc::new(LockFreeQueue::new(config).expect("a valid model configuration"))
}

/// Checks the messages a set of consumers saw: each consumer saw each producer's messages in
/// push order, and together they saw every message `0..per_producer` of every producer
/// exactly once.
fn check_delivery(seen_by_consumer: &[Vec<(u8, u8)>], producers: u8, per_producer: u8) {
    for seen in seen_by_consumer {
        for producer in 0..producers {
            let order: Vec<u8> = seen
                .iter()
                .filter(|(p, _)| *p == producer)
                .map(|(_, i)| *i)
                .collect();
            assert!(
                order.windows(2).all(|w| w[0] < w[1]),
                "producer {producer} reordered: {order:?}"
            );
        }
    }
    let mut all: Vec<(u8, u8)> = seen_by_consumer.iter().flatten().copied().collect();
    all.sort_unstable();
    let expected: Vec<(u8, u8)> = (0..producers)
        .flat_map(|p| (0..per_producer).map(move |i| (p, i)))
        .collect();
    assert_eq!(all, expected, "lost or duplicated messages");
}

/// Pops up to `attempts` times, keeping what it got.
fn pop_some(queue: &LockFreeQueue<(u8, u8)>, attempts: usize) -> Vec<(u8, u8)> {
    (0..attempts).filter_map(|_| queue.pop()).collect()
}

/// Spawns a producer that pushes `(producer, i)` for each `i` in `seqs`, each push expected to
/// succeed (the models stay below the maximum).
fn spawn_producer(
    queue: &Arc<LockFreeQueue<(u8, u8)>>,
    producer: u8,
    seqs: std::ops::Range<u8>,
) -> thread::JoinHandle<()> {
    let queue = Arc::clone(queue);
    thread::spawn(move || {
        for i in seqs {
            queue.push((producer, i)).expect("below the maximum");
        }
    })
}

/// Checks what an emptied queue reports once every thread is done.
fn check_quiescent(queue: &LockFreeQueue<(u8, u8)>, pushed: u64) {
    let stats = queue.stats();
    assert_eq!(
        (stats.enqueued, stats.dequeued, stats.len),
        (pushed, pushed, 0)
    );
    assert!(stats.capacity >= 1 && stats.capacity <= queue.config().get_max_capacity());
}

/// Two producers overflow a one-slot ring at once: one seals and grows, the other must land
/// in the successor (or win the slot), never fail and never be lost.
#[test]
fn concurrent_producers_race_growth() {
    loom::model(|| {
        let queue = queue(1, 4);
        let producers: Vec<_> = (0..2u8).map(|p| spawn_producer(&queue, p, 0..2)).collect();
        for producer in producers {
            producer.join().expect("producer");
        }
        let drained = queue.drain();
        check_delivery(&[drained], 2, 2);
        check_quiescent(&queue, 4);
    });
}

/// A producer grows the queue while a consumer pops across the sealed ring and into its
/// successor.
#[test]
fn pop_races_growth() {
    loom::model(|| {
        let queue = queue(1, 4);
        let producer = spawn_producer(&queue, 0, 0..3);
        let mut seen = pop_some(&queue, 2);
        producer.join().expect("producer");
        seen.extend(queue.drain());
        check_delivery(&[seen], 1, 3);
        check_quiescent(&queue, 3);
    });
}

/// A consumer shrinks a sparse ring (sealing it and linking a smaller one) while a producer
/// pushes: the pushes that hit the sealed ring move to the successor in order.
#[test]
fn push_races_shrink() {
    loom::model(|| {
        let queue = queue(4, 8);
        queue.push((0, 0)).expect("room");
        let producer = spawn_producer(&queue, 0, 1..3);
        // Popping the only message leaves the ring empty: below the shrink threshold.
        let mut seen = pop_some(&queue, 2);
        producer.join().expect("producer");
        seen.extend(queue.drain());
        check_delivery(&[seen], 1, 3);
        check_quiescent(&queue, 3);
    });
}

/// Two consumers finish a sealed ring at once: exactly one retires it, both move on to the
/// successor, and a concurrent push lands after the older messages.
#[test]
fn consumers_race_retirement() {
    loom::model(|| {
        let queue = queue(1, 4);
        // Two messages in a one-slot ring: the first ring is sealed, the second holds (0, 1).
        queue.push((0, 0)).expect("room");
        queue.push((0, 1)).expect("room");
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || pop_some(&queue, 2))
            })
            .collect();
        queue.push((0, 2)).expect("below the maximum");
        let mut seen: Vec<Vec<(u8, u8)>> = consumers
            .into_iter()
            .map(|c| c.join().expect("consumer"))
            .collect();
        seen.push(queue.drain());
        check_delivery(&seen, 1, 3);
        check_quiescent(&queue, 3);
    });
}

/// At the maximum, a push is refused with its value handed back, and once a consumer has
/// taken a message a retried push succeeds: the capacity a retired ring held is returned.
#[test]
fn full_at_maximum_recovers_after_pop() {
    loom::model(|| {
        let queue = queue(1, 2);
        queue.push((0, 0)).expect("room");
        queue.push((0, 1)).expect("grows to the maximum");
        let consumer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || pop_some(&queue, 1))
        };
        let refused_or_taken = queue.push((0, 2));
        let mut seen = consumer.join().expect("consumer");
        let mut pushed = 2;
        match refused_or_taken {
            Ok(()) => pushed += 1,
            Err(error) => {
                assert_eq!(error.into_inner(), (0, 2), "the value comes back");
                // The consumer popped; the retry must find room.
                queue.push((0, 2)).expect("room after a pop");
                pushed += 1;
            }
        }
        seen.extend(queue.drain());
        check_delivery(&[seen], 1, pushed);
        check_quiescent(&queue, u64::from(pushed));
    });
}

/// Growth near the maximum installs a ring cut short to the room left (here one slot below a
/// minimum of two). A consumer that retires the older ring replaces the short one while a
/// producer pushes into it: nothing is lost or reordered, and the queue ends at or above its
/// minimum.
#[test]
fn retirement_restores_short_ring_under_push() {
    loom::model(|| {
        let config = Config::new()
            .initial_capacity(2)
            .min_capacity(2)
            .max_capacity(3)
            .growth_factor(2.0)
            .shrink_threshold(0.5);
        let queue = Arc::new(LockFreeQueue::new(config).expect("a valid model configuration"));
        queue.push((0, 0)).expect("room");
        queue.push((0, 1)).expect("room");
        queue.push((0, 2)).expect("grows into a one-slot ring");
        let producer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.push((1, 0)).is_ok())
        };
        let mut seen = pop_some(&queue, 3);
        let pushed_late = producer.join().expect("producer");
        seen.extend(queue.drain());
        let mut producers = 1;
        if pushed_late {
            producers = 2;
            let late: Vec<_> = seen.iter().filter(|(p, _)| *p == 1).copied().collect();
            assert_eq!(late, vec![(1, 0)], "the late push is seen exactly once");
        }
        let early: Vec<_> = seen.iter().filter(|(p, _)| *p == 0).copied().collect();
        assert_eq!(early, vec![(0, 0), (0, 1), (0, 2)], "lost or reordered");
        let stats = queue.stats();
        assert_eq!(stats.len, 0);
        assert_eq!(stats.enqueued, 3 + u64::from(pushed_late));
        assert!(
            stats.capacity >= 2 && stats.capacity <= 3,
            "capacity {} outside [min, max] = [2, 3] with {producers} producer(s)",
            stats.capacity
        );
    });
}

/// A consumer's shrink races a producer at a maximum of 2: the ring may fill between the
/// consumer's look (one message, sparse) and its seal, and then no successor fits until a
/// pop makes room. The queue never holds more than 2, nothing is lost or reordered, and once
/// every call has returned a push into the emptied queue succeeds.
#[test]
fn shrink_racing_pushes_at_the_maximum_stays_within_it() {
    loom::model(|| {
        let queue = queue(2, 2);
        queue.push((0, 0)).expect("room");
        let producer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                let mut pushed = vec![(0, 0)];
                // Three more: enough to exceed the maximum if a successor were linked
                // beside the full ring.
                for i in 1..4 {
                    if queue.push((0, i)).is_ok() {
                        pushed.push((0, i));
                    }
                    assert!(queue.len() <= 2, "more than max_capacity queued");
                }
                pushed
            })
        };
        let mut seen = pop_some(&queue, 1);
        assert!(queue.len() <= 2, "more than max_capacity queued");
        let pushed = producer.join().expect("producer");
        seen.extend(queue.drain());
        assert_eq!(seen, pushed, "lost, duplicated or reordered");
        queue
            .push((1, 0))
            .expect("an empty queue at a quiescent point takes a push");
        assert_eq!(queue.drain(), vec![(1, 0)]);
    });
}

/// A thread that seals the last ring and then stops for good, before linking a successor
/// (the model seals it by hand and never links), holds up no one: a producer and a consumer
/// both finish, whichever meets the sealed ring first (the producer refused by it, or the
/// consumer that drained it) links its successor and the other uses that one, and nothing
/// is lost or reordered.
#[test]
fn a_sealer_that_stops_before_linking_blocks_no_one() {
    loom::model(|| {
        let queue = queue(1, 4);
        queue.push((0, 0)).expect("room");
        let last = queue.tail.load(crate::sync::Ordering::SeqCst);
        // SAFETY: no thread has retired anything yet, so the ring `tail` points at is alive.
        assert!(unsafe { &*last }.seal(), "the model's seal is the first");
        let producer = spawn_producer(&queue, 1, 0..1);
        let mut seen = vec![pop_some(&queue, 2)];
        producer.join().expect("producer");
        seen.push(queue.drain());
        check_delivery(&seen, 2, 1);
        check_quiescent(&queue, 2);
    });
}
