//! Deterministic checks of the capacity rules and of the seal/link hand-over, driving the
//! steps a racing thread would take by hand (the loom models explore the races themselves).

use super::LockFreeQueue;
use crate::config::Config;
use crate::error::PushError;
use crate::sync::Ordering;

fn queue(initial: usize, min: usize, max: usize) -> LockFreeQueue<u32> {
    let config = Config::new()
        .initial_capacity(initial)
        .min_capacity(min)
        .max_capacity(max)
        .growth_factor(2.0)
        .shrink_threshold(0.5);
    LockFreeQueue::new(config).expect("a valid test configuration")
}

/// Seals the open last ring as a thread that decided to resize it would, and returns
/// whether this call sealed it.
fn seal_last_ring(queue: &LockFreeQueue<u32>) -> bool {
    let last = queue.tail.load(Ordering::SeqCst);
    // SAFETY: the test is the only thread, so nothing is retired while it looks.
    unsafe { &*last }.seal()
}

#[test]
fn full_comes_only_at_the_maximum_after_a_partial_drain() {
    // A sealed ring used to count what it held when sealed until fully drained: with these
    // sizes the 501st push after popping 500 of 1000 was refused with 500 queued.
    let queue = queue(512, 512, 1000);
    queue.push_batch(0..1000).expect("room up to the maximum");
    assert_eq!(queue.pop_batch(500), (0..500).collect::<Vec<_>>());
    for value in 1000..1500 {
        queue.push(value).expect("fewer than max_capacity queued");
    }
    assert_eq!(queue.len(), 1000);
    assert_eq!(queue.push(1500), Err(PushError::Full(1500)));
    assert_eq!(queue.drain(), (500..1500).collect::<Vec<_>>());
}

#[test]
fn a_ring_filled_behind_a_shrink_leaves_no_room_until_a_pop() {
    // A consumer found the ring sparse, a producer then filled it to the maximum, and the
    // consumer's seal lands: no successor fits, so pushes are refused (the queue holds
    // max_capacity) until a pop makes room; it never holds more than the maximum.
    let queue = queue(2, 1, 2);
    queue.push(0).expect("room");
    queue.push(1).expect("room");
    assert!(seal_last_ring(&queue));
    assert_eq!(queue.push(2), Err(PushError::Full(2)));
    assert_eq!(queue.len(), 2);
    assert_eq!(queue.pop(), Some(0));
    queue.push(2).expect("a pop made room");
    assert_eq!(queue.len(), 2);
    assert_eq!(queue.push(3), Err(PushError::Full(3)));
    assert_eq!(queue.drain(), vec![1, 2]);
    queue.push(4).expect("an empty queue takes a push");
}

#[test]
fn a_sealer_that_never_links_holds_up_no_push_or_pop() {
    // The thread that sealed the ring stopped before linking a successor: the next push
    // links one itself, and order holds across the hand-over.
    let queue = queue(4, 4, 64);
    queue.push_batch(0..2).expect("room");
    assert!(seal_last_ring(&queue));
    queue
        .push_batch(2..10)
        .expect("the push links the successor");
    assert_eq!(queue.pop_batch(3), vec![0, 1, 2]);
    assert!(seal_last_ring(&queue));
    // Consumers link too: draining the sealed ring, the pop moves on to a fresh successor.
    assert_eq!(queue.drain(), (3..10).collect::<Vec<_>>());
    queue.push(10).expect("room");
    assert_eq!(queue.pop(), Some(10));
}

#[test]
fn capacity_counts_the_open_ring_and_what_sealed_rings_still_hold() {
    let queue = queue(4, 4, 1000);
    queue.push_batch(0..5).expect("room");
    assert_eq!(
        queue.capacity(),
        4 + 8,
        "the full first ring and its successor"
    );
    assert_eq!(queue.pop_batch(2), vec![0, 1]);
    assert_eq!(queue.capacity(), 2 + 8, "the sealed ring holds two now");
    assert!(queue.capacity() <= queue.config().get_max_capacity());
}
