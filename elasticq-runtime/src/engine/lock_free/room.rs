//! Held places, byte bounds and `Overflow::DropOldest` for `LockFreeQueue`: a gate fixed in
//! each ring, and one counter of claims bounded against the dequeued position.
//!
//! # The gate
//! A ring is *gated* when it is made after the gate was armed (`Segment::gate`, fixed at
//! construction). The first reservation arms it: it sets `armed` (SeqCst), then seals the
//! last ring and links its successor, which is gated because its linker reads `armed` after
//! it saw the seal (`link_successor`). A queue with a byte bound or drop_oldest is gated from
//! its first ring; `set_hooks` with a weight gates every ring (it has `&mut`).
//!
//! The successor of a gated ring is gated with the same *baseline*: the base of the first
//! gated ring, that is the number of pushes into the ungated rings before it. So:
//! - every push into an ungated ring is in the baseline: those rings are all sealed by the
//!   time the first gated ring is linked, and their final tails sum to its base;
//! - every push into a gated ring read the gate when it loaded the ring (`push_pinned`), and
//!   went through admission first. No push can read "ungated" and land uncounted after the
//!   baseline was taken, because the baseline is what the ungated rings hold, not a moment.
//!
//! Nothing is read by an ungated push but the ring's `gate` field, on the cache line of the
//! ring's capacity and slots, which the push reads anyway: no atomic, no read-modify-write.
//! Pops read `hooks.weight`, a field of the queue fixed before it is shared.
//!
//! # Admission
//! `admitted` counts, from the baseline, the admitted pushes plus the places held. With `D`
//! the dequeued position (pops and evictions claimed, only growing), the invariant is
//! `baseline + admitted - D <= max_capacity`: a claim (`try_admit`) is a compare-exchange of
//! `admitted` checked against a lower bound of `D` (`seen_dequeued`, re-read from the head
//! ring only when the check fails). Since `baseline + admitted` counts every message pushed
//! or still to be pushed into a gated ring and every held place, queued messages plus held
//! places never exceed the maximum. `push_reserved` claims nothing (its place was counted),
//! `release` takes the places back.
//!
//! An admitted push then finds room in the chain: the chain holds (what `held` sums) at
//! most the messages queued by position, fewer than the maximum while the push is counted
//! and not landed, so `seal_full` and `link_successor` never refuse it. It may meet the
//! ring's own wait (a slot whose pop is in flight), never a refusal; `land` still retries a
//! refusal, which no interleaving produces (the loom models in `room_loom_tests.rs` check it).
//!
//! # Bytes and eviction
//! With a weight hook, `bytes` is the summed weight of queued messages (plus admitted ones not
//! landed): added at admission, before the message lands, subtracted by the pop that takes
//! it. With `max_bytes`, the addition is bounded too; when it fails the place is given back.
//! `push_reserved` adds its weight unbounded: the place was held, not the bytes.
//!
//! Under drop_oldest, a push (or reservation) that finds no place pops the oldest message as
//! an eviction (counted in `dropped`, not in dequeued) and tries again, but only when that
//! can make the place: the message fits the byte bound alone and permits do not hold every
//! place. It gives up if the queue is empty, when what fills it is other pushes admitted and
//! not landed: those then succeed, so every eviction goes with a successful push. The evicted
//! messages are handed to the hook after the push, outside the pin.
//!
//! # Progress
//! No step waits for another thread: claims are compare-exchange loops that fail only when
//! another claim or a pop succeeded; the arming seals and links itself when nobody has.

use super::reclaim::{self, Guard};
use super::LockFreeQueue;
use crate::config::Overflow;
use crate::engine::room::{Hooks, NoRoom, Room};
use crate::error::PushError;
use crate::sync::{Backoff, Ordering};

/// Why `push_pinned` handed a value back.
pub(super) enum Refused<T> {
    /// The queue holds `max_capacity` messages.
    Full(T),
    /// The ring is gated (with this baseline): the push must be admitted first.
    Gated(T, u64),
}

