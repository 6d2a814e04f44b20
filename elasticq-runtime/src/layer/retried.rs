//! `Retried`: an engine whose refusals of retried pushes are not counted as rejections.
//!
//! A push that waits for room (`push_async`, a sink) tries again each time it is woken, and
//! the engines count every `Full` refusal in `rejected`: a wait for room would count as many
//! rejections as it had wake-ups. The generated queues hold each engine inside `Retried`,
//! and make those tries with [`Lane::push_retry`], which every layer routes down to the
//! engine's `Retried`. It counts the `Full` refusals of those tries per partition of the
//! engine's counters and takes them off the engine's [`Stats`], so every layer above (levels,
//! partitions, persistence, the metrics series, which all sum their lanes' stats) reports
//! them as they should be: not at all. A plain `push` passes straight through, at no cost.

use std::ops::Deref;
use std::time::Duration;

use crate::config::Config;
use crate::engine::{stable_hash, Engine, Hooks, LockFreeQueue, LockedQueue, MapQueue, Room};
use crate::error::{Error, PopError, PushError};
use crate::layer::Lane;
use crate::message::MapMessage;
use crate::stats::Stats;
use crate::sync::{AtomicU64, Ordering};

/// An engine that [`Retried`] can count retried refusals of: where in its [`Stats`] a push of
/// a given message is counted. A FIFO engine counts everything in one place; the map engine
/// counts each partition (shard) apart.
///
/// ```
/// use elasticq_runtime::{Config, Engine, LockedQueue};
/// use elasticq_runtime::__private::RefusalLanes;
/// let queue = LockedQueue::<u8>::with_config(Config::new())?;
/// assert_eq!((queue.refusal_lanes(), queue.refusal_lane(&7)), (1, 0));
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub trait RefusalLanes<T>: Engine<T> {
    /// How many places the engine counts refusals in: 1, or the number of entries of
    /// `stats().partitions`.
    fn refusal_lanes(&self) -> usize {
        1
    }

    /// Where a refused push of `value` is counted (below [`refusal_lanes`](Self::refusal_lanes)).
    fn refusal_lane(&self, value: &T) -> usize {
        let _ = value;
        0
    }
}

impl<T> RefusalLanes<T> for LockedQueue<T> {}

impl<T> RefusalLanes<T> for LockFreeQueue<T> {}

impl<M: MapMessage> RefusalLanes<M> for MapQueue<M> {
    fn refusal_lanes(&self) -> usize {
        self.partitions()
    }

    fn refusal_lane(&self, value: &M) -> usize {
        self.partition_of_hash(stable_hash(value.key()))
    }
}

/// An engine `E` whose `Full` refusals of [`Lane::push_retry`] are not counted in its
/// [`Stats`]' `rejected` (see the module comment). Every other call is the engine's own; it
/// derefs to the engine.
///
/// ```
/// use elasticq_runtime::{Config, Engine, Lane, LockedQueue};
/// use elasticq_runtime::__private::Retried;
///
/// let queue = Retried::<LockedQueue<u8>>::with_config(Config::new().initial_capacity(1).min_capacity(1).max_capacity(1))?;
/// queue.push(1).unwrap();
/// assert!(queue.push_retry(2).unwrap_err().is_full()); // a try of a push that waits
/// assert_eq!(queue.stats().rejected, 0);
/// assert!(queue.push(3).unwrap_err().is_full()); // a plain push
/// assert_eq!(queue.stats().rejected, 1);
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub struct Retried<E> {
    engine: E,
    /// `Full` refusals of retries, where the engine counted each (see [`RefusalLanes`]).
    refused: Box<[AtomicU64]>,
}

impl<E> Deref for Retried<E> {
    type Target = E;

    #[inline]
    fn deref(&self) -> &E {
        &self.engine
    }
}

impl<E> Retried<E> {
    /// The wrapped engine, to set up before the queue is shared.
    #[cfg(feature = "metrics")]
    pub(crate) fn engine_mut(&mut self) -> &mut E {
        &mut self.engine
    }
}

impl<T, E: RefusalLanes<T>> Engine<T> for Retried<E> {
    fn with_config(config: Config) -> Result<Self, Error> {
        let engine = E::with_config(config)?;
        let refused = (0..engine.refusal_lanes())
            .map(|_| AtomicU64::new(0))
            .collect();
        Ok(Self { engine, refused })
    }

    #[inline]
    fn push(&self, value: T) -> Result<(), PushError<T>> {
        self.engine.push(value)
    }

    #[inline]
    fn pop(&self) -> Option<T> {
        self.engine.pop()
    }

