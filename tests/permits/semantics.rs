//! What a permit guarantees, on each composition: a held place is counted against the
//! lane's maximum (plain pushes are refused while permits fill it), `push` through a permit
//! is never refused (not even after a close), dropping a permit gives its place back, and a
//! multi-lane queue holds the place in the lane of the message it was asked for.

use elasticq::{Closed, NoRoom, PushError};

use crate::common::*;

/// A single-lane queue's permits against its maximum, on either engine.
macro_rules! single_lane_permits {
    ($name:ident, $queue:ident, $message:ident) => {
        #[test]
        fn $name() {
            let queue = $queue::new().unwrap();
            let message = |seq| $message { producer: 0, seq };
            let held: Vec<_> = (0..MAX - 1).map(|_| queue.try_reserve().unwrap()).collect();
            queue.push(message(0)).unwrap();
            // Held places and the one message fill the maximum.
            assert_eq!(queue.try_reserve().err(), Some(NoRoom::Full));
            assert!(matches!(queue.push(message(1)), Err(PushError::Full(_))));
            for (seq, permit) in (1..).zip(held) {
                permit.push(message(seq));
            }
            assert_eq!(queue.len(), MAX);
            assert_eq!(
                queue.drain().iter().map(|m| m.seq).collect::<Vec<_>>(),
                vec![0, 1, 2, 3]
            );
            // Unused permits give their places back.
            let many = queue.try_reserve_many(MAX).unwrap();
            assert_eq!(many.len(), MAX);
            assert!(matches!(queue.push(message(9)), Err(PushError::Full(_))));
            drop(many);
            queue.push_batch((0..MAX as u32).map(message)).unwrap();
            assert_eq!(queue.stats().enqueued, 2 * MAX as u64);
        }
    };
}

single_lane_permits!(
    locked_permits_count_against_the_maximum,
    LockedQueue,
    Locked
);
single_lane_permits!(lock_free_permits_count_against_the_maximum, FreeQueue, Free);

#[test]
fn a_permit_granted_before_a_close_still_pushes() {
    let queue = LockedQueue::new().unwrap();
    let permit = queue.try_reserve().unwrap();
    queue.close();
    assert_eq!(queue.try_reserve().err(), Some(NoRoom::Closed));
    permit.push(Locked {
        producer: 0,
        seq: 7,
    });
    assert_eq!(queue.pop().map(|m| m.seq), Some(7));
    assert_eq!(queue.pop(), None);
}

#[test]
fn reserve_many_beyond_the_maximum_is_refused_at_once() {
    runtime().block_on(async {
        let queue = FreeQueue::new().unwrap();
        assert_eq!(queue.reserve_many(MAX + 1).await.err(), Some(NoRoom::Full));
        let all = queue.reserve_many(MAX).await.unwrap();
        assert_eq!(all.len(), MAX);
    });
}

#[test]
fn reserve_waits_for_room_and_fails_only_on_close() {
    runtime().block_on(async {
        let queue = std::sync::Arc::new(LockedQueue::new().unwrap());
        let held = queue.try_reserve_many(MAX).unwrap();
        let waiting = tokio::spawn({
            let queue = std::sync::Arc::clone(&queue);
            async move {
                let permit = queue.reserve().await.expect("open");
                permit.push(Locked {
                    producer: 1,
                    seq: 1,
                });
                queue.reserve().await.map(drop)
            }
        });
        tokio::task::yield_now().await;
        // Giving the places back wakes the waiting task, which takes one and pushes.
        drop(held);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let all_but_one = queue.try_reserve_many(MAX - 1).unwrap();
        queue.close();
        let second = tokio::time::timeout(HANG, waiting).await.unwrap().unwrap();
        // The second reserve either found no room and then the close, or got the place
        // before `all_but_one` took the rest: either way it never ends Full.
        assert!(matches!(second, Ok(()) | Err(Closed)));
        drop(all_but_one);
        assert_eq!(queue.pop().map(|m| m.seq), Some(1));
    });
}

#[test]
fn priority_levels_hold_the_place_in_the_messages_level() {
    let queue = RankedQueue::new().unwrap();
    let high = |seq| Ranked {
        level: Level::High,
        seq,
    };
    let low = |seq| Ranked {
        level: Level::Low,
        seq,
    };
    let permits: Vec<_> = (0..MAX)
        .map(|_| queue.try_reserve_for(&high(0)).unwrap())
        .collect();
    // The high level is held full; the low level is untouched.
    assert_eq!(queue.try_reserve_for(&high(0)).err(), Some(NoRoom::Full));
    assert!(matches!(queue.push(high(1)), Err(PushError::Full(_))));
    queue.push(low(2)).unwrap();
    for (seq, permit) in (10..).zip(permits) {
        permit.push(high(seq));
    }
    assert_eq!(queue.len_priority(Level::High), MAX);
    assert_eq!(queue.pop().map(|m| m.seq), Some(10));
}

#[test]
fn partitions_hold_the_place_in_the_messages_partition() {
    let queue = KeyedQueue::new().unwrap();
    let keyed = |key, seq| Keyed { key, seq };
    let first = queue.partition_of(&0);
    let other = (1..100)
        .find(|key| queue.partition_of(key) != first)
        .expect("two partitions");
    let permits: Vec<_> = (0..MAX)
        .map(|_| queue.try_reserve_for(&keyed(0, 0)).unwrap())
        .collect();
    assert!(matches!(queue.push(keyed(0, 1)), Err(PushError::Full(_))));
    queue.push(keyed(other, 2)).unwrap();
    for (seq, permit) in (10..).zip(permits) {
        permit.push(keyed(0, seq));
    }
    assert_eq!(
        queue
            .pop_batch_from(first, 10)
            .iter()
            .map(|m| m.seq)
            .collect::<Vec<_>>(),
        vec![10, 11, 12, 13]
    );
}

#[test]
fn a_labelled_queue_counts_permit_pushes() {
    let queue = LabelledQueue::new().unwrap();
    let permit = queue.try_reserve().unwrap();
    permit.push(Labelled { seq: 1 });
    drop(queue.try_reserve().unwrap());
    let stats = queue.stats();
    assert_eq!((stats.enqueued, stats.len), (1, 1));
    assert_eq!(queue.pop(), Some(Labelled { seq: 1 }));
}