impl<T> LockFreeQueue<T> {
    /// Sets the weight function (for [`Config::max_bytes`](crate::Config::max_bytes) and
    /// `stats().bytes`) and the hook that receives messages evicted under
    /// [`Overflow::DropOldest`](crate::Overflow). Call it before the first push: a weight
    /// function gates every ring, so that pushes from then on are weighed.
    ///
    /// ```
    /// use elasticq_runtime::{Config, Hooks, LockFreeQueue};
    /// let mut queue = LockFreeQueue::new(Config::new().max_bytes(4))?;
    /// queue.set_hooks(Hooks::new().weight(|s: &&str| s.len()));
    /// queue.push("abc").unwrap();
    /// assert!(queue.push("de").is_err()); // 5 bytes would pass the bound of 4
    /// assert_eq!(queue.stats().bytes, 3);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn set_hooks(&mut self, hooks: Hooks<T>) {
        if hooks.weight.is_some() {
            self.gate_every_ring();
        }
        self.hooks = hooks;
    }

    /// Gates every ring with baseline 0, counting what is queued as admitted. `&mut self`:
    /// no other thread can see the rings meanwhile.
    fn gate_every_ring(&mut self) {
        // SAFETY: `&mut self` excludes every other thread; `tail` points at a live ring.
        let last = unsafe { &*self.tail.load(Ordering::SeqCst) };
        if last.gate.is_some() {
            return;
        }
        let mut current = self.head.load(Ordering::SeqCst);
        while !current.is_null() {
            // SAFETY: 1. `&mut self` excludes every other thread, so no other reference to
            // the ring exists. 2. Every ring from `head` on is linked and allocated.
            let segment = unsafe { &mut *current };
            segment.gate = Some(0);
            current = segment.next.load(Ordering::SeqCst);
        }
        let (taken, enqueued) = self.counts();
        // What `D` will subtract from: every push so far, and the places held (none without
        // a gate, as a reservation arms it).
        self.admitted.store(enqueued, Ordering::SeqCst);
        self.seen_dequeued.store(taken, Ordering::SeqCst);
        self.armed.store(true, Ordering::SeqCst);
    }

    /// Hands messages evicted under a pin to the hook, once unpinned (the hook may push
    /// into this queue again).
    #[inline]
    pub(super) fn hand_over(&self, evicted: Vec<T>) {
        if !evicted.is_empty() {
            self.hooks.hand_over(evicted);
        }
    }

    /// `push_pinned`, admitting the value first when it meets a gated ring; `Err` hands it
    /// back when there is no place. Evicted messages go to `evicted`.
    pub(super) fn push_pinned_or_admit(
        &self,
        value: T,
        guard: &Guard,
        evicted: &mut Vec<T>,
    ) -> Result<(), T> {
        match self.push_pinned::<false>(value, guard) {
            Ok(()) => Ok(()),
            Err(Refused::Full(value)) => Err(value),
            Err(Refused::Gated(value, baseline)) => {
                self.push_admitted(value, baseline, guard, evicted)
            }
        }
    }

    /// `push` into a gated ring: admits the value (evicting under drop_oldest), pushes it,
    /// then hands the evicted messages over.
    #[cold]
    pub(super) fn push_gated(&self, value: T, baseline: u64) -> Result<(), PushError<T>> {
        let mut evicted = Vec::new();
        let guard = reclaim::pin();
        let result = self.push_admitted(value, baseline, &guard, &mut evicted);
        drop(guard);
        let result = match result {
            Ok(()) => {
                self.pop_waiters.notify_one();
                Ok(())
            }
            Err(value) => {
                self.rejected.count_full(1);
                Err(PushError::Full(value))
            }
        };
        self.hand_over(evicted);
        result
    }

    /// Admits `value` (its place, and its weight) and pushes it; `Err` hands it back when
    /// there is no place even after evicting. Evicted messages go to `evicted`.
    pub(super) fn push_admitted(
        &self,
        value: T,
        baseline: u64,
        guard: &Guard,
        evicted: &mut Vec<T>,
    ) -> Result<(), T> {
        let weight = self.hooks.weigh(&value);
        if !self.admit(baseline, 1, Some(weight), guard, evicted) {
            return Err(value);
        }
        self.land(value, guard);
        Ok(())
    }

    /// Pushes a value whose place is counted. The chain has room for it (see "Admission");
    /// a refusal, which no interleaving produces, is retried.
    fn land(&self, mut value: T, guard: &Guard) {
        let backoff = Backoff::new();
        loop {
            match self.push_pinned::<true>(value, guard) {
                Ok(()) => return,
                Err(Refused::Full(back) | Refused::Gated(back, _)) => value = back,
            }
            debug_assert!(false, "an admitted push was refused");
            backoff.snooze();
        }
    }

    /// Claims `n` places, and for a push (`weight` is `Some`) its bytes, evicting the oldest
    /// messages under drop_oldest while that can make them. False when they cannot be had.
    fn admit(
        &self,
        baseline: u64,
        n: usize,
        weight: Option<usize>,
        guard: &Guard,
        evicted: &mut Vec<T>,
    ) -> bool {
        let max = self.config.get_max_capacity();
        let mut found_empty = false;
        loop {
            if self.try_admit(baseline, n, weight, guard) {
                return true;
            }
            // Evict only when that can make the place: the message fits the byte bound alone,
            // and permits leave a place for it once the queue is empty.
            let can_evict = self.config.get_overflow() == Overflow::DropOldest
                && self
                    .config
                    .get_max_bytes()
                    .is_none_or(|bound| weight.unwrap_or(0) <= bound)
                && self.held.load(Ordering::SeqCst).saturating_add(n) <= max;
            if !can_evict {
                return false;
            }
            match self.pop_pinned(guard) {
                Some(oldest) => {
                    self.dropped.fetch_add(1, Ordering::SeqCst);
                    evicted.push(oldest);
                    found_empty = false;
                }
                // Empty: a pop may have taken the last message since the claim failed, so
                // claim once more. Empty twice over a failed claim: what fills the queue is
                // pushes admitted and not landed yet, which will succeed.
                None if found_empty => return false,
                None => found_empty = true,
            }
        }
    }

    /// One attempt to claim `n` places and, for a push, `weight` bytes, all or none. A push
    /// is refused while the bytes are past the bound even if it weighs nothing (as the
    /// locked engine: `push_reserved` may have passed it).
    fn try_admit(&self, baseline: u64, n: usize, weight: Option<usize>, guard: &Guard) -> bool {
        let max = self.config.get_max_capacity() as u64;
        let n64 = n as u64;
        let mut seen = self.seen_dequeued.load(Ordering::Relaxed);
        let mut admitted = self.admitted.load(Ordering::SeqCst);
        loop {
            let claims = baseline.saturating_add(admitted).saturating_add(n64);
            if claims > seen.saturating_add(max) {
                // The cached dequeued position may be stale: read it again (SeqCst, so a
                // sleeper's re-check pairs with the pop that wakes it: `wait/mod.rs`).
                seen = self.dequeued_now(guard);
                self.seen_dequeued.fetch_max(seen, Ordering::Relaxed);
                if claims > seen.saturating_add(max) {
                    return false;
                }
            }
            match self.admitted.compare_exchange_weak(
                admitted,
                admitted + n64,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => break,
                Err(now) => admitted = now,
            }
        }
        let Some(weight) = weight.filter(|_| self.hooks.weight.is_some()) else {
            return true;
        };
        let Some(bound) = self.config.get_max_bytes() else {
            self.bytes.fetch_add(weight, Ordering::SeqCst);
            return true;
        };
        let mut bytes = self.bytes.load(Ordering::SeqCst);
        loop {
            if bytes.saturating_add(weight) > bound {
                // All or none: give the places back.
                self.admitted.fetch_sub(n64, Ordering::SeqCst);
                self.push_waiters.notify_all();
                return false;
            }
            match self.bytes.compare_exchange_weak(
                bytes,
                bytes + weight,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return true,
                Err(now) => bytes = now,
            }
        }
    }

    /// A lower bound of the dequeued position now: what was popped from the head ring and
    /// every ring before it (those were exhausted, so their pops equal its base).
    fn dequeued_now(&self, _guard: &Guard) -> u64 {
        // SAFETY: read from `head` while the caller is pinned, so the limbo has not freed it.
        let first = unsafe { &*self.head.load(Ordering::SeqCst) };
        first.base + first.popped()
    }

    /// Arms the gate if it is not, and returns the baseline of the gated rings; `None` when
    /// no ring can be linked (the queue holds `max_capacity` messages).
    fn arm(&self, guard: &Guard) -> Option<u64> {
        if !self.armed.load(Ordering::SeqCst) {
            self.armed.store(true, Ordering::SeqCst);
        }
        let mut current = self.tail.load(Ordering::SeqCst);
        loop {
            // SAFETY: read from `tail` or a `next` pointer while pinned (`guard`), so the
            // limbo has not freed it.
            let segment = unsafe { &*current };
            if let Some(baseline) = segment.gate {
                return Some(baseline);
            }
            let next = segment.next.load(Ordering::SeqCst);
            if !next.is_null() {
                current = next;
                continue;
            }
            // The last ring, ungated: sealed after `armed` was set, so its successor is
            // gated, unless a thread that read `armed` before that links it first (then the
            // next turn seals that one).
            segment.seal();
            current = self.successor(current, segment, guard)?;
        }
    }
}

