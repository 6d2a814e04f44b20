//! One bounded ring of the lock-free engine: a Vyukov-style array queue whose tail word also
//! carries a seal bit.
//!
//! Every slot has a stamp. A stamp equal to the tail position means "free for the producer at
//! this position"; a stamp one past the head position means "written, ready for the consumer
//! at this position". Positions are `lap | index` words: `index < cap`, and the lap lives in
//! the bits above `index`'s power-of-two width, so wrapping around the ring bumps the lap and
//! a stamp from an earlier lap never matches a later position.
//!
//! Sealing sets the top bit of `tail`. After that no producer can claim a slot here, because
//! its compare-exchange expects a tail without the bit; the tail word is therefore final, and
//! once consumers have claimed every slot below it the segment is exhausted for good. A
//! segment is sealed before its successor is linked (`next`), so a successor only ever
//! receives pushes made after every push into this segment.

use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use crate::sync::{AtomicPtr, AtomicUsize, Backoff, Ordering, UnsafeCell};

/// The seal bit of the tail word. Lap arithmetic masks it out, so laps wrap below it.
const SEALED: usize = 1 << (usize::BITS - 1);

struct Slot<T> {
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// Why a push into a segment did not happen; the value comes back.
pub(super) enum Rejected<T> {
    /// Every slot holds a message.
    Full(T),
    /// The segment accepts no more pushes; its successor does.
    Sealed(T),
}

/// Why a pop from a segment found nothing.
pub(super) enum Drained {
    /// Nothing to take now; producers may still push here.
    Empty,
    /// Sealed and fully consumed: move on to the successor.
    Exhausted,
}

pub(super) struct Segment<T> {
    head: CachePadded<AtomicUsize>,
    tail: CachePadded<AtomicUsize>,
    /// The segment that replaces this one once it is sealed: null until some thread links it
    /// (one compare-exchange from null, by whichever thread first sized a successor).
    pub(super) next: AtomicPtr<Segment<T>>,
    /// Messages pushed into all earlier segments of the queue; makes counts global. Known
    /// when the segment is made, because its predecessor is sealed by then.
    pub(super) base: u64,
    /// The room gate's baseline once the queue counts its pushes (`room.rs`): a push into a
    /// gated ring is admitted against `max_capacity` first. Fixed when the ring is made
    /// (changed only under `&mut` of the queue), so checking it costs no atomic access; the
    /// gated rings are a suffix of the chain and share one baseline, the pushes made into
    /// the ungated rings before them.
    pub(super) gate: Option<u64>,
    cap: usize,
    one_lap: usize,
    lap_shift: u32,
    slots: Box<[Slot<T>]>,
}

impl<T> Segment<T> {
    /// An empty ring of `cap` slots whose first position is global position `base`, gated
    /// with `gate` (see the field).
    pub(super) fn new(cap: usize, base: u64, gate: Option<u64>) -> Box<Self> {
        debug_assert!(cap >= 1);
        let one_lap = (cap + 1).next_power_of_two();
        let slots = (0..cap)
            .map(|i| Slot {
                stamp: AtomicUsize::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Box::new(Self {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            next: AtomicPtr::new(std::ptr::null_mut()),
            base,
            gate,
            cap,
            one_lap,
            lap_shift: one_lap.trailing_zeros(),
            slots,
        })
    }

    /// What this segment holds against the queue's maximum: its capacity while producers
    /// can push here, what it still holds once sealed. Pops only lower the second, so a
    /// stale look errs on the safe side.
    pub(super) fn holds(&self) -> usize {
        let (tail, sealed) = self.tail_state();
        if !sealed {
            return self.cap;
        }
        usize::try_from(self.count(tail).saturating_sub(self.popped()))
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    pub(super) fn cap(&self) -> usize {
        self.cap
    }

    /// The slot of `position`.
    #[inline]
    fn slot(&self, position: usize) -> &Slot<T> {
        let index = position & (self.one_lap - 1);
        debug_assert!(index < self.cap);
        // SAFETY: every position this segment hands out comes from `advance`, which keeps
        // the index below `cap` (it moves to the next lap at `cap`), and the seal bit lies
        // above the index bits; `slots` has `cap` entries.
        unsafe { self.slots.get_unchecked(index) }
    }

    /// The position one lap after `position`'s lap, at index 0.
    #[inline]
    fn next_lap(&self, position: usize) -> usize {
        (position & !(self.one_lap - 1)).wrapping_add(self.one_lap) & !SEALED
    }

    /// The position after `position`.
    #[inline]
    fn advance(&self, position: usize) -> usize {
        let index = position & (self.one_lap - 1);
        if index + 1 < self.cap {
            position + 1
        } else {
            self.next_lap(position)
        }
    }

    /// How many positions precede `position` in this segment.
    pub(super) fn count(&self, position: usize) -> u64 {
        let position = position & !SEALED;
        (position >> self.lap_shift) as u64 * self.cap as u64
            + (position & (self.one_lap - 1)) as u64
    }

    /// Messages whose push claimed a slot here.
    pub(super) fn pushed(&self) -> u64 {
        self.count(self.tail.load(Ordering::SeqCst))
    }

    /// Messages whose pop claimed a slot here.
    pub(super) fn popped(&self) -> u64 {
        self.count(self.head.load(Ordering::SeqCst))
    }

    /// The tail word and whether it is sealed.
    pub(super) fn tail_state(&self) -> (usize, bool) {
        let tail = self.tail.load(Ordering::Acquire);
        (tail & !SEALED, tail & SEALED != 0)
    }

    /// The messages held now, if this segment is not sealed (then it is the last one, and
    /// producers are still pushing here).
    pub(super) fn len_if_open(&self) -> Option<usize> {
        let (tail, sealed) = self.tail_state();
        if sealed {
            return None;
        }
        let len = self.count(tail).saturating_sub(self.popped());
        Some(usize::try_from(len).unwrap_or(usize::MAX).min(self.cap))
    }

    pub(super) fn is_sealed(&self) -> bool {
        self.tail.load(Ordering::Acquire) & SEALED != 0
    }

    /// Seals the segment: no push claims a slot here from now on. Idempotent; returns whether
    /// this call was the one that sealed it.
    pub(super) fn seal(&self) -> bool {
        self.tail.fetch_or(SEALED, Ordering::SeqCst) & SEALED == 0
    }

    /// Messages pushed here in all, once the segment is sealed.
    pub(super) fn final_count(&self) -> u64 {
        debug_assert!(self.is_sealed());
        self.count(self.tail.load(Ordering::SeqCst))
    }

    #[inline]
    pub(super) fn push(&self, value: T) -> Result<usize, Rejected<T>> {
        let backoff = Backoff::new();
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & SEALED != 0 {
                return Err(Rejected::Sealed(value));
            }
            let slot = self.slot(tail);
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == tail {
                // The slot is free for this lap: claim the position. SeqCst pairs with the
                // SeqCst load of the emptiness check in `pop` and with the load of sleeping
                // consumers that follows the push (see `wait/mod.rs`).
                match self.tail.compare_exchange_weak(
                    tail,
                    self.advance(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // Written here, the value reaches consumers through the stamp store
                        // below.
                        slot.value.with_mut(|cell| {
                            // SAFETY: 1. the compare-exchange gave this thread the slot, free
                            // for this lap. 2. No thread reads it until the stamp store below.
                            unsafe { cell.write(MaybeUninit::new(value)) }
                        });
                        slot.stamp.store(tail + 1, Ordering::Release);
                        return Ok(tail);
                    }
                    Err(current) => {
                        tail = current;
                        backoff.spin();
                    }
                }
            } else if stamp.wrapping_add(self.one_lap) & !SEALED == tail + 1 {
                // The slot still holds the message of the previous lap: full, unless a
                // consumer has moved the head since. SeqCst, as the head's compare-exchange
                // in `pop`: a producer about to sleep for room and a consumer about to wake
                // it cannot both miss the other (see `wait/mod.rs`).
                let head = self.head.load(Ordering::SeqCst);
                if head.wrapping_add(self.one_lap) & !SEALED == tail {
                    return Err(Rejected::Full(value));
                }
                backoff.spin();
                tail = self.tail.load(Ordering::Relaxed);
            } else {
                // Another producer claimed this position and the tail moved on.
                backoff.snooze();
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Pops the oldest message, with the index of the slot it was in and the head word it
    /// was claimed at (the tail word its push claimed: a position, only growing).
    #[inline]
    pub(super) fn pop(&self) -> Result<(T, usize, usize), Drained> {
        let backoff = Backoff::new();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let index = head & (self.one_lap - 1);
            let slot = self.slot(head);
            let stamp = slot.stamp.load(Ordering::Acquire);
            if stamp == head + 1 {
                match self.head.compare_exchange_weak(
                    head,
                    self.advance(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // The stamp store below hands the slot to the producer of the next lap.
                        // SAFETY: 1. the stamp `head + 1` (Acquire) shows the producer's write
                        // complete, so the value is initialised. 2. The compare-exchange gave
                        // this thread the position, so it alone reads the value, once.
                        let value = slot.value.with(|cell| unsafe { cell.read().assume_init() });
                        slot.stamp
                            .store(head.wrapping_add(self.one_lap) & !SEALED, Ordering::Release);
                        return Ok((value, index, head));
                    }
                    Err(current) => {
                        head = current;
                        backoff.spin();
                    }
                }
            } else if stamp == head {
                // Not written for this lap. Empty, exhausted, or a producer mid-write.
                // SeqCst, as the tail's compare-exchange in `push`: a consumer about to sleep
                // and a producer about to wake it cannot both miss the other, with no fence
                // on either side (see `wait/mod.rs`).
                let tail = self.tail.load(Ordering::SeqCst);
                if tail & !SEALED == head {
                    return Err(if tail & SEALED != 0 {
                        Drained::Exhausted
                    } else {
                        Drained::Empty
                    });
                }
                backoff.spin();
                head = self.head.load(Ordering::Relaxed);
            } else {
                // Another consumer took this position and the head moved on.
                backoff.snooze();
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }
}
