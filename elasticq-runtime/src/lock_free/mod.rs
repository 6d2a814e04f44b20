//! `LockFreeQueue`: an elastic MPMC queue made of a chain of bounded lock-free rings.
//!
//! Producers push into the last segment of the chain, consumers pop from the first. When a
//! producer finds the last segment full and the queue below its maximum, it seals that segment
//! and links a successor `growth_factor` times larger; producers then continue there while
//! consumers finish the sealed segment first, so FIFO order holds across the hand-over and no
//! push waits for consumers to make room (the seed crate's lock-free queue could only grow from
//! its consumer). When a consumer finds the last segment sparse, it seals it and links a smaller
//! successor: that is the shrink. A consumer that exhausts a sealed segment moves the head to
//! its successor and retires it to the epoch collector, which frees it once no pinned thread
//! can still be reading it.
//!
//! Capacity accounting (`live`): the last segment counts its full capacity; a sealed segment
//! counts only what it held when sealed. Growth is refused once `live` reaches
//! `max_capacity`, so the number of queued messages never exceeds it.

mod reclaim;
mod segment;

#[cfg(all(test, loom))]
mod loom_tests;

use std::marker::PhantomData;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use self::reclaim::Guard;
use self::segment::{Drained, Rejected, Segment};
use crate::engine::{deadline_after, engine_by_inherent_methods};
use crate::sync::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Backoff, Ordering};
use crate::wait::WaitQueue;
use crate::{Config, Error, PopError, PushError, Stats};

/// A consumer looks at the fill level of the last segment once per this many pops.
const SHRINK_CHECK_INTERVAL: usize = if cfg!(loom) { 1 } else { 64 };

/// An elastic, lock-free, multi-producer multi-consumer FIFO queue.
///
/// Pushes and pops are a compare-exchange on a ring slot plus an epoch pin; growth never
/// makes a push fail or wait for a consumer, and memory of outgrown rings is reclaimed through
/// crossbeam-epoch. Every message pushed is popped exactly once, and messages from one
/// producer come out in the order it pushed them.
///
/// `capacity()` is the sum of the last ring's capacity and what older, sealed rings held when
/// they were sealed; when the queue is near `max_capacity` and older rings have been partly
/// consumed, a push can report `Full` slightly before `len()` reaches the maximum, until
/// consumers finish those rings.
///
/// ```
/// use std::{sync::Arc, thread};
/// use elasticq_runtime::{Config, LockFreeQueue};
///
/// let queue = Arc::new(LockFreeQueue::new(Config::new().initial_capacity(16).min_capacity(16))?);
/// let producers: Vec<_> = (0..4u64)
///     .map(|p| {
///         let queue = Arc::clone(&queue);
///         thread::spawn(move || {
///             for i in 0..1000 {
///                 queue.push((p, i)).unwrap(); // grows; never Full below max_capacity
///             }
///         })
///     })
///     .collect();
/// for producer in producers {
///     producer.join().unwrap();
/// }
/// let mut last = [None; 4];
/// while let Some((p, i)) = queue.pop() {
///     assert!(last[p as usize] < Some(i)); // per-producer order
///     last[p as usize] = Some(i);
/// }
/// assert_eq!(queue.stats().dequeued, 4000);
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub struct LockFreeQueue<T> {
    head: CachePadded<AtomicPtr<Segment<T>>>,
    tail: CachePadded<AtomicPtr<Segment<T>>>,
    /// Capacity held against `max_capacity`; see the module notes.
    live: CachePadded<AtomicUsize>,
    pop_waiters: CachePadded<WaitQueue>,
    push_waiters: CachePadded<WaitQueue>,
    closed: AtomicBool,
    rejected: AtomicU64,
    resizes: AtomicU64,
    config: Config,
    _owns: PhantomData<T>,
}