impl<T: Send> Room<T> for LockFreeQueue<T> {
    /// Holds `n` places; under `Overflow::DropOldest`, evicts the oldest messages to make
    /// them, as a push would. The first call arms the gate (see the module notes).
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue, NoRoom, Room};
    /// let lane = LockFreeQueue::new(Config::new().initial_capacity(2).max_capacity(2))?;
    /// lane.try_reserve(1).unwrap();
    /// lane.push(1).unwrap();
    /// assert!(lane.push(2).is_err()); // the second place is held
    /// assert_eq!(lane.try_reserve(1), Err(NoRoom::Full));
    /// lane.close();
    /// lane.push_reserved(3); // never refused, also after the close
    /// assert_eq!(lane.drain(), vec![1, 3]);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    fn try_reserve(&self, n: usize) -> Result<(), NoRoom> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(NoRoom::Closed);
        }
        if n == 0 {
            return Ok(());
        }
        let max = self.config.get_max_capacity();
        if n > max || self.held.load(Ordering::SeqCst).saturating_add(n) > max {
            return Err(NoRoom::Full);
        }
        let mut evicted = Vec::new();
        let guard = reclaim::pin();
        let granted = match self.arm(&guard) {
            Some(baseline) => self.admit(baseline, n, None, &guard, &mut evicted),
            None => false,
        };
        if granted {
            self.held.fetch_add(n, Ordering::SeqCst);
        }
        drop(guard);
        self.hand_over(evicted);
        if granted {
            Ok(())
        } else {
            Err(NoRoom::Full)
        }
    }

    fn release(&self, n: usize) {
        self.held.fetch_sub(n, Ordering::SeqCst);
        self.admitted.fetch_sub(n as u64, Ordering::SeqCst);
        self.push_waiters.notify_all();
    }

    /// Pushes into a held place. Its weight is added to `stats().bytes` even past
    /// `max_bytes`: the place was held, not the bytes.
    fn push_reserved(&self, value: T) {
        if let Some(weight) = self.hooks.weight {
            self.bytes.fetch_add(weight(&value), Ordering::SeqCst);
        }
        let guard = reclaim::pin();
        self.land(value, &guard);
        drop(guard);
        self.held.fetch_sub(1, Ordering::SeqCst);
        self.pop_waiters.notify_one();
    }
}
