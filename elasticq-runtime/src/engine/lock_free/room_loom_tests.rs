//! loom models of held places, drop_oldest and the room gate of the lock-free engine
//! (`room.rs`): the first reservation arming the gate while an ordinary push races it at the
//! maximum, a permit's push racing a pop, a release racing a push, and an eviction racing a
//! pop.
//!
//! Each model checks, over every interleaving loom explores, that queued messages plus held
//! places never exceed the maximum (through what the calls return: a push or reservation that
//! would pass it must be refused), that a permit's push lands, that every message is popped
//! or evicted exactly once, and that `enqueued == dequeued + dropped + len` once the threads
//! are done. Run with `loom_tests.rs`'s command.

use std::sync::Mutex;

use loom::sync::Arc;
use loom::thread;

use super::LockFreeQueue;
use crate::config::{Config, Overflow};
use crate::engine::room::{Hooks, NoRoom, Room};

/// A queue whose first ring has `initial` slots, that may grow to `max` and shrink to 1.
fn queue(initial: usize, max: usize, overflow: Overflow) -> LockFreeQueue<u8> {
    let config = Config::new()
        .initial_capacity(initial)
        .min_capacity(1)
        .max_capacity(max)
        .growth_factor(2.0)
        .shrink_threshold(0.5)
        .overflow(overflow);
    LockFreeQueue::new(config).expect("a valid model configuration")
}

/// Conservation at quiescence, and the queue's length.
fn check_conservation(queue: &LockFreeQueue<u8>, len: usize) {
    let stats = queue.stats();
    assert_eq!(stats.len, len);
    assert_eq!(
        stats.enqueued,
        stats.dequeued + stats.dropped + stats.len as u64,
        "{stats:?}"
    );
    assert!(stats.capacity <= queue.config().get_max_capacity());
}

/// (a) One message in a queue of two places: the first reservation (which arms the gate by
/// sealing the ring) races an ordinary push. Exactly one of them gets the last place; the
/// permit's push then lands, and the queue ends holding the maximum.
#[test]
fn arming_races_push_at_the_maximum() {
    loom::model(|| {
        let queue = Arc::new(queue(2, 2, Overflow::Reject));
        queue.push(0).expect("room");
        let pusher = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.push(1).is_ok())
        };
        let reserved = queue.try_reserve(1);
        let pushed = pusher.join().expect("pusher");
        assert!(
            reserved.is_ok() != pushed,
            "one place, two takers: reserved {reserved:?}, pushed {pushed}"
        );
        if reserved.is_ok() {
            assert_eq!(queue.push(3), Err(crate::error::PushError::Full(3)));
            queue.push_reserved(2);
        } else {
            assert_eq!(reserved, Err(NoRoom::Full));
        }
        check_conservation(&queue, 2);
        let drained = queue.drain();
        assert_eq!(drained, if pushed { vec![0, 1] } else { vec![0, 2] });
        // Everything given back: both places can be held again.
        queue.try_reserve(2).expect("the queue is empty");
        assert!(queue.try_reserve(1).is_err());
    });
}

/// (b) A full queue (one message, one held place): the permit's push races a pop. The push
/// lands (never refused, also after a close), FIFO holds, and nothing is lost.
#[test]
fn permit_push_races_pop() {
    loom::model(|| {
        let queue = Arc::new(queue(1, 2, Overflow::Reject));
        queue.push(0).expect("room");
        queue.try_reserve(1).expect("one place left");
        queue.close();
        let consumer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || (0..2).filter_map(|_| queue.pop()).collect::<Vec<u8>>())
        };
        queue.push_reserved(1);
        let mut seen = consumer.join().expect("consumer");
        seen.extend(queue.drain());
        assert_eq!(seen, vec![0, 1]);
        check_conservation(&queue, 0);
    });
}

/// (c) The only place is held; its release races an ordinary push. The push may be refused
/// (it came first) but then succeeds when retried, and never lands while the place is held.
#[test]
fn release_races_push() {
    loom::model(|| {
        let queue = Arc::new(queue(1, 1, Overflow::Reject));
        queue.try_reserve(1).expect("empty");
        let releaser = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.release(1))
        };
        let first = queue.push(7);
        releaser.join().expect("releaser");
        if let Err(refused) = first {
            assert_eq!(refused.into_inner(), 7);
            queue.push(7).expect("released");
        }
        assert_eq!(queue.try_reserve(1), Err(NoRoom::Full));
        check_conservation(&queue, 1);
        assert_eq!(queue.pop(), Some(7));
    });
}

/// (d) Under drop_oldest, a push into a full queue evicts the oldest message while a consumer
/// pops: each message is popped or evicted exactly once, the push succeeds, and the eviction
/// is counted in `dropped`, not in `dequeued`.
#[test]
fn eviction_races_pop() {
    loom::model(|| {
        let evicted = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut lane = queue(1, 1, Overflow::DropOldest);
        let sink = std::sync::Arc::clone(&evicted);
        lane.set_hooks(Hooks::new().evicted(move |m: u8| sink.lock().expect("sink").push(m)));
        let queue = Arc::new(lane);
        queue.push(0).expect("room");
        let consumer = {
            let queue = Arc::clone(&queue);
            thread::spawn(move || queue.pop())
        };
        queue.push(1).expect("drop_oldest makes room");
        let popped = consumer.join().expect("consumer");
        let evicted = evicted.lock().expect("sink").clone();
        let mut all: Vec<u8> = popped.into_iter().chain(evicted.iter().copied()).collect();
        all.extend(queue.drain());
        all.sort_unstable();
        assert_eq!(
            all,
            vec![0, 1],
            "each message popped or evicted exactly once"
        );
        assert_eq!(queue.stats().dropped, evicted.len() as u64);
        check_conservation(&queue, 0);
    });
}