// SAFETY: the queue moves `T` values between threads (a value pushed on one thread is popped
// on another), so it is Send and Sync exactly when `T: Send`; `T` is never shared by
// reference between threads, so `T: Sync` is not needed. All shared state is atomics, the
// slot cells are accessed under the stamp protocol in `segment.rs`, and segments are freed
// through the epoch collector.
unsafe impl<T: Send> Send for LockFreeQueue<T> {}
// SAFETY: as for Send above.
unsafe impl<T: Send> Sync for LockFreeQueue<T> {}

/// Why a segment is being replaced.
#[derive(Clone, Copy)]
enum Resize {
    /// It is full and the queue is below its maximum.
    Grow,
    /// It is sparse and above `min_capacity`.
    Shrink,
    /// It is smaller than `min_capacity` (it was cut to the room left under the maximum when
    /// it was installed) and that room has since been freed.
    Restore,
}

impl<T> LockFreeQueue<T> {
    /// Builds an empty queue whose first ring has `config.initial_capacity()` slots.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    ///
    /// let queue = LockFreeQueue::<u64>::new(Config::new().initial_capacity(4096))?;
    /// assert_eq!(queue.capacity(), 4096);
    /// assert!(LockFreeQueue::<u64>::new(Config::new().shrink_threshold(1.5)).is_err());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn new(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let config = config.resolved();
        let first = Box::into_raw(Segment::new(config.get_initial_capacity(), 0));
        Ok(Self {
            head: CachePadded::new(AtomicPtr::new(first)),
            tail: CachePadded::new(AtomicPtr::new(first)),
            live: CachePadded::new(AtomicUsize::new(config.get_initial_capacity())),
            pop_waiters: CachePadded::new(WaitQueue::new()),
            push_waiters: CachePadded::new(WaitQueue::new()),
            closed: AtomicBool::new(false),
            rejected: AtomicU64::new(0),
            resizes: AtomicU64::new(0),
            config,
            _owns: PhantomData,
        })
    }

    /// Appends `value` without blocking, growing the queue if it is full and below its
    /// maximum. `PushError` hands the value back.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue, PushError};
    ///
    /// let queue = LockFreeQueue::new(Config::new().initial_capacity(2).min_capacity(1).max_capacity(3))?;
    /// for i in 0..3 {
    ///     queue.push(i).unwrap(); // the third push grows the queue
    /// }
    /// assert_eq!(queue.push(3), Err(PushError::Full(3)));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        if self.closed.load(Ordering::Acquire) {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return Err(PushError::Closed(value));
        }
        let guard = reclaim::pin();
        let result = self.push_pinned(value, &guard);
        drop(guard);
        match result {
            Ok(()) => {
                self.pop_waiters.notify_one();
                Ok(())
            }
            Err(value) => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                Err(PushError::Full(value))
            }
        }
    }

    /// Pushes into the last segment, moving on through seals; `Err` only when full at max.
    fn push_pinned(&self, mut value: T, _guard: &Guard) -> Result<(), T> {
        let mut current = self.tail.load(Ordering::Acquire);
        loop {
            // A segment is retired only after `head` and `tail` have both moved past it, and
            // the collector frees it only after every thread pinned at that moment unpins.
            // SAFETY: `current` was read from `tail` or a `next` pointer while this thread is
            // pinned, so it is allocated for as long as `_guard` lives.
            let segment = unsafe { &*current };
            match segment.push(value) {
                Ok(()) => return Ok(()),
                Err(Rejected::Sealed(back)) => value = back,
                Err(Rejected::Full(back)) => {
                    value = back;
                    if !self.grow(current, segment) {
                        return Err(value);
                    }
                }
            }
            current = self.successor(current, segment);
        }
    }

    /// Called with a full segment: seals it and links a larger one unless the queue is at
    /// its maximum. Returns false when there is no room to grow.
    fn grow(&self, current: *mut Segment<T>, segment: &Segment<T>) -> bool {
        if segment.is_sealed() {
            return true;
        }
        // Pairs with the SeqCst decrement of `live` when a consumer retires a segment and the
        // SeqCst load of push sleepers after it (see `wait.rs`).
        fence(Ordering::SeqCst);
        if self.live.load(Ordering::SeqCst) >= self.config.get_max_capacity() {
            return false;
        }
        if let Some(final_tail) = segment.seal() {
            self.install_successor(current, segment, final_tail, Resize::Grow);
        }
        true
    }

    /// Links the successor of a segment this thread has just sealed, and adjusts `live`.
    ///
    /// Only the thread that sealed `segment` calls this, once, so successors are installed
    /// one at a time and `live` only decreases between a room check and the installation
    /// that follows it: the maximum is never exceeded.
    fn install_successor(
        &self,
        current: *mut Segment<T>,
        segment: &Segment<T>,
        final_tail: usize,
        resize: Resize,
    ) {
        let max = self.config.get_max_capacity();
        let pushed = segment.count(final_tail);
        let remaining = usize::try_from(pushed.saturating_sub(segment.popped()))
            .unwrap_or(segment.cap())
            .min(segment.cap());
        segment.accounted.store(remaining, Ordering::Relaxed);
        let before = self
            .live
            .fetch_sub(segment.cap() - remaining, Ordering::SeqCst);
        let live = before - (segment.cap() - remaining);
        debug_assert!(live < max, "a seal always leaves room for a successor");
        let room = max.saturating_sub(live).max(1);
        let wanted = match resize {
            Resize::Grow => self
                .config
                .grown(segment.cap())
                .max(self.config.get_min_capacity()),
            Resize::Shrink => self.config.shrunk(segment.cap(), remaining),
            Resize::Restore => self.config.get_min_capacity(),
        };
        let capacity = wanted.min(room);
        self.live.fetch_add(capacity, Ordering::SeqCst);
        let successor = Box::into_raw(Segment::new(capacity, segment.base + pushed));
        // SeqCst: a consumer that finds `segment` exhausted loads `next` after its SeqCst
        // fence; see `wait.rs`.
        segment.next.store(successor, Ordering::SeqCst);
        self.resizes.fetch_add(1, Ordering::Relaxed);
        let _ = self
            .tail
            .compare_exchange(current, successor, Ordering::AcqRel, Ordering::Relaxed);
    }

    /// The successor of a sealed segment, waiting for the sealing thread to link it, and
    /// helping move `tail` to it.
    fn successor(&self, current: *mut Segment<T>, segment: &Segment<T>) -> *mut Segment<T> {
        let backoff = Backoff::new();
        loop {
            let next = segment.next.load(Ordering::Acquire);
            if !next.is_null() {
                let _ =
                    self.tail
                        .compare_exchange(current, next, Ordering::AcqRel, Ordering::Relaxed);
                return next;
            }
            backoff.snooze();
        }
    }

    /// Removes the oldest message, or returns `None` at once if there is none.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    ///
    /// let queue = LockFreeQueue::new(Config::new())?;
    /// queue.push("a").unwrap();
    /// assert_eq!(queue.pop(), Some("a"));
    /// assert_eq!(queue.pop(), None);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn pop(&self) -> Option<T> {
        let guard = reclaim::pin();
        let value = self.pop_pinned(&guard);
        drop(guard);
        if value.is_some() {
            self.push_waiters.notify_one();
        }
        value
    }

    /// Runs `f` under one epoch pin, so that the pushes and pops it makes (on this queue or
    /// any other) pin again without a fence.
    pub(crate) fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = reclaim::pin();
        f()
    }

    fn pop_pinned(&self, guard: &Guard) -> Option<T> {
        let mut current = self.head.load(Ordering::Acquire);
        loop {
            // SAFETY: as in `push_pinned`: read from `head` or `next` while pinned.
            let segment = unsafe { &*current };
            match segment.pop() {
                Ok((value, index)) => {
                    let next = segment.next.load(Ordering::Acquire);
                    if !next.is_null() {
                        // A sealed segment: if this pop took its last message, retire it now
                        // rather than on a later pop, so its capacity stops counting against
                        // the maximum at once.
                        let (tail, _) = segment.tail_state();
                        if segment.popped() == segment.count(tail) {
                            self.advance_head(current, segment, next, guard);
                        }
                    } else if index % SHRINK_CHECK_INTERVAL == 0
                        && segment.cap() > self.config.get_min_capacity()
                    {
                        self.shrink_if_sparse(current, segment);
                    }
                    return Some(value);
                }
                Err(Drained::Empty) => {
                    // An empty last segment above the minimum is the shrink that follows a
                    // drain; one below it is replaced by a ring of the minimum.
                    let min = self.config.get_min_capacity();
                    if segment.cap() > min {
                        self.shrink_if_sparse(current, segment);
                    } else if segment.cap() < min {
                        self.restore_if_short(current, segment);
                    }
                    return None;
                }
                Err(Drained::Exhausted) => {
                    let next = segment.next.load(Ordering::SeqCst);
                    if next.is_null() {
                        // Sealed, its successor not linked yet: nothing has been pushed there.
                        return None;
                    }
                    current = self.advance_head(current, segment, next, guard);
                }
            }
        }
    }

    /// Moves `head` from an exhausted segment to its successor and retires the segment.
    /// Returns the segment to pop from next.
    fn advance_head(
        &self,
        current: *mut Segment<T>,
        segment: &Segment<T>,
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
                // `accounted` was written before `next` was published (SeqCst store, read
                // above with SeqCst).
                self.live
                    .fetch_sub(segment.accounted.load(Ordering::Relaxed), Ordering::SeqCst);
                // This thread won the unique head hand-over; `head` and `tail` now both point
                // past `current` and no `next` pointer leads to it.
                // SAFETY: `current` came from `Box::into_raw`, is retired once (here), and
                // only threads pinned now can still hold it.
                unsafe { reclaim::retire(guard, current) };
                // The room freed may let a last ring cut short by the maximum be replaced.
                let last = self.tail.load(Ordering::Acquire);
                // SAFETY: as in `push_pinned`: read from `tail` while pinned.
                let last_segment = unsafe { &*last };
                if last_segment.cap() < self.config.get_min_capacity() {
                    self.restore_if_short(last, last_segment);
                }
                // Room freed against the maximum: a producer may be waiting for it.
                self.push_waiters.notify_all();
                next
            }
            Err(now) => now,
        }
    }

    /// Called by a consumer on the last segment: seals it and links a smaller one when it
    /// holds few enough messages.
    fn shrink_if_sparse(&self, current: *mut Segment<T>, segment: &Segment<T>) {
        let Some(len) = segment.len_if_last() else {
            return;
        };
        if !self.config.should_shrink(segment.cap(), len)
            || self.config.shrunk(segment.cap(), len) >= segment.cap()
        {
            return;
        }
        if let Some(final_tail) = segment.seal() {
            self.install_successor(current, segment, final_tail, Resize::Shrink);
        }
    }

    /// Called on the last segment when it is smaller than `min_capacity`: seals it and links
    /// a ring of `min_capacity` (or all the room left under the maximum) if that is larger.
    ///
    /// Such a ring is installed when growth near the maximum is cut to the room left; without
    /// this, once the older rings are retired the queue would stay below its minimum.
    fn restore_if_short(&self, current: *mut Segment<T>, segment: &Segment<T>) {
        let Some(len) = segment.len_if_last() else {
            return;
        };
        // The room a successor would get once this segment is sealed holding `len`. Producers
        // can only add to `len` before the seal and `live` only falls meanwhile (no other
        // thread installs while this segment is the unsealed last one), so a positive room
        // here means the seal leaves `live` below the maximum, as `install_successor` needs.
        let others = self
            .live
            .load(Ordering::SeqCst)
            .saturating_sub(segment.cap());
        let room = self.config.get_max_capacity().saturating_sub(others + len);
        if room.min(self.config.get_min_capacity()) <= segment.cap() {
            return;
        }
        if let Some(final_tail) = segment.seal() {
            self.install_successor(current, segment, final_tail, Resize::Restore);
        }
    }

    /// Pushes every item in order with one epoch pin. If the queue closes or fills at its
    /// maximum part way, the items not pushed are handed back, in order.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue, PushError};
    ///
    /// let queue = LockFreeQueue::new(Config::new().initial_capacity(2).min_capacity(2).max_capacity(2))?;
    /// assert_eq!(queue.push_batch(["a", "b", "c"]), Err(PushError::Full(vec!["c"])));
    /// assert_eq!(queue.drain(), vec!["a", "b"]);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn push_batch<I: IntoIterator<Item = T>>(&self, items: I) -> Result<(), PushError<Vec<T>>> {
        let mut items = items.into_iter();
        if self.closed.load(Ordering::Acquire) {
            let rest: Vec<T> = items.collect();
            self.rejected
                .fetch_add(rest.len() as u64, Ordering::Relaxed);
            return Err(PushError::Closed(rest));
        }
        let guard = reclaim::pin();
        let mut pushed = false;
        let mut result = Ok(());
        for value in items.by_ref() {
            match self.push_pinned(value, &guard) {
                Ok(()) => pushed = true,
                Err(value) => {
                    let mut rest = vec![value];
                    rest.extend(items.by_ref());
                    self.rejected
                        .fetch_add(rest.len() as u64, Ordering::Relaxed);
                    result = Err(PushError::Full(rest));
                    break;
                }
            }
        }
        drop(guard);
        if pushed {
            self.pop_waiters.notify_all();
        }
        result
    }

    /// Pops up to `max` messages, oldest first, with one epoch pin.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    ///
    /// let queue = LockFreeQueue::new(Config::new())?;
    /// queue.push_batch(0..100).unwrap();
    /// assert_eq!(queue.pop_batch(3), vec![0, 1, 2]);
    /// assert_eq!(queue.pop_batch(1000).len(), 97);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn pop_batch(&self, max: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(max.min(1024));
        let guard = reclaim::pin();
        while out.len() < max {
            match self.pop_pinned(&guard) {
                Some(value) => out.push(value),
                None => break,
            }
        }
        drop(guard);
        if !out.is_empty() {
            self.push_waiters.notify_all();
        }
        out
    }

    /// Like [`push`](Self::push), but when the queue is full at its maximum, sleeps until a
    /// consumer makes room or `timeout` passes (then `PushError::Full` hands the value back).
    /// Woken by consumers, not by polling.
    ///
    /// ```
    /// use std::{sync::Arc, thread, time::Duration};
    /// use elasticq_runtime::{Config, LockFreeQueue};
    ///
    /// let queue = Arc::new(LockFreeQueue::new(Config::new().initial_capacity(1).min_capacity(1).max_capacity(1))?);
    /// queue.push(1).unwrap();
    /// let consumer = {
    ///     let queue = Arc::clone(&queue);
    ///     thread::spawn(move || queue.pop_timeout(Duration::from_secs(10)))
    /// };
    /// queue.push_timeout(2, Duration::from_secs(10)).unwrap(); // waits for the consumer
    /// assert_eq!(consumer.join().unwrap(), Ok(1));
    /// assert_eq!(queue.pop(), Some(2));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn push_timeout(&self, value: T, timeout: Duration) -> Result<(), PushError<T>> {
        let value = match self.push(value) {
            Err(PushError::Full(value)) => value,
            done => return done,
        };
        // The fast attempt above counted a rejection; the slow path decides the outcome.
        self.rejected.fetch_sub(1, Ordering::Relaxed);
        let mut pending = Some(value);
        let mut closed = false;
        self.push_waiters.wait_until(deadline_after(timeout), || {
            let Some(value) = pending.take() else {
                return true;
            };
            if self.closed.load(Ordering::SeqCst) {
                pending = Some(value);
                closed = true;
                return true;
            }
            let guard = reclaim::pin();
            match self.push_pinned(value, &guard) {
                Ok(()) => true,
                Err(value) => {
                    pending = Some(value);
                    false
                }
            }
        });
        match pending {
            None => {
                self.pop_waiters.notify_one();
                Ok(())
            }
            Some(value) => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                Err(if closed {
                    PushError::Closed(value)
                } else {
                    PushError::Full(value)
                })
            }
        }
    }

    /// Like [`pop`](Self::pop), but sleeps until a producer pushes or `timeout` passes.
    /// `PopError::Closed` means the queue is closed and empty. Woken by producers, not by
    /// polling.
    ///
    /// ```
    /// use std::time::Duration;
    /// use elasticq_runtime::{Config, LockFreeQueue, PopError};
    ///
    /// let queue = LockFreeQueue::<u8>::new(Config::new())?;
    /// assert_eq!(queue.pop_timeout(Duration::from_millis(1)), Err(PopError::Timeout));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn pop_timeout(&self, timeout: Duration) -> Result<T, PopError> {
        if let Some(value) = self.pop() {
            return Ok(value);
        }
        let mut outcome = None;
        self.pop_waiters.wait_until(deadline_after(timeout), || {
            let guard = reclaim::pin();
            if let Some(value) = self.pop_pinned(&guard) {
                outcome = Some(Ok(value));
            } else if self.closed.load(Ordering::SeqCst) {
                // A push may have landed between the pop above and the close.
                outcome = Some(self.pop_pinned(&guard).ok_or(PopError::Closed));
            }
            outcome.is_some()
        });
        match outcome {
            Some(Ok(value)) => {
                self.push_waiters.notify_one();
                Ok(value)
            }
            Some(Err(closed)) => Err(closed),
            None => Err(PopError::Timeout),
        }
    }

    /// Global (dequeued, enqueued) counts that both held at one moment.
    ///
    /// Both only grow, so if `enqueued` reads the same before and after `dequeued` is read
    /// (and `head` has not moved meanwhile), the pair held when `dequeued` was read; otherwise
    /// the reads are retried, as crossbeam's `ArrayQueue::len` does.
    fn counts(&self) -> (u64, u64) {
        let _guard = reclaim::pin();
        loop {
            let enqueued = self.enqueued();
            let head = self.head.load(Ordering::SeqCst);
            // SAFETY: as in `push_pinned`: read from `head` while pinned.
            let first = unsafe { &*head };
            // Pops in the successor of `first` start only after `head` has moved past it,
            // so while `head` still points here, this is the global count.
            let dequeued = first.base + first.popped();
            if self.head.load(Ordering::SeqCst) == head && self.enqueued() == enqueued {
                return (dequeued, enqueued);
            }
        }
    }

    /// Messages pushed so far: the positions claimed in the last segment and all before it.
    /// The caller is pinned.
    fn enqueued(&self) -> u64 {
        // SAFETY: as in `push_pinned`: read from `tail` or `next` while the caller is pinned.
        let mut last = unsafe { &*self.tail.load(Ordering::SeqCst) };
        loop {
            let next = last.next.load(Ordering::SeqCst);
            if next.is_null() {
                return last.base + last.pushed();
            }
            // SAFETY: as above.
            last = unsafe { &*next };
        }
    }

    /// The number of messages in the queue (exact when no call is in flight).
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    /// let queue = LockFreeQueue::new(Config::new())?;
    /// queue.push_batch(0..3).unwrap();
    /// assert_eq!(queue.len(), 3);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        let (dequeued, enqueued) = self.counts();
        usize::try_from(enqueued - dequeued).unwrap_or(usize::MAX)
    }

    /// Whether the queue holds no message.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    /// assert!(LockFreeQueue::<u8>::new(Config::new())?.is_empty());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacity: the last ring's slots plus what older, sealed rings held when sealed
    /// (they count until consumers finish them).
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    /// let queue = LockFreeQueue::new(Config::new().initial_capacity(4).min_capacity(4))?;
    /// queue.push_batch(0..5).unwrap();
    /// assert_eq!(queue.capacity(), 4 + 8); // the full first ring, and its successor
    /// queue.pop_batch(5); // drained: the first ring is retired, the second replaced by a
    ///                     // ring of min_capacity
    /// assert_eq!(queue.capacity(), 4);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Drops the messages queued when the call starts (counted as dequeued).
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    /// let queue = LockFreeQueue::new(Config::new())?;
    /// queue.push_batch(0..3).unwrap();
    /// queue.clear();
    /// assert!(queue.is_empty());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn clear(&self) {
        drop(self.drain());
    }

    /// Removes and returns the messages queued when the call starts, oldest first.
    /// Messages pushed concurrently may or may not be included.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    /// let queue = LockFreeQueue::new(Config::new())?;
    /// queue.push_batch([3, 1, 2]).unwrap();
    /// assert_eq!(queue.drain(), vec![3, 1, 2]);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn drain(&self) -> Vec<T> {
        // One attempt past the count: it finds the queue empty, which lets the last ring
        // shrink back toward the minimum.
        self.pop_batch(self.len().saturating_add(1))
    }

    /// Closes the queue: later pushes fail with `PushError::Closed`, sleeping callers wake,
    /// and queued messages can still be popped.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue, PushError};
    /// let queue = LockFreeQueue::new(Config::new())?;
    /// queue.push(1).unwrap();
    /// queue.close();
    /// assert_eq!(queue.push(2), Err(PushError::Closed(2)));
    /// assert_eq!(queue.pop(), Some(1));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.pop_waiters.notify_all();
        self.push_waiters.notify_all();
    }

    /// Whether [`close`](Self::close) has been called.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    /// assert!(!LockFreeQueue::<u8>::new(Config::new())?.is_closed());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// A snapshot of the counters. The push and pop fast paths keep no counters of their
    /// own: enqueued and dequeued are read off the ring positions.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    /// let queue = LockFreeQueue::new(Config::new().initial_capacity(2).min_capacity(2))?;
    /// queue.push_batch(0..3).unwrap();
    /// let stats = queue.stats();
    /// assert_eq!((stats.enqueued, stats.resizes), (3, 1));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        let (dequeued, enqueued) = self.counts();
        Stats {
            enqueued,
            dequeued,
            rejected: self.rejected.load(Ordering::Relaxed),
            resizes: self.resizes.load(Ordering::Relaxed),
            len: usize::try_from(enqueued - dequeued).unwrap_or(usize::MAX),
            capacity: self.capacity(),
            ..Stats::default()
        }
    }

    /// The configuration the queue was built with.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockFreeQueue};
    /// let queue = LockFreeQueue::<u8>::new(Config::new().initial_capacity(64).max_capacity(64))?;
    /// assert_eq!(queue.config().get_max_capacity(), 64);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl<T> Drop for LockFreeQueue<T> {
    fn drop(&mut self) {
        let mut current = self.head.load(Ordering::Relaxed);
        while !current.is_null() {
            // Every segment from `head` on is linked and not retired (retired ones were
            // unlinked from `head` first), and each was made by `Box::into_raw`.
            // SAFETY: `&mut self` excludes every other thread, and each segment is freed
            // exactly once here.
            let segment = unsafe { Box::from_raw(current) };
            while let Ok((value, _)) = segment.pop() {
                drop(value);
            }
            current = segment.next.load(Ordering::Relaxed);
        }
    }
}

impl<T> std::fmt::Debug for LockFreeQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockFreeQueue")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

engine_by_inherent_methods!(LockFreeQueue);
