//! `LockFreeQueue`: an elastic MPMC queue made of a chain of bounded lock-free rings.
//!
//! # Structure
//! Producers push into the last segment of the chain (`tail`), consumers pop from the first
//! (`head`); each segment is a Vyukov-style ring (`segment.rs`) whose tail word carries a seal
//! bit. A segment is replaced in two steps, and any thread can take the second one:
//!
//! 1. **Seal.** A producer that finds the last ring full, or a consumer that finds it sparse
//!    (shrink) or smaller than `min_capacity` with room freed (restore), sets its seal bit.
//!    From then on no push lands in it; consumers still drain it.
//! 2. **Link.** Any thread that meets a sealed ring without a successor sizes one, allocates
//!    it, and links it with one compare-exchange of `next` from null. Losers free theirs and
//!    use the winner's. Producers then continue in the successor, so FIFO order holds across
//!    the hand-over: every push into a successor follows every push into its predecessor.
//!
//! A consumer that exhausts a sealed ring (every slot below its final tail claimed) moves
//! `head` on and retires the ring to the queue's limbo, freed once no pinned thread can still
//! be reading it (`reclaim`: epoch-based, with no fence on the pinning side).
//!
//! # Capacity
//! What the chain *holds* against `max_capacity` is, summed over its rings, the capacity of
//! the open last ring plus what each sealed ring still holds. A successor is linked with at
//! most `max_capacity` minus that sum, summed after the ring it replaces was sealed; the sum
//! only falls until the link (pops, retirements), and the link's compare-exchange fails if
//! another successor came first, so:
//! - **bound:** the number of queued messages never exceeds `max_capacity`;
//! - **no early Full:** a push is refused only when the sum, taken after its ring filled,
//!   leaves no room, that is when the queue holds `max_capacity` messages at that moment (or
//!   held them a moment before, while concurrent pops were in flight). At a quiescent point a
//!   push into a queue holding fewer than `max_capacity` messages succeeds.
//!
//! A ring sealed by a shrink that raced with producers may find no room for any successor
//! (the queue filled to its maximum meanwhile). It then stays sealed, and pushes are refused,
//! exactly while the queue is at its maximum: the first pop after that makes room, and the
//! next thread to meet the ring links its successor.
//!
//! # Progress
//! Every call is lock-free: no thread ever waits for another thread's allocation, seal or
//! link. A thread stalled anywhere leaves the chain in a state every other thread can take
//! further (seal a full ring, link a sealed one's successor, move `head`/`tail` on). The
//! only waits are the ring's own (a slot claimed by a thread that has not yet written it),
//! as in crossbeam's `ArrayQueue`. `push_timeout` and `pop_timeout` block by design. A
//! thread stalled while pinned delays the freeing of retired rings, never an operation.
//!
//! # Held places, byte bounds, drop_oldest
//! `room.rs`: rings linked after the first reservation (or every ring, when the queue has a
//! weight hook, a byte bound or `Overflow::DropOldest`) are *gated*, a field fixed when the
//! ring is made. A push into a gated ring first claims a place in one counter shared with
//! the held places, bounded against the dequeued position; a push into an ungated ring is the
//! plain ring push, which pays only the read of that field beside the ring's capacity.

mod reclaim;
mod resize;
mod room;
mod segment;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, loom))]
mod room_loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;

use std::marker::PhantomData;
use std::time::Duration;

use crossbeam_utils::CachePadded;

use self::reclaim::{Guard, Limbo};
use self::room::Refused;
use self::segment::{Drained, Rejected, Segment};
use super::sojourn::{Follower, TimeInQueue};
use super::{engine_by_inherent_methods, Refusals};
use crate::config::Overflow;
use crate::engine::Hooks;
use crate::sync::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use crate::wait::{deadline_after, WaitQueue};
use crate::{config::Config, error::Error, error::PopError, error::PushError, stats::Stats};

/// A consumer looks at the fill level of the last segment once per this many pops.
const SHRINK_CHECK_INTERVAL: usize = if cfg!(loom) { 1 } else { 64 };

/// While retired rings wait to be freed, one pop in this many that finds the queue empty
/// tries to free them: each try costs a heavy barrier (interrupts on every core running the
/// process), which polling consumers must not pay on every empty pop.
const IDLE_COLLECT_INTERVAL: usize = 64;

