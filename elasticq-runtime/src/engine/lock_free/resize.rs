//! Replacing the last ring (grow, shrink, restore) and retiring drained ones.
//!
//! The two steps of a replacement, sealing and linking, are separate so that no thread ever
//! waits for another: whoever seals a ring may stop right after, and the next thread to meet
//! the sealed ring (a producer refused by it, a consumer that drained it) links the
//! successor itself. The successor's size is decided at link time, from the ring's final
//! contents and from what the chain holds then (see "Capacity" in the module notes).

use std::ptr;

use super::reclaim::Guard;
use super::segment::Segment;
use super::LockFreeQueue;
use crate::sync::Ordering;

impl<T> LockFreeQueue<T> {
    /// What the chain holds against the maximum (see the module notes), and its last ring.
    ///
    /// The walk is not a snapshot, but every term it reads only falls while it walks, except
    /// the open last ring's, which it counts at its full capacity: the sum is an upper bound
    /// of what the chain held at the end of the walk.
    pub(super) fn held(&self, _guard: &Guard) -> (usize, *mut Segment<T>) {
        let mut held = 0usize;
        let mut current = self.head.load(Ordering::SeqCst);
        loop {
            // SAFETY: read from `head` or a `next` pointer while the caller is pinned, so the
            // segment stays allocated for as long as `_guard` lives.
            let segment = unsafe { &*current };
            held = held.saturating_add(segment.holds());
            let next = segment.next.load(Ordering::SeqCst);
            if next.is_null() {
                return (held, current);
            }
            current = next;
        }
    }

    /// Called with the full ring a push was refused by: seals it if the chain has room for a
    /// successor. Returns false when it has none: the queue holds `max_capacity` messages.
    pub(super) fn seal_full(&self, segment: &Segment<T>, guard: &Guard) -> bool {
        if segment.is_sealed() {
            return true;
        }
        // The ring is full, so while it is the last one the sum is what the chain holds:
        // room means fewer than `max_capacity` messages are queued. If the walk found
        // another last ring, this one was sealed and replaced meanwhile: use the successor.
        let (held, last) = self.held(guard);
        if !ptr::eq(last, segment) {
            return true;
        }
        if held >= self.config.get_max_capacity() {
            return false;
        }
        segment.seal();
        true
    }

    /// The successor of a sealed ring, linking one if there is none yet; `None` when there
    /// is no room for one (the queue holds `max_capacity` messages). Also helps `tail` on.
    pub(super) fn successor(
        &self,
        current: *mut Segment<T>,
        segment: &Segment<T>,
        guard: &Guard,
    ) -> Option<*mut Segment<T>> {
        let mut next = segment.next.load(Ordering::Acquire);
        if next.is_null() {
            next = self.link_successor(segment, guard)?;
        }
        let _ = self
            .tail
            .compare_exchange(current, next, Ordering::AcqRel, Ordering::Relaxed);
        Some(next)
    }

