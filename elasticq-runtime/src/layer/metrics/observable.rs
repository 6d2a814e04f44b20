//! What the metrics publisher reads from a queue: its counters, its levels, and for a
//! persisted queue its log's totals.

use crate::engine::{LockFreeQueue, LockedQueue, MapQueue, TimeInQueue};
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
    /// The levels' names, lowest first, where the priority type names them (the `priority`
    /// label's values); empty otherwise, and the levels are labelled by number.
    fn observed_level_names(&self) -> &'static [&'static str] {
        &[]
    }
    /// The log's figures, for a persisted queue.
    fn observed_log(&self) -> Option<LogFigures> {
        None
    }
    /// Has the composition's engines follow sampled messages and report their time in
    /// queue to `record` ([`Lane::follow_time_in_queue`]); map-mode queues do not.
    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        let _ = record;
    }
}

/// What a persisted queue's log reports to its metrics.
///
/// ```
/// use elasticq_runtime::metrics::LogFigures;
/// let mut figures = LogFigures::default();
/// figures.fsyncs = 3;
/// assert_eq!(figures.bytes_written, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogFigures {
    /// Bytes appended to the log since it was opened.
    pub bytes_written: u64,
    /// `fdatasync` calls since it was opened.
    pub fsyncs: u64,
    /// The size of its segment files now.
    pub disk_bytes: u64,
    /// Deliveries taken from the queue and not yet acknowledged (nor handed back).
    pub unacked: u64,
}

impl<T> Observable<T> for LockedQueue<T> {
    fn observed_stats(&self) -> Stats {
        self.stats()
    }
    fn observed_levels(&self) -> usize {
        1
    }
    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        Lane::follow_time_in_queue(self, record);
    }
}

impl<T> Observable<T> for LockFreeQueue<T> {
    fn observed_stats(&self) -> Stats {
        self.stats()
    }
    fn observed_levels(&self) -> usize {
        1
    }
    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        Lane::follow_time_in_queue(self, record);
    }
}

impl<T, E: RefusalLanes<T> + Observable<T>> Observable<T> for Retried<E> {
    fn observed_stats(&self) -> Stats {
        crate::engine::Engine::stats(self)
    }
    fn observed_levels(&self) -> usize {
        Observable::observed_levels(&**self)
    }
    fn observed_level_names(&self) -> &'static [&'static str] {
        Observable::observed_level_names(&**self)
    }
    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        Observable::follow_time_in_queue(self.engine_mut(), record);
    }
}

impl<M: Prioritized, E: Lane<M>> Observable<M> for PriorityLevels<M, E> {
    fn observed_stats(&self) -> Stats {
        crate::engine::Engine::stats(self)
    }
    fn observed_levels(&self) -> usize {
        Lane::levels(self)
    }
    fn observed_level_names(&self) -> &'static [&'static str] {
        Lane::level_names(self)
    }
    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        Lane::follow_time_in_queue(self, record);
    }
}

impl<M: Message, L: Lane<M>> Observable<M> for Partitioned<M, L> {
    fn observed_stats(&self) -> Stats {
        crate::engine::Engine::stats(self)
    }
    fn observed_levels(&self) -> usize {
        Lane::levels(self)
    }
    fn observed_level_names(&self) -> &'static [&'static str] {
        Lane::level_names(self)
    }
    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        Lane::follow_time_in_queue(self, record);
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
    fn observed_level_names(&self) -> &'static [&'static str] {
        Lane::level_names(self.queue())
    }
    fn observed_log(&self) -> Option<LogFigures> {
        // The log first: a message queued between the two reads counts as queued and not
        // as live, so it can only lower the difference, never pass for a delivery.
        let log = self.persist_stats();
        let queued = self.stats().len as u64;
        Some(LogFigures {
            bytes_written: log.bytes_written,
            fsyncs: log.fsyncs,
            disk_bytes: log.disk_bytes,
            unacked: log.live_records.saturating_sub(queued),
        })
    }
    fn follow_time_in_queue(&mut self, record: &TimeInQueue) {
        Lane::follow_time_in_queue(self.queue_mut(), record);
    }
}