/// An elastic, lock-free, multi-producer multi-consumer FIFO queue.
///
/// Pushes and pops are a compare-exchange on a ring slot; growth never makes a push wait for
/// a consumer or for another producer, and memory of outgrown rings is reclaimed by an epoch
/// scheme whose pin costs no fence. Every message pushed is popped exactly once, and
/// messages from one producer come out in the order it pushed them.
///
/// Capacity holds exactly: the queue never holds more than `max_capacity` messages, and a
/// push into a queue holding fewer (with no call in flight) succeeds.
///
/// Progress: every call except `push_timeout` and `pop_timeout` is lock-free, including
/// those that grow, shrink or retire rings; no thread waits for another's allocation or
/// link.
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
    pop_waiters: CachePadded<WaitQueue>,
    push_waiters: CachePadded<WaitQueue>,
    /// Retired rings, freed once no pinned thread can reach them.
    limbo: Limbo<Segment<T>>,
    /// Empty pops met while `limbo` held rings; paces `collect_when_idle`.
    idle_pops: AtomicUsize,
    closed: AtomicBool,
    rejected: Refusals,
    resizes: AtomicU64,
    /// Set by the first reservation: rings linked from then on are gated (`room.rs`).
    armed: AtomicBool,
    /// Pushes admitted into gated rings plus places held, counted from the gate's baseline.
    admitted: CachePadded<AtomicU64>,
    /// Places held by permits now (decides whether evicting can make a place).
    held: AtomicUsize,
    /// A lower bound of the dequeued position, refreshed when an admission check fails.
    seen_dequeued: AtomicU64,
    /// The summed weight of the queued messages (with a weight hook only).
    bytes: AtomicUsize,
    /// Messages evicted under `Overflow::DropOldest`.
    dropped: AtomicU64,
    hooks: Hooks<T>,
    /// The message followed for the time-in-queue histogram (a labelled queue only).
    follower: Option<Follower>,
    config: Config,
    _owns: PhantomData<T>,
}

