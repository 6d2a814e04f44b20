//! Engines: the queues that hold messages, and the [`Engine`] interface every one of them
//! offers, which the layers above (priorities, partitions, persistence, instrumentation) are
//! written against.
//!
//! This is the bottom of the layering. An engine is built from a [`Config`] and reports
//! [`Stats`]; it sleeps through `wait/` and, for the lock-free engine, reads its atomics
//! through the loom shim (`sync`). It never names a layer, a generated queue or the
//! persistence layer: those are built over engines, never the other way round. The one
//! exception is the sharded map engine, which reads a message's key and version through
//! [`MapMessage`](crate::message::MapMessage).
//!
//! - `locked`: one `parking_lot` mutex around a ring; predictable under any load.
//! - `lock_free/`: a chain of lock-free rings with epoch-based reclamation.
//! - `map/`: PartitionedBuffer.Map's keyed buffer, sharded by key.
//! - `hash`: the stable hash keys are routed by, here because the map engine shards by it;
//!   the partition layer routes by the same function.

mod hash;
mod lock_free;
mod locked;
mod map;
mod room;
pub(crate) mod sojourn;

pub(crate) use self::hash::partition_index;
pub use self::hash::{stable_hash, StableHasher};
pub use self::lock_free::LockFreeQueue;
pub use self::locked::LockedQueue;
pub use self::map::{Entry, MapQueue, Put};
pub use self::room::{Hooks, NoRoom, Room};
pub use self::sojourn::TimeInQueue;

use std::time::Duration;

use crate::config::Config;
use crate::error::{Error, PopError, PushError};
use crate::stats::Stats;
use crate::sync::{AtomicU64, Ordering};

/// A concurrent elastic FIFO queue: the contract shared by [`LockedQueue`] and
/// [`LockFreeQueue`].
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
        impl<T> $crate::engine::Engine<T> for $ty<T> {
            fn with_config(config: $crate::config::Config) -> Result<Self, $crate::error::Error> {
                $ty::new(config)
            }
            #[inline]
            fn push(&self, value: T) -> Result<(), $crate::error::PushError<T>> {
                $ty::push(self, value)
            }
            #[inline]
            fn pop(&self) -> Option<T> {
                $ty::pop(self)
            }
            fn push_batch<I: IntoIterator<Item = T>>(
                &self,
                items: I,
            ) -> Result<(), $crate::error::PushError<Vec<T>>> {
                $ty::push_batch(self, items)
            }
            fn pop_batch(&self, max: usize) -> Vec<T> {
                $ty::pop_batch(self, max)
            }
            fn push_timeout(
                &self,
                value: T,
                timeout: ::std::time::Duration,
            ) -> Result<(), $crate::error::PushError<T>> {
                $ty::push_timeout(self, value, timeout)
            }
            fn pop_timeout(
                &self,
                timeout: ::std::time::Duration,
            ) -> Result<T, $crate::error::PopError> {
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
            fn stats(&self) -> $crate::stats::Stats {
                $ty::stats(self)
            }
        }
    };
}
pub(crate) use engine_by_inherent_methods;

/// `push_batch` for a queue made of several others (the layers, and the map engine's
/// shards): pushes each item with `push`, in order; on the first refusal, hands back that
/// item and every one after it. A closed queue refuses the whole batch, even an empty one, as
/// the engines do. `rejected` is the caller's own refusal counter: the inner queue that
/// refused the first item has counted it, the caller counts the rest.
pub(crate) fn push_each<T>(
    items: impl IntoIterator<Item = T>,
    closed: bool,
    rejected: &Refusals,
    mut push: impl FnMut(T) -> Result<(), PushError<T>>,
) -> Result<(), PushError<Vec<T>>> {
    let mut items = items.into_iter();
    if closed {
        let all: Vec<T> = items.collect();
        let refused = PushError::Closed(all);
        rejected.count(&refused, refused_len(&refused));
        return Err(refused);
    }
    while let Some(value) = items.next() {
        if let Err(error) = push(value) {
            let rest: PushError<Vec<T>> =
                error.map(|value| std::iter::once(value).chain(items).collect());
            rejected.count(&rest, refused_len(&rest).saturating_sub(1));
            return Err(rest);
        }
    }
    Ok(())
}

fn refused_len<T>(refused: &PushError<Vec<T>>) -> u64 {
    match refused {
        PushError::Full(rest)
        | PushError::Closed(rest)
        | PushError::InvalidPriority(rest)
        | PushError::Persist(rest, _) => rest.len() as u64,
    }
}

/// The refusal counters of a queue that counts its own: every refused message, and of them
/// those refused for each reason but room (which is what is left: [`Stats::rejected_full`]).
/// Relaxed: they are statistics, read only as a snapshot.
pub(crate) struct Refusals {
    all: AtomicU64,
    closed: AtomicU64,
    invalid_priority: AtomicU64,
    write_failed: AtomicU64,
}

impl Refusals {
    pub(crate) fn new() -> Self {
        Self {
            all: AtomicU64::new(0),
            closed: AtomicU64::new(0),
            invalid_priority: AtomicU64::new(0),
            write_failed: AtomicU64::new(0),
        }
    }

    /// Counts `count` messages refused with `refused`'s reason.
    #[inline]
    pub(crate) fn count<T>(&self, refused: &PushError<T>, count: u64) {
        self.all.fetch_add(count, Ordering::Relaxed);
        let reason = match refused {
            PushError::Full(_) => return,
            PushError::Closed(_) => &self.closed,
            PushError::InvalidPriority(_) => &self.invalid_priority,
            PushError::Persist(..) => &self.write_failed,
        };
        reason.fetch_add(count, Ordering::Relaxed);
    }

    /// Counts `count` messages refused for want of room.
    #[inline]
    pub(crate) fn count_full(&self, count: u64) {
        self.all.fetch_add(count, Ordering::Relaxed);
    }

    /// Counts `count` messages refused because the queue was closed.
    #[inline]
    pub(crate) fn count_closed(&self, count: u64) {
        self.all.fetch_add(count, Ordering::Relaxed);
        self.closed.fetch_add(count, Ordering::Relaxed);
    }

    /// Takes back one refusal for room counted before (a push that then waits for room).
    pub(crate) fn uncount_full(&self) {
        self.all.fetch_sub(1, Ordering::Relaxed);
    }

    /// Adds the counts into `stats`.
    pub(crate) fn add_to(&self, stats: &mut Stats) {
        stats.rejected += self.all.load(Ordering::Relaxed);
        stats.rejected_closed += self.closed.load(Ordering::Relaxed);
        stats.rejected_invalid_priority += self.invalid_priority.load(Ordering::Relaxed);
        stats.rejected_write_failed += self.write_failed.load(Ordering::Relaxed);
    }
}
