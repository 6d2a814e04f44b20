//! The interface every queue engine offers, which the layers above (priorities, partitions,
//! persistence, instrumentation, waiting) are written against.

use std::time::Duration;

use crate::{Config, Error, PopError, PushError, Stats};

/// A concurrent elastic FIFO queue: the contract shared by [`LockedQueue`](crate::LockedQueue)
/// and [`LockFreeQueue`](crate::LockFreeQueue).
///
/// Every method takes `&self`: share an engine across threads with `Arc`, with any number of
/// producers and consumers. Implementations keep, under any interleaving:
/// - FIFO: messages come out in the order their pushes took effect, so one producer's
///   messages stay in push order;
/// - conservation: nothing is lost or duplicated, also while the capacity changes;
/// - elasticity: a full queue below `max_capacity` grows instead of refusing a push, and a
///   push never fails because a resize is in progress.
///
/// ```
/// use elasticq_runtime::{Config, Engine, LockFreeQueue, LockedQueue};
///
/// fn round_trip<E: Engine<u64>>() -> Vec<u64> {
///     let engine = E::with_config(Config::new()).unwrap();
///     engine.push_batch(1..=3).unwrap();
///     engine.drain()
/// }
/// assert_eq!(round_trip::<LockedQueue<u64>>(), vec![1, 2, 3]);
/// assert_eq!(round_trip::<LockFreeQueue<u64>>(), vec![1, 2, 3]);
/// ```
pub trait Engine<T>: Sized {
    /// Builds an empty engine; an invalid `config` is an [`Error::InvalidConfig`].
    fn with_config(config: Config) -> Result<Self, Error>;
    /// Appends `value` without blocking, growing the queue if it is full and below its maximum.
    fn push(&self, value: T) -> Result<(), PushError<T>>;
    /// Removes the oldest message without blocking.
    fn pop(&self) -> Option<T>;
    /// Pushes every item in order; on failure the items not pushed are handed back, in order.
    /// On a closed queue every batch, even an empty one, is `PushError::Closed`.
    fn push_batch<I: IntoIterator<Item = T>>(&self, items: I) -> Result<(), PushError<Vec<T>>>;
    /// Pops up to `max` messages, oldest first, without blocking.
    fn pop_batch(&self, max: usize) -> Vec<T>;
    /// Like `push`, but waits up to `timeout` for room when the queue is at its maximum.
    fn push_timeout(&self, value: T, timeout: Duration) -> Result<(), PushError<T>>;
    /// Like `pop`, but waits up to `timeout` for a message.
    fn pop_timeout(&self, timeout: Duration) -> Result<T, PopError>;
    /// The number of messages in the queue.
    fn len(&self) -> usize;
    /// Whether the queue holds no message.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The current capacity.
    fn capacity(&self) -> usize;
    /// Drops every message in the queue.
    fn clear(&self);
    /// Removes and returns every message in the queue, oldest first.
    fn drain(&self) -> Vec<T>;
    /// Refuses all later pushes; messages already queued can still be popped.
    fn close(&self);
    /// Whether `close` has been called.
    fn is_closed(&self) -> bool;
    /// A snapshot of the counters.
    fn stats(&self) -> Stats;
}

/// Implements [`Engine`] for a type whose inherent methods already have the trait's names and
/// signatures, so users of the concrete type need not import the trait.
macro_rules! engine_by_inherent_methods {
    ($ty:ident) => {
        impl<T> $crate::Engine<T> for $ty<T> {
            fn with_config(config: $crate::Config) -> Result<Self, $crate::Error> {
                $ty::new(config)
            }
            #[inline]
            fn push(&self, value: T) -> Result<(), $crate::PushError<T>> {
                $ty::push(self, value)
            }
            #[inline]
            fn pop(&self) -> Option<T> {
                $ty::pop(self)
            }
            fn push_batch<I: IntoIterator<Item = T>>(
                &self,
                items: I,
            ) -> Result<(), $crate::PushError<Vec<T>>> {
                $ty::push_batch(self, items)
            }
            fn pop_batch(&self, max: usize) -> Vec<T> {
                $ty::pop_batch(self, max)
            }
            fn push_timeout(
                &self,
                value: T,
                timeout: ::std::time::Duration,
            ) -> Result<(), $crate::PushError<T>> {
                $ty::push_timeout(self, value, timeout)
            }
            fn pop_timeout(&self, timeout: ::std::time::Duration) -> Result<T, $crate::PopError> {
                $ty::pop_timeout(self, timeout)
            }
            fn len(&self) -> usize {
                $ty::len(self)
            }
            fn is_empty(&self) -> bool {
                $ty::is_empty(self)
            }
            fn capacity(&self) -> usize {
                $ty::capacity(self)
            }
            fn clear(&self) {
                $ty::clear(self)
            }
            fn drain(&self) -> Vec<T> {
                $ty::drain(self)
            }
            fn close(&self) {
                $ty::close(self)
            }
            fn is_closed(&self) -> bool {
                $ty::is_closed(self)
            }
            fn stats(&self) -> $crate::Stats {
                $ty::stats(self)
            }
        }
    };
}
pub(crate) use engine_by_inherent_methods;

/// The deadline `timeout` from now; `None` when it lies beyond what `Instant` can represent,
/// which callers treat as "wait forever".
pub(crate) fn deadline_after(timeout: Duration) -> Option<std::time::Instant> {
    std::time::Instant::now().checked_add(timeout)
}
