//! `LockedQueue`: an elastic MPMC ring behind one `parking_lot` mutex.
//!
//! One lock guards the ring, its logical capacity and the counters, so a push is one lock
//! acquisition (the seed crate took a second, push-only lock around every push). Blocked
//! callers sleep on condition variables and are woken by the opposite operation; the waiter
//! counts kept under the lock let the fast path skip the notify when nobody waits.
//!
//! `state` holds what the lock guards and the resize rules; this file the calls, which take
//! the lock, apply those rules and sleep or wake.

mod room;
mod state;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_utils::CachePadded;
use parking_lot::{Condvar, Mutex};

use self::state::{Locked, Room, State};
use super::engine_by_inherent_methods;
use crate::config::Config;
use crate::engine::sojourn::{Follower, TimeInQueue};
use crate::engine::Hooks;
use crate::error::{Error, PopError, PushError};
use crate::stats::Stats;
use crate::wait::deadline_after;

/// An elastic multi-producer multi-consumer FIFO queue guarded by a single mutex.
///
/// Grows by the configured growth factor when a push finds it full (up to `max_capacity`),
/// and shrinks when a pop leaves it at or below the shrink threshold (down to
/// `min_capacity`). Predictable under heavy contention; for the lowest latency with few
/// threads, see [`LockFreeQueue`](crate::LockFreeQueue).
///
/// ```
/// use std::sync::Arc;
/// use elasticq_runtime::{Config, LockedQueue};
///
/// let queue = Arc::new(LockedQueue::new(Config::new().initial_capacity(256))?);
/// let producer = {
///     let queue = Arc::clone(&queue);
///     std::thread::spawn(move || {
///         for i in 0..1000 {
///             queue.push(i).unwrap();
///         }
///     })
/// };
/// producer.join().unwrap();
/// assert_eq!(queue.len(), 1000);
/// assert!(queue.capacity() >= 1000);
/// assert_eq!(queue.pop(), Some(0));
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub struct LockedQueue<T> {
    state: Mutex<State<T>>,
    /// The number of messages when the lock was last released, so that `pop` on an empty
    /// queue returns without taking the lock: a layer over several engines (priority
    /// levels, partitions) looks at many empty ones per pop.
    len_hint: CachePadded<AtomicUsize>,
    not_empty: Condvar,
    not_full: Condvar,
    config: Config,
    hooks: Hooks<T>,
}