    fn push_batch<I: IntoIterator<Item = T>>(&self, items: I) -> Result<(), PushError<Vec<T>>> {
        self.engine.push_batch(items)
    }

    fn pop_batch(&self, max: usize) -> Vec<T> {
        self.engine.pop_batch(max)
    }

    fn push_timeout(&self, value: T, timeout: Duration) -> Result<(), PushError<T>> {
        self.engine.push_timeout(value, timeout)
    }

    fn pop_timeout(&self, timeout: Duration) -> Result<T, PopError> {
        self.engine.pop_timeout(timeout)
    }

    fn len(&self) -> usize {
        self.engine.len()
    }

    fn is_empty(&self) -> bool {
        self.engine.is_empty()
    }

    fn capacity(&self) -> usize {
        self.engine.capacity()
    }

    fn clear(&self) {
        self.engine.clear()
    }

    fn drain(&self) -> Vec<T> {
        self.engine.drain()
    }

    fn close(&self) {
        self.engine.close()
    }

    fn is_closed(&self) -> bool {
        self.engine.is_closed()
    }

    fn stats(&self) -> Stats {
        // Read before the engine's counters: each refusal here was counted there first, so
        // what is taken off was counted in the snapshot.
        let refused: Vec<u64> = self
            .refused
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect();
        let mut stats = self.engine.stats();
        stats.rejected = stats.rejected.saturating_sub(refused.iter().sum());
        if refused.len() > 1 {
            for (partition, refused) in stats.partitions.iter_mut().zip(&refused) {
                partition.rejected = partition.rejected.saturating_sub(*refused);
            }
        }
        stats
    }
}

impl<T, E: Lane<T> + RefusalLanes<T>> Lane<T> for Retried<E> {
    fn config(&self) -> &Config {
        self.engine.config()
    }

    fn levels(&self) -> usize {
        self.engine.levels()
    }

    fn level_names(&self) -> &'static [&'static str] {
        self.engine.level_names()
    }

    fn pop_level(&self, level: usize) -> Option<T> {
        self.engine.pop_level(level)
    }

    #[inline]
    fn pinned<R>(&self, f: impl FnOnce() -> R) -> R {
        self.engine.pinned(f)
    }

    fn len_level(&self, level: usize) -> usize {
        self.engine.len_level(level)
    }

    fn room_for(&self, like: Option<&T>) -> Option<&dyn Room<T>>
    where
        T: Send,
    {
        self.engine.room_for(like)
    }

    fn set_hooks(&mut self, hooks: &Hooks<T>) {
        self.engine.set_hooks(hooks);
    }

    fn follow_time_in_queue(&mut self, record: &crate::engine::TimeInQueue) {
        self.engine.follow_time_in_queue(record);
    }

    fn push_retry(&self, value: T) -> Result<(), PushError<T>> {
        let lane = self.engine.refusal_lane(&value);
        self.engine.push(value).inspect_err(|error| {
            if error.is_full() {
                self.refused[lane].fetch_add(1, Ordering::Relaxed);
            }
        })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::message::Message;

    #[derive(Debug, PartialEq)]
    struct Gauge {
        name: u32,
    }
    impl Message for Gauge {
        type Queue = ();
        type Lanes<E: Lane<Self>> = E;
        const NAME: &'static str = "Gauge";
    }
    impl MapMessage for Gauge {
        type Key = u32;
        type Version = ();
        fn key(&self) -> &u32 {
            &self.name
        }
        fn version(&self) -> Option<&()> {
            None
        }
    }

    #[test]
    fn retried_refusals_of_the_map_engine_are_taken_off_their_partition() {
        let config = Config::new()
            .partitions(2)
            .initial_capacity(1)
            .min_capacity(1)
            .max_capacity(1);
        let map = Retried::<MapQueue<Gauge>>::with_config(config).unwrap();
        let names: Vec<u32> = (0..64).collect();
        let first = names[0];
        let partition = map.partition_of_hash(stable_hash(&first));
        let other = *names
            .iter()
            .find(|name| map.partition_of_hash(stable_hash(*name)) != partition)
            .unwrap();
        let same = *names[1..]
            .iter()
            .find(|name| map.partition_of_hash(stable_hash(*name)) == partition)
            .unwrap();
        map.push(Gauge { name: first }).unwrap();
        assert!(map.push_retry(Gauge { name: same }).unwrap_err().is_full());
        map.push(Gauge { name: other }).unwrap();
        assert!(map.push(Gauge { name: same }).unwrap_err().is_full());
        let stats = map.stats();
        assert_eq!(stats.rejected, 1, "the plain push only");
        assert_eq!(stats.partitions[partition].rejected, 1);
        assert_eq!(stats.partitions[1 - partition].rejected, 0);
    }
}
