//! What the lock guards: the ring, its logical capacity, the counters and the waiter
//! counts, with the growth and shrink rules every call applies under the lock; and the guard
//! that publishes the length when the lock is released.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::MutexGuard;

use crate::config::{Config, Overflow};
use crate::engine::sojourn::Follower;
use crate::engine::Hooks;

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
    /// Of `rejected`, refused because the queue was closed.
    pub(super) rejected_closed: u64,
    pub(super) resizes: u64,
    /// Messages evicted under `Overflow::DropOldest`.
    pub(super) dropped: u64,
    /// Places held by permits: counted against `max_capacity` with the queued messages.
    pub(super) reserved: usize,
    /// The summed weight of the queued messages.
    pub(super) bytes: usize,
    /// Threads asleep on `not_empty` / `not_full`.
    pub(super) pop_waiters: usize,
    pub(super) push_waiters: usize,
    /// The message followed for the time-in-queue histogram (a labelled queue only), by its
    /// position: the pushes before it, and the removals (pops and evictions) before its own.
    pub(super) follower: Option<Follower>,
}

/// What a push under the lock found.
pub(super) enum Room {
    Available,
    Full,
    Closed,
}

impl<T> State<T> {
    /// Makes room for one more message of `weight`, growing the queue if it may, or under
    /// `Overflow::DropOldest` evicting the oldest messages into `evicted` until it fits.
    pub(super) fn make_room(
        &mut self,
        config: &Config,
        hooks: &Hooks<T>,
        weight: usize,
        evicted: &mut Vec<T>,
    ) -> Room {
        if self.closed {
            return Room::Closed;
        }
        if !self.has_place(config, weight) {
            // Evict only when that is sure to make the place: once the lane is empty, a
            // message that fits alone has it unless permits hold every place. So an evicted
            // message always goes with a successful push.
            let can_evict = config.get_overflow() == Overflow::DropOldest
                && fits_alone(config, weight)
                && self.reserved < config.get_max_capacity();
            if !can_evict {
                return Room::Full;
            }
            while !self.has_place(config, weight) {
                match self.evict_oldest(hooks) {
                    Some(oldest) => evicted.push(oldest),
                    None => break,
                }
            }
        }
        self.grow_for_one(config);
        Room::Available
    }

    /// Whether a message of `weight` may join: queued and held places below the maximum,
    /// and the byte bound not passed.
    fn has_place(&self, config: &Config, weight: usize) -> bool {
        self.items.len() + self.reserved < config.get_max_capacity()
            && config
                .get_max_bytes()
                .is_none_or(|max| self.bytes.saturating_add(weight) <= max)
    }

    /// Grows the ring when it is full; the caller has checked that the maximum allows one
    /// more message, so a full ring is below the maximum.
    pub(super) fn grow_for_one(&mut self, config: &Config) {
        if self.items.len() < self.capacity {
            return;
        }
        let grown = config.grown(self.capacity).min(config.get_max_capacity());
        if grown > self.capacity {
            self.items.reserve_exact(grown - self.items.len());
            self.capacity = grown;
            self.resizes += 1;
        }
    }

    /// Removes the oldest message as an eviction (counted in `dropped`, not `dequeued`).
    pub(super) fn evict_oldest(&mut self, hooks: &Hooks<T>) -> Option<T> {
        let oldest = self.items.pop_front()?;
        self.removed(1);
        self.dropped += 1;
        self.bytes = self.bytes.saturating_sub(hooks.weigh(&oldest));
        Some(oldest)
    }

    /// A single push queues a message: followed if the push was sampled.
    pub(super) fn pushed_one(&self) {
        if let Some(follower) = &self.follower {
            follower.pushed(0, self.enqueued);
        }
    }

    /// `count` messages are about to leave (before the counts move).
    fn removed(&self, count: u64) {
        if let (Some(follower), true) = (&self.follower, count > 0) {
            let first = self.dequeued + self.dropped;
            follower.popped_through(0, first, first + count - 1);
        }
    }

    /// Appends a message that has its place, with its weight.
    pub(super) fn append(&mut self, value: T, weight: usize) {
        self.items.push_back(value);
        self.bytes = self.bytes.saturating_add(weight);
    }

    /// Takes the oldest message (counted in `dequeued`), then shrinks if the queue is sparse.
    pub(super) fn take_one(&mut self, config: &Config, hooks: &Hooks<T>) -> Option<T> {
        let value = self.items.pop_front()?;
        self.removed(1);
        self.dequeued += 1;
        if hooks.weight.is_some() {
            self.bytes = self.bytes.saturating_sub(hooks.weigh(&value));
        }
        self.shrink_if_sparse(config);
        Some(value)
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

    pub(super) fn take_front(&mut self, max: usize, config: &Config, hooks: &Hooks<T>) -> Vec<T> {
        let n = max.min(self.items.len());
        let taken: Vec<T> = self.items.drain(..n).collect();
        self.removed(n as u64);
        self.dequeued += n as u64;
        if hooks.weight.is_some() {
            let weight: usize = taken.iter().map(|value| hooks.weigh(value)).sum();
            self.bytes = self.bytes.saturating_sub(weight);
        }
        self.shrink_if_sparse(config);
        taken
    }
}

/// Whether a message of `weight` fits in an empty lane: one heavier than the byte bound never
/// does, so evicting for it would empty the lane for nothing.
fn fits_alone(config: &Config, weight: usize) -> bool {
    config.get_max_bytes().is_none_or(|max| weight <= max)
}