impl<T> LockedQueue<T> {
    /// Builds an empty queue with `config.initial_capacity()` slots.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    ///
    /// let queue = LockedQueue::<String>::new(Config::new().initial_capacity(8).min_capacity(8))?;
    /// assert_eq!(queue.capacity(), 8);
    /// assert!(LockedQueue::<String>::new(Config::new().growth_factor(0.5)).is_err());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn new(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let config = config.resolved();
        let capacity = config.get_initial_capacity();
        Ok(Self {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(capacity),
                capacity,
                closed: false,
                enqueued: 0,
                dequeued: 0,
                rejected: 0,
                rejected_closed: 0,
                resizes: 0,
                dropped: 0,
                reserved: 0,
                bytes: 0,
                pop_waiters: 0,
                push_waiters: 0,
                follower: None,
            }),
            len_hint: CachePadded::new(AtomicUsize::new(0)),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            config,
            hooks: Hooks::new(),
        })
    }

    /// Sets the weight function (for [`Config::max_bytes`] and `stats().bytes`) and the hook
    /// that receives messages evicted under [`Overflow::DropOldest`](crate::Overflow).
    ///
    /// ```
    /// use elasticq_runtime::{Config, Hooks, LockedQueue};
    /// let mut queue = LockedQueue::new(Config::new().max_bytes(4))?;
    /// queue.set_hooks(Hooks::new().weight(|s: &&str| s.len()));
    /// queue.push("abc").unwrap();
    /// assert!(queue.push("de").is_err()); // 5 bytes would pass the bound of 4
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn set_hooks(&mut self, hooks: Hooks<T>) {
        self.hooks = hooks;
    }

    /// Reports the time its sampled messages spend queued to `record` (see
    /// `engine/sojourn.rs`). `&mut self`: set before the queue is shared.
    pub(crate) fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        self.lock().follower = Some(Follower::new(record.clone()));
    }

    fn lock(&self) -> Locked<'_, T> {
        Locked {
            guard: self.state.lock(),
            len_hint: &self.len_hint,
        }
    }

    /// Appends `value`, growing the queue if it is full; never blocks on a full queue.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue, PushError};
    ///
    /// let queue = LockedQueue::new(Config::new())?;
    /// queue.push(1)?;
    /// queue.close();
    /// assert_eq!(queue.push(2), Err(PushError::Closed(2)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        let weight = self.hooks.weigh(&value);
        let mut evicted = Vec::new();
        let mut state = self.lock();
        match state.make_room(&self.config, &self.hooks, weight, &mut evicted) {
            Room::Available => {}
            Room::Full => {
                state.rejected += 1;
                return Err(PushError::Full(value));
            }
            Room::Closed => {
                state.rejected += 1;
                state.rejected_closed += 1;
                return Err(PushError::Closed(value));
            }
        }
        self.land(state, value, weight);
        self.hand_over(evicted);
        Ok(())
    }

    /// Appends a message that has its place, counts it, releases the lock and wakes a
    /// sleeping popper: the end of every push of one message.
    #[inline]
    fn land(&self, mut state: Locked<'_, T>, value: T, weight: usize) {
        state.append(value, weight);
        state.pushed_one();
        state.enqueued += 1;
        let wake = state.pop_waiters > 0;
        drop(state);
        if wake {
            self.not_empty.notify_one();
        }
    }

    /// Hands messages evicted under the lock to the hook, once the lock is released (the
    /// hook may push into this queue again).
    #[inline]
    fn hand_over(&self, evicted: Vec<T>) {
        if !evicted.is_empty() {
            self.hooks.hand_over(evicted);
        }
    }

    /// Removes the oldest message, or returns `None` at once if there is none.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    ///
    /// let queue = LockedQueue::new(Config::new())?;
    /// assert_eq!(queue.pop(), None::<u8>);
    /// queue.push(9).unwrap();
    /// assert_eq!(queue.pop(), Some(9));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn pop(&self) -> Option<T> {
        // Seen empty when the lock was last released: nothing to take now. A push in flight
        // has not completed, so the pop is ordered before it. An async waiter's second look
        // takes the lock instead (see `wait::strictly`).
        if self.len_hint.load(Ordering::Acquire) == 0 && !crate::wait::is_strict() {
            return None;
        }
        let mut state = self.lock();
        let value = state.take_one(&self.config, &self.hooks)?;
        let wake = state.push_waiters > 0;
        drop(state);
        if wake {
            self.not_full.notify_one();
        }
        Some(value)
    }

    /// Pushes every item in order under one lock acquisition. If the queue closes or fills
    /// at its maximum part way, the items not pushed are handed back, in order.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue, PushError};
    ///
    /// let queue = LockedQueue::new(Config::new().initial_capacity(2).min_capacity(2).max_capacity(2))?;
    /// assert_eq!(queue.push_batch([1, 2, 3, 4]), Err(PushError::Full(vec![3, 4])));
    /// assert_eq!(queue.drain(), vec![1, 2]);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn push_batch<I: IntoIterator<Item = T>>(&self, items: I) -> Result<(), PushError<Vec<T>>> {
        let mut items = items.into_iter();
        let mut state = self.lock();
        if state.closed {
            // Even an empty batch reports the close, as `LockFreeQueue` does.
            let rest: Vec<T> = items.collect();
            state.rejected += rest.len() as u64;
            state.rejected_closed += rest.len() as u64;
            return Err(PushError::Closed(rest));
        }
        let mut pushed = 0usize;
        let mut evicted = Vec::new();
        let result = loop {
            let Some(value) = items.next() else {
                break Ok(());
            };
            let weight = self.hooks.weigh(&value);
            let room = state.make_room(&self.config, &self.hooks, weight, &mut evicted);
            if let Room::Available = room {
                state.append(value, weight);
                pushed += 1;
                continue;
            }
            let mut rest = vec![value];
            rest.extend(items);
            state.rejected += rest.len() as u64;
            if let Room::Closed = room {
                state.rejected_closed += rest.len() as u64;
            }
            break Err(match room {
                Room::Closed => PushError::Closed(rest),
                _ => PushError::Full(rest),
            });
        };
        state.enqueued += pushed as u64;
        let wake = pushed > 0 && state.pop_waiters > 0;
        drop(state);
        if wake {
            self.not_empty.notify_all();
        }
        self.hand_over(evicted);
        result
    }

    /// Pops up to `max` messages, oldest first, under one lock acquisition.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    ///
    /// let queue = LockedQueue::new(Config::new())?;
    /// queue.push_batch(0..5).unwrap();
    /// assert_eq!(queue.pop_batch(3), vec![0, 1, 2]);
    /// assert_eq!(queue.pop_batch(10), vec![3, 4]);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn pop_batch(&self, max: usize) -> Vec<T> {
        let mut state = self.lock();
        let taken = state.take_front(max, &self.config, &self.hooks);
        let wake = !taken.is_empty() && state.push_waiters > 0;
        drop(state);
        if wake {
            self.not_full.notify_all();
        }
        taken
    }

    /// Like [`push`](Self::push), but when the queue is full at its maximum, sleeps until a
    /// pop makes room or `timeout` passes (then `PushError::Full` hands the value back).
    ///
    /// ```
    /// use std::time::Duration;
    /// use elasticq_runtime::{Config, LockedQueue, PushError};
    ///
    /// let queue = LockedQueue::new(Config::new().initial_capacity(1).min_capacity(1).max_capacity(1))?;
    /// queue.push_timeout('a', Duration::from_millis(5)).unwrap();
    /// assert_eq!(queue.push_timeout('b', Duration::from_millis(5)), Err(PushError::Full('b')));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn push_timeout(&self, value: T, timeout: Duration) -> Result<(), PushError<T>> {
        let deadline = deadline_after(timeout);
        let weight = self.hooks.weigh(&value);
        let mut evicted = Vec::new();
        let mut state = self.lock();
        loop {
            match state.make_room(&self.config, &self.hooks, weight, &mut evicted) {
                Room::Available => break,
                Room::Closed => {
                    state.rejected += 1;
                    state.rejected_closed += 1;
                    return Err(PushError::Closed(value));
                }
                Room::Full => {
                    if !self.sleep(&mut state, &self.not_full, deadline, Side::Push) {
                        let room = state.make_room(&self.config, &self.hooks, weight, &mut evicted);
                        if let Room::Available = room {
                            break;
                        }
                        state.rejected += 1;
                        if state.closed {
                            state.rejected_closed += 1;
                        }
                        return Err(if state.closed {
                            PushError::Closed(value)
                        } else {
                            PushError::Full(value)
                        });
                    }
                }
            }
        }
        self.land(state, value, weight);
        self.hand_over(evicted);
        Ok(())
    }

    /// Like [`pop`](Self::pop), but sleeps until a push arrives or `timeout` passes.
    /// `PopError::Closed` means the queue is closed and empty.
    ///
    /// ```
    /// use std::{sync::Arc, thread, time::Duration};
    /// use elasticq_runtime::{Config, LockedQueue};
    ///
    /// let queue = Arc::new(LockedQueue::new(Config::new())?);
    /// let consumer = {
    ///     let queue = Arc::clone(&queue);
    ///     thread::spawn(move || queue.pop_timeout(Duration::from_secs(10)))
    /// };
    /// queue.push("wake up").unwrap();
    /// assert_eq!(consumer.join().unwrap(), Ok("wake up"));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn pop_timeout(&self, timeout: Duration) -> Result<T, PopError> {
        let deadline = deadline_after(timeout);
        let mut state = self.lock();
        loop {
            if let Some(value) = state.take_one(&self.config, &self.hooks) {
                let wake = state.push_waiters > 0;
                drop(state);
                if wake {
                    self.not_full.notify_one();
                }
                return Ok(value);
            }
            if state.closed {
                return Err(PopError::Closed);
            }
            if !self.sleep(&mut state, &self.not_empty, deadline, Side::Pop)
                && state.items.is_empty()
            {
                return Err(if state.closed {
                    PopError::Closed
                } else {
                    PopError::Timeout
                });
            }
        }
    }

    /// Sleeps on `condvar` until notified or `deadline`; false when the deadline passed.
    fn sleep(
        &self,
        state: &mut Locked<'_, T>,
        condvar: &Condvar,
        deadline: Option<std::time::Instant>,
        side: Side,
    ) -> bool {
        match side {
            Side::Pop => state.pop_waiters += 1,
            Side::Push => state.push_waiters += 1,
        }
        let timed_out = match deadline {
            Some(deadline) => condvar.wait_until(&mut state.guard, deadline).timed_out(),
            None => {
                condvar.wait(&mut state.guard);
                false
            }
        };
        match side {
            Side::Pop => state.pop_waiters -= 1,
            Side::Push => state.push_waiters -= 1,
        }
        !timed_out
    }

    /// The number of messages in the queue.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    /// let queue = LockedQueue::new(Config::new())?;
    /// queue.push(()).unwrap();
    /// assert_eq!(queue.len(), 1);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether the queue holds no message.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    /// assert!(LockedQueue::<u8>::new(Config::new())?.is_empty());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        // The length as of the last release of the lock: exact whenever no call is in
        // flight, and without taking the lock, which the fair priority layer relies on.
        // An async waiter's second look takes the lock (see `wait::strictly`).
        if crate::wait::is_strict() {
            return self.lock().items.is_empty();
        }
        self.len_hint.load(Ordering::Acquire) == 0
    }

    /// The current logical capacity: how many messages fit before the next growth.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    /// let queue = LockedQueue::new(Config::new().initial_capacity(4).min_capacity(4))?;
    /// queue.push_batch(0..5).unwrap();
    /// assert_eq!(queue.capacity(), 8); // grew by the default factor of 2
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.lock().capacity
    }

    /// Drops every queued message (counted as dequeued).
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    /// let queue = LockedQueue::new(Config::new())?;
    /// queue.push_batch(0..3).unwrap();
    /// queue.clear();
    /// assert!(queue.is_empty());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn clear(&self) {
        drop(self.drain());
    }

    /// Removes and returns every queued message, oldest first.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    /// let queue = LockedQueue::new(Config::new())?;
    /// queue.push_batch(["a", "b"]).unwrap();
    /// assert_eq!(queue.drain(), vec!["a", "b"]);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn drain(&self) -> Vec<T> {
        self.pop_batch(usize::MAX)
    }

    /// Closes the queue: later pushes fail with `PushError::Closed`, blocked callers wake up,
    /// and queued messages can still be popped.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    /// let queue = LockedQueue::new(Config::new())?;
    /// queue.push(1).unwrap();
    /// queue.close();
    /// assert!(queue.is_closed());
    /// assert_eq!(queue.pop(), Some(1));
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn close(&self) {
        self.lock().closed = true;
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }

    /// Whether [`close`](Self::close) has been called.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    /// assert!(!LockedQueue::<u8>::new(Config::new())?.is_closed());
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// A consistent snapshot of the counters.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    /// let queue = LockedQueue::new(Config::new())?;
    /// queue.push(1).unwrap();
    /// assert_eq!(queue.stats().enqueued, 1);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn stats(&self) -> Stats {
        let state = self.lock();
        Stats {
            enqueued: state.enqueued,
            dequeued: state.dequeued,
            rejected: state.rejected,
            rejected_closed: state.rejected_closed,
            max_capacity: self.config.get_max_capacity(),
            resizes: state.resizes,
            len: state.items.len(),
            capacity: state.capacity,
            dropped: state.dropped,
            bytes: state.bytes,
            ..Stats::default()
        }
    }

    /// The configuration the queue was built with.
    ///
    /// ```
    /// use elasticq_runtime::{Config, LockedQueue};
    /// let queue = LockedQueue::<u8>::new(Config::new().initial_capacity(64).max_capacity(64))?;
    /// assert_eq!(queue.config().get_max_capacity(), 64);
    /// # Ok::<(), elasticq_runtime::Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }
}

#[derive(Clone, Copy)]
enum Side {
    Pop,
    Push,
}

impl<T> std::fmt::Debug for LockedQueue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockedQueue")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

engine_by_inherent_methods!(LockedQueue);
