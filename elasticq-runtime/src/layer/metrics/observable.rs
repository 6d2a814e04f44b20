//! What the metrics publisher reads from a queue: its counters, its levels, and for a
//! persisted queue its log's totals.

use crate::engine::{LockFreeQueue, LockedQueue, MapQueue};
use crate::layer::PriorityLevels;
use crate::layer::{Lane, Partitioned};
use crate::layer::{RefusalLanes, Retried};
use crate::message::Prioritized;
use crate::message::{MapMessage, Message};
use crate::stats::Stats;

/// A queue composition whose counters can be published: every engine and layer, and a
/// persisted queue. Implemented for each of them; [`Instrumented`](crate::Instrumented) wraps
/// any of them.
///
/// ```
/// use elasticq_runtime::{metrics::Observable, Config, LockedQueue};
/// let queue = LockedQueue::<u8>::new(Config::new())?;
/// queue.push(1).unwrap();
/// assert_eq!(Observable::<u8>::observed_stats(&queue).enqueued, 1);
/// # Ok::<(), elasticq_runtime::Error>(())
/// ```
pub trait Observable<M> {
    /// The composition's counters.
    fn observed_stats(&self) -> Stats;
    /// How many priority levels it has (1 without priorities).
    fn observed_levels(&self) -> usize;
    /// The log's bytes written and `fdatasync` calls, for a persisted queue.
    fn observed_log(&self) -> Option<(u64, u64)> {
        None
    }
}

impl<T> Observable<T> for LockedQueue<T> {
    fn observed_stats(&self) -> Stats {
        self.stats()
    }
    fn observed_levels(&self) -> usize {
        1
    }
}

impl<T> Observable<T> for LockFreeQueue<T> {
    fn observed_stats(&self) -> Stats {
        self.stats()
    }
    fn observed_levels(&self) -> usize {
        1
    }
}

impl<T, E: RefusalLanes<T> + Observable<T>> Observable<T> for Retried<E> {
    fn observed_stats(&self) -> Stats {
        crate::engine::Engine::stats(self)
    }
    fn observed_levels(&self) -> usize {
        Observable::observed_levels(&**self)
    }
}

impl<M: Prioritized, E: Lane<M>> Observable<M> for PriorityLevels<M, E> {
    fn observed_stats(&self) -> Stats {
        crate::engine::Engine::stats(self)
    }
    fn observed_levels(&self) -> usize {
        Lane::levels(self)
    }
}

impl<M: Message, L: Lane<M>> Observable<M> for Partitioned<M, L> {
    fn observed_stats(&self) -> Stats {
        crate::engine::Engine::stats(self)
    }
    fn observed_levels(&self) -> usize {
        Lane::levels(self)
    }
}

impl<M: MapMessage> Observable<M> for MapQueue<M> {
    fn observed_stats(&self) -> Stats {
        crate::engine::Engine::stats(self)
    }
    fn observed_levels(&self) -> usize {
        1
    }
}

#[cfg(feature = "persist")]
impl<M: crate::message::Durable, L: Lane<crate::message::Recorded<M>>> Observable<M>
    for crate::persist::Persistent<M, L>
{
    fn observed_stats(&self) -> Stats {
        self.stats()
    }
    fn observed_levels(&self) -> usize {
        Lane::levels(self.queue())
    }
    fn observed_log(&self) -> Option<(u64, u64)> {
        let stats = self.persist_stats();
        Some((stats.bytes_written, stats.fsyncs))
    }
}
