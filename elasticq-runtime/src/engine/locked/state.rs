//! What the lock guards: the ring, its logical capacity, the counters and the waiter
//! counts, with the growth and shrink rules every call applies under the lock; and the guard
//! that publishes the length when the lock is released.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::MutexGuard;

use crate::config::Config;

/// The lock held on a queue's state; releasing it publishes the length to `len_hint`, so
/// every change made under the lock is reflected there by the time the lock is free.
pub(super) struct Locked<'a, T> {
    pub(super) guard: MutexGuard<'a, State<T>>,
    pub(super) len_hint: &'a AtomicUsize,
}

impl<T> Deref for Locked<'_, T> {
    type Target = State<T>;
    fn deref(&self) -> &State<T> {
        &self.guard
    }
}

impl<T> DerefMut for Locked<'_, T> {
    fn deref_mut(&mut self) -> &mut State<T> {
        &mut self.guard
    }
}

impl<T> Drop for Locked<'_, T> {
    fn drop(&mut self) {
        self.len_hint
            .store(self.guard.items.len(), Ordering::Release);
    }
}

pub(super) struct State<T> {
    pub(super) items: VecDeque<T>,
    pub(super) capacity: usize,
    pub(super) closed: bool,
    pub(super) enqueued: u64,
    pub(super) dequeued: u64,
    pub(super) rejected: u64,
    pub(super) resizes: u64,
    /// Threads asleep on `not_empty` / `not_full`.
    pub(super) pop_waiters: usize,
    pub(super) push_waiters: usize,
}

/// What a push under the lock found.
pub(super) enum Room {
    Available,
    Full,
    Closed,
}

impl<T> State<T> {
    /// Makes room for one more message if the queue may grow.
    pub(super) fn make_room(&mut self, config: &Config) -> Room {
        if self.closed {
            return Room::Closed;
        }
        if self.items.len() < self.capacity {
            return Room::Available;
        }
        if self.capacity >= config.get_max_capacity() {
            return Room::Full;
        }
        let grown = config.grown(self.capacity).min(config.get_max_capacity());
        self.items.reserve_exact(grown - self.items.len());
        self.capacity = grown;
        self.resizes += 1;
        Room::Available
    }

    pub(super) fn shrink_if_sparse(&mut self, config: &Config) {
        let len = self.items.len();
        if config.should_shrink(self.capacity, len) {
            let target = config.shrunk(self.capacity, len);
            if target < self.capacity {
                self.items.shrink_to(target);
                self.capacity = target;
                self.resizes += 1;
            }
        }
    }

    pub(super) fn take_front(&mut self, max: usize, config: &Config) -> Vec<T> {
        let n = max.min(self.items.len());
        let taken: Vec<T> = self.items.drain(..n).collect();
        self.dequeued += n as u64;
        self.shrink_if_sparse(config);
        taken
    }
}