    /// Sizes, allocates and links the successor of the sealed ring `segment`, or returns the
    /// one another thread linked first.
    fn link_successor(&self, segment: &Segment<T>, guard: &Guard) -> Option<*mut Segment<T>> {
        debug_assert!(segment.is_sealed());
        let (held, last) = self.held(guard);
        if !ptr::eq(last, segment) {
            // Linked meanwhile.
            return Some(segment.next.load(Ordering::Acquire));
        }
        let room = self.config.get_max_capacity().saturating_sub(held);
        if room == 0 {
            return None;
        }
        let final_count = segment.final_count();
        let holds = segment.holds();
        let capacity = self.successor_capacity(segment.cap(), holds).min(room);
        let base = segment.base + final_count;
        // The successor of a gated ring is gated with the same baseline; once the room gate
        // is armed, the first ring linked after the seal is gated with its own base (read
        // after the seal, so an arming that sealed this ring is seen: `room.rs`).
        let gate = segment
            .gate
            .or_else(|| self.armed.load(Ordering::SeqCst).then_some(base));
        let successor = Box::into_raw(Segment::new(capacity, base, gate));
        match segment.next.compare_exchange(
            ptr::null_mut(),
            successor,
            Ordering::SeqCst,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                self.resizes.fetch_add(1, Ordering::Relaxed);
                Some(successor)
            }
            Err(winner) => {
                // SAFETY: `successor` came from `Box::into_raw` above and the failed
                // compare-exchange never published it: this thread owns it alone.
                drop(unsafe { Box::from_raw(successor) });
                Some(winner)
            }
        }
    }

    /// The capacity the successor of a sealed ring of `cap` slots holding `holds` messages
    /// wants, before the room under the maximum cuts it: a ring sealed full grows, a sparse
    /// one shrinks, and none falls below `min_capacity`.
    fn successor_capacity(&self, cap: usize, holds: usize) -> usize {
        let min = self.config.get_min_capacity();
        if holds >= cap {
            self.config.grown(cap).max(min)
        } else if self.config.should_shrink(cap, holds) {
            self.config.shrunk(cap, holds)
        } else {
            cap.max(min)
        }
    }

    /// Called by a consumer on the open last ring: seals it when it holds few enough
    /// messages to shrink, and links the smaller successor.
    pub(super) fn shrink_if_sparse(
        &self,
        current: *mut Segment<T>,
        segment: &Segment<T>,
        guard: &Guard,
    ) {
        let Some(len) = segment.len_if_open() else {
            return;
        };
        if !self.config.should_shrink(segment.cap(), len)
            || self.config.shrunk(segment.cap(), len) >= segment.cap()
        {
            return;
        }
        self.replace(current, segment, guard);
    }

    /// Called on the open last ring when it is smaller than `min_capacity` (it was cut to
    /// the room left under the maximum when it was linked): replaces it by a ring of
    /// `min_capacity`, or of all the room left if that is less, once that is larger.
    pub(super) fn restore_if_short(
        &self,
        current: *mut Segment<T>,
        segment: &Segment<T>,
        guard: &Guard,
    ) {
        let Some(len) = segment.len_if_open() else {
            return;
        };
        let (held, last) = self.held(guard);
        if !ptr::eq(last, segment) {
            return;
        }
        // Once sealed, this ring holds `len` (or fewer) instead of its capacity.
        let others = held.saturating_sub(segment.cap());
        let room = self.config.get_max_capacity().saturating_sub(others + len);
        if room.min(self.config.get_min_capacity()) <= segment.cap() {
            return;
        }
        self.replace(current, segment, guard);
    }

    /// A consumer's replacement of the open last ring: seals it and links the successor.
    /// If the ring filled to the maximum before the seal there is no room for a successor
    /// yet; the first thread to meet the ring after a pop links it.
    fn replace(&self, current: *mut Segment<T>, segment: &Segment<T>, guard: &Guard) {
        if segment.seal() {
            let _ = self.successor(current, segment, guard);
        }
    }

    /// After a pop from a sealed, replaced ring: retires it if that pop took its last
    /// message, so that what it held stops counting at once.
    pub(super) fn retire_if_exhausted(
        &self,
        current: *mut Segment<T>,
        segment: &Segment<T>,
        guard: &Guard,
    ) {
        if segment.holds() != 0 {
            return;
        }
        let next = segment.next.load(Ordering::Acquire);
        if !next.is_null() {
            self.advance_head(current, next, guard);
        }
    }

    /// Moves `head` from an exhausted segment to its successor and retires the segment.
    /// Returns the segment to pop from next.
    pub(super) fn advance_head(
        &self,
        current: *mut Segment<T>,
        next: *mut Segment<T>,
        guard: &Guard,
    ) -> *mut Segment<T> {
        // `tail` must not point at a segment once it is retired, or a thread pinning later
        // could load it: help it past before unlinking.
        let _ = self
            .tail
            .compare_exchange(current, next, Ordering::AcqRel, Ordering::Relaxed);
        match self
            .head
            .compare_exchange(current, next, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => {
                // SAFETY: 1. This thread won the unique head hand-over, so it retires
                // `current` once (here). 2. `head` and `tail` now both point past `current`
                // and no `next` pointer leads to it (its predecessor, if any, was retired
                // first): only threads pinned now can still hold it. 3. `current` came from
                // `Box::into_raw`.
                unsafe { self.limbo.retire(guard, current) };
                self.limbo.collect(guard);
                // The room freed may let a last ring cut short by the maximum be replaced.
                let last = self.tail.load(Ordering::Acquire);
                // SAFETY: read from `tail` while pinned, so the limbo has not freed it.
                let last_segment = unsafe { &*last };
                if last_segment.cap() < self.config.get_min_capacity() {
                    self.restore_if_short(last, last_segment, guard);
                }
                // Room freed against the maximum: a producer may be waiting for it.
                self.push_waiters.notify_all();
                next
            }
            Err(now) => now,
        }
    }
}