// SAFETY: the queue moves `T` values between threads (a value pushed on one thread is popped
// on another), so it is Send and Sync exactly when `T: Send`; `T` is never shared by
// reference between threads, so `T: Sync` is not needed. All shared state is atomics, the
// slot cells are accessed under the stamp protocol in `segment.rs`, and segments are freed
// through the limbo only once no pinned thread can reach them.
unsafe impl<T: Send> Send for LockFreeQueue<T> {}
// SAFETY: `&self` calls move `T` values in and out of atomically claimed slots: `T: Send`.
unsafe impl<T: Send> Sync for LockFreeQueue<T> {}

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
        // A byte bound or drop_oldest needs every push counted: gated from the start.
        let gated =
            config.get_overflow() == Overflow::DropOldest || config.get_max_bytes().is_some();
        let first = Box::into_raw(Segment::new(
            config.get_initial_capacity(),
            0,
            gated.then_some(0),
        ));
        Ok(Self {
            head: CachePadded::new(AtomicPtr::new(first)),
            tail: CachePadded::new(AtomicPtr::new(first)),
            limbo: Limbo::new(),
            idle_pops: AtomicUsize::new(0),
            pop_waiters: CachePadded::new(WaitQueue::new()),
            push_waiters: CachePadded::new(WaitQueue::new()),
            closed: AtomicBool::new(false),
            rejected: Refusals::new(),
            resizes: AtomicU64::new(0),
            armed: AtomicBool::new(gated),
            admitted: CachePadded::new(AtomicU64::new(0)),
            held: AtomicUsize::new(0),
            seen_dequeued: AtomicU64::new(0),
            bytes: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            hooks: Hooks::new(),
            follower: None,
            config,
            _owns: PhantomData,
        })
    }

    /// Appends `value` without blocking, growing the queue if it is full and below its
    /// maximum. `PushError` hands the value back.
    ///
    /// Progress: lock-free, also when it seals a ring or links a successor. (When a consumer
    /// sleeps in `pop_timeout`, waking it takes that sleeper queue's mutex for a moment.)
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
    #[inline]
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        if self.closed.load(Ordering::Acquire) {
            self.rejected.count_closed(1);
            return Err(PushError::Closed(value));
        }
        let guard = reclaim::pin();
        let result = self.push_pinned::<false>(value, &guard);
        drop(guard);
        match result {
            Ok(()) => {
                self.pop_waiters.notify_one();
                Ok(())
            }
            Err(Refused::Full(value)) => {
                self.rejected.count_full(1);
                Err(PushError::Full(value))
            }
            Err(Refused::Gated(value, baseline)) => self.push_gated(value, baseline),
        }
    }

    /// Pushes into the last segment, moving on through seals; `Full` only when the queue
    /// holds `max_capacity` messages. Unless `ADMITTED` (the push has its place counted,
    /// `room.rs`), a gated ring hands the value back with the gate's baseline.
    #[inline]
    fn push_pinned<const ADMITTED: bool>(
        &self,
        mut value: T,
        guard: &Guard,
    ) -> Result<(), Refused<T>> {
        let mut current = self.tail.load(Ordering::Acquire);
        loop {
            // SAFETY: 1. `current` was read from `tail` or a `next` pointer while this thread
            // is pinned (`guard`). 2. A segment is retired only after `head` and `tail` have
            // both moved past it, and the limbo frees it only after every thread pinned at that
            // moment unpins: so it is allocated for as long as `guard` lives.
            let segment = unsafe { &*current };
            if !ADMITTED {
                if let Some(baseline) = segment.gate {
                    return Err(Refused::Gated(value, baseline));
                }
            }
            match segment.push(value) {
                Ok(word) => return self.note_push(segment, word),
                Err(Rejected::Sealed(back)) => value = back,
                Err(Rejected::Full(back)) => {
                    value = back;
                    if !self.seal_full(segment, guard) {
                        return Err(Refused::Full(value));
                    }
                }
            }
            match self.successor(current, segment, guard) {
                Some(next) => current = next,
                None => return Err(Refused::Full(value)),
            }
        }
    }

    /// Removes the oldest message, or returns `None` at once if there is none.
    ///
    /// Progress: lock-free, also when it retires a drained ring, shrinks or links a
    /// successor. (When a producer sleeps in `push_timeout`, waking it takes that sleeper
    /// queue's mutex for a moment.)
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
    #[inline]
    pub fn pop(&self) -> Option<T> {
        let guard = reclaim::pin();
        let value = self.pop_pinned(&guard);
        drop(guard);
        if value.is_some() {
            self.push_waiters.notify_one();
        }
        value
    }

    /// Runs `f` under one pin, so that the pushes and pops it makes on lock-free queues only
    /// count a nesting level.
    pub(crate) fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = reclaim::pin();
        f()
    }

    #[inline]
    fn pop_pinned(&self, guard: &Guard) -> Option<T> {
        let mut current = self.head.load(Ordering::Acquire);
        loop {
            // SAFETY: read from `head` or `next` while pinned, so the limbo has not freed it.
            let segment = unsafe { &*current };
            match segment.pop() {
                Ok((value, index, word)) => {
                    self.note_pop(segment, word);
                    if let Some(weight) = self.hooks.weight {
                        // Added before the push landed, so this never wraps.
                        self.bytes.fetch_sub(weight(&value), Ordering::SeqCst);
                    }
                    if !segment.next.load(Ordering::Acquire).is_null() {
                        // Sealed and replaced: if this pop took its last message, retire it
                        // now rather than on a later pop.
                        self.retire_if_exhausted(current, segment, guard);
                    } else if index % SHRINK_CHECK_INTERVAL == 0
                        && segment.cap() > self.config.get_min_capacity()
                    {
                        self.shrink_if_sparse(current, segment, guard);
                    }
                    return Some(value);
                }
                Err(Drained::Empty) => {
                    // An empty last segment above the minimum is the shrink that follows a
                    // drain; one below it is replaced by a ring of the minimum.
                    let min = self.config.get_min_capacity();
                    if segment.cap() > min {
                        self.shrink_if_sparse(current, segment, guard);
                    } else if segment.cap() < min {
                        self.restore_if_short(current, segment, guard);
                    }
                    self.collect_when_idle(guard);
                    return None;
                }
                Err(Drained::Exhausted) => {
                    // Sealed and drained; its successor may not be linked yet (any thread
                    // links it, this one included).
                    let next = self.successor(current, segment, guard)?;
                    current = self.advance_head(current, next, guard);
                }
            }
        }
    }

    /// A push queued a message at `word` of `segment`: followed if the push was sampled.
    /// Returns the push's outcome, so that `push_pinned` stays a loop of returns.
    #[inline]
    fn note_push(&self, segment: &Segment<T>, word: usize) -> Result<(), Refused<T>> {
        if let Some(follower) = &self.follower {
            follower.pushed(segment.base, word as u64);
        }
        Ok(())
    }

    /// A pop took the message at `word` of `segment`.
    #[inline]
    fn note_pop(&self, segment: &Segment<T>, word: usize) {
        if let Some(follower) = &self.follower {
            follower.popped(segment.base, word as u64);
        }
    }

    /// Reports the time its sampled messages spend queued to `record` (see
    /// `engine/sojourn.rs`). `&mut self`: set before the queue is shared.
    pub(crate) fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        self.follower = Some(Follower::new(record.clone()));
    }

    /// Called by a pop that found the queue empty: now and then, tries to free retired
    /// rings. Costs one relaxed load when there are none.
    fn collect_when_idle(&self, guard: &Guard) {
        if !self.limbo.is_empty()
            && self
                .idle_pops
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(IDLE_COLLECT_INTERVAL)
        {
            self.limbo.collect(guard);
        }
    }

    /// Pushes every item in order under one pin. If the queue closes or fills at its
    /// maximum part way, the items not pushed are handed back, in order. Progress: as
    /// [`push`](Self::push), per item.
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
            self.rejected.count_closed(rest.len() as u64);
            return Err(PushError::Closed(rest));
        }
        let guard = reclaim::pin();
        let mut pushed = false;
        let mut result = Ok(());
        let mut evicted = Vec::new();
        for value in items.by_ref() {
            match self.push_pinned_or_admit(value, &guard, &mut evicted) {
                Ok(()) => pushed = true,
                Err(value) => {
                    let mut rest = vec![value];
                    rest.extend(items.by_ref());
                    self.rejected.count_full(rest.len() as u64);
                    result = Err(PushError::Full(rest));
                    break;
                }
            }
        }
        drop(guard);
        if pushed {
            self.pop_waiters.notify_all();
        }
        self.hand_over(evicted);
        result
    }

    /// Pops up to `max` messages, oldest first, under one pin. Progress: as
    /// [`pop`](Self::pop), per message.
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
    /// Woken by consumers, not by polling. Progress: blocking by design, for up to
    /// `timeout`; its attempts are lock-free pushes.
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
        self.rejected.uncount_full();
        let mut pending = Some(value);
        let mut closed = false;
        let mut evicted = Vec::new();
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
            pending = self.push_pinned_or_admit(value, &guard, &mut evicted).err();
            pending.is_none()
        });
        self.hand_over(evicted);
        match pending {
            None => {
                self.pop_waiters.notify_one();
                Ok(())
            }
            Some(value) => {
                let refused = if closed {
                    PushError::Closed(value)
                } else {
                    PushError::Full(value)
                };
                self.rejected.count(&refused, 1);
                Err(refused)
            }
        }
    }

    /// Like [`pop`](Self::pop), but sleeps until a producer pushes or `timeout` passes.
    /// `PopError::Closed` means the queue is closed and empty. Woken by producers, not by
    /// polling. Progress: blocking by design, for up to `timeout`;
    /// its attempts are lock-free pops.
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
            // SAFETY: read from `head` while pinned, so the limbo has not freed it.
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
        // SAFETY: read from `tail` while the caller is pinned, so the limbo has not freed it.
        let mut last = unsafe { &*self.tail.load(Ordering::SeqCst) };
        loop {
            let next = last.next.load(Ordering::SeqCst);
            if next.is_null() {
                return last.base + last.pushed();
            }
            // SAFETY: read from `next` while the caller is pinned, so not freed yet.
            last = unsafe { &*next };
        }
    }

    /// The number of messages in the queue (exact when no call is in flight). Lock-free: it
    /// retries only when a concurrent push or pop moved the counts.
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

    /// The capacity: the last ring's slots plus what older, sealed rings still hold (what
    /// the chain holds against `max_capacity`). Lock-free.
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
        let guard = reclaim::pin();
        // `held` walks from `head`, reading older rings first; a ring linked during the walk
        // was sized on what they held by then, less than the walk read, so the two summed
        // can exceed `max_capacity` although the chain never held that. Here the last ring is
        // read first and the sealed rings before it afterwards: each then holds at most what
        // it held when that ring was sized against `max_capacity - held`, so the sum stays
        // within the maximum. Rings linked after it are left out, as if read before them.
        loop {
            let (_, last) = self.held(&guard);
            // SAFETY: read from the chain while pinned (`guard`): allocated while it lives.
            let mut capacity = unsafe { &*last }.holds();
            let mut current = self.head.load(Ordering::SeqCst);
            while current != last && !current.is_null() {
                // SAFETY: read from `head` or a `next` pointer while pinned, as above.
                let segment = unsafe { &*current };
                capacity = capacity.saturating_add(segment.holds());
                current = segment.next.load(Ordering::SeqCst);
            }
            if current == last {
                return capacity;
            }
            // `last` was retired during the walk: the chain moved on; read it again.
        }
    }

    /// Drops the messages queued when the call starts (counted as dequeued). Lock-free.
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
    /// Messages pushed concurrently may or may not be included. Lock-free.
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
        let dropped = self.dropped.load(Ordering::SeqCst);
        let (taken, enqueued) = self.counts();
        let mut stats = Stats {
            enqueued,
            // The head position counts evictions too; `dropped` is read first, so this
            // never goes below the pops made.
            dequeued: taken.saturating_sub(dropped),
            resizes: self.resizes.load(Ordering::Relaxed),
            len: usize::try_from(enqueued - taken).unwrap_or(usize::MAX),
            capacity: self.capacity(),
            max_capacity: self.config.get_max_capacity(),
            dropped,
            bytes: self.bytes.load(Ordering::SeqCst),
            ..Stats::default()
        };
        self.rejected.add_to(&mut stats);
        stats
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
            // SAFETY: 1. `&mut self` excludes every other thread. 2. Every segment from
            // `head` on is linked and not retired (retired ones were unlinked from `head`
            // first), and each was made by `Box::into_raw`. 3. The walk frees each segment
            // exactly once.
            let segment = unsafe { Box::from_raw(current) };
            while let Ok((value, ..)) = segment.pop() {
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
