//! loom models of the wake-up pairing: a waiter that registers while a notifier publishes
//! must either see the change on its second look or be woken. The notifier pays no fence, so
//! the "queue" is changed the way the engines change theirs: a counter of items changed by
//! SeqCst read-modify-writes and looked at with SeqCst loads (the lock-free engine's ring
//! words), or items under a mutex with a published length that only a strict second look
//! bypasses (the locked engine). A lost wake-up leaves a `block_on` parked forever, which
//! loom reports as a deadlock.
//!
//! loom treats SeqCst loads and read-modify-writes as AcqRel (its documented limitation), so
//! it cannot check the first pairing itself, which rests on the single total order of SeqCst
//! operations; under loom `notify_*` adds a SeqCst fence standing in for that order. The
//! models check the rest: registration, the second look, hand-over and cancellation.

use std::future::poll_fn;
use std::task::Poll;

use loom::sync::atomic::AtomicUsize;
use loom::sync::Arc;
use loom::thread;

use super::{Signal, Waiter};
use crate::sync::Ordering;

/// Takes one item if there is one.
fn take(items: &AtomicUsize) -> bool {
    let mut count = items.load(Ordering::SeqCst);
    while count > 0 {
        match items.compare_exchange(count, count - 1, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return true,
            Err(now) => count = now,
        }
    }
    false
}

/// Waits, as `pop_async` does, until an item is taken.
fn wait_for_item(signal: &Signal, items: &AtomicUsize) {
    let mut waiter = Waiter::new(signal);
    loom::future::block_on(poll_fn(|cx| loop {
        if take(items) {
            waiter.disarm();
            return Poll::Ready(());
        }
        if !waiter.arm(cx) {
            return Poll::Pending;
        }
    }));
}

#[test]
fn loom_a_waiter_racing_a_notify_is_woken() {
    loom::model(|| {
        let signal = Arc::new(Signal::new());
        let items = Arc::new(AtomicUsize::new(0));
        let producer = {
            let (signal, items) = (Arc::clone(&signal), Arc::clone(&items));
            thread::spawn(move || {
                items.fetch_add(1, Ordering::SeqCst);
                signal.notify_one();
            })
        };
        wait_for_item(&signal, &items);
        producer.join().unwrap();
        assert_eq!(items.load(Ordering::Relaxed), 0);
    });
}

#[test]
fn loom_two_waiters_two_items_both_woken() {
    loom::model(|| {
        let signal = Arc::new(Signal::new());
        let items = Arc::new(AtomicUsize::new(0));
        let other = {
            let (signal, items) = (Arc::clone(&signal), Arc::clone(&items));
            thread::spawn(move || wait_for_item(&signal, &items))
        };
        let producer = {
            let (signal, items) = (Arc::clone(&signal), Arc::clone(&items));
            thread::spawn(move || {
                for _ in 0..2 {
                    items.fetch_add(1, Ordering::SeqCst);
                    signal.notify_one();
                }
            })
        };
        wait_for_item(&signal, &items);
        other.join().unwrap();
        producer.join().unwrap();
    });
}

#[test]
fn loom_a_cancelled_waiter_passes_its_wake_up_on() {
    // This thread registers first, so a notify while both wait goes to it; it is then
    // dropped (cancelled) at whatever point the model picks, perhaps holding the only
    // notification: the other waiter must still get the item.
    loom::model(|| {
        let signal = Arc::new(Signal::new());
        let items = Arc::new(AtomicUsize::new(0));
        let mut cancelled = Waiter::new(&signal);
        cancelled.arm(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        let consumer = {
            let (signal, items) = (Arc::clone(&signal), Arc::clone(&items));
            thread::spawn(move || wait_for_item(&signal, &items))
        };
        let producer = {
            let (signal, items) = (Arc::clone(&signal), Arc::clone(&items));
            thread::spawn(move || {
                items.fetch_add(1, Ordering::SeqCst);
                signal.notify_one();
            })
        };
        drop(cancelled);
        consumer.join().unwrap();
        producer.join().unwrap();
    });
}

#[test]
fn loom_a_waiter_satisfied_by_its_recheck_passes_a_later_wake_up_on() {
    // This thread looks (nothing), a push lands before it registers (so its notify finds
    // nobody), then it registers, first of the two waiters, and its re-check takes that item.
    // Until it disarms, it is still registered: the second item's notify may land on it
    // while the other waiter sleeps. That wake-up must reach the other waiter.
    loom::model(|| {
        let signal = Arc::new(Signal::new());
        let items = Arc::new(AtomicUsize::new(0));
        let mut waiter = Waiter::new(&signal);
        assert!(!take(&items), "first look: nothing yet");
        items.fetch_add(1, Ordering::SeqCst);
        signal.notify_one();
        assert!(waiter.arm(&mut std::task::Context::from_waker(std::task::Waker::noop())));
        let other = {
            let (signal, items) = (Arc::clone(&signal), Arc::clone(&items));
            thread::spawn(move || wait_for_item(&signal, &items))
        };
        let producer = {
            let (signal, items) = (Arc::clone(&signal), Arc::clone(&items));
            thread::spawn(move || {
                items.fetch_add(1, Ordering::SeqCst);
                signal.notify_one();
            })
        };
        // The re-check, then the rest of the wait as `pop_async` does it (the other waiter
        // may have taken the first item).
        loom::future::block_on(poll_fn(|cx| loop {
            if take(&items) {
                waiter.disarm();
                return Poll::Ready(());
            }
            if !waiter.arm(cx) {
                return Poll::Pending;
            }
        }));
        other.join().unwrap();
        producer.join().unwrap();
        assert_eq!(items.load(Ordering::Relaxed), 0);
    });
}

/// A locked engine in miniature: items under a mutex, and the length published when the lock
/// is released, which a pop trusts unless it is a waiter's strict second look.
struct LockedItems {
    items: loom::sync::Mutex<usize>,
    published: AtomicUsize,
}

impl LockedItems {
    fn push(&self) {
        let mut items = self.items.lock().unwrap();
        *items += 1;
        self.published.store(*items, Ordering::Release);
    }

    fn take(&self, strict: bool) -> bool {
        if !strict && self.published.load(Ordering::Acquire) == 0 {
            return false;
        }
        let mut items = self.items.lock().unwrap();
        if *items == 0 {
            return false;
        }
        *items -= 1;
        self.published.store(*items, Ordering::Release);
        true
    }
}

#[test]
fn loom_a_strict_second_look_pairs_with_a_push_under_a_lock() {
    loom::model(|| {
        let signal = Arc::new(Signal::new());
        let queue = Arc::new(LockedItems {
            items: loom::sync::Mutex::new(0),
            published: AtomicUsize::new(0),
        });
        let producer = {
            let (signal, queue) = (Arc::clone(&signal), Arc::clone(&queue));
            thread::spawn(move || {
                queue.push();
                signal.notify_one();
            })
        };
        let mut waiter = Waiter::new(&signal);
        let mut second_look = false;
        loom::future::block_on(poll_fn(|cx| loop {
            if queue.take(second_look) {
                waiter.disarm();
                return Poll::Ready(());
            }
            if !waiter.arm(cx) {
                return Poll::Pending;
            }
            second_look = true;
        }));
        producer.join().unwrap();
    });
}
